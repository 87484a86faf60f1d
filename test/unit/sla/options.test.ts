import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {HachaosError} from '../../../src/errors.js'
import {SEEDS_YEAR_DAYS} from '../../../src/sla/calendar.js'
import {calendarFromOptions, parsePeriod, sinceOption} from '../../../src/sla/options.js'

const isUsage = (e: unknown): boolean => e instanceof HachaosError && e.exitName === 'USAGE' && e.suggestions.length > 0

describe('calendar options', () => {
  it('defaults to 24x7 with a 365-day year', () => {
    assert.deepEqual(calendarFromOptions({}).year, {kind: 'days', days: 365})
    assert.equal(calendarFromOptions({}).kind, '24x7')
  })
  it('business flags imply --calendar business; --calendar business alone takes the seeds\' 12 h × mon-fri, 10 holidays', () => {
    const c = calendarFromOptions({hoursPerDay: '8'})
    assert.equal(c.kind, 'business')
    assert.equal(c.hoursPerDay, 8)
    const d = calendarFromOptions({calendar: 'business'})
    assert.deepEqual([d.hoursPerDay, d.days.join(','), d.holidays], [12, 'mon,tue,wed,thu,fri', 10])
    assert.deepEqual(calendarFromOptions({holidays: '2026-12-25,2026-12-26'}).holidays, ['2026-12-25', '2026-12-26'])
  })
  it('year conventions: 365.2425, seeds, --year, --month', () => {
    assert.deepEqual(calendarFromOptions({yearDays: '365.2425'}).year, {kind: 'days', days: 365.2425})
    assert.deepEqual(calendarFromOptions({yearDays: 'seeds'}).year, {kind: 'days', days: SEEDS_YEAR_DAYS})
    assert.deepEqual(calendarFromOptions({year: '2028'}).year, {kind: 'calendar-year', year: 2028})
    assert.deepEqual(calendarFromOptions({month: '2026-02'}).year, {kind: 'calendar-month', year: 2026, month: 2})
  })
  it('refuses contradictions and nonsense with a usage error and a suggestion', () => {
    for (const o of [
      {calendar: '24x7', hoursPerDay: '12'},
      {yearDays: '365', year: '2026'},
      {yearDays: '400'},
      {yearDays: 'lots'},
      {month: '2026-13'},
      {year: '26'},
      {hoursPerDay: '25'},
      {days: 'fri-mon'},
      {holidays: 'christmas'},
      {holidays: '400'},
      {calendar: 'weekends'},
    ]) {
      assert.throws(() => calendarFromOptions(o), isUsage, JSON.stringify(o))
    }
  })
  it('periods and --since', () => {
    assert.equal(parsePeriod('monthly'), 'month')
    assert.equal(parsePeriod('daily'), 'day')
    assert.throws(() => parsePeriod('fortnight'), isUsage)
    const now = Date.parse('2026-11-22T00:00:00Z')
    assert.equal(sinceOption('30d', now), now - 30 * 86_400_000)
    assert.equal(sinceOption('2026-11-01', now), Date.parse('2026-11-01'))
    assert.throws(() => sinceOption('last week', now), isUsage)
    assert.throws(() => sinceOption('2026-02-31x', now), isUsage)
  })
})
