/**
 * The incident tracker: the events of a watched pair in (VRRP adverts, ARP, probes, VIP owner polls), one at a
 * time; every real change of master, loss of the VIP or split brain out, as a run record of kind 'incident'
 * (src/store/run-types.ts) with its timeline, takeover, outage and split-brain intervals, measured by the same
 * one-pass timeline analysis the drills use (src/timeline/). Pure: no timers, no I/O; the watcher (watcher.ts)
 * feeds it and saves what it hands out.
 *
 * What opens an incident (a "trigger"):
 *   - an advert with priority > 0 from a source other than the instance's current master (a new master);
 *   - a VIP owner poll naming two or more holders (dual VIP), none after some (VIP lost), or one other than
 *     the last single holder (the VIP moved).
 * An open incident takes every event; it closes once `settleMs` has passed since its last trigger with one
 * VIP holder (when polled) and the last probe good (when probing), or at `maxWindowMs` after it opened
 * (its record then says it was cut). The record holds the `preMs` of events before the trigger too, so the old
 * master's last advert and the last good probe before the outage are in it.
 *
 * Measured, per incident (the analysis's definitions, with the "fault" moment put just after the old master's
 * last advert before the new master's first one — an incident has no fault, so the takeover counts from there,
 * as Master_Down_Interval does): takeoverFromLastAdvertMs (predicted by the stack's model for that change),
 * garpMs, outageMs + lostProbes (client view), splitBrain findings.
 *
 * Memory bound (checked with counts in test/unit/watch/incidents.test.ts, reported by `stateSize()`):
 *   the pre-trigger ring: at most `maxEvents` events (fewer: those of the last `preMs`);
 *   the open incident: at most `maxEvents` events (more are counted, not kept) and the first MAX_CHANGES
 *   changes and MAX_TRIGGERS trigger names (counted beyond);
 *   per (vrid, source): one small state, at most `maxSources` (more are counted, not followed).
 * So at most 2 × maxEvents events + O(maxSources), whatever the number of events or incidents.
 */
import {analyzeTimeline} from '../timeline/analyze.js'
import {emptyMetrics} from '../store/run-metrics.js'
import {newRunId} from '../store/runs.js'
import {RUN_SCHEMA, type DrillRun, type Prediction, type SplitBrainFinding, type Stack, type TimelineEvent} from '../store/run-types.js'
import {judge} from '../store/verdict.js'
import {isoFromUs} from '../time.js'
import {measuredFor} from '../store/run-metrics.js'
import type {IncidentModel, MasterChange} from './types.js'

/** Changes and trigger names an incident keeps (a flapping pair keeps flapping: the rest are counted). */
export const MAX_CHANGES = 20
export const MAX_TRIGGERS = 20

export interface IncidentTrackerOptions {
  /** Events kept before a trigger (ms, default 15,000: more than Master_Down_Interval at advert_int 4 s). */
  preMs?: number
  /** Quiet time after the last trigger that closes an incident (ms, default 5,000). */
  settleMs?: number
  /** An incident is closed (and says so) this long after it opened (ms, default 120,000). */
  maxWindowMs?: number
  /** Events kept in the ring and in an open incident, each (default 50,000). */
  maxEvents?: number
  /** (vrid, source) pairs followed (default 64). */
  maxSources?: number
}

/** What every incident record says about where it was seen (the watcher's target, without its observers). */
export interface IncidentContext {
  stack: Stack
  vip: string | null
  vrid: number | null
  hosts: Array<{name: string; ip?: string; mac?: string}>
  captureHost: string | null
  probe: DrillRun['probe']
  inventory: string | null
  lab: DrillRun['lab']
  clockOffsets: DrillRun['hosts']
  toleranceMs: number
  predict(change: MasterChange): Prediction
  /** The stack's own anchor and figures (src/watch/types.ts); absent: VRRP's (the adverts). */
  model?: IncidentModel
}

