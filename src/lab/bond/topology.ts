/**
 * The bond lab's fixed shape: one QEMU guest (bond0 over eth0/eth1) whose NICs sit on tap devices in a
 * switch namespace PREFIX-bsw (bridge br0), and two client namespaces PREFIX-bc1/PREFIX-bc2 on the same
 * bridge. Addresses are fixed in 10.88.0.0/24; nothing is routed out of these namespaces.
 */
import {HachaosError} from '../../errors.js'

export const BOND_MODES = ['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb', 'balance-alb'] as const
export type BondMode = (typeof BOND_MODES)[number]

export const XMIT_HASH_POLICIES = ['layer2', 'layer2+3', 'layer3+4', 'encap2+3', 'encap3+4', 'vlan+srcmac'] as const

export interface BondLabOptions {
  mode: BondMode
  /** MII link monitoring interval (ms); 0 = off (the ARP monitor is used instead). */
  miimon: number
  downdelay: number
  updelay: number
  arpInterval: number
  arpIpTarget: string | null
  xmitHashPolicy: string | null
  lacpRate: 'slow' | 'fast' | null
  /** Guest RAM in MiB. */
  memMb: number
  /** Give the NICs speed=1000,duplex=full (default). Without, bonding shows "Speed: Unknown". */
  nicSpeed: boolean
}

export const BOND_SUBNET = '10.88.0.0/24'
export const GUEST_IP = '10.88.0.2'
export const PREFIX_LEN = 24
export const IPERF_PORTS = [8001, 8002] as const
export const MEMBERS = ['eth0', 'eth1'] as const

export interface BondLabClient {
  name: string
  ns: string
  ip: string
  mac: string
  /** veth end in the switch namespace. */
  swPort: string
}

export interface BondLabMember {
  /** Interface name inside the guest. */
  dev: string
  /** QEMU netdev id (what `set_link` takes). */
  netdev: string
  /** Tap device in the switch namespace. */
  tap: string
  mac: string
}

export interface BondLabTopology {
  prefix: string
  switchNs: string
  bridge: string
  guestName: string
  guestIp: string
  members: BondLabMember[]
  clients: BondLabClient[]
}

export function bondTopology(prefix: string): BondLabTopology {
  return {
    prefix,
    switchNs: `${prefix}-bsw`,
    bridge: 'br0',
    guestName: 'guest',
    guestIp: GUEST_IP,
    members: MEMBERS.map((dev, i) => ({dev, netdev: `n${i}`, tap: `tap${i}`, mac: `52:54:00:88:00:a${i}`})),
    clients: [1, 2].map((i) => ({
      name: `client${i}`,
      ns: `${prefix}-bc${i}`,
      ip: `10.88.0.${10 + i}`,
      mac: `02:88:00:00:00:${(10 + i).toString(16).padStart(2, '0')}`,
      swPort: `v-c${i}`,
    })),
  }
}

function usage(msg: string, ...suggestions: string[]): HachaosError {
  return new HachaosError(msg, {code: 'E_USAGE', exit: 'USAGE', suggestions})
}

