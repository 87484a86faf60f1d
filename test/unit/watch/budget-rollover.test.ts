/**
 * The watch's budget gauge (src/watch/stats.ts) at the calendar month boundary (UTC): with a real incident
 * record of the keepalived lab (test/fixtures/watch: lb1 → lb2, its client downtime by src/sla
 * drillDowntimeMs), the budget left is the month's allowance less the store's downtime and this watch's
 * incidents of the month — and at 00:00:00.000 UTC on the 1st it starts again from the full allowance.
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import {drillDowntimeMs} from '../../../src/sla/budget.js'
import {allowedDowntimeMs} from '../../../src/sla/nines.js'
import type {DrillRun} from '../../../src/store/run-types.js'
import type {Incident} from '../../../src/watch/incidents.js'
import {WatchStats, utcMonthStartMs} from '../../../src/watch/stats.js'
import {fixturePath} from '../../fixture.js'

const run = JSON.parse(readFileSync(fixturePath('watch', '20261206T003953Z-lb1-incident-7d78.json'), 'utf8')) as DrillRun
const at = (iso: string): Incident => ({run: {...run, startedAt: iso}, measuredMs: null, predictedMs: null, outageMs: run.metrics.outageMs ?? 0, splitBrainMs: 0, changes: 1})
const FULL = allowedDowntimeMs(0.9999, 'month')

describe('watch: the budget gauge at the month boundary (UTC)', () => {
  const down = drillDowntimeMs(run) ?? 0

  it('the fixture incident costs its client downtime', () => {
    assert.ok(down > 3000 && down < 6000, `${down} ms`)
  })

  it('31 Dec 23:59:59.999 → 1 Jan 00:00:00.000: the store\'s and the watch\'s downtime of December stop counting', () => {
    const s = new WatchStats(0.9999, 60_000, Date.parse('2026-12-06T03:00:00Z'))
    s.incident(at('2026-12-31T23:59:50.000Z'))
    assert.equal(s.budgetRemainingMs(Date.parse('2026-12-31T23:59:59.999Z')), FULL - 60_000 - down)
    assert.equal(s.budgetRemainingMs(Date.parse('2027-01-01T00:00:00.000Z')), FULL)
    assert.equal(s.monthStartMs, Date.parse('2027-01-01T00:00:00Z'))
    // January's incidents count in January
    s.incident(at('2027-01-01T00:00:05.000Z'))
    assert.equal(s.budgetRemainingMs(Date.parse('2027-01-01T00:01:00Z')), FULL - down)
    // an incident that began in December and closed in January is December's
    s.incident(at('2026-12-31T23:59:58.000Z'))
    assert.equal(s.budgetRemainingMs(Date.parse('2027-01-01T00:02:00Z')), FULL - down)
    // the totals since the watch began are not reset (they are counters)
    assert.equal(s.incidents, 3)
    assert.equal(s.outageMsTotal, 3 * (run.metrics.outageMs ?? 0))
  })

  it('an incident arriving first in the new month rolls the month too; leap February and 30-day months', () => {
    const s = new WatchStats(0.9999, 10_000, Date.parse('2028-02-29T23:00:00Z'))
    assert.equal(s.budgetRemainingMs(Date.parse('2028-02-29T23:59:59.999Z')), FULL - 10_000)
    s.incident(at('2028-03-01T00:00:00.000Z'))
    assert.equal(s.monthStartMs, Date.parse('2028-03-01T00:00:00Z'))
    assert.equal(s.budgetRemainingMs(Date.parse('2028-03-01T00:00:01Z')), FULL - down)
    assert.equal(utcMonthStartMs(Date.parse('2026-04-30T23:59:59.999Z')), Date.parse('2026-04-01T00:00:00Z'))
    assert.equal(utcMonthStartMs(Date.parse('2026-05-01T00:00:00Z')), Date.parse('2026-05-01T00:00:00Z'))
    // a clock stepping back does not undo a rollover
    assert.equal(s.budgetRemainingMs(Date.parse('2028-02-29T23:59:59Z')), FULL - down)
  })
})
