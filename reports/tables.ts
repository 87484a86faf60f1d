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
  note?: string
}

export function drillsTable(m: ReportModel): Table {
  return {
    title: 'Drills',
    header: ['started (UTC)', 'target', 'fault', 'takeover', 'measured', 'predicted', 'outage', 'lost', 'failback', 'fb outage', 'split brain', 'reverted', 'gate'],
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
      d.gateFailures.length === 0 ? 'pass' : 'FAIL',
    ]),
    note: '(!) = the measured figure (the one the prediction is about) is outside the predicted range ± 50 ms. lost = failed probes / probes sent.',
  }
}

export function faultTable(m: ReportModel): Table {
  return {
    title: 'By fault',
    header: ['fault', 'drills', 'takeover min / p50 / p95 / max', 'predicted', 'as predicted', 'outage min / p50 / p95 / max', 'split brain', 'not reverted'],
    right: new Set([1, 4, 6, 7]),
    rows: m.byFault.map((s) => [
      s.faultLabel,
      String(s.count),
      f.spread(s.takeoverMs),
      f.predicted(s.predictedMinMs, s.predictedMaxMs),
      `${s.asPredicted}/${s.asPredicted + s.notAsPredicted}`,
      f.spread(s.outageMs),
      String(s.splitBrains),
      String(s.revertFailures),
    ]),
    note: 'p50/p95: linear interpolation between ranks. Predicted: the configuration\'s formula (see each drill).',
  }
}

export function budgetTable(m: ReportModel): Table {
  const adj = PERIOD_ADJ[m.period]
  return {
    title: `Error budget (${m.calendar})`,
    header: ['objective', `${adj} budget`, 'window budget', 'consumed', 'remaining', 'burn rate', `drills' rate, ${adj}`, `affordable ${adj} at p50 / p95 / worst outage`],
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
        : `window ${f.utc(m.window.fromMs)} … ${f.utc(m.window.toMs)}; consumed = failover + failback outages seen by the client; burn rate = consumed / window budget (1.000 spends it exactly).`,
  }
}

export function splitBrainTable(m: ReportModel): Table {
  return {
    title: 'Split-brain findings',
    header: ['drill', 'kind', 'parties', 'duration', 'evidence'],
    right: new Set([3]),
    rows: m.splitBrain.map((s) => [s.drillId, s.kind, s.parties.join(' + '), f.ms(s.durationMs), s.evidence]),
  }
}

export function headerLines(m: ReportModel): string[] {
  const filt = [m.filters.sinceText === undefined ? null : `since ${m.filters.sinceText}`, m.filters.target === undefined ? null : `target ${m.filters.target}`, m.filters.fault === undefined ? null : `fault ${m.filters.fault}`]
    .filter((x) => x !== null)
    .join(', ')
  return [
    `generated ${f.utc(m.generatedAt)}${m.storeDir === null ? '' : ` from ${m.storeDir}`}${filt === '' ? '' : ` (${filt})`}`,
    `calendar: ${m.calendarDetail}`,
    ...(m.maxOutageMs === null ? [] : [`per-event allowance (--max-outage): ${f.ms(m.maxOutageMs)}`]),
    ...m.skipped.map((s) => `skipped ${s.file}: ${s.reason}`),
  ]
}

export function verdictLines(m: ReportModel): string[] {
  return [`Verdict: ${m.verdict.status.toUpperCase()}`, ...m.verdict.reasons.map((r) => `- ${r}`)]
}
