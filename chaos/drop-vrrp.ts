import {z} from 'zod'

import type {FaultDefinition, FaultEnv, FaultPlan} from '../src/fault/types.js'

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
  summary: 'Drop the target\'s outgoing VRRP adverts with nftables (ip protocol 112) while it stays alive: the split-brain test.',
  stacks: ['keepalived'],
  params: Params,
  paramHelp: {interface: 'interface whose outgoing adverts are dropped (default: the inventory fact "interface", else eth0)'},
  async plan(p: P, env: FaultEnv): Promise<FaultPlan> {
    const dev = p.interface ?? env.target.facts.interface ?? 'eth0'
    return {
      kind: 'drop-vrrp',
      target: env.target.name,
      summary: `nftables drops VRRP (ip protocol 112) leaving ${dev} on ${env.target.name}`,
      effect: 'advert-loss',
      params: {interface: dev},
      inject: [{type: 'exec', host: env.ref, argv: ['nft', '-f', '-'], input: dropVrrpScript(dev), what: `add table inet ${NFT_TABLE} on ${env.target.name}`}],
      revert: [{type: 'exec', host: env.ref, argv: ['nft', '-f', '-'], input: REMOVE_SCRIPT, what: `delete table inet ${NFT_TABLE} on ${env.target.name}`}],
      warnings: ['both nodes will hold the VIP until the revert: this is the point of the test'],
    }
  },
}
