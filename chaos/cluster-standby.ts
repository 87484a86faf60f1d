import {z} from 'zod'

import {clusterNodeName, clusterStateOn, requireClusterNode} from '../src/stacks/pacemaker/targets.js'
import {HachaosError} from '../src/errors.js'
import type {FaultDefinition, FaultEnv, FaultPlan} from '../src/fault/types.js'

const Params = z
  .object({
    node: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a cluster node name').optional(),
  })
  .strict()
type P = z.output<typeof Params>

/** Put the target in standby (Pacemaker moves its resources away gracefully); revert: standby off. */
export const clusterStandby: FaultDefinition<P> = {
  kind: 'cluster-standby',
  summary: 'crm_standby on the target: Pacemaker stops its resources and starts them elsewhere (revert: standby off).',
  stacks: ['pacemaker'],
  params: Params,
  paramHelp: {node: 'Pacemaker node name of the target (default: the inventory fact cluster_node, else the host name)'},
  async plan(p: P, env: FaultEnv): Promise<FaultPlan> {
    requireClusterNode(env.target, 'cluster-standby')
    const node = p.node ?? clusterNodeName(env.target)
    const s = await clusterStateOn(env.exec)
    if (!s.nodes.some((n) => n.name === node)) {
      throw new HachaosError(`the cluster has no node "${node}" (it has ${s.nodes.map((n) => n.name).join(', ')})`, {
        code: 'E_USAGE',
        exit: 'USAGE',
        where: env.target.name,
        suggestions: [`set facts.cluster_node to the Pacemaker node name of ${env.target.name}`],
      })
    }
    const warnings = s.nodes.some((n) => n.name === node && n.standby) ? [`${node} is already in standby`] : []
    return {
      kind: 'cluster-standby',
      target: env.target.name,
      summary: `crm_standby --node ${node} --update on`,
      effect: 'cluster-standby',
      params: {node},
      inject: [{type: 'exec', host: env.ref, argv: ['crm_standby', '--node', node, '--update', 'on'], what: `standby on for ${node}`}],
      revert: [{type: 'exec', host: env.ref, argv: ['crm_standby', '--node', node, '--update', 'off'], what: `standby off for ${node}`}],
      warnings,
    }
  },
}
