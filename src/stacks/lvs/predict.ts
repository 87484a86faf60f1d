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
 * Back in the table after the revert. keepalived checks a real server it has removed every delay_loop
 * (no retries while it is down) and adds it again at the first success (one connect, ≈ 0 s on a LAN):
 *   refused:   U[0, delay_loop]
 *   blackhole: U[0, delay_loop] + up to connect_timeout (a check whose SYN went out while the link was
 *              down runs into its connect_timeout first: the link's return does not retransmit it sooner)
 */
export function predictReadd(t: Pick<CheckerTimers, 'delayLoopS' | 'connectTimeoutS'>, mode: FailMode): {minMs: number; maxMs: number; formula: string} {
  const inFlight = mode === 'blackhole' ? t.connectTimeoutS : 0
  const maxMs = Math.round((t.delayLoopS + inFlight) * 1000)
  const text = mode === 'blackhole' ? `U[0, delay_loop ${t.delayLoopS} s] + up to connect_timeout ${t.connectTimeoutS} s (a check in flight)` : `U[0, delay_loop ${t.delayLoopS} s]`
  return {minMs: 0, maxMs, formula: `${text} = 0–${(maxMs / 1000).toFixed(1)} s`}
}
