/**
 * Service calendars: how much of a period counts as service time for an SLA.
 *
 * A calendar is 24x7 (every hour counts) or business hours (hoursPerDay on some weekdays, minus holidays).
 * The length of a year is a stated convention:
 *   - `{kind: 'days', days: 365}` (default) or 365.2425 (Gregorian mean), or any other stated length;
 *     quarter = year/4, month = year/12, week = 7 days, day = 1 day (averages);
 *   - `{kind: 'calendar-year', year}`: that real year (365 or 366 days, its real weekdays); quarter and month are
 *     that year's averages (year/4, year/12);
 *   - `{kind: 'calendar-month', year, month}`: that real month, the real quarter that holds it, its real year.
 * Week and day are always the average week and day of the year in force (service time × 7/yearDays, × 1/yearDays),
 * so that every period of the same calendar has the same share of service time and budgets add up.
 *
 * Date arithmetic is done by hand on UTC day numbers (Date.UTC): it is a few lines, and no library in the
 * project counts weekdays in a range.
 */
export type Period = 'year' | 'quarter' | 'month' | 'week' | 'day'
export const PERIODS: readonly Period[] = ['year', 'quarter', 'month', 'week', 'day']

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun'
/** In JavaScript's getUTCDay() order is sun=0; we list them mon first, as people write them. */
export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']

export type YearConvention =
  | {kind: 'days'; days: number}
  | {kind: 'calendar-year'; year: number}
  | {kind: 'calendar-month'; year: number; month: number /* 1..12 */}

export interface Calendar {
  kind: '24x7' | 'business'
  /** Service hours per service day (24 for 24x7). */
  hoursPerDay: number
  /** Service weekdays (all seven for 24x7). */
  days: Weekday[]
  /** Holidays per year (a count, on service days), or the dates themselves (YYYY-MM-DD). */
  holidays: number | string[]
  year: YearConvention
}

export const DAY_MS = 86_400_000
export const HOUR_MS = 3_600_000

/** 365.2425: the mean Gregorian year. */
export const GREGORIAN_YEAR_DAYS = 365.2425
/**
 * The year the seeds' nines tables were computed with: 365.2425 − 3 days. It is the only round figure that
 * reproduces every cell of the seeds' 24x7 table (each cell pins the year to [362.2425, 362.2436) days);
 * see README "## hachaos nines".
 */
export const SEEDS_YEAR_DAYS = 362.2425

export const CALENDAR_24X7: Calendar = {kind: '24x7', hoursPerDay: 24, days: [...WEEKDAYS], holidays: 0, year: {kind: 'days', days: 365}}

export interface BusinessOptions {
  hoursPerDay?: number
  days?: Weekday[]
  holidays?: number | string[]
  year?: YearConvention
}

export function businessCalendar(o: BusinessOptions = {}): Calendar {
  return {
    kind: 'business',
    hoursPerDay: o.hoursPerDay ?? 12,
    days: o.days ?? ['mon', 'tue', 'wed', 'thu', 'fri'],
    holidays: o.holidays ?? 10,
    year: o.year ?? {kind: 'days', days: 365},
  }
}

export function calendar24x7(year: YearConvention = {kind: 'days', days: 365}): Calendar {
  return {...CALENDAR_24X7, days: [...WEEKDAYS], year}
}

/** Throws a RangeError naming the first thing that makes no sense (callers turn it into a usage error). */
export function validateCalendar(c: Calendar): void {
  if (!(c.hoursPerDay > 0 && c.hoursPerDay <= 24)) throw new RangeError(`hours per day must be in (0, 24], got ${c.hoursPerDay}`)
  if (c.days.length === 0) throw new RangeError('a calendar needs at least one service weekday')
  for (const d of c.days) if (!WEEKDAYS.includes(d)) throw new RangeError(`"${String(d)}" is not a weekday (mon … sun)`)
  if (new Set(c.days).size !== c.days.length) throw new RangeError(`weekdays listed twice: ${c.days.join(',')}`)
  if (typeof c.holidays === 'number') {
    if (!(Number.isFinite(c.holidays) && c.holidays >= 0)) throw new RangeError(`holidays must be a count ≥ 0, got ${c.holidays}`)
  } else {
    for (const h of c.holidays) if (parseIsoDay(h) === null) throw new RangeError(`holiday "${h}" is not a date YYYY-MM-DD`)
  }
  const y = c.year
  if (y.kind === 'days' && !(y.days >= 28 && y.days <= 400)) throw new RangeError(`a year of ${y.days} days makes no sense`)
  if (y.kind !== 'days' && !(Number.isInteger(y.year) && y.year >= 1970 && y.year <= 9999)) throw new RangeError(`year ${y.year} out of range 1970–9999`)
  if (y.kind === 'calendar-month' && !(Number.isInteger(y.month) && y.month >= 1 && y.month <= 12)) throw new RangeError(`month ${y.month} out of range 1–12`)
  const shareOfYear = serviceDaysPerYear(c)
  if (shareOfYear <= 0) throw new RangeError(`${holidayCount(c)} holidays leave no service days in the year`)
}

