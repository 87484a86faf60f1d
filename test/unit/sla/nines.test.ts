import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import fc from 'fast-check'

import {HachaosError} from '../../../src/errors.js'
import {
  businessCalendar,
  calendar24x7,
  CALENDAR_24X7,
  DAY_MS,
  GREGORIAN_YEAR_DAYS,
  HOUR_MS,
  parseDays,
  periodMs,
  PERIODS,
  WEEKDAYS,
  type Calendar,
  type Weekday,
  type YearConvention,
} from '../../../src/sla/calendar.js'
import {allowedDowntimeMs, availabilityFor, budgetLine, failoversAffordable, formatDowntime, formatOutage, parseObjective} from '../../../src/sla/nines.js'

const relClose = (a: number, b: number, rel = 1e-9): boolean => Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b))

const arbYear: fc.Arbitrary<YearConvention> = fc.oneof(
  fc.constantFrom<YearConvention>({kind: 'days', days: 365}, {kind: 'days', days: GREGORIAN_YEAR_DAYS}, {kind: 'days', days: 366}),
  fc.integer({min: 1990, max: 2100}).map((year): YearConvention => ({kind: 'calendar-year', year})),
  fc.record({year: fc.integer({min: 1990, max: 2100}), month: fc.integer({min: 1, max: 12})}).map((r): YearConvention => ({kind: 'calendar-month', ...r})),
)
const arbDays: fc.Arbitrary<Weekday[]> = fc.subarray([...WEEKDAYS], {minLength: 1})
const arbBusiness: fc.Arbitrary<Calendar> = fc
  .record({hoursPerDay: fc.integer({min: 1, max: 24}), days: arbDays, holidays: fc.integer({min: 0, max: 20}), year: arbYear})
  .filter((c) => c.days.length >= 3) // 20 holidays need enough service days
  .map((c) => businessCalendar(c))
const arbCalendar: fc.Arbitrary<Calendar> = fc.oneof(arbYear.map((y) => calendar24x7(y)), arbBusiness)
const arbPeriod = fc.constantFrom(...PERIODS)
const arbAvailability = fc.double({min: 0.5, max: 0.9999999, noNaN: true})

describe('parseObjective', () => {
  it('reads 99.99, 99.99%, 99.99 %, 0.9999 and 4 as the same objective', () => {
    for (const t of ['99.99', '99.99%', '99.99 %', ' 0.9999 ', '4']) {
      const o = parseObjective(t)
      assert.equal(o.availability, 0.9999, t)
      assert.equal(o.label, '99.99 %', t)
      assert.equal(o.nines, 4, t)
    }
  })
  it('tells a count of nines from a percentage by form, or by --nines', () => {
    assert.equal(parseObjective('3').availability, 0.999)
    assert.equal(parseObjective('9').label, '99.9999999 %')
    assert.equal(parseObjective('95').availability, 0.95)
    assert.equal(parseObjective('3.5', {nines: true}).label, '99.9684 %')
    assert.equal(parseObjective('2', {nines: true}).availability, 0.99)
    assert.equal(parseObjective('100').availability, 1)
    assert.equal(parseObjective('100').nines, Infinity)
  })
  it('refuses ambiguous and impossible objectives with a usage error and a suggestion', () => {
    for (const t of ['3.5', 'abc', '', '0', '101', '99.99%%', '-99', '1e3', '0%', '100.1%']) {
      assert.throws(
        () => parseObjective(t),
        (e: unknown) => e instanceof HachaosError && e.exitName === 'USAGE' && e.suggestions.length > 0,
        t,
      )
    }
    assert.throws(() => parseObjective('99.9%', {nines: true}), HachaosError)
    assert.throws(() => parseObjective('16', {nines: true}), HachaosError)
  })
  it('round-trips: the label parses back to the same availability (property)', () => {
    fc.assert(
      fc.property(fc.integer({min: 1, max: 9_999_999}), (n) => {
        const pct = `${Math.floor(n / 100_000)}.${String(n % 100_000).padStart(5, '0')}`.replace(/\.?0+$/, '')
        if (Number(pct) < 10) return
        const o = parseObjective(pct)
        assert.equal(parseObjective(o.label.replace(' %', '%')).availability, o.availability)
      }),
    )
  })
})

