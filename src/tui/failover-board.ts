/**
 * The failover dashboard's state, pure: drill/timeline events in (observe), the wall clock in (tick), state
 * out. No timers, no terminal, no I/O: `hachaos failover --tui` feeds it from the drill's event log, and a
 * watcher (`hachaos watch`) can feed it from its own observers. The view (failover-view.ts) turns it into
 * strings; the screen (failover-screen.ts) draws them.
 *
 * Memory bound (never the number of events): one entry per node (at most MAX_NODES: the hosts the stack
 * names with an address, plus advert sources it does not name), each with a ring of `advertSlots` cells;
 * one probe ring of `probeSlots` cells; a log ring of `logLines` lines; at most one running and two closed
 * outages; a fixed list of phases (each phase kind is recorded once). Every event costs O(1).
 */
import type {Prediction, TimelineEvent} from '../store/run-types.js'

export type VrrpState = 'MASTER' | 'BACKUP' | 'FAULT' | 'UNKNOWN'

/** The most nodes a board follows (advert sources beyond it are counted, not shown). */
export const MAX_NODES = 16

export interface BoardConfig {
  vip: string | null
  /** The VRRP instance to follow (null: every advert). */
  vrid: number | null
  /** The hosts the stack names; those with an address are the nodes shown. */
  hosts: ReadonlyArray<{name: string; ip?: string; mac?: string}>
  target: string
  /** One line on the fault (its summary). */
  fault: string
  /**
   * `hachaos watch --tui`: no fault, no revert — the header says what is watched, q stops the watch (exit 0),
   * and the outage of each incident is in its line of the event log.
   */
  watch?: boolean
  oldMaster: string | null
  prediction: Prediction
  toleranceMs: number
  /** Configured priorities when the stack's prediction read them (shown until an advert says otherwise). */
  priorities?: Readonly<Record<string, number>>
  /** The objective of the budget (0..1) and its label ("99.99 %"). */
  availability: number
  sloLabel: string
  /** Client downtime of the runs recorded this month (src/sla drillDowntimeMs summed), and how many runs. */
  monthConsumedMs: number
  monthRuns: number
  /** Advert strip: slot width and length (default 500 ms × 60 = the last 30 s). */
  advertSlotMs?: number
  advertSlots?: number
  /** Probe strip: slot width and length (default 500 ms × 160 = the last 80 s; a cell per half second: the strip moves twice a second). */
  probeSlotMs?: number
  probeSlots?: number
  logLines?: number
}

/**
 * A fixed ring of time slots (slot = floor(t / width)); writing to a slot newer than the head clears the
 * slots in between. Reads return the `n` slots ending at a given slot, oldest first. Bounded: `size` cells.
 */
export class SlotRing {
  readonly cells: Int32Array
  private head = -Infinity

  constructor(
    readonly size: number,
    readonly widthUs: number,
  ) {
    this.cells = new Int32Array(size)
  }

  slotOf(tUs: number): number {
    return Math.floor(tUs / this.widthUs)
  }

  private advance(slot: number): void {
    if (slot <= this.head) return
    const from = this.head === -Infinity ? slot : Math.max(this.head + 1, slot - this.size + 1)
    for (let s = from; s <= slot; s++) this.cells[((s % this.size) + this.size) % this.size] = 0
    this.head = slot
  }

  /** Combine `v` into the slot of `tUs` (ignored when older than the ring). */
  update(tUs: number, f: (old: number) => number): void {
    const slot = this.slotOf(tUs)
    this.advance(slot)
    if (slot <= this.head - this.size) return
    const i = ((slot % this.size) + this.size) % this.size
    this.cells[i] = f(this.cells[i] ?? 0)
  }

  /** The `n` (≤ size) slots ending at slot `last` (inclusive), oldest first; slots never written are 0. */
  read(last: number, n: number): number[] {
    this.advance(last)
    const out: number[] = []
    for (let s = last - Math.min(n, this.size) + 1; s <= last; s++) {
      out.push(s <= this.head - this.size ? 0 : (this.cells[((s % this.size) + this.size) % this.size] ?? 0))
    }
    return out
  }
}

