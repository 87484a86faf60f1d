/**
 * Replays a recorded drill (a run saved by `hachaos failover`, e.g. test/fixtures/failover-tui/*.json) through
 * the real failover dashboard at the drill's own pace: each event is handed to the board when a live drill
 * would have known it (probes on completion). For the CPU bench (test/bench/failover-tui.ts, in tmux) and
 * for looking at the screen without a lab.
 *
 *   node dist/test/tools/replay-failover-tui.js FILE [--loop] [--interval 100] [--quit-after MS]
 *
 * q quits (exit 0), as does --quit-after MS. With --loop the drill plays again and again (a fresh board each time).
 */
import {readFileSync} from 'node:fs'

import type {DrillRun} from '../../src/store/run-types.js'
import {measuredFor} from '../../src/store/run-metrics.js'
import {nowUs, sleep} from '../../src/time.js'
import {FailoverBoard} from '../../src/tui/failover-board.js'
import {arrivalOrder, boardConfigForRun, startFailoverMonitor, type FailoverMonitor} from '../../src/tui/failover-monitor.js'
import {createFailoverDashboard} from '../../src/tui/failover-screen.js'

const args = process.argv.slice(2)
let quit = false
const file = args.find((a) => !a.startsWith('--'))
if (file === undefined) {
  process.stderr.write('usage: replay-failover-tui FILE [--loop] [--interval MS]\n')
  process.exit(2)
}
const loop = args.includes('--loop')
const iv = args.indexOf('--interval')
const intervalMs = iv >= 0 ? Number(args[iv + 1]) : 100
const qa = args.indexOf('--quit-after')
if (qa >= 0) setTimeout(() => (quit = true), Number(args[qa + 1]))
const run = JSON.parse(readFileSync(file, 'utf8')) as DrillRun
const events = arrivalOrder(run.events)
const dashboard = createFailoverDashboard()
dashboard.onKey((k) => {
  if (k === 'abort') quit = true
})

async function playOnce(): Promise<void> {
  const board = new FailoverBoard(boardConfigForRun(run, {availability: 0.9999, sloLabel: '99.99 %', monthConsumedMs: 0, monthRuns: 0, vrid: null}))
  const first = events[0]?.atUs ?? 0
  const shift = nowUs() - first + 500_000
  const monitor: FailoverMonitor = startFailoverMonitor({board, dashboard, intervalMs, now: () => nowUs() - shift, onAbort: () => undefined, onEndHold: () => undefined})
  for (const {atUs, e} of events) {
    if (quit) break
    // events due within the next 50 ms are handed over together (as a pipe delivers several lines per
    // read): at most 20 wakeups a second for the replay itself, whatever the event rate
    const wait = (atUs + shift - nowUs()) / 1000
    if (wait > 1) await sleep(Math.max(wait, 50))
    board.observe(e)
  }
  if (!quit) await monitor.finish({outageMs: run.metrics.outageMs, measuredMs: measuredFor(run), verdict: run.verdict, reasons: run.verdictReasons, interrupted: false, savedAs: null}, false)
  for (let i = 0; i < 20 && !quit; i++) await sleep(100)
  monitor.stop()
}

do await playOnce()
while (loop && !quit)
dashboard.destroy()
process.exit(0)
