/**
 * A bond soak recorded on the bond lab (test/fixtures/gameday-bond, README there): examples/bond-soak.yaml, seed 1,
 * exit 0. Its record is read back as `report --plan` reads it, every step's figures are those of its trial's
 * run record, the gate (src/lab/bond/step.ts outcomeOf) is re-judged from the run records, and the stop
 * conditions are fed the recorded outages exactly as the runner does (src/gameday/runner.ts).
 *
 * The recorded trials (ms):    pulled (active → new)   carrier → active change   client outage   cumulative burn
 *   1 bond step                eth0 (eth0 → eth1)      96.200                    112.4           112.4
 *   2 active-down              eth1 (eth1 → eth0)      18.863                     29.0           141.4
 *   3 flap (300 ms)            eth0 (eth0 → eth1)      65.957                     71.4           212.8
 *   4 member-down:eth1         eth1 (eth1 → eth0)      77.046                    116.0           328.8
 *   5 member-down:eth0         eth0 (eth0 → eth1)      28.444                     50.3           379.0
 * Bound: miimon 100 + downdelay 0 + tolerance 37 (2 × poll 2 + 8 + 25) = 137 ms. The monthly budget at 99.99 %
 * is 262.8 s: 379.0 ms is 0.144 % of it.
 */
import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import {gameDayText} from '../../../reports/gameday.js'
import type {LabStep, StopConditions} from '../../../src/gameday/plan.js'
import type {GameDayRecord} from '../../../src/gameday/record.js'
import {resultOf} from '../../../src/gameday/runner.js'
import {budgetSharePct, stopAfterDrill} from '../../../src/gameday/stop.js'
import {outcomeOf} from '../../../src/lab/bond/step.js'
import {toleranceMs} from '../../../src/lab/bond/trial.js'
import type {DrillRun} from '../../../src/store/run-types.js'
import {fixturePath} from '../../fixture.js'

const DIR = fixturePath('gameday-bond')
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'))
const rec = JSON.parse(readFileSync(fixturePath('gameday-bond', files.find((f) => f.startsWith('gd-')) as string), 'utf8')) as GameDayRecord
const runs = new Map(files.filter((f) => !f.startsWith('gd-')).map((f) => {
  const r = JSON.parse(readFileSync(fixturePath('gameday-bond', f), 'utf8')) as DrillRun
  return [r.id, r] as const
}))
const runOf = (i: number): DrillRun => runs.get(rec.results[i]?.runId ?? '') as DrillRun
const none: StopConditions = {budgetSharePct: null, splitBrain: false, outageOverMs: null, timeLimitMs: null, http: null, command: null, checkEveryMs: 2000, checkTimeoutMs: null}
const BOUND = 100 + toleranceMs(2)

/** Feed the recorded steps to stopAfterDrill as the runner does after a lab step: the first condition hit. */
function firstStop(c: StopConditions): {step: number; condition: string; text: string} | null {
  let burn = 0
  for (const [i, r] of rec.results.entries()) {
    burn += Math.max(0, r.outageMs ?? 0)
    const hit = stopAfterDrill(c, i + 1, {outageMs: r.outageMs, failbackOutageMs: null, splitBrains: 0, splitBrainExpected: false}, burn, rec.availability, 0)
    if (hit !== null) return {step: hit.step ?? -1, condition: hit.condition, text: hit.text}
  }
  return null
}

