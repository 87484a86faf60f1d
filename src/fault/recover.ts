/**
 * `hachaos recover`: revert what killed drills left behind, from the journal. Each open entry holds the exact
 * revert actions (idempotent), the helper processes the drill had started and the locks it held. Recover
 * takes the same locks while it reverts (a new drill on that target waits for it: BUSY), ends the helpers
 * (and their children: the watchdog shell, tcpdump under it), then reverts — or, for a drill that died before
 * its fault, says it skipped the revert.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs'

import {errorMessage, isHachaosError} from '../errors.js'
import {leftoverSshMasters, sweepSshMasters, type LeftoverMaster} from '../exec/ssh.js'
import {terminate} from '../lab/netns-ops.js'
import {closeJournal, mayBeInjected, openEntries, ownerAlive, updateJournal, type JournalEntry, type JournalHelper, type UnreadableEntry} from '../store/journal.js'
import {LockSet, sweepStaleLocks} from '../store/locks.js'
import {pidStartOf} from '../util/proc.js'
import {runRevert} from './actions.js'

export interface RecoveredEntry {
  id: string
  runId: string
  target: string
  fault: string
  summary: string
  stateBefore: JournalEntry['state']
  /**
   * reverted: the fault's revert ran; not-injected: the drill died before its fault (the revert was skipped,
   * only its helpers were ended); observers-ended: reverted already, died during the failback;
   * skipped-busy: another live drill or recover holds its target.
   */
  action: 'reverted' | 'revert-failed' | 'skipped-owner-alive' | 'skipped-busy' | 'would-revert' | 'would-skip-not-injected' | 'not-injected' | 'observers-ended' | 'lab-gone'
  errors: string[]
  helpersEnded: number[]
}

export interface RecoverResult {
  entries: RecoveredEntry[]
  unreadable: UnreadableEntry[]
  /** Locks of drills that are gone (killed before they journaled anything), removed. */
  staleLocksRemoved: Array<{file: string; runId: string | null; pid: number | null}>
  /**
   * ssh ControlMasters of hachaos processes that are gone (their socket names the dead owner), ended (with
   * --dry-run: found). Those a drill journaled are ended with its helpers; this sweep also finds those opened
   * before its journal entry (while it read the configs).
   */
  sshMasters: LeftoverMaster[]
  ok: boolean
}

/** Is PID still the process we started (not a recycled PID)? */
export function sameProcess(h: Pick<JournalHelper, 'pid' | 'argv' | 'pidStart'>): boolean {
  if (h.pidStart !== undefined && h.pidStart !== null) return pidStartOf(h.pid) === h.pidStart
  try {
    const cmd = readFileSync(`/proc/${h.pid}/cmdline`, 'utf8').split('\0')
    const want = h.argv[0]?.split('/').pop() ?? ''
    return want !== '' && cmd.some((c) => c.split('/').pop() === want || c.endsWith(`/${want}`))
  } catch {
    return false
  }
}

