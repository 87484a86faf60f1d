/**
 * The bond monitor's data side, pure: successive readings (BondSnapshot) in, one MonitorSample out per
 * reading (what NDJSON prints and the dashboard shows), plus a bounded history for the charts and the event
 * log. No I/O, no timers: the caller reads and decides when.
 */
import {detectEvents, type BondEvent} from '../bond/events.js'
import {computeRates, imbalance, type Imbalance, type InterfaceRates} from '../bond/sampler.js'
import type {BondSnapshot} from '../bond/snapshot.js'
import {isoFromUs, type EpochMicros} from '../time.js'

/** One member as the monitor shows it: its state, and its rates and error counts of the last interval. */
export interface MemberSample extends Pick<InterfaceRates, 'rxBytesPerS' | 'txBytesPerS' | 'rxPacketsPerS' | 'txPacketsPerS' | 'rxErrors' | 'txErrors' | 'rxDropped' | 'txDropped'> {
  name: string
  mii: string
  carrier: boolean | null
  /** The driver's view: active / backup (bonding_slave/state). */
  state: string | null
  /** Carries the traffic now: the active member in active-backup/tlb/alb, every up member otherwise. */
  active: boolean
  speedMbps: number | null
  duplex: string | null
  linkFailures: number | null
  aggregatorId: number | null
  partnerMac: string | null
}

export interface BondHeader {
  mode: string | null
  modeDescription: string | null
  miiStatus: string | null
  activeSlave: string | null
  xmitHashPolicy: string | null
  miimonMs: number | null
  updelayMs: number | null
  downdelayMs: number | null
  lacpRate: string | null
  arpIntervalMs: number | null
  arpTargets: string[]
  primary: string | null
  activeAggregator: number | null
  partnerMac: string | null
}

export interface MonitorSample {
  type: 'sample'
  seq: number
  t: EpochMicros
  time: string
  host: string
  bond: string
  /** Seconds the rates cover (null on the first reading). */
  dtS: number | null
  clock: 'monotonic' | 'wall' | null
  header: BondHeader
  members: MemberSample[]
  bondRates: {rxBytesPerS: number | null; txBytesPerS: number | null} | null
  imbalance: Imbalance | null
  events: BondEvent[]
}

export interface MemberHistory {
  rx: number[]
  tx: number[]
}

export interface CollectorState {
  latest: MonitorSample | null
  /** Per member, bytes/s, oldest first, at most `historyLength` points (one per history step). */
  history: Map<string, MemberHistory>
  /** Time of each history point (µs). */
  times: EpochMicros[]
  events: BondEvent[]
  samples: number
}

/** Modes where one member carries the traffic (the "active" one). */
const ACTIVE_MODES = new Set(['active-backup', 'balance-tlb', 'balance-alb'])

export function headerOf(s: BondSnapshot, previous: BondHeader | null): BondHeader {
  const p = s.proc
  const sys = s.sysfs
  return {
    mode: p.mode ?? sys?.mode?.name ?? previous?.mode ?? null,
    modeDescription: p.modeDescription,
    miiStatus: p.miiStatus,
    activeSlave: p.activeSlave,
    xmitHashPolicy: p.xmitHashPolicy ?? sys?.xmitHashPolicy?.name ?? previous?.xmitHashPolicy ?? null,
    miimonMs: p.miimonMs,
    updelayMs: p.updelayMs,
    downdelayMs: p.downdelayMs,
    lacpRate: p.ad?.lacpRate ?? sys?.lacpRate?.name ?? previous?.lacpRate ?? null,
    arpIntervalMs: p.arp?.intervalMs ?? null,
    arpTargets: p.arp?.ipTargets ?? [],
    primary: p.primary,
    activeAggregator: p.ad?.activeAggregator?.id ?? null,
    partnerMac: p.ad?.activeAggregator?.partnerMac ?? null,
  }
}

function memberSample(s: BondSnapshot, name: string, rates: InterfaceRates | undefined): MemberSample {
  const pm = s.proc.members.find((m) => m.name === name)
  const sm = s.members.find((m) => m.name === name)
  const mode = s.proc.mode
  const mii = pm?.miiStatus ?? sm?.slave?.miiStatus ?? 'unknown'
  const active = mode !== null && ACTIVE_MODES.has(mode) ? s.proc.activeSlave === name : mii === 'up' && (mode !== '802.3ad' || pm?.aggregatorId === (s.proc.ad?.activeAggregator?.id ?? null))
  return {
    name,
    mii,
    carrier: sm?.carrier ?? null,
    state: sm?.slave?.state ?? null,
    active,
    speedMbps: pm?.speedMbps ?? null,
    duplex: pm?.duplex ?? null,
    linkFailures: pm?.linkFailureCount ?? sm?.slave?.linkFailureCount ?? null,
    aggregatorId: pm?.aggregatorId ?? sm?.slave?.adAggregatorId ?? null,
    partnerMac: pm?.partnerLacp?.systemMac ?? null,
    rxBytesPerS: rates?.rxBytesPerS ?? null,
    txBytesPerS: rates?.txBytesPerS ?? null,
    rxPacketsPerS: rates?.rxPacketsPerS ?? null,
    txPacketsPerS: rates?.txPacketsPerS ?? null,
    rxErrors: rates?.rxErrors ?? null,
    txErrors: rates?.txErrors ?? null,
    rxDropped: rates?.rxDropped ?? null,
    txDropped: rates?.txDropped ?? null,
  }
}

