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
  charts: Array<contrib.LineElement | contrib.SparklineElement>
  table: contrib.TableElement
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

export function createDashboard(io: ScreenIo = {}): Dashboard {
  const style: ChartStyle = io.charts ?? 'spark'
  const screen = blessed.screen({
    smartCSR: true,
    fullUnicode: true,
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
    for (let i = 0; i < n; i++) {
      if (style === 'spark') {
        const sp = contrib.sparkline({
          top: 6,
          left: `${i * chartWidth}%`,
          width: i === n - 1 ? `${100 - i * chartWidth}%` : `${chartWidth}%`,
          height: '45%-6',
          label: ' member ',
          border: {type: 'line'},
          tags: true,
          style: {fg: 'green', titleFg: 'white'},
        })
        screen.append(sp)
        charts.push(sp)
        continue
      }
      const chart = contrib.line({
        top: 6,
        left: `${i * chartWidth}%`,
        width: i === n - 1 ? `${100 - i * chartWidth}%` : `${chartWidth}%`,
        height: '45%-6',
        label: ' member ',
        border: {type: 'line'},
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
    const table = contrib.table({
      top: '45%',
      left: 0,
      width: '100%',
      height: n + 5,
      label: ' members (* = carries traffic) ',
      border: {type: 'line'},
      columnWidth: cols.map((c) => TABLE_WIDTHS[c] ?? 4),
      columnSpacing: 2, // contrib pads with spacing-1 blanks
      interactive: false,
      fg: 'white',
    })
    screen.append(table)
    const log = contrib.log({top: `45%+${n + 5}`, left: 0, width: '100%', height: `55%-${n + 6}`, label: ' events ', border: {type: 'line'}, fg: 'green', bufferLength: 100})
    screen.append(log)
    const footer = blessed.box({parent: screen, bottom: 0, left: 0, width: '100%', height: 1, style: {fg: 'black', bg: 'cyan'}})
    return {header, charts, table, tableCols: cols, gauge, log, footer}
  }

  /** Widgets whose content changed since the last render; null = render everything (new layout, resize). */
  let dirty: Set<blessed.Widgets.BlessedElement> | null = null
  const setText = (el: blessed.Widgets.BoxElement, text: string): void => {
    if (el.getContent() === text) return
    el.setContent(text)
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
      setLabel(chart, ` ${c.title} `)
      if (c.series[0].y.length === 0) return
      dirty?.add(chart)
      if (style === 'spark') {
        // the newest points that fit (contrib would keep the oldest)
        const fit = Math.max(1, (chart.width as number) - 4)
        const rx = c.series[0].y.slice(-fit)
        const tx = c.series[1].y.slice(-fit)
        const last = (a: number[]): string => (a.at(-1) ?? 0).toFixed(1)
        ;(chart as contrib.SparklineElement).setData([`rx ${last(rx)} Mbit/s (max ${Math.max(...rx).toFixed(1)})`, `tx ${last(tx)} Mbit/s (max ${Math.max(...tx).toFixed(1)})`], [rx, tx])
        return
      }
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
    const rows = vm.table.rows.map((r) => cols.map((c) => r[c] ?? ''))
    const key = JSON.stringify(rows)
    if (key !== tableKey) {
      tableKey = key
      w.table.setData({headers: cols.map((c) => vm.table.headers[c] ?? ''), data: rows})
      dirty?.add(w.table)
    }
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
  let tableKey = ''

  const renderAll = (): void => {
    screen.render()
    dirty = new Set()
  }
  screen.on('resize', () => {
    w = null
    tableKey = ''
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
