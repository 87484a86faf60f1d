/**
 * Doctor rules only LVS has: the IPVS service checks (one real server, no checker, DR and ARP) over
 * keepalived's virtual_servers and `ipvsadm` tables, and what the lab's drills taught — without the
 * connection sync daemon a director takeover resets every established connection (measured: 0 of 20
 * long-lived streams survived without `lvs_sync_daemon`, 20 of 20 with it), and persistence templates are
 * lost with them. ldirectord's rules are in ./ldirectord/rules.ts.
 */
import type {Loc} from '../../config/common.js'
import type {IpvsService} from '../../config/ipvs.js'
import type {KeepalivedConfig, KaVirtualServer} from '../../config/keepalived.js'
import {normAddr} from '../../doctor/net.js'
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

interface LvsService {
  host: HostConfigs
  key: string
  label: string
  file: string
  line: number
  /** Real servers with weight > 0 (quiesced ones do not count). */
  liveReals: number
  reals: Array<{address: string; port: number; forward: string; file: string; line: number; checkers?: string[]}>
  dr: boolean
  managedByKeepalived: boolean
}

const svcKey = (proto: string, address: string, port: number): string => (proto === 'FWM' ? `FWM ${address}` : `${proto} ${normAddr(address)}:${port}`)

function lvsServices(input: DoctorInput): LvsService[] {
  const out: LvsService[] = []
  for (const host of input.hosts) {
    const kaKeys = new Set<string>()
    for (const k of host.keepalived) {
      for (const vs of k.virtualServers) {
        const proto = vs.kind === 'fwmark' ? 'FWM' : vs.protocol
        const key = svcKey(proto, vs.address, vs.port)
        kaKeys.add(key)
        out.push(fromKa(host, vs, key))
      }
    }
    for (const t of host.ipvs) {
      for (const s of t.services) {
        const key = svcKey(s.protocol, s.address, s.port)
        if (kaKeys.has(key)) continue // keepalived's own view has the checkers: report it once, from there
        out.push(fromIpvs(host, s, key))
      }
    }
  }
  return out
}

function fromKa(host: HostConfigs, vs: KaVirtualServer, key: string): LvsService {
  return {
    host,
    key,
    label: `virtual_server ${vs.kind === 'ip' ? `${vs.address} ${vs.port}` : `${vs.kind} ${vs.address}`}`,
    file: vs.file,
    line: vs.line,
    liveReals: vs.realServers.filter((r) => r.weight === undefined || r.weight > 0).length,
    reals: vs.realServers.map((r) => ({address: r.address, port: r.port, forward: vs.lbKind ?? 'NAT', file: r.file, line: r.line, checkers: r.checkers})),
    dr: (vs.lbKind ?? '') === 'DR',
    managedByKeepalived: true,
  }
}

function fromIpvs(host: HostConfigs, s: IpvsService, key: string): LvsService {
  return {
    host,
    key,
    label: `${s.protocol} ${s.protocol === 'FWM' ? s.address : `${s.address}:${s.port}`}`,
    file: s.file,
    line: s.line,
    liveReals: s.reals.filter((r) => r.weight === undefined || r.weight > 0).length,
    reals: s.reals.map((r) => ({address: r.address, port: r.port, forward: r.forward, file: r.file, line: r.line})),
    dr: s.reals.some((r) => r.forward === 'DR'),
    managedByKeepalived: false,
  }
}

const NO_SYNC_WHY = 'Without the connection sync daemon the backup director does not know the established connections: after a takeover it resets every one of them (its own stack answers the unknown flow with a RST).'

