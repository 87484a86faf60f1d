import {z} from 'zod'

import {isHostAddress} from '../exec/ssh.js'

/** Host names as used on the command line: no leading dash, no shell or path characters. */
export const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/

const hostName = z.string().regex(HOST_NAME, 'a host name: letters, digits, "_", "." and "-", not starting with "-"')

export const SshSchema = z
  .object({
    user: z.string().optional(),
    port: z.number().int().min(1).max(65535).optional(),
    key: z.string().optional(),
    options: z.record(z.string(), z.string()).optional(),
    strictHostKeyChecking: z.enum(['yes', 'accept-new']).optional(),
    knownHostsFile: z.string().optional(),
  })
  .strict()

export const ROLES = ['lb', 'web', 'client', 'cluster-node', 'bond-host', 'lvs-director', 'real-server', 'storage'] as const

export const FactsSchema = z
  .object({
    /** The service address this host serves or fronts. */
    vip: z.string().optional(),
    /** Interface carrying VRRP / the cluster ring / the service. */
    interface: z.string().optional(),
    keepalived_conf: z.string().optional(),
    haproxy_cfg: z.string().optional(),
    corosync_conf: z.string().optional(),
    bond: z.string().optional(),
    /** Interface the management (ssh) session uses: never downed without --force. */
    mgmt_interface: z.string().optional(),
  })
  .catchall(z.unknown())

export const HostSchema = z
  .object({
    address: z.string().refine(isHostAddress, 'a DNS name, an IPv4 or an IPv6 address (no leading "-", spaces or shell characters)'),
    via: z.enum(['local', 'netns', 'nsenter', 'ssh', 'vm']).default('ssh'),
    netns: z.string().optional(),
    /** For `via: nsenter`: a file holding the PID whose namespaces the host lives in (a lab node's init). */
    init_pid_file: z.string().optional(),
    /** For `via: vm`: the console broker socket of a QEMU guest (the bond lab writes it). */
    vm_socket: z.string().optional(),
    /** For `via: vm`: a network namespace inside the guest the host lives in (the LVS lab's directors and real servers). */
    vm_netns: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a namespace name').optional(),
    ssh: SshSchema.optional(),
    roles: z.array(z.string()).default([]),
    /** How daemons are started/stopped: systemd, the lab's own control, or auto (systemd when present). */
    services: z.enum(['auto', 'systemd', 'lab', 'none']).default('auto'),
    facts: FactsSchema.default({}),
  })
  .strict()
  .superRefine((h, ctx) => {
    if (h.via === 'netns' && h.netns === undefined) ctx.addIssue({code: 'custom', message: 'via: netns needs "netns: NAME"', path: ['netns']})
    if (h.via === 'vm' && h.vm_socket === undefined) ctx.addIssue({code: 'custom', message: 'via: vm needs "vm_socket: PATH"', path: ['vm_socket']})
    if (h.via === 'nsenter' && h.init_pid_file === undefined) {
      ctx.addIssue({code: 'custom', message: 'via: nsenter needs "init_pid_file: PATH"', path: ['init_pid_file']})
    }
  })

export const InventorySchema = z
  .object({
    version: z.literal(1).default(1),
    /** Free text: what this inventory describes. */
    name: z.string().optional(),
    /** Default service address for drills. */
    vip: z.string().optional(),
    /** Set by `hachaos lab up` in the lab's own inventory. */
    lab: z
      .object({topology: z.string(), prefix: z.string(), state: z.string()})
      .strict()
      .optional(),
    defaults: z.object({ssh: SshSchema.optional()}).strict().optional(),
    hosts: z.record(hostName, HostSchema).refine((h) => Object.keys(h).length > 0, 'at least one host'),
  })
  .strict()

export type InventoryFile = z.output<typeof InventorySchema>
export type HostEntry = z.output<typeof HostSchema>
export type HostFacts = z.output<typeof FactsSchema>

/** A host as the commands use it: its entry, its name, its facts. */
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
