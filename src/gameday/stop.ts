/**
 * Stop conditions of a game day (pure: the runner feeds them what the steps measured). As AWS FIS stops an
 * experiment on an alarm, a game day stops — the open fault reverted at once, the reason recorded — when:
 *   budget_share  the client outage this game day has caused (every drill's outage + its failback outage)
 *                 exceeds X % of the objective's monthly error budget: burn / ((1 − slo) × 365.25/12 d) > X / 100;
 *   outage_over   one drill's client outage (or its failback's) exceeds the bound;
 *   split_brain   a drill shows a split brain its step did not expect (gate split_brain: true);
 *   time_limit    the game day has run longer than the limit (checked before each step and during steps);
 *   http/command  the external check fails (between steps and during holds, src/gameday/runner.ts).
 */
import {allowedDowntimeMs} from '../sla/nines.js'
import {formatMs} from '../time.js'
import type {StopConditions} from './plan.js'

export type StopCondition = 'budget_share' | 'outage_over' | 'split_brain' | 'time_limit' | 'external_check' | 'audit' | 'error' | 'interrupted'

export interface StopReason {
  condition: StopCondition
  /** The step after (or during) which it was hit (1-based), null before the first. */
  step: number | null
  text: string
}

/** What one drill step measured, for the stop conditions. */
export interface DrillOutcome {
  outageMs: number | null
  failbackOutageMs: number | null
  /** Split-brain findings of the drill (count). */
  splitBrains: number
  /** The step's gate expected one (drop-vrrp). */
  splitBrainExpected: boolean
}

/** The client-visible downtime a drill cost (ms): its outage and its failback's. */
export function burnOf(o: Pick<DrillOutcome, 'outageMs' | 'failbackOutageMs'>): number {
  return Math.max(0, o.outageMs ?? 0) + Math.max(0, o.failbackOutageMs ?? 0)
}

/** The monthly error budget of an availability (0.9999 → 262.8 s over an average month of 365.25/12 days, 24×7). */
export function monthlyBudgetMs(availability: number): number {
  return allowedDowntimeMs(availability, 'month')
}

/** Share (percent) of the monthly budget that `burnMs` consumes. */
export function budgetSharePct(burnMs: number, availability: number): number {
  const budget = monthlyBudgetMs(availability)
  return budget <= 0 ? (burnMs > 0 ? Infinity : 0) : (burnMs / budget) * 100
}

/** After a drill step: the first condition hit, or null. `burnMs` is the game day's total so far (this step included). */
export function stopAfterDrill(c: StopConditions, step: number, o: DrillOutcome, burnMs: number, availability: number, elapsedMs: number): StopReason | null {
  const worst = Math.max(o.outageMs ?? 0, o.failbackOutageMs ?? 0)
  if (c.outageOverMs !== null && worst > c.outageOverMs) {
    return {condition: 'outage_over', step, text: `step ${step}: a client outage of ${formatMs(worst, 1)} exceeds outage_over ${formatMs(c.outageOverMs, 1)}`}
  }
  if (c.splitBrain && o.splitBrains > 0 && !o.splitBrainExpected) {
    return {condition: 'split_brain', step, text: `step ${step}: a split brain was seen (${o.splitBrains} finding${o.splitBrains === 1 ? '' : 's'}) and the step did not expect one`}
  }
  if (c.budgetSharePct !== null) {
    const share = budgetSharePct(burnMs, availability)
    if (share > c.budgetSharePct) {
      return {
        condition: 'budget_share',
        step,
        text: `step ${step}: the game day has used ${share.toFixed(2)} % of the monthly error budget (${formatMs(burnMs, 1)} of ${formatMs(monthlyBudgetMs(availability), 0)}), over budget_share ${c.budgetSharePct} %`,
      }
    }
  }
  return timeLimitHit(c, step, elapsedMs)
}

/** The time limit, checked before a step (elapsedMs since the game day started) and during it. */
export function timeLimitHit(c: StopConditions, step: number | null, elapsedMs: number | null): StopReason | null {
  if (c.timeLimitMs === null || elapsedMs === null) return null
  if (elapsedMs <= c.timeLimitMs) return null
  return {condition: 'time_limit', step, text: `${step === null ? '' : `step ${step}: `}the game day ran ${formatMs(elapsedMs, 0)}, over time_limit ${formatMs(c.timeLimitMs, 0)}`}
}
