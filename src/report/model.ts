/**
 * The report model: everything `hachaos report` shows, computed once from the run store (pure: runs in, data out).
 * Renderers (reports/*.ts) only lay it out; they never compute numbers.
 */
import {measuredFor, metricLabel, predictedMetric} from '../store/run-metrics.js'
import {CALENDAR_24X7, calendarLabel, describeCalendar, type Calendar, type Period} from '../sla/calendar.js'
import {errorBudget, spread, type ErrorBudget, type Spread} from '../sla/budget.js'
import {parseObjective, type Objective} from '../sla/nines.js'
import type {DrillRun, SplitBrainFinding, TimelineEvent} from '../store/run-types.js'
import {runProblem} from './validate.js'

export const REPORT_SCHEMA = 'hachaos.report/1' as const

/**
 * A measured takeover counts as "as predicted" within this much of the predicted range. It covers capture and
 * scheduling latency between the protocol timer firing and the packet being seen (the lab measured 3.610 s
 * for a 3.609 s Master_Down_Interval and 0.613 s for a 0.609 s Skew_Time).
 */
export const PREDICTION_TOLERANCE_MS = 50

export interface ReportFilters {
  sinceMs?: number
  /** As the user wrote it ("30d", "2026-11-01"), for the header. */
  sinceText?: string
  target?: string
  fault?: string
}

export interface ReportOptions {
  objectives?: Objective[]
  period?: Period
  calendar?: Calendar
  /** Per-event allowance: a drill whose outage exceeds it fails (JUnit, verdict). */
  maxOutageMs?: number | null
  filters?: ReportFilters
  nowMs?: number
  storeDir?: string
  skipped?: Array<{file: string; reason: string}>
}

export interface TimelineMark {
  /** ms relative to the fault moment. */
  tMs: number
}
export interface DrillTimeline {
  /** Epoch µs of the fault moment: every tMs is relative to it. */
  originUs: number
  fromMs: number
  toMs: number
  revertMs: number | null
  /** One lane per advert source address, in order of first appearance. */
  advertLanes: Array<{src: string; marks: Array<TimelineMark & {prio: number}>}>
  garps: Array<TimelineMark & {smac: string}>
  probes: Array<TimelineMark & {ok: boolean}>
  /** Client-side outages: from the last good probe before a run of failed ones to the first good one after. */
  outages: Array<{fromMs: number; toMs: number}>
  splitBrain: Array<{fromMs: number; toMs: number; kind: SplitBrainFinding['kind']}>
}

export interface DrillSummary {
  id: string
  startedAt: string
  stack: string
  target: string
  fault: string
  /** kind plus parameters, the grouping key of `byFault`: "kill process=keepalived signal=SIGTERM". */
  faultLabel: string
  takeoverMs: number | null
  takeoverFromLastAdvertMs: number | null
  predicted: {metric: string; label: string; takeoverMs: number | null; minMs: number | null; maxMs: number | null; formula: string}
  /** Measured value of the figure the prediction is about (predicted.metric). */
  measuredMs: number | null
  /** true/false: the takeover is inside the predicted range ± PREDICTION_TOLERANCE_MS; null: nothing to compare. */
  asPredicted: boolean | null
  garpMs: number | null
  outageMs: number | null
  lostProbes: number
  probesTotal: number
  failbackMs: number | null
  failbackOutageMs: number | null
  splitBrain: SplitBrainFinding[]
  reverted: boolean
  revertError: string | null
  drillVerdict: DrillRun['verdict']
  drillVerdictReasons: string[]
  warnings: string[]
  /** Why this drill fails the report's gate (outage > --max-outage, split brain, revert failure); empty: passes. */
  gateFailures: string[]
  durationS: number
  timeline: DrillTimeline
}

export interface FaultStats {
  faultLabel: string
  fault: string
  count: number
  targets: string[]
  takeoverMs: Spread
  outageMs: Spread
  failbackOutageMs: Spread
  predictedMinMs: number | null
  predictedMaxMs: number | null
  formulas: string[]
  asPredicted: number
  notAsPredicted: number
  lostProbes: number
  splitBrains: number
  revertFailures: number
}

