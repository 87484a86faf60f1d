import {Args, Flags} from '@oclif/core'

import {calendarLabel, describeCalendar, periodMs, PERIODS, type Calendar, type Period} from '../src/sla/calendar.js'
import {
  availabilityFor,
  DEFAULT_TARGETS,
  failoversAffordable,
  formatDowntime,
  formatOutage,
  ninesTable,
  parseObjective,
  percentText,
} from '../src/sla/nines.js'
import {calendarFromOptions, durationOption, parsePeriod} from '../src/sla/options.js'
import {HachaosCommand} from './_base.js'
import {calendarFlags, calendarOptions} from './_sla.js'

export interface NinesRowResult {
  target: string
  availability: number
  label: string
  nines: number | null
  /** Exact allowed downtime per period (ms) and as printed. */
  allowed: Record<Period, {ms: number; text: string}>
  /** With --outage: failovers of that outage that fit per period. */
  affordable?: Record<Period, number>
}

export interface NinesResult {
  calendar: Calendar
  calendarDetail: string
  serviceMs: Record<Period, number>
  rows: NinesRowResult[]
  outageMs: number | null
  inverse: {downtimeMs: number; period: Period; serviceMs: number; availability: number; label: string; nines: number | null} | null
}

/** Exact values in --json, to the µs: the arithmetic in floating point leaves noise below that (3153599.9999996526 ms). */
const roundUs = (ms: number): number => Math.round(ms * 1000) / 1000

const perPeriod = <T>(f: (p: Period) => T): Record<Period, T> => Object.fromEntries(PERIODS.map((p) => [p, f(p)])) as Record<Period, T>

export default class Nines extends HachaosCommand {
  static override summary = 'Allowed downtime per year, quarter, month, week and day for availability objectives (and the inverse).'
  static override description = `Targets: 99.99, 99.99%, 0.9999, or a count of nines (4; 3.5 with --nines). Without targets: the seeds'
rows 99 … 99.9999. Exact arithmetic under the stated calendar: 24x7 with a 365-day year by default;
--year-days 365.2425 / seeds, --year YYYY or --month YYYY-MM for other conventions; business hours with
--calendar business (12 h × mon-fri, 10 holidays) or --hours-per-day/--days/--holidays.
Printed values are rounded half up to whole seconds (tenths below 10 s, ms below 1 s); --json has exact ms.
The inverse: --downtime 5m --period month gives the availability reached.`

  static override examples = [
    '<%= config.bin %> nines',
    '<%= config.bin %> nines 99.95 4 0.99999',
    '<%= config.bin %> nines 3.5 --nines',
    '<%= config.bin %> nines --year-days seeds',
    '<%= config.bin %> nines --calendar business --hours-per-day 12 --days mon-fri --holidays 10',
    '<%= config.bin %> nines 99.99 --month 2026-02',
    '<%= config.bin %> nines 99.99 --outage 3.6s',
    '<%= config.bin %> nines --downtime 5m --period month',
    '<%= config.bin %> nines 99.99 --json',
  ]

  static override strict = false
  static override args = {target: Args.string({description: 'Objectives: 99.99, 99.99%, 0.9999 or 4 (nines). Several allowed.', ignoreStdin: true})}

  static override flags = {
    nines: Flags.boolean({description: 'Read every target as a count of nines (3 = 99.9 %, 3.5 = 99.968 %).'}),
    downtime: Flags.string({description: 'The inverse: availability reached with this much downtime in --period (e.g. 5m, 43m48s).'}),
    period: Flags.string({description: 'Period for --downtime: year, quarter, month, week or day.', default: 'month'}),
    outage: Flags.string({description: 'Also show how many outages of this length fit each period (e.g. 3.6s).'}),
    ...calendarFlags,
  }

  async run(): Promise<NinesResult> {
    const {flags, argv} = await this.parse(Nines)
    const calendar = calendarFromOptions(calendarOptions(flags))
    const targets = (argv as string[]).length > 0 ? (argv as string[]) : flags.downtime === undefined ? [...DEFAULT_TARGETS] : []
    const objectives = targets.map((t) => ({target: t, o: parseObjective(t, {nines: flags.nines})}))
    const outageMs = flags.outage === undefined ? null : durationOption('--outage', flags.outage)
    if (outageMs === 0) this.fail('--outage must be longer than 0', {code: 'E_USAGE', exit: 'USAGE', suggestions: ['e.g. --outage 3.6s']})
    const table = ninesTable(
      objectives.map((x) => x.o),
      calendar,
    )
    const rows: NinesRowResult[] = table.map((r, i) => ({
      target: (objectives[i] as {target: string}).target,
      availability: r.objective.availability,
      label: r.objective.label,
      nines: Number.isFinite(r.objective.nines) ? r.objective.nines : null,
      allowed: perPeriod((p) => ({ms: roundUs(r.allowedMs[p]), text: formatDowntime(r.allowedMs[p])})),
      ...(outageMs === null ? {} : {affordable: perPeriod((p) => failoversAffordable(outageMs, r.objective.availability, p, calendar))}),
    }))
    let inverse: NinesResult['inverse'] = null
    if (flags.downtime !== undefined) {
      const period = parsePeriod(flags.period)
      const downtimeMs = durationOption('--downtime', flags.downtime)
      const a = availabilityFor(downtimeMs, period, calendar)
      inverse = {downtimeMs, period, serviceMs: periodMs(period, calendar), availability: a, label: `${percentText(a)} %`, nines: a === 1 ? null : Number((-Math.log10(1 - a)).toPrecision(4))}
    }

    this.log(`calendar: ${describeCalendar(calendar)}`)
    if (rows.length > 0) {
      const header = ['objective', ...PERIODS]
      const cells = rows.map((r) => [r.label, ...PERIODS.map((p) => r.allowed[p].text)])
      const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)))
      const line = (c: string[]): string => c.map((x, i) => (i === 0 ? x.padEnd(widths[i] as number) : x.padStart(widths[i] as number))).join('  ')
      this.log('')
      this.log(`allowed downtime (${calendarLabel(calendar)})`)
      this.log(`  ${line(header)}`)
      for (const c of cells) this.log(`  ${line(c)}`)
      if (outageMs !== null) {
        this.log('')
        this.log(`outages of ${formatOutage(outageMs)} affordable`)
        this.log(`  ${line(header)}`)
        for (const r of rows) this.log(`  ${line([r.label, ...PERIODS.map((p) => String(r.affordable?.[p] ?? '—'))])}`)
      }
      this.log('')
      this.log('Rounded half up to whole seconds (tenths below 10 s, ms below 1 s); exact values with --json.')
      if (calendar.year.kind === 'days' && calendar.year.days === 365 && calendar.kind === '24x7') {
        this.log('The seeds\' tables used a 362.2425-day year: --year-days seeds reproduces them (README: hachaos nines).')
      }
    }
    if (inverse !== null) {
      this.log('')
      this.log(
        `${formatDowntime(inverse.downtimeMs)} of downtime in a ${inverse.period} (${formatDowntime(inverse.serviceMs)} of service time) = ${inverse.label} availability${inverse.nines === null ? '' : ` (${inverse.nines} nines)`}`,
      )
    }
    return {calendar, calendarDetail: describeCalendar(calendar), serviceMs: perPeriod((p) => periodMs(p, calendar)), rows, outageMs, inverse}
  }
}
