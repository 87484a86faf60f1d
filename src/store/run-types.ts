/**
 * The record of one drill, as saved in the run store and read by `hachaos report`.
 * Versioned by `schema`; readers must ignore fields they do not know.
 * All `t` values are epoch microseconds on the observing host (corrected by its clock offset).
 */
import type {EpochMicros} from '../time.js'

export const RUN_SCHEMA = 'hachaos.run/1' as const

export type Stack = 'keepalived' | 'pacemaker' | 'bond' | 'haproxy' | 'lvs' | 'heartbeat' | 'gluster'

/** One observation on the drill's timeline. */
export type TimelineEvent =
  | {type: 'fault.inject'; t: EpochMicros; host: string; phase: 'before' | 'after'; fault: string}
  | {type: 'fault.revert'; t: EpochMicros; host: string; phase: 'before' | 'after'; fault: string; ok: boolean}
  /**
   * A VRRP advertisement. `src` is the IPv4 or IPv6 source address (VRRPv3 over IPv6: the router's link-local
   * address, as tcpdump prints it). `vlan`: the VLAN id of the innermost 802.1Q/802.1ad tag, when the frame
   * had one; `iface`: the capture interface (pcapng files: its if_name, else "#N"), when the file says.
   * One VRRP instance is (vlan, iface, vrid): the same vrid on two VLANs is two instances.
   */
  | {type: 'vrrp.advert'; t: EpochMicros; host: string; src: string; smac: string; vrid: number; prio: number; intvl: number; ver: 2 | 3; auth?: string; vlan?: number; iface?: string}
  /** An ARP request or reply; `vlan` and `iface` as for vrrp.advert. */
  | {type: 'arp'; t: EpochMicros; host: string; op: 'request' | 'reply'; sip: string; smac: string; tip: string; tmac?: string; garp: boolean; vlan?: number; iface?: string}
  | {type: 'probe'; t: EpochMicros; host: string; ok: boolean; latencyMs: number; backend: string | null; error: string | null; status?: number}
  | {type: 'vip.owner'; t: EpochMicros; host: string; owners: string[]}
  | {type: 'cluster'; t: EpochMicros; host: string; resource: string; node: string | null; role: string}
  | {type: 'bond'; t: EpochMicros; host: string; event: string; member: string | null; detail: string}
  /** A load balancer's view of one backend server (e.g. HAProxy marking web1 DOWN). */
  | {type: 'lb.server'; t: EpochMicros; host: string; backend: string; server: string; status: string}
  | {type: 'note'; t: EpochMicros; host: string; text: string}

export interface Prediction {
  /**
   * Which measured figure the prediction is for: a key of FailoverMetrics (e.g. 'takeoverFromLastAdvertMs'
   * for a node loss: Master_Down_Interval counts from the last advert heard) or of FailoverMetrics.extra
   * (e.g. 'backendEjectMs', 'relocationMs', 'bondFailoverMs').
   */
  metric: string
  /** Expected value of that metric, ms (null when no model applies). */
  takeoverMs: number | null
  /** Lower and upper bound when the model gives a range (e.g. a check interval adds up to interval × fall). */
  minMs: number | null
  maxMs: number | null
  /** The formula with numbers, e.g. "3×1 s + (256−100)/256 s = 3.609 s (Master_Down_Interval, VRRPv2)". */
  formula: string
  /** What the model read: advert interval, priorities, version, check interval × fall, token … */
  inputs: Record<string, number | string | boolean>
}

export interface FailoverMetrics {
  /** Fault moment: the epoch µs just before the inject command ran. */
  faultAtUs: EpochMicros
  /** Revert moment (null when not reverted during the run). */
  revertAtUs: EpochMicros | null
  oldOwner: string | null
  newOwner: string | null
  /** New master's first advert − fault (ms). */
  takeoverMs: number | null
  /** New master's first advert − old master's last advert before the fault took effect (ms). */
  takeoverFromLastAdvertMs: number | null
  /** First gratuitous ARP for the VIP from the new MAC − fault (ms). */
  garpMs: number | null
  /** Client view: first good probe after the fault − last good probe before it (ms). */
  outageMs: number | null
  lostProbes: number
  probesTotal: number
  probesFailed: number
  /** After the revert: the original owner's first advert as master again − revert (ms), with preempt. */
  failbackMs: number | null
  /** Client view of the failback: outage caused by moving back (ms). */
  failbackOutageMs: number | null
  failbackLostProbes: number
  /** Extra, stack-specific metrics (e.g. backendEjectMs for an Apache kill, relocationMs for Pacemaker). */
  extra: Record<string, number | null>
}

export interface SplitBrainFinding {
  /** dual-*: VRRP / VIP (the timeline); split-files: files a replicated file system lists in split-brain (Gluster). */
  kind: 'dual-master' | 'dual-arp' | 'dual-vip' | 'split-files'
  /** Hosts involved (names or MACs when names are unknown). */
  parties: string[]
  startUs: EpochMicros
  endUs: EpochMicros
  durationMs: number
  evidence: string
}

/** What a run record is: a drill (`hachaos failover`: a fault injected on purpose) or an incident (`hachaos watch`: a real failover or split brain seen with no fault). */
export type RunKind = 'drill' | 'incident'

export interface DrillRun {
  schema: typeof RUN_SCHEMA
  id: string
  /** Absent in records written before incidents existed, and in drills: 'drill' (runKind()). */
  kind?: RunKind
  startedAt: string
  endedAt: string
  stack: Stack
  target: string
  fault: {kind: string; params: Record<string, unknown>; inject: string[][]; revert: string[][]}
  inventory: string | null
  lab: {topology: string; prefix: string} | null
  vip: string | null
  captureHost: string | null
  probe: {url: string; ratePerS: number; timeoutMs: number} | null
  /** Hosts observed, with their clock offset and (for naming adverts and ARP) their VRRP address and MAC. */
  hosts: Array<{name: string; clockOffsetUs: number; /** ± of the measured offset (ssh hosts). */ clockUncertaintyUs?: number; ip?: string; mac?: string}>
  holdMs: number
  prediction: Prediction
  metrics: FailoverMetrics
  splitBrain: SplitBrainFinding[]
  reverted: boolean
  revertError: string | null
  warnings: string[]
  verdict: 'pass' | 'warn' | 'fail'
  verdictReasons: string[]
  /**
   * What the verdict was judged against (src/store/verdict.ts), so that the report judges the record by the same
   * rules. Absent in records written before it existed: inferred from the fault (judgedBy()).
   */
  judgedBy?: {
    /** The fault's effect (FaultEffect), null when unknown. */
    effect: string | null
    /** The stack said the predicted figure must be observed (StackHooks.mustObserve). */
    mustObserve?: boolean
    toleranceMs: number
    maxOutageMs: number | null
    interrupted: boolean
  }
  events: TimelineEvent[]
  /** Lines of the capture that could not be parsed: counted and kept, never fatal. */
  unparsed: {count: number; sample: string[]}
  /** The packets of the drill's capture (`tcpdump -w`), when the capture host shares our file system. */
  pcap?: string
  /** The game day this drill was a step of (`hachaos run`, src/gameday/): its id, the step (1-based) and name. */
  plan?: {id: string; step: number; name: string}
}

/** A record's kind: 'drill' unless it says 'incident'. */
export function runKind(run: {kind?: RunKind}): RunKind {
  return run.kind === 'incident' ? 'incident' : 'drill'
}
