/**
 * `hachaos watch`'s engine: a stack's watch hook (src/stacks/<name>/watch.ts) gives the pair and its observers;
 * the watcher starts them (client capture, probes, pollers), folds every event into the incident tracker and
 * the running figures once, ticks the tracker every second (an incident settles in a quiet pair too), hands
 * each closed incident to `onIncident` (the command saves it), and stops everything it started.
 *
 * Memory: the tracker's bound (incidents.ts: 2 × maxEvents events + O(sources)), the stats' fixed buckets,
 * the capture with `keep: false` (src/capture/runner.ts: nothing kept but the first unparsed lines); an
 * incident is handed out and dropped. Nothing grows with the time the watch runs.
 */
import {errorMessage} from '../errors.js'
import {makeTcpdumpCapture} from '../drill/capture-source.js'
import type {CaptureSource} from '../drill/engine.js'
import type {DrillProbeOptions} from '../drill/probe-session.js'
import type {Executor} from '../exec/types.js'
import type {Inventory} from '../inventory/inventory.js'
import type {DrillRun, TimelineEvent} from '../store/run-types.js'
import {nowUs} from '../time.js'
import {IncidentTracker, type Incident, type IncidentTrackerOptions, type NodeView} from './incidents.js'
import {WatchStats} from './stats.js'
import type {WatchHook, WatchTarget} from './types.js'

/** A capture that keeps nothing (src/capture/runner.ts keep: false): events go to `emit` only. */
export function streamingCapture(exec: Executor, iface: string, emit: (e: TimelineEvent) => void): CaptureSource {
  return makeTcpdumpCapture(exec, iface, emit, undefined, false)
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
  toleranceMs: number
  availability: number
  monthConsumedMs: number
  tracker?: IncidentTrackerOptions
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
        o.onIncident(i)
      },
    )
    const w = new Watch(target, o, tracker, stats)
    sink = (e) => w.ingest(e)
    try {
      await target.client?.capture.start()
    } catch (e) {
      await w.stop()
      throw e
    }
    target.client?.probe?.start()
    for (const p of target.pollers) p.start()
    w.timer = setInterval(() => w.tracker.tick(nowUs()), 1000)
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

  nodes(): NodeView[] {
    return this.tracker.nodes()
  }

  /** Stop every observer (and wait for them), then record an incident still open as it stands. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    const c = this.target.client
    await Promise.allSettled([...this.target.pollers.map((p) => p.stop()), c?.probe?.stop() ?? Promise.resolve(), c?.capture.stop() ?? Promise.resolve()])
    if (!this.stopped) {
      this.stopped = true
      this.tracker.flush()
    }
  }
}
