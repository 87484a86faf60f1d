import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import fc from 'fast-check'

import {drillDowntimeMs, errorBudget, quantile, serviceShare, spread} from '../../../src/sla/budget.js'
import {businessCalendar, DAY_MS} from '../../../src/sla/calendar.js'
import {parseObjective} from '../../../src/sla/nines.js'
import {drill, fixtureNowMs, fixtureRuns} from '../report/runs-helper.js'

const now = Date.parse('2026-11-22T00:00:00Z')
const since = now - 30 * DAY_MS
const o4 = parseObjective('99.99')

describe('quantiles', () => {
  it('interpolates linearly between ranks (type 7)', () => {
    assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5)
    assert.equal(quantile([1000, 2000, 3000], 0.95), 2900)
    assert.equal(quantile([7], 0.95), 7)
    assert.equal(quantile([], 0.5), null)
    assert.deepEqual(spread([3, null, 1, 2]), {n: 3, min: 1, p50: 2, p95: 2.9, max: 3})
  })
  it('lies between min and max and is monotone in q (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({min: 0, max: 1e6, noNaN: true}), {minLength: 1}), fc.double({min: 0, max: 1, noNaN: true}), fc.double({min: 0, max: 1, noNaN: true}), (xs, q1, q2) => {
        const s = [...xs].sort((a, b) => a - b)
        const [lo, hi] = q1 <= q2 ? [q1, q2] : [q2, q1]
        const a = quantile(s, lo) as number
        const b = quantile(s, hi) as number
        assert.ok(a >= (s[0] as number) && b <= (s[s.length - 1] as number) && a <= b + 1e-9)
      }),
    )
  })
})

describe('error budget', () => {
  const runs = [
    drill('2026-11-01T10:00:00.000Z', {outageMs: 1000}),
    drill('2026-11-05T10:00:00.000Z', {outageMs: 2000, failbackOutageMs: 500}),
    drill('2026-11-09T10:00:00.000Z', {outageMs: 3000}),
    drill('2026-11-10T10:00:00.000Z', {}),
  ]

  it('consumes failover + failback outages; counts unmeasured drills apart', () => {
    const b = errorBudget(runs, o4, {nowMs: now, window: {fromMs: since}})
    assert.equal(b.consumedMs, 6500)
    assert.equal(b.drillsCounted, 3)
    assert.equal(b.drillsUnmeasured, 1)
    assert.equal(drillDowntimeMs(runs[3] as (typeof runs)[number]), null)
  })

  it('window budget, remaining and burn rate over 30 days at 99.99 %', () => {
    const b = errorBudget(runs, o4, {nowMs: now, window: {fromMs: since}})
    const windowBudget = (1 - 0.9999) * 30 * DAY_MS // 259.2 s
    assert.ok(Math.abs(b.windowBudgetMs - windowBudget) < 1e-6)
    assert.ok(Math.abs(b.remainingMs - (windowBudget - 6500)) < 1e-6)
    assert.ok(Math.abs(b.burnRate - 6500 / windowBudget) < 1e-12)
    assert.equal(b.exhausted, false)
    // the monthly budget (365/12 days) and the drills' rate per month
    assert.ok(Math.abs(b.periodBudgetMs - 262_800) < 1e-6)
    assert.ok(Math.abs(b.consumedPerPeriodMs - (6500 * 365) / 12 / 30) < 1e-6)
  })

  it('failovers affordable per month at p50, p95 and the worst outage', () => {
    const b = errorBudget(runs, o4, {nowMs: now, window: {fromMs: since}})
    // 262.8 s / 2 s = 131.4; / 2.9 s = 90.6; / 3 s = 87.6
    assert.deepEqual(b.affordable, {p50: {outageMs: 2000, perPeriod: 131}, p95: {outageMs: 2900, perPeriod: 90}, worst: {outageMs: 3000, perPeriod: 87}})
  })

  it('is spent when the drills take more than the window allows', () => {
    const b = errorBudget(runs, parseObjective('99.9999'), {nowMs: now, window: {fromMs: since}}) // 2.592 s in 30 days
    assert.equal(b.exhausted, true)
    assert.ok(b.burnRate > 1)
    assert.ok(b.remainingMs < 0)
  })

  it('business hours shrink the window budget by the service share', () => {
    const cal = businessCalendar({holidays: 0})
    assert.ok(Math.abs(serviceShare(cal) - 5 / 14) < 1e-12)
    const b = errorBudget(runs, o4, {nowMs: now, window: {fromMs: since}, calendar: cal})
    assert.ok(Math.abs(b.windowBudgetMs - ((1 - 0.9999) * 30 * DAY_MS * 5) / 14) < 1e-6)
  })

  it('without --since the window is at least one period back from now', () => {
    const b = errorBudget([runs[2] as (typeof runs)[number]], o4, {nowMs: now})
    assert.ok(Math.abs(b.window.toMs - b.window.fromMs - (365 / 12) * DAY_MS) < 1)
  })

  it('over the fixture store: consumed is the sum of the drills\' outages', () => {
    const rs = fixtureRuns()
    const b = errorBudget(rs, o4, {nowMs: fixtureNowMs()})
    const sum = rs.reduce((a, r) => a + (r.metrics.outageMs ?? 0) + (r.metrics.failbackOutageMs ?? 0), 0)
    assert.ok(Math.abs(b.consumedMs - sum) < 1e-9)
    assert.ok(b.consumedMs > 0)
    const worst = Math.max(...rs.map((r) => r.metrics.outageMs ?? 0))
    assert.equal(b.affordable.worst.perPeriod, Math.floor(262_800 / worst))
  })
})
