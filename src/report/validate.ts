/**
 * The fields of a hachaos.run/1 record that the report reads, checked with zod before use, so that a damaged or
 * hand-edited run file is skipped with a reason (named in the report) instead of crashing it. Unknown fields
 * pass through: readers must ignore what they do not know.
 */
import {z} from 'zod'

import type {DrillRun} from '../store/run-types.js'

const num = z.number().finite()
const numOrNull = num.nullable()

const Event = z.looseObject({type: z.string(), t: num, host: z.string()})

const RunFields = z.looseObject({
  id: z.string().min(1),
  startedAt: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a date'),
  endedAt: z.string(),
  stack: z.string(),
  target: z.string(),
  fault: z.looseObject({kind: z.string(), params: z.record(z.string(), z.unknown())}),
  probe: z.looseObject({ratePerS: num, timeoutMs: num}).nullable(),
  prediction: z.looseObject({takeoverMs: numOrNull, minMs: numOrNull, maxMs: numOrNull, formula: z.string()}),
  metrics: z.looseObject({
    faultAtUs: num,
    revertAtUs: numOrNull,
    takeoverMs: numOrNull,
    takeoverFromLastAdvertMs: numOrNull,
    garpMs: numOrNull,
    outageMs: numOrNull,
    lostProbes: num,
    probesTotal: num,
    failbackMs: numOrNull,
    failbackOutageMs: numOrNull,
  }),
  splitBrain: z.array(z.looseObject({kind: z.string(), parties: z.array(z.string()), startUs: num, endUs: num, durationMs: num, evidence: z.string()})),
  reverted: z.boolean(),
  revertError: z.string().nullable(),
  warnings: z.array(z.string()),
  verdict: z.string(),
  verdictReasons: z.array(z.string()),
  events: z.array(Event),
})

const SummaryFields = RunFields.omit({events: true})

function first(r: {success: boolean; error?: z.ZodError}): string | null {
  if (r.success) return null
  const i = r.error?.issues[0]
  return i === undefined ? 'invalid record' : `${i.path.join('.') || '(record)'}: ${i.message}`
}

/** null when the run has what the report needs, else the first problem ("metrics.outageMs: expected number"). */
export function runProblem(run: DrillRun): string | null {
  return first(RunFields.safeParse(run))
}

/** The same check without the events (a summary from the run store: events are loaded only when drawn). */
export function summaryProblem(run: unknown): string | null {
  return first(SummaryFields.safeParse(run))
}

/**
 * The events of a run, checked when they are loaded for a timeline: what the timeline reads of every event
 * (type, t, host). A plain loop, not zod: a drawn drill has thousands of events and zod's per-value
 * bookkeeping made this the slowest step of a report; the message is the same shape ("events.12.t: …").
 */
export function eventsProblem(events: unknown): string | null {
  if (!Array.isArray(events)) return 'events: expected an array'
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as {type?: unknown; t?: unknown; host?: unknown} | null
    if (typeof e !== 'object' || e === null) return `events.${i}: expected an object`
    if (typeof e.type !== 'string') return `events.${i}.type: expected string`
    if (typeof e.t !== 'number' || !Number.isFinite(e.t)) return `events.${i}.t: expected a finite number`
    if (typeof e.host !== 'string') return `events.${i}.host: expected string`
  }
  return null
}
