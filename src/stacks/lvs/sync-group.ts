/**
 * A takeover measured over a vrrp_sync_group (the LVS-NAT lab: VI_LVS holds the VIP, VI_GW the real servers'
 * gateway). keepalived moves a sync group to MASTER only once every member may go master
 * (vrrp_sync_can_goto_master): each member's Master_Down timer runs from that member's own last advert, so
 * the group takes over Master_Down_Interval after the LATEST of the old master's last adverts of the group's
 * vrids, and the new master's first advert may be of any member. Measured on a NAT lab: the old master's last
 * adverts were 139 ms apart (vrid 98 then 99), the new master's first advert (vrid 99) came 3640 ms after the
 * later one and 3925 ms after the VIP instance's.
 */
import type {KeepalivedConfig} from '../../config/keepalived.js'
import type {EpochMicros} from '../../time.js'
import type {TimelineEvent} from '../../store/run-types.js'

export interface SyncGroupView {
  name: string
  /** The members' names and vrids (the VIP's instance among them). */
  instances: string[]
  vrids: number[]
}

/** The sync group holding the instance `instance` in a director's keepalived.conf (null: none, or it alone). */
export function syncGroupOf(cfg: KeepalivedConfig, instance: string): SyncGroupView | null {
  const g = cfg.syncGroups.find((x) => x.group.includes(instance))
  if (g === undefined || g.group.length < 2) return null
  const vrids = g.group.map((n) => cfg.vrrpInstances.find((i) => i.name === n)?.virtualRouterId).filter((v): v is number => v !== undefined)
  return vrids.length < 2 ? null : {name: g.name, instances: [...g.group], vrids}
}

/**
 * The group's takeover: the new master's first advert (priority > 0, any member's vrid) after the fault, minus the
 * latest of the old master's last adverts (any priority, per vrid) before it. Null when either side is missing.
 */
export function syncGroupTakeoverMs(events: readonly TimelineEvent[], vrids: readonly number[], oldIp: string, newIp: string, faultAt: EpochMicros): {takeoverMs: number; newFirstVrid: number; lastAdvertVrid: number} | null {
  const adverts = events.filter((e): e is Extract<TimelineEvent, {type: 'vrrp.advert'}> => e.type === 'vrrp.advert' && vrids.includes(e.vrid))
  const first = adverts.find((e) => e.t >= faultAt && e.src === newIp && e.prio > 0)
  if (first === undefined) return null
  let last: (typeof adverts)[number] | undefined
  for (const v of vrids) {
    const own = adverts.filter((e) => e.vrid === v && e.src === oldIp && e.t < first.t)
    const l = own[own.length - 1]
    if (l === undefined) return null
    if (last === undefined || l.t > last.t) last = l
  }
  if (last === undefined) return null
  return {takeoverMs: Math.round(first.t - last.t) / 1000, newFirstVrid: first.vrid, lastAdvertVrid: last.vrid}
}
