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
  dirs.sort((a, b) => Number(b.startsWith(`${prefix}-`)) - Number(a.startsWith(`${prefix}-`)))
  const invs: Inventory[] = []
  for (const d of dirs) {
    try {
      invs.push(await loadInventory(join(root, d, 'inventory.yaml')))
    } catch (e) {
      // Another lab's inventory this version cannot read (another prefix, another topology): not ours to judge.
      if (d.startsWith(`${prefix}-`)) throw e
    }
  }
  const mine = invs.filter((i) => i.lab?.prefix === prefix)
  const pool = mine.length > 0 ? mine : invs
  const withTarget = target === undefined ? pool : pool.filter((i) => i.hosts.some((h) => h.name === target))
  const pick = withTarget[0] ?? (target === undefined ? undefined : undefined)
  if (pick !== undefined) return pick
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