describe('a bond soak recorded on the bond lab', () => {
  it('the record: 5 bond steps (1 of the plan, 4 drawn with seed 1), all done and gated, 6 audits clean', () => {
    assert.equal(rec.seed, 1)
    assert.equal(rec.state, 'done')
    assert.deepEqual(rec.steps.map((s) => [s.kind, (s as LabStep).soak, (s as LabStep).action]), [
      ['lab', null, 'member-down'],
      ['lab', 'active-down', 'member-down'],
      ['lab', 'flap', 'flap'],
      ['lab', 'member-down:eth1', 'member-down'],
      ['lab', 'member-down:eth0', 'member-down'],
    ])
    assert.deepEqual(rec.audits.map((a) => [a.after, a.clean]), [[0, true], [1, true], [2, true], [3, true], [4, true], [5, true]])
    const g = resultOf(rec, 'record.json')
    assert.deepEqual([g.score.passed, g.score.scored], [5, 5])
    assert.deepEqual(g.soak.map((s) => [s.fault, s.count, s.pass]), [['bond member-down bond0', 1, 1], ['active-down', 1, 1], ['flap', 1, 1], ['member-down:eth1', 1, 1], ['member-down:eth0', 1, 1]])
    assert.ok(g.soak.every((s) => s.offPrediction.length === 0))
  })

  it("every step's figures are its trial's run record's, tagged with the game day", () => {
    for (const [i, r] of rec.results.entries()) {
      const run = runOf(i)
      assert.deepEqual(run.plan, {id: rec.id, step: i + 1, name: rec.steps[i]?.name})
      assert.equal(run.stack, 'bond')
      assert.equal(r.measuredMs, run.metrics.extra?.['bondFailoverMs'])
      assert.equal(r.outageMs, run.metrics.outageMs)
      assert.equal(r.predictedMaxMs, BOUND)
      assert.equal(run.reverted, true)
      assert.notEqual(run.metrics.oldOwner, run.metrics.newOwner, 'the active member was pulled: the active changed')
    }
    assert.equal(runOf(2).fault.params['flap'], 'true')
  })

  it('the gate, re-judged from the run records: every trial within 137 ms; a max_outage of 100 ms fails steps 1 and 4', () => {
    const figures = (i: number) => {
      const run = runOf(i)
      const m = run.metrics.extra?.['bondFailoverMs'] ?? null
      return {
        runId: run.id,
        measuredMs: m,
        predictedMaxMs: 100,
        toleranceMs: toleranceMs(2),
        within: m === null ? null : m <= BOUND,
        measurement: {member: String(run.fault.params['member']), activeBefore: run.metrics.oldOwner, activeAfter: run.metrics.newOwner, traffic: {outageMs: run.metrics.outageMs}, warnings: run.warnings},
      }
    }
    for (const i of [0, 1, 2, 3, 4]) {
      const o = outcomeOf([figures(i)], 1000, (rec.steps[i] as LabStep).action)
      assert.equal(o.verdict, rec.results[i]?.verdict)
      assert.equal(o.measuredMs, rec.results[i]?.measuredMs)
      assert.equal(o.predictedMaxMs, BOUND)
    }
    assert.deepEqual([0, 1, 2, 3, 4].map((i) => outcomeOf([figures(i)], 100, 'member-down').verdict), ['fail', 'pass', 'pass', 'fail', 'pass'])
    // a step of several trials is gated on its worst: the five as one step, max_outage 115 ms → fails on 116.0 ms
    const all = outcomeOf([0, 1, 2, 3, 4].map(figures), 115, 'member-down')
    assert.equal(all.verdict, 'fail')
    assert.equal(all.outageMs, runOf(3).metrics.outageMs)
    assert.equal(all.measuredMs, runOf(0).metrics.extra?.['bondFailoverMs'])
    assert.match(all.reasons.at(-1) ?? '', /client outage 116\.0 ms over the gate's max_outage 115 ms/)
  })

  it('stop conditions on the recorded outages: the burn, budget_share and outage_over', () => {
    assert.equal(Math.round(rec.burnMs * 10) / 10, 379.0)
    assert.equal(budgetSharePct(rec.burnMs, rec.availability).toFixed(3), '0.144')
    assert.equal(firstStop({...none, budgetSharePct: 10, outageOverMs: 2000}), null, "the example's stop_when never fires")
    const budget = firstStop({...none, budgetSharePct: 0.1})
    assert.deepEqual([budget?.step, budget?.condition], [4, 'budget_share'])
    const outage = firstStop({...none, outageOverMs: 100})
    assert.deepEqual([outage?.step, outage?.condition], [1, 'outage_over'])
  })

  it('the text report names each bond step with its figure, its prediction and its run', () => {
    const t = gameDayText(resultOf(rec, 'record.json'))
    assert.match(t, /3\. PASS {5}bond guest flap hold 1\.8 s — verdict PASS, measured 66\.0 ms \(predicted 0 ms … 137 ms\), outage 71\.4 ms \[run 20261206T043827Z-guest-member-down-956d\]/)
    assert.match(t, /score: 100 % \(5 of 5 steps passed their gate\)/)
  })
})
