/**
 * Stop conditions (src/gameday/stop.ts) on recorded figures: the budget share is burn / ((1 − slo) × 365.25/12 d),
 * outage_over looks at the outage and the failback's, a split brain stops only where the step did not expect
 * one, the time limit.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {StopConditions} from '../../../src/gameday/plan.js'
import {budgetSharePct, burnOf, monthlyBudgetMs, stopAfterDrill, timeLimitHit} from '../../../src/gameday/stop.js'

const none: StopConditions = {budgetSharePct: null, splitBrain: false, outageOverMs: null, timeLimitMs: null, http: null, command: null, checkEveryMs: 2000, checkTimeoutMs: null}
const quiet = {outageMs: 3700, failbackOutageMs: 50, splitBrains: 0, splitBrainExpected: false}

describe('game day stop conditions', () => {
  it('the monthly budget of 99.99 % is 262.8 s (an average month, 365.25/12 d, 24×7); 26.28 s of outage is 10 % of it', () => {
    assert.ok(Math.abs(monthlyBudgetMs(0.9999) - 262_800) < 1e-3)
    assert.ok(Math.abs(budgetSharePct(26_280, 0.9999) - 10) < 1e-6)
    assert.equal(burnOf({outageMs: 3700, failbackOutageMs: 50}), 3750)
    assert.equal(burnOf({outageMs: null, failbackOutageMs: null}), 0)
  })

  it('budget_share: stops once the game day\'s burn exceeds the share, not before', () => {
    const c = {...none, budgetSharePct: 1} // 1 % of 262.8 s = 2.628 s
    assert.equal(stopAfterDrill(c, 1, quiet, 2500, 0.9999, 0), null)
    const hit = stopAfterDrill(c, 2, quiet, 2700, 0.9999, 0)
    assert.equal(hit?.condition, 'budget_share')
    assert.equal(hit?.step, 2)
    assert.match(hit?.text ?? '', /1\.03 % of the monthly error budget \(2\.700 s of 4m23s\), over budget_share 1 %/)
  })

  it('outage_over: the outage or the failback outage over the bound', () => {
    const c = {...none, outageOverMs: 2000}
    assert.equal(stopAfterDrill(c, 1, {...quiet, outageMs: 1999}, 0, 0.9999, 0), null)
    assert.equal(stopAfterDrill(c, 1, {...quiet, outageMs: 3700}, 0, 0.9999, 0)?.condition, 'outage_over')
    assert.equal(stopAfterDrill(c, 1, {...quiet, outageMs: 100, failbackOutageMs: 2500}, 0, 0.9999, 0)?.condition, 'outage_over')
    assert.equal(stopAfterDrill(c, 1, {...quiet, outageMs: null, failbackOutageMs: null}, 0, 0.9999, 0), null)
  })

  it('split_brain: stops on an unexpected split brain only, and only when asked', () => {
    const sb = {...quiet, splitBrains: 1}
    assert.equal(stopAfterDrill(none, 1, sb, 0, 0.9999, 0), null)
    const c = {...none, splitBrain: true}
    assert.equal(stopAfterDrill(c, 1, sb, 0, 0.9999, 0)?.condition, 'split_brain')
    assert.equal(stopAfterDrill(c, 1, {...sb, splitBrainExpected: true}, 0, 0.9999, 0), null)
  })

  it('time_limit: over the limit, not at it', () => {
    const c = {...none, timeLimitMs: 60_000}
    assert.equal(timeLimitHit(c, 3, 60_000), null)
    assert.equal(timeLimitHit(c, 3, 60_001)?.condition, 'time_limit')
    assert.equal(stopAfterDrill(c, 3, quiet, 0, 0.9999, 61_000)?.condition, 'time_limit')
    assert.equal(timeLimitHit(none, 3, 1e9), null)
  })

  it('the order: outage_over, then split brain, then budget share', () => {
    const c = {...none, outageOverMs: 1000, splitBrain: true, budgetSharePct: 0.1}
    assert.equal(stopAfterDrill(c, 1, {...quiet, splitBrains: 2}, 1e6, 0.9999, 0)?.condition, 'outage_over')
    assert.equal(stopAfterDrill(c, 1, {...quiet, outageMs: 10, failbackOutageMs: 0, splitBrains: 2}, 1e6, 0.9999, 0)?.condition, 'split_brain')
  })
})
