/**
 * `hachaos watch`'s engine: a stack's watch hook (src/stacks/<name>/watch.ts) gives the pair and its observers;
 * the watcher starts them (client capture, probes, pollers), folds every event into the incident tracker and
 * the running figures once, ticks the tracker every second (an incident settles in a quiet pair too), hands
 * each closed incident to `onIncident` (the command saves it), and stops everything it started.
 *
 * Memory: the tracker's bound (incidents.ts: 2 × maxEvents events + O(sources)), the stats' fixed buckets,
 * the capture with `keep: false` (src/capture/runner.ts: nothing kept but the first unparsed lines); an
 * incident is handed out and dropped; the frame ring of the pcap slices (frames.ts: ≤ 16,384 frames and 4 MiB)
 * and at most MAX_PENDING_SLICES slices waiting for their end margin. Nothing grows with the time the watch runs;
 * a full GC a minute keeps the heap at what is alive (the windows above would otherwise pile up dead in old space).
 */
import {join} from 'node:path'

import {DEFAULT_FILTER} from '../capture/runner.js'
import {errorMessage} from '../errors.js'
import {makeTcpdumpCapture} from '../drill/capture-source.js'
import type {CaptureSource} from '../drill/engine.js'
import type {VipOwnerMode} from '../drill/pollers.js'
import type {DrillProbeOptions} from '../drill/probe-session.js'
import type {Executor} from '../exec/types.js'
import type {Inventory} from '../inventory/inventory.js'
import type {DrillRun, TimelineEvent} from '../store/run-types.js'
import {nowUs} from '../time.js'
import {fullGc} from '../util/full-gc.js'
import {FrameCapture, writePcapSlice} from './frames.js'
import {IncidentTracker, type Incident, type IncidentTrackerOptions, type NodeView} from './incidents.js'
import {WatchStats} from './stats.js'
import type {WatchHook, WatchTarget} from './types.js'

/** A capture that keeps nothing (src/capture/runner.ts keep: false): events go to `emit` only. */
export function streamingCapture(exec: Executor, iface: string, emit: (e: TimelineEvent) => void): CaptureSource {
  return makeTcpdumpCapture(exec, iface, emit, undefined, false)
}

/** Slices waiting for frames after the incident's end (more are written at once, with what there is). */
export const MAX_PENDING_SLICES = 16

/** A full GC every this many ticks (seconds): src/util/full-gc.ts says why. */
export const FULL_GC_EVERY_TICKS = 60

/**
 * How far back a slice can reach from the newest frame: an incident keeps the preMs before its trigger, lasts at
 * most maxWindowMs, closes settleMs after its last trigger at the latest, and the slice adds its margin on both
 * sides (the tracker's defaults: 15 s, 120 s, 5 s). Older frames are of no slice: the ring drops them.
 */
export function sliceReachMs(t: IncidentTrackerOptions, marginMs: number): number {
  return (t.preMs ?? 15_000) + (t.maxWindowMs ?? 120_000) + (t.settleMs ?? 5_000) + 2 * marginMs
}

export interface WatchStartOptions {
  hook: WatchHook
  inventory: Inventory
  vip?: string
  url?: string
  captureOn?: string
  hachaosArgv: DrillProbeOptions['hachaosArgv']
  ratePerS: number
  probeTimeoutMs: number
  pollMs: number
  vipOwner?: VipOwnerMode
  toleranceMs: number
  availability: number
  monthConsumedMs: number
  tracker?: IncidentTrackerOptions
  /**
   * Write a pcap of each incident's frames, [start − marginMs, end + marginMs], as DIR/<id>.pcap (the record's
   * `pcap`); needs a client (the capture host). Absent: no frame capture at all.
   */
  slice?: {dir: string; marginMs: number; maxFrames?: number; maxBytes?: number}
  onIncident(i: Incident): void
  /** Every event as it arrives (the dashboard taps here). */
  onEvent?(e: TimelineEvent): void
  /** Something went wrong in an observer (the watch goes on). */
  onWarning?(m: string): void
}

export class Watch {
  readonly stats: WatchStats
  readonly tracker: IncidentTracker
  readonly startedAtUs = nowUs()
  events = 0
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  frames: FrameCapture | null = null
  private readonly pending = new Map<NodeJS.Timeout, () => Promise<void>>()
  private readonly writing = new Set<Promise<void>>()
  /** Slices written (or failed: onWarning). */
  slices = 0
  /** Full GCs done (one a minute: src/util/full-gc.ts). */
  fullGcs = 0

  private constructor(
    readonly target: WatchTarget,
    private readonly o: WatchStartOptions,
    tracker: IncidentTracker,
    stats: WatchStats,
  ) {
    this.tracker = tracker
    this.stats = stats
  }