export interface ReportModel {
  schema: typeof REPORT_SCHEMA
  generatedAt: string
  storeDir: string | null
  skipped: Array<{file: string; reason: string}>
  filters: ReportFilters
  calendar: string
  calendarDetail: string
  period: Period
  maxOutageMs: number | null
  empty: boolean
  /** The clear message for an empty report (null otherwise). */
  emptyMessage: string | null
  window: {fromMs: number; toMs: number} | null
  drills: DrillSummary[]
  byFault: FaultStats[]
  budgets: ErrorBudget[]
  splitBrain: Array<SplitBrainFinding & {drillId: string; target: string; fault: string}>
  verdict: {status: 'pass' | 'warn' | 'fail' | 'none'; reasons: string[]}
}

export function faultLabel(run: DrillRun): string {
  const params = Object.entries(run.fault.params)
    .filter(([, v]) => v !== undefined && v !== null && typeof v !== 'object')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${String(v)}`)
  return [run.fault.kind, ...params].join(' ')
}

function asPredicted(run: DrillRun): boolean | null {
  const p = run.prediction
  const m = measuredFor(run)
  if (m === null) return null
  const lo = p.minMs ?? p.takeoverMs
  const hi = p.maxMs ?? p.takeoverMs
  if (lo === null || hi === null) return null
  return m >= lo - PREDICTION_TOLERANCE_MS && m <= hi + PREDICTION_TOLERANCE_MS
}

/** The drill's picture: adverts per source, GARPs, probes and the outages they show, relative to the fault. */
export function buildTimeline(run: DrillRun): DrillTimeline {
  const origin = run.metrics.faultAtUs
  const rel = (t: number): number => (t - origin) / 1000
  const lanes = new Map<string, Array<TimelineMark & {prio: number}>>()
  const garps: DrillTimeline['garps'] = []
  const probes: DrillTimeline['probes'] = []
  let lo = 0
  let hi = 0
  const seen = (t: number): void => {
    lo = Math.min(lo, t)
    hi = Math.max(hi, t)
  }
  const sorted = [...run.events].sort((a, b) => a.t - b.t)
  for (const e of sorted as TimelineEvent[]) {
    if (e.type === 'vrrp.advert') {
      const lane = lanes.get(e.src) ?? []
      lane.push({tMs: rel(e.t), prio: e.prio})
      lanes.set(e.src, lane)
      seen(rel(e.t))
    } else if (e.type === 'arp' && e.garp) {
      garps.push({tMs: rel(e.t), smac: e.smac})
      seen(rel(e.t))
    } else if (e.type === 'probe') {
      probes.push({tMs: rel(e.t), ok: e.ok})
      seen(rel(e.t))
    }
  }
  const outages: DrillTimeline['outages'] = []
  let lastOk: number | null = null
  let inFail = false
  let failStart = 0
  for (const p of probes) {
    if (!p.ok && !inFail) {
      inFail = true
      failStart = lastOk ?? p.tMs
    } else if (p.ok && inFail) {
      inFail = false
      outages.push({fromMs: failStart, toMs: p.tMs})
    }
    if (p.ok) lastOk = p.tMs
  }
  if (inFail) outages.push({fromMs: failStart, toMs: probes[probes.length - 1]?.tMs ?? failStart})
  const revertMs = run.metrics.revertAtUs === null ? null : rel(run.metrics.revertAtUs)
  if (revertMs !== null) seen(revertMs)
  return {
    originUs: origin,
    fromMs: lo,
    toMs: hi,
    revertMs,
    advertLanes: [...lanes.entries()].map(([src, marks]) => ({src, marks})),
    garps,
    probes,
    outages,
    splitBrain: run.splitBrain.map((s) => ({fromMs: rel(s.startUs), toMs: rel(s.endUs), kind: s.kind})),
  }
}

function summarize(run: DrillRun, maxOutageMs: number | null): DrillSummary {
  const m = run.metrics
  const gate: string[] = []
  if (maxOutageMs !== null) {
    if (m.outageMs === null) gate.push('outage not measured (no probes): cannot be checked against --max-outage')
    else if (m.outageMs > maxOutageMs) gate.push(`outage ${(m.outageMs / 1000).toFixed(3)} s > allowed ${(maxOutageMs / 1000).toFixed(3)} s`)
    if (m.failbackOutageMs !== null && m.failbackOutageMs > maxOutageMs) gate.push(`failback outage ${(m.failbackOutageMs / 1000).toFixed(3)} s > allowed ${(maxOutageMs / 1000).toFixed(3)} s`)
  }
  for (const s of run.splitBrain) gate.push(`split brain (${s.kind}) between ${s.parties.join(' and ')} for ${(s.durationMs / 1000).toFixed(3)} s`)
  if (!run.reverted) gate.push(`fault not reverted${run.revertError === null ? '' : `: ${run.revertError}`} (run \`hachaos recover\`)`)
  const started = Date.parse(run.startedAt)
  const ended = Date.parse(run.endedAt)
  return {
    id: run.id,
    startedAt: run.startedAt,
    stack: run.stack,
    target: run.target,
    fault: run.fault.kind,
    faultLabel: faultLabel(run),
    takeoverMs: m.takeoverMs,
    takeoverFromLastAdvertMs: m.takeoverFromLastAdvertMs,
    predicted: {metric: predictedMetric(run), label: metricLabel(predictedMetric(run)), takeoverMs: run.prediction.takeoverMs, minMs: run.prediction.minMs, maxMs: run.prediction.maxMs, formula: run.prediction.formula},
    measuredMs: measuredFor(run),
    asPredicted: asPredicted(run),
    garpMs: m.garpMs,
    outageMs: m.outageMs,
    lostProbes: m.lostProbes,
    probesTotal: m.probesTotal,
    failbackMs: m.failbackMs,
    failbackOutageMs: m.failbackOutageMs,
    splitBrain: run.splitBrain,
    reverted: run.reverted,
    revertError: run.revertError,
    drillVerdict: run.verdict,
    drillVerdictReasons: run.verdictReasons,
    warnings: run.warnings,
    gateFailures: gate,
    durationS: Number.isFinite(ended - started) ? (ended - started) / 1000 : 0,
    timeline: buildTimeline(run),
  }
}