export interface RecordedChange extends MasterChange {
  /** The new master's first advert (µs). */
  t: number
  /** The old master's last advert before it (any priority; µs), null when none was seen. */
  fromLastAdvertUs: number | null
}

interface OpenIncident {
  openedUs: number
  lastTriggerUs: number
  triggers: string[]
  triggerCount: number
  changes: RecordedChange[]
  changeCount: number
  events: TimelineEvent[]
  dropped: number
}

interface SourceState {
  vrid: number
  src: string
  smac: string
  lastUs: number
  lastPrio: number
  intvlS: number
  adverts: number
}

/** What the tracker hands out when an incident closes. */
export interface Incident {
  run: DrillRun
  /** The measured figure the prediction is about (takeover after the old master's last advert), ms. */
  measuredMs: number | null
  predictedMs: number | null
  /** Client outage (ms) when probes were lost in it, else 0. */
  outageMs: number
  splitBrainMs: number
  changes: number
}

/** A node's state as the client sees it (the keepalived-exporter state values: 0 INIT/unknown, 1 BACKUP, 2 MASTER). */
export interface NodeView {
  name: string
  /** 2 master (the current advertiser, alive), 1 backup (known, not advertising as master), 0 unknown. */
  state: 0 | 1 | 2
  adverts: number
  lastAdvertUs: number | null
  ownsVip: boolean
}

/** A fixed-capacity ring of events, oldest first, trimmed to a time window on push. */
class EventRing {
  private readonly buf: Array<TimelineEvent | undefined>
  private head = 0
  size = 0

  constructor(private readonly cap: number) {
    this.buf = new Array<TimelineEvent | undefined>(cap)
  }

  push(e: TimelineEvent, keepFromUs: number): void {
    while (this.size > 0 && (this.buf[this.head]?.t ?? Infinity) < keepFromUs) this.shift()
    if (this.size === this.cap) this.shift()
    this.buf[(this.head + this.size) % this.cap] = e
    this.size++
  }

  private shift(): void {
    this.buf[this.head] = undefined
    this.head = (this.head + 1) % this.cap
    this.size--
  }

  items(): TimelineEvent[] {
    const out: TimelineEvent[] = []
    for (let i = 0; i < this.size; i++) {
      const e = this.buf[(this.head + i) % this.cap]
      if (e !== undefined) out.push(e)
    }
    return out
  }
}

const arrival = (e: TimelineEvent): number => (e.type === 'probe' ? e.t + Math.round(e.latencyMs * 1000) : e.t)

export class IncidentTracker {
  private readonly preUs: number
  private readonly settleUs: number
  private readonly maxWindowUs: number
  private readonly maxEvents: number
  private readonly maxSources: number
  private readonly ring: EventRing
  private readonly sources = new Map<string, SourceState>()
  /** Current master source address per vrid. */
  private readonly master = new Map<number, string>()
  private readonly nameByIp = new Map<string, string>()
  private readonly nameByMac = new Map<string, string>()
  private owners: string[] | null = null
  /** The latest VIP owner reading (polls are emitted on change only: it may be older than the ring). */
  private lastOwnerEv: Extract<TimelineEvent, {type: 'vip.owner'}> | null = null
  /** The last single VIP holder. */
  private lastHolder: string | null = null
  private lastProbeOk: boolean | null = null
  private lastProbeSentUs = -Infinity
  private open: OpenIncident | null = null
  nowUs = 0
  /** Advert sources beyond maxSources (not followed). */
  untracked = 0
  events = 0
  incidents = 0

  constructor(
    private readonly ctx: IncidentContext,
    o: IncidentTrackerOptions = {},
    private readonly onIncident: (i: Incident) => void = () => undefined,
  ) {
    this.preUs = (o.preMs ?? 15_000) * 1000
    this.settleUs = (o.settleMs ?? 5_000) * 1000
    this.maxWindowUs = (o.maxWindowMs ?? 120_000) * 1000
    this.maxEvents = o.maxEvents ?? 50_000
    this.maxSources = o.maxSources ?? 64
    this.ring = new EventRing(this.maxEvents)
    for (const h of ctx.hosts) {
      if (h.ip !== undefined) this.nameByIp.set(h.ip, h.name)
      if (h.mac !== undefined) this.nameByMac.set(h.mac.toLowerCase(), h.name)
    }
  }

