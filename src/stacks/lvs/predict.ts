/**
 * keepalived's checker removal time for a real server that fails (the issue's formula):
 *   U[0, delay_loop] + (retry + 1) · t_fail + retry · delay_before_retry
 * with t_fail ≈ 0 when the connection is refused (RST: the web server is dead) and ≈ connect_timeout when
 * the packets vanish (a blackhole: the NIC is down, the port dropped). The U[0, delay_loop] term is the
 * phase of the checker's loop when the fault hits.
 */
import type {Prediction} from '../../store/run-types.js'

export interface CheckerTimers {
  delayLoopS: number
  connectTimeoutS: number
  retry: number
  delayBeforeRetryS: number
}

export type FailMode = 'refused' | 'blackhole'

export function predictCheckerRemoval(t: CheckerTimers, mode: FailMode, real: string): Prediction {
  const tFail = mode === 'refused' ? 0 : t.connectTimeoutS
  const fixedS = (t.retry + 1) * tFail + t.retry * t.delayBeforeRetryS
  const minMs = Math.round(fixedS * 1000)
  const maxMs = Math.round((fixedS + t.delayLoopS) * 1000)
  return {
    metric: 'checkerRemovalMs',
    takeoverMs: Math.round((minMs + maxMs) / 2),
    minMs,
    maxMs,
    formula: `U[0, delay_loop ${t.delayLoopS} s] + (retry ${t.retry} + 1) × t_fail ${tFail} s (${mode === 'refused' ? 'connection refused' : `blackhole: connect_timeout ${t.connectTimeoutS} s`}) + retry ${t.retry} × delay_before_retry ${t.delayBeforeRetryS} s = ${(minMs / 1000).toFixed(1)}–${(maxMs / 1000).toFixed(1)} s until keepalived removes ${real}`,
    inputs: {delayLoopS: t.delayLoopS, connectTimeoutS: t.connectTimeoutS, retry: t.retry, delayBeforeRetryS: t.delayBeforeRetryS, mode, real},
  }
}

/**
 * Back in the table after the revert: keepalived keeps checking a failed real server every delay_loop and
 * adds it again at the first success (one connect, ≈ 0 s on a LAN):
 *   U[0, delay_loop]
 */
export function predictReadd(t: Pick<CheckerTimers, 'delayLoopS'>): {minMs: number; maxMs: number; formula: string} {
  const maxMs = Math.round(t.delayLoopS * 1000)
  return {minMs: 0, maxMs, formula: `U[0, delay_loop ${t.delayLoopS} s] = 0–${(maxMs / 1000).toFixed(1)} s`}
}
