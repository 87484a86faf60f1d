/**
 * One self-contained HTML file: inline CSS, summary tables, trend plots per fault (the measured figure and the
 * client outage of every drill over time, with the prediction band), a histogram per fault, one line per drill,
 * and an inline SVG timeline (fault moment and revert, VRRP adverts per source, gratuitous ARPs, probes, the
 * client-side outage shaded) only for the drills the model selected (failing + the worst --timelines N), so the
 * page stays small at thousands of drills (a few MB at 5,000: see `npm run bench`). No scripts, no external
 * assets, no web fonts. Built by hand with an escape function: the output is one static page and no HTML
 * templating library is installed; every value goes through esc().
 */
import * as f from '../src/report/format.js'
import {niceStep, type DrillSummary, type DrillTimeline, type FaultStats, type Histogram, type ReportModel} from '../src/report/model.js'
import type {Renderer} from '../src/report/renderer.js'
import {budgetTable, drillsTable, faultTable, headerLines, splitBrainTable, SPLIT_BRAIN_ROWS, type Table} from './tables.js'

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px;color:#1d232a;background:#fff}
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{font-size:14px;margin:18px 0 4px}
table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid #d0d7de;padding:3px 8px;vertical-align:top}
th{background:#f3f5f7;text-align:left}td.r{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#57606a;font-size:12px}.meta{color:#57606a;margin:0;padding-left:18px}
.verdict{padding:10px 14px;border-radius:6px;margin:16px 0;font-weight:600}
.verdict.pass{background:#dafbe1}.verdict.warn{background:#fff8c5}.verdict.fail{background:#ffebe9}.verdict.none{background:#f3f5f7}
.verdict ul{font-weight:400;margin:6px 0 0}
.fail-cell{color:#cf222e;font-weight:600}
svg.timeline{display:block;border:1px solid #d0d7de;background:#fbfcfd;margin:6px 0}
svg .lane-label{font-size:11px;fill:#424a53}svg .axis text{font-size:10px;fill:#57606a}svg .axis line{stroke:#d0d7de}
svg .lane-line{stroke:#e6e9ed}
svg .advert{fill:#0969da}svg .advert.prio0{fill:#fff;stroke:#0969da;stroke-width:1.5}
svg .garp{fill:#8250df}
svg .probe.ok{stroke:#1a7f37}svg .probe.fail{stroke:#cf222e}
svg .outage{fill:#cf222e;fill-opacity:.22;stroke:#cf222e;stroke-opacity:.6}
svg .split-brain{fill:#bc4c00;fill-opacity:.15}
svg .fault{stroke:#cf222e;stroke-width:2}svg .revert{stroke:#0969da;stroke-width:2;stroke-dasharray:5 3}
svg .marker-label{font-size:10px}
svg.trend,svg.histogram{display:inline-block;border:1px solid #d0d7de;background:#fbfcfd;margin:6px 8px 6px 0;vertical-align:top}
svg .title{font-size:12px;fill:#1d232a;font-weight:600}svg .band{fill:#1a7f37;fill-opacity:.18}svg .band-edge{stroke:#1a7f37;stroke-width:1.5}
svg .pts-measured{stroke:#0969da;stroke-width:4;stroke-linecap:round;stroke-opacity:.55}svg .pts-outage{stroke:#cf222e;stroke-width:4;stroke-linecap:round;stroke-opacity:.7}
svg .bar{fill:#0969da;fill-opacity:.75}svg .bar.outage-bar{fill:#cf222e}
svg .legend{font-size:10px;fill:#424a53}
`

let tableNo = 0

/** A table; right-aligned columns by one CSS rule per table instead of an attribute on every cell. */
function table(t: Table, failCol?: number): string {
  const id = `t${++tableNo}`
  const right = [...t.right].map((i) => `#${id} td:nth-child(${i + 1})`).join(',')
  const style = right === '' ? '' : `<style>${right}{text-align:right;font-variant-numeric:tabular-nums}</style>\n`
  const head = `<tr>${t.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`
  const rows = t.rows.map((r) => `<tr>${r.map((c, i) => (i === failCol && c === 'FAIL' ? `<td class="fail-cell">${esc(c)}</td>` : `<td>${esc(c)}</td>`)).join('')}</tr>`).join('\n')
  return `<h2>${esc(t.title)}</h2>\n${style}<table id="${id}">\n${head}\n${rows}\n</table>${t.note === undefined ? '' : `\n<p class="note">${esc(t.note)}</p>`}`
}

const W = 960
const LEFT = 150
const RIGHT = 20
const LANE_H = 26
const TOP = 22

/** "nice" tick step in ms so that there are at most ~24 ticks, whatever the span (a clock jump can make it days). */
function tickStep(spanMs: number): number {
  for (const s of [100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000, 3_600_000]) if (spanMs / s <= 24) return s
  return niceStep(spanMs / 24)
}

const n2 = (v: number): string => v.toFixed(2)

/** The SVG timeline of one drill. Classes (advert, garp, probe ok|fail, outage, fault, revert) are what tests count. */
export function timelineSvg(d: DrillSummary, tl: DrillTimeline): string {
  const from = Math.min(tl.fromMs, -500)
  const to = Math.max(tl.toMs, 500)
  const plotW = W - LEFT - RIGHT
  const x = (t: number): number => LEFT + ((t - from) / (to - from)) * plotW
  const lanes = [...tl.advertLanes.map((l) => `adverts ${l.src}`), 'gratuitous ARP', 'probes']
  const H = TOP + lanes.length * LANE_H + 28
  const laneY = (i: number): number => TOP + i * LANE_H + LANE_H / 2
  const bottom = TOP + lanes.length * LANE_H
  const parts: string[] = []
  parts.push(`<title>${esc(`${d.target} ${d.faultLabel} at ${f.utc(d.startedAt)}: takeover ${f.ms(d.takeoverMs)}, outage ${f.ms(d.outageMs)}`)}</title>`)
  // axis
  const step = tickStep(to - from)
  const ticks: string[] = []
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) {
    const label = t === 0 ? '0' : `${t > 0 ? '+' : ''}${Number((t / 1000).toFixed(1))} s`
    ticks.push(`<line x1="${n2(x(t))}" y1="${TOP}" x2="${n2(x(t))}" y2="${bottom}"/><text x="${n2(x(t))}" y="${bottom + 14}" text-anchor="middle">${esc(label)}</text>`)
  }
  parts.push(`<g class="axis">${ticks.join('')}</g>`)
  // shaded regions under the marks
  for (const s of tl.splitBrain) {
    parts.push(`<rect class="split-brain" data-kind="${esc(s.kind)}" x="${n2(x(s.fromMs))}" y="${TOP}" width="${n2(Math.max(1, x(s.toMs) - x(s.fromMs)))}" height="${bottom - TOP}"><title>split brain (${esc(s.kind)})</title></rect>`)
  }
  for (const o of tl.outages) {
    parts.push(
      `<rect class="outage" data-from-ms="${n2(o.fromMs)}" data-to-ms="${n2(o.toMs)}" x="${n2(x(o.fromMs))}" y="${TOP}" width="${n2(Math.max(1, x(o.toMs) - x(o.fromMs)))}" height="${bottom - TOP}"><title>${esc(`outage ${f.ms(o.toMs - o.fromMs)}`)}</title></rect>`,
    )
  }
  // lanes
  lanes.forEach((name, i) => {
    parts.push(`<line class="lane-line" x1="${LEFT}" y1="${laneY(i)}" x2="${W - RIGHT}" y2="${laneY(i)}"/><text class="lane-label" x="${LEFT - 8}" y="${laneY(i) + 4}" text-anchor="end">${esc(name)}</text>`)
  })
  tl.advertLanes.forEach((l, i) => {
    const y = laneY(i)
    for (const mk of l.marks) {
      parts.push(`<circle class="advert${mk.prio === 0 ? ' prio0' : ''}" data-src="${esc(l.src)}" data-prio="${mk.prio}" cx="${n2(x(mk.tMs))}" cy="${y}" r="4"/>`)
    }
  })
  const gy = laneY(tl.advertLanes.length)
  for (const g of tl.garps) {
    const cx = x(g.tMs)
    parts.push(`<polygon class="garp" data-smac="${esc(g.smac)}" points="${n2(cx)},${gy - 6} ${n2(cx - 4)},${gy + 4} ${n2(cx + 4)},${gy + 4}"/>`)
  }
  const py = laneY(tl.advertLanes.length + 1)
  for (const p of tl.probes) {
    const px = n2(x(p.tMs))
    parts.push(`<line class="probe ${p.ok ? 'ok' : 'fail'}" x1="${px}" y1="${py - 7}" x2="${px}" y2="${py + 7}"/>`)
  }
  // fault and revert on top
  parts.push(`<line class="fault" x1="${n2(x(0))}" y1="${TOP - 6}" x2="${n2(x(0))}" y2="${bottom}"/><text class="marker-label" x="${n2(x(0) + 3)}" y="${TOP - 8}">fault</text>`)
  if (tl.revertMs !== null) {
    parts.push(`<line class="revert" x1="${n2(x(tl.revertMs))}" y1="${TOP - 6}" x2="${n2(x(tl.revertMs))}" y2="${bottom}"/><text class="marker-label" x="${n2(x(tl.revertMs) + 3)}" y="${TOP - 8}">revert</text>`)
  }
  return `<svg class="timeline" data-drill="${esc(d.id)}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img">\n${parts.join('\n')}\n</svg>`
}

const TW = 480
const TH = 200
const HW = 300
const PAD = {l: 56, r: 12, t: 22, b: 30}

/** Round numbers for an axis: about `n` ticks from lo to hi. */
function axisTicks(lo: number, hi: number, n: number): number[] {
  const raw = (hi - lo) / n
  const p = 10 ** Math.floor(Math.log10(raw > 0 ? raw : 1))
  const step = [1, 2, 5, 10].map((k) => k * p).find((s) => s >= raw) ?? 10 * p
  const out: number[] = []
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(v)
  return out
}

const msLabel = (v: number): string => (Math.abs(v) >= 1000 ? `${Number((v / 1000).toFixed(2))} s` : `${Number(v.toFixed(0))} ms`)
const n1 = (v: number): string => v.toFixed(1)

/**
 * Every drill of a fault over time: the measured figure (blue) and the client outage (red), one dot each, on
 * the predicted range (green band, dashed ± tolerance). Dots are zero-length path segments with round caps:
 * one path per series, about 14 bytes per drill.
 */
function trendSvg(m: ReportModel, s: FaultStats): string {
  const ds = m.drills.filter((d) => d.faultLabel === s.faultLabel)
  const times = ds.map((d) => Date.parse(d.startedAt))
  let t0 = Infinity
  let t1 = -Infinity
  let vmax = 0
  for (const t of times) {
    t0 = Math.min(t0, t)
    t1 = Math.max(t1, t)
  }
  if (t1 - t0 < 60_000) {
    t0 -= 30_000
    t1 += 30_000
  }
  const tol = ds.reduce((a, d) => Math.max(a, d.toleranceMs), 0)
  for (const d of ds) vmax = Math.max(vmax, d.measuredMs ?? 0, d.outageMs ?? 0)
  vmax = Math.max(vmax, (s.predictedMaxMs ?? 0) + tol) * 1.08 || 1000
  const x = (t: number): number => PAD.l + ((t - t0) / (t1 - t0)) * (TW - PAD.l - PAD.r)
  const y = (v: number): number => TH - PAD.b - (v / vmax) * (TH - PAD.t - PAD.b)
  const parts: string[] = [`<title>${esc(`${s.faultLabel}: ${s.measuredLabel} and client outage per drill over time`)}</title>`, `<text class="title" x="${PAD.l}" y="14">${esc(`${s.measuredLabel} (blue), client outage (red)`)}</text>`]
  const ticks = axisTicks(0, vmax, 4)
  parts.push(`<g class="axis">${ticks.map((v) => `<line x1="${PAD.l}" y1="${n1(y(v))}" x2="${TW - PAD.r}" y2="${n1(y(v))}"/><text x="${PAD.l - 4}" y="${n1(y(v) + 3)}" text-anchor="end">${esc(msLabel(v))}</text>`).join('')}`)
  parts.push(`<text x="${PAD.l}" y="${TH - 8}">${esc(f.utc(t0))}</text><text x="${TW - PAD.r}" y="${TH - 8}" text-anchor="end">${esc(f.utc(t1))}</text></g>`)
  if (s.predictedMinMs !== null && s.predictedMaxMs !== null) {
    // the band: the predicted range ± the tolerance (what the verdict accepts); solid lines: the range itself
    const top = y(s.predictedMaxMs + tol)
    const bot = y(Math.max(0, s.predictedMinMs - tol))
    parts.push(`<rect class="band" x="${PAD.l}" y="${n1(top)}" width="${TW - PAD.l - PAD.r}" height="${n1(Math.max(2, bot - top))}"><title>${esc(`predicted ${f.predicted(s.predictedMinMs, s.predictedMaxMs)} ± ${tol} ms`)}</title></rect>`)
    for (const v of new Set([s.predictedMinMs, s.predictedMaxMs])) parts.push(`<line class="band-edge" x1="${PAD.l}" y1="${n1(y(v))}" x2="${TW - PAD.r}" y2="${n1(y(v))}"/>`)
  }
  const series = (get: (d: DrillSummary) => number | null): string => {
    let path = ''
    ds.forEach((d, i) => {
      const v = get(d)
      if (v !== null) path += `M${n1(x(times[i] as number))} ${n1(y(v))}h0`
    })
    return path
  }
  const po = series((d) => d.outageMs)
  const pm = series((d) => d.measuredMs)
  if (po !== '') parts.push(`<path class="pts-outage" d="${po}"/>`)
  if (pm !== '') parts.push(`<path class="pts-measured" d="${pm}"/>`)
  return `<svg class="trend" data-fault="${esc(s.faultLabel)}" data-drills="${ds.length}" width="${TW}" height="${TH}" viewBox="0 0 ${TW} ${TH}" role="img">\n${parts.join('\n')}\n</svg>`
}

/** Bars of a histogram (Histogram from the model), with the predicted range shaded for the measured figure. */
function histogramSvg(h: Histogram | null, label: string, s: FaultStats, outage: boolean): string {
  if (h === null) return ''
  const lo = h.fromMs
  const hi = h.fromMs + h.binMs * h.counts.length
  const cmax = Math.max(1, ...h.counts)
  const x = (v: number): number => PAD.l + ((v - lo) / (hi - lo)) * (HW - PAD.l - PAD.r)
  const y = (c: number): number => TH - PAD.b - (c / cmax) * (TH - PAD.t - PAD.b)
  const parts: string[] = [`<title>${esc(`${s.faultLabel}: histogram of the ${label}`)}</title>`, `<text class="title" x="${PAD.l}" y="14">${esc(label)}</text>`]
  if (!outage && s.predictedMinMs !== null && s.predictedMaxMs !== null) {
    const a = x(Math.max(lo, s.predictedMinMs))
    const b = x(Math.min(hi, s.predictedMaxMs))
    parts.push(`<rect class="band" x="${n1(a)}" y="${PAD.t}" width="${n1(Math.max(2, b - a))}" height="${TH - PAD.t - PAD.b}"><title>${esc(`predicted ${f.predicted(s.predictedMinMs, s.predictedMaxMs)}`)}</title></rect>`)
  }
  const yt = axisTicks(0, cmax, 3).filter((v) => Number.isInteger(v))
  parts.push(`<g class="axis">${yt.map((c) => `<line x1="${PAD.l}" y1="${n1(y(c))}" x2="${HW - PAD.r}" y2="${n1(y(c))}"/><text x="${PAD.l - 4}" y="${n1(y(c) + 3)}" text-anchor="end">${c}</text>`).join('')}<text x="${PAD.l}" y="${TH - 8}">${esc(msLabel(lo))}</text><text x="${HW - PAD.r}" y="${TH - 8}" text-anchor="end">${esc(msLabel(hi))}</text></g>`)
  h.counts.forEach((c, i) => {
    if (c === 0) return
    const a = x(lo + i * h.binMs)
    const b = x(lo + (i + 1) * h.binMs)
    parts.push(`<rect class="bar${outage ? ' outage-bar' : ''}" data-count="${c}" x="${n1(a + 0.5)}" y="${n1(y(c))}" width="${n1(Math.max(1, b - a - 1))}" height="${n1(TH - PAD.b - y(c))}"><title>${esc(`${msLabel(lo + i * h.binMs)} … ${msLabel(lo + (i + 1) * h.binMs)}: ${c}`)}</title></rect>`)
  })
  return `<svg class="histogram" data-fault="${esc(s.faultLabel)}" width="${HW}" height="${TH}" viewBox="0 0 ${HW} ${TH}" role="img">\n${parts.join('\n')}\n</svg>`
}

function drillSection(d: DrillSummary, tl: DrillTimeline | null): string {
  const facts = [
    `${d.predicted.label} ${f.ms(d.measuredMs)} (predicted ${f.predicted(d.predicted.minMs ?? d.predicted.takeoverMs, d.predicted.maxMs ?? d.predicted.takeoverMs)}: ${d.predicted.formula})`,
    `outage ${f.ms(d.outageMs)}, ${d.lostProbes} of ${d.probesTotal} probes lost`,
    `failback ${f.ms(d.failbackMs)}, failback outage ${f.ms(d.failbackOutageMs)}`,
    d.reverted ? 'reverted' : `NOT reverted${d.revertError === null ? '' : `: ${d.revertError}`}`,
    ...d.verdictReasons.filter((r) => r.level !== 'info').map((r) => `${r.level.toUpperCase()}: ${r.text}`),
    ...d.warnings.map((w) => `warning: ${w}`),
    ...(d.timelineProblem === null ? [] : [d.timelineProblem]),
  ]
  return `<section class="drill" id="drill-${esc(d.id)}">
<h3>${esc(`${f.utc(d.startedAt)} · ${d.target} · ${d.faultLabel} · ${d.id}`)}${d.verdict === 'fail' ? ' <span class="fail-cell">FAIL</span>' : d.verdict === 'warn' ? ' WARN' : ''}</h3>
<p class="note">${facts.map(esc).join(' · ')}</p>
${tl === null ? '' : timelineSvg(d, tl)}
</section>`
}

export const htmlRenderer: Renderer = {
  format: 'html',
  mediaType: 'text/html; charset=utf-8',
  extension: 'html',
  render(m: ReportModel): string {
    tableNo = 0
    const body: string[] = [`<h1>hachaos report: ${m.drills.length} drill${m.drills.length === 1 ? '' : 's'}</h1>`, `<ul class="meta">${headerLines(m).map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`]
    const verdict = `<div class="verdict ${m.verdict.status}">Verdict: ${esc(m.verdict.status.toUpperCase())}<ul>${m.verdict.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul></div>`
    if (m.empty) {
      body.push(`<p class="verdict none">${esc(m.emptyMessage ?? '')}</p>`)
    } else {
      body.push(verdict, table(faultTable(m)), table(budgetTable(m)))
      body.push(m.splitBrain.length > 0 ? table(splitBrainTable(m, SPLIT_BRAIN_ROWS)) : '<h2>Split-brain findings</h2>\n<p>none</p>')
      body.push(
        '<h2>Trends per fault</h2>',
        '<p class="note">Left: every drill over time — blue: the figure the prediction is about, red: the client outage; green band: the predicted range ± the drill\'s tolerance (lines: the range itself). Right: histograms of the same two figures.</p>',
        ...m.byFault.map((s) => `<div class="fault-trend"><h3>${esc(`${s.faultLabel} (${s.count} drill${s.count === 1 ? '' : 's'})`)}</h3>${trendSvg(m, s)}${histogramSvg(s.measuredHistogram, `${s.measuredLabel}`, s, false)}${histogramSvg(s.outageHistogram, 'client outage', s, true)}</div>`),
      )
      body.push(table(drillsTable(m), 12))
      const drawn = m.drills.filter((d) => d.timeline !== null || d.timelineProblem !== null)
      body.push(
        '<h2>Timelines</h2>',
        `<p class="note timelines-note">${esc(m.timelines.note)}</p>`,
        '<p class="note">Time relative to the fault (red line; blue dashed: revert). Dots: VRRP adverts per source (hollow: priority 0). Triangles: gratuitous ARPs. Ticks: probes (green ok, red failed). Red band: client-side outage; orange band: split brain.</p>',
        ...drawn.map((d) => drillSection(d, d.timeline)),
      )
    }
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hachaos report ${esc(f.utc(m.generatedAt))}</title>
<style>${CSS}</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`
  },
}
