/**
 * The fault journal: a drill's entry is opened before its first side effect (before the capture, the probes,
 * the pollers and the fault), holding the fault's revert and every helper process as it starts, so that
 * `hachaos recover` can end the helpers and undo the fault after a crash, a lost SSH session or SIGKILL,
 * whatever the moment. Every write is atomic and fsync'd (src/util/atomic.ts): a crash leaves the previous
 * or the new version of an entry, never half of one.
 */
import {mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'

import type {FaultPlan} from '../fault/types.js'
import {writeFileAtomic} from '../util/atomic.js'
import {journalDir} from './paths.js'
import {jsonFileProblem, storeWrite} from './store-error.js'

/**
 * planned: observers may run, the fault is not injected (recover ends the helpers and skips the revert);
 * injecting … revert-failed: the fault may be in place (recover reverts it, each step being idempotent);
 * failback: reverted, observers still watching the failback (recover ends the helpers);
 * reverted / not-injected: closed (moved to journal/done/).
 */
export type JournalState = 'planned' | 'injecting' | 'injected' | 'reverting' | 'failback' | 'reverted' | 'revert-failed' | 'not-injected'

export interface JournalHelper {
  host: string
  /** A process on this machine (the local end: `ip netns exec`, nsenter or the ssh client). */
  pid: number
  argv: string[]
  /** /proc/PID/stat start time when recorded: `recover` never signals a recycled PID. */
  pidStart?: string | null
}

export interface JournalEntry {
  schema: 'hachaos.journal/1'
  id: string
  runId: string
  /** PID and machine of the hachaos process that injected it. */
  pid: number
  machine: string
  startedAt: string
  updatedAt: string
  state: JournalState
  plan: FaultPlan
  /** Observer processes the drill started (capture, probes): ended by `recover` if the drill died. */
  helpers: JournalHelper[]
  /** Lock keys the drill holds (src/store/locks.ts): `recover` takes the same while it reverts. */
  locks?: string[]
  errors: string[]
}

function write(e: JournalEntry, dir: string): void {
  const file = journalFile(e.id, dir)
  storeWrite(file, 'the fault journal entry', () => writeFileAtomic(file, `${JSON.stringify(e, null, 2)}\n`, 0o600))
}

export function journalFile(id: string, dir = journalDir()): string {
  return join(dir, `${id}.json`)
}

/** Open the entry (state planned): before anything is started or changed. */
export function openJournal(runId: string, plan: FaultPlan, dir = journalDir(), locks: string[] = []): JournalEntry {
  const now = new Date().toISOString()
  const e: JournalEntry = {
    schema: 'hachaos.journal/1',
    id: `${runId}-${plan.kind}`,
    runId,
    pid: process.pid,
    machine: hostname(),
    startedAt: now,
    updatedAt: now,
    state: 'planned',
    plan,
    helpers: [],
    ...(locks.length === 0 ? {} : {locks}),
    errors: [],
  }
  write(e, dir)
  return e
}

/**
 * Record the helper processes (all of them so far; helpers already recorded stay, even once they exit, so
 * that a PID is never forgotten). Writes only when something is new; returns whether it wrote.
 */
export function recordHelpers(e: JournalEntry, helpers: JournalHelper[], dir = journalDir()): boolean {
  const key = (h: JournalHelper): string => `${h.host}\0${h.pid}`
  const known = new Set(e.helpers.map(key))
  const fresh = helpers.filter((h) => !known.has(key(h)))
  if (fresh.length === 0) return false
  e.helpers = [...e.helpers, ...fresh]
  e.updatedAt = new Date().toISOString()
  write(e, dir)
  return true
}

export function updateJournal(e: JournalEntry, state: JournalState, errors: string[] = [], dir = journalDir()): void {
  e.state = state
  e.updatedAt = new Date().toISOString()
  e.errors = [...e.errors, ...errors]
  write(e, dir)
}

/**
 * A reverted (or never injected) entry leaves the open set: moved to journal/done/ (kept for the record).
 * `how` is 'not-injected' when the drill ended before its fault.
 */
export function closeJournal(e: JournalEntry, dir = journalDir(), how: 'reverted' | 'not-injected' = 'reverted'): void {
  updateJournal(e, how, [], dir)
  const done = join(dir, 'done')
  const file = journalFile(e.id, dir)
  storeWrite(done, 'the journal directory', () => mkdirSync(done, {recursive: true}))
  try {
    renameSync(file, join(done, `${e.id}.json`))
  } catch {
    storeWrite(file, 'the fault journal entry', () => unlinkSync(file))
  }
}

export interface UnreadableEntry {
  file: string
  reason: string
  /** What to do about it. */
  suggestion: string
}

export interface OpenEntries {
  entries: JournalEntry[]
  unreadable: UnreadableEntry[]
}

/** An entry's revert, if any part of a damaged file still shows it, for the message. */
function revertHint(text: string): string {
  const at = text.indexOf('"revert"')
  const whats = at < 0 ? [] : [...text.slice(at).matchAll(/"what"\s*:\s*"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1])
  return whats.length > 0 ? `its revert steps were: ${whats.join('; ')}` : 'its revert steps are under "plan" → "revert" in the file'
}

/** Entries not yet reverted. */
export function openEntries(dir = journalDir()): OpenEntries {
  let names: string[] = []
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {entries: [], unreadable: []}
    return {entries: [], unreadable: [{file: dir, reason: `cannot list the journal: ${(err as Error).message}`, suggestion: `check the permissions of ${dir} (or HACHAOS_HOME)`}]}
  }
  const entries: JournalEntry[] = []
  const unreadable: UnreadableEntry[] = []
  for (const n of names.sort()) {
    const file = join(dir, n)
    let text = ''
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      unreadable.push({file, reason: `cannot read it: ${(err as Error).message}`, suggestion: `check its permissions (ls -l ${file})`})
      continue
    }
    let v: Partial<JournalEntry>
    try {
      v = JSON.parse(text) as Partial<JournalEntry>
    } catch (err) {
      unreadable.push({
        file,
        reason: jsonFileProblem(text, err),
        suggestion: `the fault it recorded may still be in place: ${revertHint(text)}; undo it by hand (or fix the JSON and run hachaos recover again), then move the file to ${join(dir, 'done')}/`,
      })
      continue
    }
    if (v.schema !== 'hachaos.journal/1' || typeof v.id !== 'string' || v.plan === undefined || !Array.isArray(v.plan.revert)) {
      unreadable.push({file, reason: 'not a hachaos.journal/1 entry (schema, id or plan.revert missing)', suggestion: `move it out of ${dir} if it is not hachaos's; if it is, check its revert by hand`})
      continue
    }
    const e = {...v, helpers: Array.isArray(v.helpers) ? v.helpers : [], errors: Array.isArray(v.errors) ? v.errors : []} as JournalEntry
    if (e.state !== 'reverted' && e.state !== 'not-injected') entries.push(e)
  }
  return {entries, unreadable}
}

/** Did the fault of this entry possibly reach the hosts? (planned: observers only.) */
export function mayBeInjected(e: JournalEntry): boolean {
  return e.state !== 'planned' && e.state !== 'failback' && e.state !== 'not-injected' && e.state !== 'reverted'
}

/** Is the process that owns an entry still running (on this machine)? */
export function ownerAlive(e: JournalEntry): boolean {
  if (e.machine !== hostname()) return false
  try {
    process.kill(e.pid, 0)
    const cmd = readFileSync(`/proc/${e.pid}/cmdline`, 'utf8')
    return cmd.includes('hachaos') || cmd.includes('run.js') || cmd.includes('node')
  } catch {
    return false
  }
}
