/**
 * How long ldirectord takes to take a failed real server out of the IPVS table (or set its weight to 0 with
 * quiescent=yes), as a formula over its ldirectord.cf (ldirectord 4.12's main loop, /usr/sbin/ldirectord):
 *   fork=no: check every real server of every virtual one after the other, then `sleep checkinterval`;
 *   a check that fails `failurecount` times in a row takes the server out (service down → ipvsadm -d, or
 *   -e … -w 0 when quiescent).
 * With d = the failing check's duration (≈ 0 when the connection is refused, ≈ the check's timeout —
 * negotiatetimeout for negotiate checks, checktimeout for connect/ping/external — for a blackhole) and
 * ci = checkinterval, the first failing check starts 0 … ci after the fault (the loop before it was healthy:
 * checks ≈ 0), and each further one ci + d later:
 *   removal = U[0, ci] + d + (failurecount − 1) × (ci + d),
 *   so failurecount × (ci + d) − ci … failurecount × (ci + d)  (the upper bound: "up to failurecount ×
 *   (checkinterval + check duration)").
 * Other real servers' checks in the same loop add their durations to every cycle (≈ 0 when they answer at
 * once; a second dead server adds its timeout). Re-adding after the revert: the next successful check, at
 * most ci (+ d when a timed-out check was in flight).
 */
import {type LdirectordConfig, type LdVirtual, ldTimers} from '../../../config/ldirectord.js'
import type {Prediction} from '../../../store/run-types.js'

/** How the real server fails: its port refuses (RST: the check fails at once) or its packets vanish (the check waits out its timeout). */
export type LdFailure = 'refused' | 'blackhole'

export interface LdRemovalInput {
  cfg: LdirectordConfig
  virtual: LdVirtual
  failure: LdFailure
  /** The real server's name for the formula text (e.g. rs1 or 10.70.1.11:80). */
  real?: string
}

const s = (ms: number): string => `${(ms / 1000).toFixed(3)} s`

/** Metric name of the removal time (FailoverMetrics.extra). */
export const LD_REMOVAL_METRIC = 'realServerRemovalMs'

export function predictLdirectordRemoval(i: LdRemovalInput): Prediction {
  const t = ldTimers(i.cfg, i.virtual)
  const ci = t.checkintervalS.value * 1000
  const f = t.failurecount.value
  const timeoutMs = t.activeTimeoutS.value * 1000
  const d = i.failure === 'refused' ? 0 : timeoutMs
  const timeoutName = t.checktype.value === 'negotiate' || t.checktype.value === 'combined' ? 'negotiatetimeout' : 'checktimeout'
  const action = t.quiescent.value ? 'weight 0 (quiescent=yes: it stays in the table)' : 'removed from the table (quiescent=no)'
  const who = i.real ?? 'the real server'
  const inputs: Prediction['inputs'] = {
    virtual: i.virtual.text,
    checktype: t.checktype.value,
    checkintervalS: t.checkintervalS.value,
    checktimeoutS: t.checktimeoutS.value,
    negotiatetimeoutS: t.negotiatetimeoutS.value,
    failurecount: f,
    quiescent: t.quiescent.value,
    fork: t.fork,
    failure: i.failure,
    checkDurationMs: d,
  }
  if (t.checktype.value === 'on' || t.checktype.value === 'off') {
    return {
      metric: LD_REMOVAL_METRIC,
      takeoverMs: null,
      minMs: null,
      maxMs: null,
      formula: `checktype=${t.checktype.value}: ldirectord does not check ${who} of ${i.virtual.text}, it is never ${t.quiescent.value ? 'quiesced' : 'removed'}`,
      inputs,
    }
  }
  const cycle = ci + d
  const max = f * cycle
  const min = Math.max(0, max - ci)
  const dText = i.failure === 'refused' ? 'check ≈ 0 s (refused)' : `check ${timeoutMs / 1000} s (${timeoutName}, blackhole)`
  return {
    metric: LD_REMOVAL_METRIC,
    takeoverMs: (min + max) / 2,
    minMs: min,
    maxMs: max,
    formula: `ldirectord ${t.checktype.value} check of ${who} (${i.virtual.text}): up to failurecount ${f} × (checkinterval ${ci / 1000} s + ${dText}) = ${s(max)}, at least ${s(min)} (the first failing check starts 0 … checkinterval after the fault); then ${action}`,
    inputs,
  }
}

/** Time until a recovered real server is back (weight restored / re-added): the next successful check. */
export function predictLdirectordReadd(i: Omit<LdRemovalInput, 'failure'>): Prediction {
  const t = ldTimers(i.cfg, i.virtual)
  const ci = t.checkintervalS.value * 1000
  const timeoutMs = t.activeTimeoutS.value * 1000
  return {
    metric: 'realServerReaddMs',
    takeoverMs: ci / 2,
    minMs: 0,
    maxMs: ci + timeoutMs,
    formula: `the next check after the revert succeeds: 0 … checkinterval ${ci / 1000} s (+ ${timeoutMs / 1000} s when a timed-out check was still running) = 0 … ${s(ci + timeoutMs)}`,
    inputs: {virtual: i.virtual.text, checkintervalS: t.checkintervalS.value, timeoutS: t.activeTimeoutS.value, quiescent: t.quiescent.value},
  }
}
