/**
 * `hachaos recover`: revert what killed drills left behind, from the journal. Each open entry holds the exact
 * revert actions (idempotent) and the observer processes the drill had started.
 */
import {existsSync, readFileSync} from 'node:fs'

import {terminate} from '../lab/netns-ops.js'
import {closeJournal, openEntries, ownerAlive, updateJournal, type JournalEntry} from '../store/journal.js'
import {runRevert} from './actions.js'

export interface RecoveredEntry {
  id: string
  runId: string
  target: string
  fault: string
  summary: string
  stateBefore: JournalEntry['state']
  action: 'reverted' | 'revert-failed' | 'skipped-owner-alive' | 'would-revert' | 'lab-gone'
  errors: string[]
  helpersEnded: number[]
}

export interface RecoverResult {
  entries: RecoveredEntry[]
  unreadable: Array<{file: string; reason: string}>
  ok: boolean
}

/** Is PID still the process we started (not a recycled PID)? */
function sameProcess(pid: number, argv: string[]): boolean {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    const want = argv[0]?.split('/').pop() ?? ''
    return want !== '' && cmd.some((c) => c.split('/').pop() === want || c.endsWith(`/${want}`))
  } catch {
    return false
  }
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
    // A fault in a lab that has since been torn down has nothing left to revert.
    const labStates = e.plan.revert.flatMap((a) => (a.type === 'sleep' ? [] : [a.host.labState]))
    if (labStates.length > 0 && labStates.every((f) => f !== undefined && !existsSync(f))) {
      if (opts.dryRun !== true) closeJournal(e)
      out.push({...base, action: 'lab-gone', errors: [], helpersEnded: []})
      continue
    }
    if (opts.dryRun === true) {
      out.push({...base, action: 'would-revert', errors: [], helpersEnded: []})
      continue
    }
    // Observers first (a tcpdump or probe loop orphaned by the dead drill), then the fault.
    const helpers = (e.helpers ?? []).filter((h) => sameProcess(h.pid, h.argv)).map((h) => h.pid)
    const ended = helpers.length > 0 ? await terminate(helpers, 2000) : []
    progress(`reverting ${e.plan.summary}`)
    const r = await runRevert(e.plan.revert)
    if (r.ok) {
      closeJournal(e)
      out.push({...base, action: 'reverted', errors: [], helpersEnded: ended})
    } else {
      updateJournal(e, 'revert-failed', r.errors)
      out.push({...base, action: 'revert-failed', errors: r.errors, helpersEnded: ended})
    }
  }
  return {entries: out, unreadable, ok: out.every((x) => x.action !== 'revert-failed')}
}
