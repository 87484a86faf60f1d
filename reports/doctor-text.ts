/** `hachaos doctor` as text: findings grouped by area and rule, severity in colour, where, why and the fix. */
import type {DoctorReport} from '../src/doctor/index.js'
import type {Area, Finding, Rule, Severity} from '../src/doctor/types.js'

export interface TextOptions {
  color: boolean
}

const ANSI = {red: '\u001b[31m', yellow: '\u001b[33m', cyan: '\u001b[36m', bold: '\u001b[1m', dim: '\u001b[2m', green: '\u001b[32m', reset: '\u001b[0m'}
type Paint = (s: string, ...codes: Array<keyof typeof ANSI>) => string

function painter(color: boolean): Paint {
  return (s, ...codes) => (color && codes.length > 0 ? `${codes.map((c) => ANSI[c]).join('')}${s}${ANSI.reset}` : s)
}

const SEV_COLOR: Record<Severity, keyof typeof ANSI> = {error: 'red', warning: 'yellow', note: 'cyan'}
const SEV_LABEL: Record<Severity, string> = {error: 'ERROR  ', warning: 'WARNING', note: 'NOTE   '}
/** Every area, in print order: a Record so that an area added to Area cannot be left out (heartbeat was, and its findings were counted but never printed). */
const AREA_RANK: Record<Area, number> = {keepalived: 0, haproxy: 1, corosync: 2, pacemaker: 3, heartbeat: 4, bonding: 5, lvs: 6, gluster: 7, 'cross-host': 8, doctor: 9}
export const AREA_ORDER: Area[] = (Object.keys(AREA_RANK) as Area[]).sort((a, b) => AREA_RANK[a] - AREA_RANK[b])

function plural(n: number, w: string): string {
  return `${n} ${w}${n === 1 ? '' : 's'}`
}

export function renderDoctorText(report: DoctorReport, opts: TextOptions): string {
  const p = painter(opts.color)
  const out: string[] = []
  const srcs = report.hosts.map((h) => `${h.host} (${h.sources.map((s) => s.kind).join(', ') || 'nothing read'})`)
  out.push(p(`hachaos doctor: ${plural(report.hosts.length, 'host')}, ${plural(report.summary.sources, 'source')}`, 'bold'))
  if (srcs.length > 0) out.push(p(`  ${srcs.join('; ')}`, 'dim'))
  out.push('')
  for (const area of AREA_ORDER) {
    const inArea = report.findings.filter((f) => f.area === area)
    if (inArea.length === 0) continue
    out.push(p(area, 'bold'))
    const byRule = new Map<string, Finding[]>()
    for (const f of inArea) byRule.set(`${f.severity}|${f.rule}`, [...(byRule.get(`${f.severity}|${f.rule}`) ?? []), f])
    for (const fs of byRule.values()) {
      const f0 = fs[0]
      if (f0 === undefined) continue
      out.push(`  ${p(SEV_LABEL[f0.severity], SEV_COLOR[f0.severity], 'bold')} ${p(f0.rule, 'bold')}  ${f0.title}`)
      for (const f of fs) {
        out.push(`      ${f.message}`)
        for (const e of f.evidence) {
          const loc = e.file === undefined ? '' : `${e.file}${e.line === undefined ? '' : `:${e.line}`}`
          const st = e.state === undefined || e.state === '' ? '' : `  ${e.state}`
          if (loc !== '' || st !== '') out.push(p(`        at ${loc}${st}`, 'dim'))
        }
      }
      out.push(`      ${p('why', 'bold')}  ${f0.why}`)
      out.push(`      ${p('fix', 'bold')}  ${f0.fix}`)
    }
    out.push('')
  }
  const s = report.summary
  const parts = [p(plural(s.error, 'error'), s.error > 0 ? 'red' : 'green', 'bold'), p(plural(s.warning, 'warning'), s.warning > 0 ? 'yellow' : 'green'), plural(s.note, 'note')]
  out.push(report.findings.length === 0 ? p('No findings.', 'green', 'bold') : `${parts.join(', ')}.`)
  if (report.findings.length > 0) out.push(p('Explain a rule: hachaos doctor --explain RULE', 'dim'))
  return out.join('\n')
}

export function renderRuleExplain(r: Rule, opts: TextOptions): string {
  const p = painter(opts.color)
  return [
    `${p(r.id, 'bold')}  (${r.area}, ${p(r.severity, SEV_COLOR[r.severity], 'bold')})`,
    r.title,
    '',
    `${p('Why it matters', 'bold')}\n  ${r.why}`,
    '',
    `${p('Fix', 'bold')}\n  ${r.fix}`,
    '',
    `${p('Details', 'bold')}\n  ${r.explain}`,
  ].join('\n')
}

export function renderRuleList(rules: readonly Rule[], opts: TextOptions): string {
  const p = painter(opts.color)
  const w = Math.max(...rules.map((r) => r.id.length))
  return rules.map((r) => `${r.id.padEnd(w)}  ${p(r.severity.padEnd(7), SEV_COLOR[r.severity])}  ${r.area.padEnd(10)}  ${r.title}`).join('\n')
}