/** Advert cells: 0 none, 1 an advert, 2 a priority-0 advert (a graceful leave), 3 both. */
export const ADVERT = 1
export const ADVERT_PRIO0 = 2

/**
 * Probe cells pack, per slot: ok count (bits 0–7, saturating), failed count (bits 8–15, saturating), the
 * worst latency class 0–7 of the ok probes (bits 16–18), and the backend index + 1 of the newest ok probe
 * (bits 20–27; 0: none).
 */
export function probeCell(ok: number, failed: number, latClass: number, backend: number): number {
  return (Math.min(ok, 255) & 0xff) | ((Math.min(failed, 255) & 0xff) << 8) | ((latClass & 7) << 16) | ((backend & 0xff) << 20)
}
export function unpackProbeCell(c: number): {ok: number; failed: number; latClass: number; backend: number} {
  return {ok: c & 0xff, failed: (c >> 8) & 0xff, latClass: (c >> 16) & 7, backend: (c >> 20) & 0xff}
}

/** Latency classes: < 2, 5, 10, 25, 50, 100, 250, ≥ 250 ms. */
const LAT_BOUNDS = [2, 5, 10, 25, 50, 100, 250]
export function latencyClass(ms: number): number {
  let c = 0
  while (c < LAT_BOUNDS.length && ms >= (LAT_BOUNDS[c] ?? Infinity)) c++
  return c
}

export interface NodeState {
  name: string
  ip: string | null
  mac: string | null
  /** Last advert (any priority), its priority and interval (s). */
  lastAdvertUs: number | null
  /** The advert before the last one in the current run of adverts (the last one itself when the run just began). */
  prevAdvertUs: number | null
  lastPrio: number | null
  intvlS: number
  adverts: number
  /** From the newest VIP-owner poll. */
  ownsVip: boolean
  /** Last ARP reply or gratuitous ARP for the VIP from this node's MAC. */
  lastArpForVipUs: number | null
  strip: SlotRing
  /** State as of the last tick (for the log of changes). */
  state: VrrpState
  /** A cluster node's condition from crm_mon (online, standby, offline, unclean …); null: not a cluster node. */
  cluster: string | null
  /** Cluster resources started here (at most MAX_RESOURCES), from crm_mon. */
  runs: string[]
}

/** The most resources a node box lists. */
export const MAX_RESOURCES = 16

export interface Outage {
  /** Last good completion before the failures (µs). */
  startUs: number
  /** First good completion after them (null: still running). */
  endUs: number | null
  failed: number
  /** 'failover': began between the fault and the revert; 'failback': after the revert. */
  kind: 'failover' | 'failback'
}

export type PhaseKind = 'steady' | 'inject' | 'first-failure' | 'takeover' | 'garp' | 'service-back' | 'revert' | 'failback' | 'done'

export interface Phase {
  kind: PhaseKind
  atUs: number
  text: string
}

export interface SplitBrain {
  parties: string[]
  why: string
  sinceUs: number
}

export interface FinalFigures {
  outageMs: number | null
  measuredMs: number | null
  verdict: string
  reasons: string[]
  interrupted: boolean
  savedAs: string | null
}

const PHASE_ORDER: PhaseKind[] = ['steady', 'inject', 'first-failure', 'takeover', 'garp', 'service-back', 'revert', 'failback', 'done']

type Ev<T extends TimelineEvent['type']> = Extract<TimelineEvent, {type: T}>

