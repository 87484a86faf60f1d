/**
 * The failover dashboard's view model, pure: board state + UI state + "now" in, plain strings out (one list
 * of lines per box, plus a tone per box the screen turns into colour). The screen (failover-screen.ts) only
 * copies these into widgets, and redraws a box only when its strings changed.
 */
import {allowedDowntimeMs, formatDowntime, formatOutage, percentText} from '../sla/nines.js'
import {metricLabel} from '../store/run-metrics.js'
import {ADVERT, ADVERT_PRIO0, fmtRel, unpackProbeCell, type FailoverBoard, type VrrpState} from './failover-board.js'

export interface FailoverUi {
  paused: boolean
  /** Cells of strip that fit in a node box and in the client box (the screen says, from its layout). */
  nodeCells: number
  probeCells: number
  /** A transient message (a key's effect). */
  message: string | null
  /** Keys still act on a drill (false once it is over: q only exits). */
  live: boolean
}

export type Tone = 'idle' | 'running' | 'ok' | 'bad'

export interface NodeBox {
  label: string
  state: VrrpState
  lines: string[]
}

export interface FailoverViewModel {
  title: string
  header: string[]
  nodes: NodeBox[]
  client: {label: string; lines: string[]}
  clock: {label: string; lines: string[]; tone: Tone}
  budget: {lines: string[]; tone: Tone}
  phases: string[]
  log: string[]
  /** A split brain now, in red; null: none. */
  alert: string | null
  footer: string
}

/** Glyphs of the strips: an advert, a priority-0 advert, nothing; probe latency classes; a failed slot. */
export const GLYPH = {advert: '▮', prio0: '0', none: '·', failed: '✗', mixed: '!', noProbe: ' '} as const
const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█']

function clock(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString().slice(11, 21)
}

function secs(us: number, digits = 1): string {
  return `${(us / 1e6).toFixed(digits)} s`
}

/** The advert strip of a node: the completed slots ending before `now`'s slot. */
export function advertStrip(b: FailoverBoard, name: string, now: number, cells: number): string {
  const n = b.nodes.find((x) => x.name === name)
  if (n === undefined || cells <= 0) return ''
  const last = n.strip.slotOf(now) - 1
  let out = ''
  for (const c of n.strip.read(last, cells)) out += c & ADVERT ? GLYPH.advert : c & ADVERT_PRIO0 ? GLYPH.prio0 : GLYPH.none
  return out
}

/** The probe strip (completed slots): latency as bar height when all ok, ✗ when all failed, ! when mixed. */
export function probeStrips(b: FailoverBoard, now: number, cells: number): {probes: string; backends: string} {
  if (cells <= 0) return {probes: '', backends: ''}
  const last = b.probes.slotOf(now) - 1
  let probes = ''
  let backends = ''
  for (const c of b.probes.read(last, cells)) {
    const u = unpackProbeCell(c)
    probes += u.ok === 0 && u.failed === 0 ? GLYPH.noProbe : u.ok === 0 ? GLYPH.failed : u.failed > 0 ? GLYPH.mixed : (BARS[u.latClass] ?? '█')
    backends += u.backend === 0 ? ' ' : String(u.backend <= 9 ? u.backend : '+')
  }
  return {probes, backends}
}

/** The prediction clock: what the prediction is about, running or frozen, against the band. */
export function predictionClock(b: FailoverBoard, now: number): {text: string; tone: Tone; measuredUs: number | null} {
  const p = b.cfg.prediction
  const band = p.minMs !== null && p.maxMs !== null && Math.round(p.minMs) !== Math.round(p.maxMs) ? `${formatOutage(p.minMs)} … ${formatOutage(p.maxMs)}` : formatOutage(p.takeoverMs ?? p.maxMs ?? NaN)
  const lo = p.minMs ?? p.takeoverMs
  const hi = p.maxMs ?? p.takeoverMs
  const judge = (ms: number): {tone: Tone; word: string} => {
    if (lo === null || hi === null) return {tone: 'ok', word: 'no model'}
    const tol = b.cfg.toleranceMs
    if (ms < lo - tol) return {tone: 'bad', word: `${formatOutage(lo - ms)} under (±${tol} ms) ✗`}
    if (ms > hi + tol) return {tone: 'bad', word: `${formatOutage(ms - hi)} over (±${tol} ms) ✗`}
    return {tone: 'ok', word: `within ±${tol} ms ✓`}
  }
  const f = b.faultAtUs
  let anchor: number | null = null
  let from = ''
  if (p.metric === 'takeoverFromLastAdvertMs') {
    anchor = b.lastOldAdvertUs
    from = `from ${b.cfg.oldMaster ?? 'the old master'}'s last advert`
  } else if (p.metric === 'takeoverMs') {
    anchor = f
    from = 'from the fault'
  }
  const takeoverMetric = p.metric === 'takeoverFromLastAdvertMs' || p.metric === 'takeoverMs'
  if (takeoverMetric && f === null) return {text: `takeover ${from}:\n  predicted ${band}`, tone: 'idle', measuredUs: null}
  if (anchor !== null && f !== null && takeoverMetric) {
    if (b.takeoverUs !== null) {
      const ms = (b.takeoverUs - anchor) / 1000
      const j = judge(ms)
      return {text: `takeover ${from}:\n  ${formatOutage(ms)} of predicted ${band}: ${j.word}`, tone: j.tone, measuredUs: b.takeoverUs - anchor}
    }
    if (b.revertAtUs === null) return {text: `takeover ${from}:\n  ${secs(Math.max(0, now - anchor))} of predicted ${band} …`, tone: 'running', measuredUs: null}
    return {text: `takeover ${from}:\n  not seen (predicted ${band})`, tone: 'bad', measuredUs: null}
  }
  const fin = b.final
  if (fin !== null && fin.measuredMs !== null) {
    const j = judge(fin.measuredMs)
    return {text: `${metricLabel(p.metric)}: ${formatOutage(fin.measuredMs)} of predicted ${band} — ${j.word}`, tone: j.tone, measuredUs: fin.measuredMs * 1000}
  }
  return {text: `${metricLabel(p.metric)}: predicted ${band} (measured at the end of the run)`, tone: f === null ? 'idle' : 'running', measuredUs: null}
}