describe('allowed downtime and its inverse (properties)', () => {
  it('availabilityFor(allowedDowntimeMs(a)) = a, for any calendar and period', () => {
    fc.assert(
      fc.property(arbAvailability, arbPeriod, arbCalendar, (a, p, c) => {
        assert.ok(relClose(availabilityFor(allowedDowntimeMs(a, p, c), p, c), a, 1e-12))
      }),
    )
  })
  it('allowedDowntimeMs(availabilityFor(d)) = d: the inverse of the inverse is the identity', () => {
    // Availability is a double near 1: its resolution is 2^-53, so a downtime is only known to within
    // period × 2^-53 (0.0035 µs for a year). The identity holds to that, plus a relative 1e-9.
    fc.assert(
      fc.property(fc.double({min: 0, max: 1, noNaN: true}), arbPeriod, arbCalendar, (share, p, c) => {
        const service = periodMs(p, c)
        const d = share * service
        const back = allowedDowntimeMs(availabilityFor(d, p, c), p, c)
        assert.ok(Math.abs(back - d) <= 1e-9 * d + 4 * Number.EPSILON * service, `${back} vs ${d}`)
      }),
    )
  })
  it('refuses a downtime longer than the period', () => {
    assert.throws(() => availabilityFor(2 * DAY_MS, 'day'), (e: unknown) => e instanceof HachaosError && e.exitName === 'USAGE')
    assert.throws(() => availabilityFor(-1, 'day'), HachaosError)
  })
  it('under an average year, periods add up: year = 4 quarters = 12 months; week = 7 days', () => {
    fc.assert(
      fc.property(arbAvailability, fc.constantFrom(365, GREGORIAN_YEAR_DAYS, 366), arbBusiness, (a, days, biz) => {
        for (const c of [calendar24x7({kind: 'days', days}), {...biz, year: {kind: 'days', days} as YearConvention}]) {
          const y = allowedDowntimeMs(a, 'year', c)
          assert.ok(relClose(y, 4 * allowedDowntimeMs(a, 'quarter', c)))
          assert.ok(relClose(y, 12 * allowedDowntimeMs(a, 'month', c)))
          assert.ok(relClose(allowedDowntimeMs(a, 'week', c), 7 * allowedDowntimeMs(a, 'day', c)))
          assert.ok(relClose(y, days * allowedDowntimeMs(a, 'day', c)))
        }
      }),
    )
  })
  it('24x7 vs business hours: ratio = hours/24 × (service days − holidays)/days of the year, in every period', () => {
    fc.assert(
      fc.property(arbAvailability, arbPeriod, fc.constantFrom(365, GREGORIAN_YEAR_DAYS), arbBusiness, (a, p, Y, b) => {
        const year: YearConvention = {kind: 'days', days: Y}
        const biz = {...b, year}
        const holidays = b.holidays as number
        const expected = (b.hoursPerDay / 24) * ((Y * b.days.length) / 7 - holidays) / Y
        assert.ok(relClose(allowedDowntimeMs(a, p, biz) / allowedDowntimeMs(a, p, calendar24x7(year)), expected, 1e-12))
      }),
    )
  })
  it('12 h × mon-fri without holidays is exactly 5/14 of 24x7', () => {
    const biz = businessCalendar({holidays: 0})
    for (const p of PERIODS) assert.ok(relClose(periodMs(p, biz) / periodMs(p, CALENDAR_24X7), 5 / 14, 1e-14), p)
  })
})

