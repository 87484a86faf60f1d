/**
 * The types of the timeline analysis (src/timeline/analyze.ts, src/timeline/machine.ts).
 */
import type {FailoverMetrics, SplitBrainFinding, TimelineEvent} from '../store/run-types.js'

export type Advert = Extract<TimelineEvent, {type: 'vrrp.advert'}>
export type Arp = Extract<TimelineEvent, {type: 'arp'}>
export type Probe = Extract<TimelineEvent, {type: 'probe'}>
export type VipOwner = Extract<TimelineEvent, {type: 'vip.owner'}>

export interface AnalyzeContext {
  vip: string | null
  /** The vrid the metrics are for; null: the vrid with the most adverts. */
  vrid: number | null
  faultAtUs: number | null
  revertAtUs: number | null
  /** Known hosts, to name sources (by IP, else by MAC). */
  hosts: Array<{name: string; ip?: string; mac?: string}>
  probeIntervalMs?: number
  /** Window for 'dual-arp' (ms, default 2000). */
  dualArpWindowMs?: number
  /** Passed through from the capture: lines/frames that could not be parsed. */
  unparsed?: {count: number; sample: string[]}
  /**
   * Present when the lists were cut (a streamed analysis keeping the first and last `keep` of each, e.g.
   * `capture analyze` without --json): how many entries each list had in all.
   */
  listed?: {keep: number; totals: {masters: number; garps: number; priorityChanges: number; advertGaps: number; splitBrain: number}}
}

/** One stretch of a source advertising as master (priority > 0) without a silence longer than 3 × interval. */
export interface MasterSpan {
  vrid: number
  /** Host name when known, else the source IP. */
  source: string
  ip: string
  mac: string
  /** First and last advert of the stretch (or its priority-0 advert, which ends it). */
  startUs: number
  endUs: number
  /** Priority of the first advert of the stretch (changes are in priorityChanges). */
  prio: number
  adverts: number
  /** The advert interval of its first advert (ms). */
  intervalMs: number
  /** Ended by a priority-0 advert (a graceful stop). */
  resigned: boolean
}

export interface GarpEntry {
  t: number
  op: 'request' | 'reply'
  /** Host name when the MAC is known, else the MAC. */
  source: string
  mac: string
  ip: string
  forVip: boolean
}

export interface PriorityChange {
  t: number
  vrid: number
  source: string
  from: number
  to: number
}

export interface AdvertGap {
  vrid: number
  source: string
  fromUs: number
  toUs: number
  gapMs: number
  /** The source's advert interval (ms). A gap is reported when longer than 1.5 × this. */
  intervalMs: number
}

export interface TimelineAnalysis {
  /** The vrid the metrics are for (null: no adverts). */
  vrid: number | null
  vrids: number[]
  firstUs: number | null
  lastUs: number | null
  counts: {adverts: number; arps: number; garps: number; probes: number}
  masters: MasterSpan[]
  garps: GarpEntry[]
  priorityChanges: PriorityChange[]
  advertGaps: AdvertGap[]
  metrics: FailoverMetrics | null
  splitBrain: SplitBrainFinding[]
  /** Things the reader should know (e.g. "no probe succeeded after the fault"). */
  notes: string[]
  unparsed?: {count: number; sample: string[]}
  /**
   * Present when the lists were cut (a streamed analysis keeping the first and last `keep` of each, e.g.
   * `capture analyze` without --json): how many entries each list had in all.
   */
  listed?: {keep: number; totals: {masters: number; garps: number; priorityChanges: number; advertGaps: number; splitBrain: number}}
}