  /** Whether an incident is open now. */
  get inIncident(): boolean {
    return this.open !== null
  }

  /** Events held (ring + open incident) and sources followed: the memory bound's terms. */
  stateSize(): {ring: number; incidentEvents: number; sources: number; changes: number} {
    return {ring: this.ring.size, incidentEvents: this.open?.events.length ?? 0, sources: this.sources.size, changes: this.open?.changes.length ?? 0}
  }

  private name(ip: string, mac: string): string {
    return this.nameByIp.get(ip) ?? this.nameByMac.get(mac.toLowerCase()) ?? ip
  }

  push(e: TimelineEvent): void {
    this.events++
    const at = arrival(e)
    if (at > this.nowUs) this.nowUs = at
    this.ring.push(e, this.nowUs - this.preUs)
    if (this.open !== null) {
      if (this.open.events.length < this.maxEvents) this.open.events.push(e)
      else this.open.dropped++
    }
    switch (e.type) {
      case 'vrrp.advert':
        this.advert(e)
        break
      case 'vip.owner':
        this.vipOwner(e)
        break
      case 'probe':
        // the newest probe sent (a timed-out probe completes after later good ones)
        if (e.t >= this.lastProbeSentUs) {
          this.lastProbeSentUs = e.t
          this.lastProbeOk = e.ok
        }
        break
      default:
        break
    }
    this.maybeClose()
  }

  /** The clock moved with no event (the watcher ticks it): an incident may settle. */
  tick(nowUs: number): void {
    if (nowUs > this.nowUs) this.nowUs = nowUs
    this.maybeClose()
  }

  private advert(a: Extract<TimelineEvent, {type: 'vrrp.advert'}>): void {
    if (this.ctx.vrid !== null && a.vrid !== this.ctx.vrid) return
    const key = `${a.vrid}|${a.src}`
    let s = this.sources.get(key)
    if (s === undefined) {
      if (this.sources.size >= this.maxSources) {
        this.untracked++
        return
      }
      s = {vrid: a.vrid, src: a.src, smac: a.smac, lastUs: a.t, lastPrio: a.prio, intvlS: a.intvl > 0 ? a.intvl : 1, adverts: 0}
      this.sources.set(key, s)
    }
    if (a.prio > 0) {
      const cur = this.master.get(a.vrid)
      if (cur === undefined) this.master.set(a.vrid, a.src)
      else if (cur !== a.src) {
        const old = this.sources.get(`${a.vrid}|${cur}`)
        const change: RecordedChange = {
          t: a.t,
          from: old === undefined ? cur : this.name(old.src, old.smac),
          to: this.name(a.src, a.smac),
          graceful: old?.lastPrio === 0,
          fromLastAdvertUs: old?.lastUs ?? null,
        }
        this.master.set(a.vrid, a.src)
        this.trigger(`new master ${change.to}`, a.t, change)
      }
    }
    s.lastUs = a.t
    s.lastPrio = a.prio
    s.intvlS = a.intvl > 0 ? a.intvl : 1
    s.adverts++
  }

  private vipOwner(o: Extract<TimelineEvent, {type: 'vip.owner'}>): void {
    const inForce = this.lastOwnerEv
    this.lastOwnerEv = o
    const owners = [...o.owners].sort()
    const prev = this.owners
    this.owners = owners
    if (owners.length >= 2) this.trigger(`VIP on ${owners.join(' and ')}`, o.t, undefined, inForce)
    else if (owners.length === 0) {
      if (prev !== null && prev.length > 0) this.trigger('VIP on no node', o.t, undefined, inForce)
    } else {
      const h = owners[0] as string
      if (this.lastHolder !== null && h !== this.lastHolder) this.trigger(`VIP moved to ${h}`, o.t, undefined, inForce)
      else if (this.open !== null) this.open.lastTriggerUs = Math.max(this.open.lastTriggerUs, o.t)
      this.lastHolder = h
    }
  }

