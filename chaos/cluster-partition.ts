import {corosyncPorts, nodeAddresses} from '../src/config/corosync.js'
import {PartitionParams, partitionActions, planPartition, type PartitionMember, type PartitionParamsOut} from '../src/fault/nft-partition.js'
import {CLUSTER_ROLE, clusterHosts, clusterNodeName, corosyncConfOn, requireClusterNode} from '../src/stacks/pacemaker/targets.js'
import {HachaosError} from '../src/errors.js'
import type {FaultDefinition, FaultEnv, FaultPlan} from '../src/fault/types.js'

const Params = PartitionParams
type P = PartitionParamsOut

/**
 * Cut the Corosync traffic between the target's side (the target plus `with`) and every other cluster
 * node of the inventory: nftables in every node drops the other side's corosync UDP (all links, from
 * corosync.conf). Healed on revert by deleting the table; idempotent.
 */
export const clusterPartition: FaultDefinition<P> = {
  kind: 'cluster-partition',
  summary: "Partition the cluster: nftables drops corosync's UDP between the target's side and the other nodes (revert: heal).",
  stacks: ['pacemaker'],
  params: Params,
  paramHelp: {with: 'comma-separated cluster nodes on the target\'s side (default: the target alone)', port: 'corosync UDP port (default: from corosync.conf, 5405)'},
  async plan(p: P, env: FaultEnv): Promise<FaultPlan> {
    requireClusterNode(env.target, 'cluster-partition')
    const all = clusterHosts(env.inventory)
    const sideA = [env.target, ...p.with.map((n) => {
      const h = all.find((x) => x.name === n)
      if (h === undefined) {
        throw new HachaosError(`"${n}" is not a cluster node of the inventory`, {code: 'E_USAGE', exit: 'USAGE', suggestions: [`cluster nodes (role ${CLUSTER_ROLE}): ${all.map((x) => x.name).join(', ')}`]})
      }
      return h
    })]
    const sideB = all.filter((h) => !sideA.some((a) => a.name === h.name))
    if (sideB.length === 0) {
      throw new HachaosError('the other side of the partition is empty', {code: 'E_USAGE', exit: 'USAGE', suggestions: ['leave at least one cluster node out of --param with=…']})
    }
    const conf = await corosyncConfOn(env.exec, env.target)
    const warnings: string[] = []
    if (conf === null) warnings.push(`corosync.conf not readable on ${env.target.name}: using inventory addresses and port 5405`)
    const member = (h: (typeof all)[number]): PartitionMember => {
      const fromConf = conf === null ? [] : nodeAddresses(conf, clusterNodeName(h))
      return {host: h.name, addrs: fromConf.length > 0 ? fromConf : [h.address]}
    }
    const ports = p.port !== undefined ? [p.port] : conf === null ? [5405] : corosyncPorts(conf)
    const plan = planPartition(sideA.map(member), sideB.map(member), ports)
    const refOf = (name: string): FaultEnv['ref'] => {
      const h = all.find((x) => x.name === name)
      if (h === undefined) throw new HachaosError(`no host ${name}`, {code: 'E_INTERNAL', exit: 'INTERNAL'})
      return env.refFor(h)
    }
    const {inject, revert} = partitionActions(plan, refOf, `corosync UDP (ports ${ports.join(',')})`)
    if (sideA.length <= sideB.length) warnings.push(`${sideA.map((h) => h.name).join('+')} is ${sideA.length === sideB.length ? 'not a majority' : 'the minority'}: it loses quorum (unless two_node / a quorum device)`)
    return {
      kind: 'cluster-partition',
      target: env.target.name,
      summary: `partition ${plan.sides[0].join('+')} | ${plan.sides[1].join('+')} (corosync UDP ${ports.join(',')})`,
      effect: 'cluster-partition',
      params: {sides: plan.sides, ports},
      inject,
      revert,
      warnings,
    }
  },
}