export class FailoverBoard {
  readonly cfg: BoardConfig
  readonly nodes: NodeState[] = []
  private readonly byIp = new Map<string, NodeState>()
  private readonly byMac = new Map<string, NodeState>()
  private readonly byName = new Map<string, NodeState>()
  /** Advert sources beyond MAX_NODES (counted only). */
  unknownSources = 0
  readonly probes: SlotRing
  readonly advertSlotUs: number
  /** Backends seen, in order (at most 255: the cell's index field). */
  readonly backends: string[] = []
  probesOk = 0
  probesFailed = 0
  lastProbe: {ok: boolean; latencyMs: number; backend: string | null; error: string | null} | null = null
  faultAtUs: number | null = null
  revertAtUs: number | null = null
  /** The old master's last advert with priority > 0 before the takeover (the prediction's anchor). */
  lastOldAdvertUs: number | null = null
  /** The new master's first advert after the fault. */
  takeoverUs: number | null = null
  newMaster: string | null = null
  /** Whoever answered ARP for the VIP last (name or MAC) and when. */
  arpOwner: {who: string; tUs: number} | null = null
  private lastOkCompletion: number | null = null
  /** Failed probes sent after the last good completion (after the fault). */
  private pendingFailed = 0
  /** The newest closed gap (late failures are counted into it). */
  private lastGap: Outage | null = null
  outage: Outage | null = null
  /** The largest closed gap of each kind (the analysis's figure: largest gap between good completions). */
  failoverOutage: Outage | null = null
  failbackOutage: Outage | null = null
  readonly phases: Phase[] = []
  private readonly phaseSeen = new Set<PhaseKind>()
  split: SplitBrain | null = null
  /** The split brains seen (at most the last 8, with their end). */
  readonly splits: Array<SplitBrain & {endUs: number | null}> = []
  private readonly logRing: string[]
  private logHead = 0
  logCount = 0
  nowUs = 0
  /**
   * Bumped by every change the view shows that no clock drives (an advert, an ARP, a poll, a log line, an
   * outage opening or closing, a node's state): the monitor skips a tick when this, the strips' slots and
   * the running clocks' tenths are as they were.
   */
  visible = 0
  /** A VIP-owner poll has answered (until then, a silent node's state is unknown). */
  vipPolled = false
  final: FinalFigures | null = null
  events = 0

  constructor(cfg: BoardConfig) {
    this.cfg = cfg
    this.advertSlotUs = (cfg.advertSlotMs ?? 500) * 1000
    this.probes = new SlotRing(cfg.probeSlots ?? 160, (cfg.probeSlotMs ?? 500) * 1000)
    this.logRing = new Array<string>(cfg.logLines ?? 100).fill('')
    for (const h of cfg.hosts) if (h.ip !== undefined) this.addNode(h.name, h.ip, h.mac ?? null)
  }

  private addNode(name: string, ip: string | null, mac: string | null): NodeState | null {
    if (this.nodes.length >= MAX_NODES) return null
    const n: NodeState = {
      name,
      ip,
      mac,
      lastAdvertUs: null,
      prevAdvertUs: null,
      lastPrio: this.cfg.priorities?.[name] ?? null,
      intvlS: 1,
      adverts: 0,
      ownsVip: false,
      lastArpForVipUs: null,
      strip: new SlotRing(this.cfg.advertSlots ?? 60, this.advertSlotUs),
      state: 'UNKNOWN',
      cluster: null,
      runs: [],
    }
    this.nodes.push(n)
    this.byName.set(name, n)
    if (ip !== null) this.byIp.set(ip, n)
    if (mac !== null) this.byMac.set(mac.toLowerCase(), n)
    return n
  }

  /** A line in the event log (drill progress, warnings), stamped with `tUs`. */
  note(text: string, tUs: number = this.nowUs): void {
    this.log(tUs, text)
  }

  private log(tUs: number, text: string): void {
    const rel = this.faultAtUs === null ? '' : ` ${fmtRel(tUs - this.faultAtUs)}`
    this.logRing[this.logHead] = `${clock(tUs)}${rel}  ${text}`
    this.logHead = (this.logHead + 1) % this.logRing.length
    this.logCount++
    this.visible++
  }