export function failoverViewModel(b: FailoverBoard, ui: FailoverUi, now: number): FailoverViewModel {
  const c = b.cfg
  const f = b.faultAtUs
  const elapsed = c.watch === true ? 'watching (no fault)' : f === null ? 'before the fault' : b.revertAtUs === null ? `fault held ${secs(now - f, 0)}` : `reverted at ${fmtRel(b.revertAtUs - f)}`
  const header = [
    `${c.watch === true ? `watch: ${c.fault}   VIP holder ${c.target || '—'} at the start` : `fault: ${c.fault}   target ${c.target}`}   VIP ${c.vip ?? '—'}${c.vrid === null ? '' : `   vrid ${c.vrid}`}   ${elapsed}`,
    `${c.prediction.formula}`,
  ]
  // Moments, not ages: a node box changes when something happens to the node (an advert, an ARP), not at
  // every tick (an age in tenths of a second would redraw every box ten times a second).
  const at = (us: number): string => (f === null ? clock(us) : fmtRel(us - f))
  const nodes: NodeBox[] = b.nodes.map((n) => {
    const state = b.stateOf(n, now)
    const last = n.lastAdvertUs === null ? 'none yet' : `${at(n.lastAdvertUs)}${n.lastPrio === 0 ? ' (priority 0)' : ''}`
    const arp = n.lastArpForVipUs === null ? 'no' : `${b.arpOwner?.who === n.name ? 'yes' : 'earlier'}, last ${at(n.lastArpForVipUs)}`
    if (n.cluster !== null && n.adverts === 0) {
      // a cluster node: crm_mon's view instead of adverts
      return {
        label: ` ${n.name} `,
        state,
        lines: [
          `${n.cluster.toUpperCase().padEnd(8)} ${n.ip ?? ''}   VIP ${n.ownsVip ? 'here' : '—'}`,
          `runs ${n.runs.length === 0 ? '—' : n.runs.join(', ')}`,
          `answers ARP for the VIP: ${arp}`,
        ],
      }
    }
    return {
      label: ` ${n.name} `,
      state,
      lines: [
        `${state.padEnd(7)} priority ${n.lastPrio ?? '—'}   ${n.ip ?? ''}   VIP ${n.ownsVip ? 'here' : '—'}`,
        `adverts ${advertStrip(b, n.name, now, ui.nodeCells)}`,
        `last advert ${last}   answers ARP for the VIP: ${arp}`,
      ],
    }
  })
  const strips = probeStrips(b, now, ui.probeCells)
  const snap = b.probeSnap
  const lp = snap.last
  const legend = b.backends.slice(0, 9).map((x, i) => `${i + 1}=${x}`).join(' ')
  const client = {
    label: ` client probes (${(c.probeSlotMs ?? 500) / 1000} s a cell: ▁…█ latency, ✗ failed, ! some failed) `,
    lines: [
      strips.probes,
      strips.backends,
      `ok ${snap.ok}   failed ${snap.failed}   last ${lp === null ? '—' : lp.ok ? `ok ${lp.latencyMs.toFixed(1)} ms from ${lp.backend ?? '?'}` : `FAILED (${lp.error ?? 'error'})`}   backends ${legend || '—'}`,
    ],
  }
  const clk = b.clockUs(now)
  const pred = predictionClock(b, now)
  const fin = b.final
  const clockLines: string[] = []
  let tone: Tone = 'idle'
  if (clk === null) clockLines.push(c.watch === true ? 'client outage: none since the start of the watch' : f === null ? 'client outage: — (no fault yet)' : 'client outage: none so far')
  else if (clk.running) {
    tone = 'running'
    clockLines.push(`client outage ${clk.kind === 'failback' ? '(failback) ' : ''}RUNNING  ${secs(clk.us)}   ${clk.failed} probes failed`)
  } else {
    clockLines.push(`${c.watch === true ? 'last client outage' : 'client outage'} ${formatOutage(clk.us / 1000)}   ${clk.failed} probes failed   (frozen)`)
    tone = 'ok'
  }
  clockLines.push(...pred.text.split('\n'))
  if (pred.tone === 'bad') tone = 'bad'
  else if (pred.tone === 'running') tone = 'running'
  const fb = b.failbackOutage
  if (fb !== null && fb.endUs !== null) clockLines.push(`failback outage ${formatOutage((fb.endUs - fb.startUs) / 1000)}`)
  if (fin !== null) {
    clockLines.push(`run verdict: ${fin.verdict.toUpperCase()}${fin.interrupted ? ' (interrupted)' : ''}${fin.outageMs === null ? '' : `   outage in the run: ${formatOutage(fin.outageMs)}`}`)
    tone = fin.verdict === 'fail' ? 'bad' : tone === 'running' ? 'ok' : tone
  }
  // while the clock runs the budget follows it to the tenth of a second (one redraw per tenth, not per ms)
  const budget = budgetLines(b, clk === null ? null : clk.running ? Math.floor(clk.us / 100_000) * 100 : clk.us / 1000)
  const phases = b.phases.map((p) => `${f === null ? '' : fmtRel(p.atUs - f).padStart(10)}  ${p.text}`)
  const alert = b.split === null ? null : `SPLIT BRAIN: ${b.split.parties.join(' + ')} ${b.split.why} (${secs(now - b.split.sinceUs)})`
  return {
    title: c.watch === true ? `hachaos watch — ${c.vip ?? c.target}` : `hachaos failover — ${c.target}`,
    header,
    nodes,
    client,
    clock: {label: ' outage clock ', lines: clockLines, tone},
    budget,
    phases,
    log: b.logLines(),
    alert,
    footer: footer(ui, c.watch === true),
  }
}

