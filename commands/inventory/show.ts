import {Flags} from '@oclif/core'

import type {AnsibleInventory} from '../../src/inventory/ansible.js'
import {describeReach} from '../../src/inventory/inventory.js'
import {resolveInventory} from '../../src/inventory/resolve.js'
import {HachaosCommand} from '../_base.js'

export interface InventoryShowHost {
  name: string
  address: string
  /** How hachaos reaches it: the executor kind and the command prefix it runs commands with. */
  via: string
  command: string[]
  roles: string[]
  facts: Record<string, unknown>
  /** Ansible inventories: the host's groups (nearest last), where it is defined, where each variable used came from. */
  groups?: string[]
  definedAt?: string
  vars?: Record<string, string>
}

export interface InventoryShowResult {
  file: string
  format: 'hachaos' | 'ansible-ini' | 'ansible-yaml'
  name: string | null
  vip: string | null
  hosts: InventoryShowHost[]
}

export default class InventoryShow extends HachaosCommand {
  static override summary = 'Print what an inventory resolves to: hosts, how each is reached, roles and facts.'
  static override description = `Reads a hachaos YAML inventory or an Ansible inventory (INI or YAML, with the group_vars/ and
host_vars/ next to it) exactly as every other command would, and prints the result. Errors name file:line.
Without --inventory: HACHAOS_INVENTORY, else the inventory of a lab that is up.`

  static override examples = [
    '<%= config.bin %> inventory show --inventory hosts.ini',
    '<%= config.bin %> inventory show --inventory inventory/prod.yml --json',
    '<%= config.bin %> inventory show',
  ]

  static override flags = {
    inventory: Flags.string({char: 'i', description: 'Inventory file: hachaos YAML, Ansible INI or Ansible YAML (default: HACHAOS_INVENTORY, else a lab that is up).'}),
  }

  async run(): Promise<InventoryShowResult> {
    const {flags} = await this.parse(InventoryShow)
    const inv = await resolveInventory(flags.inventory)
    const ansible = 'format' in inv ? (inv as AnsibleInventory) : undefined
    const hosts: InventoryShowHost[] = inv.hosts.map((h) => {
      const r = describeReach(h)
      const o = ansible?.origins[h.name]
      return {
        name: h.name,
        address: h.address,
        via: r.via,
        command: r.command,
        roles: h.roles,
        facts: h.facts,
        ...(o === undefined ? {} : {groups: o.groups, definedAt: `${o.at.file}:${o.at.line}`, vars: o.vars}),
      }
    })
    const result: InventoryShowResult = {file: inv.file, format: ansible?.format ?? 'hachaos', name: inv.name ?? null, vip: inv.vip ?? null, hosts}
    this.log(`${inv.file} (${result.format}${inv.name === undefined ? '' : `, ${inv.name}`}): ${hosts.length} host${hosts.length === 1 ? '' : 's'}${inv.vip === undefined ? '' : `, VIP ${inv.vip}`}`)
    const w = Math.max(4, ...hosts.map((h) => h.name.length))
    for (const h of hosts) {
      this.log('')
      this.log(`  ${h.name.padEnd(w)}  ${h.address}  ${h.roles.length > 0 ? `roles ${h.roles.join(', ')}` : 'no roles'}`)
      this.log(`  ${''.padEnd(w)}  reached: ${h.via === 'local' ? 'local (this machine)' : h.command.join(' ')}`)
      const facts = Object.entries(h.facts)
      if (facts.length > 0) this.log(`  ${''.padEnd(w)}  facts: ${facts.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')}`)
      if (h.groups !== undefined) this.log(`  ${''.padEnd(w)}  groups: ${h.groups.join(', ') || '-'} (defined at ${h.definedAt ?? '?'})`)
      for (const [k, at] of Object.entries(h.vars ?? {})) this.log(`  ${''.padEnd(w)}    ${k} from ${at}`)
    }
    return result
  }
}
