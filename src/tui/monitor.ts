/**
 * The bond monitor's two loops, and nothing else: a collection loop (read → collector → sample, on its own
 * timer, never overlapping reads) and — with a dashboard — ONE render loop that draws the latest view model
 * when something changed. Widgets never poll; data collection never draws.
 */
import type {BondEvent} from '../bond/events.js'
import type {BondReader} from '../bond/snapshot.js'
import {errorMessage} from '../errors.js'
import {nowUs} from '../time.js'
import {Collector, type MonitorSample} from './collector.js'
import type {Dashboard} from './screen.js'
import {viewModel} from './view.js'

export interface LoadControl {
  /** Start a load run, or stop the running one. */
  toggle(): void
  /** One line for the footer. */
  status(): string
  stop(): Promise<void>
}

export interface MonitorOptions {
  reader: BondReader
  intervalMs: number
  quitAfterMs?: number
  /** Stop after this many samples with rates (--once: 1). */
  maxSamples?: number
  signal?: AbortSignal
  onSample?: (s: MonitorSample) => void
  dashboard?: Dashboard
  /** Line charts need time labels; sparklines do not. */
  chartLabels?: boolean
  /**
   * How often the load's status is polled for the footer (default 250 ms). Readings and keys draw at once,
   * in the same wakeup: one timer per reading rather than a render timer beside it.
   */
  renderIntervalMs?: number
  load?: LoadControl
  startLoad?: boolean
  historyLength?: number
}

export interface MonitorSummary {
  type: 'summary'
  host: string
  bond: string
  samples: number
  durationS: number
  events: BondEvent[]
  errors: string[]
  quitBy: 'key' | 'quit-after' | 'samples' | 'signal'
}

export async function runMonitor(o: MonitorOptions): Promise<MonitorSummary> {
  const collector = new Collector(o.historyLength ?? 60)
  const t0 = nowUs()
  const errors: string[] = []
  let stopped = false
  let quitBy: MonitorSummary['quitBy'] = 'signal'
  let paused = false
  let dirty = true
  let message: string | null = null
  let withRates = 0
  let wake: (() => void) | null = null
  const stop = (by: MonitorSummary['quitBy']): void => {
    if (stopped) return
    stopped = true
    quitBy = by
    wake?.()
  }
  const d = o.dashboard
  o.signal?.addEventListener('abort', () => stop('signal'), {once: true})
  const quitTimer = o.quitAfterMs === undefined ? undefined : setTimeout(() => stop('quit-after'), o.quitAfterMs)

  // While paused the picture freezes (collection goes on, so no event is missed); only the footer changes.
  let frozen: ReturnType<typeof viewModel> | null = null
  const draw = (): void => {
    if (d === undefined) return
    const ui = {paused, load: o.load?.status() ?? null, message, intervalMs: o.intervalMs, chartLabels: o.chartLabels ?? true}
    const vm = viewModel(collector.state(), ui)
    if (paused) {
      frozen = frozen ?? vm
      d.show({...frozen, footer: vm.footer})
    } else {
      frozen = null
      d.show(vm)
    }
    d.render()
  }
  const redraw = (): void => {
    dirty = false
    draw()
  }
  d?.onKey((k) => {
    if (k === 'quit') stop('key')
    if (k === 'pause') paused = !paused
    if (k === 'load') o.load?.toggle()
    redraw()
  })
  // Drawing happens in one place: right after a reading or a key (same wakeup, no extra latency), and when
  // the load's status changes (polled: the load runs on its own).
  let lastLoad = ''
  const renderTimer =
    d === undefined
      ? undefined
      : setInterval(() => {
          const ls = o.load?.status() ?? ''
          if (ls !== lastLoad) {
            lastLoad = ls
            dirty = true
          }
          if (dirty) redraw()
        }, o.renderIntervalMs ?? 250)
  if (o.startLoad === true) o.load?.toggle()

  let first = true
  try {
    while (!stopped) {
      const started = Date.now()
      try {
        const snap = await o.reader.read()
        const s = collector.push(snap)
        if (s.dtS !== null) withRates++
        o.onSample?.(s)
        message = null
        redraw()
      } catch (e) {
        // The first reading must work (wrong host, no bond); later ones may fail for a while (a reboot).
        if (first) throw e
        const m = errorMessage(e)
        errors.push(m)
        message = `read failed: ${m}`
        redraw()
      }
      first = false
      if (o.maxSamples !== undefined && withRates >= o.maxSamples) {
        stop('samples')
        break
      }
      const wait = Math.max(0, o.intervalMs - (Date.now() - started))
      if (wait > 0 && !stopped) {
        // a bare timer that stop() can cut short (no AbortController and listener per reading)
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, wait)
          wake = () => {
            clearTimeout(t)
            resolve()
          }
        })
        wake = null
      }
    }
  } finally {
    if (quitTimer !== undefined) clearTimeout(quitTimer)
    if (renderTimer !== undefined) clearInterval(renderTimer)
    await o.load?.stop()
  }
  if (d !== undefined && dirty) draw()
  const st = collector.state()
  return {
    type: 'summary',
    host: o.reader.host,
    bond: o.reader.bond,
    samples: st.samples,
    durationS: (nowUs() - t0) / 1e6,
    events: st.events,
    errors,
    quitBy,
  }
}
