import {Flags} from '@oclif/core'

import type {CalendarOptions} from '../src/sla/options.js'

/** Calendar flags shared by `hachaos nines` and `hachaos report` (parsed by src/sla/options.ts). */
export const calendarFlags = {
  calendar: Flags.string({
    description: 'Service calendar: 24x7 (default), or business hours (default 12 h × mon-fri, 10 holidays a year, as in the seeds).',
    options: ['24x7', 'business'],
    helpGroup: 'CALENDAR',
  }),
  'hours-per-day': Flags.string({description: 'Business hours per service day (implies --calendar business).', helpGroup: 'CALENDAR'}),
  days: Flags.string({description: 'Service weekdays, e.g. mon-fri or mon,wed,fri (implies --calendar business).', helpGroup: 'CALENDAR'}),
  holidays: Flags.string({description: 'Holidays a year (count), or dates 2026-12-25,2026-12-26 (implies --calendar business).', helpGroup: 'CALENDAR'}),
  'year-days': Flags.string({
    description: 'Year convention: 365 (default), 365.2425 (Gregorian mean), 366, or "seeds" (362.2425 days: reproduces the seeds\' tables).',
    helpGroup: 'CALENDAR',
  }),
  year: Flags.string({description: 'Use a real calendar year YYYY (its length and weekdays).', helpGroup: 'CALENDAR'}),
  month: Flags.string({description: 'Use a real month YYYY-MM (its length, its quarter and year).', helpGroup: 'CALENDAR'}),
}

export interface CalendarFlagValues {
  calendar?: string
  'hours-per-day'?: string
  days?: string
  holidays?: string
  'year-days'?: string
  year?: string
  month?: string
}

export function calendarOptions(f: CalendarFlagValues): CalendarOptions {
  return {
    ...(f.calendar === undefined ? {} : {calendar: f.calendar}),
    ...(f['hours-per-day'] === undefined ? {} : {hoursPerDay: f['hours-per-day']}),
    ...(f.days === undefined ? {} : {days: f.days}),
    ...(f.holidays === undefined ? {} : {holidays: f.holidays}),
    ...(f['year-days'] === undefined ? {} : {yearDays: f['year-days']}),
    ...(f.year === undefined ? {} : {year: f.year}),
    ...(f.month === undefined ? {} : {month: f.month}),
  }
}
