/**
 * Parser of /proc/net/bonding/BOND (drivers/net/bonding/bond_procfs.c) for every mode: active-backup,
 * balance-rr, balance-xor, broadcast, 802.3ad, balance-tlb, balance-alb. Line-oriented "Key: value" text
 * in sections (master, ARP, 802.3ad info, one section per member with its LACP PDU details). Every line is
 * kept: known keys become typed fields, unknown keys stay in `fields` (per section) and never fail the parse.
 * The monitor reads it leniently (parseBondProc); `doctor` reads a file strictly, with the line of every
 * key (parseBondProcFile: not a bonding file → BAD_INPUT naming file:line).
 */
import {type Loc, configError} from '../config/common.js'

export const MODE_NAMES: Readonly<Record<string, string>> = {
  'load balancing (round-robin)': 'balance-rr',
  'fault-tolerance (active-backup)': 'active-backup',
  'load balancing (xor)': 'balance-xor',
  'fault-tolerance (broadcast)': 'broadcast',
  'IEEE 802.3ad Dynamic link aggregation': '802.3ad',
  'transmit load balancing': 'balance-tlb',
  'adaptive load balancing': 'balance-alb',
}

/** Link states as the driver prints them (bond_slave_link_status). */
export type MiiStatus = 'up' | 'down' | 'going down' | 'going back' | 'unknown'

export interface LacpPortState {
  value: number
  activity: boolean
  /** Short timeout (fast LACPDUs). */
  shortTimeout: boolean
  aggregation: boolean
  synchronization: boolean
  collecting: boolean
  distributing: boolean
  defaulted: boolean
  expired: boolean
}

export interface LacpPdu {
  systemPriority: number | null
  systemMac: string | null
  /** "port key" (actor) or "oper key" (partner). */
  key: number | null
  portPriority: number | null
  portNumber: number | null
  portState: LacpPortState | null
  fields: Record<string, string>
}

export interface BondMember {
  name: string
  miiStatus: MiiStatus
  /** null when the driver prints "Speed: Unknown". */
  speedMbps: number | null
  duplex: 'full' | 'half' | null
  linkFailureCount: number | null
  permHwAddr: string | null
  queueId: number | null
  /** 802.3ad only. null: not 802.3ad or "N/A" (no aggregator). */
  aggregatorId: number | null
  actorChurnState: string | null
  partnerChurnState: string | null
  actorChurnedCount: number | null
  partnerChurnedCount: number | null
  actorLacp: LacpPdu | null
  partnerLacp: LacpPdu | null
  fields: Record<string, string>
}

export interface ActiveAggregator {
  id: number | null
  ports: number | null
  actorKey: number | null
  partnerKey: number | null
  partnerMac: string | null
}

export interface Ad8023Info {
  lacpActive: boolean | null
  lacpRate: 'slow' | 'fast' | null
  minLinks: number | null
  adSelect: string | null
  systemPriority: number | null
  systemMac: string | null
  /** null when the driver says "bond X has no active aggregator" (or did not print it: no CAP_NET_ADMIN). */
  activeAggregator: ActiveAggregator | null
  noActiveAggregator: boolean
  fields: Record<string, string>
}

export interface ArpMonitorInfo {
  intervalMs: number | null
  missedMax: number | null
  ipTargets: string[]
  ns6Targets: string[]
}

export interface BondProc {
  driverVersion: string | null
  /** Short mode name (balance-rr, active-backup …); the driver's own words in modeDescription. */
  mode: string | null
  modeDescription: string | null
  failOverMac: string | null
  xmitHashPolicy: string | null
  /** Modes with a primary (active-backup, tlb, alb); "None" → null. */
  primary: string | null
  primaryReselect: string | null
  /** "Currently Active Slave"; null for None or modes without an active member. */
  activeSlave: string | null
  miiStatus: string | null
  miimonMs: number | null
  updelayMs: number | null
  downdelayMs: number | null
  peerNotifyDelayMs: number | null
  arp: ArpMonitorInfo | null
  ad: Ad8023Info | null
  members: BondMember[]
  /** Master-section keys, raw (known and unknown). */
  fields: Record<string, string>
  /** Lines that are not "Key: value" and not a known heading. */
  unparsed: string[]
}

