/** The report's tables as header + rows of strings, shared by the text, markdown and HTML renderers. */
import * as f from '../src/report/format.js'
import type {ReportModel} from '../src/report/model.js'
import {PERIOD_ADJ} from '../src/sla/nines.js'

export interface Table {
  title: string
  header: string[]
  rows: string[][]
  /** Columns aligned right (numbers). */
  right: Set<number>
  /** Columns whose cells never wrap in the text report (only their header may). */
  nowrap?: Set<number>
  note?: string
}

export function drillsTable(m: ReportModel): Table {
  return {
    title: 'Drills',
    header: ['started (UTC)', 'target', 'fault', 'takeover', 'measured', 'predicted', 'outage', 'lost', 'failback', 'fb outage', 'split brain', 'reverted', 'verdict'],
    right: new Set([3, 4, 6, 7, 8, 9]),
    rows: m.drills.map((d) => [
      f.utc(d.startedAt),
      d.target,
      d.faultLabel,
      f.ms(d.takeoverMs),
      `${f.ms(d.measuredMs)} ${d.predicted.label}`,
      `${f.predicted(d.predicted.minMs ?? d.predicted.takeoverMs, d.predicted.maxMs ?? d.predicted.takeoverMs)}${d.asPredicted === false ? ' (!)' : ''}`,
      f.ms(d.outageMs),
      `${d.lostProbes}/${d.probesTotal}`,
      f.ms(d.failbackMs),
      f.ms(d.failbackOutageMs),
      d.splitBrain.length === 0 ? 'no' : `YES ${d.splitBrain.map((s) => s.kind).join(',')}`,
      d.reverted ? 'yes' : 'NO',
      d.verdict === 'pass' ? 'pass' : d.verdict.toUpperCase(),
    ]),
    note: "(!) = the measured figure (the one the prediction is about) is outside the predicted range ± the drill's tolerance (failover --tolerance, 100 ms unless set). lost = failed probes / probes sent. verdict: see Verdicts in the README.",
  }
}

/** "0.972 / 0.062 s" (seconds, both figures), "—" parts for unknowns. */
function pair(a: number | null, b: number | null): string {
  if (a === null && b === null) return '—'
  const sec = (v: number | null): string => (v === null ? '—' : (v / 1000).toFixed(3))
  return `${sec(a)} / ${sec(b)} s`
}

/** "kill keepalived TERM": the fault kind and its parameter values (the By-fault table has the full labels). */
export function shortFault(label: string): string {
  const [kind, ...params] = label.split(' ')
  const values = [...new Set(params.map((p) => p.slice(p.indexOf('=') + 1)))]
  return [kind ?? '', ...values].join(' ')
}

/**
 * The drills table of the text report, narrow enough for a 120-column terminal: one line per drill (wrapped only
 * for long target or fault names). The Markdown and HTML reports have every column (drillsTable).
 */
export function textDrillsTable(m: ReportModel): Table {
  return {
    title: 'Drills',
    header: ['started (UTC)', 'target', 'fault', 'measured / predicted', 'outage', 'lost', 'failback / outage', 'split brain', 'verdict'],
    right: new Set([3, 4, 5, 6]),
    nowrap: new Set([0, 3, 4, 5, 6]),
    rows: m.drills.map((d) => [
      f.utc(d.startedAt).replace(/Z$/, ''),
      d.target,
      shortFault(d.faultLabel),
      pair(d.measuredMs, d.predicted.maxMs ?? d.predicted.takeoverMs),
      f.ms(d.outageMs),
      `${d.lostProbes}/${d.probesTotal}`,
      pair(d.failbackMs, d.failbackOutageMs),
      d.splitBrain.length === 0 ? 'no' : [...new Set(d.splitBrain.map((x) => x.kind.replace(/^dual-/, '')))].join('+'),
      `${d.verdict === 'pass' ? 'pass' : d.verdict.toUpperCase()}${d.asPredicted === false ? ' (!)' : ''}${d.reverted ? '' : ' (not reverted)'}`,
    ]),
    note: "measured: the figure the prediction is about (By fault names it), against the predicted upper bound; (!) = outside the predicted range ± the drill's tolerance (failover --tolerance, 100 ms unless set). lost = failed probes / probes sent. split brain: master = two VRRP masters, arp = two MACs for the VIP, vip = the VIP on two nodes. verdict: see Verdicts in the README.",
  }
}

export function faultTable(m: ReportModel): Table {
  return {
    title: 'By fault',
    header: ['fault', 'drills', 'measured figure', 'min / p50 / p95 / max', 'predicted', 'as predicted', 'outage min / p50 / p95 / max', 'split brain', 'not reverted'],
    right: new Set([1, 5, 7, 8]),
    rows: m.byFault.map((s) => [
      s.faultLabel,
      String(s.count),
      s.measuredLabel,
      f.spread(s.measuredMs),
      f.predicted(s.predictedMinMs, s.predictedMaxMs),
      `${s.asPredicted}/${s.asPredicted + s.notAsPredicted}`,
      f.spread(s.outageMs),
      String(s.splitBrains),
      String(s.revertFailures),
    ]),
    note: 'p50/p95: linear interpolation between ranks. Predicted: the configuration\'s formula (see each drill).',
  }
}

