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

export interface ScreenIo {
  input?: Readable
  output?: Writable
  terminal?: string
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
  charts: contrib.LineElement[]
  table: contrib.TableElement
  /** Which view-model columns fit the terminal's width. */
  tableCols: number[]
  gauge: contrib.GaugeElement
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
    const gauge = contrib.gauge({top: 0, left: '65%', width: '35%', height: 6, label: ' imbalance ', border: {type: 'line'}, stroke: 'yellow', fill: 'white', percent: 0})
    screen.append(gauge)
    const charts: contrib.LineElement[] = []
    const chartWidth = Math.floor(100 / n)
    for (let i = 0; i < n; i++) {
      const chart = contrib.line({
        top: 6,
        left: `${i * chartWidth}%`,
        width: i === n - 1 ? `${100 - i * chartWidth}%` : `${chartWidth}%`,
        height: '45%-6',
        label: ' member ',
        border: {type: 'line'},
        showLegend: true,
        legend: {width: 8},
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

  const apply = (vm: ViewModel): void => {
    if (w === null || vm.charts.length !== memberCount) {
      memberCount = vm.charts.length
      w = build(memberCount)
    }
    w.header.setLabel(` ${vm.title} `)
    w.header.setContent([...vm.header, vm.imbalance.lines.join('   ')].join('\n'))
    vm.charts.forEach((c, i) => {
      const chart = w?.charts[i]
      if (chart === undefined) return
      chart.setLabel(` ${c.title} `)
      if (c.series[0].y.length === 0) return
      const max = Math.max(...c.series[0].y, ...c.series[1].y)
      // contrib's line chart divides by maxY: never 0; headroom of 20 %
      chart.options.maxY = Math.max(1, max * 1.2)
      chart.setData([
        {...c.series[0], style: {line: 'green'}},
        {...c.series[1], style: {line: 'yellow'}},
      ])
    })
    const cols = w.tableCols
    w.table.setData({headers: cols.map((c) => vm.table.headers[c] ?? ''), data: vm.table.rows.map((r) => cols.map((c) => r[c] ?? ''))})
    w.gauge.setPercent(vm.imbalance.percent)
    w.gauge.setLabel(` imbalance: ${vm.imbalance.label} `)
    w.log.logLines = [...vm.log]
    w.log.setItems(w.log.logLines)
    w.log.scrollTo(w.log.logLines.length)
    w.footer.setContent(` ${vm.footer}`)
  }

  screen.on('resize', () => {
    w = null
    if (last !== null) apply(last)
    screen.render()
  })

  return {
    show(vm) {
      last = vm
      apply(vm)
    },
    render() {
      screen.render()
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
