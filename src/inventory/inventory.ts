import {readFile} from 'node:fs/promises'

import {HachaosError, fileErrorText} from '../errors.js'
import {LocalExecutor} from '../exec/local.js'
import {NetnsExecutor} from '../exec/netns.js'
import {NsenterExecutor} from '../exec/nsenter.js'
import {SshExecutor} from '../exec/ssh.js'
import {VmExecutor} from '../exec/vm.js'
import type {Executor} from '../exec/types.js'
import {parseYamlWith} from '../util/yaml-zod.js'
import {looksLikeAnsible, parseAnsibleInventory, renderAnsibleIni} from './ansible.js'
import {InventorySchema, type Inventory, type InventoryHost} from './schema.js'
import {readFileSync} from 'node:fs'

export type {Inventory, InventoryHost} from './schema.js'

/** A hachaos YAML inventory, or an Ansible one (INI or YAML, with group_vars/ and host_vars/ next to `file`). */
export function parseInventory(text: string, file = '<memory>'): Inventory {
  const ansible = looksLikeAnsible(text, file)
  if (ansible !== null) return parseAnsibleInventory(text, file, ansible)
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
      return new VmExecutor(h.name, h.vm_socket ?? '', h.vm_netns)
  }
}

/**
 * How hachaos reaches a host, in words and as the command prefix it runs (ssh's own options first, as
 * SshExecutor passes them; the session options ControlMaster/ControlPath/timeouts are left out).
 */
export function describeReach(h: InventoryHost): {via: InventoryHost['via']; command: string[]} {
  switch (h.via) {
    case 'local':
      return {via: 'local', command: []}
    case 'netns':
      return {via: 'netns', command: ['ip', 'netns', 'exec', h.netns ?? '?']}
    case 'nsenter':
      return {via: 'nsenter', command: ['nsenter', '-t', `$(cat ${h.init_pid_file ?? '?'})`, '-a']}
    case 'vm':
      return {via: 'vm', command: [`(console ${h.vm_socket ?? '?'})`, ...(h.vm_netns === undefined ? [] : ['ip', 'netns', 'exec', h.vm_netns])]}
    case 'ssh': {
      const t = h.ssh ?? {}
      const o: string[] = ['ssh']
      for (const [k, v] of Object.entries(t.options ?? {})) o.push('-o', `${k}=${v}`)
      o.push('-o', 'BatchMode=yes', '-o', `StrictHostKeyChecking=${t.strictHostKeyChecking ?? 'yes'}`)
      if (t.knownHostsFile !== undefined) o.push('-o', `UserKnownHostsFile=${t.knownHostsFile}`)
      if (t.port !== undefined) o.push('-p', String(t.port))
      if (t.key !== undefined) o.push('-i', t.key)
      if (t.user !== undefined) o.push('-l', t.user)
      o.push(h.address)
      return {via: 'ssh', command: o}
    }
  }
}

/**
 * The labs' `inventory.ini` next to their `inventory.yaml`: the same hosts in Ansible's INI format (read back
 * by --inventory; Ansible itself reaches the lab's namespaces locally, hachaos_via says how hachaos does).
 */
export function labInventoryIni(yamlText: string, yamlFile: string): string {
  const name = yamlFile.split('/').pop() ?? yamlFile
  return renderAnsibleIni(parseInventory(yamlText, yamlFile), `Written by \`hachaos lab up\` next to ${name}: the same hosts in Ansible's INI format.\nRemoved by \`hachaos lab down\`. hachaos reads it with --inventory; hachaos_via says how it reaches each host.`)
}
