/**
 * The failover dashboard on a terminal: the only file of it that imports blessed. It owns widgets and keys;
 * it never reads data: `show(vm)` copies a view model (failover-view.ts) into the boxes, and the caller's
 * single tick calls `render()`. A box is redrawn only when its text changed (compared as strings before
 * setContent), and only the changed boxes are drawn into blessed's buffer (they never overlap). Colours are
 * SGR escapes written into the text (no blessed tags: tag parsing on every update costs CPU). On resize the
 * layout is rebuilt at the new size and the last view model shown again.
 */
import type {Readable, Writable} from 'node:stream'

import blessed from 'blessed'

import type {FailoverViewModel, Tone} from './failover-view.js'

export type FailoverKey = 'abort' | 'end-hold' | 'pause'

export interface FailoverScreenIo {
  input?: Readable
  output?: Writable
  terminal?: string
}

export interface FailoverDashboard {
  show(vm: FailoverViewModel): void
  render(): void
  onKey(handler: (k: FailoverKey) => void): void
  /** Strip cells that fit the node boxes and the client box at the current size. */
  cells(nodes: number): {nodeCells: number; probeCells: number}
  /** Plain text of the screen, row by row (tests). */
  text(): string[]
  destroy(): void
}

const RED = '\x1b[31m'
const GREEN = '\x1b[32m'
const YELLOW = '\x1b[33m'
const BOLD = '\x1b[1m'
const RESET = '\x1b[0m'

const TONE: Record<Tone, string> = {idle: '', running: YELLOW, ok: GREEN, bad: RED}
const STATE: Record<string, string> = {MASTER: `${BOLD}${GREEN}`, BACKUP: YELLOW, FAULT: `${BOLD}${RED}`, UNKNOWN: ''}

function put(el: blessed.Widgets.BlessedElement, text: string): void {
  // setContent without clearPos (as the bond screen): the element is drawn again in place, filling its box
  ;(el as unknown as {setContent(text: string, noClear: boolean): void}).setContent(text, true)
}

const NODE_H = 5
const HEADER_H = 5
const CLIENT_H = 5
const CLOCK_H = 7
const STRIP_PREFIX = 'adverts '.length

interface Widgets {
  header: blessed.Widgets.BoxElement
  nodes: blessed.Widgets.BoxElement[]
  client: blessed.Widgets.BoxElement
  clock: blessed.Widgets.BoxElement
  budget: blessed.Widgets.BoxElement
  phases: blessed.Widgets.BoxElement
  log: blessed.Widgets.BoxElement
  footer: blessed.Widgets.BoxElement
}

function red(s: string): string {
  return s.replace(/[✗!]+/g, (m) => `${RED}${m}${RESET}`)
}

