/**
 * Doctor rules only LVS has: the IPVS service checks (one real server, no checker, DR and ARP) over
 * keepalived's virtual_servers and `ipvsadm` tables, and what the lab's drills taught — without the
 * connection sync daemon a director takeover resets every established connection (measured: 0 of 20
 * long-lived streams survived without `lvs_sync_daemon`, 20 of 20 with it), a blackholed real server
 * outlives a director failover when the checker's timers are slow (measured: 4.0–4.1 s against a 3.609 s
 * Master_Down_Interval), and inhibited real servers keep their persistence templates. ldirectord's rules
 * are in ./ldirectord/rules.ts.
 */
import type {Evidence} from '../../doctor/types.js'
import type {Loc} from '../../config/common.js'
import type {IpvsService} from '../../config/ipvs.js'
import type {KeepalivedConfig, KaVirtualServer} from '../../config/keepalived.js'
import {normAddr} from '../../doctor/net.js'
import {type DoctorInput, type FindingDraft, type HostConfigs, type Rule, ev} from '../../doctor/types.js'
import {allCheckers, type CheckerOf} from './checker.js'
import {slowestFailover} from './failover.js'
import {predictCheckerRemoval} from './predict.js'

/**
 * `lvs_sync_daemon` in global_defs (keepalived ≥ 1.2.20), or the older `lvs_sync_daemon_interface` — in
 * global_defs, or inside a vrrp_instance as keepalived's own doc/samples/keepalived.conf.vrrp.lvs_syncd has it.
 */
export function hasSyncDaemon(k: KeepalivedConfig): boolean {
  const sync = (d: {keyword: string}): boolean => d.keyword === 'lvs_sync_daemon' || d.keyword === 'lvs_sync_daemon_interface'
  return k.globalDefs.raw.some(sync) || k.vrrpInstances.some((i) => i.raw.some(sync))
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
    label: `${s.protocol} ${s.protocol === 'FWM' ? `${s.address}${s.family === 'inet6' ? ' IPv6' : ''}` : `${s.address}:${s.port}`}`,
    file: s.file,
    line: s.line,
    liveReals: s.reals.filter((r) => r.weight === undefined || r.weight > 0).length,
    reals: s.reals.map((r) => ({address: r.address, port: r.port, forward: r.forward, file: r.file, line: r.line})),
    dr: s.reals.some((r) => r.forward === 'DR'),
    managedByKeepalived: false,
  }
}

const vsLabel = (vs: KaVirtualServer): string => `virtual_server ${vs.kind === 'ip' ? `${vs.address} ${vs.port}` : `${vs.kind} ${vs.address}`}`

/** Seconds with up to 3 decimals and at least one: 4000 → "4.0 s", 3609 → "3.609 s". */
const secs = (ms: number): string => `${(ms / 1000).toFixed(3).replace(/0+$/, '').replace(/\.$/, '.0')} s`

/** The removal formula of a blackholed real server with this checker's numbers, short (predict.ts has the long form). */
function blackholeFormula(c: CheckerOf): string {
  if (c.kind === 'MISC_CHECK') {
    const bound = c.scriptTimeoutS === null || c.scriptTimeoutS === undefined || c.scriptTimeoutS >= (c.miscTimeoutS ?? Infinity) ? `misc_timeout ${c.connectTimeoutS} s` : `the script's timeout ${c.connectTimeoutS} s`
    return `U[0, delay_loop ${c.delayLoopS} s] + retry ${c.retry} × max(delay_before_retry ${c.delayBeforeRetryS} s, t_fail) + t_fail, t_fail = ${bound}`
  }
  return `U[0, delay_loop ${c.delayLoopS} s] + (retry ${c.retry} + 1) × connect_timeout ${c.connectTimeoutS} s + retry ${c.retry} × delay_before_retry ${c.delayBeforeRetryS} s`
}

