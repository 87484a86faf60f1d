import {homedir} from 'node:os'
import {join} from 'node:path'

/** $HACHAOS_HOME, default ~/.local/state/hachaos (XDG_STATE_HOME respected). */
export function hachaosHome(): string {
  const env = process.env['HACHAOS_HOME']
  if (env !== undefined && env !== '') return env
  const xdg = process.env['XDG_STATE_HOME']
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.local', 'state'), 'hachaos')
}

export const runsDir = (): string => join(hachaosHome(), 'runs')
export const journalDir = (): string => join(hachaosHome(), 'journal')
