import {Flags} from '@oclif/core'

import {HachaosError} from '../src/errors.js'
import {labPrefix, PREFIX_RE} from '../src/lab/paths.js'

export const TOPOLOGIES = ['keepalived', 'pacemaker', 'bond', 'heartbeat', 'gluster'] as const
export type Topology = (typeof TOPOLOGIES)[number]

export const labFlags = {
  topology: Flags.string({
    description: 'Which lab: keepalived (lb1/lb2 + web1/web2 + client + VIP), pacemaker, bond, heartbeat or gluster.',
    options: [...TOPOLOGIES],
    default: 'keepalived',
  }),
  prefix: Flags.string({
    description: 'Namespace prefix (several labs can run side by side). Env: HACHAOS_LAB_PREFIX.',
    default: labPrefix(),
  }),
}

export function checkPrefix(p: string): string {
  if (!PREFIX_RE.test(p)) {
    throw new HachaosError(`prefix "${p}" is not valid`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['use 1-6 lowercase letters or digits, starting with a letter (default: hc)']})
  }
  return p
}
