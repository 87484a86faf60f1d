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
  /** A failing attempt's bound for a blackhole: connect_timeout (TCP_CHECK, HTTP_GET, SSL_GET) or, for MISC_CHECK, the script's own timeout / misc_timeout (checker.ts). */
  connectTimeoutS: number
  retry: number
  delayBeforeRetryS: number
}

export type FailMode = 'refused' | 'blackhole'

/** The checker's kind and MISC_CHECK's timers, when known (checker.ts's CheckerOf has them). */
export interface CheckerKind {
  kind?: string
  miscTimeoutS?: number
  scriptTimeoutS?: number | null
}

/** What bounds one failing attempt in a blackhole, in words. */
function blackholeBound(t: CheckerTimers & CheckerKind): string {
  if (t.kind !== 'MISC_CHECK') return `connect_timeout ${t.connectTimeoutS} s`
  const misc = `misc_timeout ${t.miscTimeoutS ?? t.connectTimeoutS} s`
  return t.scriptTimeoutS === null || t.scriptTimeoutS === undefined ? `${misc}: keepalived kills the script` : `the script's own timeout ${t.scriptTimeoutS} s (${misc})`
}

/**
 * MISC_CHECK schedules its next attempt from the START of the previous one (keepalived's check_misc.c:
 * `timer_add_long(last_ran, retry_it ? delay_before_retry : delay_loop)`), so a timed-out attempt's own
 * time counts towards delay_before_retry: the attempts start max(delay_before_retry, t_fail) apart,
 *   removal = U[0, delay_loop] + retry · max(delay_before_retry, t_fail) + t_fail
 * (the lab measured 2.30–2.76 s blackholed where the TCP_CHECK form says 3–4 s, and 1.71–1.75 s refused).
 */
function miscFixedS(t: CheckerTimers, tFail: number): number {
  return t.retry * Math.max(t.delayBeforeRetryS, tFail) + tFail
}

export function predictCheckerRemoval(t: CheckerTimers & CheckerKind, mode: FailMode, real: string): Prediction {
  const tFail = mode === 'refused' ? 0 : t.connectTimeoutS
  const misc = t.kind === 'MISC_CHECK'
  const fixedS = misc ? miscFixedS(t, tFail) : (t.retry + 1) * tFail + t.retry * t.delayBeforeRetryS
  const minMs = Math.round(fixedS * 1000)
  const maxMs = Math.round((fixedS + t.delayLoopS) * 1000)
  const kind = t.kind === undefined ? '' : `${t.kind}: `
  return {
    metric: 'checkerRemovalMs',
    takeoverMs: Math.round((minMs + maxMs) / 2),
    minMs,
    maxMs,
    formula: misc
      ? `${kind}U[0, delay_loop ${t.delayLoopS} s] + retry ${t.retry} × max(delay_before_retry ${t.delayBeforeRetryS} s, t_fail) + t_fail ${tFail} s (${mode === 'refused' ? 'connection refused' : `blackhole: ${blackholeBound(t)}`}; attempts start delay_before_retry apart, from the previous start) = ${(minMs / 1000).toFixed(1)}–${(maxMs / 1000).toFixed(1)} s until keepalived removes ${real}`
      : `${kind}U[0, delay_loop ${t.delayLoopS} s] + (retry ${t.retry} + 1) × t_fail ${tFail} s (${mode === 'refused' ? 'connection refused' : `blackhole: ${blackholeBound(t)}`}) + retry ${t.retry} × delay_before_retry ${t.delayBeforeRetryS} s = ${(minMs / 1000).toFixed(1)}–${(maxMs / 1000).toFixed(1)} s until keepalived removes ${real}`,
    inputs: {
      delayLoopS: t.delayLoopS,
      connectTimeoutS: t.connectTimeoutS,
      retry: t.retry,
      delayBeforeRetryS: t.delayBeforeRetryS,
      mode,
      real,
      ...(t.kind === undefined ? {} : {checker: t.kind}),
      ...(t.miscTimeoutS === undefined ? {} : {miscTimeoutS: t.miscTimeoutS}),
      ...(typeof t.scriptTimeoutS === 'number' ? {scriptTimeoutS: t.scriptTimeoutS} : {}),
    },
  }
}

/**
 * Back in the table after the revert. keepalived checks a real server it has removed every delay_loop
 * (no retries while it is down) and adds it again at the first success (one connect, ≈ 0 s on a LAN):
 *   refused:   U[0, delay_loop]
 *   blackhole: U[0, delay_loop] + up to connect_timeout (a check whose SYN went out while the link was
 *              down runs into its connect_timeout first: the link's return does not retransmit it sooner)
 * HTTP_GET / SSL_GET (keepalived 2.2.7) add it only after retry + 1 successes in a row, delay_before_retry
 * apart: the lab's log shows one "HTTP status code success" per attempt and "Adding service" at the second
 * (retry 1; test/fixtures/lvs/d1-keepalived-http.log), so they add retry × delay_before_retry to both ends.
 */
export function predictReadd(t: Pick<CheckerTimers, 'delayLoopS' | 'connectTimeoutS'> & Partial<Pick<CheckerTimers, 'retry' | 'delayBeforeRetryS'>> & CheckerKind, mode: FailMode): {minMs: number; maxMs: number; formula: string} {
  const inFlight = mode === 'blackhole' ? t.connectTimeoutS : 0
  const http = t.kind === 'HTTP_GET' || t.kind === 'SSL_GET'
  const confirmS = http ? (t.retry ?? 0) * (t.delayBeforeRetryS ?? 0) : 0
  const minMs = Math.round(confirmS * 1000)
  const maxMs = Math.round((t.delayLoopS + inFlight + confirmS) * 1000)
  const base = mode === 'blackhole' ? `U[0, delay_loop ${t.delayLoopS} s] + up to connect_timeout ${t.connectTimeoutS} s (a check in flight)` : `U[0, delay_loop ${t.delayLoopS} s]`
  const text = http ? `${base} + retry ${t.retry ?? 0} × delay_before_retry ${t.delayBeforeRetryS ?? 0} s (${t.kind} wants retry + 1 successes)` : base
  return {minMs, maxMs, formula: `${text} = ${minMs === 0 ? '0' : (minMs / 1000).toFixed(1)}–${(maxMs / 1000).toFixed(1)} s`}
}
