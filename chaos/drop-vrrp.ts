import {z} from 'zod'

import type {FaultDefinition, FaultEnv, FaultPlan} from '../src/fault/types.js'
import {TC_PREF, U32_VRRP, dropActions, dropToolOf} from './egress-drop.js'

const Params = z
  .object({
    interface: z.string().regex(/^[A-Za-z0-9_.:@][A-Za-z0-9_.:@-]{0,14}$/, 'an interface name (not starting with "-")').optional(),
  })
  .strict()
type P = z.output<typeof Params>

/** Our own nftables table: created on inject, deleted on revert; nothing else is touched. */
export const NFT_TABLE = 'hachaos_drop_vrrp'

/**
 * nft script text (the input of `nft -f -`, not a shell string). The revert declares the table before
 * deleting it, so it succeeds whether or not the table exists: idempotent.
 */
export function dropVrrpScript(dev: string): string {
  return `table inet ${NFT_TABLE} {
  chain out {
    type filter hook output priority 0; policy accept;
    oifname "${dev}" ip protocol vrrp counter drop
  }
}
`
}
export const REMOVE_SCRIPT = `table inet ${NFT_TABLE}\ndelete table inet ${NFT_TABLE}\n`

export const dropVrrp: FaultDefinition<P> = {
  kind: 'drop-vrrp',
  summary: "Drop the target's outgoing VRRP adverts (ip protocol 112; nftables, or tc where there is no nft: the LVS lab's guest) while it stays alive: the split-brain test.",
  stacks: ['keepalived', 'lvs'],
  params: Params,
  paramHelp: {interface: 'interface whose outgoing adverts are dropped (default: the inventory fact "interface", else eth0)'},
  async plan(p: P, env: FaultEnv): Promise<FaultPlan> {
    const dev = p.interface ?? env.target.facts.interface ?? 'eth0'
    // nft where it runs; else iproute2's tc (chaos/egress-drop.ts says why and how)
    const tool = await dropToolOf(env.exec, dev, env.target.name)
    const steps = dropActions(env.ref, tool, dev, {
      nft: {table: NFT_TABLE, script: dropVrrpScript(dev), remove: REMOVE_SCRIPT},
      tc: {pref: TC_PREF.vrrp, match: U32_VRRP, what: 'VRRP (ip protocol 112)'},
    })
    return {
      kind: 'drop-vrrp',
      target: env.target.name,
      summary: `${tool.kind === 'nft' ? 'nftables' : 'tc (clsact egress, u32)'} drops VRRP (ip protocol 112) leaving ${dev} on ${env.target.name}`,
      effect: 'advert-loss',
      params: {interface: dev, with: tool.kind},
      ...steps,
      warnings: ['both nodes will hold the VIP until the revert: this is the point of the test'],
    }
  },
}
