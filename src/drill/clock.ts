import type {Executor} from '../exec/types.js'
import {executorFor, type InventoryHost} from '../inventory/inventory.js'

/**
 * Offset of a host's CLOCK_REALTIME from ours, in µs (host − local), by Cristian's bounds: a remote reading r
 * taken between our send time t0 and receive time t1 means offset ∈ [r − t1, r − t0]. Over ssh the interval is
 * wide and lopsided (the ssh client's own start-up comes before the request), so the midpoint would invent
 * tens of milliseconds of offset between NTP-synchronised hosts. Instead: intersect the intervals of every
 * sample; when 0 lies inside, the clocks agree within what can be measured and no correction is applied;
 * otherwise the smallest correction consistent with every sample. `uncertaintyUs` is the half-width left.
 * Hosts that share our kernel (local, netns, nsenter) share our clock: 0 without asking.
 */
export async function clockOffsetUs(exec: Executor, samples = 5): Promise<{offsetUs: number; uncertaintyUs: number | null}> {
  if (exec.kind === 'local' || exec.kind === 'netns' || exec.kind === 'nsenter' || exec.kind === 'recording') return {offsetUs: 0, uncertaintyUs: 0}
  let lo = Number.NEGATIVE_INFINITY
  let hi = Number.POSITIVE_INFINITY
  for (let i = 0; i < samples; i++) {
    const r = await exec.run(['date', '+%s.%N'], {timeoutMs: 5000})
    const m = /^(\d+)\.(\d{9})/.exec(r.stdout.trim())
    if (r.code !== 0 || m === null) continue
    const remoteUs = Number(m[1]) * 1e6 + Math.floor(Number(m[2]) / 1000)
    lo = Math.max(lo, remoteUs - r.t1)
    hi = Math.min(hi, remoteUs - r.t0)
  }
  return offsetFromBounds(lo, hi)
}

/** The correction for an offset known to lie in [lo, hi] (µs); pure, for tests. */
export function offsetFromBounds(lo: number, hi: number): {offsetUs: number; uncertaintyUs: number | null} {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return {offsetUs: 0, uncertaintyUs: null}
  // Inconsistent bounds (a clock step during the samples): take the middle of the overlap that is not there.
  if (lo > hi) return {offsetUs: Math.round((lo + hi) / 2), uncertaintyUs: Math.round((lo - hi) / 2)}
  const offsetUs = lo <= 0 && hi >= 0 ? 0 : lo > 0 ? Math.round(lo) : Math.round(hi)
  return {offsetUs, uncertaintyUs: Math.round((hi - lo) / 2)}
}

/** The clock offset of every host that observes a drill, each host once. */
export async function clockOffsetsOf(hosts: InventoryHost[]): Promise<Array<{name: string; clockOffsetUs: number; clockUncertaintyUs?: number}>> {
  return Promise.all(
    [...new Set(hosts)].map(async (h) => {
      const c = await clockOffsetUs(executorFor(h))
      return {name: h.name, clockOffsetUs: c.offsetUs, ...(c.uncertaintyUs === null || c.uncertaintyUs === 0 ? {} : {clockUncertaintyUs: c.uncertaintyUs})}
    }),
  )
}
