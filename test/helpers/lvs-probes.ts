/**
 * The client probes of a real-server drill, split by error kind around the table's removal and the revert.
 * A killed web server answers its SYNs with RST ('refused'): such a failure after the removal means the
 * director still sent to it. A 'timeout' is the fault's signature when rs1 is blackholed, but after the
 * removal it is the other real server (busybox httpd forking per request in a one-CPU TCG guest, now taking
 * every request) or the guest's own load: reported, told apart from the director's mistakes.
 */
import type {DrillRun} from '../../src/store/run-types.js'

export interface ProbeSplit {
  /** Failures sent after the removal (+ tolerance), by error kind. */
  afterRemoval: Record<string, number>
  /** Failures sent after the revert began, by error kind. */
  afterRevert: Record<string, number>
  /** Send time (ms from the fault in effect) of the last 'refused' failure; null: none. */
  lastRefusedMs: number | null
  /** One line of what failed when, for the log. */
  text: string
}

export function splitProbes(run: DrillRun, removedMs: number, toleranceMs: number): ProbeSplit {
  const f = run.metrics.faultAtUs
  const injected = f + Number(run.metrics.extra['injectMs'] ?? 0) * 1000
  const revertAt = run.metrics.revertAtUs ?? Number.POSITIVE_INFINITY
  const afterRemoval: Record<string, number> = {}
  const afterRevert: Record<string, number> = {}
  let lastRefusedMs: number | null = null
  const seen: string[] = []
  for (const e of run.events) {
    if (e.type !== 'probe' || e.ok || e.t < f) continue
    const kind = e.error ?? 'other'
    const at = (e.t - injected) / 1000
    if (e.t >= revertAt) afterRevert[kind] = (afterRevert[kind] ?? 0) + 1
    else if (at > removedMs + toleranceMs) afterRemoval[kind] = (afterRemoval[kind] ?? 0) + 1
    if (kind === 'refused' && e.t < revertAt && (lastRefusedMs === null || at > lastRefusedMs)) lastRefusedMs = at
    if (at > removedMs) seen.push(`${at.toFixed(0)} ${kind}${e.t >= revertAt ? ' (after the revert)' : ''}`)
  }
  return {afterRemoval, afterRevert, lastRefusedMs, text: seen.length === 0 ? 'none after the removal' : seen.join(', ')}
}