  /** The log, oldest first (at most logLines). */
  logLines(): string[] {
    const n = Math.min(this.logCount, this.logRing.length)
    const out: string[] = []
    for (let i = n; i > 0; i--) out.push(this.logRing[(this.logHead - i + this.logRing.length) % this.logRing.length] ?? '')
    return out
  }

  private phase(kind: PhaseKind, atUs: number, text: string): void {
    if (this.phaseSeen.has(kind)) return
    this.phaseSeen.add(kind)
    this.phases.push({kind, atUs, text})
    this.phases.sort((a, b) => a.atUs - b.atUs || PHASE_ORDER.indexOf(a.kind) - PHASE_ORDER.indexOf(b.kind))
    this.log(atUs, text)
  }

  hasPhase(kind: PhaseKind): boolean {
    return this.phaseSeen.has(kind)
  }

  observe(e: TimelineEvent): void {
    this.events++
    if (e.t > this.nowUs && e.type !== 'probe') this.nowUs = e.t
    switch (e.type) {
      case 'vrrp.advert':
        this.advert(e)
        return
      case 'arp':
        this.arp(e)
        return
      case 'probe':
        this.probe(e)
        return
      case 'vip.owner':
        this.vipOwner(e)
        return
      case 'fault.inject':
        if (e.phase === 'before' && this.faultAtUs === null) {
          this.faultAtUs = e.t
          this.phase('inject', e.t, `fault injected: ${this.cfg.fault}`)
        }
        return
      case 'fault.revert':
        if (e.phase === 'before' && this.revertAtUs === null) {
          this.revertAtUs = e.t
          this.phase('revert', e.t, 'fault reverted')
        } else if (e.phase === 'after' && !e.ok) this.log(e.t, 'the revert FAILED: run hachaos recover')
        return
      case 'lb.server':
        this.log(e.t, `${e.host}: ${e.backend}/${e.server} ${e.status}`)
        return
      case 'cluster':
        this.cluster(e)
        return
      case 'note':
        this.log(e.t, e.text)
        return
      case 'bond':
        this.log(e.t, `${e.host}: ${e.event}${e.member === null ? '' : ` ${e.member}`} ${e.detail}`)
        return
    }
  }

  private advert(e: Ev<'vrrp.advert'>): void {
    if (this.cfg.vrid !== null && e.vrid !== this.cfg.vrid) return
    let n = this.byIp.get(e.src) ?? this.byMac.get(e.smac.toLowerCase())
    if (n === undefined) {
      const added = this.addNode(e.src, e.src, e.smac)
      if (added === null) {
        this.unknownSources++
        return
      }
      n = added
    }
    this.visible++
    const inRun = n.lastAdvertUs !== null && e.t - n.lastAdvertUs <= n.intvlS * 1.5e6 + 200_000 && (n.lastPrio ?? 0) > 0
    n.prevAdvertUs = inRun ? n.lastAdvertUs : e.t
    n.lastAdvertUs = e.t
    n.lastPrio = e.prio
    n.intvlS = e.intvl > 0 ? e.intvl : 1
    n.adverts++
    n.strip.update(e.t, (c) => c | (e.prio === 0 ? ADVERT_PRIO0 : ADVERT))
    const f = this.faultAtUs
    if (e.prio > 0 && (f === null || e.t < f || this.takeoverUs === null) && n.name === this.cfg.oldMaster) this.lastOldAdvertUs = e.t
    if (f !== null && e.t >= f && e.prio > 0 && this.takeoverUs === null && n.name !== this.cfg.oldMaster) {
      this.takeoverUs = e.t
      this.newMaster = n.name
      this.phase('takeover', e.t, `takeover: ${n.name} advertises as master (priority ${e.prio})`)
    }
    const r = this.revertAtUs
    if (r !== null && e.t >= r && e.prio > 0 && n.name === this.cfg.oldMaster && this.takeoverUs !== null) {
      this.phase('failback', e.t, `failback: ${n.name} advertises as master again`)
    }
  }