function byFault(drills: DrillSummary[]): FaultStats[] {
  const groups = new Map<string, DrillSummary[]>()
  for (const d of drills) groups.set(d.faultLabel, [...(groups.get(d.faultLabel) ?? []), d])
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, ds]) => {
      const lows = ds.map((d) => d.predicted.minMs ?? d.predicted.takeoverMs).filter((x): x is number => x !== null)
      const highs = ds.map((d) => d.predicted.maxMs ?? d.predicted.takeoverMs).filter((x): x is number => x !== null)
      return {
        faultLabel: label,
        fault: (ds[0] as DrillSummary).fault,
        count: ds.length,
        targets: [...new Set(ds.map((d) => d.target))].sort(),
        takeoverMs: spread(ds.map((d) => d.takeoverMs)),
        outageMs: spread(ds.map((d) => d.outageMs)),
        failbackOutageMs: spread(ds.map((d) => d.failbackOutageMs)),
        predictedMinMs: lows.length > 0 ? Math.min(...lows) : null,
        predictedMaxMs: highs.length > 0 ? Math.max(...highs) : null,
        formulas: [...new Set(ds.map((d) => d.predicted.formula).filter((f) => f !== ''))],
        asPredicted: ds.filter((d) => d.asPredicted === true).length,
        notAsPredicted: ds.filter((d) => d.asPredicted === false).length,
        lostProbes: ds.reduce((a, d) => a + d.lostProbes, 0),
        splitBrains: ds.filter((d) => d.splitBrain.length > 0).length,
        revertFailures: ds.filter((d) => !d.reverted).length,
      }
    })
}

