/**
 * The LVS lab's fixed shape. One QEMU guest (Debian's cloud kernel: IPVS is a module there, not on this
 * host) holds four network namespaces, each owning one of the guest's NICs (renamed eth0 inside):
 * the directors dir1 (MASTER, prio 150) and dir2 (BACKUP, prio 100), each a real keepalived with the VIP and an
 * IPVS virtual_server (DR forwarding, TCP_CHECK), and the real servers rs1, rs2 (VIP on lo, arp_ignore=1,
 * arp_announce=2, a web server naming itself on :80 and an echo service on :7 for long-lived streams).
 * The guest's NICs are taps on bridge br0 in the switch namespace PREFIX-lsw, where the client namespace
 * PREFIX-lc also plugs in. Addresses are fixed in 10.98.0.0/24; nothing is routed out of these namespaces.
 */
import {HachaosError} from '../../../errors.js'

export const LVS_SUBNET = '10.98.0.0/24'
export const PREFIX_LEN = 24
export const VIP = '10.98.0.100'
export const HTTP_PORT = 80
/** The echo service (busybox nc -ll -e cat) the long-lived streams use. */
export const STREAM_PORT = 7
export const VRID = 98
/** LVS-NAT: the real servers' subnet (one-armed on the same bridge; the client has no route to it). */
export const NAT_INSIDE_SUBNET = '10.98.1.0/24'
/** LVS-NAT: the real servers' default gateway, a VRRP address of the master director (vrrp_sync_group with the VIP). */
export const NAT_GATEWAY = '10.98.1.1'
export const GW_VRID = 99

/** IPVS forwarding methods the lab builds (keepalived lb_kind: DR, NAT, TUN). */
export const FORWARDINGS = ['dr', 'nat', 'tun'] as const
export type LvsForwarding = (typeof FORWARDINGS)[number]

export interface LvsGuestNode {
  name: 'dir1' | 'dir2' | 'rs1' | 'rs2'
  role: 'director' | 'real-server'
  ip: string
  /** QEMU netdev id (what `set_link` takes) and tap in the switch namespace. */
  netdev: string
  tap: string
  mac: string
  /** LVS-NAT directors: their own address on the inside subnet (the checkers' source); null otherwise. */
  insideIp: string | null
  /** The guest's device before it moves into the node's namespace (renamed eth0 there). */
  guestDev: string
  priority: number
}

export interface LvsLabTopology {
  prefix: string
  switchNs: string
  bridge: string
  nodes: LvsGuestNode[]
  client: {name: 'client'; ns: string; ip: string; mac: string; swPort: string}
}

/** With `nat` the real servers sit on the inside subnet (10.98.1.11, .12) and the directors get .2, .3 there too. */
export function lvsTopology(prefix: string, forwarding: LvsForwarding = 'dr'): LvsLabTopology {
  const nat = forwarding === 'nat'
  const node = (i: number, name: LvsGuestNode['name'], role: LvsGuestNode['role'], ip: string, priority: number): LvsGuestNode => ({
    name,
    role,
    ip,
    insideIp: nat && role === 'director' ? ip.replace(/^10\.98\.0\./, '10.98.1.') : null,
    netdev: `n${i}`,
    tap: `tap${i}`,
    mac: `52:54:00:98:00:${(0x10 + i).toString(16)}`,
    guestDev: `eth${i}`,
    priority,
  })
  return {
    prefix,
    switchNs: `${prefix}-lsw`,
    bridge: 'br0',
    nodes: [node(0, 'dir1', 'director', '10.98.0.2', 150), node(1, 'dir2', 'director', '10.98.0.3', 100), node(2, 'rs1', 'real-server', nat ? '10.98.1.11' : '10.98.0.11', 0), node(3, 'rs2', 'real-server', nat ? '10.98.1.12' : '10.98.0.12', 0)],
    client: {name: 'client', ns: `${prefix}-lc`, ip: '10.98.0.10', mac: '02:98:00:00:00:0a', swPort: 'v-c'},
  }
}

