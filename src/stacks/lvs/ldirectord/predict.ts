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
 * That holds when checks cost nothing. They do not: with fork=no one loop runs every real server's check of
 * every virtual (N checks), then its own bookkeeping (check_cfgfile, signals), then sleeps ci; and the
 * removal itself is ldirectord reading the table (a forked `ipvsadm -L -n`) and running `ipvsadm -d` (or
 * `-e … -w 0`). With c = one answering check's duration, o = the loop's own overhead and r = the removal's
 * cost (measured, `loop` below; 0 when not given):
 *   healthy cycle  C0 = ci + N·c + o            (the phase of the first failing check: U[0, C0])
 *   failing cycle  C1 = ci + d + (N − 1)·c + o  (the target's check now takes d)
 *   removal = U[0, C0] + d + (failurecount − 1)·C1 + r
 * (with c = o = r = 0 this is the formula above). A blackholed HOST (its NIC down) fails every check of its
 * address in the loop, not only the target's: with fork=no the k other checks on that address (other
 * virtuals, other ports) each wait their own timeout, e = the sum of those timeouts, and
 *   C1 = ci + d + e + (N − 1 − k)·c + o,  removal = U[0, C0 + e] + d + (failurecount − 1)·C1 + r
 * (the loop the fault lands in may still run some of them). The lab measured this: rs1's NIC down with
 * VIP:80 (negotiate) and VIP:7 (connect) on rs1 removed rs1:80 after 7.91 s, beyond the 3.475–6.520 s of
 * the one-check form; the host form says 4.450–8.370 s. With fork=yes each virtual has its own loop: N counts only
 * its real servers. Re-adding after the revert: the next successful check, at most ci (+ d when a timed-out
 * check was in flight).
 */
import {type LdirectordConfig, type LdVirtual, ldRealCount, ldTimeoutText, ldTimers} from '../../../config/ldirectord.js'
import type {Prediction} from '../../../store/run-types.js'

/** How the real server fails: its port refuses (RST: the check fails at once) or its packets vanish (the check waits out its timeout). */
export type LdFailure = 'refused' | 'blackhole'

export interface LdRemovalInput {
  cfg: LdirectordConfig
  virtual: LdVirtual
  failure: LdFailure
  /** The real server's name for the formula text (e.g. rs1 or 10.70.1.11:80). */
  real?: string
  /**
   * The real server's address when the whole host is blackholed (its NIC down): the loop's other checks on
   * that address fail too, each waiting its timeout. Absent: only the target's check fails (a port dropped).
   */
  hostAddress?: string
  /** Measured costs of ldirectord's loop on the director (all ms; absent: 0). */
  loop?: LdLoopCosts
}

/** A measured range [low, high] (ms): the low ends make the earliest removal, the high ends the latest. */
export type MsRange = readonly [number, number]

/** What one ldirectord loop costs besides checkinterval and the failing check (measured on the director). */
export interface LdLoopCosts {
  /** One answering check (connect or negotiate), c. */
  checkMs: MsRange
  /** The loop's own work per cycle (check_cfgfile, signals, the sleep's wake-up late on a busy host), o. */
  cycleOverheadMs: MsRange
  /** The removal: `ipvsadm -L -n` read and `ipvsadm -d` / `-e -w 0` run by ldirectord, r. */
  removeMs: MsRange
}

const zero = (r: MsRange): boolean => r[0] === 0 && r[1] === 0
const rangeS = (r: MsRange): string => (r[0] === r[1] ? `${r[0] / 1000} s` : `${r[0] / 1000}–${r[1] / 1000} s`)

/**
 * The loop's other checks on a blackholed host's address (fork=no: every virtual's; fork=yes: none, the
 * other virtuals run in their own processes): how many, and the sum of their timeouts (ms).
 */
export function ldSameHostChecks(cfg: LdirectordConfig, v: LdVirtual, address: string): {count: number; timeoutMs: number} {
  if (ldTimers(cfg, v).fork) return {count: 0, timeoutMs: 0}
  let count = 0
  let timeoutMs = 0
  for (const x of cfg.virtuals) {
    const t = ldTimers(cfg, x)
    if (t.checktype.value === 'on' || t.checktype.value === 'off') continue
    for (const r of x.reals) {
      if (r.address !== address) continue
      // the target's own check is d; every other check of this address waits its virtual's timeout
      const n = x === v ? r.count - 1 : r.count
      count += n
      timeoutMs += n * t.activeTimeoutS.value * 1000
    }
  }
  return {count, timeoutMs}
}

