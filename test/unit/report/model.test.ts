import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {buildReport, buildTimeline, PREDICTION_TOLERANCE_MS} from '../../../src/report/model.js'
import {parseObjective} from '../../../src/sla/nines.js'
import {drill, fixtureNowMs, fixtureRuns} from './runs-helper.js'

describe('report model over the fixture store', () => {
  const runs = fixtureRuns()
  const m = buildReport(runs, {nowMs: fixtureNowMs(), objectives: [parseObjective('99.99'), parseObjective('99.999')]})

  it('holds the kinds of drill the tests rely on: clean, split brain, failed revert', () => {
    assert.ok(runs.some((r) => r.splitBrain.length > 0))
    assert.ok(runs.some((r) => !r.reverted))
    assert.ok(runs.some((r) => r.reverted && r.splitBrain.length === 0))
  })

  it('lists every drill, in start order, and groups them per fault', () => {
    assert.deepEqual(
      m.drills.map((d) => d.id),
      runs.map((r) => r.id),
    )
    assert.equal(
      m.byFault.reduce((a, s) => a + s.count, 0),
      runs.length,
    )
    for (const s of m.byFault) {
      const group = m.drills.filter((d) => d.faultLabel === s.faultLabel)
      const outages = group.map((d) => d.outageMs).filter((x): x is number => x !== null)
      assert.equal(s.outageMs.min, outages.length === 0 ? null : Math.min(...outages))
      assert.equal(s.outageMs.max, outages.length === 0 ? null : Math.max(...outages))
    }
  })

  it('collects every split-brain finding and fails the drills with a split brain or a failed revert', () => {
    assert.equal(
      m.splitBrain.length,
      runs.reduce((a, r) => a + r.splitBrain.length, 0),
    )
    for (const d of m.drills) {
      const r = runs.find((x) => x.id === d.id)
      assert.ok(r !== undefined)
      // one verdict model: a split brain fails the drill unless its fault is meant to cause one (drop-vrrp: WARN)
      const expected = r.fault.kind === 'vrrp-drop' || r.fault.kind === 'drop-vrrp'
      assert.equal(d.gateFailures.length > 0, (r.splitBrain.length > 0 && !expected) || !r.reverted, d.id)
      assert.equal(d.verdict === 'fail', d.gateFailures.length > 0, d.id)
      if (r.splitBrain.length > 0 && expected) assert.ok(d.verdictReasons.some((x) => x.level === 'warn' && x.code === 'split-brain-expected'), d.id)
    }
    assert.equal(m.verdict.status, 'fail')
    for (const r of runs.filter((x) => !x.reverted)) assert.ok(m.verdict.reasons.some((t) => t.startsWith(r.id)), r.id)
  })

  it('--max-outage fails exactly the drills over the allowance', () => {
    const outages = runs.map((r) => r.metrics.outageMs).filter((x): x is number => x !== null).sort((a, b) => a - b)
    const max = outages[Math.floor(outages.length / 2)] as number
    const g = buildReport(runs, {nowMs: fixtureNowMs(), maxOutageMs: max})
    for (const d of g.drills) {
      const over = (d.outageMs !== null && d.outageMs > max) || (d.failbackOutageMs !== null && d.failbackOutageMs > max)
      assert.equal(d.gateFailures.some((x) => x.includes('exceeds --max-outage')), over, d.id)
    }
  })

  it('one budget per objective, over the same window', () => {
    assert.deepEqual(
      m.budgets.map((b) => b.objective.label),
      ['99.99 %', '99.999 %'],
    )
    assert.equal(m.budgets[0]?.consumedMs, m.budgets[1]?.consumedMs)
    assert.ok(Math.abs((m.budgets[1]?.burnRate ?? 0) - 10 * (m.budgets[0]?.burnRate ?? 0)) < 1e-9)
  })

  it('timelines have every advert, GARP and probe of the run, and an outage band as wide as the measured outage', () => {
    for (const r of runs) {
      const tl = buildTimeline(r)
      assert.equal(
        tl.advertLanes.reduce((a, l) => a + l.marks.length, 0),
        r.events.filter((e) => e.type === 'vrrp.advert').length,
      )
      assert.equal(tl.garps.length, r.events.filter((e) => e.type === 'arp' && e.garp).length)
      assert.equal(tl.probes.length, r.events.filter((e) => e.type === 'probe').length)
      assert.equal(new Set(tl.advertLanes.map((l) => l.src)).size, tl.advertLanes.length)
      if (r.metrics.outageMs !== null && r.probe !== null && r.metrics.lostProbes > 0) {
        const band = tl.outages.find((o) => o.toMs > 0) // the first outage after the fault
        assert.ok(band !== undefined, r.id)
        // The band runs from the last good probe's send time to the first good one's; the metric uses their
        // completion times: they differ by at most a probe's timeout.
        assert.ok(Math.abs(band.toMs - band.fromMs - r.metrics.outageMs) <= r.probe.timeoutMs, `${r.id}: ${band.toMs - band.fromMs} vs ${r.metrics.outageMs}`)
      }
    }
  })
})

describe('report model edge cases', () => {
  it('an empty store gives a clear message and no tables', () => {
    const m = buildReport([], {storeDir: '/tmp/nowhere/runs', filters: {sinceText: '30d', sinceMs: 0, target: 'lb1'}})
    assert.equal(m.empty, true)
    assert.equal(m.verdict.status, 'none')
    assert.equal(m.budgets.length, 0)
    assert.match(m.emptyMessage ?? '', /No drills in the run store \(\/tmp\/nowhere\/runs\) matching since 30d, target lb1\./)
  })
  it('a takeover outside the predicted range (± tolerance) makes a warning, not a failure', () => {
    const slow = drill('2026-11-01T10:00:00.000Z', {takeoverMs: 3609.375 + PREDICTION_TOLERANCE_MS + 1, outageMs: 3700})
    const ok = drill('2026-11-02T10:00:00.000Z', {takeoverMs: 3609.375 + PREDICTION_TOLERANCE_MS - 1, outageMs: 3600})
    const m = buildReport([slow, ok], {nowMs: Date.parse('2026-11-22T00:00:00Z')})
    assert.deepEqual(
      m.drills.map((d) => d.asPredicted),
      [false, true],
    )
    assert.equal(m.verdict.status, 'warn')
  })
  it('a damaged record is skipped with the field that is wrong, the rest is reported', () => {
    const good = drill('2026-11-01T10:00:00.000Z', {outageMs: 3000})
    const bad = drill('2026-11-02T10:00:00.000Z', {outageMs: 3000})
    const damaged = JSON.parse(JSON.stringify(bad).replace('"outageMs":3000', '"outageMs":"3 s"')) as typeof bad
    const noEvents = {...drill('2026-11-03T10:00:00.000Z', {}), events: undefined} as unknown as typeof bad
    const m = buildReport([good, damaged, noEvents], {nowMs: Date.parse('2026-11-22T00:00:00Z')})
    assert.deepEqual(
      m.drills.map((d) => d.id),
      [good.id],
    )
    assert.equal(m.skipped.length, 2)
    assert.match(m.skipped[0]?.reason ?? '', /metrics\.outageMs/)
    assert.match(m.skipped[1]?.reason ?? '', /^not usable for a report: events/)
  })
  it('a drill with no probes cannot pass a --max-outage gate', () => {
    const m = buildReport([drill('2026-11-01T10:00:00.000Z', {takeoverMs: 3000})], {nowMs: Date.parse('2026-11-22T00:00:00Z'), maxOutageMs: 4000})
    assert.match(m.drills[0]?.gateFailures[0] ?? '', /not measured/)
  })
})
