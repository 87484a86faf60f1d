/**
 * What the configuration predicts for a fault, as a Prediction record (src/store/run-types.ts): which measured
 * figure it is about, the value, a range where the model has one, and the formula with its numbers.
 */
import type {FaultEffect} from '../../fault/types.js'
import type {Prediction} from '../../store/run-types.js'
import {fmtS, masterDownIntervalMs, skewTimeMs, type VrrpVersion} from './timing.js'

/** The VRRP facts the model needs, from the parsed keepalived.conf of the old and the new master. */
export interface VrrpModelInput {
  version: VrrpVersion
  advertIntS: number
  /** Priority of the node that takes over (the highest-priority backup). */
  backupPriority: number
  /** Priority of the master being broken. */
  masterPriority: number
  backupName: string
  masterName: string
  /** The master's track_script that watches the fronted service (service-loss faults). */
  trackScript?: {name: string; intervalS: number; fall: number; timeoutS: number; weight: number}
  preempt: boolean
}

/** HAProxy's health-check timing of the backend server being broken (backend-loss faults). */
export interface HttpCheckInput {
  server: string
  interMs: number
  fall: number
  timeoutMs: number
}

export function predictVrrp(effect: FaultEffect, m: VrrpModelInput): Prediction {
  const v = `VRRPv${m.version}`
  const mdi = masterDownIntervalMs(m.backupPriority, m.advertIntS, m.version)
  const skew = skewTimeMs(m.backupPriority, m.advertIntS, m.version)
  const inputs: Prediction['inputs'] = {
    version: m.version,
    advertIntS: m.advertIntS,
    backupPriority: m.backupPriority,
    masterPriority: m.masterPriority,
    backup: m.backupName,
    master: m.masterName,
    preempt: m.preempt,
    masterDownIntervalMs: round(mdi),
    skewTimeMs: round(skew),
    failbackMasterDownIntervalMs: round(masterDownIntervalMs(m.masterPriority, m.advertIntS, m.version)),
  }
  const mdiFormula =
    m.version === 2
      ? `3 × ${m.advertIntS} s + (256 − ${m.backupPriority})/256 s = ${fmtS(mdi)} (Master_Down_Interval of ${m.backupName}, ${v})`
      : `3 × ${m.advertIntS * 100} cs + (256 − ${m.backupPriority}) × ${m.advertIntS * 100}/256 cs = ${fmtS(mdi)} (Master_Down_Interval of ${m.backupName}, ${v})`
  switch (effect) {
    case 'node-loss':
    case 'advert-loss':
      return {
        metric: 'takeoverFromLastAdvertMs',
        takeoverMs: round(mdi),
        minMs: round(mdi),
        maxMs: round(mdi),
        formula: `${mdiFormula}, counted from ${m.masterName}'s last advert${effect === 'advert-loss' ? `; ${m.masterName} stays master too: split brain expected` : ''}`,
        inputs,
      }
    case 'graceful-stop':
      return {
        metric: 'takeoverFromLastAdvertMs',
        takeoverMs: round(skew),
        minMs: round(skew),
        maxMs: round(skew),
        formula:
          m.version === 2
            ? `(256 − ${m.backupPriority})/256 s = ${fmtS(skew)} (Skew_Time of ${m.backupName} after ${m.masterName}'s priority-0 advert, ${v})`
            : `(256 − ${m.backupPriority}) × ${m.advertIntS * 100}/256 cs = ${fmtS(skew)} (Skew_Time of ${m.backupName} after ${m.masterName}'s priority-0 advert, ${v})`,
        inputs,
      }
    case 'service-loss': {
      const ts = m.trackScript
      if (ts === undefined) {
        return {
          metric: 'takeoverMs',
          takeoverMs: null,
          minMs: null,
          maxMs: null,
          formula: `${m.masterName} has no track_script: keepalived will not move the VIP when the service dies`,
          inputs,
        }
      }
      // The first failing run comes 0 … interval after the fault; `fall` failures in a row put the instance in
      // FAULT: it sends a priority-0 advert and the backup waits Skew_Time.
      const min = (ts.fall - 1) * ts.intervalS * 1000 + skew
      const max = ts.fall * ts.intervalS * 1000 + ts.timeoutS * 1000 + skew
      Object.assign(inputs, {trackScript: ts.name, trackIntervalS: ts.intervalS, trackFall: ts.fall, trackTimeoutS: ts.timeoutS, trackWeight: ts.weight})
      return {
        metric: 'takeoverMs',
        takeoverMs: round((min + max) / 2),
        minMs: round(min),
        maxMs: round(max),
        formula: `track_script ${ts.name}: (${ts.fall} − 1) × ${ts.intervalS} s … ${ts.fall} × ${ts.intervalS} s + ${ts.timeoutS} s timeout to detect, + Skew_Time ${fmtS(skew)} = ${fmtS(min)} … ${fmtS(max)}`,
        inputs,
      }
    }
    default:
      return {metric: 'takeoverMs', takeoverMs: null, minMs: null, maxMs: null, formula: `no VRRP model for a ${effect} fault`, inputs}
  }
}

export function predictBackendEject(c: HttpCheckInput): Prediction {
  // `fall` consecutive failed checks, `inter` apart; the first failing check comes 0 … inter after the fault.
  const min = (c.fall - 1) * c.interMs
  const max = c.fall * c.interMs + c.timeoutMs
  return {
    metric: 'backendEjectMs',
    takeoverMs: round((min + max) / 2),
    minMs: round(min),
    maxMs: round(max),
    formula: `HAProxy check of ${c.server}: (${c.fall} − 1) × ${c.interMs} ms … ${c.fall} × ${c.interMs} ms + ${c.timeoutMs} ms timeout = ${fmtS(min)} … ${fmtS(max)} until it is marked DOWN (inter × fall)`,
    inputs: {server: c.server, interMs: c.interMs, fall: c.fall, checkTimeoutMs: c.timeoutMs},
  }
}

const round = (x: number): number => Math.round(x * 1000) / 1000
