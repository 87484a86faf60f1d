/**
 * The failover dashboard's one loop: a single timer that, each tick, advances the board's clock, builds the
 * view model and hands it to the screen, which redraws only the boxes whose text changed (one render per
 * tick). Events reach the board directly (the drill's event log taps it); nothing else draws or polls.
 * Keys: q aborts the drill (as SIGINT: revert at once), r ends the hold (revert now, failback observed),
 * p pauses the picture (the board keeps folding events: nothing is missed).
 */
import {nowUs} from '../time.js'
import type {FailoverBoard, FinalFigures} from './failover-board.js'
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

  const draw = (): void => {
    const t = now()
    o.board.tick(t)
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
    draw()
  })
  const timer = setInterval(draw, o.intervalMs ?? 100)
  draw()
  return {
    get ticks() {
      return ticks
    },
    async finish(f, waitForKey) {
      live = false
      paused = false
      message = waitForKey ? 'drill over: q to exit' : null
      o.board.finish(f)
      draw()
      if (waitForKey) await new Promise<void>((resolve) => (exitWait = resolve))
    },
    stop() {
      clearInterval(timer)
    },
  }
}