  private arp(e: Ev<'arp'>): void {
    if (this.cfg.vip === null || e.sip !== this.cfg.vip) return
    if (e.op !== 'reply' && !e.garp) return
    this.visible++
    const n = this.byMac.get(e.smac.toLowerCase())
    if (n !== undefined) n.lastArpForVipUs = e.t
    const who = n?.name ?? e.smac
    this.arpOwner = {who, tUs: e.t}
    const f = this.faultAtUs
    if (e.garp && f !== null && e.t >= f && who !== this.cfg.oldMaster) this.phase('garp', e.t, `gratuitous ARP for ${this.cfg.vip} from ${who}`)
  }

  /** crm_mon's view (src/stacks/pacemaker/observe.ts): "@node:NAME" conditions and where resources run. */
  private cluster(e: Ev<'cluster'>): void {
    this.visible++
    if (e.resource.startsWith('@node:')) {
      const name = e.resource.slice('@node:'.length)
      const n = this.byName.get(name) ?? this.addNode(name, null, null)
      if (n !== null && n.cluster !== e.role) {
        n.cluster = e.role
        this.log(e.t, `${name}: ${e.role}`)
      }
      return
    }
    if (e.resource.startsWith('@')) return
    for (const n of this.nodes) n.runs = n.runs.filter((r) => r !== e.resource)
    if (e.node !== null && e.role === 'Started') {
      const n = this.byName.get(e.node)
      if (n !== undefined && n.runs.length < MAX_RESOURCES) n.runs.push(e.resource)
    }
    this.log(e.t, `${e.resource} ${e.role}${e.node === null ? '' : ` on ${e.node}`}`)
  }

  private vipOwner(e: Ev<'vip.owner'>): void {
    this.vipPolled = true
    this.visible++
    const owners = new Set(e.owners)
    for (const n of this.nodes) n.ownsVip = owners.has(n.name)
  }

  private probe(e: Ev<'probe'>): void {
    const end = e.t + Math.round(e.latencyMs * 1000)
    if (end > this.nowUs) this.nowUs = end
    this.lastProbe = {ok: e.ok, latencyMs: e.latencyMs, backend: e.backend, error: e.error}
    let bi = 0
    if (e.ok && e.backend !== null) {
      let i = this.backends.indexOf(e.backend)
      if (i < 0 && this.backends.length < 255) i = this.backends.push(e.backend) - 1
      bi = i + 1
    }
    const lc = latencyClass(e.latencyMs)
    this.probes.update(e.t, (c) => {
      const u = unpackProbeCell(c)
      return e.ok ? probeCell(u.ok + 1, u.failed, Math.max(u.latClass, lc), bi > 0 ? bi : u.backend) : probeCell(u.ok, u.failed + 1, u.latClass, u.backend)
    })
    if (e.ok) {
      this.probesOk++
      if (this.probesOk === 1 && this.faultAtUs === null) this.phase('steady', end, 'steady state: the service answers')
      this.completion(end)
      return
    }
    this.probesFailed++
    const f = this.faultAtUs
    // A drill's clock counts failures after its fault; a watch has no fault: every failure is a real outage.
    const watch = this.cfg.watch === true
    if (!watch && (f === null || e.t < f)) return
    // A failure belongs to the gap it was sent in (as in the analysis): the open one, or — it reports up to
    // its timeout late — a gap that closed since.
    const prev = this.lastOkCompletion
    if (prev === null || e.t > prev) {
      this.pendingFailed++
      if (this.outage === null) {
        const after = this.revertAtUs !== null && e.t >= this.revertAtUs
        this.outage = {startUs: prev ?? e.t, endUs: null, failed: 0, kind: after ? 'failback' : 'failover'}
        if (!after && !watch) this.phase('first-failure', e.t, `first failed probe (${e.error ?? 'error'})`)
      }
      this.outage.failed = this.pendingFailed
      this.visible++
      return
    }
    for (const g of [this.lastGap, this.failoverOutage, this.failbackOutage]) {
      if (g !== null && g.endUs !== null && e.t > g.startUs && e.t <= g.endUs) {
        g.failed++
        this.visible++
        // the same object can be the last gap and the largest one: count it once
        break
      }
    }
  }

