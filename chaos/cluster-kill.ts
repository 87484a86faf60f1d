import {z} from 'zod'

import {clusterStateOn, requireClusterNode} from '../src/stacks/pacemaker/targets.js'
import {HachaosError} from '../src/errors.js'
import type {FaultDefinition, FaultEffect, FaultEnv, FaultPlan} from '../src/fault/types.js'

export const CLUSTER_DAEMONS = ['corosync', 'pacemakerd', 'pacemaker-controld'] as const

const Params = z
  .object({
    daemon: z.enum(CLUSTER_DAEMONS).default('corosync'),
  })
  .strict()
type P = z.output<typeof Params>

const EFFECT: Record<P['daemon'], FaultEffect> = {
  // the node leaves the membership: its peers notice after token + consensus
  corosync: 'node-loss',
  // pacemakerd's children keep running: nothing should move
  pacemakerd: 'none',
  // pacemakerd respawns the controller; its peers see it leave and come back
  'pacemaker-controld': 'service-loss',
}

/**
 * SIGKILL of one daemon of the cluster stack on the target. The revert restarts the node's stack
 * properly (service "pacemaker": corosync first, then pacemakerd, daemons cut off from a dead corosync
 * cleared), which is idempotent: a stack that runs is left alone.
 */
export const clusterKill: FaultDefinition<P> = {
  kind: 'cluster-kill',
  summary: 'SIGKILL corosync, pacemakerd or pacemaker-controld on a cluster node (revert: start the node\'s stack again).',
  stacks: ['pacemaker'],
  params: Params,
  paramHelp: {daemon: 'corosync (default), pacemakerd or pacemaker-controld'},
  async plan(p: P, env: FaultEnv): Promise<FaultPlan> {
    requireClusterNode(env.target, 'cluster-kill')
    if (env.target.services === 'none') {
      throw new HachaosError(`${env.target.name} has services: none, so the cluster stack could not be started again after the kill`, {
        code: 'E_NO_SERVICE_CONTROL',
        exit: 'USAGE',
        where: env.target.name,
        suggestions: ['set services: systemd (or auto) for this host in the inventory'],
      })
    }
    const pids = await env.exec.pidsOf(p.daemon)
    if (pids.length === 0) {
      throw new HachaosError(`no ${p.daemon} is running on ${env.target.name}`, {
        code: 'E_NO_PROCESS',
        exit: 'USAGE',
        where: env.target.name,
        suggestions: ['is the cluster stack up there? hachaos cluster status'],
      })
    }
    const warnings: string[] = []
    try {
      const s = await clusterStateOn(env.exec)
      if (s.stonithEnabled === false && p.daemon !== 'pacemakerd') {
        warnings.push(`stonith is disabled: nobody fences ${env.target.name}, so its resources (the VIP) may keep running there while another node starts them (split brain)`)
      }
    } catch {
      warnings.push(`crm_mon does not answer on ${env.target.name}`)
    }
    return {
      kind: 'cluster-kill',
      target: env.target.name,
      summary: `kill -9 ${p.daemon} on ${env.target.name}`,
      effect: EFFECT[p.daemon],
      params: {daemon: p.daemon},
      inject: [{type: 'signal', host: env.ref, comm: p.daemon, signal: 'SIGKILL', what: `SIGKILL ${p.daemon} on ${env.target.name}`}],
      revert: [{type: 'service', host: env.ref, service: 'pacemaker', op: 'start', what: `start the cluster stack on ${env.target.name} (corosync, then pacemaker)`}],
      warnings,
    }
  },
}
