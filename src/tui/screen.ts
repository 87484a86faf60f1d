/**
 * The bond dashboard on a terminal: blessed + blessed-contrib. The only file that imports them. It owns
 * widgets and keys; it never reads data: `show(vm)` copies a view model (view.ts) into the widgets and the
 * caller's single render loop calls `render()`. On resize every widget is rebuilt at the new size
 * (blessed-contrib's canvases are sized when they are attached) and the last view model is shown again.
 */
import type {Readable, Writable} from 'node:stream'

import blessed from 'blessed'
import contrib from 'blessed-contrib'

import type {ViewModel} from './view.js'

export type DashboardKey = 'quit' | 'pause' | 'load'

/** 'spark': sparklines (text, cheap: the default); 'line': braille line charts (nicer, ~3× the CPU). */
export type ChartStyle = 'spark' | 'line'

export interface ScreenIo {
  input?: Readable
  output?: Writable
  terminal?: string
  charts?: ChartStyle
}

export interface Dashboard {
  show(vm: ViewModel): void
  render(): void
  onKey(handler: (k: DashboardKey) => void): void
  /** Plain text of what is on the screen, row by row (tests, --once on a TTY). */
  text(): string[]
  destroy(): void
  readonly cols: number
  readonly rows: number
}

interface Widgets {
  header: blessed.Widgets.BoxElement
  charts: Array<contrib.LineElement | blessed.Widgets.BoxElement>
  table: blessed.Widgets.BoxElement
  /** Which view-model columns fit the terminal's width. */
  tableCols: number[]
  gauge: blessed.Widgets.ProgressBarElement
  log: contrib.LogElement
  footer: blessed.Widgets.BoxElement
}

/** Widths of the view model's table columns (view.ts TABLE_HEADERS). */
const TABLE_WIDTHS = [1, 6, 10, 7, 9, 4, 6, 3, 17, 8, 8, 7, 7, 8]
/** Columns dropped first when the terminal is narrow: partner, err+drop, packets/s, agg, state. */
const DROP_ORDER = [8, 13, 12, 11, 7, 6]

export function fitColumns(width: number): number[] {
  const cols = TABLE_WIDTHS.map((_, i) => i)
  const total = (cs: number[]): number => cs.reduce((s, c) => s + (TABLE_WIDTHS[c] ?? 0) + 1, 0)
  for (const d of DROP_ORDER) {
    if (total(cols) <= width) break
    cols.splice(cols.indexOf(d), 1)
  }
  return cols
}

/**
 * setContent without blessed's clearPos: the element is drawn again in place before the next write, and
 * drawing fills every cell of its box, so the clear only dirtied screen lines whose cells did not change
 * (and made blessed compare and rewrite them).
 */
function put(el: blessed.Widgets.BlessedElement, text: string): void {
  ;(el as unknown as {setContent(text: string, noClear: boolean): void}).setContent(text, true)
}

/** Borders and the six lines of sparkText. */
const SPARK_HEIGHT = 8
/** The bar glyphs of contrib's sparkline (its `sparkline` dependency), lowest to highest. */
const TICKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█']
const BOLD_WHITE = '\x1b[1m\x1b[37m'
const RESET_FG_BOLD = '\x1b[39m\x1b[22m'

/**
 * One series scaled between its own min and max, as contrib's sparkline draws it. Written here rather than
 * calling the `sparkline` package: it scales with 32-bit integer shifts (`(max - min) << 8`), which truncate
 * fractional Mbit/s, so a series varying by less than 1 Mbit/s (a quiet link: 0.1, 0.5, 0.9) draws flat.
 */
function bars(ys: number[]): string {
  let min = Infinity
  let max = -Infinity
  for (const y of ys) {
    if (y < min) min = y
    if (y > max) max = y
  }
  const span = max - min
  let out = ''
  for (const y of ys) out += TICKS[span > 0 ? Math.min(7, Math.floor(((y - min) / span) * 7 + 0.5)) : 0] ?? ' '
  return out
}

/**
 * What contrib's Sparkline.setData shows (bold white titles, one bar line per series), built here with
 * escape codes instead of blessed tags: setData makes blessed parse tags and clear the widget's region on
 * every call, which at 10 readings a second was a good part of the dashboard's CPU.
 */