  private trigger(what: string, t: number, change?: RecordedChange, ownerInForce: TimelineEvent | null = this.lastOwnerEv): void {
    if (this.open === null) {
      const events = this.ring.items()
      // The VIP owner in force before the trigger, when its reading is older than the ring (a quiet pair polls
      // the same owner for hours and emits nothing): carried in, stamped at the ring's first event, so that the
      // incident knows who held the VIP (the analysis's "state in force at the fault").
      if (ownerInForce !== null && ownerInForce.type === 'vip.owner' && !events.includes(ownerInForce)) {
        const first = events[0]?.t ?? t
        events.unshift({...ownerInForce, t: Math.max(ownerInForce.t, Math.min(first, t) - 1)})
      }
      this.open = {openedUs: t, lastTriggerUs: t, triggers: [], triggerCount: 0, changes: [], changeCount: 0, events, dropped: 0}
    }
    const o = this.open
    o.lastTriggerUs = Math.max(o.lastTriggerUs, t)
    o.triggerCount++
    if (o.triggers.length < MAX_TRIGGERS) o.triggers.push(what)
    if (change !== undefined) {
      o.changeCount++
      if (o.changes.length < MAX_CHANGES) o.changes.push(change)
    }
  }

  private maybeClose(): void {
    const o = this.open
    if (o === null) return
    const quiet = this.nowUs - o.lastTriggerUs >= this.settleUs
    const oneHolder = this.owners === null || this.owners.length === 1
    const served = this.lastProbeOk !== false
    const cut = this.nowUs - o.openedUs >= this.maxWindowUs
    if ((quiet && oneHolder && served) || cut) this.close(cut && !(quiet && oneHolder && served))
  }

  /** Close the open incident now (the watch ends): it is recorded with what was seen. */
  flush(): void {
    if (this.open !== null) this.close(true)
  }

  private close(cut: boolean): void {
    const o = this.open
    if (o === null) return
    this.open = null
    this.incidents++
    this.onIncident(incidentRun(this.ctx, o, cut, this.nowUs))
  }

  /** Each known node's state as the client sees it now (adverts, VIP owner poll). */
  nodes(): NodeView[] {
    const out: NodeView[] = []
    const owners = new Set(this.owners ?? [])
    const masters = new Set(this.master.values())
    const seen = new Set<string>()
    for (const s of this.sources.values()) {
      const name = this.name(s.src, s.smac)
      const alive = this.nowUs - s.lastUs <= 3 * s.intvlS * 1e6 + 1e6 && s.lastPrio > 0
      const state: NodeView['state'] = masters.has(s.src) && alive ? 2 : 1
      if (seen.has(name)) continue
      seen.add(name)
      out.push({name, state, adverts: s.adverts, lastAdvertUs: s.lastUs, ownsVip: owners.has(name)})
    }
    for (const h of this.ctx.hosts) {
      if (seen.has(h.name)) continue
      const state: NodeView['state'] = owners.has(h.name) ? 2 : this.owners === null ? 0 : 1
      out.push({name: h.name, state, adverts: 0, lastAdvertUs: null, ownsVip: owners.has(h.name)})
    }
    return out
  }
}

