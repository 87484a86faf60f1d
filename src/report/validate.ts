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
const Events = z.array(Event)

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

/** The events of a run, checked when they are loaded for a timeline. */
export function eventsProblem(events: unknown): string | null {
  const p = first(Events.safeParse(events))
  return p === null ? null : `events${p.startsWith('(record)') ? p.slice(8) : `.${p}`}`
}
