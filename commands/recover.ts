import {Flags} from '@oclif/core'

import {recover, type RecoverResult} from '../src/fault/recover.js'
import {journalDir} from '../src/store/paths.js'
import {HachaosCommand} from './_base.js'

export type RecoverCommandResult = RecoverResult

export default class Recover extends HachaosCommand {
  static override summary = 'Revert whatever killed drills left behind, from the fault journal.'
  static override description = `Before a fault is injected, its revert is written to the journal ($HACHAOS_HOME/journal, fsync'd). When a
drill dies (SIGKILL, a crash, a lost terminal), this command replays the revert of every entry still open
(each step is idempotent) and ends the capture and probe processes the drill had started. Entries owned by a
drill that is still running are left to it unless --force.`

  static override examples = ['<%= config.bin %> recover', '<%= config.bin %> recover --dry-run', '<%= config.bin %> recover --force --json']

  static override flags = {
    force: Flags.boolean({description: 'Also revert entries whose drill process still runs.'}),
    'dry-run': Flags.boolean({description: 'List what would be reverted; change nothing.'}),
  }

  async run(): Promise<RecoverCommandResult> {
    const {flags} = await this.parse(Recover)
    const r = await recover({force: flags.force, dryRun: flags['dry-run'], onProgress: this.progress})
    if (r.entries.length === 0) this.log(`nothing to recover (journal: ${journalDir()})`)
    for (const e of r.entries) {
      this.log(`${e.action.padEnd(20)} ${e.summary} (run ${e.runId}, was ${e.stateBefore})${e.helpersEnded.length > 0 ? `; ended observers ${e.helpersEnded.join(', ')}` : ''}`)
      for (const err of e.errors) this.log(`    ${err}`)
    }
    for (const u of r.unreadable) this.warn(`unreadable journal entry ${u.file}: ${u.reason} (left in place)`)
    if (!r.ok) process.exitCode = 8
    return r
  }
}
