import {Flags} from '@oclif/core'

import {HachaosError} from '../src/errors.js'
import {labPrefix, PREFIX_RE} from '../src/lab/paths.js'
import {LAB_DRIVERS} from '../src/lab/registry.js'

/** Every lab topology, from the lab registry (src/lab/registry.ts, one line per lab): the commands list none. */
export const TOPOLOGIES: readonly string[] = LAB_DRIVERS.map((d) => d.topology)
export type Topology = string

export const labFlags = {
  topology: Flags.string({
    description: `Which lab: ${TOPOLOGIES.join(', ')} (see \`hachaos lab up --help\`).`,
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
