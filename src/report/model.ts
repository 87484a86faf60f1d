/**
 * The report model: everything `hachaos report` shows, computed once from the run store (pure: runs in, data out).
 * Renderers (reports/*.ts) only lay it out; they never compute numbers.
 */
import {measuredFor, metricLabel, predictedMetric} from '../store/run-metrics.js'
import {CALENDAR_24X7, calendarLabel, describeCalendar, type Calendar, type Period} from '../sla/calendar.js'
import {drillDowntimeMs, errorBudget, spread, type ErrorBudget, type Spread} from '../sla/budget.js'
import {parseObjective, type Objective} from '../sla/nines.js'
import {runKind, type DrillRun, type RunKind, type SplitBrainFinding, type TimelineEvent} from '../store/run-types.js'
import {DEFAULT_TOLERANCE_MS, judgedBy, judgeRun, type Verdict, type VerdictReason} from '../store/verdict.js'
import {eventsProblem, runProblem, summaryProblem} from './validate.js'

export const REPORT_SCHEMA = 'hachaos.report/1' as const

/**
 * A measured figure counts as "as predicted" within the drill's tolerance of the predicted range (`failover
 * --tolerance`, stored with the run; this default for older records). It covers capture and scheduling latency
 * between the protocol timer firing and the packet being seen (the lab measured 3.610 s for a 3.609 s
 * Master_Down_Interval and 0.613 s for a 0.609 s Skew_Time). The verdict module decides (src/store/verdict.ts).
 */
export const PREDICTION_TOLERANCE_MS = DEFAULT_TOLERANCE_MS

/** Timelines drawn by default: the failing drills and this many of the worst others (`--timelines`). */
export const DEFAULT_TIMELINES = 20
/**
 * At most this many failing drills get a timeline (worst first), so a report of thousands stays readable and
 * small: a timeline of a 20 s drill at 20 probes/s is about 20 KB of SVG.
 */
export const MAX_FAILING_TIMELINES = 50

/**
 * What the report reads of a run: a whole record (tests, small stores), or a summary from the run store
 * (src/store/runs.ts) with `eventCount` instead of events, whose events `loadEvents` fetches when drawn.
 */
export type ReportRun = Omit<DrillRun, 'events'> & {events?: TimelineEvent[]; eventCount?: number}

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
  /** How many of the worst non-failing drills get a timeline (default DEFAULT_TIMELINES). */
  timelines?: number
  /** The events of a run given without them (a store summary); throws with a message naming the file. */
  loadEvents?: (run: ReportRun) => TimelineEvent[]
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
  /** A drill (a fault on purpose, `hachaos failover`) or an incident (a real failover seen by `hachaos watch`). */
  kind: RunKind
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
  /** true/false: the measured figure is inside the predicted range ± toleranceMs; null: nothing to compare. */
  asPredicted: boolean | null
  toleranceMs: number
  garpMs: number | null
  outageMs: number | null
  lostProbes: number
  probesTotal: number
  failbackMs: number | null
  failbackOutageMs: number | null
  splitBrain: SplitBrainFinding[]
  reverted: boolean
  revertError: string | null
  /** The verdict of this drill by the one model (src/store/verdict.ts), with the report's --max-outage. */
  verdict: Verdict
  verdictReasons: VerdictReason[]
  /** What the drill itself said when it ran (older records may have been judged by older rules). */
  drillVerdict: DrillRun['verdict']
  drillVerdictReasons: string[]
  warnings: string[]
  /** The verdict's FAIL reasons (JUnit failures, exit 7); empty: the drill passes the gate. */
  gateFailures: string[]
  /** Client-side downtime (failover + failback outage), what "worst" means for --timelines. */
  downtimeMs: number | null
  durationS: number
  /** Drawn for the failing and the worst --timelines drills only; null for the others (see ReportModel.timelines). */
  timeline: DrillTimeline | null
  /** Why a drill that was to be drawn has no timeline (its events could not be read). */
  timelineProblem: string | null
}

export interface Histogram {
  fromMs: number
  binMs: number
  counts: number[]
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
  /** Label of the figure the prediction is about (the first drill's). */
  measuredLabel: string
  measuredMs: Spread
  /** Histograms of the measured figure and of the client outage (about 20 bins of a round width). */
  measuredHistogram: Histogram | null
  outageHistogram: Histogram | null
}

