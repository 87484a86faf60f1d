/**
 * Shared by the bond commands (bond monitor, bond failover, bond capture, load): which inventory, which
 * host, which bond. Default: the bond lab's own inventory, so `hachaos bond monitor` just works after
 * `hachaos lab up --topology bond`.
 */
import {existsSync} from 'node:fs'

import {Flags} from '@oclif/core'

import {HachaosError} from '../src/errors.js'
import {executorFor, findHost, hostsWithRole, loadInventory, type Inventory, type InventoryHost} from '../src/inventory/index.js'
import {inventoryFile, labPrefix} from '../src/lab/paths.js'

export const inventoryFlag = Flags.string({char: 'i', description: 'Inventory file (default: $HACHAOS_INVENTORY, else the bond lab\'s inventory).'})

export async function resolveInventory(path: string | undefined): Promise<Inventory> {
  const explicit = path ?? process.env['HACHAOS_INVENTORY']
  if (explicit !== undefined && explicit !== '') return loadInventory(explicit)
  const lab = inventoryFile(labPrefix(), 'bond')
  if (existsSync(lab)) return loadInventory(lab)
  throw new HachaosError('no inventory: give --inventory FILE, or bring up the bond lab', {
    code: 'E_NO_INVENTORY',
    exit: 'USAGE',
    suggestions: ['hachaos lab up --topology bond', 'or: --inventory hosts.yaml (a host with roles: [bond-host] and facts.bond)'],
  })
}

/** The host named, or the inventory's (first) bond host. */
export function pickBondHost(inv: Inventory, name: string | undefined): InventoryHost {
  if (name !== undefined) return findHost(inv, name)
  const hs = hostsWithRole(inv, 'bond-host')
  const h = hs[0] ?? inv.hosts.find((x) => x.facts.bond !== undefined)
  if (h === undefined) {
    throw new HachaosError(`no bond host in ${inv.file}`, {code: 'E_UNKNOWN_HOST', exit: 'USAGE', where: inv.file, suggestions: ['pass --host NAME', 'or give a host roles: [bond-host] and facts.bond: bond0']})
  }
  return h
}

export {executorFor}
