/** The engine: run the rules it is given (src/stacks/registry.ts doctorRules()) over the collected configs, sorted findings, a summary. */
import {HachaosError} from '../errors.js'
import {infraRules} from './rules/infra.js'
import {metaRules} from './rules/meta.js'
import {type DoctorInput, type Finding, type Rule, SEVERITY_ORDER, type Severity} from './types.js'

/**
 * The rules that are no drill stack's own: infrastructure (bonding, LVS) and doctor's own. A stack's rules
 * live in its folder (src/stacks/<name>/, StackModule.rules); the whole list is src/stacks/registry.ts
 * doctorRules(), which is what runDoctor and findRule are given. doctor names no stack.
 */
export const SHARED_RULES: readonly Rule[] = [...infraRules, ...metaRules]

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
export function runDoctor(input: DoctorInput, opts: {rules: readonly Rule[]}): DoctorReport {
  const rules = opts.rules
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
export function findRule(id: string, rules: readonly Rule[]): Rule {
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
