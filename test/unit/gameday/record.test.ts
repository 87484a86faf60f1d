/**
 * The game day journal (src/gameday/record.ts): resume from the first step not done (a step cut short runs
 * again), resumable only when interrupted or when its process is gone, listed for `recover`; the score and
 * the per-fault figures (src/gameday/summary.ts); the JUnit of a game day (one testcase per step).
 */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {XMLParser} from 'fast-xml-parser'

import {gameDayJunit, gameDayText} from '../../../reports/gameday.js'
import {parsePlan, type PlanStep} from '../../../src/gameday/plan.js'
import {emptyResult, GAMEDAY_SCHEMA, loadRecord, resumable, resumableGameDays, resumeFrom, saveRecord, type GameDayRecord, type StepResult} from '../../../src/gameday/record.js'
import {resultOf} from '../../../src/gameday/runner.js'
import {matches, scoreOf, soakSummary, stats} from '../../../src/gameday/summary.js'

const dir = mkdtempSync(join(tmpdir(), 'hachaos-plans-'))
after(() => rmSync(dir, {recursive: true, force: true}))

const plan = parsePlan(
  `name: t
steps:
  - drill: {target: lb1, fault: nic-down}
  - pause: 1s
  - check: {http: "http://10.66.0.100/"}
  - drill: {target: lb1, fault: kill, params: {process: haproxy}}
`,
  'p.yaml',
)

function done(i: number, o: Partial<StepResult> = {}): StepResult {
  return {...emptyResult(i), status: 'done', startedAt: '2026-12-05T08:00:00.000Z', endedAt: '2026-12-05T08:00:05.500Z', ...o}
}

function record(o: Partial<GameDayRecord> = {}): GameDayRecord {
  return {
    schema: GAMEDAY_SCHEMA,
    id: 'gd-test',
    name: 't',
    planFile: null,
    pid: 2 ** 22 + 12345, // no such process
    machine: 'nowhere',
    startedAt: '2026-12-05T08:00:00.000Z',
    updatedAt: '2026-12-05T08:00:00.000Z',
    endedAt: null,
    state: 'running',
    inventory: null,
    lab: null,
    slo: '99.99',
    availability: 0.9999,
    seed: null,
    plan,
    steps: plan.steps,
    results: plan.steps.map((_, i) => emptyResult(i)),
    audits: [],
    stopReason: null,
    burnMs: 0,
    budgetMs: 262_800,
    resumes: 0,
    ...o,
  }
}

describe('game day journal and resume', () => {
  it('resumes at the first step not done; a step cut short (running, interrupted) runs again', () => {
    const r = record()
    assert.equal(resumeFrom(r), 0)
    r.results[0] = done(0)
    r.results[1] = done(1)
    r.results[2] = {...emptyResult(2), status: 'running'}
    assert.equal(resumeFrom(r), 2)
    r.results[2] = {...emptyResult(2), status: 'interrupted'}
    assert.equal(resumeFrom(r), 2)
    r.results = r.results.map((_, i) => done(i))
    assert.equal(resumeFrom(r), 4)
  })

  it('resumable: interrupted, or running with its process gone (another machine counts as gone), with steps left', () => {
    assert.equal(resumable(record()), true)
    assert.equal(resumable(record({state: 'interrupted'})), true)
    assert.equal(resumable(record({state: 'stopped'})), false)
    assert.equal(resumable(record({state: 'done'})), false)
    assert.equal(resumable(record({state: 'interrupted', results: plan.steps.map((_, i) => done(i))})), false)
    // running, and its process (this one) alive: not resumable
    assert.equal(resumable(record({pid: process.pid, machine: hostname()})), false)
  })

  it('the record round-trips through $HACHAOS_HOME/plans; recover lists the resumable ones with the command', () => {
    const a = record({id: 'gd-a'})
    a.results[0] = done(0)
    saveRecord(a, dir)
    saveRecord(record({id: 'gd-b', state: 'stopped'}), dir)
    saveRecord(record({id: 'gd-c', state: 'interrupted'}), dir)
    assert.deepEqual(loadRecord('gd-a', dir).results[0]?.status, 'done')
    const list = resumableGameDays(dir)
    assert.deepEqual(list.map((x) => [x.id, x.done, x.steps, x.next, x.command]), [
      ['gd-a', 1, 4, 2, 'hachaos run --resume gd-a'],
      ['gd-c', 0, 4, 1, 'hachaos run --resume gd-c'],
    ])
    assert.throws(() => loadRecord('gd-none', dir), /no game day gd-none/)
  })
})

