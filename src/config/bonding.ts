/**
 * Linux bonding state for `doctor`: /proc/net/bonding/BOND and /sys/class/net/BOND/bonding/*.
 * A minimal reader of its own (src/bond/ has the full /proc/net/bonding parser for monitoring; this one keeps
 * only what the doctor rules need, with line numbers, so config/ stays self-contained).
 * Format from drivers/net/bonding/bond_procfs.c (checked on captures of a 6.1 kernel).
 */
import {type Loc, configError, splitLines, toInt} from './common.js'

export type BondMode = 'balance-rr' | 'active-backup' | 'balance-xor' | 'broadcast' | '802.3ad' | 'balance-tlb' | 'balance-alb'

const MODE_TEXT: Array<[RegExp, BondMode]> = [
  [/round-robin/i, 'balance-rr'],
  [/active-backup/i, 'active-backup'],
  [/\(xor\)/i, 'balance-xor'],
  [/broadcast/i, 'broadcast'],
  [/802\.3ad/i, '802.3ad'],
  [/transmit load balancing/i, 'balance-tlb'],
  [/adaptive load balancing/i, 'balance-alb'],
]
const MODES: readonly BondMode[] = ['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb', 'balance-alb']

export interface BondMember extends Loc {
  name: string
  /** up, down, going back, going down (as the driver prints it); undefined from sysfs alone. */
  miiStatus?: string
  speedMbps?: number
  duplex?: string
  linkFailureCount?: number
  aggregatorId?: number
  /** 802.3ad: the partner's system MAC seen on this port. */
  partnerMac?: string
}

export interface BondInfo {
  file: string
  name: string
  mode: BondMode
  modeLine: number
  hashPolicy?: string
  miiStatus?: string
  miimonMs: number
  miimonLine: number
  arpIntervalMs: number
  arpTargets: string[]
  lacpRate?: 'slow' | 'fast'
  lacpRateLine?: number
  /** 802.3ad: the active aggregator's partner MAC (all zeros = LACP not negotiated). */
  partnerMac?: string
  partnerMacLine?: number
  activeSlave?: string
  members: BondMember[]
  source: 'proc' | 'sysfs'
}

const WHAT = '/proc/net/bonding'
export const ZERO_MAC = '00:00:00:00:00:00'

function bondNameOf(file: string): string {
  return file.split('/').filter((x) => x !== '').pop() ?? 'bond0'
}

