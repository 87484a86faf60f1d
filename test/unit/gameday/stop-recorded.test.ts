/**
 * Stop conditions (src/gameday/stop.ts) on the figures of real drill runs recorded in the keepalived lab
 * (test/fixtures/runs-lab, README there): each run's outage, failback outage and split-brain findings are fed
 * to stopAfterDrill exactly as the game-day runner does (src/gameday/runner.ts: outcome from run.metrics and
 * run.splitBrain.length, the game day's burn summed with burnOf), and the test asserts which condition fires,
 * at which step, with its numbers. The monthly budget of 99.99 % is 262.8 s (365.25/12 d, 24×7).
 *
 * The recorded figures (ms):               outage    failback outage   burn       split brains
 *   1 kill-1da0   (keepalived TERM)        649.969   101.085           751.054    0
 *   2 drop-vrrp-0249 (expected split brain) 110.259  137.808           248.067    3 (dual-arp 2.66 s, dual-vip
 *                                                                                    5.99 s, dual-arp 0.99 s)
 *   3 nic-down-bb80                        3620.175  152.366           3772.541   0
 *   4 kill-247b   (revert failed)          646.377   188.661           835.038    0
 * Cumulative burn: 751.054, 999.121, 4771.662, 5606.700 ms = 0.286, 0.380, 1.816, 2.133 % of 262.8 s.
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import type {StopConditions} from '../../../src/gameday/plan.js'
import {budgetSharePct, burnOf, stopAfterDrill, type DrillOutcome, type StopReason} from '../../../src/gameday/stop.js'
import type {DrillRun} from '../../../src/store/run-types.js'
import {fixturePath} from '../../fixture.js'

const load = (f: string): DrillRun => JSON.parse(readFileSync(fixturePath('runs-lab', f), 'utf8')) as DrillRun

const KILL = '20261204T163215Z-lb1-kill-1da0.json'
const DROP_VRRP = '20261204T171407Z-lb1-drop-vrrp-0249.json'
const NIC_DOWN = '20261204T171422Z-lb1-nic-down-bb80.json'
const KILL_FAILED_REVERT = '20261204T171440Z-lb1-kill-247b.json'

const SLO = 0.9999
const none: StopConditions = {budgetSharePct: null, splitBrain: false, outageOverMs: null, timeLimitMs: null, http: null, command: null, checkEveryMs: 2000, checkTimeoutMs: null}
/** The issue's example plan: stop_when {budget_share: 10%, split_brain: true, outage_over: 10s}. */
const issuePlan: StopConditions = {...none, budgetSharePct: 10, splitBrain: true, outageOverMs: 10_000}

interface Step {
  file: string
  /** The step's gate expects a split brain (drop-vrrp's is the one the drill is meant to show). */
  splitBrainExpected: boolean
}

/** The game day's four drills in the order recorded, drop-vrrp marked as expecting its split brain. */
const DAY: Step[] = [
  {file: KILL, splitBrainExpected: false},
  {file: DROP_VRRP, splitBrainExpected: true},
  {file: NIC_DOWN, splitBrainExpected: false},
  {file: KILL_FAILED_REVERT, splitBrainExpected: false},
]

/** What the runner hands stopAfterDrill for a recorded run. */
function outcomeOf(run: DrillRun, splitBrainExpected: boolean): DrillOutcome {
  return {outageMs: run.metrics.outageMs, failbackOutageMs: run.metrics.failbackOutageMs, splitBrains: run.splitBrain.length, splitBrainExpected}
}

/** Replays the steps as the runner does: burn accumulated (this step included), the first hit stops the day. */
function replay(c: StopConditions, steps: Step[]): {hit: StopReason | null; burnMs: number; stepsRun: number} {
  let burnMs = 0
  for (const [i, s] of steps.entries()) {
    const run = load(s.file)
    burnMs += burnOf(run.metrics)
    const hit = stopAfterDrill(c, i + 1, outcomeOf(run, s.splitBrainExpected), burnMs, SLO, 0)
    if (hit !== null) return {hit, burnMs, stepsRun: i + 1}
  }
  return {hit: null, burnMs, stepsRun: steps.length}
}

const near = (a: number, b: number, eps = 1e-6): void => assert.ok(Math.abs(a - b) < eps, `${a} ≠ ${b} (± ${eps})`)

