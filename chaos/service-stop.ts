import {z} from 'zod'

import {canonicalService} from '../src/lab/services.js'
import type {FaultDefinition, FaultEnv, FaultPlan} from '../src/fault/types.js'
import {KNOWN_PROCESSES} from './processes.js'

const Params = z
  .object({
    service: z.string().regex(/^[A-Za-z0-9_.@:-]{1,64}$/, 'a service name').default('keepalived'),
  })
  .strict()
type P = z.output<typeof Params>

export const serviceStop: FaultDefinition<P> = {
  kind: 'service-stop',
  summary: 'Stop a daemon the way an operator would (systemctl stop; the lab\'s own control in the lab); revert: start it.',
  stacks: ['keepalived', 'haproxy', 'pacemaker', 'lvs', 'heartbeat'],
  params: Params,
  paramHelp: {service: 'keepalived, haproxy, apache2/httpd, pacemaker, corosync … (default keepalived)'},
  async plan(p: P, env: FaultEnv): Promise<FaultPlan> {
    const svc = env.target.services === 'lab' ? canonicalService(p.service) : p.service
    const known = KNOWN_PROCESSES[svc]
    return {
      kind: 'service-stop',
      target: env.target.name,
      summary: `stop ${svc} on ${env.target.name}`,
      // A stop is graceful by definition (keepalived sends priority 0).
      effect: known?.effect.graceful ?? 'none',
      params: {service: svc},
      inject: [{type: 'service', host: env.ref, service: svc, op: 'stop', what: `stop ${svc} on ${env.target.name}`}],
      revert: [{type: 'service', host: env.ref, service: svc, op: 'start', what: `start ${svc} on ${env.target.name}`}],
      warnings: [],
    }
  },
}