  /**
   * A good completion at `c`: the gap since the previous one is the analysis's outage candidate (the largest
   * gap between successful completions whose end is after the fault and whose start is before the revert;
   * the failback's: whose end is after the revert).
   */
  private completion(c: number): void {
    const prev = this.lastOkCompletion
    if (prev !== null && c <= prev) return // an out-of-order completion inside a gap already closed: none is open
    if (prev !== null) {
      const F = this.faultAtUs
      const R = this.revertAtUs
      const gap: Outage = {startUs: prev, endUs: c, failed: this.pendingFailed, kind: R !== null && prev >= R ? 'failback' : 'failover'}
      const len = (x: Outage): number => (x.endUs ?? 0) - x.startUs
      if (this.cfg.watch === true) {
        // a watch's clock freezes on the last outage (the latest incident's), not on the largest since the start
        if (gap.failed > 0) {
          this.failoverOutage = gap
          this.visible++
        }
      } else if (F !== null && c > F && (R === null || prev < R) && (this.failoverOutage === null || len(gap) > len(this.failoverOutage))) {
        this.failoverOutage = gap
        this.visible++
        if (gap.failed > 0) this.phase('service-back', c, `the service answers again after ${(len(gap) / 1e6).toFixed(3)} s`)
      }
      if (R !== null && c > R && (this.failbackOutage === null || len(gap) > len(this.failbackOutage))) {
        this.failbackOutage = gap
        this.visible++
      }
      this.lastGap = gap
    }
    if (this.outage !== null) this.visible++
    this.outage = null
    this.pendingFailed = 0
    this.lastOkCompletion = c
  }

  /**
   * The outage the clock shows: the running one (probes failed since the last good completion, after the
   * fault), else the largest failover gap (µs) once probes failed in it, else null.
   */
  clockUs(now: number = this.nowUs): {us: number; running: boolean; failed: number; kind: Outage['kind']} | null {
    const o = this.outage
    if (o !== null && (o.kind === 'failover' || this.failoverOutage === null || this.failoverOutage.failed === 0)) return {us: Math.max(0, now - o.startUs), running: true, failed: o.failed, kind: o.kind}
    const c = this.failoverOutage
    if (c !== null && c.endUs !== null && c.failed > 0) return {us: c.endUs - c.startUs, running: false, failed: c.failed, kind: 'failover'}
    return null
  }

  /**
   * The probe counters as of the last completed probe slot (the view shows these: they change once a slot,
   * not at every probe, so the client box is redrawn with its strip rather than at every probe).
   */
  probeSnap: {ok: number; failed: number; last: FailoverBoard['lastProbe']} = {ok: 0, failed: 0, last: null}
  private snapSlot = -Infinity

  /** Per-node VRRP state at `now` (see the README: adverts and the VIP-owner poll). */
  stateOf(n: NodeState, now: number = this.nowUs): VrrpState {
    const staleUs = n.intvlS * 1.5e6 + 200_000
    const advertising = n.lastAdvertUs !== null && (n.lastPrio ?? 0) > 0 && now - n.lastAdvertUs <= staleUs
    if (advertising || n.ownsVip) return 'MASTER'
    const faultHolds = this.faultAtUs !== null && this.revertAtUs === null
    if (faultHolds && n.name === this.cfg.target) return 'FAULT'
    // nothing heard yet (no advert in the capture, no answer from the VIP-owner poll): unknown
    if (!this.vipPolled && this.nodes.every((x) => x.lastAdvertUs === null)) return 'UNKNOWN'
    // a node the stack names that neither advertises nor holds the VIP: a backup (VRRP backups are silent)
    return 'BACKUP'
  }

