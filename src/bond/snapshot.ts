/**
 * One reading of a bond: /proc/net/bonding/BOND, the members' bonding_slave state, carrier and counters,
 * and (on the first reading and now and then) every /sys/class/net/BOND/bonding attribute — in one round
 * trip to the host, with the host's monotonic clock read just before the counters.
 */
import {HachaosError} from '../errors.js'
import type {EpochMicros} from '../time.js'
import type {BatchRequest, BondFs} from './fs.js'
import {parseProcNetDev} from './netdev.js'
import {parseBondProc, type BondProc} from './proc.js'
import {countersFrom, dumpOf, NET, parseBondSysfs, parseSlaveSysfs, statisticsPaths, type BondSysfs, type Counters, type SlaveSysfs} from './sysfs.js'

export interface MemberSnapshot {
  name: string
  /** /sys/class/net/IF/carrier: the NIC's own link (a cable pull shows here first, before MII monitoring). */
  carrier: boolean | null
  slave: SlaveSysfs | null
  counters: Counters | null
}

export interface BondSnapshot {
  host: string
  bond: string
  /** Epoch µs on this machine (middle of the read). */
  t: EpochMicros
  /** The read host's CLOCK_MONOTONIC in ns when the counters were read (null if unavailable). */
  monoNs: bigint | null
  proc: BondProc
  /** Every bonding attribute; null in readings that skipped them (see BondReader). */
  sysfs: BondSysfs | null
  members: MemberSnapshot[]
  bondCounters: Counters | null
  /** The bond's MAC address (/sys/class/net/BOND/address). */
  bondMac: string | null
}

/** Per reading, only what /proc/net/bonding does not say (active/backup); the rest in full readings. */
const SLAVE_ATTRS_FAST = ['state']
const SLAVE_ATTRS = ['state', 'mii_status', 'link_failure_count', 'perm_hwaddr', 'queue_id', 'ad_aggregator_id', 'ad_actor_oper_port_state', 'ad_partner_oper_port_state']
const BOND_NAME = /^[A-Za-z0-9_.:@-]{1,15}$/

export function checkBondName(bond: string): string {
  if (!BOND_NAME.test(bond) || bond.startsWith('-') || bond === '.' || bond === '..') {
    throw new HachaosError(`"${bond}" is not an interface name`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['e.g. bond0']})
  }
  return bond
}

export class BondReader {
  private members: string[] = []
  private reads = 0
  private lastSysfs: BondSysfs | null = null
  /** /proc/net/bonding holds no counters: it changes only with the bond's state, so its parse is reused. */
  private procCache: {text: string; proc: BondProc} | null = null
  /** Whether /proc/net/dev has the bond (null: not known yet). */
  private netdev: boolean | null = null
  /**
   * What a reading needs for the current members, built once per membership rather than per reading (a
   * 10-readings-a-second dashboard): the two requests, the interfaces whose /proc/net/dev lines are parsed,
   * and each member's file paths.
   */
  private plan: {
    members: string[]
    netdev: boolean | null
    fast: BatchRequest
    full: BatchRequest
    wanted: Set<string>
    paths: Array<{name: string; carrier: string; attrs: Array<[string, string]>}>
  } | null = null
  /** The last bonding/slaves text and its member list. */
  private slavesText: string | null = null
  private listed: string[] = []

  constructor(
    readonly fs: BondFs,
    readonly bond: string,
    readonly host: string,
    /** Read every bonding attribute every N readings (the first always). */
    private readonly fullEvery = 30,
  ) {
    checkBondName(bond)
  }

  private planFor(members: string[]): NonNullable<BondReader['plan']> {
    let q = this.plan
    if (q === null || q.members !== members || q.netdev !== this.netdev) {
      q = {
        members,
        netdev: this.netdev,
        fast: this.buildRequest(false, members),
        full: this.buildRequest(true, members),
        wanted: new Set([this.bond, ...members]),
        paths: members.map((m) => ({name: m, carrier: `${NET}/${m}/carrier`, attrs: SLAVE_ATTRS.map((a): [string, string] => [a, `${NET}/${m}/bonding_slave/${a}`])})),
      }
      this.plan = q
    }
    return q
  }

  private request(full: boolean, members: string[]): BatchRequest {
    const q = this.planFor(members)
    return full ? q.full : q.fast
  }