/** Checks in one loop: every real server of every virtual with fork=no, this virtual's with fork=yes. */
export function ldChecksPerLoop(cfg: LdirectordConfig, v: LdVirtual): number {
  return ldTimers(cfg, v).fork ? ldRealCount(v) : cfg.virtuals.reduce((n, x) => n + ldRealCount(x), 0)
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
  const timeoutName = ldTimeoutText(t).replace(/ \d+ s$/, '')
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
  const dText = i.failure === 'refused' ? 'check ≈ 0 s (refused)' : `check ${timeoutMs / 1000} s (${timeoutName}, blackhole)`
  const host = i.failure === 'blackhole' && i.hostAddress !== undefined ? ldSameHostChecks(i.cfg, i.virtual, i.hostAddress) : {count: 0, timeoutMs: 0}
  const e = host.timeoutMs
  const eText = host.count === 0 ? '' : ` + e ${e / 1000} s (the host's ${host.count} other check${host.count === 1 ? '' : 's'} in the loop time out too)`
  if (host.count > 0) Object.assign(inputs, {sameHostChecks: host.count, sameHostTimeoutMs: e})
  const loop = i.loop
  if (loop === undefined || (zero(loop.checkMs) && zero(loop.cycleOverheadMs) && zero(loop.removeMs))) {
    const cycle = ci + d + e
    const max = f * cycle
    const min = Math.max(0, max - ci - e)
    return {
      metric: LD_REMOVAL_METRIC,
      takeoverMs: (min + max) / 2,
      minMs: min,
      maxMs: max,
      formula: `ldirectord ${t.checktype.value} check of ${who} (${i.virtual.text}): up to failurecount ${f} × (checkinterval ${ci / 1000} s + ${dText}${eText}) = ${s(max)}, at least ${s(min)} (the first failing check starts 0 … checkinterval after the fault); then ${action}`,
      inputs,
    }
  }
  const n = ldChecksPerLoop(i.cfg, i.virtual)
  const [c, o, r] = [loop.checkMs, loop.cycleOverheadMs, loop.removeMs]
  const c0 = (k: 0 | 1): number => ci + n * c[k] + o[k]
  const c1 = (k: 0 | 1): number => ci + d + e + (n - 1 - host.count) * c[k] + o[k]
  const min = Math.round(d + (f - 1) * c1(0) + r[0])
  const max = Math.round(c0(1) + e + d + (f - 1) * c1(1) + r[1])
  Object.assign(inputs, {checksPerLoop: n, checkMs: `${c[0]}-${c[1]}`, cycleOverheadMs: `${o[0]}-${o[1]}`, removeMs: `${r[0]}-${r[1]}`})
  return {
    metric: LD_REMOVAL_METRIC,
    takeoverMs: Math.round((min + max) / 2),
    minMs: min,
    maxMs: max,
    formula:
      `ldirectord ${t.checktype.value} check of ${who} (${i.virtual.text}), ${n} checks a loop (fork=${t.fork ? 'yes' : 'no'}): ` +
      `U[0, C0${e > 0 ? ' + e' : ''}] + d + (failurecount ${f} − 1) × C1 + removal ${rangeS(r)}, with d = ${dText}${eText}, ` +
      `C0 = checkinterval ${ci / 1000} s + ${n} × check ${rangeS(c)} + loop overhead ${rangeS(o)} = ${s(c0(0))}–${s(c0(1))}, ` +
      `C1 = checkinterval + d${e > 0 ? ' + e' : ''} + ${n - 1 - host.count} × check + overhead = ${s(c1(0))}–${s(c1(1))}: ${s(min)} … ${s(max)}; then ${action}`,
    inputs,
  }
}

/**
 * Time until a recovered real server is back (weight restored / re-added): the next successful check,
 * 0 … checkinterval (+ the timeout when a timed-out check was still running); with measured loop costs, the
 * whole healthy cycle C0 bounds the wait and the add itself (`ipvsadm -a` / `-e`) costs about a removal's r.
 */
export function predictLdirectordReadd(i: Omit<LdRemovalInput, 'failure'>): Prediction {
  const t = ldTimers(i.cfg, i.virtual)
  const ci = t.checkintervalS.value * 1000
  const timeoutMs = t.activeTimeoutS.value * 1000
  const loop = i.loop
  const n = ldChecksPerLoop(i.cfg, i.virtual)
  const c0 = loop === undefined ? ci : ci + n * loop.checkMs[1] + loop.cycleOverheadMs[1]
  const add = loop?.removeMs[1] ?? 0
  const max = Math.round(c0 + timeoutMs + add)
  const costs = loop === undefined ? '' : ` (a loop ${s(c0)} with ${n} checks, the add ${s(add)})`
  return {
    metric: 'realServerReaddMs',
    takeoverMs: Math.round(c0 / 2),
    minMs: 0,
    maxMs: max,
    formula: `the next check after the revert succeeds: 0 … checkinterval ${ci / 1000} s${costs} (+ ${timeoutMs / 1000} s when a timed-out check was still running) = 0 … ${s(max)}`,
    inputs: {virtual: i.virtual.text, checkintervalS: t.checkintervalS.value, timeoutS: t.activeTimeoutS.value, quiescent: t.quiescent.value},
  }
}
