import {parseHaCf} from '../src/config/heartbeat.js'
import {HachaosError, errorMessage} from '../src/errors.js'
import {catFile} from '../src/exec/run-ok.js'
import {PartitionParams, partitionActions, planPartition, type PartitionMember, type PartitionParamsOut} from '../src/fault/nft-partition.js'
import type {FaultDefinition, FaultEnv, FaultPlan} from '../src/fault/types.js'
import {hostsWithRole, type InventoryHost} from '../src/inventory/inventory.js'
import {GLUSTER_ROLE} from '../src/stacks/gluster/roles.js'
import {DEFAULT_HA_CF, HEARTBEAT_ROLE} from '../src/stacks/heartbeat/stack.js'
import {planGlusterPartition} from './gluster-partition.js'

/** Heartbeat's UDP port when ha.cf names none (heartbeat's own default, `udpport 694`). */
export const HEARTBEAT_UDP_PORT = 694

const Params = PartitionParams
type P = PartitionParamsOut

/**
 * Partition a Heartbeat pair: nftables in every node drops the other side's Heartbeat UDP (udpport and every
 * mcast port of ha.cf, 694 by default), in and out, so each side declares the other dead after `deadtime`
 * while both stay up and keep serving — the classic v1 split brain. Unicast, broadcast and multicast media
 * are all cut by the input rule (it matches the sender's address). Healed on revert by deleting the table
 * (idempotent); on reconnect both nodes log "returning after partition" and re-exec heartbeat.
 */
export const partition: FaultDefinition<P> = {
  kind: 'partition',
  summary: "Partition a Heartbeat pair (nftables drops Heartbeat's UDP, 694) or a Gluster pool (Gluster's TCP 24007-24008, 49152-60999) between the target's side and the other nodes (revert: heal).",
  stacks: ['heartbeat', 'gluster'],
  params: Params,
  paramHelp: {
    with: "comma-separated nodes on the target's side (default: the target alone; Gluster: servers or clients)",
    port: 'the one port to cut (Heartbeat UDP, default: udpport and mcast ports of ha.cf, else 694; Gluster TCP, default: 24007-24008 and 49152-60999)',
  },
  async plan(p: P, env: FaultEnv): Promise<FaultPlan> {
    // a Gluster server: its own plan (chaos/gluster-partition.ts), same table and heal
    if (env.target.roles.includes(GLUSTER_ROLE) && !env.target.roles.includes(HEARTBEAT_ROLE)) return planGlusterPartition(p, env)
    const all = hostsWithRole(env.inventory, HEARTBEAT_ROLE)
    if (!env.target.roles.includes(HEARTBEAT_ROLE)) {
      throw new HachaosError(`${env.target.name} is not a Heartbeat node (role ${HEARTBEAT_ROLE})`, {
        code: 'E_USAGE',
        exit: 'USAGE',
        where: env.target.name,
        suggestions: [all.length > 0 ? `Heartbeat nodes: ${all.map((h) => h.name).join(', ')}` : 'give the nodes role heartbeat-node in the inventory', 'for a Pacemaker cluster use --fault cluster-partition'],
      })
    }
    const find = (n: string): InventoryHost => {
      const h = all.find((x) => x.name === n)
      if (h === undefined) throw new HachaosError(`"${n}" is not a Heartbeat node of the inventory`, {code: 'E_USAGE', exit: 'USAGE', suggestions: [`Heartbeat nodes (role ${HEARTBEAT_ROLE}): ${all.map((x) => x.name).join(', ')}`]})
      return h
    }
    const sideA = [env.target, ...p.with.map(find)]
    const sideB = all.filter((h) => !sideA.some((a) => a.name === h.name))
    if (sideB.length === 0) throw new HachaosError('the other side of the partition is empty', {code: 'E_USAGE', exit: 'USAGE', suggestions: ['leave at least one Heartbeat node out of --param with=…']})

    const warnings: string[] = []
    let ports: number[] = p.port === undefined ? [] : [p.port]
    if (ports.length === 0) {
      const f = typeof env.target.facts['ha_cf'] === 'string' ? env.target.facts['ha_cf'] : DEFAULT_HA_CF
      try {
        const cf = parseHaCf(await catFile(env.exec, f), {file: `${env.target.name}:${f}`})
        const mcast = cf.media.filter((m) => m.type === 'mcast' || m.type === 'mcast6').map((m) => Number(m.args[1])).filter((n) => Number.isInteger(n) && n > 0 && n < 65536)
        ports = [...new Set([cf.udpport ?? HEARTBEAT_UDP_PORT, ...mcast])]
        if (cf.media.some((m) => m.type === 'serial')) warnings.push(`ha.cf on ${env.target.name} has a serial medium: a network partition does not cut it (the nodes still hear each other)`)
      } catch (e) {
        ports = [HEARTBEAT_UDP_PORT]
        warnings.push(`ha.cf not readable on ${env.target.name} (${errorMessage(e)}): using UDP ${HEARTBEAT_UDP_PORT}`)
      }
    }
    // A node's addresses: the inventory's, plus facts.heartbeat_addrs (extra media on other networks).
    const member = (h: InventoryHost): PartitionMember => {
      const extra = h.facts['heartbeat_addrs']
      const more = typeof extra === 'string' ? extra.split(',').map((s) => s.trim()).filter((s) => s !== '') : []
      return {host: h.name, addrs: [...new Set([h.address, ...more])]}
    }
    const plan = planPartition(sideA.map(member), sideB.map(member), ports)
    const refOf = (name: string): FaultEnv['ref'] => env.refFor(find(name))
    const {inject, revert} = partitionActions(plan, refOf, `Heartbeat UDP (ports ${ports.join(',')})`)
    warnings.push('Heartbeat v1 has no quorum: both sides keep (or take) the resources — a split brain until the heal, then both give everything up and restart')
    return {
      kind: 'partition',
      target: env.target.name,
      summary: `partition ${plan.sides[0].join('+')} | ${plan.sides[1].join('+')} (Heartbeat UDP ${ports.join(',')})`,
      effect: 'cluster-partition',
      params: {sides: plan.sides, ports},
      inject,
      revert,
      warnings,
    }
  },
}