const int = (v: string | undefined): number | null => {
  if (v === undefined) return null
  const m = /^-?\d+/.exec(v.trim())
  return m === null ? null : Number(m[0])
}

export function lacpPortState(value: number): LacpPortState {
  const bit = (n: number): boolean => (value & (1 << n)) !== 0
  return {value, activity: bit(0), shortTimeout: bit(1), aggregation: bit(2), synchronization: bit(3), collecting: bit(4), distributing: bit(5), defaulted: bit(6), expired: bit(7)}
}

function miiOf(v: string | undefined): MiiStatus {
  const s = (v ?? '').trim()
  return s === 'up' || s === 'down' || s === 'going down' || s === 'going back' ? s : 'unknown'
}

function pduOf(f: Record<string, string>): LacpPdu {
  const state = int(f['port state'])
  return {
    systemPriority: int(f['system priority']),
    systemMac: f['system mac address'] ?? null,
    key: int(f['port key'] ?? f['oper key']),
    portPriority: int(f['port priority']),
    portNumber: int(f['port number']),
    portState: state === null ? null : lacpPortState(state),
    fields: f,
  }
}

function memberOf(name: string, f: Record<string, string>, actor: Record<string, string> | null, partner: Record<string, string> | null): BondMember {
  const speed = f['Speed']
  const duplex = f['Duplex']
  const agg = f['Aggregator ID']
  return {
    name,
    miiStatus: miiOf(f['MII Status']),
    speedMbps: speed === undefined || /unknown/i.test(speed) ? null : int(speed),
    duplex: duplex === 'full' || duplex === 'half' ? duplex : null,
    linkFailureCount: int(f['Link Failure Count']),
    permHwAddr: f['Permanent HW addr'] ?? null,
    queueId: int(f['Slave queue ID']),
    aggregatorId: agg === undefined || agg === 'N/A' ? null : int(agg),
    actorChurnState: f['Actor Churn State'] ?? null,
    partnerChurnState: f['Partner Churn State'] ?? null,
    actorChurnedCount: int(f['Actor Churned Count']),
    partnerChurnedCount: int(f['Partner Churned Count']),
    actorLacp: actor === null ? null : pduOf(actor),
    partnerLacp: partner === null ? null : pduOf(partner),
    fields: f,
  }
}

const noneToNull = (v: string | undefined): string | null => (v === undefined || v === 'None' ? null : v)

/** A member with nothing known but its name (a bond read from sysfs, where only `slaves` lists them). */
export function bareMember(name: string): BondMember {
  return memberOf(name, {}, null, null)
}

/** 1-based lines of the keys of a /proc/net/bonding file, by the same names as BondProc's `fields`. */
export interface BondProcLines {
  /** Master-section keys ("Bonding Mode", "MII Polling Interval (ms)" …). */
  master: Record<string, number>
  /** 802.3ad-section keys, the active aggregator's as "Active Aggregator Info/KEY" (as in `ad.fields`). */
  ad: Record<string, number>
  /** The "Slave Interface:" line of each member, parallel to `members`. */
  members: number[]
}

/**
 * The lines without the indentation they all share: the file as the kernel prints it, from a copy that is
 * indented as a whole (Documentation/networking/bonding.rst shows it in a tab-indented literal block). The
 * headings ("802.3ad info", "details actor lacp pdu:") and the nesting of the aggregator and LACP PDU lines
 * are read relative to it.
 */
function dedent(rows: string[]): string[] {
  let common: string | null = null
  for (const r of rows) {
    if (r.trim() === '') continue
    const ws = /^[ \t]*/.exec(r)?.[0] ?? ''
    if (common === null) common = ws
    else {
      let k = 0
      while (k < common.length && k < ws.length && common[k] === ws[k]) k++
      common = common.slice(0, k)
    }
    if (common === '') return rows
  }
  const cut = (common ?? '').length
  return cut === 0 ? rows : rows.map((r) => (r.trim() === '' ? '' : r.slice(cut)))
}

export function parseBondProc(text: string): BondProc {
  return parseBondProcLines(text).proc
}