/** The run record of a closed incident (kind 'incident'), measured by the timeline analysis. */
export function incidentRun(ctx: IncidentContext, o: OpenIncident, cut: boolean, nowUs: number): Incident {
  const events = o.events.map((e, i) => ({e, i})).sort((a, b) => a.e.t - b.e.t || a.i - b.i).map((x) => x.e)
  const first = o.changes[0]
  // The "fault" moment: the stack's own anchor (Pacemaker: standby seen, corosync gone), else just after the
  // old master's last advert (the analysis counts "before" strictly), else the first trigger.
  const anchor = ctx.model?.anchor(events, o.openedUs) ?? null
  const anchorUs = anchor?.atUs ?? first?.fromLastAdvertUs ?? o.openedUs
  const faultAtUs = anchorUs + 1
  const a = analyzeTimeline(events, {
    vip: ctx.vip,
    vrid: ctx.vrid,
    faultAtUs,
    revertAtUs: null,
    hosts: ctx.hosts,
    ...(ctx.probe === null ? {} : {probeIntervalMs: 1000 / ctx.probe.ratePerS}),
  })
  const base = a.metrics ?? emptyMetrics(faultAtUs, null, anchor?.change.from ?? first?.from ?? null)
  const change: MasterChange =
    anchor !== null
      ? anchor.change
      : {from: base.oldOwner ?? first?.from ?? null, to: base.newOwner ?? first?.to ?? null, graceful: first?.graceful ?? false}
  const metrics = ctx.model === undefined ? base : ctx.model.metrics(events, base, faultAtUs, change)
  const prediction = ctx.predict(change)
  const splitBrain: SplitBrainFinding[] = a.splitBrain
  const warnings = [...a.notes]
  if (cut) warnings.push(`the incident was still open when recorded (after ${((nowUs - o.openedUs) / 1e6).toFixed(1)} s): its figures are what was seen by then`)
  if (o.dropped > 0) warnings.push(`${o.dropped} events beyond the incident's bound were not kept (counted in no figure)`)
  if (o.changeCount > o.changes.length) warnings.push(`${o.changeCount} changes of master in this incident (the first ${o.changes.length} listed)`)
  const judgedBy = {effect: null, mustObserve: false, toleranceMs: ctx.toleranceMs, maxOutageMs: null, interrupted: false}
  const j = judge({prediction, metrics, splitBrain, reverted: true, revertError: null, ...judgedBy})
  const target = change.from ?? change.to ?? 'vip'
  const startUs = events[0]?.t ?? o.openedUs
  const endUs = events.length === 0 ? nowUs : Math.max(...events.slice(-64).map(arrival), events[events.length - 1]?.t ?? nowUs)
  const run: DrillRun = {
    schema: RUN_SCHEMA,
    id: newRunId(target, 'incident', new Date(o.openedUs / 1000)),
    kind: 'incident',
    startedAt: isoFromUs(startUs),
    endedAt: isoFromUs(endUs),
    stack: ctx.stack,
    target,
    fault: {
      kind: 'incident',
      params: {change: `${change.from ?? '?'} → ${change.to ?? '?'}`, triggers: o.triggers, ...(change.cause === undefined ? {} : {cause: change.cause}), ...(o.changeCount > 1 ? {changes: o.changeCount} : {}), ...(change.graceful ? {graceful: true} : {})},
      inject: [],
      revert: [],
    },
    inventory: ctx.inventory,
    lab: ctx.lab,
    vip: ctx.vip,
    captureHost: ctx.captureHost,
    probe: ctx.probe,
    hosts: ctx.clockOffsets.map((h) => {
      const k = ctx.hosts.find((x) => x.name === h.name)
      return {...h, ...(k?.ip === undefined ? {} : {ip: k.ip}), ...(k?.mac === undefined ? {} : {mac: k.mac})}
    }),
    holdMs: 0,
    prediction,
    metrics,
    splitBrain,
    reverted: true,
    revertError: null,
    warnings,
    verdict: j.verdict,
    verdictReasons: j.reasons.map((r) => r.text),
    judgedBy,
    events,
    unparsed: {count: 0, sample: []},
  }
  const measuredMs = ctx.model === undefined ? metrics.takeoverFromLastAdvertMs : measuredFor({prediction, metrics})
  return {
    run,
    measuredMs,
    predictedMs: prediction.takeoverMs,
    outageMs: metrics.lostProbes > 0 ? (metrics.outageMs ?? 0) : 0,
    splitBrainMs: splitBrain.reduce((s, f) => s + f.durationMs, 0),
    changes: o.changeCount,
  }
}