function intOpt(raw: unknown, name: string, def: number, max: number): number {
  if (raw === undefined || raw === null || raw === '') return def
  const n = typeof raw === 'number' ? raw : Number(String(raw))
  if (!Number.isInteger(n) || n < 0 || n > max) throw usage(`--${name} must be a whole number of milliseconds from 0 to ${max} (got ${String(raw)})`)
  return n
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

/**
 * Validate the topology options from `lab up`. Every value ends up on the guest kernel's command line and
 * in sysfs writes inside the guest, so each is checked against a strict pattern here.
 */
export function parseBondLabOptions(o: Record<string, string | number | boolean | undefined> = {}): BondLabOptions {
  const modeRaw = String(o['mode'] ?? 'active-backup')
  const mode = (BOND_MODES as readonly string[]).includes(modeRaw) ? (modeRaw as BondMode) : null
  if (mode === null) throw usage(`bond mode "${modeRaw}" is not one of ${BOND_MODES.join(', ')}`)
  const arpInterval = intOpt(o['arpInterval'], 'arp-interval', 0, 60_000)
  const arpRaw = o['arpIpTarget']
  const arpIpTarget = arpRaw === undefined || arpRaw === '' ? null : String(arpRaw)
  if (arpIpTarget !== null && !IPV4.test(arpIpTarget)) throw usage(`--arp-ip-target "${arpIpTarget}" is not an IPv4 address`, 'the lab clients are 10.88.0.11 and 10.88.0.12')
  if (arpInterval > 0 && arpIpTarget === null) throw usage('--arp-interval needs --arp-ip-target', 'e.g. --arp-interval 100 --arp-ip-target 10.88.0.11')
  if (arpIpTarget !== null && arpInterval === 0) throw usage('--arp-ip-target needs --arp-interval', 'e.g. --arp-interval 100')
  // The kernel turns MII monitoring off when ARP monitoring is on; say so instead of surprising.
  const miimonGiven = o['miimon'] !== undefined && o['miimon'] !== ''
  const miimon = intOpt(o['miimon'], 'miimon', arpInterval > 0 ? 0 : 100, 60_000)
  if (arpInterval > 0 && miimonGiven && miimon > 0) throw usage('--miimon and --arp-interval cannot both be on: the bonding driver uses one link monitor', 'drop --miimon (or set it to 0) when using the ARP monitor')
  const downdelay = intOpt(o['downdelay'], 'downdelay', 0, 600_000)
  const updelay = intOpt(o['updelay'], 'updelay', 0, 600_000)
  if ((downdelay > 0 || updelay > 0) && miimon === 0) throw usage('--downdelay/--updelay only work with MII monitoring (--miimon > 0)')
  for (const [n, v] of [['downdelay', downdelay], ['updelay', updelay]] as const) {
    if (v > 0 && v % miimon !== 0) throw usage(`--${n} ${v} is not a multiple of --miimon ${miimon}`, `the kernel rounds it down to ${Math.floor(v / miimon) * miimon}; pass that value`)
  }
  const hashRaw = o['xmitHashPolicy']
  const xmitHashPolicy = hashRaw === undefined || hashRaw === '' ? null : String(hashRaw)
  if (xmitHashPolicy !== null && !(XMIT_HASH_POLICIES as readonly string[]).includes(xmitHashPolicy)) {
    throw usage(`--xmit-hash-policy "${xmitHashPolicy}" is not one of ${XMIT_HASH_POLICIES.join(', ')}`)
  }
  const lacpRaw = o['lacpRate']
  const lacpRate = lacpRaw === 'slow' || lacpRaw === 'fast' ? lacpRaw : lacpRaw === undefined || lacpRaw === '' ? null : null
  if (lacpRaw !== undefined && lacpRaw !== '' && lacpRate === null) throw usage('--lacp-rate is slow or fast')
  const memMb = intOpt(o['memMb'], 'mem', 256, 4096)
  if (memMb < 96) throw usage('the guest needs at least 96 MiB')
  const nicSpeed = o['nicSpeed'] !== false && o['nicSpeed'] !== 'false'
  return {mode, miimon, downdelay, updelay, arpInterval, arpIpTarget, xmitHashPolicy, lacpRate, memMb, nicSpeed}
}

/**
 * Bonding options written through sysfs inside the guest, in order, after `mode` and `miimon`.
 * Values are validated above; the guest init splits on "," and "=".
 */
export function bondSysfsOptions(o: BondLabOptions): Array<[string, string]> {
  const out: Array<[string, string]> = []
  if (o.xmitHashPolicy !== null) out.push(['xmit_hash_policy', o.xmitHashPolicy])
  if (o.lacpRate !== null) out.push(['lacp_rate', o.lacpRate])
  if (o.downdelay > 0) out.push(['downdelay', String(o.downdelay)])
  if (o.updelay > 0) out.push(['updelay', String(o.updelay)])
  if (o.arpInterval > 0) out.push(['arp_interval', String(o.arpInterval)])
  if (o.arpIpTarget !== null) out.push(['arp_ip_target', `+${o.arpIpTarget}`])
  return out
}

/** The guest kernel command line (read by the guest's /init). */
export function kernelCmdline(o: BondLabOptions, ip = GUEST_IP): string {
  const opts = bondSysfsOptions(o).map(([k, v]) => `${k}=${v}`).join(',')
  return [
    'console=ttyS0',
    'quiet',
    'panic=-1',
    `hx.mode=${o.mode}`,
    `hx.miimon=${o.miimon}`,
    `hx.ip=${ip}/${PREFIX_LEN}`,
    `hx.iperf=${IPERF_PORTS.join(',')}`,
    ...(opts === '' ? [] : [`hx.opts=${opts}`]),
  ].join(' ')
}

/** A stable comparison key: a running lab with the same options is "already up". */
export function optionsKey(o: BondLabOptions): string {
  return JSON.stringify(o)
}