function describeFilters(f: ReportFilters): string {
  const parts = [f.sinceText === undefined ? null : `since ${f.sinceText}`, f.target === undefined ? null : `target ${f.target}`, f.fault === undefined ? null : `fault ${f.fault}`].filter(
    (x): x is string => x !== null,
  )
  return parts.length === 0 ? '' : ` matching ${parts.join(', ')}`
}

export function buildReport(all: readonly DrillRun[], opts: ReportOptions = {}): ReportModel {
  const skipped = [...(opts.skipped ?? [])]
  const runs: DrillRun[] = []
  for (const r of all) {
    const problem = runProblem(r)
    if (problem === null) runs.push(r)
    else skipped.push({file: typeof r.id === 'string' ? `run ${r.id}` : 'a run without id', reason: `not usable for a report: ${problem}`})
  }
  const nowMs = opts.nowMs ?? Date.now()
  const objectives = opts.objectives ?? [parseObjective('99.99')]
  const calendar = opts.calendar ?? CALENDAR_24X7
  const period = opts.period ?? 'month'
  const maxOutageMs = opts.maxOutageMs ?? null
  const filters = opts.filters ?? {}
  const drills = runs.map((r) => summarize(r, maxOutageMs))
  const empty = drills.length === 0
  const budgets = empty ? [] : objectives.map((o) => errorBudget(runs, o, {period, calendar, nowMs, window: filters.sinceMs === undefined ? {} : {fromMs: filters.sinceMs}}))
  const splitBrain = drills.flatMap((d) => d.splitBrain.map((s) => ({...s, drillId: d.id, target: d.target, fault: d.faultLabel})))

  const reasons: string[] = []
  let status: ReportModel['verdict']['status'] = 'pass'
  const failing = drills.filter((d) => d.gateFailures.length > 0)
  for (const d of failing) reasons.push(`${d.id}: ${d.gateFailures.join('; ')}`)
  for (const b of budgets) {
    if (b.exhausted) reasons.push(`the ${b.objective.label} budget of the window is spent: ${(b.burnRate * 100).toFixed(0)} % used (burn rate ${b.burnRate.toFixed(2)})`)
  }
  if (reasons.length > 0) status = 'fail'
  else {
    const off = drills.filter((d) => d.asPredicted === false)
    for (const d of off) reasons.push(`${d.id}: ${d.predicted.label} ${d.measuredMs?.toFixed(0)} ms is outside the prediction (${d.predicted.formula})`)
    const unmeasured = drills.filter((d) => d.outageMs === null)
    if (unmeasured.length > 0) reasons.push(`${unmeasured.length} drill(s) have no client-side outage measured (no probes)`)
    if (reasons.length > 0) status = 'warn'
  }
  if (empty) status = 'none'

  const starts = runs.map((r) => Date.parse(r.startedAt))
  const window = budgets[0]?.window ?? (empty ? null : {fromMs: Math.min(...starts), toMs: nowMs})
  return {
    schema: REPORT_SCHEMA,
    generatedAt: new Date(nowMs).toISOString(),
    storeDir: opts.storeDir ?? null,
    skipped,
    filters,
    calendar: calendarLabel(calendar),
    calendarDetail: describeCalendar(calendar),
    period,
    maxOutageMs,
    empty,
    emptyMessage: empty
      ? `No drills in the run store${opts.storeDir === undefined ? '' : ` (${opts.storeDir})`}${describeFilters(filters)}. Run a drill first (hachaos failover …), or widen --since/--target/--fault.`
      : null,
    window: window === null ? null : {fromMs: window.fromMs, toMs: window.toMs},
    drills,
    byFault: byFault(drills),
    budgets,
    splitBrain,
    verdict: {status, reasons: empty ? ['no drills to judge'] : reasons},
  }
}