/** The By-fault table of the text report in two narrower tables: the counts, then the spreads. */
export function textFaultTables(m: ReportModel): [Table, Table] {
  return [
    {
      title: 'By fault',
      header: ['fault', 'drills', 'measured figure', 'predicted', 'as predicted', 'split brain', 'not reverted'],
      right: new Set([1, 4, 5, 6]),
      nowrap: new Set([1, 3, 4, 5, 6]),
      rows: m.byFault.map((s) => [s.faultLabel, String(s.count), s.measuredLabel, f.predicted(s.predictedMinMs, s.predictedMaxMs), `${s.asPredicted}/${s.asPredicted + s.notAsPredicted}`, String(s.splitBrains), String(s.revertFailures)]),
      note: "Predicted: the configuration's formula (see each drill).",
    },
    {
      title: 'By fault: spread',
      header: ['fault', 'measured min / p50 / p95 / max', 'client outage min / p50 / p95 / max'],
      right: new Set([1, 2]),
      nowrap: new Set([1, 2]),
      rows: m.byFault.map((s) => [s.faultLabel, f.spread(s.measuredMs), f.spread(s.outageMs)]),
      note: 'p50/p95: linear interpolation between ranks.',
    },
  ]
}

export function budgetTable(m: ReportModel): Table {
  const adj = PERIOD_ADJ[m.period]
  return {
    title: `Error budget (${m.calendar})`,
    header: ['objective', `${adj} budget`, 'window budget', 'consumed', 'remaining', 'burn rate', `drills' downtime, ${adj} rate`, `affordable ${adj} at p50 / p95 / worst outage`],
    right: new Set([1, 2, 3, 4, 5, 6]),
    rows: m.budgets.map((b) => [
      b.objective.label,
      f.budget(b.periodBudgetMs),
      f.budget(b.windowBudgetMs),
      f.budget(b.consumedMs),
      f.budget(b.remainingMs),
      `${b.burnRate.toFixed(3)} (${f.pct(b.burnRate)})`,
      f.budget(b.consumedPerPeriodMs),
      [b.affordable.p50, b.affordable.p95, b.affordable.worst].map((a) => `${f.count(a.perPeriod)} (${f.ms(a.outageMs)})`).join(' / '),
    ]),
    note:
      m.window === null
        ? undefined
        : `window ${f.utc(m.window.fromMs)} … ${f.utc(m.window.toMs)}; consumed = failover + failback outages seen by the client; burn rate = consumed / window budget (1.000 spends it exactly); drills' downtime, ${adj} rate = consumed scaled to one period at the window's pace.`,
  }
}

/** Rows of the split-brain table in the text, Markdown and HTML reports (all of them in --format json). */
export const SPLIT_BRAIN_ROWS = 100

export function splitBrainTable(m: ReportModel, maxRows = SPLIT_BRAIN_ROWS): Table {
  const rows = m.splitBrain.slice(0, maxRows).map((s) => [s.drillId, s.kind, s.parties.join(' + '), f.ms(s.durationMs), s.evidence])
  const more = m.splitBrain.length - rows.length
  return {
    title: 'Split-brain findings',
    header: ['drill', 'kind', 'parties', 'duration', 'evidence'],
    right: new Set([3]),
    rows,
    ...(more > 0 ? {note: `the first ${rows.length} of ${m.splitBrain.length} findings; ${more} more in --format json`} : {}),
  }
}

export function headerLines(m: ReportModel): string[] {
  const filt = [m.filters.sinceText === undefined ? null : `since ${m.filters.sinceText}`, m.filters.target === undefined ? null : `target ${m.filters.target}`, m.filters.fault === undefined ? null : `fault ${m.filters.fault}`]
    .filter((x) => x !== null)
    .join(', ')
  return [
    `generated ${f.utc(m.generatedAt)}${m.storeDir === null ? '' : ` from ${m.storeDir}`}${filt === '' ? '' : ` (${filt})`}`,
    ...(m.counts.incidents === 0 ? [] : [`${m.counts.drills} drill${m.counts.drills === 1 ? '' : 's'} (faults on purpose, hachaos failover) and ${m.counts.incidents} incident${m.counts.incidents === 1 ? '' : 's'} (real failovers recorded by hachaos watch; fault "incident"), both counted in the budgets`]),
    `calendar: ${m.calendarDetail}`,
    ...(m.maxOutageMs === null ? [] : [`per-event allowance (--max-outage): ${f.ms(m.maxOutageMs)}`]),
    ...m.skipped.map((s) => `skipped ${s.file}: ${s.reason}`),
  ]
}

export function verdictLines(m: ReportModel): string[] {
  return [`Verdict: ${m.verdict.status.toUpperCase()}`, ...m.verdict.reasons.map((r) => `- ${r}`)]
}
