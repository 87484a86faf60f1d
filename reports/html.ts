/**
 * One self-contained HTML file: inline CSS, tables, and one inline SVG timeline per drill (fault moment and
 * revert, VRRP adverts per source, gratuitous ARPs, probes, the client-side outage shaded). No scripts, no
 * external assets, no web fonts. Built by hand with an escape function: the output is one static page and no
 * HTML templating library is installed; every value goes through esc().
 */
import * as f from '../src/report/format.js'
import type {DrillSummary, DrillTimeline, ReportModel} from '../src/report/model.js'
import type {Renderer} from '../src/report/renderer.js'
import {budgetTable, drillsTable, faultTable, headerLines, splitBrainTable, type Table} from './tables.js'

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
`

function table(t: Table, failCol?: number): string {
  const head = `<tr>${t.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`
  const rows = t.rows
    .map((r) => `<tr>${r.map((c, i) => `<td${t.right.has(i) ? ' class="r"' : i === failCol && c === 'FAIL' ? ' class="fail-cell"' : ''}>${esc(c)}</td>`).join('')}</tr>`)
    .join('\n')
  return `<h2>${esc(t.title)}</h2>\n<table>\n${head}\n${rows}\n</table>${t.note === undefined ? '' : `\n<p class="note">${esc(t.note)}</p>`}`
}

const W = 960
const LEFT = 150
const RIGHT = 20
const LANE_H = 26
const TOP = 22

/** "nice" tick step in ms so that there are at most ~24 ticks. */
function tickStep(spanMs: number): number {
  for (const s of [100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000]) if (spanMs / s <= 24) return s
  return 3_600_000
}

const n2 = (v: number): string => v.toFixed(2)

/** The SVG timeline of one drill. Classes (advert, garp, probe ok|fail, outage, fault, revert) are what tests count. */
export function timelineSvg(d: DrillSummary): string {
  const tl: DrillTimeline = d.timeline
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

function drillSection(d: DrillSummary): string {
  const facts = [
    `${d.predicted.label} ${f.ms(d.measuredMs)} (predicted ${f.predicted(d.predicted.minMs ?? d.predicted.takeoverMs, d.predicted.maxMs ?? d.predicted.takeoverMs)}: ${d.predicted.formula})`,
    `outage ${f.ms(d.outageMs)}, ${d.lostProbes} of ${d.probesTotal} probes lost`,
    `failback ${f.ms(d.failbackMs)}, failback outage ${f.ms(d.failbackOutageMs)}`,
    d.reverted ? 'reverted' : `NOT reverted${d.revertError === null ? '' : `: ${d.revertError}`}`,
    ...d.gateFailures.map((g) => `FAIL: ${g}`),
    ...d.warnings.map((w) => `warning: ${w}`),
  ]
  return `<section class="drill" id="drill-${esc(d.id)}">
<h3>${esc(`${f.utc(d.startedAt)} · ${d.target} · ${d.faultLabel}`)}${d.gateFailures.length > 0 ? ' <span class="fail-cell">FAIL</span>' : ''}</h3>
<p class="note">${facts.map(esc).join(' · ')}</p>
${timelineSvg(d)}
</section>`
}

export const htmlRenderer: Renderer = {
  format: 'html',
  mediaType: 'text/html; charset=utf-8',
  extension: 'html',
  render(m: ReportModel): string {
    const body: string[] = [`<h1>hachaos report: ${m.drills.length} drill${m.drills.length === 1 ? '' : 's'}</h1>`, `<ul class="meta">${headerLines(m).map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`]
    const verdict = `<div class="verdict ${m.verdict.status}">Verdict: ${esc(m.verdict.status.toUpperCase())}<ul>${m.verdict.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul></div>`
    if (m.empty) {
      body.push(`<p class="verdict none">${esc(m.emptyMessage ?? '')}</p>`)
    } else {
      body.push(verdict, table(drillsTable(m), 11), table(faultTable(m)), table(budgetTable(m)))
      body.push(m.splitBrain.length > 0 ? table(splitBrainTable(m)) : '<h2>Split-brain findings</h2>\n<p>none</p>')
      body.push(
        '<h2>Timelines</h2>',
        '<p class="note">Time relative to the fault (red line; blue dashed: revert). Dots: VRRP adverts per source (hollow: priority 0). Triangles: gratuitous ARPs. Ticks: probes (green ok, red failed). Red band: client-side outage; orange band: split brain.</p>',
        ...m.drills.map(drillSection),
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