  /**
   * Time-driven state: node state changes and split brains are logged here (once per change). Call it once
   * per display tick; O(nodes).
   */
  tick(now: number): void {
    if (now > this.nowUs) this.nowUs = now
    const slot = this.probes.slotOf(this.nowUs)
    if (slot !== this.snapSlot) {
      this.snapSlot = slot
      this.probeSnap = {ok: this.probesOk, failed: this.probesFailed, last: this.lastProbe}
    }
    const masters: string[] = []
    const advertisingMasters: string[] = []
    for (const n of this.nodes) {
      const s = this.stateOf(n, this.nowUs)
      if (s !== n.state) {
        this.visible++
        if (n.state !== 'UNKNOWN' || s !== 'BACKUP') this.log(this.nowUs, `${n.name}: ${n.state === 'UNKNOWN' ? '' : `${n.state} → `}${s}`)
        n.state = s
      }
      if (s === 'MASTER') masters.push(n.name)
      const staleUs = n.intvlS * 1.5e6 + 200_000
      if (n.lastAdvertUs !== null && (n.lastPrio ?? 0) > 0 && this.nowUs - n.lastAdvertUs <= staleUs) advertisingMasters.push(n.name)
    }
    const owners = this.nodes.filter((n) => n.ownsVip).map((n) => n.name)
    // Two masters at once: a lower-priority node that advertised after the higher one's previous advert (a
    // backup that hears a higher priority stops at once, so a preempting master's first adverts next to the
    // old master's last ones are no split brain — the old master's last advert comes before them).
    const adv = this.nodes.filter((n) => advertisingMasters.includes(n.name)).sort((a, c) => (c.lastPrio ?? 0) - (a.lastPrio ?? 0))
    const both = new Set<string>()
    for (let i = 0; i < adv.length; i++) {
      for (let j = i + 1; j < adv.length; j++) {
        const hi = adv[i]
        const lo = adv[j]
        if (hi === undefined || lo === undefined) continue
        if ((lo.lastAdvertUs ?? 0) > (hi.prevAdvertUs ?? Infinity)) {
          both.add(hi.name)
          both.add(lo.name)
        }
      }
    }
    const split = both.size >= 2 ? {parties: [...both], why: 'advertise as master at once'} : owners.length >= 2 ? {parties: owners, why: 'hold the VIP at once'} : null
    if (split !== null && this.split === null) {
      this.split = {...split, sinceUs: this.nowUs}
      this.splits.push({...this.split, endUs: null})
      if (this.splits.length > 8) this.splits.shift()
      this.log(this.nowUs, `SPLIT BRAIN: ${split.parties.join(' + ')} ${split.why}`)
    } else if (split === null && this.split !== null) {
      const last = this.splits.at(-1)
      if (last !== undefined) last.endUs = this.nowUs
      this.log(this.nowUs, `split brain over after ${((this.nowUs - this.split.sinceUs) / 1e6).toFixed(2)} s`)
      this.split = null
    }
  }

  /** The run is over: its official figures (the analysis of every event) replace the live ones in the view. */
  finish(f: FinalFigures): void {
    this.final = f
    this.phase('done', this.nowUs, `drill over: ${f.verdict.toUpperCase()}${f.interrupted ? ' (interrupted)' : ''}`)
    for (const r of f.reasons) this.log(this.nowUs, `  ${r}`)
  }

  /** Live entries held (the memory bound, for tests): nodes, strip cells, log lines, phases, backends. */
  size(): number {
    return this.nodes.length * (1 + (this.cfg.advertSlots ?? 60)) + this.probes.size + this.logRing.length + this.phases.length + this.backends.length + this.splits.length
  }
}

function clock(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString().slice(11, 21)
}

/** "+3.416 s" / "−0.210 s" relative to the fault. */
export function fmtRel(us: number): string {
  const s = us / 1e6
  return `${s >= 0 ? '+' : '−'}${Math.abs(s).toFixed(3)} s`
}
