import type {Executor} from '../exec/types.js'
import {executorFor, type InventoryHost} from '../inventory/inventory.js'

/**
 * Offset of a host's CLOCK_REALTIME from ours, in µs (host − local), measured Cristian-style: the sample
 * with the shortest round trip, its remote reading compared with the midpoint of our send/receive times.
 * Hosts that share our kernel (local, netns, nsenter) share our clock: 0 without asking.
 */
export async function clockOffsetUs(exec: Executor, samples = 5): Promise<{offsetUs: number; rttUs: number | null}> {
  if (exec.kind === 'local' || exec.kind === 'netns' || exec.kind === 'nsenter' || exec.kind === 'recording') return {offsetUs: 0, rttUs: null}
  let best: {offsetUs: number; rttUs: number} | null = null
  for (let i = 0; i < samples; i++) {
    const r = await exec.run(['date', '+%s.%N'], {timeoutMs: 5000})
    const m = /^(\d+)\.(\d{9})/.exec(r.stdout.trim())
    if (r.code !== 0 || m === null) continue
    const remoteUs = Number(m[1]) * 1e6 + Math.floor(Number(m[2]) / 1000)
    const rtt = r.t1 - r.t0
    const off = remoteUs - (r.t0 + rtt / 2)
    if (best === null || rtt < best.rttUs) best = {offsetUs: Math.round(off), rttUs: rtt}
  }
  return best ?? {offsetUs: 0, rttUs: null}
}

/** The clock offset of every host that observes a drill, each host once. */
export async function clockOffsetsOf(hosts: InventoryHost[]): Promise<Array<{name: string; clockOffsetUs: number}>> {
  return Promise.all([...new Set(hosts)].map(async (h) => ({name: h.name, clockOffsetUs: (await clockOffsetUs(executorFor(h))).offsetUs})))
}