/** parseBondProc, with the line of every key. */
export function parseBondProcLines(text: string): {proc: BondProc; lines: BondProcLines} {
  const lines: BondProcLines = {master: {}, ad: {}, members: []}
  const master: Record<string, string> = {}
  const ad: Record<string, string> = {}
  const agg: Record<string, string> = {}
  const unparsed: string[] = []
  const members: BondMember[] = []
  let driverVersion: string | null = null
  let noActiveAggregator = false
  let section: 'master' | 'ad' | 'agg' | 'member' | 'actor' | 'partner' = 'master'
  let cur: {name: string; f: Record<string, string>; actor: Record<string, string> | null; partner: Record<string, string> | null} | null = null
  const closeMember = (): void => {
    if (cur !== null) members.push(memberOf(cur.name, cur.f, cur.actor, cur.partner))
    cur = null
  }
  const rows = dedent(text.split('\n'))
  for (let i = 0; i < rows.length; i++) {
    const line = (rows[i] ?? '').replace(/\s+$/, '')
    if (line.trim() === '') {
      if (section === 'agg') section = 'ad'
      continue
    }
    const drv = /^Ethernet Channel Bonding Driver: (.*)$/.exec(line)
    if (drv !== null) {
      driverVersion = drv[1] ?? null
      continue
    }
    if (line === '802.3ad info') {
      closeMember()
      section = 'ad'
      continue
    }
    if (line === 'Active Aggregator Info:') {
      section = 'agg'
      continue
    }
    if (/^bond \S+ has no active aggregator$/.test(line)) {
      noActiveAggregator = true
      continue
    }
    if (line === 'details actor lacp pdu:' && cur !== null) {
      cur.actor = {}
      section = 'actor'
      continue
    }
    if (line === 'details partner lacp pdu:' && cur !== null) {
      cur.partner = {}
      section = 'partner'
      continue
    }
    const kv = /^(\s*)([^:]+?):\s?(.*)$/.exec(line)
    if (kv === null) {
      unparsed.push(line)
      continue
    }
    const indent = (kv[1] ?? '').length
    const key = kv[2] as string
    const value = (kv[3] ?? '').trim()
    if (key === 'Slave Interface') {
      closeMember()
      cur = {name: value, f: {}, actor: null, partner: null}
      lines.members.push(i + 1)
      section = 'member'
      continue
    }
    // PDU details are indented; the first unindented key after them is a member key again.
    if ((section === 'actor' || section === 'partner') && indent === 0) section = 'member'
    if (section === 'agg' && indent === 0) section = 'ad'
    const c = cur as {f: Record<string, string>; actor: Record<string, string> | null; partner: Record<string, string> | null} | null
    switch (section) {
      case 'master':
        master[key] = value
        lines.master[key] = i + 1
        break
      case 'ad':
        ad[key] = value
        lines.ad[key] = i + 1
        break
      case 'agg':
        agg[key] = value
        lines.ad[`Active Aggregator Info/${key}`] = i + 1
        break
      case 'member':
        if (c !== null) c.f[key] = value
        break
      case 'actor':
        if (c?.actor != null) c.actor[key] = value
        break
      case 'partner':
        if (c?.partner != null) c.partner[key] = value
        break
    }
  }
  closeMember()

  // "Bonding Mode: fault-tolerance (active-backup) (fail_over_mac active)"
  let modeDescription = master['Bonding Mode'] ?? null
  let failOverMac: string | null = null
  if (modeDescription !== null) {
    const fo = /^(.*?) \(fail_over_mac (\S+)\)$/.exec(modeDescription)
    if (fo !== null) {
      modeDescription = fo[1] ?? modeDescription
      failOverMac = fo[2] ?? null
    }
  }
  const mode = modeDescription === null ? null : (MODE_NAMES[modeDescription] ?? null)
  // "Primary Slave: eth0 (primary_reselect always)"
  let primary = noneToNull(master['Primary Slave'])
  let primaryReselect: string | null = null
  if (primary !== null) {
    const pr = /^(\S+) \(primary_reselect (\S+)\)$/.exec(primary)
    if (pr !== null) {
      primary = pr[1] ?? null
      primaryReselect = pr[2] ?? null
    }
  }
  const hash = master['Transmit Hash Policy']
  const arpInterval = master['ARP Polling Interval (ms)']
  const list = (v: string | undefined): string[] => (v ?? '').split(/[,\s]+/).map((x) => x.trim()).filter((x) => x !== '')
  const isAd = Object.keys(ad).length > 0 || Object.keys(agg).length > 0 || noActiveAggregator
  const proc: BondProc = {
    driverVersion,
    mode,
    modeDescription,
    failOverMac,
    xmitHashPolicy: hash === undefined ? null : (hash.replace(/\s*\(\d+\)$/, '') || null),
    primary,
    primaryReselect,
    activeSlave: noneToNull(master['Currently Active Slave']),
    miiStatus: master['MII Status'] ?? null,
    miimonMs: int(master['MII Polling Interval (ms)']),
    updelayMs: int(master['Up Delay (ms)']),
    downdelayMs: int(master['Down Delay (ms)']),
    peerNotifyDelayMs: int(master['Peer Notification Delay (ms)']),
    arp:
      arpInterval === undefined
        ? null
        : {intervalMs: int(arpInterval), missedMax: int(master['ARP Missed Max']), ipTargets: list(master['ARP IP target/s (n.n.n.n form)']), ns6Targets: list(master['NS IPv6 target/s (xx::xx form)'])},
    ad: isAd
      ? {
          lacpActive: ad['LACP active'] === undefined ? null : ad['LACP active'] === 'on',
          lacpRate: ad['LACP rate'] === 'fast' || ad['LACP rate'] === 'slow' ? ad['LACP rate'] : null,
          minLinks: int(ad['Min links']),
          adSelect: ad['Aggregator selection policy (ad_select)'] ?? null,
          systemPriority: int(ad['System priority']),
          systemMac: ad['System MAC address'] ?? null,
          activeAggregator:
            Object.keys(agg).length === 0
              ? null
              : {id: int(agg['Aggregator ID']), ports: int(agg['Number of ports']), actorKey: int(agg['Actor Key']), partnerKey: int(agg['Partner Key']), partnerMac: agg['Partner Mac Address'] ?? null},
          noActiveAggregator,
          fields: {...ad, ...Object.fromEntries(Object.entries(agg).map(([k, v]) => [`Active Aggregator Info/${k}`, v]))},
        }
      : null,
    members,
    fields: master,
    unparsed,
  }
  return {proc, lines}
}

