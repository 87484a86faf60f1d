/**
 * Error budgets from measured drills.
 *
 * Over a window W (the report's --since … now):
 *   budget(W)   = (1 − objective) × service time in W          (calendar: 24x7, or business hours on average)
 *   consumed    = Σ client-side downtime of the drills in W     (failover outage + failback outage)
 *   remaining   = budget(W) − consumed                           (negative: overspent)
 *   burn rate   = (consumed / service time in W) / (1 − objective) = consumed / budget(W)
 *                 1.0 spends exactly the budget by the end of the window; 2.0 twice as fast.
 * Per period (month by default): the period's budget, what the drills' rate comes to per period, and how many
 * failovers fit at the measured outage (p50, p95, worst).
 * Drills with no outage measured (no probes) are counted apart and consume nothing.
 */
import type {DrillRun} from '../store/run-types.js'
import {calendar24x7, calendarLabel, CALENDAR_24X7, periodMs, type Calendar, type Period} from './calendar.js'
import {allowedDowntimeMs, failoversAffordable, type Objective} from './nines.js'

/** Quantile of an ascending list by linear interpolation between closest ranks (Hyndman–Fan type 7, numpy's default). */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  const a = sorted[lo] as number
  const b = sorted[hi] as number
  return a + (b - a) * (pos - lo)
}

export interface Spread {
  n: number
  min: number | null
  p50: number | null
  p95: number | null
  max: number | null
}

/** min/p50/p95/max of the non-null values. */
export function spread(values: ReadonlyArray<number | null | undefined>): Spread {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b)
  return {n: v.length, min: v[0] ?? null, p50: quantile(v, 0.5), p95: quantile(v, 0.95), max: v[v.length - 1] ?? null}
}

/** Client-side downtime a drill caused: failover outage + failback outage (null when nothing was measured). */
export function drillDowntimeMs(run: Pick<DrillRun, 'metrics'>): number | null {
  const m = run.metrics
  if (m.outageMs === null && m.failbackOutageMs === null) return null
  return (m.outageMs ?? 0) + (m.failbackOutageMs ?? 0)
}

export interface BudgetWindow {
  fromMs: number
  toMs: number
}

export interface Affordable {
  /** The outage this row is for, ms (null when no drill measured one). */
  outageMs: number | null
  /** Failovers of that outage per period (null when unknown; Infinity never: a 0 ms outage gives null too). */
  perPeriod: number | null
}

export interface ErrorBudget {
  objective: Objective
  period: Period
  calendar: string
  /** The period's budget: allowed downtime per period, ms. */
  periodBudgetMs: number
  window: BudgetWindow & {serviceMs: number}
  windowBudgetMs: number
  consumedMs: number
  remainingMs: number
  /** consumed / window budget (1 = exactly spent). */
  burnRate: number
  /** The drills' downtime rate, as ms per period. */
  consumedPerPeriodMs: number
  drillsCounted: number
  drillsUnmeasured: number
  affordable: {p50: Affordable; p95: Affordable; worst: Affordable}
  exhausted: boolean
}

export interface BudgetOptions {
  period?: Period
  calendar?: Calendar
  /** The window; its start defaults to (first drill, or now − one period, whichever is earlier). */
  window?: Partial<BudgetWindow>
  /** "now" in epoch ms (tests pin it). */
  nowMs?: number
}

/** Average share of wall-clock time that is service time under the calendar (1 for 24x7). */
export function serviceShare(calendar: Calendar): number {
  return periodMs('year', calendar) / periodMs('year', calendar24x7(calendar.year))
}

export function errorBudget(runs: ReadonlyArray<Pick<DrillRun, 'startedAt' | 'endedAt' | 'metrics'>>, objective: Objective, opts: BudgetOptions = {}): ErrorBudget {
  const period = opts.period ?? 'month'
  const calendar = opts.calendar ?? CALENDAR_24X7
  const now = opts.nowMs ?? Date.now()
  const periodBudgetMs = allowedDowntimeMs(objective.availability, period, calendar)
  const starts = runs.map((r) => Date.parse(r.startedAt)).filter(Number.isFinite)
  const ends = runs.map((r) => Date.parse(r.endedAt)).filter(Number.isFinite)
  const toMs = opts.window?.toMs ?? Math.max(now, ...ends)
  const fromMs = opts.window?.fromMs ?? Math.min(toMs - periodMs(period, calendar24x7(calendar.year)), ...starts)
  const serviceMs = Math.max(0, toMs - fromMs) * serviceShare(calendar)
  const windowBudgetMs = (1 - objective.availability) * serviceMs

  let consumedMs = 0
  let counted = 0
  let unmeasured = 0
  for (const r of runs) {
    const d = drillDowntimeMs(r)
    if (d === null) unmeasured++
    else {
      consumedMs += d
      counted++
    }
  }
  const outages = spread(runs.map((r) => r.metrics.outageMs))
  const aff = (o: number | null): Affordable => ({
    outageMs: o,
    perPeriod: o === null || o <= 0 ? null : failoversAffordable(o, objective.availability, period, calendar),
  })
  const burnRate = windowBudgetMs > 0 ? consumedMs / windowBudgetMs : consumedMs > 0 ? Infinity : 0
  return {
    objective,
    period,
    calendar: calendarLabel(calendar),
    periodBudgetMs,
    window: {fromMs, toMs, serviceMs},
    windowBudgetMs,
    consumedMs,
    remainingMs: windowBudgetMs - consumedMs,
    burnRate,
    consumedPerPeriodMs: serviceMs > 0 ? (consumedMs * periodMs(period, calendar)) / serviceMs : 0,
    drillsCounted: counted,
    drillsUnmeasured: unmeasured,
    affordable: {p50: aff(outages.p50), p95: aff(outages.p95), worst: aff(outages.max)},
    exhausted: consumedMs > windowBudgetMs,
  }
}
