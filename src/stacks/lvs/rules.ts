/**
 * Doctor rules only LVS has, learnt from the lab's drills: without the connection sync daemon a director
 * takeover resets every established connection (measured: 0 of 20 long-lived streams survived without
 * `lvs_sync_daemon`, 20 of 20 with it), and persistence templates are lost with them.
 */
import type {KeepalivedConfig, KaVirtualServer} from '../../config/keepalived.js'
import {type DoctorInput, type FindingDraft, type HostConfigs, type Rule, ev} from '../../doctor/types.js'

/** `lvs_sync_daemon` in global_defs (keepalived ≥ 1.2.20; older: `lvs_sync_daemon_interface`). */
export function hasSyncDaemon(k: KeepalivedConfig): boolean {
  return k.globalDefs.raw.some((d) => d.keyword === 'lvs_sync_daemon' || d.keyword === 'lvs_sync_daemon_interface')
}

interface Director {
  host: HostConfigs
  k: KeepalivedConfig
  vs: KaVirtualServer[]
}

/** keepalived configs that run both VRRP and IPVS virtual servers: LVS directors of a pair. */
function directors(input: DoctorInput): Director[] {
  return input.hosts.flatMap((host) => host.keepalived.filter((k) => k.vrrpInstances.length > 0 && k.virtualServers.length > 0).map((k) => ({host, k, vs: k.virtualServers})))
}

const NO_SYNC_WHY = 'Without the connection sync daemon the backup director does not know the established connections: after a takeover it resets every one of them (its own stack answers the unknown flow with a RST).'

export const LVS_RULES: readonly Rule[] = [
  {
    id: 'lvs-pair-no-sync',
    area: 'lvs',
    severity: 'warning',
    title: 'LVS director pair without connection sync',
    why: NO_SYNC_WHY,
    fix: 'Add `lvs_sync_daemon IFACE VRRP_INSTANCE` to global_defs on both directors (the sync daemon then follows the VRRP state: master on the MASTER, backup on the BACKUP).',
    explain:
      'Measured in the hachaos LVS lab (LVS-DR, keepalived 2.2.7, kernel 6.1): 20 long-lived TCP streams through the VIP, director dir1 cut off: 0 of 20 survived the takeover without lvs_sync_daemon, 20 of 20 with it. New connections are unaffected either way (they wait Master_Down_Interval). Short flows may still be missed: a connection is synced after sync_threshold packets (default 3, then every 50).',
    check: (input) =>
      directors(input)
        .filter((d) => !hasSyncDaemon(d.k))
        .map((d): FindingDraft => ({message: `${d.host.host} ${d.k.file}: VRRP director of ${d.vs.length} virtual_server${d.vs.length === 1 ? '' : 's'} without lvs_sync_daemon`, host: d.host.host, evidence: [ev(d.k.globalDefs.line === undefined ? (d.vs[0] as KaVirtualServer) : {file: d.k.globalDefs.file ?? d.k.file, line: d.k.globalDefs.line}, d.host.host)]})),
  },
  {
    id: 'lvs-persistence-no-sync',
    area: 'lvs',
    severity: 'warning',
    title: 'Persistent LVS service on a director pair without connection sync',
    why: 'Persistence templates live in the director\'s connection table: without sync the new director has none, so after a takeover clients are scheduled afresh and land on another real server (sessions lost), on top of the reset connections.',
    fix: 'Add `lvs_sync_daemon IFACE VRRP_INSTANCE` to global_defs on both directors; templates are synced like connections.',
    explain: 'persistence_timeout makes IPVS keep a template (protocol IP, source port 0 in `ipvsadm -Lnc`) per client; only the sync daemon copies it to the backup director.',
    check: (input) =>
      directors(input)
        .filter((d) => !hasSyncDaemon(d.k))
        .flatMap((d) =>
          d.vs
            .filter((v) => (v.persistenceTimeout ?? 0) > 0)
            .map((v): FindingDraft => ({message: `${d.host.host} virtual_server ${v.address} ${v.port}: persistence_timeout ${v.persistenceTimeout ?? 0} without lvs_sync_daemon`, host: d.host.host, evidence: [ev(v, d.host.host)]})),
        ),
  },
]
