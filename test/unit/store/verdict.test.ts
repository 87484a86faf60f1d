/**
 * The one verdict model (src/store/verdict.ts) on runs recorded in the keepalived lab (test/fixtures/runs-lab):
 * the drill, the report and JUnit agree, and the exit code comes from one table.
 */
import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

import {junitRenderer} from '../../../reports/junit.js'
import {buildReport} from '../../../src/report/model.js'
import type {DrillRun} from '../../../src/store/run-types.js'
import {drillExitCode, exitCodeFor, inferEffect, judge, judgeRun, verdictOf} from '../../../src/store/verdict.js'

const LAB = fileURLToPath(new URL('../../../../test/fixtures/runs-lab', import.meta.url))
const runs = readdirSync(LAB)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(LAB, f), 'utf8')) as DrillRun)
/** The recorded drill of that kind whose fault was reverted. */
const byKind = (k: string): DrillRun => {
  const r = runs.find((x) => x.fault.kind === k && x.reverted)
  assert.ok(r !== undefined, k)
  return r
}

describe('verdict model on recorded runs', () => {
  it('drop-vrrp: the split brain it is meant to cause is a WARN, exit 0 — for the drill and for the report alike', () => {
    const r = byKind('drop-vrrp')
    assert.ok(r.splitBrain.length > 0)
    const j = judgeRun(r)
    assert.equal(j.verdict, 'warn')
    assert.equal(j.verdict, r.verdict, 'the drill recorded the same verdict')
    assert.equal(j.reasons.filter((x) => x.code === 'split-brain-expected').length, r.splitBrain.length)
    assert.ok(j.reasons.every((x) => x.level !== 'fail'))
    assert.equal(drillExitCode(r), 0)
    const m = buildReport([r], {nowMs: Date.parse(r.endedAt) + 3600_000})
    assert.equal(m.drills[0]?.verdict, 'warn')
    assert.equal(m.verdict.status, 'warn')
    assert.equal(exitCodeFor(m.verdict.status), 0)
    assert.ok(!junitRenderer.render(m).includes('<failure'))
  })

  it('every recorded run is judged by the report as the drill judged it; what it was judged against is stored, or inferred the same', () => {
    assert.ok(runs.some((r) => r.judgedBy === undefined), 'one record from before judgedBy')
    assert.ok(runs.some((r) => !r.reverted && r.verdict === 'fail'), 'one real failed revert')
    for (const r of runs) {
      assert.equal(judgeRun(r).verdict, r.verdict, `${r.id}: the report judges as the drill did`)
      if (r.judgedBy === undefined) continue
      assert.equal(inferEffect(r), r.judgedBy.effect, r.id)
      const {judgedBy: _j, ...old} = r
      assert.deepEqual(judgeRun(old), judgeRun(r), r.id)
    }
    const failed = runs.find((r) => !r.reverted) as DrillRun
    assert.ok(judgeRun(failed).reasons.some((x) => x.level === 'fail' && x.code === 'revert-failed'))
    assert.equal(drillExitCode(failed), 8)
  })

  it('nic-down and kill TERM: PASS within the prediction, exit 0; reasons name the figure, no degenerate range', () => {
    for (const k of ['nic-down', 'kill']) {
      const j = judgeRun(byKind(k))
      assert.equal(j.verdict, 'pass', k)
      const info = j.reasons.find((x) => x.code === 'as-predicted')
      assert.ok(info !== undefined)
      assert.match(info.text, /^takeover after last advert \d+\.\d ms matches the prediction \d+\.\d ms ± 100 ms$/)
    }
  })

  it('the same drill with an unexpected split brain, a failed revert, or an outage over --max-outage is a FAIL', () => {
    const base = byKind('nic-down')
    const split = {...base, splitBrain: byKind('drop-vrrp').splitBrain}
    assert.equal(judgeRun(split).verdict, 'fail')
    assert.ok(judgeRun(split).reasons.some((x) => x.level === 'fail' && x.code === 'split-brain'))
    const unreverted = {...base, reverted: false, revertError: 'ssh: timeout'}
    assert.equal(judgeRun(unreverted).verdict, 'fail')
    assert.equal(drillExitCode({...unreverted, verdict: 'fail'}), 8)
    const outage = base.metrics.outageMs as number
    assert.equal(judgeRun(base, {maxOutageMs: outage - 1}).verdict, 'fail')
    assert.equal(judgeRun(base, {maxOutageMs: outage + 1}).verdict, 'pass')
    assert.equal(drillExitCode({reverted: true, verdict: 'fail'}), 7)
    // the report, JUnit and the exit code follow
    const m = buildReport([base, split], {nowMs: Date.parse(base.endedAt) + 3600_000})
    assert.deepEqual(
      m.drills.map((d) => d.verdict),
      ['pass', 'fail'],
    )
    assert.equal(m.verdict.status, 'fail')
    assert.equal(exitCodeFor(m.verdict.status), 7)
    assert.equal((junitRenderer.render(m).match(/<failure /g) ?? []).length, 1)
  })

  it('outside the prediction ± tolerance is a WARN; not observed is a FAIL when the VIP must move, else a WARN', () => {
    const r = byKind('nic-down')
    const i = {prediction: r.prediction, metrics: r.metrics, splitBrain: [], reverted: true, revertError: null, interrupted: false, effect: 'node-loss', toleranceMs: 100, maxOutageMs: null}
    const hi = r.prediction.maxMs ?? (r.prediction.takeoverMs as number)
    const at = (v: number | null): typeof r.metrics => ({...r.metrics, takeoverFromLastAdvertMs: v})
    assert.equal(judge({...i, metrics: at(hi + 99)}).verdict, 'pass')
    assert.equal(judge({...i, metrics: at(hi + 101)}).verdict, 'warn')
    assert.equal(judge({...i, metrics: at(null)}).verdict, 'fail')
    assert.equal(judge({...i, metrics: at(null), effect: 'cluster-move'}).verdict, 'warn')
    assert.equal(judge({...i, interrupted: true}).verdict, 'warn')
    assert.equal(verdictOf([]), 'pass')
  })
})
