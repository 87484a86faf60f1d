/**
 * Readers of the bonding sysfs attributes: /sys/class/net/BOND/bonding/* (the bond's options and state),
 * /sys/class/net/IF/bonding_slave/* (a member as the bond sees it) and /sys/class/net/IF/statistics/*
 * (the interface counters). Values are kept raw; known ones are typed. "name N" values (mode, policies)
 * keep both the name and the number.
 */
import {configError} from '../config/common.js'
import type {BondFs} from './fs.js'
import {MODE_NAMES, bareMember, lacpPortState, type BondFile, type LacpPortState} from './proc.js'

export const NET = '/sys/class/net'

export interface NamedValue {
  name: string
  value: number | null
}

export interface BondSysfs {
  mode: NamedValue | null
  activeSlave: string | null
  slaves: string[]
  miimon: number | null
  updelay: number | null
  downdelay: number | null
  arpInterval: number | null
  arpIpTarget: string[]
  arpValidate: NamedValue | null
  arpMissedMax: number | null
  xmitHashPolicy: NamedValue | null
  lacpRate: NamedValue | null
  lacpActive: NamedValue | null
  adSelect: NamedValue | null
  adAggregator: number | null
  adNumPorts: number | null
  adActorKey: number | null
  adPartnerKey: number | null
  adPartnerMac: string | null
  adActorSystem: string | null
  primary: string | null
  primaryReselect: NamedValue | null
  failOverMac: NamedValue | null
  minLinks: number | null
  miiStatus: string | null
  numGratArp: number | null
  useCarrier: number | null
  /** Every attribute as read (trimmed), including those not typed above. */
  raw: Record<string, string>
}

export interface SlaveSysfs {
  /** "active" or "backup" (the driver's view of the member). */
  state: string | null
  miiStatus: string | null
  linkFailureCount: number | null
  permHwaddr: string | null
  queueId: number | null
  adAggregatorId: number | null
  adActorOperPortState: LacpPortState | null
  adPartnerOperPortState: LacpPortState | null
  raw: Record<string, string>
}

export const COUNTERS = ['rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets', 'rx_errors', 'tx_errors', 'rx_dropped', 'tx_dropped'] as const
export type CounterName = (typeof COUNTERS)[number]
/** Interface counters (64-bit in the kernel: BigInt, so nothing is rounded). Unknown names kept too. */
export type Counters = Partial<Record<CounterName, bigint>> & Record<string, bigint>

const num = (v: string | undefined): number | null => {
  if (v === undefined) return null
  const m = /^-?\d+$/.exec(v.trim())
  return m === null ? null : Number(m[0])
}

const named = (v: string | undefined): NamedValue | null => {
  if (v === undefined || v.trim() === '') return null
  const m = /^(\S+)(?:\s+(\d+))?$/.exec(v.trim())
  return m === null ? {name: v.trim(), value: null} : {name: m[1] as string, value: m[2] === undefined ? null : Number(m[2])}
}

const str = (v: string | undefined): string | null => (v === undefined || v.trim() === '' ? null : v.trim())

export function parseBondSysfs(raw: Record<string, string>): BondSysfs {
  const r: Record<string, string> = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.trim()]))
  return {
    mode: named(r['mode']),
    activeSlave: str(r['active_slave']),
    slaves: (r['slaves'] ?? '').split(/\s+/).filter((x) => x !== ''),
    miimon: num(r['miimon']),
    updelay: num(r['updelay']),
    downdelay: num(r['downdelay']),
    arpInterval: num(r['arp_interval']),
    arpIpTarget: (r['arp_ip_target'] ?? '').split(/\s+/).filter((x) => x !== ''),
    arpValidate: named(r['arp_validate']),
    arpMissedMax: num(r['arp_missed_max']),
    xmitHashPolicy: named(r['xmit_hash_policy']),
    lacpRate: named(r['lacp_rate']),
    lacpActive: named(r['lacp_active']),
    adSelect: named(r['ad_select']),
    adAggregator: num(r['ad_aggregator']),
    adNumPorts: num(r['ad_num_ports']),
    adActorKey: num(r['ad_actor_key']),
    adPartnerKey: num(r['ad_partner_key']),
    adPartnerMac: str(r['ad_partner_mac']),
    adActorSystem: str(r['ad_actor_system']),
    primary: str(r['primary']),
    primaryReselect: named(r['primary_reselect']),
    failOverMac: named(r['fail_over_mac']),
    minLinks: num(r['min_links']),
    miiStatus: str(r['mii_status']),
    numGratArp: num(r['num_grat_arp']),
    useCarrier: num(r['use_carrier']),
    raw: r,
  }
}

/** `==> /sys/…/bonding/NAME <==` blocks (as `head`/`tail` print several files) → file name → content. */
export function parseSysfsDump(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  let cur: string | undefined
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    const h = /^==> (.+) <==$/.exec(line)
    if (h !== null) {
      cur = (h[1] ?? '').split('/').pop() ?? ''
      out[cur] = ''
    } else if (cur !== undefined && line !== '') out[cur] = out[cur] === '' ? line : `${out[cur] ?? ''}\n${line}`
  }
  return out
}

/**
 * A bond from its sysfs attributes (/sys/class/net/BOND/bonding/*: file name → content) in the model of
 * /proc/net/bonding, for `doctor`: mode, monitors, hash policy, LACP rate and partner (802.3ad), the
 * members by name. Throws HachaosError (BAD_INPUT, FILE:1) without a known mode.
 */