/** Which per-drill timelines the report draws, and what it leaves out. */
export interface TimelineSelection {
  /** --timelines: how many of the worst non-failing drills are drawn. */
  worstLimit: number
  failing: number
  /** Failing drills drawn (all of them up to MAX_FAILING_TIMELINES, worst first). */
  failingDrawn: number
  worstDrawn: number
  drawn: number
  leftOut: number
  /** One sentence saying what was drawn and what was left out. */
  note: string
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
  /** Every run (drills and incidents: see `kind` and `counts`). */
  drills: DrillSummary[]
  /** How many of `drills` are drills and how many incidents (both count in the budgets). */
  counts: {drills: number; incidents: number}
  byFault: FaultStats[]
  budgets: ErrorBudget[]
  splitBrain: Array<SplitBrainFinding & {drillId: string; target: string; fault: string}>
  timelines: TimelineSelection
  verdict: {status: 'pass' | 'warn' | 'fail' | 'none'; reasons: string[]}
}

export function faultLabel(run: Pick<DrillRun, 'fault'>): string {
  const params = Object.entries(run.fault.params)
    .filter(([, v]) => v !== undefined && v !== null && typeof v !== 'object')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${String(v)}`)
  return [run.fault.kind, ...params].join(' ')
}

/** The drill's picture: adverts per source, GARPs, probes and the outages they show, relative to the fault. */
export function buildTimeline(run: Pick<DrillRun, 'metrics' | 'events' | 'splitBrain'>): DrillTimeline {
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

function summarize(run: ReportRun, maxOutageMs: number | null): DrillSummary {
  const m = run.metrics
  const j = judgeRun(run, maxOutageMs === null ? {} : {maxOutageMs})
  const started = Date.parse(run.startedAt)
  const ended = Date.parse(run.endedAt)
  return {
    id: run.id,
    kind: runKind(run),
    startedAt: run.startedAt,
    stack: run.stack,
    target: run.target,
    fault: run.fault.kind,
    faultLabel: faultLabel(run),
    takeoverMs: m.takeoverMs,
    takeoverFromLastAdvertMs: m.takeoverFromLastAdvertMs,
    predicted: {metric: predictedMetric(run), label: metricLabel(predictedMetric(run)), takeoverMs: run.prediction.takeoverMs, minMs: run.prediction.minMs, maxMs: run.prediction.maxMs, formula: run.prediction.formula},
    measuredMs: measuredFor(run),
    asPredicted: j.reasons.some((r) => r.code === 'off-prediction') ? false : j.reasons.some((r) => r.code === 'as-predicted') ? true : null,
    toleranceMs: judgedBy(run).toleranceMs,
    garpMs: m.garpMs,
    outageMs: m.outageMs,
    lostProbes: m.lostProbes,
    probesTotal: m.probesTotal,
    failbackMs: m.failbackMs,
    failbackOutageMs: m.failbackOutageMs,
    splitBrain: run.splitBrain,
    reverted: run.reverted,
    revertError: run.revertError,
    verdict: j.verdict,
    verdictReasons: j.reasons,
    drillVerdict: run.verdict,
    drillVerdictReasons: run.verdictReasons,
    warnings: run.warnings,
    gateFailures: j.reasons.filter((r) => r.level === 'fail').map((r) => r.text),
    downtimeMs: drillDowntimeMs(run),
    durationS: Number.isFinite(ended - started) ? (ended - started) / 1000 : 0,
    timeline: null,
    timelineProblem: null,
  }
}

/** Up to `maxBins` bins of a "nice" width (1, 2 or 5 × 10^k ms) covering the values and the extra bounds. */
export function histogram(values: ReadonlyArray<number | null>, extra: ReadonlyArray<number | null> = [], maxBins = 20): Histogram | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x))
  if (v.length === 0) return null
  let lo = Infinity
  let hi = -Infinity
  for (const x of [...v, ...extra.filter((x): x is number => x !== null && Number.isFinite(x))]) {
    lo = Math.min(lo, x)
    hi = Math.max(hi, x)
  }
  const span = Math.max(hi - lo, 1)
  const binMs = niceStep(span / maxBins)
  const fromMs = Math.floor(lo / binMs) * binMs
  const n = Math.max(1, Math.floor((hi - fromMs) / binMs) + 1)
  const counts = new Array<number>(n).fill(0)
  for (const x of v) {
    const i = Math.min(n - 1, Math.floor((x - fromMs) / binMs))
    counts[i] = (counts[i] ?? 0) + 1
  }
  return {fromMs, binMs, counts}
}

/** The smallest of 1, 2, 5 × 10^k that is ≥ x (x > 0). */
export function niceStep(x: number): number {
  const p = 10 ** Math.floor(Math.log10(Math.max(x, 1e-9)))
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p
  return 10 * p
}

function byFault(drills: DrillSummary[]): FaultStats[] {
  const groups = new Map<string, DrillSummary[]>()
  for (const d of drills) {
    const g = groups.get(d.faultLabel)
    if (g === undefined) groups.set(d.faultLabel, [d])
    else g.push(d)
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, ds]) => {
      let lo: number | null = null
      let hi: number | null = null
      for (const d of ds) {
        const l = d.predicted.minMs ?? d.predicted.takeoverMs
        const h = d.predicted.maxMs ?? d.predicted.takeoverMs
        if (l !== null) lo = lo === null ? l : Math.min(lo, l)
        if (h !== null) hi = hi === null ? h : Math.max(hi, h)
      }
      const measured = ds.map((d) => d.measuredMs)
      const outages = ds.map((d) => d.outageMs)
      return {
        faultLabel: label,
        fault: (ds[0] as DrillSummary).fault,
        count: ds.length,
        targets: [...new Set(ds.map((d) => d.target))].sort(),
        takeoverMs: spread(ds.map((d) => d.takeoverMs)),
        outageMs: spread(outages),
        failbackOutageMs: spread(ds.map((d) => d.failbackOutageMs)),
        predictedMinMs: lo,
        predictedMaxMs: hi,
        formulas: [...new Set(ds.map((d) => d.predicted.formula).filter((f) => f !== ''))],
        asPredicted: ds.filter((d) => d.asPredicted === true).length,
        notAsPredicted: ds.filter((d) => d.asPredicted === false).length,
        lostProbes: ds.reduce((a, d) => a + d.lostProbes, 0),
        splitBrains: ds.filter((d) => d.splitBrain.length > 0).length,
        revertFailures: ds.filter((d) => !d.reverted).length,
        measuredLabel: (ds[0] as DrillSummary).predicted.label,
        measuredMs: spread(measured),
        measuredHistogram: histogram(measured, [lo, hi]),
        outageHistogram: histogram(outages),
      }
    })
}

function describeFilters(f: ReportFilters): string {
  const parts = [f.sinceText === undefined ? null : `since ${f.sinceText}`, f.target === undefined ? null : `target ${f.target}`, f.fault === undefined ? null : `fault ${f.fault}`].filter(
    (x): x is string => x !== null,
  )
  return parts.length === 0 ? '' : ` matching ${parts.join(', ')}`
}

/** How far the measured figure is outside its prediction (ms, 0 inside), for ordering "worst". */
function offBy(d: DrillSummary): number {
  const lo = d.predicted.minMs ?? d.predicted.takeoverMs
  const hi = d.predicted.maxMs ?? d.predicted.takeoverMs
  if (d.measuredMs === null || lo === null || hi === null) return 0
  return Math.max(0, lo - d.measuredMs, d.measuredMs - hi)
}

/** Worst first: larger client downtime, then further off the prediction, then the later drill. */
function worseFirst(a: DrillSummary, b: DrillSummary): number {
  return (b.downtimeMs ?? -1) - (a.downtimeMs ?? -1) || offBy(b) - offBy(a) || b.startedAt.localeCompare(a.startedAt)
}

/** Which drills get a timeline: every failing one (up to MAX_FAILING_TIMELINES, worst first) and the worst `limit` others. */
export function selectTimelines(drills: readonly DrillSummary[], limit: number): {ids: Set<string>; selection: TimelineSelection} {
  const failing = drills.filter((d) => d.verdict === 'fail').sort(worseFirst)
  const others = drills.filter((d) => d.verdict !== 'fail').sort(worseFirst)
  const f = failing.slice(0, MAX_FAILING_TIMELINES)
  const w = others.slice(0, Math.max(0, limit))
  const ids = new Set([...f, ...w].map((d) => d.id))
  const leftOut = drills.length - ids.size
  const parts = [
    f.length === 0 ? null : `${f.length === failing.length ? `the ${f.length}` : `${f.length} of the ${failing.length}`} failing drill${failing.length === 1 ? '' : 's'}${f.length < failing.length ? ` (the worst; at most ${MAX_FAILING_TIMELINES})` : ''}`,
    w.length === 0 ? null : `the ${w.length} worst other${w.length === 1 ? '' : 's'} by client downtime (--timelines ${limit})`,
  ].filter((x): x is string => x !== null)
  const note =
    ids.size === 0
      ? `No timelines drawn (--timelines ${limit} and no failing drill); the ${drills.length} drills are one line each in the table.`
      : `Timelines drawn for ${parts.join(' and ')}${leftOut === 0 ? ': every drill.' : `; ${leftOut} other drill${leftOut === 1 ? ' is' : 's are'} left out here and listed one line each in the drills table (raise --timelines to draw more).`}`
  return {ids, selection: {worstLimit: limit, failing: failing.length, failingDrawn: f.length, worstDrawn: w.length, drawn: ids.size, leftOut, note}}
}

/** At most this many drills are named per verdict level in the overall reasons (the table has them all). */
const REASONS_PER_LEVEL = 10

export function buildReport(all: readonly ReportRun[], opts: ReportOptions = {}): ReportModel {
  const skipped = [...(opts.skipped ?? [])]
  const runs: ReportRun[] = []
  for (const r of all) {
    const problem = r.eventCount === undefined ? runProblem(r as DrillRun) : summaryProblem(r)
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

  // Timelines: only for the drills drawn; their events are loaded here, one record at a time.
  const {ids, selection} = selectTimelines(drills, opts.timelines ?? DEFAULT_TIMELINES)
  runs.forEach((r, i) => {
    if (!ids.has(r.id)) return
    const d = drills[i] as DrillSummary
    try {
      const events = r.events ?? opts.loadEvents?.(r)
      if (events === undefined) throw new Error('no events in the record')
      const problem = eventsProblem(events)
      if (problem !== null) throw new Error(problem)
      d.timeline = buildTimeline({metrics: r.metrics, splitBrain: r.splitBrain, events})
    } catch (e) {
      d.timelineProblem = `timeline not drawn: ${(e as Error).message}`
    }
  })

  const budgets = empty ? [] : objectives.map((o) => errorBudget(runs, o, {period, calendar, nowMs, window: filters.sinceMs === undefined ? {} : {fromMs: filters.sinceMs}}))
  const splitBrain = drills.flatMap((d) => d.splitBrain.map((s) => ({...s, drillId: d.id, target: d.target, fault: d.faultLabel})))

  const reasons: string[] = []
  const name = (level: 'fail' | 'warn', ds: DrillSummary[]): void => {
    for (const d of ds.slice(0, REASONS_PER_LEVEL)) reasons.push(`${d.id}: ${d.verdictReasons.filter((r) => r.level === level).map((r) => r.text).join('; ')}`)
    if (ds.length > REASONS_PER_LEVEL) reasons.push(`… and ${ds.length - REASONS_PER_LEVEL} more ${level === 'fail' ? 'failing' : 'warning'} drills (see the drills table)`)
  }
  const failing = drills.filter((d) => d.verdict === 'fail')
  const warning = drills.filter((d) => d.verdict === 'warn')
  name('fail', failing)
  let spent = false
  for (const b of budgets) {
    if (b.exhausted) {
      spent = true
      reasons.push(`the ${b.objective.label} budget of the window is spent: ${(b.burnRate * 100).toFixed(0)} % used (burn rate ${b.burnRate.toFixed(2)})`)
    }
  }
  let status: ReportModel['verdict']['status'] = failing.length > 0 || spent ? 'fail' : warning.length > 0 ? 'warn' : 'pass'
  if (status !== 'fail') name('warn', warning)
  if (empty) status = 'none'

  let firstStart = Infinity
  for (const r of runs) firstStart = Math.min(firstStart, Date.parse(r.startedAt))
  const window = budgets[0]?.window ?? (empty ? null : {fromMs: firstStart, toMs: nowMs})
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
    counts: {drills: drills.filter((d) => d.kind === 'drill').length, incidents: drills.filter((d) => d.kind === 'incident').length},
    byFault: byFault(drills),
    budgets,
    splitBrain,
    timelines: selection,
    verdict: {status, reasons: empty ? ['no drills to judge'] : reasons},
  }
}
