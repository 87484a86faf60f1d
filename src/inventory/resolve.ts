import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

import {HachaosError} from '../errors.js'
import {labPrefix, labRoot} from '../lab/paths.js'
import {loadInventory, type Inventory} from './inventory.js'

/**
 * Which inventory a command uses: --inventory, else $HACHAOS_INVENTORY, else the inventory of a lab that is up
 * (the one that has the target host, preferring this prefix's labs).
 */
export async function resolveInventory(flag: string | undefined, target?: string): Promise<Inventory> {
  const explicit = flag ?? process.env['HACHAOS_INVENTORY']
  if (explicit !== undefined && explicit !== '') return loadInventory(explicit)
  const root = labRoot()
  let dirs: string[] = []
  try {
    dirs = readdirSync(root).filter((d) => existsSync(join(root, d, 'inventory.yaml')))
  } catch {
    dirs = []
  }
  const prefix = labPrefix()
  // This prefix's labs first; another lab's inventory is read only when needed, and one that cannot be read
  // (another hachaos version, a half-written file) is skipped, never fatal for this command.
  const mine = dirs.filter((d) => d.startsWith(`${prefix}-`))
  const others = dirs.filter((d) => !d.startsWith(`${prefix}-`))
  const pool: Inventory[] = []
  for (const group of [mine, others]) {
    for (const d of group) {
      let inv: Inventory
      try {
        inv = await loadInventory(join(root, d, 'inventory.yaml'))
      } catch {
        continue
      }
      pool.push(inv)
      if (target === undefined || inv.hosts.some((h) => h.name === target)) return inv
    }
  }
  const up = pool.map((i) => (i.lab === undefined ? i.file : `${i.lab.topology} (prefix ${i.lab.prefix})`))
  const needs = target === undefined ? undefined : labOfHostName(target)
  const labUp = needs === undefined ? 'hachaos lab up' : `hachaos lab up${needs === 'keepalived' ? '' : ` --topology ${needs}`}`
  throw new HachaosError(
    pool.length === 0
      ? `no inventory: no --inventory given and no lab is up${needs === undefined ? '' : ` (${target ?? ''} is a host of the ${needs} lab)`}`
      : `no lab inventory has a host "${target ?? ''}": the lab${up.length > 1 ? 's' : ''} up: ${up.join(', ')}${needs === undefined ? '' : `; ${target ?? ''} is a host of the ${needs} lab`}`,
    {
      code: 'E_NO_INVENTORY',
      exit: 'USAGE',
      suggestions: [
        `bring up the ${needs ?? 'built-in'} lab: ${labUp}`,
        'or describe your hosts in a YAML inventory and pass --inventory FILE (see README: Inventory)',
        ...(pool.length > 0 ? [`hosts in the lab${pool.length > 1 ? 's' : ''} up: ${pool.flatMap((i) => i.hosts.map((h) => h.name)).join(', ')}`] : []),
      ],
    },
  )
}

/** Which built-in lab names a host so (its inventory's host names), for "bring up that lab" hints. */
export function labOfHostName(name: string): 'keepalived' | 'pacemaker' | 'bond' | 'lvs' | undefined {
  if (/^(lb\d+|web\d+|client)$/.test(name)) return 'keepalived'
  if (/^n\d+$/.test(name)) return 'pacemaker'
  if (/^(guest|client\d+)$/.test(name)) return 'bond'
  if (/^(dir[12]|rs[12])$/.test(name)) return 'lvs'
  return undefined
}