/** PIDs of every descendant of `pid` (children of a watchdog shell, of nsenter …), from /proc. */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>()
  let names: string[] = []
  try {
    names = readdirSync('/proc').filter((n) => /^\d+$/.test(n))
  } catch {
    return []
  }
  for (const n of names) {
    try {
      const stat = readFileSync(`/proc/${n}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const list = children.get(ppid) ?? []
      list.push(Number(n))
      children.set(ppid, list)
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = []
  const todo = [pid]
  while (todo.length > 0) {
    const p = todo.pop() as number
    for (const c of children.get(p) ?? []) {
      out.push(c)
      todo.push(c)
    }
  }
  return out
}

/** End a dead drill's helpers and everything under them. Returns the PIDs signalled. */
export async function endHelpers(helpers: JournalHelper[]): Promise<number[]> {
  const live = helpers.filter(sameProcess).map((h) => h.pid)
  const all = [...new Set([...live, ...live.flatMap(descendantsOf)])]
  return all.length > 0 ? terminate(all, 2000) : []
}

export async function recover(opts: {force?: boolean; dryRun?: boolean; onProgress?: (m: string) => void} = {}): Promise<RecoverResult> {
  const progress = opts.onProgress ?? ((): void => undefined)
  const {entries, unreadable} = openEntries()
  const out: RecoveredEntry[] = []
  for (const e of entries) {
    const base = {id: e.id, runId: e.runId, target: e.plan.target, fault: e.plan.kind, summary: e.plan.summary, stateBefore: e.state}
    if (ownerAlive(e) && opts.force !== true) {
      out.push({...base, action: 'skipped-owner-alive', errors: [`drill process ${e.pid} is still running and will revert it itself`], helpersEnded: []})
      continue
    }
    const injected = mayBeInjected(e)
    if (opts.dryRun === true) {
      out.push({...base, action: injected ? 'would-revert' : 'would-skip-not-injected', errors: [], helpersEnded: []})
      continue
    }
    // The drill's own locks (stale: its process is gone) are taken over quietly; a live holder is another
    // drill or recover acting on that target now: leave the entry to a later recover.
    const locks = new LockSet({runId: `recover-${e.runId}`, what: 'recover', ownerRunId: e.runId})
    try {
      locks.acquire(e.locks ?? [])
    } catch (err) {
      if (isHachaosError(err) && err.exitName === 'BUSY') {
        out.push({...base, action: 'skipped-busy', errors: [err.message], helpersEnded: []})
        continue
      }
      throw err
    }
    try {
      // Observers first (a tcpdump or probe loop orphaned by the dead drill), then the fault.
      const ended = await endHelpers(e.helpers)
      if (!injected) {
        const afterRevert = e.state === 'failback'
        progress(`${e.plan.summary}: ${afterRevert ? 'reverted already (the drill died during the failback)' : `never injected (drill ${e.runId} died before its fault)`}; ended ${ended.length} helper process(es)`)
        closeJournal(e, undefined, afterRevert ? 'reverted' : 'not-injected')
        out.push({...base, action: afterRevert ? 'observers-ended' : 'not-injected', errors: [], helpersEnded: ended})
        continue
      }
      // A fault in a lab that has since been torn down has nothing left to revert.
      const labStates = e.plan.revert.flatMap((a) => (a.type === 'sleep' ? [] : [a.host.labState]))
      if (labStates.length > 0 && labStates.every((f) => f !== undefined && !existsSync(f))) {
        closeJournal(e)
        out.push({...base, action: 'lab-gone', errors: [], helpersEnded: ended})
        continue
      }
      progress(`reverting ${e.plan.summary}`)
      const r = await runRevert(e.plan.revert)
      if (r.ok) {
        closeJournal(e)
        out.push({...base, action: 'reverted', errors: [], helpersEnded: ended})
      } else {
        updateJournal(e, 'revert-failed', r.errors)
        out.push({...base, action: 'revert-failed', errors: r.errors, helpersEnded: ended})
      }
    } catch (err) {
      out.push({...base, action: 'revert-failed', errors: [errorMessage(err)], helpersEnded: []})
    } finally {
      locks.release()
    }
  }
  const swept = opts.dryRun === true ? [] : sweepStaleLocks().map((x) => ({file: x.file, runId: x.holder?.runId ?? null, pid: x.holder?.pid ?? null}))
  const masters = opts.dryRun === true ? await leftoverSshMasters() : await sweepSshMasters()
  for (const m of masters) if (m.pid !== null) progress(`${opts.dryRun === true ? 'would end' : 'ended'} ssh ControlMaster ${m.pid} of gone hachaos process ${m.ownerPid} (${m.socket})`)
  return {entries: out, unreadable, staleLocksRemoved: swept, sshMasters: masters, ok: out.every((x) => x.action !== 'revert-failed')}
}