/** UTC day number (days since 1970-01-01) of YYYY-MM-DD, or null. */
export function parseIsoDay(s: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s)
  if (m === null) return null
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const ms = Date.UTC(y, mo - 1, d)
  const back = new Date(ms)
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null
  return ms / DAY_MS
}

const dayNumber = (y: number, month0: number, d = 1): number => Date.UTC(y, month0, d) / DAY_MS
const weekdayOf = (dayNum: number): Weekday => WEEKDAYS[(new Date(dayNum * DAY_MS).getUTCDay() + 6) % 7] as Weekday

/** Service weekdays in the day range [from, to). */
function serviceDaysIn(c: Calendar, from: number, to: number): number {
  let n = 0
  for (let d = from; d < to; d++) if (c.days.includes(weekdayOf(d))) n++
  return n
}

function holidayCount(c: Calendar): number {
  if (typeof c.holidays === 'number') return c.holidays
  return c.holidays.filter((h) => c.days.includes(weekdayOf(parseIsoDay(h) ?? 0))).length
}

/** A real range of days [from, to) for the anchored conventions. */
interface DayRange {
  from: number
  to: number
}

function realRange(y: YearConvention, period: 'year' | 'quarter' | 'month'): DayRange | null {
  if (y.kind === 'days') return null
  if (period === 'year') return {from: dayNumber(y.year, 0), to: dayNumber(y.year + 1, 0)}
  if (y.kind === 'calendar-year') return null // quarter/month of a calendar year: the year's averages
  const m0 = y.month - 1
  if (period === 'month') return {from: dayNumber(y.year, m0), to: dayNumber(y.year, m0 + 1)}
  const q0 = Math.floor(m0 / 3) * 3
  return {from: dayNumber(y.year, q0), to: dayNumber(y.year, q0 + 3)}
}

/** Calendar days in the year of the convention (365, 365.2425, 366 …). */
export function yearDays(y: YearConvention): number {
  if (y.kind === 'days') return y.days
  const r = realRange(y, 'year') as DayRange
  return r.to - r.from
}

/** Service days in the year (service weekdays − holidays), possibly fractional under an average year. */
function serviceDaysPerYear(c: Calendar): number {
  const r = realRange(c.year, 'year')
  if (r === null) return (yearDays(c.year) * c.days.length) / 7 - holidayCount(c)
  return serviceDaysIn(c, r.from, r.to) - holidaysIn(c, r, r)
}

/** Holidays falling in `range`: counted from the dates, or a count prorated by service days. */
function holidaysIn(c: Calendar, range: DayRange, year: DayRange): number {
  if (typeof c.holidays !== 'number') {
    return c.holidays.map(parseIsoDay).filter((d): d is number => d !== null && d >= range.from && d < range.to && c.days.includes(weekdayOf(d))).length
  }
  const inYear = serviceDaysIn(c, year.from, year.to)
  return inYear === 0 ? 0 : (c.holidays * serviceDaysIn(c, range.from, range.to)) / inYear
}

/** Calendar length of the period in ms (no service hours applied). */
export function calendarMs(period: Period, c: Calendar): number {
  const yd = yearDays(c.year)
  const r = period === 'year' || period === 'quarter' || period === 'month' ? realRange(c.year, period) : null
  if (r !== null) return (r.to - r.from) * DAY_MS
  switch (period) {
    case 'year':
      return yd * DAY_MS
    case 'quarter':
      return (yd / 4) * DAY_MS
    case 'month':
      return (yd / 12) * DAY_MS
    case 'week':
      return 7 * DAY_MS
    case 'day':
      return DAY_MS
  }
}

