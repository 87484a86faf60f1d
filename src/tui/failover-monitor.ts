/**
 * The failover dashboard's one loop: a single timer that, each tick, advances the board's clock, builds the
 * view model and hands it to the screen, which redraws only the boxes whose text changed (one render per
 * tick). Events reach the board directly (the drill's event log taps it); nothing else draws or polls.
 * Keys: q aborts the drill (as SIGINT: revert at once), r ends the hold (revert now, failback observed),
 * p pauses the picture (the board keeps folding events: nothing is missed).
 */
import type {DrillSpec} from '../drill/engine.js'
import {drillDowntimeMs} from '../sla/budget.js'
import type {DrillRun, TimelineEvent} from '../store/run-types.js'
import {loadRunSummaries} from '../store/runs.js'
import {nowUs} from '../time.js'
import type {BoardConfig, FailoverBoard, FinalFigures} from './failover-board.js'
import type {FailoverDashboard} from './failover-screen.js'
import {failoverViewModel, type FailoverViewModel} from './failover-view.js'

export interface FailoverMonitorOptions {
  board: FailoverBoard
  dashboard: FailoverDashboard
  /** Tick period (default 100 ms: 10 refreshes/s). */
  intervalMs?: number
  /** Epoch µs (tests and replays pin it). */
  now?: () => number
  onAbort(): void
  onEndHold(): void
}

export interface FailoverMonitor {
  /** The drill is over: show its figures; with `waitForKey`, resolve once q is pressed. */
  finish(f: FinalFigures, waitForKey: boolean): Promise<void>
  stop(): void
  /** Ticks drawn so far. */
  readonly ticks: number
}

export function startFailoverMonitor(o: FailoverMonitorOptions): FailoverMonitor {
  const now = o.now ?? nowUs
  const d = o.dashboard
  let paused = false
  let live = true
  let message: string | null = null
  let frozen: FailoverViewModel | null = null
  let ticks = 0
  let exitWait: (() => void) | null = null
  let aborted = false

  let lastKey = ''
  const draw = (force = false): void => {
    const t = now()
    const b = o.board
    b.tick(t)
    // Skip the tick when nothing on the screen can have changed: no visible change in the board, the strips
    // in the same slots, the clocks (the drill's seconds; the running outage and prediction clocks' tenths)
    // where they were. In a quiet second that is most ticks.
    const running = b.outage !== null || (b.faultAtUs !== null && b.takeoverUs === null && b.revertAtUs === null)
    const key = `${b.visible}|${b.probes.slotOf(t)}|${Math.floor(t / b.advertSlotUs)}|${Math.floor(t / 1e6)}|${running ? Math.floor(t / 1e5) : -1}|${paused}|${live}|${message ?? ''}`
    if (!force && key === lastKey) return
    lastKey = key
    const cells = d.cells(o.board.nodes.length)
    const vm = failoverViewModel(o.board, {paused, live, message, ...cells}, t)
    if (paused) {
      frozen = frozen ?? vm
      d.show({...frozen, footer: vm.footer})
    } else {
      frozen = null
      d.show(vm)
    }
    d.render()
    ticks++
  }
  d.onKey((k) => {
    if (k === 'abort') {
      if (!live) {
        exitWait?.()
        return
      }
      if (!aborted) {
        aborted = true
        message = 'aborting: reverting the fault now'
        o.board.note('q: abort — reverting the fault now')
        o.onAbort()
      }
    } else if (k === 'end-hold') {
      if (live && o.board.faultAtUs !== null && o.board.revertAtUs === null) {
        message = 'r: ending the hold, reverting now'
        o.board.note('r: hold ended by the user')
        o.onEndHold()
      }
    } else paused = !paused
    draw(true)
  })
  const timer = setInterval(draw, o.intervalMs ?? 100)
  draw(true)
  return {
    get ticks() {
      return ticks
    },
    async finish(f, waitForKey) {
      live = false
      paused = false
      message = waitForKey ? 'drill over: q to exit' : null
      o.board.finish(f)
      draw(true)
      if (waitForKey) await new Promise<void>((resolve) => (exitWait = resolve))
    },
    stop() {
      clearInterval(timer)
    },
  }
}