  /** Prepare the hook's observers and start them; resolves once the capture is listening. */
  static async start(o: WatchStartOptions): Promise<Watch> {
    let sink: (e: TimelineEvent) => void = () => undefined
    const emit = (e: TimelineEvent): void => sink(e)
    const target = await o.hook.prepare({
      inventory: o.inventory,
      ...(o.vip === undefined ? {} : {vip: o.vip}),
      ...(o.url === undefined ? {} : {url: o.url}),
      ...(o.captureOn === undefined ? {} : {captureOn: o.captureOn}),
      emit,
      pollMs: o.pollMs,
      ...(o.vipOwner === undefined ? {} : {vipOwner: o.vipOwner}),
      hachaosArgv: o.hachaosArgv,
      ratePerS: o.ratePerS,
      probeTimeoutMs: o.probeTimeoutMs,
      makeCapture: (exec, iface, em) => streamingCapture(exec, iface, em),
    })
    const stats = new WatchStats(o.availability, o.monthConsumedMs)
    const lab: DrillRun['lab'] = o.inventory.lab === undefined ? null : {topology: o.inventory.lab.topology, prefix: o.inventory.lab.prefix}
    const tracker = new IncidentTracker(
      {
        stack: target.stack,
        vip: target.vip,
        vrid: target.vrid,
        hosts: target.hosts,
        captureHost: target.client?.host.name ?? null,
        probe: target.client?.probeInfo ?? null,
        inventory: o.inventory.file,
        lab,
        clockOffsets: target.clockOffsets,
        toleranceMs: o.toleranceMs,
        predict: target.predict,
        ...(target.model === undefined ? {} : {model: target.model}),
      },
      o.tracker ?? {},
      (i) => {
        stats.incident(i)
        w.slice(i)
        o.onIncident(i)
      },
    )
    const w: Watch = new Watch(target, o, tracker, stats)
    if (o.slice !== undefined && target.client !== null) {
      w.frames = new FrameCapture(target.client.exec, target.client.dev, DEFAULT_FILTER, {
        ...(o.slice.maxFrames === undefined ? {} : {maxFrames: o.slice.maxFrames}),
        ...(o.slice.maxBytes === undefined ? {} : {maxBytes: o.slice.maxBytes}),
        keepMs: sliceReachMs(o.tracker ?? {}, o.slice.marginMs),
      })
    }
    sink = (e) => w.ingest(e)
    try {
      await target.client?.capture.start()
    } catch (e) {
      await w.stop()
      throw e
    }
    w.frames?.start()
    target.client?.probe?.start()
    for (const p of target.pollers) p.start()
    const gc = fullGc()
    let ticks = 0
    w.timer = setInterval(() => {
      w.tracker.tick(nowUs())
      if (gc !== null && ++ticks % FULL_GC_EVERY_TICKS === 0) {
        gc()
        w.fullGcs++
      }
    }, 1000)
    return w
  }

  /** One event, folded once into the tracker and the figures. */
  ingest(e: TimelineEvent): void {
    if (this.stopped) return
    this.events++
    if (e.type === 'probe') this.stats.probe(e)
    try {
      this.tracker.push(e)
    } catch (err) {
      this.o.onWarning?.(`an event could not be analysed: ${errorMessage(err)}`)
    }
    this.o.onEvent?.(e)
  }

  /** Name the incident's pcap slice in its record now; write it once the frames after its end are in. */
  private slice(i: Incident): void {
    const s = this.o.slice
    const fc = this.frames
    if (s === undefined || fc === null) return
    const path = join(s.dir, `${i.run.id}.pcap`)
    i.run.pcap = path
    const fromUs = Date.parse(i.run.startedAt) * 1000 - s.marginMs * 1000
    const toUs = Date.parse(i.run.endedAt) * 1000 + s.marginMs * 1000 + 999
    const write = async (): Promise<void> => {
      try {
        const frames = fc.ring.slice(fromUs, toUs)
        const oldest = fc.ring.oldestUs()
        if (oldest !== null && oldest > fromUs && fc.ring.dropped > 0) this.o.onWarning?.(`the pcap slice of ${i.run.id} starts late: the frame ring (${fc.ring.maxFrames} frames, ${fc.ring.maxBytes} bytes) held nothing older`)
        await writePcapSlice(path, frames)
        this.slices++
      } catch (e) {
        this.o.onWarning?.(`the pcap slice ${path} could not be written: ${errorMessage(e)}`)
      }
    }
    const waitMs = Math.max(0, (toUs - nowUs()) / 1000)
    if (this.stopped || waitMs === 0 || this.pending.size >= MAX_PENDING_SLICES) {
      const p = write().finally(() => this.writing.delete(p))
      this.writing.add(p)
      return
    }
    const t = setTimeout(() => {
      this.pending.delete(t)
      void write()
    }, waitMs)
    this.pending.set(t, write)
  }

  nodes(): NodeView[] {
    return this.tracker.nodes()
  }

  /** Stop every observer (and wait for them), then record an incident still open as it stands. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    const c = this.target.client
    await Promise.allSettled([...this.target.pollers.map((p) => p.stop()), c?.probe?.stop() ?? Promise.resolve(), c?.capture.stop() ?? Promise.resolve(), this.frames?.stop() ?? Promise.resolve()])
    if (!this.stopped) {
      this.stopped = true
      this.tracker.flush()
    }
    // slices still waiting for their end margin: written now, with the frames there are
    const waiting = [...this.pending]
    this.pending.clear()
    for (const [t] of waiting) clearTimeout(t)
    await Promise.allSettled([...waiting.map(([, write]) => write()), ...this.writing])
  }
}
