/**
 * A network partition as plain data (Jepsen style): two sets of nodes, and for every node the nftables
 * ruleset that drops the cluster's UDP traffic (knet/udpu ports) to and from the other set. Shared by the
 * Corosync partition (knet/udpu ports) and the Heartbeat one (udpport, 694). The rules live in
 * their own table, so the heal deletes exactly them; both scripts are idempotent.
 */
import {z} from 'zod'

import {HOST_NAME} from '../inventory/schema.js'
import type {Action, HostRef} from './types.js'

export const PARTITION_TABLE = 'hachaos_partition'

/** The parameters both partition faults take: more nodes on the target's side, and a port to cut instead of the configured ones. */
export const PartitionParams = z
  .object({
    /** Other nodes on the target's side. */
    with: z.union([z.array(z.string().regex(HOST_NAME)), z.string().regex(/^[A-Za-z0-9_.,-]*$/).transform((s) => s.split(',').filter((x) => x !== ''))]).default([]),
    port: z.coerce.number().int().min(1).max(65535).optional(),
  })
  .strict()
export type PartitionParamsOut = z.output<typeof PartitionParams>

export interface PartitionMember {
  host: string
  /** Every address the node's corosync uses (all links). */
  addrs: string[]
}

export interface PartitionPlan {
  sides: [string[], string[]]
  ports: number[]
  /** Per host: the nft script that isolates it from the other side. */
  rules: Array<{host: string; blocks: string[]; script: string}>
}

const isV6 = (a: string): boolean => a.includes(':')

/**
 * nft -f script: (re)create the table with input/output drops of traffic to `ports` from/to `peers`.
 * UDP (Corosync, Heartbeat): the destination port, the clusters' datagrams go to the configured ports.
 * TCP (Gluster): both ends of a connection (`bothEnds`: dport — the peer's requests to our ports and ours to
 * theirs — and sport — the replies on connections already open), so an established connection goes silent at
 * once: no RST, no FIN, as with a vanished node.
 */
export function partitionScript(peers: string[], ports: ReadonlyArray<number | string>, o: {proto?: 'udp' | 'tcp'; bothEnds?: boolean} = {}): string {
  const v4 = peers.filter((a) => !isV6(a))
  const v6 = peers.filter(isV6)
  const portSet = `{ ${ports.join(', ')} }`
  const proto = o.proto ?? 'udp'
  const ends = o.bothEnds === true ? (['dport', 'sport'] as const) : (['dport'] as const)
  const lines = (dir: 'saddr' | 'daddr'): string[] =>
    ends.flatMap((end) => [
      ...(v4.length > 0 ? [`    ip ${dir} { ${v4.join(', ')} } ${proto} ${end} ${portSet} drop`] : []),
      ...(v6.length > 0 ? [`    ip6 ${dir} { ${v6.join(', ')} } ${proto} ${end} ${portSet} drop`] : []),
    ])
  return [
    `add table inet ${PARTITION_TABLE}`,
    `delete table inet ${PARTITION_TABLE}`,
    `table inet ${PARTITION_TABLE} {`,
    '  chain input {',
    '    type filter hook input priority -150; policy accept;',
    ...lines('saddr'),
    '  }',
    '  chain output {',
    '    type filter hook output priority -150; policy accept;',
    ...lines('daddr'),
    '  }',
    '}',
    '',
  ].join('\n')
}

/** nft -f script that removes the partition table whether or not it exists. */
export function healScript(): string {
  return `add table inet ${PARTITION_TABLE}\ndelete table inet ${PARTITION_TABLE}\n`
}

export function planPartition(a: PartitionMember[], b: PartitionMember[], ports: number[]): PartitionPlan {
  const addrsOf = (side: PartitionMember[]): string[] => [...new Set(side.flatMap((m) => m.addrs))]
  const rules = [
    ...a.map((m) => ({host: m.host, blocks: addrsOf(b), script: partitionScript(addrsOf(b), ports)})),
    ...b.map((m) => ({host: m.host, blocks: addrsOf(a), script: partitionScript(addrsOf(a), ports)})),
  ]
  return {sides: [a.map((m) => m.host), b.map((m) => m.host)], ports, rules}
}

/** The inject (the script per node) and revert (the heal per node) actions of a partition plan. */
export function partitionActions(plan: PartitionPlan, refOf: (host: string) => HostRef, what: string): {inject: Action[]; revert: Action[]} {
  return {
    inject: plan.rules.map((r) => ({type: 'exec', host: refOf(r.host), argv: ['nft', '-f', '-'], input: r.script, what: `${r.host}: drop ${what} to/from ${r.blocks.join(', ')}`})),
    revert: plan.rules.map((r) => ({type: 'exec', host: refOf(r.host), argv: ['nft', '-f', '-'], input: healScript(), what: `${r.host}: heal (delete table inet ${PARTITION_TABLE})`})),
  }
}
