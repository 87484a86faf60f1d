import {readFile} from 'node:fs/promises'

import {HachaosError, fileErrorText} from '../errors.js'
import {LocalExecutor} from '../exec/local.js'
import {NetnsExecutor} from '../exec/netns.js'
import {NsenterExecutor} from '../exec/nsenter.js'
import {SshExecutor} from '../exec/ssh.js'
import {VmExecutor} from '../exec/vm.js'
import type {Executor} from '../exec/types.js'
import {parseYamlWith} from '../util/yaml-zod.js'
import {InventorySchema, type HostEntry, type HostFacts, type InventoryFile} from './schema.js'
import {readFileSync} from 'node:fs'

export interface InventoryHost extends HostEntry {
  name: string
  facts: HostFacts
}

export interface Inventory {
  /** Where it was read from (or `<memory>`). */
  file: string
  name: string | undefined
  vip: string | undefined
  lab: InventoryFile['lab']
  hosts: InventoryHost[]
}

export function parseInventory(text: string, file = '<memory>'): Inventory {
  const data = parseYamlWith(text, file, InventorySchema, 'inventory')
  const defaults = data.defaults?.ssh
  const hosts: InventoryHost[] = Object.entries(data.hosts).map(([name, h]) => ({
    ...h,
    name,
    ...(h.via === 'ssh' ? {ssh: {...defaults, ...h.ssh}} : {}),
  }))
  return {file, name: data.name, vip: data.vip, lab: data.lab, hosts}
}

export async function loadInventory(path: string): Promise<Inventory> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    throw new HachaosError(`cannot read inventory ${path}: ${fileErrorText(e)}`, {
      code: 'E_INVENTORY_READ',
      exit: 'BAD_INPUT',
      where: path,
      suggestions: ['check the path given to --inventory (or HACHAOS_INVENTORY)', 'or bring up the built-in lab: hachaos lab up'],
    })
  }
  return parseInventory(text, path)
}

/** Find a host by name; a clear error lists the names there are. */
export function findHost(inv: Inventory, name: string): InventoryHost {
  const h = inv.hosts.find((x) => x.name === name)
  if (h === undefined) {
    throw new HachaosError(`no host "${name}" in ${inv.file}`, {
      code: 'E_UNKNOWN_HOST',
      exit: 'USAGE',
      where: inv.file,
      suggestions: [`known hosts: ${inv.hosts.map((x) => x.name).join(', ')}`],
    })
  }
  return h
}

export function hostsWithRole(inv: Inventory, role: string): InventoryHost[] {
  return inv.hosts.filter((h) => h.roles.includes(role))
}

/** The executor that reaches a host. */
export function executorFor(h: InventoryHost): Executor {
  switch (h.via) {
    case 'local':
      return new LocalExecutor(h.name)
    case 'netns':
      return new NetnsExecutor(h.name, h.netns ?? '')
    case 'nsenter': {
      const file = h.init_pid_file ?? ''
      return new NsenterExecutor(h.name, () => {
        try {
          return Number(readFileSync(file, 'utf8').trim())
        } catch {
          return 0
        }
      })
    }
    case 'ssh':
      return new SshExecutor(h.name, {address: h.address, ...h.ssh})
    case 'vm':
      return new VmExecutor(h.name, h.vm_socket ?? '')
  }
}