/** Service time in the period under the calendar, in ms. */
export function periodMs(period: Period, c: Calendar = CALENDAR_24X7): number {
  if (c.kind === '24x7' && c.days.length === 7 && c.hoursPerDay === 24 && holidayCount(c) === 0) return calendarMs(period, c)
  const dayMs = c.hoursPerDay * HOUR_MS
  const r = period === 'year' || period === 'quarter' || period === 'month' ? realRange(c.year, period) : null
  if (r !== null) {
    const year = realRange(c.year, 'year') as DayRange
    return (serviceDaysIn(c, r.from, r.to) - holidaysIn(c, r, year)) * dayMs
  }
  // Average periods: the year's service time, in proportion to calendar length.
  const yd = yearDays(c.year)
  return serviceDaysPerYear(c) * dayMs * (calendarMs(period, c) / (yd * DAY_MS))
}

const fmtNum = (n: number): string => String(Number(n.toFixed(4)))

/** One line saying which calendar and year convention is in force, e.g. "24x7, 365-day year (month = year/12)". */
export function describeCalendar(c: Calendar): string {
  const y = c.year
  let year: string
  if (y.kind === 'days') {
    const name = y.days === GREGORIAN_YEAR_DAYS ? ' (Gregorian mean)' : y.days === SEEDS_YEAR_DAYS ? ' (the seeds\' tables)' : ''
    year = `${fmtNum(y.days)}-day year${name}, quarter = year/4, month = year/12`
  } else if (y.kind === 'calendar-year') {
    year = `calendar year ${y.year} (${yearDays(y)} days), quarter = year/4, month = year/12`
  } else {
    const m = `${y.year}-${String(y.month).padStart(2, '0')}`
    const month = realRange(y, 'month') as DayRange
    const q = realRange(y, 'quarter') as DayRange
    year = `month ${m} (${month.to - month.from} days), its quarter (${q.to - q.from} days) and year ${y.year} (${yearDays(y)} days)`
  }
  if (c.kind === '24x7' && holidayCount(c) === 0) return `24x7, ${year}; week and day are averages of that year`
  const hol = typeof c.holidays === 'number' ? `${fmtNum(c.holidays)} holidays/year` : `${holidayCount(c)} holiday dates on service days`
  return `business hours ${fmtNum(c.hoursPerDay)} h × ${formatDays(c.days)}, ${hol}, ${year}; week and day are averages of that year`
}

/** mon,tue,wed,thu,fri → "mon-fri"; mon,wed → "mon,wed". */
export function formatDays(days: readonly Weekday[]): string {
  const idx = [...days].map((d) => WEEKDAYS.indexOf(d)).sort((a, b) => a - b)
  const contiguous = idx.every((v, i) => i === 0 || v === (idx[i - 1] as number) + 1)
  if (idx.length === 7) return 'mon-sun'
  if (contiguous && idx.length > 2) return `${WEEKDAYS[idx[0] as number]}-${WEEKDAYS[idx[idx.length - 1] as number]}`
  return idx.map((i) => WEEKDAYS[i]).join(',')
}

/** Parse "mon-fri", "mon,wed,fri", "sat-sun", "mon-sun". Throws RangeError. */
export function parseDays(text: string): Weekday[] {
  const out: Weekday[] = []
  for (const part of text.toLowerCase().split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^([a-z]{3})(?:-([a-z]{3}))?$/.exec(part)
    const a = m === null ? -1 : WEEKDAYS.indexOf(m[1] as Weekday)
    const b = m === null ? -1 : m[2] === undefined ? a : WEEKDAYS.indexOf(m[2] as Weekday)
    if (a < 0 || b < 0 || b < a) throw new RangeError(`"${part}" is not a weekday or a range like mon-fri`)
    for (let i = a; i <= b; i++) out.push(WEEKDAYS[i] as Weekday)
  }
  if (out.length === 0) throw new RangeError(`"${text}" names no weekday`)
  return [...new Set(out)]
}

/** A short name for one line of output: "24x7", "business 12 h × mon-fri, 10 holidays/yr, 365.2425-day year". */
export function calendarLabel(c: Calendar): string {
  const y = c.year
  const year =
    y.kind === 'days'
      ? y.days === 365
        ? ''
        : `, ${fmtNum(y.days)}-day year`
      : y.kind === 'calendar-year'
        ? `, year ${y.year}`
        : `, month ${y.year}-${String(y.month).padStart(2, '0')}`
  if (c.kind === '24x7' && holidayCount(c) === 0) return `24x7${year}`
  const hol = typeof c.holidays === 'number' ? `${fmtNum(c.holidays)} holidays/yr` : `${holidayCount(c)} holidays`
  return `business ${fmtNum(c.hoursPerDay)} h × ${formatDays(c.days)}, ${hol}${year}`
}
