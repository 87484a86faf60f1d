/**
 * drop-port: a real server's service port goes silent while the host lives — the TCP replies leaving it
 * from that port are dropped (nftables where `nft` runs, else iproute2's tc on clsact egress: the LVS lab's
 * guest; chaos/egress-drop.ts). A client's or checker's SYN arrives, its SYN-ACK never leaves: a blackhole
 * of one port, the firewall-rule-gone-wrong or the hung accept queue of the field. Unlike nic-down the
 * host's other ports (and its management session) keep answering, so a checker that checks several ports of
 * the host (ldirectord's loop) sees only this one fail. Reverted by deleting our table or filter, each step
 * idempotent (`hachaos recover` after a crash).
 */
import {z} from 'zod'

import type {FaultDefinition, FaultEnv, FaultPlan} from '../src/fault/types.js'
import {TC_PREF, dropActions, dropToolOf} from './egress-drop.js'

const IFNAME = /^[A-Za-z0-9_.:@][A-Za-z0-9_.:@-]{0,14}$/

const Params = z
  .object({
    port: z.coerce.number().int().min(1).max(65535).default(80),
    interface: z.string().regex(IFNAME, 'an interface name (not starting with "-")').optional(),
  })
  .strict()
type P = z.output<typeof Params>

/** Our own nftables table: created on inject, deleted on revert; nothing else is touched. */
export const NFT_DROP_PORT_TABLE = 'hachaos_drop_port'

/** nft script (input of `nft -f -`, not a shell string) dropping TCP from `port` leaving `dev`. */
export function dropPortScript(dev: string, port: number): string {
  return `table inet ${NFT_DROP_PORT_TABLE} {
  chain out {
    type filter hook output priority 0; policy accept;
    oifname "${dev}" tcp sport ${port} counter drop
  }
}
`
}
/** Declares the table before deleting it: succeeds whether or not it exists (idempotent). */
export const DROP_PORT_REMOVE_SCRIPT = `table inet ${NFT_DROP_PORT_TABLE}\ndelete table inet ${NFT_DROP_PORT_TABLE}\n`

/** u32: TCP (protocol 6) from source port `port` (an IP header without options, as the kernel sends). */
export function u32TcpSport(port: number): string[] {
  return ['match', 'ip', 'protocol', '6', '0xff', 'match', 'ip', 'sport', String(port), '0xffff']
}

export const dropPort: FaultDefinition<P> = {
  kind: 'drop-port',
  summary: "Drop the TCP replies leaving the target's service port (nftables, or tc where there is no nft): the port goes silent, the host stays up — a real server's blackhole without cutting its other ports.",
  stacks: ['lvs'],
  params: Params,
  paramHelp: {port: 'the TCP port whose replies are dropped (default 80)', interface: 'interface the replies leave by (default: the inventory fact "interface", else eth0)'},
  async plan(p: P, env: FaultEnv): Promise<FaultPlan> {
    const dev = p.interface ?? env.target.facts.interface ?? 'eth0'
    const tool = await dropToolOf(env.exec, dev, env.target.name)
    const steps = dropActions(env.ref, tool, dev, {
      nft: {table: NFT_DROP_PORT_TABLE, script: dropPortScript(dev, p.port), remove: DROP_PORT_REMOVE_SCRIPT},
      tc: {pref: TC_PREF.port, match: u32TcpSport(p.port), what: `TCP from port ${p.port}`},
    })
    return {
      kind: 'drop-port',
      target: env.target.name,
      summary: `${tool.kind === 'nft' ? 'nftables' : 'tc (clsact egress, u32)'} drops TCP from port ${p.port} leaving ${dev} on ${env.target.name}`,
      effect: 'backend-loss',
      params: {port: p.port, interface: dev, with: tool.kind},
      ...steps,
      warnings: [],
    }
  },
}