describe('game day stop conditions on recorded lab runs', () => {
  it('the recorded figures are the ones the table above states', () => {
    const burns = DAY.map((s) => burnOf(load(s.file).metrics))
    near(burns[0]!, 751.054)
    near(burns[1]!, 248.067)
    near(burns[2]!, 3772.541)
    near(burns[3]!, 835.038)
    assert.deepEqual(DAY.map((s) => load(s.file).splitBrain.length), [0, 3, 0, 0])
    assert.deepEqual(load(DROP_VRRP).splitBrain.map((f) => f.kind), ['dual-arp', 'dual-vip', 'dual-arp'])
  })

  it('none: the issue\'s plan (10 %, split_brain, 10 s) runs all four drills; the day used 2.13 % of the budget', () => {
    const r = replay(issuePlan, DAY)
    assert.equal(r.hit, null)
    assert.equal(r.stepsRun, 4)
    near(r.burnMs, 5606.7)
    near(budgetSharePct(r.burnMs, SLO), (5606.7 / 262_800) * 100)
    assert.equal(budgetSharePct(r.burnMs, SLO).toFixed(2), '2.13')
  })

  it('split_brain: the drop-vrrp run stops the day at step 2 when its step does not expect the split brain', () => {
    const steps = DAY.map((s) => ({...s, splitBrainExpected: false}))
    const r = replay(issuePlan, steps)
    assert.equal(r.hit?.condition, 'split_brain')
    assert.equal(r.hit?.step, 2)
    assert.equal(r.stepsRun, 2)
    assert.equal(r.hit?.text, 'step 2: a split brain was seen (3 findings) and the step did not expect one')
    // Expected (the DAY's gate): no stop; and without split_brain in stop_when, none either.
    assert.equal(stopAfterDrill(issuePlan, 2, outcomeOf(load(DROP_VRRP), true), 248.067, SLO, 0), null)
    assert.equal(stopAfterDrill({...issuePlan, splitBrain: false}, 2, outcomeOf(load(DROP_VRRP), false), 248.067, SLO, 0), null)
  })

  it('outage_over 2 s: the nic-down run (3620.175 ms outage) stops the day at step 3; the kills (≈ 650 ms) pass', () => {
    const r = replay({...issuePlan, outageOverMs: 2000}, DAY)
    assert.equal(r.hit?.condition, 'outage_over')
    assert.equal(r.hit?.step, 3)
    assert.equal(r.hit?.text, 'step 3: a client outage of 3.620 s exceeds outage_over 2.000 s')
    near(r.burnMs, 4771.662)
  })

  it('outage_over 649 ms: the first kill (649.969 ms) fires, 650 ms lets it and the failed-revert kill (646.377 ms) pass', () => {
    const first = replay({...none, outageOverMs: 649}, DAY)
    assert.equal(first.hit?.condition, 'outage_over')
    assert.equal(first.hit?.step, 1)
    assert.equal(first.hit?.text, 'step 1: a client outage of 650.0 ms exceeds outage_over 649.0 ms')
    // 650 ms: steps 1, 2 and 4 pass; nic-down still fires.
    const r = replay({...none, outageOverMs: 650}, DAY)
    assert.equal(r.hit?.step, 3)
    assert.equal(replay({...none, outageOverMs: 650}, [DAY[0]!, DAY[1]!, DAY[3]!]).hit, null)
  })

  it('outage_over 120 ms: drop-vrrp fires through its failback outage (137.808 ms), not its outage (110.259 ms)', () => {
    const o = outcomeOf(load(DROP_VRRP), true)
    assert.ok(o.outageMs !== null && o.outageMs < 120)
    const hit = stopAfterDrill({...none, outageOverMs: 120}, 2, o, 248.067, SLO, 0)
    assert.equal(hit?.condition, 'outage_over')
    assert.equal(hit?.text, 'step 2: a client outage of 137.8 ms exceeds outage_over 120.0 ms')
    assert.equal(stopAfterDrill({...none, outageOverMs: 138}, 2, o, 248.067, SLO, 0), null)
  })

  it('budget_share 1 % (2.628 s): steps 1–2 use 0.29 % and 0.38 %; nic-down brings it to 1.82 % and stops the day at step 3', () => {
    const c = {...none, budgetSharePct: 1}
    assert.equal(replay(c, DAY.slice(0, 2)).hit, null)
    near(budgetSharePct(replay(c, DAY.slice(0, 2)).burnMs, SLO), (999.121 / 262_800) * 100)
    const r = replay(c, DAY)
    assert.equal(r.hit?.condition, 'budget_share')
    assert.equal(r.hit?.step, 3)
    near(r.burnMs, 4771.662)
    assert.equal(r.hit?.text, 'step 3: the game day has used 1.82 % of the monthly error budget (4.772 s of 4m23s), over budget_share 1 %')
  })

  it('budget_share 2 % (5.256 s): only the fourth drill crosses it (5.607 s = 2.13 %); 2.2 % lets the whole day run', () => {
    const r = replay({...none, budgetSharePct: 2}, DAY)
    assert.equal(r.hit?.condition, 'budget_share')
    assert.equal(r.hit?.step, 4)
    assert.equal(r.hit?.text, 'step 4: the game day has used 2.13 % of the monthly error budget (5.607 s of 4m23s), over budget_share 2 %')
    assert.equal(replay({...none, budgetSharePct: 2.2}, DAY).hit, null)
  })

  it('budget_share at 99.9 % (a 43.8 min budget): the same day uses 0.21 %, nothing fires at 1 %', () => {
    let burn = 0
    for (const [i, s] of DAY.entries()) {
      const run = load(s.file)
      burn += burnOf(run.metrics)
      assert.equal(stopAfterDrill({...none, budgetSharePct: 1}, i + 1, outcomeOf(run, s.splitBrainExpected), burn, 0.999, 0), null)
    }
    assert.equal(budgetSharePct(burn, 0.999).toFixed(2), '0.21')
  })

  it('the order on a recorded run: outage_over before split brain before budget share', () => {
    const all = {...none, outageOverMs: 100, splitBrain: true, budgetSharePct: 0.01}
    const o = outcomeOf(load(DROP_VRRP), false)
    assert.equal(stopAfterDrill(all, 2, o, 248.067, SLO, 0)?.condition, 'outage_over')
    assert.equal(stopAfterDrill({...all, outageOverMs: null}, 2, o, 248.067, SLO, 0)?.condition, 'split_brain')
    const b = stopAfterDrill({...all, outageOverMs: null, splitBrain: false}, 2, o, 248.067, SLO, 0)
    assert.equal(b?.condition, 'budget_share')
    assert.match(b?.text ?? '', /used 0\.09 % of the monthly error budget \(248\.1 ms of 4m23s\), over budget_share 0\.01 %/)
  })
})
