/**
 * Availability objectives ("nines") and the downtime they allow.
 *
 * allowed downtime = (1 − availability) × service time of the period (src/sla/calendar.ts). Exact arithmetic
 * in ms; rounding happens only when a value is printed (formatDowntime), and the rule is stated there.
 */
import {HachaosError} from '../errors.js'
import {CALENDAR_24X7, calendarLabel, periodMs, type Calendar, type Period} from './calendar.js'

export {PERIODS, type Calendar, type Period} from './calendar.js'

export interface Objective {
  /** 0 < availability ≤ 1 */
  availability: number
  /** "99.99 %" */
  label: string
  /** −log10(1 − availability): 4 for 99.99 %, Infinity for 100 %. */
  nines: number
}

/** The seeds' rows, and the default targets of `hachaos nines`. */
export const DEFAULT_TARGETS: readonly string[] = ['99', '99.9', '99.99', '99.999', '99.9999']

const NUM = /^(\d+(?:\.\d*)?|\.\d+)$/

function objectiveError(text: string, why: string, ...suggestions: string[]): HachaosError {
  return new HachaosError(`"${text}" is not an availability objective: ${why}`, {
    code: 'E_OBJECTIVE',
    exit: 'USAGE',
    suggestions: suggestions.length > 0 ? suggestions : ['write 99.99, 99.99%, 0.9999, or a count of nines such as 4 (or 3.5 with --nines)'],
  })
}

/**
 * The percentage as a short decimal string: 99.99, 99.95, 99.9684 (3.5 nines), 100. Keeps three significant
 * digits of the unavailability (1 − a), then drops trailing zeros, so float noise never shows.
 */
export function percentText(availability: number): string {
  const u = (1 - availability) * 100
  if (u <= 0) return '100'
  const decimals = Math.min(12, Math.max(0, Math.ceil(-Math.log10(u) - 1e-9) + 2))
  return String(Number((100 - u).toFixed(decimals)))
}

function fromAvailability(a: number, text: string, label?: string): Objective {
  if (!(a > 0 && a <= 1) || !Number.isFinite(a)) throw objectiveError(text, 'availability must be above 0 % and at most 100 %')
  return {availability: a, label: `${label ?? percentText(a)} %`, nines: a === 1 ? Infinity : Number((-Math.log10(1 - a)).toPrecision(10))}
}

/**
 * Parse an objective: `99.99`, `99.99%`, `99.99 %`, `0.9999`, or a count of nines `4`.
 * Told apart by form: a trailing % is a percentage; a decimal below 1 (0.9999) is a fraction; a bare integer
 * 1–9 is a count of nines (nobody targets 4 % availability); other numbers from 10 to 100 are percentages.
 * A decimal between 1 and 10 (3.5) is ambiguous and refused unless `opts.nines` says it is a count of nines.
 * With `opts.nines`, the text is always a count of nines (fractional counts allowed: 3.5 → 99.9684 %).
 * Throws HachaosError (exit USAGE) with a suggestion.
 */
export function parseObjective(text: string, opts: {nines?: boolean} = {}): Objective {
  const raw = text.trim()
  const pct = raw.endsWith('%')
  const num = (pct ? raw.slice(0, -1) : raw).trim()
  if (!NUM.test(num)) throw objectiveError(text, 'not a number')
  const v = Number(num)
  if (opts.nines === true) {
    if (pct) throw objectiveError(text, 'a count of nines has no % sign', `drop --nines to read ${raw} as a percentage`)
    if (!(v > 0 && v <= 15)) throw objectiveError(text, 'a count of nines must be above 0 and at most 15')
    // An integer count is written out as a decimal (0.9999), so it parses to the nearest double of that decimal.
    const a = Number.isInteger(v) ? Number(`0.${'9'.repeat(v)}`) : 1 - 10 ** -v
    return fromAvailability(a, text)
  }
  if (pct) return percent(num, text)
  if (/^[1-9]$/.test(num)) return parseObjective(num, {nines: true})
  if (v < 1) return fromAvailability(v, text, String(Number(`${num}e2`)))
  if (v === 1 && num.includes('.')) return fromAvailability(1, text)
  if (v < 10) throw objectiveError(text, `ambiguous: ${num} % or ${num} nines?`, `write ${num}% for a percentage`, `use --nines for ${num} nines`)
  return percent(num, text)
}

function percent(num: string, text: string): Objective {
  const v = Number(num)
  if (!(v > 0 && v <= 100)) throw objectiveError(text, 'a percentage must be above 0 and at most 100')
  // "99.99e-2" parses straight to the double nearest 0.9999 (99.99 / 100 would give 0.9998999999999999).
  return fromAvailability(Number(`${num}e-2`), text, String(Number(num)))
}

/** Allowed downtime in ms for the availability over the period's service time. */
export function allowedDowntimeMs(availability: number, period: Period, calendar: Calendar = CALENDAR_24X7): number {
  return (1 - availability) * periodMs(period, calendar)
}

