import {HachaosError} from '../src/errors.js'
import {partitionActions, partitionScript, type PartitionMember, type PartitionParamsOut, type PartitionPlan} from '../src/fault/nft-partition.js'
import type {FaultEnv, FaultPlan} from '../src/fault/types.js'
import {hostsWithRole, type InventoryHost} from '../src/inventory/inventory.js'
import {GLUSTER_CLIENT_ROLE, GLUSTER_ROLE} from '../src/stacks/gluster/roles.js'

/**
 * Gluster's TCP ports: glusterd 24007 (management, volfiles) and 24008 (its RDMA/management companion), the
 * bricks 49152–60999 (glusterd.vol base-port … max-port, GlusterFS ≥ 3.4 defaults). Cutting these, and not all
 * traffic, leaves ssh and everything else between the hosts alone.
 */
export const GLUSTER_TCP_PORTS: readonly string[] = ['24007-24008', '49152-60999']

/**
 * nft -f script: the shared partition table (src/fault/nft-partition.ts) dropping Gluster's TCP to and from
 * `peers` at both ends of a connection, so that an established client–brick connection goes silent at once —
 * no RST, no FIN: the client only learns it through network.ping-timeout, as with a vanished node.
 */
export function glusterPartitionScript(peers: string[], ports: readonly string[]): string {
  return partitionScript(peers, ports, {proto: 'tcp', bothEnds: true})
}

/**
 * Partition a Gluster pool: the target (a server, role gluster-node) plus `with` (servers or FUSE clients,
 * role gluster-client) on one side, every other server and client of the inventory on the other; nftables in
 * every one of them drops Gluster's TCP to and from the other side. The clients on the far side see their
 * writes hang until the brick is given up (1×–2× network.ping-timeout, src/stacks/gluster/predict.ts); with
 * clients on both sides of a replica 2 volume without client quorum both sides take writes: split brain.
 * Healed on revert by deleting the table (the same heal as the Corosync and Heartbeat partitions, so `hachaos
 * recover` replays it from the journal); idempotent.
 */
export async function planGlusterPartition(p: PartitionParamsOut, env: FaultEnv): Promise<FaultPlan> {
  const all = [...hostsWithRole(env.inventory, GLUSTER_ROLE), ...hostsWithRole(env.inventory, GLUSTER_CLIENT_ROLE)]
  const find = (n: string): InventoryHost => {
    const h = all.find((x) => x.name === n)
    if (h === undefined) throw new HachaosError(`"${n}" is not a Gluster server or client of the inventory`, {code: 'E_USAGE', exit: 'USAGE', suggestions: [`Gluster hosts (roles ${GLUSTER_ROLE}, ${GLUSTER_CLIENT_ROLE}): ${all.map((x) => x.name).join(', ')}`]})
    return h
  }
  const sideA = [env.target, ...p.with.filter((n) => n !== env.target.name).map(find)]
  const sideB = all.filter((h) => !sideA.some((a) => a.name === h.name))
  if (sideB.length === 0) throw new HachaosError('the other side of the partition is empty', {code: 'E_USAGE', exit: 'USAGE', suggestions: ['leave at least one Gluster host out of --param with=…']})
  const ports = p.port === undefined ? GLUSTER_TCP_PORTS : [String(p.port)]
  const member = (h: InventoryHost): PartitionMember => ({host: h.name, addrs: [h.address]})
  const addrsOf = (side: InventoryHost[]): string[] => [...new Set(side.map((h) => h.address))]
  const plan: PartitionPlan = {
    sides: [sideA.map((h) => h.name), sideB.map((h) => h.name)],
    ports: [],
    rules: [
      ...sideA.map(member).map((m) => ({host: m.host, blocks: addrsOf(sideB), script: glusterPartitionScript(addrsOf(sideB), ports)})),
      ...sideB.map(member).map((m) => ({host: m.host, blocks: addrsOf(sideA), script: glusterPartitionScript(addrsOf(sideA), ports)})),
    ],
  }
  const {inject, revert} = partitionActions(plan, (n) => env.refFor(find(n)), `Gluster TCP (${ports.join(', ')})`)
  const clientsA = sideA.filter((h) => h.roles.includes(GLUSTER_CLIENT_ROLE)).map((h) => h.name)
  const clientsB = sideB.filter((h) => h.roles.includes(GLUSTER_CLIENT_ROLE)).map((h) => h.name)
  const warnings: string[] = []
  if (clientsA.length > 0 && clientsB.length > 0) {
    warnings.push(`clients on both sides (${clientsA.join(', ')} | ${clientsB.join(', ')}): without client quorum (replica 2, cluster.quorum-type none) both sides take writes to the same files — split brain after the heal`)
  }
  return {
    kind: 'partition',
    target: env.target.name,
    summary: `partition ${plan.sides[0].join('+')} | ${plan.sides[1].join('+')} (Gluster TCP ${ports.join(', ')})`,
    effect: 'cluster-partition',
    params: {sides: plan.sides, ports},
    inject,
    revert,
    warnings,
  }
}
