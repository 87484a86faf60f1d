/** The rule set and the engine: run every rule over the collected configs, sorted findings, a summary. */
import {HachaosError} from '../errors.js'
import {clusterRules} from './rules/cluster.js'
import {crossRules} from './rules/cross.js'
import {haproxyRules} from './rules/haproxy.js'
import {infraRules} from './rules/infra.js'
import {keepalivedRules} from './rules/keepalived.js'
import {metaRules} from './rules/meta.js'
import {type DoctorInput, type Finding, type Rule, SEVERITY_ORDER, type Severity} from './types.js'

/**
 * The rules that are no stack's own (cross-host, infrastructure, doctor's own) plus those not yet moved into a
 * stack folder. A stack's own rules live in src/stacks/<name>/ (StackModule.rules); the whole list is
 * src/stacks/registry.ts doctorRules().
 */
export const RULES: readonly Rule[] = [...keepalivedRules, ...haproxyRules, ...clusterRules, ...infraRules, ...crossRules, ...metaRules]

export interface DoctorSummary {
  error: number
  warning: number
  note: number
  hosts: number
  sources: number
}

export interface DoctorReport {
  findings: Finding[]
  summary: DoctorSummary
  /** Hosts and what was read on each. */
  hosts: Array<{host: string; sources: Array<{kind: string; path: string}>}>
}

/** Run the rules. A rule that throws is a bug in hachaos: it surfaces as an INTERNAL error naming the rule. */
export function runDoctor(input: DoctorInput, opts: {rules?: readonly Rule[]} = {}): DoctorReport {
  const rules = opts.rules ?? RULES
  const findings: Finding[] = []
  for (const rule of rules) {
    let drafts
    try {
      drafts = rule.check(input)
    } catch (e) {
      throw new HachaosError(`doctor rule ${rule.id} failed: ${e instanceof Error ? e.message : String(e)}`, {code: 'E_RULE', exit: 'INTERNAL', cause: e})
    }
    const seen = new Set<string>()
    for (const d of drafts) {
      const key = `${d.message}|${d.evidence.map((e) => `${e.file ?? ''}:${e.line ?? ''}`).join(',')}`
      if (seen.has(key)) continue
      seen.add(key)
      findings.push({
        ...d,
        rule: rule.id,
        severity: d.severity ?? rule.severity,
        area: rule.area,
        title: rule.title,
        why: rule.why,
        fix: rule.fix,
      })
    }
  }
  findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.area.localeCompare(b.area) || a.rule.localeCompare(b.rule) || a.message.localeCompare(b.message))
  const count = (s: Severity): number => findings.filter((f) => f.severity === s).length
  return {
    findings,
    summary: {error: count('error'), warning: count('warning'), note: count('note'), hosts: input.hosts.length, sources: input.hosts.reduce((n, h) => n + h.sources.length, 0)},
    hosts: input.hosts.map((h) => ({host: h.host, sources: h.sources})),
  }
}

/** A rule by id; unknown ids get a usage error listing the closest ones. */
export function findRule(id: string, rules: readonly Rule[] = RULES): Rule {
  const r = rules.find((x) => x.id === id)
  if (r !== undefined) return r
  const parts = id.toLowerCase().split(/[-_ ]+/)
  const close = rules.map((x) => ({id: x.id, score: parts.filter((p) => p !== '' && x.id.includes(p)).length}))
    .filter((x) => x.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, 5)
    .map((x) => x.id)
  throw new HachaosError(`no doctor rule "${id}"`, {
    code: 'E_UNKNOWN_RULE',
    exit: 'USAGE',
    suggestions: close.length > 0 ? [`did you mean: ${close.join(', ')}`] : ['list the rules with: hachaos doctor --list-rules'],
  })
}