/** The inverse: the availability reached with `downtimeMs` of downtime in the period (0..1). */
export function availabilityFor(downtimeMs: number, period: Period, calendar: Calendar = CALENDAR_24X7): number {
  const service = periodMs(period, calendar)
  if (!(downtimeMs >= 0) || downtimeMs > service) {
    throw new HachaosError(`a downtime of ${formatDowntime(downtimeMs)} does not fit in a ${period} of ${formatDowntime(service)} service time`, {
      code: 'E_DOWNTIME_RANGE',
      exit: 'USAGE',
      suggestions: ['give a downtime between 0 and the period\'s service time, or a longer --period'],
    })
  }
  return 1 - downtimeMs / service
}

/**
 * How many outages of `outageMs` fit in the period's budget: floor(budget / outage).
 * A relative 1e-9 slack keeps an exact fit (budget = n × outage) from losing one to float rounding.
 * Infinity when the outage is 0.
 */
export function failoversAffordable(outageMs: number, availability: number, period: Period, calendar: Calendar = CALENDAR_24X7): number {
  if (!(outageMs >= 0)) throw new RangeError(`outage must be ≥ 0 ms, got ${outageMs}`)
  if (outageMs === 0) return Infinity
  const q = allowedDowntimeMs(availability, period, calendar) / outageMs
  return Math.floor(q * (1 + 1e-9))
}

export const PERIOD_ADJ: Record<Period, string> = {year: 'yearly', quarter: 'quarterly', month: 'monthly', week: 'weekly', day: 'daily'}

/**
 * One sentence for a failover report, e.g.
 * "2.9 s outage: a 99.99 % monthly budget (4m 23s) allows 90 of these".
 * The calendar is named when it is not the default (24x7, 365-day year).
 */
export function budgetLine(outageMs: number, availability = 0.9999, period: Period = 'month', calendar: Calendar = CALENDAR_24X7): string {
  const budget = allowedDowntimeMs(availability, period, calendar)
  const n = failoversAffordable(outageMs, availability, period, calendar)
  const label = calendarLabel(calendar)
  const cal = label === '24x7' ? '' : `, ${label}`
  const head = `${formatOutage(outageMs)} outage: a ${percentText(availability)} % ${PERIOD_ADJ[period]} budget (${formatDowntime(budget)}${cal})`
  if (n === Infinity) return `${head} is not touched by it`
  if (n === 0) return `${head} allows none of these: one uses ${Math.round((outageMs / Math.max(budget, Number.MIN_VALUE)) * 100)} % of it`
  return `${head} allows ${n} of these`
}

/** An outage, to the ms: "609 ms", "2.9 s", "3.609 s", "1m 13s". */
export function formatOutage(ms: number): string {
  if (!Number.isFinite(ms)) return '—'
  if (Math.abs(ms) < 1000) return `${Number(ms.toFixed(ms < 10 ? 2 : 0))} ms`
  if (Math.abs(ms) < 60_000) return `${Number((ms / 1000).toFixed(3))} s`
  return formatDowntime(ms)
}

/**
 * A downtime allowance as the seeds print them, with a stated rounding rule:
 *   ≥ 10 s: whole seconds, half up, as "3d 14h 56m 18s" (from the largest non-zero unit down to seconds);
 *   1 s – 10 s: tenths of a second, half up ("2.6s"; a tenth that rounds up to 10 s prints as "10s");
 *   below 1 s: whole milliseconds ("86ms"), below 1 ms: µs ("864µs").
 * Values are first rounded to the µs so that float noise (…0.49999999) cannot flip a half.
 */
export function formatDowntime(ms: number): string {
  if (!Number.isFinite(ms)) return '—'
  if (ms < 0) return `-${formatDowntime(-ms)}`
  const clean = Math.round(ms * 1000) / 1000
  if (clean < 1) return `${Math.round(clean * 1000)}µs`
  if (clean < 1000) return `${Math.round(clean)}ms`
  if (clean < 10_000) {
    const tenths = Math.round(clean / 100)
    return tenths >= 100 ? '10s' : `${(tenths / 10).toFixed(1)}s`
  }
  let s = Math.round(clean / 1000)
  const d = Math.floor(s / 86_400)
  s -= d * 86_400
  const h = Math.floor(s / 3600)
  s -= h * 3600
  const m = Math.floor(s / 60)
  s -= m * 60
  const parts: string[] = []
  if (d > 0) parts.push(`${d}d`)
  if (d > 0 || h > 0) parts.push(`${h}h`)
  if (d > 0 || h > 0 || m > 0) parts.push(`${m}m`)
  parts.push(`${s}s`)
  return parts.join(' ')
}

export interface NinesRow {
  objective: Objective
  /** Exact allowed downtime per period, ms. */
  allowedMs: Record<Period, number>
}

/** The nines table: allowed downtime per period for each objective. */
export function ninesTable(objectives: Objective[], calendar: Calendar = CALENDAR_24X7): NinesRow[] {
  return objectives.map((objective) => ({
    objective,
    allowedMs: {
      year: allowedDowntimeMs(objective.availability, 'year', calendar),
      quarter: allowedDowntimeMs(objective.availability, 'quarter', calendar),
      month: allowedDowntimeMs(objective.availability, 'month', calendar),
      week: allowedDowntimeMs(objective.availability, 'week', calendar),
      day: allowedDowntimeMs(objective.availability, 'day', calendar),
    },
  }))
}
