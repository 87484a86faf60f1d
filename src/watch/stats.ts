/**
 * The running figures of a watch, what `/metrics` and the final summary show: probes (totals and the success
 * ratio over the last WINDOW_S seconds), incidents, the last takeover, the outage and split-brain seconds, the
 * budget left this month. Pure: events and incidents in, numbers out.
 *
 * Memory bound: WINDOW_S one-second buckets for the ratio (two counters each), a handful of numbers.
 */
import {drillDowntimeMs} from '../sla/budget.js'
import {allowedDowntimeMs} from '../sla/nines.js'
import type {TimelineEvent} from '../store/run-types.js'
import type {Incident} from './incidents.js'

/** The probe success ratio is over this many seconds (by probe send time). */
export const WINDOW_S = 60

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
  /** Client downtime of the incidents recorded by this watch (the report's figure: src/sla drillDowntimeMs). */
  downtimeMs = 0
  private readonly okAt = new Float64Array(WINDOW_S)
  private readonly failedAt = new Float64Array(WINDOW_S)
  private readonly secOf = new Float64Array(WINDOW_S).fill(-1)

  constructor(
    /** Objective (0..1) of the budget gauge. */
    readonly availability: number,
    /** Client downtime already recorded this month (runs in the store) when the watch began. */
    readonly monthConsumedMs: number,
  ) {}

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
    this.downtimeMs += drillDowntimeMs(i.run) ?? 0
  }

  /** The month's budget for the objective, less what the store had and what this watch recorded (ms; may be < 0). */
  budgetRemainingMs(): number {
    return allowedDowntimeMs(this.availability, 'month') - this.monthConsumedMs - this.downtimeMs
  }
}