export function parseBondSysfsFile(files: Record<string, string>, opts: {file: string; name: string}): BondFile {
  const s = parseBondSysfs(files)
  const modes = Object.values(MODE_NAMES)
  const mode = s.mode?.name
  if (mode === undefined || !modes.includes(mode)) {
    throw configError('sysfs bonding', {file: opts.file, line: 1}, mode === undefined ? 'no "mode" file' : `unknown bonding mode "${mode}"`, 'give the files of /sys/class/net/BOND/bonding/')
  }
  const ad = mode === '802.3ad'
  const lacpRate = s.lacpRate?.name
  return {
    file: opts.file,
    name: opts.name,
    source: 'sysfs',
    proc: {
      driverVersion: null,
      mode,
      modeDescription: null,
      failOverMac: s.failOverMac?.name ?? null,
      xmitHashPolicy: s.xmitHashPolicy?.name ?? null,
      primary: s.primary,
      primaryReselect: s.primaryReselect?.name ?? null,
      activeSlave: s.activeSlave,
      miiStatus: s.miiStatus,
      miimonMs: s.miimon,
      updelayMs: s.updelay,
      downdelayMs: s.downdelay,
      peerNotifyDelayMs: null,
      arp: s.arpInterval === null ? null : {intervalMs: s.arpInterval, missedMax: s.arpMissedMax, ipTargets: s.arpIpTarget, ns6Targets: []},
      ad: ad
        ? {
            lacpActive: s.lacpActive === null ? null : s.lacpActive.name === 'on',
            lacpRate: lacpRate === 'slow' || lacpRate === 'fast' ? lacpRate : null,
            minLinks: s.minLinks,
            adSelect: s.adSelect?.name ?? null,
            systemPriority: null,
            systemMac: s.adActorSystem,
            activeAggregator: s.adPartnerMac === null ? null : {id: s.adAggregator, ports: s.adNumPorts, actorKey: s.adActorKey, partnerKey: s.adPartnerKey, partnerMac: s.adPartnerMac.toLowerCase()},
            noActiveAggregator: false,
            fields: {},
          }
        : null,
      members: s.slaves.map(bareMember),
      fields: {},
      unparsed: [],
    },
    lines: {master: {}, ad: {}, members: []},
  }
}

export function parseSlaveSysfs(raw: Record<string, string>): SlaveSysfs {
  const r: Record<string, string> = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.trim()]))
  const ps = (v: string | undefined): LacpPortState | null => {
    const n = num(v)
    return n === null ? null : lacpPortState(n)
  }
  return {
    state: str(r['state']),
    miiStatus: str(r['mii_status']),
    linkFailureCount: num(r['link_failure_count']),
    permHwaddr: str(r['perm_hwaddr']),
    queueId: num(r['queue_id']),
    adAggregatorId: num(r['ad_aggregator_id']),
    adActorOperPortState: ps(r['ad_actor_oper_port_state']),
    adPartnerOperPortState: ps(r['ad_partner_oper_port_state']),
    raw: r,
  }
}

export function parseCounters(raw: Record<string, string>): Counters {
  const out: Counters = {}
  for (const [k, v] of Object.entries(raw)) {
    const t = v.trim()
    if (/^\d+$/.test(t)) out[k] = BigInt(t)
  }
  return out
}

/** name → content for the files of one directory (null entries dropped). */
function byName(dir: string, names: readonly string[], files: Map<string, string | null>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const n of names) {
    const v = files.get(`${dir}/${n}`)
    if (v !== null && v !== undefined) out[n] = v
  }
  return out
}

async function readDir(fs: BondFs, dir: string): Promise<Record<string, string> | null> {
  const r = await fs.batch({dumps: [dir]})
  const out: Record<string, string> = {}
  for (const [p, v] of r.files) if (v !== null && p.startsWith(`${dir}/`)) out[p.slice(dir.length + 1)] = v
  return Object.keys(out).length === 0 ? null : out
}

export async function readBondSysfs(fs: BondFs, bond: string): Promise<BondSysfs | null> {
  const r = await readDir(fs, `${NET}/${bond}/bonding`)
  return r === null ? null : parseBondSysfs(r)
}

export async function readSlaveSysfs(fs: BondFs, ifname: string): Promise<SlaveSysfs | null> {
  const r = await readDir(fs, `${NET}/${ifname}/bonding_slave`)
  return r === null ? null : parseSlaveSysfs(r)
}

/** All counters of an interface (the whole statistics directory). */
export async function readStatistics(fs: BondFs, ifname: string): Promise<Counters | null> {
  const r = await readDir(fs, `${NET}/${ifname}/statistics`)
  return r === null ? null : parseCounters(r)
}

/** Files of a dumped directory, by name. */
export function dumpOf(dir: string, files: Map<string, string | null>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [p, v] of files) if (v !== null && p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes('/')) out[p.slice(dir.length + 1)] = v
  return out
}

export function statisticsPaths(ifname: string, names: readonly string[] = COUNTERS): string[] {
  return names.map((n) => `${NET}/${ifname}/statistics/${n}`)
}

export function countersFrom(ifname: string, files: Map<string, string | null>, names: readonly string[] = COUNTERS): Counters | null {
  const dir = `${NET}/${ifname}/statistics`
  const r = byName(dir, names, files)
  return Object.keys(r).length === 0 ? null : parseCounters(r)
}

export {byName as filesByName}