/**
 * The budget box: this outage as a share of the monthly budget of the objective, how many outages of this
 * size the month allows and still affords after what the recorded runs consumed this month, and that.
 * still affords = floor((budget − consumed this month − this outage) / this outage), with the same 1e-9
 * relative slack as failoversAffordable (src/sla/nines.ts).
 */
export function budgetFigures(b: FailoverBoard, outageMs: number | null): {budgetMs: number; sharePct: number | null; allows: number | null; stillAffords: number | null; consumedMs: number} {
  const budgetMs = allowedDowntimeMs(b.cfg.availability, 'month')
  const consumedMs = b.cfg.monthConsumedMs
  if (outageMs === null || outageMs <= 0) return {budgetMs, sharePct: null, allows: null, stillAffords: null, consumedMs}
  const fit = (q: number): number => Math.max(0, Math.floor(q * (1 + 1e-9)))
  return {
    budgetMs,
    sharePct: (outageMs / budgetMs) * 100,
    allows: fit(budgetMs / outageMs),
    stillAffords: fit((budgetMs - consumedMs - outageMs) / outageMs),
    consumedMs,
  }
}

function budgetLines(b: FailoverBoard, outageMs: number | null): {lines: string[]; tone: Tone} {
  const c = b.cfg
  const x = budgetFigures(b, outageMs)
  const used = `this month: ${x.consumedMs === 0 ? '0 s' : formatOutage(x.consumedMs)} used by ${c.monthRuns} recorded run${c.monthRuns === 1 ? '' : 's'} (${((x.consumedMs / x.budgetMs) * 100).toFixed(2)} %)`
  if (outageMs === null || x.sharePct === null) {
    return {lines: [`${percentText(c.availability)} % monthly budget: ${formatDowntime(x.budgetMs)}`, used, 'this outage: none yet'], tone: x.consumedMs > x.budgetMs ? 'bad' : 'idle'}
  }
  return {
    lines: [
      `${percentText(c.availability)} % monthly budget: ${formatDowntime(x.budgetMs)}`,
      `this outage ${formatOutage(outageMs)} = ${x.sharePct.toFixed(3)} % of it; the month allows ${x.allows} of these`,
      used,
      `still affords ${x.stillAffords} more of this size this month`,
    ],
    tone: x.stillAffords === 0 ? 'bad' : 'ok',
  }
}

function footer(ui: FailoverUi, watch: boolean): string {
  const keys = watch ? ['q stop the watch (exit 0)', `p ${ui.paused ? 'resume' : 'pause'}`] : ui.live ? ['q abort (revert now, exit 130)', 'r end the hold (revert now)', `p ${ui.paused ? 'resume' : 'pause'}`] : ['q exit', `p ${ui.paused ? 'resume' : 'pause'}`]
  return [...keys, ...(ui.paused ? ['PAUSED'] : []), ...(ui.message === null ? [] : [ui.message])].join('  ·  ')
}
