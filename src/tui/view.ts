/**
 * The bond dashboard's view model, pure: collector state + UI state in, plain strings and numbers out.
 * The screen (screen.ts) only copies these into widgets.
 */
import type {CollectorState, MemberSample} from './collector.js'

export interface UiState {
  paused: boolean
  /** Load run status line (null: no load configured). */
  load: string | null
  /** A transient message (an error from the collector, a key hint). */
  message: string | null
  intervalMs: number
  /** Time labels under the charts (line charts show them; sparklines do not: skip the work). */
  chartLabels?: boolean
}

export interface ChartSeries {
  title: string
  x: string[]
  y: number[]
}

export interface ChartModel {
  member: string
  active: boolean
  title: string
  series: [ChartSeries, ChartSeries]
}

export interface ViewModel {
  title: string
  header: string[]
  table: {headers: string[]; rows: string[][]}
  charts: ChartModel[]
  imbalance: {percent: number; label: string; lines: string[]}
  log: string[]
  footer: string
}

export const ACTIVE_MARK = '*'

export function mbit(bytesPerS: number | null): string {
  return bytesPerS === null ? '—' : ((bytesPerS * 8) / 1e6).toFixed(1)
}

function pps(x: number | null): string {
  return x === null ? '—' : x >= 10_000 ? `${(x / 1000).toFixed(0)}k` : x.toFixed(0)
}

function clock(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString().slice(11, 23)
}

function ms(x: number | null): string {
  return x === null ? '?' : `${x} ms`
}

function shares(sh: Record<string, number>): string {
  const v = Object.values(sh)
  return v.length === 0 ? '—' : v.map((x) => `${(x * 100).toFixed(0)}`).join('/')
}

export function memberRow(m: MemberSample): string[] {
  const errs = [m.rxErrors, m.txErrors, m.rxDropped, m.txDropped].map((x) => x ?? 0).reduce((a, b) => a + b, 0)
  return [
    m.active ? ACTIVE_MARK : ' ',
    m.name,
    m.mii,
    m.carrier === null ? '?' : m.carrier ? 'up' : 'down',
    `${m.speedMbps === null ? '?' : m.speedMbps}/${m.duplex ?? '?'}`,
    String(m.linkFailures ?? '?'),
    m.state ?? '—',
    m.aggregatorId === null ? '—' : String(m.aggregatorId),
    m.partnerMac ?? '—',
    mbit(m.rxBytesPerS),
    mbit(m.txBytesPerS),
    pps(m.rxPacketsPerS),
    pps(m.txPacketsPerS),
    String(errs),
  ]
}

export const TABLE_HEADERS = [' ', 'member', 'MII', 'carrier', 'speed', 'fail', 'state', 'agg', 'partner', 'rx Mb/s', 'tx Mb/s', 'rx p/s', 'tx p/s', 'err+drop']

export function viewModel(st: CollectorState, ui: UiState): ViewModel {
  const s = st.latest
  if (s === null) {
    return {
      title: 'hachaos bond monitor',
      header: ['waiting for the first reading …'],
      table: {headers: TABLE_HEADERS, rows: []},
      charts: [],
      imbalance: {percent: 0, label: '—', lines: []},
      log: [],
      footer: footer(ui),
    }
  }
  const h = s.header
  const header = [
    `${s.bond} on ${s.host}   mode ${h.mode ?? '?'}   MII ${h.miiStatus ?? '?'}${h.activeSlave === null ? '' : `   active ${h.activeSlave}`}${h.primary === null ? '' : `   primary ${h.primary}`}`,
    `hash ${h.xmitHashPolicy ?? '—'}   miimon ${ms(h.miimonMs)}   updelay ${ms(h.updelayMs)}   downdelay ${ms(h.downdelayMs)}   lacp_rate ${h.lacpRate ?? '—'}${h.arpIntervalMs === null ? '' : `   ARP ${h.arpIntervalMs} ms → ${h.arpTargets.join(',') || '—'}`}${h.activeAggregator === null ? '' : `   aggregator ${h.activeAggregator} (partner ${h.partnerMac ?? '?'})`}`,
    `bond rx ${mbit(s.bondRates?.rxBytesPerS ?? null)} Mbit/s   tx ${mbit(s.bondRates?.txBytesPerS ?? null)} Mbit/s   ${s.dtS === null ? '' : `over ${s.dtS.toFixed(2)} s (${s.clock ?? '?'} clock)`}   ${s.time.slice(11, 23)}`,
  ]
  // Charts show completed history steps only (the newest point is the running mean of the step still being
  // filled): they change once a step, as bmon's graphs do, and the screen redraws them once a second rather
  // than at every reading. The live rates are in the table; the chart titles name the member and its state.
  const done = Math.max(0, st.times.length - 1)
  const labels = ui.chartLabels === false ? [] : st.times.slice(0, done).map((t) => clock(t).slice(3, 8))
  const charts: ChartModel[] = s.members.map((m) => {
    const hist = st.history.get(m.name) ?? {rx: [], tx: []}
    const toMbit = (a: number[]): number[] => a.slice(0, done).map((b) => (b * 8) / 1e6)
    return {
      member: m.name,
      active: m.active,
      title: `${m.active ? `${ACTIVE_MARK} ` : ''}${m.name} ${m.mii}`,
      series: [
        {title: 'rx', x: labels, y: toMbit(hist.rx)},
        {title: 'tx', x: labels, y: toMbit(hist.tx)},
      ],
    }
  })
  const im = s.imbalance
  const worst = im === null ? 0 : Math.max(im.rx ?? 0, im.tx ?? 0)
  const imb = {
    percent: Math.round(worst * 100),
    label: im === null ? 'waiting' : im.verdict === 'idle' ? 'idle' : im.byDesign ? `${im.verdict} (by design)` : im.verdict,
    lines: im === null ? [] : [`rx share ${shares(im.rxShare)} %`, `tx share ${shares(im.txShare)} %`, im.note],
  }
  const log = st.events.slice(-100).map((e) => `${clock(e.t)} ${e.message}`)
  return {
    title: `hachaos bond monitor — ${s.bond} on ${s.host}`,
    header,
    table: {headers: TABLE_HEADERS, rows: s.members.map(memberRow)},
    charts,
    imbalance: imb,
    log,
    footer: footer(ui),
  }
}

function footer(ui: UiState): string {
  return [
    'q quit',
    `p ${ui.paused ? 'resume' : 'pause'}`,
    ui.load === null ? 'l load (no clients known)' : `l load: ${ui.load}`,
    `every ${(ui.intervalMs / 1000).toFixed(1)} s`,
    ...(ui.paused ? ['PAUSED'] : []),
    ...(ui.message === null ? [] : [ui.message]),
  ].join('  ·  ')
}