describe('real calendars', () => {
  it('years and months have their real length', () => {
    assert.equal(periodMs('year', calendar24x7({kind: 'calendar-year', year: 2024})), 366 * DAY_MS)
    assert.equal(periodMs('year', calendar24x7({kind: 'calendar-year', year: 2026})), 365 * DAY_MS)
    assert.equal(periodMs('month', calendar24x7({kind: 'calendar-month', year: 2028, month: 2})), 29 * DAY_MS)
    assert.equal(periodMs('month', calendar24x7({kind: 'calendar-month', year: 2026, month: 2})), 28 * DAY_MS)
    assert.equal(periodMs('quarter', calendar24x7({kind: 'calendar-month', year: 2026, month: 11})), 92 * DAY_MS)
    assert.equal(periodMs('quarter', calendar24x7({kind: 'calendar-month', year: 2026, month: 2})), 90 * DAY_MS)
  })
  it('counts real weekdays: 2026 has 261 mon-fri days, November 2026 has 21', () => {
    const y = businessCalendar({hoursPerDay: 8, holidays: 0, year: {kind: 'calendar-year', year: 2026}})
    assert.equal(periodMs('year', y), 261 * 8 * HOUR_MS)
    const m = businessCalendar({hoursPerDay: 8, holidays: 0, year: {kind: 'calendar-month', year: 2026, month: 11}})
    assert.equal(periodMs('month', m), 21 * 8 * HOUR_MS)
  })
  it('holiday dates count only on service days in the period; a count is prorated by service days', () => {
    // 2026-12-25 is a Friday, 2026-12-26 a Saturday: one business day off in December.
    const dates = businessCalendar({hoursPerDay: 8, holidays: ['2026-12-25', '2026-12-26'], year: {kind: 'calendar-month', year: 2026, month: 12}})
    assert.equal(periodMs('month', dates), (23 - 1) * 8 * HOUR_MS)
    const count = businessCalendar({hoursPerDay: 8, holidays: 10, year: {kind: 'calendar-month', year: 2026, month: 12}})
    assert.ok(relClose(periodMs('month', count), (23 - (10 * 23) / 261) * 8 * HOUR_MS))
  })
  it('parses weekday lists and ranges', () => {
    assert.deepEqual(parseDays('mon-fri'), ['mon', 'tue', 'wed', 'thu', 'fri'])
    assert.deepEqual(parseDays('sat,sun,mon'), ['sat', 'sun', 'mon'])
    assert.throws(() => parseDays('fri-mon'), RangeError)
    assert.throws(() => parseDays('monday'), RangeError)
  })
})

describe('failovers affordable and the budget line', () => {
  it('floor(budget / outage): n outages fit, n + 1 do not (property)', () => {
    fc.assert(
      fc.property(fc.double({min: 1, max: 600_000, noNaN: true}), arbAvailability, arbPeriod, arbCalendar, (outage, a, p, c) => {
        const n = failoversAffordable(outage, a, p, c)
        const budget = allowedDowntimeMs(a, p, c)
        assert.ok(n * outage <= budget * (1 + 1e-9))
        assert.ok((n + 1) * outage > budget)
      }),
    )
  })
  it('an exact fit is not lost to float rounding', () => {
    const budget = allowedDowntimeMs(0.9999, 'month')
    assert.equal(failoversAffordable(budget / 90, 0.9999, 'month'), 90)
  })
  it('states the outage, the objective, the period, the budget and the count', () => {
    // 99.99 % of a 365/12-day month = 262.8 s; 262.8 / 2.9 = 90.6
    assert.equal(budgetLine(2900), '2.9 s outage: a 99.99 % monthly budget (4m 23s) allows 90 of these')
    assert.equal(budgetLine(3609, 0.999, 'week'), '3.609 s outage: a 99.9 % weekly budget (10m 5s) allows 167 of these')
    assert.match(budgetLine(3609, 0.9999, 'month', businessCalendar()), /^3\.609 s outage: a 99\.99 % monthly budget \(1m 30s, business 12 h × mon-fri, 10 holidays\/yr\) allows 25 of these$/)
    assert.match(budgetLine(400_000), /allows none of these: one uses 152 % of it$/)
  })
})

describe('formatting', () => {
  it('rounds half up to whole seconds from 10 s, tenths below, ms below 1 s', () => {
    assert.equal(formatDowntime(312_977_520), '3d 14h 56m 18s')
    assert.equal(formatDowntime(9_499), '9.5s')
    assert.equal(formatDowntime(9_960), '10s')
    assert.equal(formatDowntime(10_500), '11s')
    assert.equal(formatDowntime(3_600_000), '1h 0m 0s')
    assert.equal(formatDowntime(864.2), '864ms')
    assert.equal(formatDowntime(0.5), '500µs')
    assert.equal(formatOutage(609.4), '609 ms')
    assert.equal(formatOutage(3609.375), '3.609 s')
  })
})