export const LVS_RULES: readonly Rule[] = [
  {
    id: 'lvs-single-real-server',
    area: 'lvs',
    severity: 'warning',
    title: 'Virtual service with one real server',
    why: 'The director is redundant, the service is not: one real server down is the service down.',
    fix: 'Add a second real server (with a weight above 0), or a sorry_server so clients get an answer.',
    explain: 'Real servers with weight 0 are quiesced (no new connections) and do not count.',
    check: (input) =>
      lvsServices(input)
        .filter((s) => s.liveReals < 2)
        .map((s) => ({message: `${s.host.host} ${s.label}: ${s.liveReals} real server${s.liveReals === 1 ? '' : 's'} with weight > 0 (of ${s.reals.length})`, host: s.host.host, evidence: [ev(s, s.host.host)]})),
  },
  {
    id: 'lvs-no-health-check',
    area: 'lvs',
    severity: 'error',
    title: 'LVS real servers without health checks',
    why: 'IPVS itself never checks real servers: without a checker a dead one keeps its share of new connections, which all fail.',
    fix: 'Manage the service with keepalived and give every real_server a checker (TCP_CHECK, HTTP_GET …), or use ldirectord.',
    explain: 'ipvsadm only configures the kernel table. keepalived\'s checkers (the field manual uses TCP_CHECK with connect_timeout 3) remove a failed real server and add it back when it recovers. A service in `ipvsadm -Ln` that no keepalived virtual_server on the host describes is reported as a warning (something else may manage it).',
    check: (input) =>
      lvsServices(input).flatMap((s): FindingDraft[] => {
        if (s.managedByKeepalived) {
          return s.reals
            .filter((r) => (r.checkers ?? []).length === 0)
            .map((r) => ({message: `${s.host.host} ${s.label}: real_server ${r.address}${r.port === 0 ? '' : ` ${r.port}`} has no checker`, host: s.host.host, evidence: [ev(r, s.host.host)]}))
        }
        return [{message: `${s.host.host} ${s.label}: no keepalived virtual_server checks its ${s.reals.length} real server${s.reals.length === 1 ? '' : 's'}`, host: s.host.host, evidence: [ev(s, s.host.host)], severity: 'warning'}]
      }),
  },
  {
    id: 'lvs-dr-arp',
    area: 'lvs',
    severity: 'note',
    title: 'LVS-DR: real servers must not answer ARP for the VIP',
    why: 'In direct routing every real server holds the VIP; if they answer ARP for it, clients and the router send traffic straight to one real server, bypassing the director (and its failover).',
    fix: 'On each real server: VIP on lo (/32), `net.ipv4.conf.all.arp_ignore = 1` and `net.ipv4.conf.all.arp_announce = 2` (or arptables rules as in the field manual).',
    explain: 'The field manual\'s DR recipe adds the VIP on the real servers and drops ARP for it with arptables. When a real server of the inventory has a known arp_ignore/arp_announce, a wrong value is a warning; otherwise this is a reminder.',
    check: (input) =>
      lvsServices(input)
        .filter((s) => s.dr)
        .flatMap((s): FindingDraft[] => {
          const out: FindingDraft[] = []
          for (const r of s.reals) {
            const rh = input.hosts.find((h) => h.address !== undefined && normAddr(h.address) === normAddr(r.address))
            const ign = rh?.sysctl['net.ipv4.conf.all.arp_ignore']
            const ann = rh?.sysctl['net.ipv4.conf.all.arp_announce']
            if (rh !== undefined && ign !== undefined && ann !== undefined && (ign.value !== '1' || ann.value !== '2')) {
              out.push({
                message: `${s.host.host} ${s.label}: real server ${rh.host} (${r.address}) has arp_ignore ${ign.value}, arp_announce ${ann.value}`,
                host: rh.host,
                evidence: [ev(r, s.host.host), ev(ign, rh.host, `arp_ignore = ${ign.value}`), ev(ann, rh.host, `arp_announce = ${ann.value}`)],
                severity: 'warning',
              })
            }
          }
          if (out.length > 0) return out
          return [{message: `${s.host.host} ${s.label} uses direct routing: check ARP on its ${s.reals.length} real server${s.reals.length === 1 ? '' : 's'}`, host: s.host.host, evidence: [ev(s, s.host.host)]}]
        }),
  },
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
