/**
 * The running figures of a watch, what `/metrics` and the final summary show: probes (totals and the success
 * ratio over the last WINDOW_S seconds), incidents, the last takeover, the outage and split-brain seconds, the
 * budget left this month. Pure: events and incidents in, numbers out.
 *
 * The budget is the calendar month's (UTC), as `hachaos report` and the dashboard count it: at the first
 * reading or incident in a new month the gauge starts again from the full budget (the store's downtime of the
 * month the watch began and this watch's incidents before the boundary belong to the old month). An incident
 * counts in the month it started in.
 *
 * Memory bound: WINDOW_S one-second buckets for the ratio (two counters each), a handful of numbers.
 */
import {drillDowntimeMs} from '../sla/budget.js'
import {allowedDowntimeMs} from '../sla/nines.js'
import type {TimelineEvent} from '../store/run-types.js'
import type {Incident} from './incidents.js'

/** The probe success ratio is over this many seconds (by probe send time). */
export const WINDOW_S = 60

/** The start (epoch ms) of the UTC calendar month of `ms`. */
export function utcMonthStartMs(ms: number): number {
  const d = new Date(ms)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
}

export class WatchStats {
  probesOk = 0
  probesFailed = 0
  incidents = 0
  splitBrainIncidents = 0
  outageMsTotal = 0
  splitBrainMsTotal = 0
  lastTakeoverMs: number | null = null
  lastPredictedMs: number | null = null
  lastIncidentId: string | null = null
  /** Client downtime of this month's incidents recorded by this watch (the report's figure: src/sla drillDowntimeMs). */
  downtimeMs = 0
  /** Downtime already recorded in the store this month (the month the watch began; 0 after a rollover). */
  monthConsumedMs: number
  /** Start of the calendar month (UTC, epoch ms) the budget is about. */
  monthStartMs: number
  private readonly okAt = new Float64Array(WINDOW_S)
  private readonly failedAt = new Float64Array(WINDOW_S)
  private readonly secOf = new Float64Array(WINDOW_S).fill(-1)

  constructor(
    /** Objective (0..1) of the budget gauge. */
    readonly availability: number,
    /** Client downtime already recorded this month (runs in the store) when the watch began. */
    monthConsumedMs: number,
    /** When the watch began (epoch ms): the month `monthConsumedMs` is about. */
    startMs: number = Date.now(),
  ) {
    this.monthConsumedMs = monthConsumedMs
    this.monthStartMs = utcMonthStartMs(startMs)
  }

  /** A new calendar month (UTC) at `nowMs`: the budget starts again. */
  private roll(nowMs: number): void {
    const m = utcMonthStartMs(nowMs)
    if (m <= this.monthStartMs) return
    this.monthStartMs = m
    this.monthConsumedMs = 0
    this.downtimeMs = 0
  }

  probe(e: Extract<TimelineEvent, {type: 'probe'}>): void {
    if (e.ok) this.probesOk++
    else this.probesFailed++
    const sec = Math.floor(e.t / 1e6)
    const i = sec % WINDOW_S
    if (this.secOf[i] !== sec) {
      this.secOf[i] = sec
      this.okAt[i] = 0
      this.failedAt[i] = 0
    }
    if (e.ok) this.okAt[i] = (this.okAt[i] ?? 0) + 1
    else this.failedAt[i] = (this.failedAt[i] ?? 0) + 1
  }

  /** Good probes / probes sent in the last WINDOW_S seconds before `nowUs` (null: none sent). */
  successRatio(nowUs: number): number | null {
    const now = Math.floor(nowUs / 1e6)
    let ok = 0
    let all = 0
    for (let i = 0; i < WINDOW_S; i++) {
      const s = this.secOf[i] ?? -1
      if (s < 0 || s <= now - WINDOW_S || s > now) continue
      ok += this.okAt[i] ?? 0
      all += (this.okAt[i] ?? 0) + (this.failedAt[i] ?? 0)
    }
    return all === 0 ? null : ok / all
  }

  incident(i: Incident): void {
    this.incidents++
    if (i.run.splitBrain.length > 0) this.splitBrainIncidents++
    this.outageMsTotal += i.outageMs
    this.splitBrainMsTotal += i.splitBrainMs
    if (i.measuredMs !== null) {
      this.lastTakeoverMs = i.measuredMs
      this.lastPredictedMs = i.predictedMs
    }
    this.lastIncidentId = i.run.id
    const startedMs = Date.parse(i.run.startedAt)
    this.roll(startedMs)
    if (utcMonthStartMs(startedMs) === this.monthStartMs) this.downtimeMs += drillDowntimeMs(i.run) ?? 0
  }

  /** The month's budget for the objective at `nowMs`, less what the store had and what this watch recorded this month (ms; may be < 0). */
  budgetRemainingMs(nowMs: number = Date.now()): number {
    this.roll(nowMs)
    return allowedDowntimeMs(this.availability, 'month') - this.monthConsumedMs - this.downtimeMs
  }
}
