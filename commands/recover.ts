import {Flags} from '@oclif/core'

import {recover, type RecoverResult} from '../src/fault/recover.js'
import {resumableGameDays, type ResumableGameDay} from '../src/gameday/record.js'
import {journalDir} from '../src/store/paths.js'
import {HachaosCommand} from './_base.js'

/** With the game days (`hachaos run`) that `run --resume` can continue once their drill is reverted. */
export type RecoverCommandResult = RecoverResult & {gameDays: ResumableGameDay[]}

export default class Recover extends HachaosCommand {
  static override summary = 'Revert whatever killed drills left behind, from the fault journal.'
  static override description = `A drill opens its journal entry ($HACHAOS_HOME/journal, fsync'd) before its first side effect, records every
helper process (capture, probes, the ssh ControlMasters it opened) as it starts, and the fault's revert before injecting it. When a drill dies
(SIGKILL, a crash, a lost terminal), this command ends the helper processes it had started (and their
children) and replays the revert of every entry whose fault may be in place (each step is idempotent). A drill
that died before its fault is reported as "not-injected": its revert is skipped. ssh ControlMasters left by a
hachaos process that is gone (their socket, under $XDG_RUNTIME_DIR or /tmp/hachaos-ssh-UID, names it) are ended. While it reverts, recover
holds the drill's locks (a new drill on that target is refused as busy). Entries owned by a drill that is
still running are left to it unless --force. A journal file that cannot be read is named, with what to do,
and every other entry is still recovered (exit code 3 then). Game days (\`hachaos run\`) cut short are listed
with the command that resumes them.`

  static override examples = ['<%= config.bin %> recover', '<%= config.bin %> recover --dry-run', '<%= config.bin %> recover --force --json']

  static override flags = {
    force: Flags.boolean({description: 'Also revert entries whose drill process still runs.'}),
    'dry-run': Flags.boolean({description: 'List what would be reverted; change nothing.'}),
  }

  async run(): Promise<RecoverCommandResult> {
    const {flags} = await this.parse(Recover)
    const r = await recover({force: flags.force, dryRun: flags['dry-run'], onProgress: this.progress})
    const masters = r.sshMasters.filter((m) => m.pid !== null)
    if (r.entries.length === 0 && r.unreadable.length === 0 && r.staleLocksRemoved.length === 0 && masters.length === 0) this.log(`nothing to recover (journal: ${journalDir()})`)
    for (const e of r.entries) {
      const skipped = e.action === 'not-injected' || e.action === 'would-skip-not-injected' ? ' — revert skipped: the fault was never injected' : ''
      this.log(`${e.action.padEnd(24)} ${e.summary} (run ${e.runId}, was ${e.stateBefore})${skipped}${e.helpersEnded.length > 0 ? `; ended helper processes ${e.helpersEnded.join(', ')}` : ''}`)
      for (const err of e.errors) this.log(`    ${err}`)
    }
    for (const l of r.staleLocksRemoved) this.log(`removed stale lock ${l.file}${l.runId === null ? '' : ` (drill run ${l.runId}, PID ${l.pid ?? '?'}, is gone)`}`)
    for (const m of masters) this.log(`${flags['dry-run'] ? 'would end' : 'ended'} ssh ControlMaster ${m.pid ?? '?'} left by hachaos process ${m.ownerPid} (${m.socket})`)
    for (const u of r.unreadable) this.warn(`unreadable journal entry ${u.file}: ${u.reason} (left in place). What to do: ${u.suggestion}`)
    const gameDays = resumableGameDays()
    for (const g of gameDays) this.log(`resumable game day ${g.id} (${g.name}): ${g.done} of ${g.steps} steps done, next step ${g.next}: ${g.command}`)
    if (!r.ok) process.exitCode = 8
    else if (r.entries.some((e) => e.action === 'skipped-busy')) process.exitCode = 10
    else if (r.unreadable.length > 0) process.exitCode = 3
    return {...r, gameDays}
  }
}
