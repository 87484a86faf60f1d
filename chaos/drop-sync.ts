import {z} from 'zod'

import {HachaosError} from '../src/errors.js'
import type {Action, FaultDefinition, FaultEnv, FaultPlan} from '../src/fault/types.js'
import {parseIpvsDaemon} from '../src/stacks/lvs/readers.js'
import {DEFAULT_HOLD_MS, MAX_HOLD_MS, SYNC_GROUP, SYNC_PORT, failoverDelayMs} from '../src/stacks/lvs/sync-drop.js'
import {parseDuration} from '../src/time.js'
import {TC_PREF, dropActions, dropToolOf, u32Udp} from './egress-drop.js'

const IFNAME = /^[A-Za-z0-9_.:@][A-Za-z0-9_.:@-]{0,14}$/
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/

const Params = z
  .object({
    interface: z.string().regex(IFNAME, 'an interface name (not starting with "-")').optional(),
    port: z.coerce.number().int().min(1).max(65535).optional(),
    group: z.string().regex(IPV4, 'an IPv4 multicast group').optional(),
    failover: z
      .union([z.boolean(), z.enum(['true', 'false'])])
      .default(false)
      .transform((v) => v === true || v === 'true'),
    hold: z
      .string()
      .regex(/^\d/, 'a duration (e.g. 4s)')
      .optional()
      .transform((v, ctx) => {
        if (v === undefined) return DEFAULT_HOLD_MS
        let ms: number
        try {
          ms = parseDuration(v)
        } catch {
          ctx.addIssue({code: 'custom', message: 'a duration (e.g. 4s)'})
          return z.NEVER
        }
        // the drill ends a hold that saw nothing 20 s after the fault: the tables must be read before
        if (ms > MAX_HOLD_MS) {
          ctx.addIssue({code: 'custom', message: `a duration of at most ${MAX_HOLD_MS / 1000}s`})
          return z.NEVER
        }
        return ms
      }),
  })
  .strict()
type P = z.output<typeof Params>

/** Our own nftables table: created on inject, deleted on revert. */
export const NFT_SYNC_TABLE = 'hachaos_drop_sync'

/** nft script (input of `nft -f -`) dropping the sync daemon's datagrams leaving `dev`. */
export function dropSyncScript(dev: string, group: string, port: number): string {
  return `table inet ${NFT_SYNC_TABLE} {
  chain out {
    type filter hook output priority 0; policy accept;
    oifname "${dev}" ip daddr ${group} udp dport ${port} counter drop
  }
}
`
}
/** Declared before it is deleted: the revert succeeds whether or not the table exists. */
export const REMOVE_SYNC_SCRIPT = `table inet ${NFT_SYNC_TABLE}\ndelete table inet ${NFT_SYNC_TABLE}\n`

/**
 * Cut the IPVS connection sync between an LVS director pair on the master: its sync daemon's datagrams (UDP
 * to the sync group and port, read from `ipvsadm -Ln --daemon`: 224.0.0.81:8848 by default) are dropped as
 * they leave (nftables, else tc: chaos/egress-drop.ts). The directors keep serving; what diverges is their
 * connection tables: every connection the master opens from now on is unknown to the backup. The drill
 * (src/stacks/lvs/sync-drop.ts) opens streams during the drop and compares both tables after `hold`; with
 * failover=true the master's NIC then goes down too (a sleep step in this plan, then `ip link set … down`),
 * and the streams opened during the drop are expected lost on the new director.
 */
export const dropSync: FaultDefinition<P> = {
  kind: 'drop-sync',
  summary: "Drop the LVS master director's connection-sync datagrams (lvs_sync_daemon, UDP 8848 to 224.0.0.81) so the backup's connection table diverges; failover=true then also downs its NIC.",
  stacks: ['lvs'],
  params: Params,
  paramHelp: {
    interface: 'interface the sync datagrams leave by (default: the sync daemon\'s mcast interface, else the fact "interface", else eth0)',
    port: `sync port (default: the running daemon's, else ${SYNC_PORT})`,
    group: `sync multicast group (default: the running daemon's, else ${SYNC_GROUP})`,
    failover: 'true: after the hold, also set the NIC down (a director failover on top of the divergence; revert: up)',
    hold: `how long streams opened during the drop stay open before the tables are compared (default ${DEFAULT_HOLD_MS / 1000}s, at most ${MAX_HOLD_MS / 1000}s)`,
  },
  async plan(p: P, env: FaultEnv): Promise<FaultPlan> {
    const name = env.target.name
    const d = await env.exec.run(['ipvsadm', '-Ln', '--daemon'], {timeoutMs: 10_000})
    const daemons = d.code === 0 ? parseIpvsDaemon(d.stdout) : []
    const master = daemons.find((x) => x.role === 'master')
    if (master === undefined) {
      const why = d.code !== 0 ? `ipvsadm -Ln --daemon failed there (exit ${d.code}: ${d.stderr.trim().slice(0, 200)})` : daemons.length > 0 ? 'it runs only a backup sync daemon (is it the BACKUP director?)' : 'no sync daemon runs there'
      throw new HachaosError(`${name} runs no master sync daemon: ${why}`, {
        code: 'E_NO_SYNC',
        exit: 'USAGE',
        where: name,
        suggestions: ['target the MASTER director', 'run the directors with lvs_sync_daemon (the LVS lab: hachaos lab up --topology lvs --sync)'],
      })
    }
    const nic = p.interface ?? env.target.facts.interface ?? 'eth0'
    const dev = p.interface ?? master.params['mcast'] ?? nic
    const group = p.group ?? master.params['group'] ?? SYNC_GROUP
    const port = p.port ?? (Number(master.params['port']) || SYNC_PORT)
    const tool = await dropToolOf(env.exec, dev, name)
    const what = `the sync daemon's UDP to ${group}:${port}`
    const drop = dropActions(env.ref, tool, dev, {
      nft: {table: NFT_SYNC_TABLE, script: dropSyncScript(dev, group, port), remove: REMOVE_SYNC_SCRIPT},
      tc: {pref: TC_PREF.sync, match: u32Udp(group, port), what},
    })
    const inject: Action[] = [...drop.inject]
    const revert: Action[] = [...drop.revert]
    const delay = failoverDelayMs(p.hold)
    if (p.failover) {
      // the drill's phases (src/stacks/lvs/sync-drop.ts) run from the end of the drop's steps, as this sleep does
      inject.push({type: 'sleep', ms: delay, what: `hold the drop ${(delay / 1000).toFixed(1)} s: streams opened now are not synced, then the tables are compared`})
      inject.push({type: 'exec', host: env.ref, argv: ['ip', 'link', 'set', 'dev', nic, 'down'], what: `${nic} down on ${name} (the failover)`})
      revert.unshift({type: 'exec', host: env.ref, argv: ['ip', 'link', 'set', 'dev', nic, 'up'], what: `${nic} up on ${name}`})
    }
    return {
      kind: 'drop-sync',
      target: name,
      summary: `${tool.kind === 'nft' ? 'nftables' : 'tc (clsact egress, u32)'} drops ${what} leaving ${dev} on ${name}${p.failover ? `; after ${(delay / 1000).toFixed(1)} s ${nic} down (failover)` : ''}`,
      effect: p.failover ? 'node-loss' : 'none',
      params: {interface: dev, group, port, failover: p.failover, holdMs: p.hold, with: tool.kind},
      inject,
      revert,
      warnings: p.failover ? [] : ['the directors keep serving: only their connection tables diverge (a later failover would reset the connections the backup lacks)'],
    }
  },
}