export function sparkText(rx: number[], tx: number[]): string {
  const title = (name: string, ys: number[]): string => `${BOLD_WHITE}${name} ${(ys.at(-1) ?? 0).toFixed(1)} Mbit/s (max ${Math.max(...ys).toFixed(1)}):${RESET_FG_BOLD}`
  return `\n${title('rx', rx)}\n${bars(rx)}\n\n${title('tx', tx)}\n${bars(tx)}`
}

export function createDashboard(io: ScreenIo = {}): Dashboard {
  const style: ChartStyle = io.charts ?? 'spark'
  const screen = blessed.screen({
    smartCSR: true,
    fullUnicode: false,
    forceUnicode: true,
    autoPadding: true,
    warnings: false,
    title: 'hachaos bond monitor',
    // @types/blessed swaps the stream types of input and output; the runtime wants input readable, output writable
    ...(io.input === undefined ? {} : {input: io.input as unknown as Writable}),
    ...(io.output === undefined ? {} : {output: io.output as unknown as Readable}),
    ...(io.terminal === undefined ? {} : {terminal: io.terminal}),
  })
  let w: Widgets | null = null
  let last: ViewModel | null = null
  let memberCount = -1
  const handlers: Array<(k: DashboardKey) => void> = []
  const emit = (k: DashboardKey): void => {
    for (const h of handlers) h(k)
  }
  screen.key(['q', 'escape', 'C-c'], () => emit('quit'))
  screen.key(['p'], () => emit('pause'))
  screen.key(['l'], () => emit('load'))

  const build = (members: number): Widgets => {
    for (const c of [...screen.children]) c.detach()
    const n = Math.max(1, members)
    const header = blessed.box({parent: screen, top: 0, left: 0, width: '65%', height: 6, border: {type: 'line'}, style: {border: {fg: 'cyan'}}, tags: false})
    // blessed's own progress bar: a gauge without contrib's canvas (which redraws a braille frame every render)
    const gauge = blessed.progressbar({parent: screen, top: 0, left: '65%', width: '35%', height: 6, label: ' imbalance ', border: {type: 'line'}, orientation: 'horizontal', filled: 0, pch: ' ', style: {bar: {bg: 'yellow'}, border: {fg: 'cyan'}}})
    const charts: Widgets['charts'] = []
    const chartWidth = Math.floor(100 / n)
    // Line charts take the upper 45 % of the screen; sparklines only what their two bars and titles need
    // (a bigger box is more cells to draw on every reading), and the event log gets the rest.
    const rows = screen.height as number
    const lineH = Math.floor(rows * 0.45) - 6
    const chartH = style === 'spark' ? Math.min(SPARK_HEIGHT, lineH) : lineH
    const tableTop = 6 + chartH
    const logTop = tableTop + n + 5
    for (let i = 0; i < n; i++) {
      const place = {
        top: 6,
        left: `${i * chartWidth}%`,
        width: i === n - 1 ? `${100 - i * chartWidth}%` : `${chartWidth}%`,
        height: chartH,
        label: ' member ',
        border: {type: 'line' as const},
      }
      if (style === 'spark') {
        // a plain box: the bars are text from sparkText (contrib's sparkline widget is a box with setData,
        // which this dashboard does not use)
        charts.push(blessed.box({parent: screen, ...place, tags: false, style: {fg: 'green'}}))
        continue
      }
      const chart = contrib.line({
        ...place,
        // no legend: contrib rebuilds its legend box on every setData (costly); the label names rx/tx
        showLegend: false,
        minY: 0,
        maxY: 1,
        xLabelPadding: 2,
        xPadding: 3,
        numYLabels: 4,
        style: {line: 'yellow', text: 'green', baseline: 'black'},
      })
      screen.append(chart)
      charts.push(chart)
    }
    const cols = fitColumns((screen.width as number) - 4)
    const table = blessed.box({parent: screen, top: tableTop, left: 0, width: '100%', height: n + 5, label: ' members (* = carries traffic) ', border: {type: 'line'}, style: {fg: 'white', border: {fg: 'cyan'}}, tags: false, wrap: false})
    const log = contrib.log({top: logTop, left: 0, width: '100%', height: Math.max(0, rows - 1 - logTop), label: ' events ', border: {type: 'line'}, fg: 'green', bufferLength: 100})
    screen.append(log)
    const footer = blessed.box({parent: screen, bottom: 0, left: 0, width: '100%', height: 1, style: {fg: 'black', bg: 'cyan'}})
    return {header, charts, table, tableCols: cols, gauge, log, footer}
  }

  /** Widgets whose content changed since the last render; null = render everything (new layout, resize). */
  let dirty: Set<blessed.Widgets.BlessedElement> | null = null
  const setText = (el: blessed.Widgets.BoxElement, text: string): void => {
    if (el.content === text) return
    put(el, text)
    dirty?.add(el)
  }
  const setLabel = (el: blessed.Widgets.BoxElement, label: string): void => {
    const cur = (el as unknown as {_label?: {getContent(): string}})._label?.getContent()
    if (cur === label) return
    el.setLabel(label)
    dirty?.add(el)
  }

  const apply = (vm: ViewModel): void => {
    if (w === null || vm.charts.length !== memberCount) {
      memberCount = vm.charts.length
      w = build(memberCount)
      dirty = null
    }
    setLabel(w.header, ` ${vm.title} `)
    setText(w.header, [...vm.header, vm.imbalance.lines.join('   ')].join('\n'))
    vm.charts.forEach((c, i) => {
      const chart = w?.charts[i]
      if (chart === undefined) return
      // a label longer than its box wraps into the box's first line: cut it to the border
      setLabel(chart, ` ${c.title} `.slice(0, Math.max(0, (chart.width as number) - 3)))
      if (c.series[0].y.length === 0) return
      if (style === 'spark') {
        // the newest points that fit (contrib would keep the oldest)
        const fit = Math.max(1, (chart.width as number) - 4)
        const rx = c.series[0].y.slice(-fit)
        const tx = c.series[1].y.slice(-fit)
        setText(chart, sparkText(rx, tx))
        return
      }
      dirty?.add(chart)
      const line = chart as contrib.LineElement
      const max = Math.max(...c.series[0].y, ...c.series[1].y)
      // contrib's line chart divides by maxY: never 0; headroom of 20 %
      line.options.maxY = Math.max(1, max * 1.2)
      line.setData([
        {...c.series[0], style: {line: 'green'}},
        {...c.series[1], style: {line: 'yellow'}},
      ])
    })
    const cols = w.tableCols
    const row = (r: string[]): string => cols.map((c) => (r[c] ?? '').slice(0, TABLE_WIDTHS[c]).padEnd((TABLE_WIDTHS[c] ?? 0) + 1)).join('')
    setText(w.table, [row(vm.table.headers), '', ...vm.table.rows.map(row)].join('\n'))
    if ((w.gauge as unknown as {filled: number}).filled !== vm.imbalance.percent) {
      w.gauge.setProgress(vm.imbalance.percent)
      dirty?.add(w.gauge)
    }
    setLabel(w.gauge, ` imbalance ${vm.imbalance.percent} % `)
    // Only when the events changed: scrollTo on a labelled box makes blessed render the whole screen.
    if (w.log.logLines.length !== vm.log.length || w.log.logLines.at(-1) !== vm.log.at(-1)) {
      w.log.logLines = [...vm.log]
      w.log.setItems(w.log.logLines)
      w.log.scrollTo(w.log.logLines.length)
      dirty?.add(w.log)
    }
    setText(w.footer, ` ${vm.footer}`)
  }

  const renderAll = (): void => {
    screen.render()
    dirty = new Set()
  }
  screen.on('resize', () => {
    w = null
    if (last !== null) apply(last)
    renderAll()
  })

  return {
    show(vm) {
      last = vm
      apply(vm)
    },
    render() {
      // Only the widgets that changed are drawn into blessed's screen buffer, then blessed writes the
      // changed cells. Top-level widgets do not overlap, so this is what a full render would produce.
      if (dirty === null) {
        renderAll()
        return
      }
      if (dirty.size === 0) return
      for (const el of dirty) el.render()
      dirty.clear()
      screen.draw(0, (screen.height as number) - 1)
    },
    onKey(h) {
      handlers.push(h)
    },
    text() {
      const lines = (screen as unknown as {lines: Array<Array<[number, string]>>}).lines
      return lines.map((row) => row.map((cell) => cell[1]).join('').replace(/\s+$/, ''))
    },
    destroy() {
      screen.destroy()
    },
    get cols() {
      return screen.width as number
    },
    get rows() {
      return screen.height as number
    },
  }
}
