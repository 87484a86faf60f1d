/**
 * What every node-namespace lab (Pacemaker, Heartbeat, Gluster) does when its `lab up` fails: remove what was
 * made — or keep it for inspection with HACHAOS_LAB_KEEP=1 — and say so; and the error of a lab that did not
 * become ready in time, with the nodes' last log lines as suggestions.
 */
import {HachaosError, errorMessage} from '../errors.js'

/** The failed lab up's cleanup; rethrows `e`. */
export async function failedLabUp(e: unknown, topology: string, progress: (m: string) => void, down: () => Promise<unknown>): Promise<never> {
  if (process.env['HACHAOS_LAB_KEEP'] === '1') {
    progress(`lab up failed (${errorMessage(e)}): kept for inspection (HACHAOS_LAB_KEEP=1); hachaos lab down --topology ${topology} removes it`)
    throw e
  }
  progress(`lab up failed (${errorMessage(e)}): removing what was made`)
  await down().catch(() => undefined)
  throw e
}

/** E_LAB_NOT_READY (exit TIMEOUT) with the logs' non-empty lines as suggestions. */
export function labNotReady(msg: string, logs: string[], topology: string): HachaosError {
  return new HachaosError(msg, {
    code: 'E_LAB_NOT_READY',
    exit: 'TIMEOUT',
    suggestions: [...logs.filter((l) => l.trim() !== '' && !/: $/.test(l)).map((l) => l.replace(/\n/g, ' | ')), `the lab was removed again; to keep it with its logs: HACHAOS_LAB_KEEP=1 hachaos lab up --topology ${topology}`],
  })
}