export function createFailoverDashboard(io: FailoverScreenIo = {}): FailoverDashboard {
  const screen = blessed.screen({
    smartCSR: true,
    fullUnicode: false,
    forceUnicode: true,
    autoPadding: true,
    warnings: false,
    title: 'hachaos failover',
    // @types/blessed swaps the stream types of input and output; the runtime wants input readable, output writable
    ...(io.input === undefined ? {} : {input: io.input as unknown as Writable}),
    ...(io.output === undefined ? {} : {output: io.output as unknown as Readable}),
    ...(io.terminal === undefined ? {} : {terminal: io.terminal}),
  })
  // With a UTF-8 locale, box lines and the strips' dots are written as Unicode rather than through the
  // terminal's alternate character set (blessed otherwise turns '·' into ACS '~'): no charset switches in
  // every redrawn line, and `tmux capture-pane` reads the screen as it looks.
  const env = process.env
  if (/utf-?8/i.test(env['LC_ALL'] ?? env['LC_CTYPE'] ?? env['LANG'] ?? '')) (screen as unknown as {tput: {brokenACS: boolean}}).tput.brokenACS = true
  const handlers: Array<(k: FailoverKey) => void> = []
  const emit = (k: FailoverKey): void => {
    for (const h of handlers) h(k)
  }
  screen.key(['q', 'C-c'], () => emit('abort'))
  screen.key(['r'], () => emit('end-hold'))
  screen.key(['p'], () => emit('pause'))

  let w: Widgets | null = null
  let nodeCount = -1
  let last: FailoverViewModel | null = null
  /** The plain text last written to each box (compared before any work). */
  const shown = new Map<blessed.Widgets.BlessedElement, string>()
  let dirty: Set<blessed.Widgets.BlessedElement> | null = null

  const box = (o: blessed.Widgets.BoxOptions): blessed.Widgets.BoxElement => blessed.box({parent: screen, border: {type: 'line'}, style: {border: {fg: 'cyan'}}, tags: false, wrap: false, ...o})
  const build = (n: number): Widgets => {
    for (const c of [...screen.children]) c.detach()
    shown.clear()
    const rows = screen.height as number
    const k = Math.max(1, n)
    const nodeW = Math.floor(100 / k)
    const header = box({top: 0, left: 0, width: '100%', height: HEADER_H, label: ' hachaos failover '})
    const nodes: Widgets['nodes'] = []
    for (let i = 0; i < k; i++) nodes.push(box({top: HEADER_H, left: `${i * nodeW}%`, width: i === k - 1 ? `${100 - i * nodeW}%` : `${nodeW}%`, height: NODE_H, label: ' node '}))
    const clientTop = HEADER_H + NODE_H
    const client = box({top: clientTop, left: 0, width: '100%', height: CLIENT_H, label: ' client '})
    const clockTop = clientTop + CLIENT_H
    const clock = box({top: clockTop, left: 0, width: '50%', height: CLOCK_H, label: ' outage clock '})
    const budget = box({top: clockTop, left: '50%', width: '50%', height: CLOCK_H, label: ' budget '})
    const lowTop = clockTop + CLOCK_H
    const lowH = Math.max(3, rows - 1 - lowTop)
    const phases = box({top: lowTop, left: 0, width: '40%', height: lowH, label: ' phases '})
    const log = box({top: lowTop, left: '40%', width: '60%', height: lowH, label: ' events '})
    const footer = blessed.box({parent: screen, bottom: 0, left: 0, width: '100%', height: 1, style: {fg: 'black', bg: 'cyan'}, tags: false})
    return {header, nodes, client, clock, budget, phases, log, footer}
  }

  const setText = (el: blessed.Widgets.BoxElement, plain: string, color: (s: string) => string = (s) => s): void => {
    if (shown.get(el) === plain) return
    shown.set(el, plain)
    put(el, color(plain))
    dirty?.add(el)
  }
  const setLabel = (el: blessed.Widgets.BoxElement, label: string): void => {
    const cur = (el as unknown as {_label?: {getContent(): string}})._label?.getContent()
    if (cur === label) return
    el.setLabel(label)
    dirty?.add(el)
  }
  /** The last `h` lines that fit a box of height h+2. */
  const tail = (el: blessed.Widgets.BoxElement, lines: string[]): string => {
    const h = Math.max(0, (el.height as number) - 2)
    const wdt = Math.max(0, (el.width as number) - 3)
    return lines
      .slice(-h)
      .map((l) => l.slice(0, wdt))
      .join('\n')
  }

  const apply = (vm: FailoverViewModel): void => {
    if (w === null || vm.nodes.length !== nodeCount) {
      nodeCount = vm.nodes.length
      w = build(nodeCount)
      dirty = null
    }
    const ww = w
    setLabel(ww.header, ` ${vm.title} `)
    setText(ww.header, [...vm.header, vm.alert ?? ''].join('\n'), (s) => (vm.alert === null ? s : s.replace(vm.alert, `${BOLD}${RED}${vm.alert}${RESET}`)))
    vm.nodes.forEach((n, i) => {
      const el = ww.nodes[i]
      if (el === undefined) return
      setLabel(el, n.label)
      setText(el, n.lines.join('\n'), (s) => s.replace(n.state, `${STATE[n.state] ?? ''}${n.state}${RESET}`))
    })
    setLabel(ww.client, vm.client.label.slice(0, Math.max(0, (ww.client.width as number) - 3)))
    setText(ww.client, vm.client.lines.join('\n'), red)
    const tone = TONE[vm.clock.tone]
    setText(ww.clock, vm.clock.lines.join('\n'), (s) => (tone === '' ? s : `${tone}${s}${RESET}`))
    const btone = TONE[vm.budget.tone]
    setText(ww.budget, vm.budget.lines.join('\n'), (s) => (btone === '' ? s : s.replace(/\n(still affords[^\n]*)$/, `\n${btone}$1${RESET}`)))
    setText(ww.phases, tail(ww.phases, vm.phases))
    setText(ww.log, tail(ww.log, vm.log), (s) => s.replace(/^.*(SPLIT BRAIN|FAILED).*$/gm, (m) => `${RED}${m}${RESET}`))
    setText(ww.footer, ` ${vm.footer}`)
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
      if (dirty === null) {
        renderAll()
        return
      }
      if (dirty.size === 0) return
      // only the rows of the boxes drawn now are compared with the terminal's and written
      let top = Infinity
      let bottom = -1
      for (const el of dirty) {
        el.render()
        const pos = (el as unknown as {lpos?: {yi: number; yl: number}}).lpos
        if (pos === undefined) {
          top = 0
          bottom = (screen.height as number) - 1
          continue
        }
        top = Math.min(top, pos.yi)
        bottom = Math.max(bottom, pos.yl - 1)
      }
      dirty.clear()
      screen.draw(Math.max(0, top), Math.min((screen.height as number) - 1, bottom))
    },
    onKey(h) {
      handlers.push(h)
    },
    cells(n) {
      const cols = screen.width as number
      const k = Math.max(1, n)
      const nodeW = Math.floor((cols * Math.floor(100 / k)) / 100)
      return {nodeCells: Math.max(0, nodeW - 3 - STRIP_PREFIX), probeCells: Math.max(0, cols - 3)}
    },
    text() {
      const lines = (screen as unknown as {lines: Array<Array<[number, string]>>}).lines
      return lines.map((row) => row.map((cell) => cell[1]).join('').replace(/\s+$/, ''))
    },
    destroy() {
      screen.destroy()
    },
  }
}
