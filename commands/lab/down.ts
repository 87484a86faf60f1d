import type {LabDownResult} from '../../src/lab/driver.js'
import {labDriver} from '../../src/lab/registry.js'
import {HachaosCommand} from '../_base.js'
import {checkPrefix, labFlags} from '../_lab.js'

export type LabDownCommandResult = LabDownResult

export default class LabDown extends HachaosCommand {
  static override summary = 'Remove the lab: every namespace, process and file it made.'
  static override description = "Ends every process inside the lab's namespaces (they are the lab's), deletes the namespaces and the lab directory under /run/hachaos/labs. With nothing up, it does nothing and succeeds. Needs root."
  static override examples = ['<%= config.bin %> lab down', '<%= config.bin %> lab down --topology pacemaker --json']
  static override flags = {...labFlags}

  async run(): Promise<LabDownCommandResult> {
    const {flags} = await this.parse(LabDown)
    const r = await labDriver(flags.topology).down(checkPrefix(flags.prefix))
    if (!r.wasUp) this.log(`no ${r.topology} lab with prefix ${r.prefix} was up: nothing to do`)
    else this.log(`lab ${r.topology} down: ${r.namespacesRemoved.length} namespaces removed, ${r.processesEnded} processes ended, ${r.filesRemoved.join(', ')} removed`)
    return r
  }
}
