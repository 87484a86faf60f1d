import {z} from 'zod'

import {placementOf} from '../src/stacks/pacemaker/crm-mon.js'
import {clusterNodeName, clusterStateOn, defaultGroup, requireClusterNode} from '../src/stacks/pacemaker/targets.js'
import {HachaosError} from '../src/errors.js'
import type {FaultDefinition, FaultEnv, FaultPlan} from '../src/fault/types.js'

const NAME = /^[A-Za-z0-9_.:-]{1,64}$/

const Params = z
  .object({
    resource: z.string().regex(NAME, 'a resource or group id').optional(),
    to: z.string().regex(NAME, 'a cluster node name').optional(),
  })
  .strict()
type P = z.output<typeof Params>

/**
 * `crm_resource --move` of the group (default: the one holding the VIP) from the target to another node;
 * the revert clears the constraint the move created (the group stays where it is: resource-stickiness).
 */
export const clusterMove: FaultDefinition<P> = {
  kind: 'cluster-move',
  summary: 'crm_resource --move the resource group off the target (revert: crm_resource --clear).',
  stacks: ['pacemaker'],
  params: Params,
  paramHelp: {resource: 'resource or group to move (default: fact cluster_group, else the group with the IPaddr2 VIP)', to: 'destination node (default: the first other online node)'},
  async plan(p: P, env: FaultEnv): Promise<FaultPlan> {
    requireClusterNode(env.target, 'cluster-move')
    const node = clusterNodeName(env.target)
    const s = await clusterStateOn(env.exec)
    const res = p.resource ?? defaultGroup(env.target, s)
    if (res === null) {
      throw new HachaosError('which resource? the cluster has no IPaddr2 VIP and the inventory names no cluster_group', {code: 'E_USAGE', exit: 'USAGE', suggestions: ['pass --param resource=NAME']})
    }
    const where = placementOf(s, res)
    if (where === null) {
      throw new HachaosError(`the cluster has no resource or group "${res}"`, {
        code: 'E_USAGE',
        exit: 'USAGE',
        suggestions: [`groups: ${s.groups.map((g) => g.id).join(', ') || 'none'}; resources: ${s.resources.map((r) => r.id).join(', ')}`],
      })
    }
    if (!where.nodes.includes(node)) {
      throw new HachaosError(`${res} does not run on ${node} (it runs on ${where.nodes.join(', ') || 'no node'})`, {
        code: 'E_USAGE',
        exit: 'USAGE',
        where: env.target.name,
        suggestions: [where.nodes.length > 0 ? `target the node that runs it: --target ${where.nodes[0] as string}` : 'start it first: hachaos cluster status'],
      })
    }
    const candidates = s.nodes.filter((n) => n.name !== node && n.online && !n.standby && !n.unclean && !n.maintenance).map((n) => n.name).sort()
    const to = p.to ?? candidates[0]
    if (to === undefined || !s.nodes.some((n) => n.name === to)) {
      throw new HachaosError(to === undefined ? `no other online node to move ${res} to` : `the cluster has no node "${to}"`, {
        code: 'E_USAGE',
        exit: 'USAGE',
        suggestions: [`online nodes: ${s.nodes.filter((n) => n.online).map((n) => n.name).join(', ')}`],
      })
    }
    if (to === node) throw new HachaosError(`${res} already runs on ${to}`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['pick another node with --param to=NODE']})
    return {
      kind: 'cluster-move',
      target: env.target.name,
      summary: `crm_resource --move --resource ${res} --node ${to}`,
      effect: 'cluster-move',
      params: {resource: res, from: node, to},
      inject: [{type: 'exec', host: env.ref, argv: ['crm_resource', '--move', '--resource', res, '--node', to], what: `move ${res} from ${node} to ${to}`}],
      revert: [{type: 'exec', host: env.ref, argv: ['crm_resource', '--clear', '--resource', res], what: `clear the move constraint of ${res}`}],
      warnings: [`the revert clears the constraint; ${res} then stays on ${to} (resource-stickiness), it does not move back`],
    }
  },
}