export class Collector {
  private prev: BondSnapshot | null = null
  private st: CollectorState = {latest: null, history: new Map(), times: [], events: [], samples: 0}

  /** Samples of the history step being filled: summed bytes/s per member and their count. */
  private bucket: {start: EpochMicros; n: number; rx: Map<string, number>; tx: Map<string, number>} | null = null

  constructor(
    readonly historyLength = 60,
    readonly eventLength = 200,
    /**
     * One history point per this many ms (mean of the samples in it), like bmon's per-second graphs:
     * reading 10 times a second does not make the charts scroll 10 times a second.
     */
    readonly historyStepMs = 1000,
  ) {}

  private addHistory(t: EpochMicros, members: MemberSample[], names: string[]): void {
    const st = this.st
    const b = this.bucket
    if (b !== null && t - b.start < this.historyStepMs * 1000) {
      b.n++
      for (const m of members) {
        b.rx.set(m.name, (b.rx.get(m.name) ?? 0) + (m.rxBytesPerS ?? 0))
        b.tx.set(m.name, (b.tx.get(m.name) ?? 0) + (m.txBytesPerS ?? 0))
      }
      // the newest point is the bucket's running mean
      for (const m of members) {
        const h = st.history.get(m.name)
        if (h !== undefined && h.rx.length > 0) {
          h.rx[h.rx.length - 1] = (b.rx.get(m.name) ?? 0) / b.n
          h.tx[h.tx.length - 1] = (b.tx.get(m.name) ?? 0) / b.n
        }
      }
      return
    }
    this.bucket = {start: t, n: 1, rx: new Map(members.map((m) => [m.name, m.rxBytesPerS ?? 0])), tx: new Map(members.map((m) => [m.name, m.txBytesPerS ?? 0]))}
    st.times.push(t)
    if (st.times.length > this.historyLength) st.times.shift()
    for (const m of members) {
      const h = st.history.get(m.name) ?? {rx: [], tx: []}
      // a member that joined late is padded so every series lines up with `times`
      while (h.rx.length < st.times.length - 1) {
        h.rx.unshift(0)
        h.tx.unshift(0)
      }
      h.rx.push(m.rxBytesPerS ?? 0)
      h.tx.push(m.txBytesPerS ?? 0)
      while (h.rx.length > st.times.length) {
        h.rx.shift()
        h.tx.shift()
      }
      st.history.set(m.name, h)
    }
    for (const name of [...st.history.keys()]) if (!names.includes(name)) st.history.delete(name)
  }

  push(s: BondSnapshot): MonitorSample {
    const rates = this.prev === null ? null : computeRates(this.prev, s)
    const events = detectEvents(this.prev, s, rates ?? undefined)
    const names = s.members.length > 0 ? s.members.map((m) => m.name) : s.proc.members.map((m) => m.name)
    const members = names.map((n) => memberSample(s, n, rates?.members.find((r) => r.name === n)))
    const up = members.filter((m) => m.mii === 'up').map((m) => m.name)
    const sample: MonitorSample = {
      type: 'sample',
      seq: this.st.samples,
      t: s.t,
      time: isoFromUs(s.t),
      host: s.host,
      bond: s.bond,
      dtS: rates?.dtS ?? null,
      clock: rates?.clock ?? null,
      header: headerOf(s, this.st.latest?.header ?? null),
      members,
      bondRates: rates?.bond === null || rates === null ? null : {rxBytesPerS: rates.bond.rxBytesPerS, txBytesPerS: rates.bond.txBytesPerS},
      imbalance: rates === null ? null : imbalance(rates, s.proc.mode, up),
      events,
    }
    this.prev = s
    const st = this.st
    st.samples++
    st.latest = sample
    if (rates !== null) this.addHistory(s.t, members, names)
    st.events.push(...events)
    if (st.events.length > this.eventLength) st.events.splice(0, st.events.length - this.eventLength)
    return sample
  }

  state(): CollectorState {
    return this.st
  }
}