describe('game day score, figures and JUnit', () => {
  const r = record({state: 'stopped', stopReason: {condition: 'outage_over', step: 3, text: 'step 3: a client outage of 3.700 s exceeds outage_over 2.000 s'}})
  r.results[0] = done(0, {verdict: 'pass', gatePassed: true, measuredMs: 3620, predictedMs: 3609, predictedMinMs: 3609, predictedMaxMs: 3609, outageMs: 3700, failbackOutageMs: 40, runId: 'run-1'})
  r.results[1] = done(1)
  r.results[2] = done(2, {verdict: 'fail', gatePassed: false, reasons: ['http://10.66.0.100/ answered 503']})
  r.burnMs = 3740

  it('score: passed gates over scored steps (pauses and steps not run are not scored), with its rule', () => {
    const s = scoreOf(r.steps, r.results)
    assert.deepEqual([s.passed, s.scored, s.share], [1, 2, 0.5])
    assert.match(s.rule, /verdict is not FAIL/)
  })

  it('stats and the prediction match (± tolerance)', () => {
    assert.deepEqual(stats([5, 1, 3, 2, 4]), {n: 5, min: 1, p50: 3, p95: 5, max: 5})
    assert.deepEqual(stats([]), {n: 0, min: null, p50: null, p95: null, max: null})
    assert.equal(matches({measuredMs: 3700, predictedMs: 3609, predictedMinMs: null, predictedMaxMs: null}, 100), true)
    assert.equal(matches({measuredMs: 3710, predictedMs: 3609, predictedMinMs: null, predictedMaxMs: null}, 100), false)
    assert.equal(matches({measuredMs: null, predictedMs: 3609, predictedMinMs: null, predictedMaxMs: null}, 100), false)
    const s = soakSummary(r.steps, r.results)
    assert.deepEqual(s.map((x) => [x.fault, x.count, x.pass, x.offPrediction]), [['nic-down', 1, 1, []]])
  })

  it('JUnit: one testcase per step; the failed gate fails, the steps not run are skipped', () => {
    const xml = gameDayJunit(resultOf(r, '/x/gd-test.json'))
    const doc = new XMLParser({ignoreAttributes: false}).parse(xml) as {testsuites: {testsuite: {'@_tests': string; '@_failures': string; '@_skipped': string; testcase: Array<Record<string, unknown>>}}}
    const suite = doc.testsuites.testsuite
    assert.deepEqual([suite['@_tests'], suite['@_failures'], suite['@_skipped']], ['4', '1', '1'])
    assert.equal(suite.testcase.length, 4)
    assert.ok(suite.testcase[2]?.['failure'] !== undefined)
    assert.ok(suite.testcase[3]?.['skipped'] !== undefined)
    assert.equal(suite.testcase[0]?.['@_time'], '5.500')
    const text = gameDayText(resultOf(r, '/x/gd-test.json'))
    assert.match(text, /score: 50 % \(1 of 2 steps passed their gate\)/)
    assert.match(text, /budget burn: 3\.740 s of client downtime = 1\.423 % of the monthly budget/)
  })

  it('a soak drill its stack refused on the state now is skipped: not scored, not in the soak figures, JUnit skipped with the reason', () => {
    const soak = parsePlan('name: s\nsoak: {count: 2, targets: [n1]}\n', 's.yaml')
    const steps: PlanStep[] = [
      {kind: 'drill', name: 'soak 1/2', target: 'n1', fault: 'cluster-standby', params: {}, holdMs: null, rate: 20, probeTimeoutMs: 1000, toleranceMs: 500, maxOutageMs: null, splitBrain: null, continueOnAudit: false, soak: 'cluster-standby'},
      {kind: 'drill', name: 'soak 2/2', target: 'n1', fault: 'cluster-move', params: {}, holdMs: null, rate: 20, probeTimeoutMs: 1000, toleranceMs: 500, maxOutageMs: null, splitBrain: null, continueOnAudit: false, soak: 'cluster-move'},
    ]
    const g = record({plan: soak, steps, state: 'done', results: [done(0, {verdict: 'pass', gatePassed: true, measuredMs: 4781, predictedMs: 3900, predictedMinMs: 3028, predictedMaxMs: 4678, runId: 'run-1'}), done(1, {reasons: ['skipped: not applicable on the state now (g_web does not run on n1 (it runs on n2))']})]})
    const s = scoreOf(g.steps, g.results)
    assert.deepEqual([s.passed, s.scored], [1, 1])
    assert.deepEqual(soakSummary(g.steps, g.results).map((x) => [x.fault, x.count]), [['cluster-standby', 1]])
    const doc = new XMLParser({ignoreAttributes: false}).parse(gameDayJunit(resultOf(g, '/x/gd-s.json'))) as {testsuites: {testsuite: {'@_skipped': string; '@_failures': string; testcase: Array<Record<string, unknown>>}}}
    assert.deepEqual([doc.testsuites.testsuite['@_skipped'], doc.testsuites.testsuite['@_failures']], ['1', '0'])
    assert.match(String((doc.testsuites.testsuite.testcase[1]?.['skipped'] as Record<string, unknown>)['@_message']), /g_web does not run on n1/)
    assert.match(gameDayText(resultOf(g, '/x/gd-s.json')), /skipped[\s\S]*- skipped: not applicable on the state now/)
  })
})