const EXPIRE_QUIESCENT = 'net.ipv4.vs.expire_quiescent_template'

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
  {
    id: 'lvs-checker-slower-than-failover',
    area: 'lvs',
    severity: 'warning',
    title: 'keepalived takes longer to drop a dead real server than the cluster takes to replace a dead director',
    why: 'The director pair fails over in seconds, but a blackholed real server keeps receiving its share of new connections — which all fail — until its checker gives up: losing one real server costs more than losing a director.',
    fix: 'Shorten the checker: delay_loop 1–2 s, connect_timeout 1–2 s, retry 1, delay_before_retry 1 s (in the checker block, or once in the real_server / virtual_server), so that delay_loop + (retry + 1) × connect_timeout + retry × delay_before_retry stays within the director failover time.',
    explain:
      'Compared: the worst case of keepalived\'s checker for a real server whose packets vanish (NIC down, host hung, port filtered), U[0, delay_loop] + (retry + 1) × connect_timeout + retry × delay_before_retry (MISC_CHECK: U[0, delay_loop] + retry × max(delay_before_retry, t_fail) + t_fail, t_fail the script\'s timeout or misc_timeout; src/stacks/lvs/predict.ts), against the slowest director failover among the configs read together: keepalived\'s Master_Down_Interval (3 × advert_int + Skew_Time), Heartbeat\'s deadtime, Corosync\'s totem token. Timers missing from the checker are the real_server\'s, then the virtual_server\'s, then keepalived\'s defaults (delay_loop 60 s, connect_timeout 5 s, retry 1, delay_before_retry 1 s, 3 s for HTTP_GET/SSL_GET). Measured in the hachaos LVS lab (keepalived 2.2.7, TCP_CHECK delay_loop 1, connect_timeout 1, retry 1, delay_before_retry 1): blackholed real servers removed after 4.0–4.1 s, the backup director takes over after its 3.609 s Master_Down_Interval. Only reported when a failover config is in the same doctor run.',
    check(input): FindingDraft[] {
      const slowest = slowestFailover(input)
      if (slowest === null) return []
      const out: FindingDraft[] = []
      for (const host of input.hosts) {
        for (const k of host.keepalived) {
          const checkers = allCheckers(k)
          for (const vs of k.virtualServers) {
            const mine = checkers.filter((c) => c.vs === vs)
            const slow = mine.map((c) => ({c, p: predictCheckerRemoval(c, 'blackhole', `real_server ${c.real.address}${c.real.port === 0 ? '' : ` ${c.real.port}`}`)})).filter(({p}) => (p.maxMs ?? 0) > slowest.ms)
            const worst = slow.reduce<(typeof slow)[number] | null>((a, b) => (a === null || (b.p.maxMs ?? 0) > (a.p.maxMs ?? 0) ? b : a), null)
            if (worst === null) continue
            const of = slow.length === mine.length ? (mine.length === 1 ? '' : ` (all ${mine.length} checkers)`) : ` (${slow.length} of ${mine.length} checkers)`
            out.push({
              message: `${host.host} ${vsLabel(vs)}: a blackholed real server is removed after up to ${secs(worst.p.maxMs ?? 0)} (${worst.c.kind}: ${blackholeFormula(worst.c)})${of}, longer than ${slowest.what} ${secs(slowest.ms)} on ${slowest.host}`,
              host: host.host,
              evidence: [...slow.map(({c, p}) => ev(c.at, host.host, p.formula)), ev(slowest.at, slowest.host, `${slowest.what} ${secs(slowest.ms)}`)],
            })
          }
        }
      }
      return out
    },
  },
  {
    id: 'lvs-inhibit-no-expire-template',
    area: 'lvs',
    severity: 'warning',
    title: 'inhibit_on_failure without expire_quiescent_template',
    why: 'An inhibited real server that fails its check is set to weight 0, not removed: it keeps its persistence templates, so clients that used it before keep being sent to it, dead, until the persistence timeout runs out.',
    fix: `On every director: \`sysctl -w ${EXPIRE_QUIESCENT}=1\` (and in /etc/sysctl.d/), or drop inhibit_on_failure so failed real servers are removed.`,
    explain:
      `keepalived's inhibit_on_failure (in a real_server, or in the virtual_server as the default of its real servers — keepalived 2.x, check_parser.c vs_inhibit_handler) makes a failed checker set the weight to 0 (ipvsadm -e … -w 0) instead of deleting the real server: established connections may finish, no new ones are scheduled — except through persistence templates, which the kernel keeps unless ${EXPIRE_QUIESCENT}=1. The same as ldirectord's quiescent=yes. Reported as a warning when the sysctl is known to be 0 or the service is persistent (persistence_timeout), as a note when the sysctl was not read and the service is not persistent.`,
    check(input): FindingDraft[] {
      const out: FindingDraft[] = []
      for (const host of input.hosts) {
        const sc = host.sysctl[EXPIRE_QUIESCENT]
        if (sc !== undefined && sc.value.trim() === '1') continue
        for (const k of host.keepalived) {
          for (const vs of k.virtualServers) {
            const inhibited = vs.realServers.filter((r) => (r.inhibitOnFailure ?? vs.inhibitOnFailure) !== undefined)
            if (inhibited.length === 0) continue
            const pt = vs.persistenceTimeout ?? 0
            const ptLine = vs.lines['persistence_timeout']
            const where: Loc[] = [...(inhibited.some((r) => r.inhibitOnFailure === undefined) && vs.inhibitOnFailure !== undefined ? [vs.inhibitOnFailure] : []), ...inhibited.flatMap((r) => (r.inhibitOnFailure === undefined ? [] : [r.inhibitOnFailure]))]
            const evidence: Evidence[] = [
              ...where.map((l) => ev(l, host.host, 'inhibit_on_failure')),
              ...(sc === undefined ? [] : [ev(sc, host.host, `expire_quiescent_template = ${sc.value}`)]),
              ...(pt > 0 && ptLine !== undefined ? [ev({file: vs.file, line: ptLine}, host.host, `persistence_timeout ${pt}`)] : []),
            ]
            out.push({
              message: `${host.host} ${vsLabel(vs)}: inhibit_on_failure on ${inhibited.length} of ${vs.realServers.length} real server${vs.realServers.length === 1 ? '' : 's'}${pt > 0 ? ` with persistence_timeout ${pt}` : ''}, ${EXPIRE_QUIESCENT} ${sc === undefined ? 'not read' : `= ${sc.value}`}`,
              host: host.host,
              evidence,
              ...(sc === undefined && pt === 0 ? {severity: 'note' as const} : {}),
            })
          }
        }
      }
      return out
    },
  },
]
