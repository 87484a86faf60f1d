/**
 * Calendar options as the CLI takes them (--calendar, --hours-per-day, --days, --holidays, --year-days, --year,
 * --month), turned into a Calendar or a usage error that says what was wrong. Shared by `nines` and `report`.
 */
import {HachaosError} from '../errors.js'
import {parseDuration} from '../time.js'
import {
  businessCalendar,
  calendar24x7,
  GREGORIAN_YEAR_DAYS,
  parseDays,
  parseIsoDay,
  PERIODS,
  SEEDS_YEAR_DAYS,
  validateCalendar,
  type Calendar,
  type Period,
  type YearConvention,
} from './calendar.js'

export interface CalendarOptions {
  calendar?: string
  hoursPerDay?: string | number
  days?: string
  holidays?: string
  yearDays?: string
  year?: string | number
  month?: string
}

const usage = (message: string, ...suggestions: string[]): HachaosError => new HachaosError(message, {code: 'E_CALENDAR', exit: 'USAGE', suggestions})

export function parseYearConvention(o: CalendarOptions): YearConvention {
  const given = [o.yearDays, o.year, o.month].filter((x) => x !== undefined).length
  if (given > 1) throw usage('--year-days, --year and --month each set the year convention: give one', '--year-days 365.2425, or --year 2026, or --month 2026-02')
  if (o.month !== undefined) {
    const m = /^(\d{4})-(\d{2})$/.exec(o.month.trim())
    if (m === null || Number(m[2]) < 1 || Number(m[2]) > 12) throw usage(`--month "${o.month}" is not YYYY-MM`, 'e.g. --month 2026-02')
    return {kind: 'calendar-month', year: Number(m[1]), month: Number(m[2])}
  }
  if (o.year !== undefined) {
    const y = String(o.year).trim()
    if (!/^\d{4}$/.test(y)) throw usage(`--year "${y}" is not YYYY`, 'e.g. --year 2026')
    return {kind: 'calendar-year', year: Number(y)}
  }
  if (o.yearDays === undefined) return {kind: 'days', days: 365}
  const t = o.yearDays.trim().toLowerCase()
  if (t === 'seeds') return {kind: 'days', days: SEEDS_YEAR_DAYS}
  if (t === 'gregorian') return {kind: 'days', days: GREGORIAN_YEAR_DAYS}
  const d = Number(t)
  if (!/^\d+(\.\d+)?$/.test(t) || !(d >= 360 && d <= 366)) {
    throw usage(`--year-days "${o.yearDays}" is not a year length`, 'use 365, 365.2425 (Gregorian mean), 366, or "seeds" (362.2425, the seeds\' tables)', 'or --year YYYY / --month YYYY-MM for a real calendar')
  }
  return {kind: 'days', days: d}
}

function parseHolidays(text: string): number | string[] {
  const t = text.trim()
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t)
  const dates = t.split(',').map((s) => s.trim()).filter((s) => s !== '')
  for (const d of dates) if (parseIsoDay(d) === null) throw usage(`--holidays: "${d}" is neither a count nor a date YYYY-MM-DD`, 'e.g. --holidays 10, or --holidays 2026-12-25,2026-12-26')
  return dates
}

export function calendarFromOptions(o: CalendarOptions): Calendar {
  const year = parseYearConvention(o)
  const businessFlags = [o.hoursPerDay, o.days, o.holidays].some((x) => x !== undefined)
  const kind = o.calendar ?? (businessFlags ? 'business' : '24x7')
  let cal: Calendar
  if (kind === '24x7') {
    if (businessFlags) throw usage('--hours-per-day, --days and --holidays describe business hours, not --calendar 24x7', 'drop --calendar 24x7, or use --calendar business')
    cal = calendar24x7(year)
  } else if (kind === 'business') {
    const hours = o.hoursPerDay === undefined ? undefined : Number(o.hoursPerDay)
    if (hours !== undefined && !(hours > 0 && hours <= 24)) throw usage(`--hours-per-day ${String(o.hoursPerDay)} must be in (0, 24]`, 'e.g. --hours-per-day 12')
    let days
    try {
      days = o.days === undefined ? undefined : parseDays(o.days)
    } catch (e) {
      throw usage(`--days: ${(e as Error).message}`, 'e.g. --days mon-fri, or --days mon,tue,wed,thu,fri,sat')
    }
    cal = businessCalendar({
      ...(hours === undefined ? {} : {hoursPerDay: hours}),
      ...(days === undefined ? {} : {days}),
      ...(o.holidays === undefined ? {} : {holidays: parseHolidays(o.holidays)}),
      year,
    })
  } else {
    throw usage(`--calendar "${kind}" is not known`, 'use --calendar 24x7 or --calendar business')
  }
  try {
    validateCalendar(cal)
  } catch (e) {
    throw usage(`calendar: ${(e as Error).message}`, 'check --hours-per-day, --days and --holidays')
  }
  return cal
}

export function parsePeriod(text: string): Period {
  const t = text.trim().toLowerCase().replace(/ly$/, '').replace(/^dai$/, 'day')
  if ((PERIODS as readonly string[]).includes(t)) return t as Period
  throw usage(`"${text}" is not a period`, `use one of ${PERIODS.join(', ')}`)
}

/** A duration flag (5m, 2.9s, 1h30m) in ms, or a usage error naming the flag. */
export function durationOption(flag: string, text: string): number {
  try {
    const v = parseDuration(text)
    if (!Number.isFinite(v) || v < 0) throw new Error(`"${text}" is negative`)
    return v
  } catch (e) {
    throw new HachaosError(`${flag}: ${(e as Error).message}`, {code: 'E_USAGE', exit: 'USAGE', suggestions: [`e.g. ${flag} 5m, ${flag} 2.9s, ${flag} 1h30m`]})
  }
}

/** --since: a duration back from now (30d, 12h) or a date/time (2026-11-01, 2026-11-01T08:00Z). Epoch ms. */
export function sinceOption(text: string, nowMs: number): number {
  const t = text.trim()
  if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    const v = Date.parse(t)
    if (Number.isNaN(v)) throw usage(`--since "${text}" is not a date`, 'e.g. --since 2026-11-01 or --since 30d')
    return v
  }
  try {
    return nowMs - parseDuration(t)
  } catch {
    throw new HachaosError(`--since "${text}" is neither a duration back from now (30d, 12h) nor a date (2026-11-01, 2026-11-01T08:00Z)`, {
      code: 'E_USAGE',
      exit: 'USAGE',
      suggestions: ['e.g. --since 30d, --since 12h, --since 2026-11-01'],
    })
  }
}