/** Parse /proc/net/bonding/BOND. `name` defaults to the file's base name. Throws HachaosError (BAD_INPUT). */
export function parseProcBonding(text: string, opts: {file: string; name?: string}): BondInfo {
  const file = opts.file
  const lines = splitLines(text)
  let modeLine = 0
  let mode: BondMode | undefined
  const info: Omit<BondInfo, 'mode' | 'modeLine'> = {
    file,
    name: opts.name ?? bondNameOf(file),
    miimonMs: 0,
    miimonLine: 0,
    arpIntervalMs: 0,
    arpTargets: [],
    members: [],
    source: 'proc',
  }
  let member: BondMember | undefined
  let inPartnerPdu = false
  let inAggregator = false
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? ''
    const loc: Loc = {file, line: i + 1}
    if (raw.trim() === '') {
      inPartnerPdu = false
      continue
    }
    const details = /^details (actor|partner) lacp pdu:?$/.exec(raw.trim())
    if (details !== null) {
      inPartnerPdu = details[1] === 'partner'
      continue
    }
    const m = /^\s*([^:]+?):\s*(.*?)\s*$/.exec(raw)
    if (m === null) continue
    const key = m[1] ?? ''
    const value = m[2] ?? ''
    if (key === 'Slave Interface') {
      if (value === '') throw configError(WHAT, loc, '"Slave Interface:" without a name', 'give the whole file, as `cat /proc/net/bonding/bond0` prints it')
      member = {name: value, file, line: loc.line}
      info.members.push(member)
      inPartnerPdu = false
      inAggregator = false
      continue
    }
    if (key === 'Active Aggregator Info') {
      inAggregator = true
      continue
    }
    if (member === undefined) {
      switch (key) {
        case 'Bonding Mode': {
          const found = MODE_TEXT.find(([re]) => re.test(value))
          if (found === undefined) throw configError(WHAT, loc, `unknown bonding mode "${value}"`, 'is this a /proc/net/bonding file from Linux?')
          mode = found[1]
          modeLine = loc.line
          break
        }
        case 'Transmit Hash Policy':
          info.hashPolicy = value.replace(/\s*\(\d+\)$/, '')
          break
        case 'MII Status':
          info.miiStatus = value
          break
        case 'MII Polling Interval (ms)':
          info.miimonMs = toInt(value) ?? 0
          info.miimonLine = loc.line
          break
        case 'ARP Polling Interval (ms)':
          info.arpIntervalMs = toInt(value) ?? 0
          break
        case 'ARP IP target/s (n.n.n.n form)':
          info.arpTargets = value.split(/[\s,]+/).filter((x) => x !== '')
          break
        case 'LACP rate':
          if (value === 'slow' || value === 'fast') {
            info.lacpRate = value
            info.lacpRateLine = loc.line
          }
          break
        case 'Currently Active Slave':
          if (value !== 'None') info.activeSlave = value
          break
        case 'Partner Mac Address':
          if (inAggregator) {
            info.partnerMac = value.toLowerCase()
            info.partnerMacLine = loc.line
          }
          break
      }
    } else {
      switch (key) {
        case 'MII Status':
          member.miiStatus = value
          break
        case 'Speed': {
          const s = /^(\d+)\s*Mbps$/.exec(value)
          if (s !== null) member.speedMbps = Number(s[1])
          break
        }
        case 'Duplex':
          member.duplex = value
          break
        case 'Link Failure Count':
          member.linkFailureCount = toInt(value) ?? 0
          break
        case 'Aggregator ID':
          member.aggregatorId = toInt(value) ?? 0
          break
        case 'system mac address':
          if (inPartnerPdu) member.partnerMac = value.toLowerCase()
          break
      }
    }
  }
  if (mode === undefined) {
    throw configError(WHAT, {file, line: 1}, 'no "Bonding Mode:" line: not a /proc/net/bonding file', 'give `cat /proc/net/bonding/BOND` output (the bonding driver must be loaded)')
  }
  return {...info, mode, modeLine}
}

/** `==> /sys/…/bonding/NAME <==` blocks (as `head`/`tail` print several files) → file name → content. */
export function parseSysfsDump(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  let cur: string | undefined
  for (const line of splitLines(text)) {
    const h = /^==> (.+) <==$/.exec(line)
    if (h !== null) {
      cur = (h[1] ?? '').split('/').pop() ?? ''
      out[cur] = ''
    } else if (cur !== undefined && line !== '') out[cur] = out[cur] === '' ? line : `${out[cur] ?? ''}\n${line}`
  }
  return out
}

/** Bonding state from sysfs files (/sys/class/net/BOND/bonding/*): file name → content. */
export function parseBondingSysfs(files: Record<string, string>, opts: {file: string; name: string}): BondInfo {
  const first = (k: string): string | undefined => files[k]?.trim().split(/\s+/)[0]
  const modeWord = first('mode')
  const mode = MODES.find((m) => m === modeWord)
  if (mode === undefined) {
    throw configError('sysfs bonding', {file: opts.file, line: 1}, modeWord === undefined ? 'no "mode" file' : `unknown bonding mode "${modeWord}"`, 'give the files of /sys/class/net/BOND/bonding/')
  }
  const info: BondInfo = {
    file: opts.file,
    name: opts.name,
    mode,
    modeLine: 1,
    miimonMs: toInt(first('miimon')) ?? 0,
    miimonLine: 1,
    arpIntervalMs: toInt(first('arp_interval')) ?? 0,
    arpTargets: (files['arp_ip_target'] ?? '').split(/\s+/).filter((x) => x !== ''),
    members: (files['slaves'] ?? '').split(/\s+/).filter((x) => x !== '').map((name) => ({name, file: opts.file, line: 1})),
    source: 'sysfs',
  }
  const hp = first('xmit_hash_policy')
  if (hp !== undefined) info.hashPolicy = hp
  const mii = first('mii_status')
  if (mii !== undefined) info.miiStatus = mii
  const lr = first('lacp_rate')
  if (mode === '802.3ad' && (lr === 'slow' || lr === 'fast')) info.lacpRate = lr
  const pm = first('ad_partner_mac')
  if (mode === '802.3ad' && pm !== undefined) info.partnerMac = pm.toLowerCase()
  const act = first('active_slave')
  if (act !== undefined) info.activeSlave = act
  return info
}
