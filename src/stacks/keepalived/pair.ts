/**
 * What every stack built on a keepalived VRRP pair (keepalived + HAProxy, LVS directors) derives alike from the
 * pair's configs: the takeover prediction for a fault on one node (from the highest-priority peer of its
 * instance), and the hosts and vrid the timeline follows.
 */
import type {FaultEffect} from '../../fault/types.js'
import type {Prediction} from '../../store/run-types.js'
import type {LbVrrp} from './config.js'
import {predictVrrp, type VrrpModelInput} from './predict.js'

/**
 * The VRRP takeover prediction for a fault of `effect` on `t`; null when no other node shares its instance
 * (nobody can take over: the caller says so in its own words).
 */
export function pairTakeover(effect: FaultEffect, t: LbVrrp, lbs: readonly LbVrrp[], trackScript?: VrrpModelInput['trackScript']): Prediction | null {
  const backup = lbs.filter((l) => l !== t && l.instance.virtualRouterId === t.instance.virtualRouterId).sort((a, b) => b.effective.priority - a.effective.priority)[0]
  if (backup === undefined) return null
  return predictVrrp(effect, {
    version: t.effective.version,
    advertIntS: backup.effective.advertIntS,
    backupPriority: backup.effective.priority,
    masterPriority: t.effective.priority,
    backupName: backup.host.name,
    masterName: t.host.name,
    preempt: t.effective.preempt,
    ...(trackScript === undefined ? {} : {trackScript}),
  })
}

/** The vrid of the master's instance (else the target's, else the first), and the pair's advert sources by name. */
export function pairView(lbs: readonly LbVrrp[], oldMaster: string | null, target: string): {vrid: number | null; hosts: Array<{name: string; ip?: string; mac?: string}>} {
  const vrid = lbs.find((l) => l.host.name === (oldMaster ?? target))?.instance.virtualRouterId ?? lbs[0]?.instance.virtualRouterId ?? null
  const hosts = lbs.map((l) => ({name: l.host.name, ...(l.ip === null ? {} : {ip: l.ip}), ...(l.mac === null ? {} : {mac: l.mac})}))
  return {vrid, hosts}
}