export const ZERO_MAC = '00:00:00:00:00:00'

/** A bond as `doctor` reads it from a file: /proc/net/bonding/BOND, or the bonding attributes from sysfs. */
export interface BondFile {
  file: string
  name: string
  source: 'proc' | 'sysfs'
  proc: BondProc
  /** Lines of the keys in `file` (empty for sysfs: one value per file). */
  lines: BondProcLines
}

const PROC = '/proc/net/bonding'

/** Where a key of a bond file stands; the "Bonding Mode" line (or line 1) when the file does not have it. */
export function bondLine(b: BondFile, line: number | undefined): Loc {
  return {file: b.file, line: line ?? b.lines.master['Bonding Mode'] ?? 1}
}

/**
 * Read /proc/net/bonding/BOND strictly (`name` defaults to the file's base name). Throws HachaosError
 * (BAD_INPUT, file:line) when it is not one: no or an unknown "Bonding Mode", a member without a name.
 */
export function parseBondProcFile(text: string, opts: {file: string; name?: string}): BondFile {
  const file = opts.file
  const {proc, lines} = parseBondProcLines(text.replace(/\r\n?/g, '\n'))
  const modeLine = lines.master['Bonding Mode']
  if (modeLine === undefined) {
    throw configError(PROC, {file, line: 1}, 'no "Bonding Mode:" line: not a /proc/net/bonding file', 'give `cat /proc/net/bonding/BOND` output (the bonding driver must be loaded)')
  }
  if (proc.mode === null) throw configError(PROC, {file, line: modeLine}, `unknown bonding mode "${proc.modeDescription ?? ''}"`, 'is this a /proc/net/bonding file from Linux?')
  const nameless = proc.members.findIndex((m) => m.name === '')
  if (nameless >= 0) {
    throw configError(PROC, {file, line: lines.members[nameless] ?? 1}, '"Slave Interface:" without a name', 'give the whole file, as `cat /proc/net/bonding/bond0` prints it')
  }
  return {file, name: opts.name ?? (file.split('/').filter((x) => x !== '').pop() ?? 'bond0'), source: 'proc', proc, lines}
}
