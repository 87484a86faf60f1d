/**
 * A drill's journal entry, from its first side effect to its end (src/store/journal.ts): opened (planned)
 * before any observer starts, every helper process recorded as it appears, then injecting → injected →
 * reverting → closed (reverted), or closed as not-injected when the drill ends before its fault.
 */
import type {FaultPlan} from '../fault/types.js'
import {pidStartOf} from '../util/proc.js'
import {closeJournal, openJournal, recordHelpers, updateJournal, type JournalEntry, type JournalHelper, type JournalState} from '../store/journal.js'

/** How often the helper list is looked at while observers run (a new PID is journaled within this). */
export const HELPER_WATCH_MS = 20

export class DrillJournal {
  private timer: NodeJS.Timeout | undefined
  private closed = false

  private constructor(
    readonly entry: JournalEntry,
    private readonly helpers: () => JournalHelper[],
  ) {}

  /** Open the entry before anything is started. Throws a store error (path, what to do) when it cannot. */
  static open(runId: string, plan: FaultPlan, helpers: () => JournalHelper[], locks: string[] = []): DrillJournal {
    return new DrillJournal(openJournal(runId, plan, undefined, locks), helpers)
  }

  /**
   * Record helper PIDs now, and keep watching for new ones (a capture's PID exists before it is ready; a
   * poller may start one later) until stopWatching(). One write per new PID; nothing otherwise.
   */
  watchHelpers(): void {
    this.recordNow()
    if (this.timer !== undefined) return
    this.timer = setInterval(() => {
      try {
        this.recordNow()
      } catch {
        // a full disk while observing: the next write (inject) reports it
      }
    }, HELPER_WATCH_MS)
    this.timer.unref()
  }

  recordNow(): void {
    if (this.closed) return
    const known = new Set(this.entry.helpers.map((h) => h.pid))
    const fresh = this.helpers().filter((h) => !known.has(h.pid))
    if (fresh.length > 0) recordHelpers(this.entry, fresh.map((h) => ({host: h.host, pid: h.pid, argv: h.argv, pidStart: h.pidStart ?? pidStartOf(h.pid)})))
  }

  stopWatching(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }

  state(s: Exclude<JournalState, 'reverted' | 'not-injected'>, errors: string[] = []): void {
    updateJournal(this.entry, s, errors)
  }

  /** During the revert: a journal write that fails (full disk) must not stop the revert; the warning says so. */
  tryState(s: Exclude<JournalState, 'reverted' | 'not-injected'>, warnings: string[], errors: string[] = []): void {
    try {
      this.state(s, errors)
    } catch (e) {
      warnings.push(`the journal could not be updated (${(e as Error).message}): \`hachaos recover\` may replay this drill's revert (harmless: every step is idempotent)`)
    }
  }

  /** The fault was reverted (or never injected): the entry leaves the open set. */
  close(how: 'reverted' | 'not-injected'): void {
    if (this.closed) return
    this.stopWatching()
    this.recordNow()
    this.closed = true
    closeJournal(this.entry, undefined, how)
  }
}