  private buildRequest(full: boolean, members: string[]): BatchRequest {
    // Counters: /proc/net/dev (one file for all interfaces) unless it is missing (an offline tree without
    // it), then each interface's statistics directory.
    const counters = this.netdev === false ? [this.bond, ...members].flatMap((i) => statisticsPaths(i)) : []
    const files = [`/proc/net/bonding/${this.bond}`, `${NET}/${this.bond}/bonding/slaves`, `${NET}/${this.bond}/address`, ...(this.netdev === false ? [] : ['/proc/net/dev']), ...counters]
    for (const m of members) {
      files.push(`${NET}/${m}/carrier`, ...(full ? SLAVE_ATTRS : SLAVE_ATTRS_FAST).map((a) => `${NET}/${m}/bonding_slave/${a}`))
    }
    return {files, dumps: full ? [`${NET}/${this.bond}/bonding`] : [], clock: true}
  }

  async read(): Promise<BondSnapshot> {
    const full = this.reads % this.fullEvery === 0
    this.reads++
    let r = await this.fs.batch(this.request(full, this.members))
    const procText = r.files.get(`/proc/net/bonding/${this.bond}`)
    if (procText == null) {
      throw new HachaosError(`no bond ${this.bond} on ${this.fs.where} (/proc/net/bonding/${this.bond} is missing)`, {
        code: 'E_NO_BOND',
        exit: 'USAGE',
        where: this.fs.where,
        suggestions: ['the bonds there: cat /sys/class/net/bonding_masters', 'in the bond lab: hachaos lab up --topology bond'],
      })
    }
    if (this.netdev === null) {
      const dev = r.files.get('/proc/net/dev')
      this.netdev = dev != null && parseProcNetDev(dev).has(this.bond)
      if (!this.netdev) this.members = [] // read again below, with the statistics directories
    }
    const slavesText = r.files.get(`${NET}/${this.bond}/bonding/slaves`) ?? ''
    if (slavesText !== this.slavesText) {
      this.slavesText = slavesText
      this.listed = slavesText.trim().split(/\s+/).filter((x) => x !== '')
    }
    const listed = this.listed
    const proc0 = this.procCache?.text === procText ? this.procCache.proc : parseBondProc(procText)
    const now = listed.length > 0 ? listed : proc0.members.map((m) => m.name)
    if (now !== this.members && now.join(' ') !== this.members.join(' ')) {
      // Membership changed (or first reading): read again with the right members.
      this.members = now
      r = await this.fs.batch(this.request(full, now))
    }
    const text = r.files.get(`/proc/net/bonding/${this.bond}`) ?? procText
    const proc = this.procCache?.text === text ? this.procCache.proc : parseBondProc(text)
    this.procCache = {text, proc}
    const sysfs = full ? parseBondSysfs(dumpOf(`${NET}/${this.bond}/bonding`, r.files)) : null
    if (sysfs !== null) this.lastSysfs = sysfs
    const plan = this.planFor(this.members)
    const dev = this.netdev === true ? parseProcNetDev(r.files.get('/proc/net/dev') ?? '', plan.wanted) : null
    const countersOf = (i: string): Counters | null => (dev !== null ? (dev.get(i) ?? null) : countersFrom(i, r.files))
    const members: MemberSnapshot[] = plan.paths.map(({name: m, carrier, attrs}) => {
      const slaveRaw: Record<string, string> = {}
      for (const [a, path] of attrs) {
        const v = r.files.get(path)
        if (v != null) slaveRaw[a] = v
      }
      const c = r.files.get(carrier)
      return {
        name: m,
        carrier: c == null || c.trim() === '' ? null : c.trim() === '1',
        slave: Object.keys(slaveRaw).length === 0 ? null : parseSlaveSysfs(slaveRaw),
        counters: countersOf(m),
      }
    })
    return {host: this.host, bond: this.bond, t: Math.round((r.t0 + r.t1) / 2), monoNs: r.monoNs, proc, sysfs, members, bondCounters: countersOf(this.bond), bondMac: r.files.get(`${NET}/${this.bond}/address`)?.trim() || null}
  }

  /** The last full read of the bonding attributes. */
  sysfs(): BondSysfs | null {
    return this.lastSysfs
  }
}
