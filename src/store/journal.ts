/**
 * The fault journal: before a fault is injected, its revert is written here (fsync'd), so that
 * `hachaos recover` can undo it after a crash, a lost SSH session or SIGKILL.
 */
import {mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'

import type {FaultPlan} from '../fault/types.js'
import {writeFileAtomic} from '../util/atomic.js'
import {journalDir} from './paths.js'

export type JournalState = 'planned' | 'injecting' | 'injected' | 'reverting' | 'reverted' | 'revert-failed'

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
  helpers: Array<{host: string; pid: number; argv: string[]}>
  errors: string[]
}

export function journalFile(id: string, dir = journalDir()): string {
  return join(dir, `${id}.json`)
}

export function openJournal(runId: string, plan: FaultPlan, dir = journalDir()): JournalEntry {
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
    errors: [],
  }
  writeFileAtomic(journalFile(e.id, dir), `${JSON.stringify(e, null, 2)}\n`, 0o600)
  return e
}

export function recordHelpers(e: JournalEntry, helpers: JournalEntry['helpers'], dir = journalDir()): void {
  e.helpers = helpers
  writeFileAtomic(journalFile(e.id, dir), `${JSON.stringify(e, null, 2)}\n`, 0o600)
}

export function updateJournal(e: JournalEntry, state: JournalState, errors: string[] = [], dir = journalDir()): void {
  e.state = state
  e.updatedAt = new Date().toISOString()
  e.errors = [...e.errors, ...errors]
  writeFileAtomic(journalFile(e.id, dir), `${JSON.stringify(e, null, 2)}\n`, 0o600)
}

/** A reverted entry leaves the open set: moved to journal/done/ (kept for the record). */
export function closeJournal(e: JournalEntry, dir = journalDir()): void {
  updateJournal(e, 'reverted', [], dir)
  const done = join(dir, 'done')
  mkdirSync(done, {recursive: true})
  try {
    renameSync(journalFile(e.id, dir), join(done, `${e.id}.json`))
  } catch {
    unlinkSync(journalFile(e.id, dir))
  }
}

export interface OpenEntries {
  entries: JournalEntry[]
  unreadable: Array<{file: string; reason: string}>
}

/** Entries not yet reverted. */
export function openEntries(dir = journalDir()): OpenEntries {
  let names: string[] = []
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'))
  } catch {
    return {entries: [], unreadable: []}
  }
  const entries: JournalEntry[] = []
  const unreadable: OpenEntries['unreadable'] = []
  for (const n of names.sort()) {
    const file = join(dir, n)
    try {
      const e = JSON.parse(readFileSync(file, 'utf8')) as JournalEntry
      if (e.schema !== 'hachaos.journal/1') throw new Error('not a hachaos journal entry')
      if (e.state !== 'reverted') entries.push(e)
    } catch (err) {
      unreadable.push({file, reason: (err as Error).message})
    }
  }
  return {entries, unreadable}
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
