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
  throw new HachaosError(
    pool.length === 0 ? 'no inventory: no --inventory given and no lab is up' : `no lab inventory has a host "${target ?? ''}"`,
    {
      code: 'E_NO_INVENTORY',
      exit: 'USAGE',
      suggestions: [
        'bring up the built-in lab: hachaos lab up',
        'or describe your hosts in a YAML inventory and pass --inventory FILE (see README: Inventory)',
        ...(pool.length > 0 ? [`hosts in the lab: ${pool.flatMap((i) => i.hosts.map((h) => h.name)).join(', ')}`] : []),
      ],
    },
  )
}