/** Start of the calendar month (UTC) of `nowMs`. */
export function monthStartMs(nowMs: number): number {
  const d = new Date(nowMs)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
}

/**
 * Client downtime of the runs recorded this month (UTC calendar month): Σ drillDowntimeMs (src/sla), the
 * figure `hachaos report`'s budget counts. A store that cannot be read counts nothing (and says so).
 */
export function monthBudgetUse(nowMs: number = Date.now(), dir?: string): {consumedMs: number; runs: number; note: string | null} {
  try {
    const loaded = dir === undefined ? loadRunSummaries({sinceMs: monthStartMs(nowMs)}) : loadRunSummaries({sinceMs: monthStartMs(nowMs)}, dir)
    let consumedMs = 0
    let runs = 0
    for (const r of loaded.runs) {
      const d = drillDowntimeMs(r.run)
      if (d !== null) {
        consumedMs += d
        runs++
      }
    }
    return {consumedMs, runs, note: null}
  } catch (e) {
    return {consumedMs: 0, runs: 0, note: `the run store could not be read for this month's budget: ${(e as Error).message}`}
  }
}

/** Priorities the prediction read, when it names them (inputs master/masterPriority, backup/backupPriority). */
export function prioritiesFromInputs(inputs: Readonly<Record<string, number | string | boolean>>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const role of ['master', 'backup']) {
    const name = inputs[role]
    const prio = inputs[`${role}Priority`]
    if (typeof name === 'string' && typeof prio === 'number') out[name] = prio
  }
  return out
}

/** The board's configuration for a prepared drill. */
export function boardConfigForDrill(
  spec: DrillSpec,
  o: {fault: string; availability: number; sloLabel: string; monthConsumedMs: number; monthRuns: number},
): BoardConfig {
  return {
    vip: spec.vip,
    vrid: spec.vrid,
    hosts: spec.hosts,
    target: spec.target,
    fault: o.fault,
    oldMaster: spec.oldMaster,
    prediction: spec.prediction,
    toleranceMs: spec.toleranceMs,
    priorities: prioritiesFromInputs(spec.prediction.inputs),
    availability: o.availability,
    sloLabel: o.sloLabel,
    monthConsumedMs: o.monthConsumedMs,
    monthRuns: o.monthRuns,
  }
}

/** The board's configuration for a recorded run (replays, tests): what the drill knew before it started. */
export function boardConfigForRun(
  run: Pick<DrillRun, 'vip' | 'hosts' | 'target' | 'prediction' | 'metrics' | 'judgedBy'> & {fault: {kind: string}},
  o: {availability: number; sloLabel: string; monthConsumedMs: number; monthRuns: number; vrid?: number | null},
): BoardConfig {
  return {
    vip: run.vip,
    vrid: o.vrid ?? null,
    hosts: run.hosts.map((h) => ({name: h.name, ...(h.ip === undefined ? {} : {ip: h.ip}), ...(h.mac === undefined ? {} : {mac: h.mac})})),
    target: run.target,
    fault: `${run.fault.kind} on ${run.target}`,
    oldMaster: run.metrics.oldOwner,
    prediction: run.prediction,
    toleranceMs: run.judgedBy?.toleranceMs ?? 100,
    priorities: prioritiesFromInputs(run.prediction.inputs),
    availability: o.availability,
    sloLabel: o.sloLabel,
    monthConsumedMs: o.monthConsumedMs,
    monthRuns: o.monthRuns,
  }
}

/**
 * A recorded run's events in the order a live drill hands them over: by when they were known — a probe
 * when it completed (t + latency), everything else at t. Stable for ties.
 */
export function arrivalOrder(events: readonly TimelineEvent[]): Array<{atUs: number; e: TimelineEvent}> {
  return events
    .map((e, i) => ({atUs: e.type === 'probe' ? e.t + Math.round(e.latencyMs * 1000) : e.t, e, i}))
    .sort((a, b) => a.atUs - b.atUs || a.i - b.i)
    .map(({atUs, e}) => ({atUs, e}))
}
