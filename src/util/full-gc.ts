/**
 * A full (mark-compact) garbage collection on demand, for processes that run for days (`hachaos watch`).
 *
 * Why: a watch keeps short windows of objects alive on purpose — the frame ring of the pcap slices (150 s), the
 * tracker's pre-roll events (15 s), the probes of the 60 s success ratio. Each such object outlives two
 * scavenges, so V8 promotes it into old space, where it dies and stays until the next major GC. V8 starts one
 * only when old space reaches a limit of its own heuristics: in a real hour at 5 probes/s old space grew by
 * ~0.45 MB a minute for 35 minutes before the first one, and RSS stayed at that high-water mark (76 → 87 MB).
 * One full GC a minute keeps old space at what is alive: ~5 ms each on a ~20 MB heap (0.01 % of a core).
 *
 * How: `gc` is exposed only with --expose-gc; setting the flag at run time exposes it in contexts made after
 * (node's documented v8.setFlagsFromString), so one new context hands the function out. The main context is
 * unchanged (no global `gc`). If the runtime refuses, the function is a no-op and says so.
 */
import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'

let cached: (() => void) | null | undefined

/** The full-GC function, or null when this runtime does not expose one. */
export function fullGc(): (() => void) | null {
  if (cached !== undefined) return cached
  try {
    setFlagsFromString('--expose-gc')
    const gc: unknown = runInNewContext('typeof gc === "function" ? gc : undefined')
    cached = typeof gc === 'function' ? () => void (gc as () => unknown)() : null
  } catch {
    cached = null
  }
  return cached
}