export interface LvsLabOptions {
  /** lvs_sync_daemon on eth0 following the VRRP instance (connection sync between the directors). */
  sync: boolean
  /** VRRP advert_int, whole seconds (VRRPv2). */
  advertInt: number
  scheduler: string
  /** keepalived checker timers (seconds). */
  delayLoop: number
  connectTimeout: number
  retry: number
  delayBeforeRetry: number
  /** The checker of the HTTP service (VIP:80): TCP_CHECK, HTTP_GET (GET / → 200) or MISC_CHECK (a busybox wget script). The echo service keeps TCP_CHECK. */
  checker: LvsChecker
  /** Who manages the IPVS table: keepalived's own checkers (virtual_server) or ldirectord (keepalived then only runs VRRP). */
  health: LvsHealth
  memMb: number
  /** IPVS forwarding: dr (default), nat (directors as the real servers' gateway), tun (IPIP). */
  forwarding: LvsForwarding
  /** persistence_timeout of the virtual servers, seconds; 0 = none. */
  persistence: number
  /**
   * `--ssh`: a dropbear in each director and real-server namespace and a second inventory (inventory-ssh.yaml)
   * reaching them over ssh. Absent (not false) without it: a lab's options and their key stay as they were.
   */
  ssh?: true
}

export const CHECKERS = ['tcp', 'http', 'misc'] as const
export type LvsChecker = (typeof CHECKERS)[number]
export const HEALTH = ['keepalived', 'ldirectord'] as const
export type LvsHealth = (typeof HEALTH)[number]

export const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'sh'] as const

function usage(msg: string, ...suggestions: string[]): HachaosError {
  return new HachaosError(msg, {code: 'E_USAGE', exit: 'USAGE', suggestions})
}

function intOpt(raw: unknown, name: string, def: number, min: number, max: number): number {
  if (raw === undefined || raw === null || raw === '') return def
  const n = typeof raw === 'number' ? raw : Number(String(raw))
  if (!Number.isInteger(n) || n < min || n > max) throw usage(`--${name} must be a whole number from ${min} to ${max} (got ${String(raw)})`)
  return n
}

/** Validate `lab up --topology lvs` options; every value ends up in keepalived.conf inside the guest. */
export function parseLvsLabOptions(o: Record<string, string | number | boolean | undefined> = {}): LvsLabOptions {
  const sched = String(o['scheduler'] ?? 'rr')
  if (!(SCHEDULERS as readonly string[]).includes(sched)) throw usage(`--scheduler "${sched}" is not one of ${SCHEDULERS.join(', ')}`)
  const fwd = String(o['forwarding'] ?? 'dr').toLowerCase()
  if (!(FORWARDINGS as readonly string[]).includes(fwd)) throw usage(`--forwarding "${String(o['forwarding'])}" is not one of ${FORWARDINGS.join(', ')}`, 'dr: VIP on the real servers\' lo; nat: the directors are their gateway; tun: IPIP to the real servers')
  const checker = String(o['checker'] ?? 'tcp')
  if (!(CHECKERS as readonly string[]).includes(checker)) throw usage(`--checker "${checker}" is not one of ${CHECKERS.join(', ')}`)
  const health = String(o['health'] ?? 'keepalived')
  if (!(HEALTH as readonly string[]).includes(health)) throw usage(`--health "${health}" is not one of ${HEALTH.join(', ')}`)
  if (health === 'ldirectord' && checker !== 'tcp') throw usage(`--checker ${checker} is keepalived's: with --health ldirectord the checks are ldirectord's (checktype negotiate on :80, connect on :7)`, 'drop --checker, or use --health keepalived')
  const advertRaw = o['advertInt']
  const advertInt = intOpt(advertRaw, 'advert-int', 1, 1, 255)
  return {
    sync: o['sync'] === true || o['sync'] === 'true',
    advertInt,
    scheduler: sched,
    delayLoop: intOpt(o['delayLoop'], 'delay-loop', 1, 1, 3600),
    connectTimeout: intOpt(o['connectTimeout'], 'connect-timeout', 1, 1, 3600),
    retry: intOpt(o['retry'], 'retry', 1, 0, 100),
    delayBeforeRetry: intOpt(o['delayBeforeRetry'], 'delay-before-retry', 1, 0, 3600),
    checker: checker as LvsChecker,
    health: health as LvsHealth,
    // ldirectord's image holds perl: its rootfs (half the RAM at most) needs more than 128 MiB
    memMb: intOpt(o['memMb'], 'mem', health === 'ldirectord' ? 512 : 256, 128, 4096),
    forwarding: fwd as LvsForwarding,
    // keepalived takes persistence_timeout up to 2^31 s; a day is plenty for a lab
    persistence: intOpt(o['persistence'], 'persistence', 0, 0, 86_400),
    ...(o['ssh'] === true || o['ssh'] === 'true' ? {ssh: true as const} : {}),
  }
}

export function optionsKey(o: LvsLabOptions): string {
  return JSON.stringify(o)
}
