import {Args, Flags} from '@oclif/core'

import {captureBondTree, type CaptureResult} from '../../src/bond/capture.js'
import {bondFsFor} from '../../src/bond/fs.js'
import {checkBondName} from '../../src/bond/snapshot.js'
import {executorFor} from '../../src/inventory/inventory.js'
import {HachaosCommand} from '../_base.js'
import {inventoryFlag, pickBondHost, resolveInventory} from '../_bond.js'

export interface BondCaptureResult extends CaptureResult {
  host: string
  out: string
}

export default class BondCapture extends HachaosCommand {
  static override summary = 'Copy a bond\'s /proc and /sys files into a directory that --root reads (offline analysis).'
  static override description = `Writes OUT/proc/net/bonding/BOND, OUT/sys/class/net/BOND/bonding/*, each member's bonding_slave/*
and statistics/*, and a few interface attributes, read through the host's executor in one round trip.
Send the directory to someone, or look at it later: hachaos bond monitor --root OUT --once.`

  static override examples = ['<%= config.bin %> bond capture --out ./bond0-tree', '<%= config.bin %> bond capture bond1 --host db1 --inventory hosts.yaml --out /tmp/db1-bond1']

  static override args = {bond: Args.string({description: 'Bond interface (default: facts.bond).', required: false, ignoreStdin: true})}
  static override flags = {
    inventory: inventoryFlag,
    host: Flags.string({char: 'H', description: 'Inventory host (default: the bond host).'}),
    out: Flags.string({char: 'o', description: 'Directory to write (created).', required: true}),
  }

  async run(): Promise<BondCaptureResult> {
    const {args, flags} = await this.parse(BondCapture)
    const inv = await resolveInventory(flags.inventory)
    const host = pickBondHost(inv, flags.host)
    const bond = checkBondName(args.bond ?? (typeof host.facts.bond === 'string' ? host.facts.bond : 'bond0'))
    const r = await captureBondTree(bondFsFor(executorFor(host)), bond, flags.out, {host: host.name})
    this.log(`${r.files.length} files of ${bond} (members ${r.members.join(', ')}) from ${host.name} → ${flags.out}`)
    this.log(`read it back: hachaos bond monitor ${bond} --root ${flags.out} --once`)
    return {...r, host: host.name, out: flags.out}
  }
}
