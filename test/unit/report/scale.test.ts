/**
 * The report at 5,000 drills (issue 11 item 3), on summaries as the run store gives them (no events): events are
 * loaded only for the drills whose timeline is drawn — the failing ones and the worst --timelines N — the HTML
 * says what it left out and stays under 5 MB. Counts, not timings (the timings are in `npm run bench`).
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {htmlRenderer} from '../../../reports/html.js'
import {textRenderer} from '../../../reports/text.js'
import {buildReport, DEFAULT_TIMELINES, MAX_FAILING_TIMELINES, type ReportRun} from '../../../src/report/model.js'
import type {DrillRun} from '../../../src/store/run-types.js'
import {labRuns} from '../../bench/report.js'

const N = 5000
const bases = labRuns().filter((r) => r.reverted)
const t0 = Date.parse('2026-06-01T00:00:00Z')

/** N summaries (no events) from the recorded lab runs, every `failEvery`th not reverted (a failing drill). */
function summaries(n: number, failEvery = 100): {runs: ReportRun[]; failing: number} {
  let failing = 0
  const runs: ReportRun[] = []
  for (let i = 0; i < n; i++) {
    const b = bases[i % bases.length] as DrillRun
    const {events, ...rest} = b
    const start = t0 + i * 1_800_000
    const shift = (start - Date.parse(b.startedAt)) * 1000
    const notReverted = i % failEvery === 7
    if (notReverted) failing++
    runs.push({
      ...rest,
      id: `run-${i}`,
      startedAt: new Date(start).toISOString(),
      endedAt: new Date(start + 20_000).toISOString(),
      metrics: {...b.metrics, faultAtUs: b.metrics.faultAtUs + shift, revertAtUs: (b.metrics.revertAtUs ?? 0) + shift, outageMs: (b.metrics.outageMs ?? 0) * (0.5 + (i % 97) / 97)},
      reverted: !notReverted,
      revertError: notReverted ? 'generated' : null,
      eventCount: events.length,
    })
  }
  return {runs, failing}
}

describe('report over 5,000 drills', () => {
  const {runs, failing} = summaries(N)
  const loaded: string[] = []
  const byId = new Map(runs.map((r, i) => [r.id, bases[i % bases.length] as DrillRun]))
  const m = buildReport(runs, {
    nowMs: t0 + N * 1_800_000,
    loadEvents: (r) => {
      loaded.push(r.id)
      const b = byId.get(r.id) as DrillRun
      const shift = r.metrics.faultAtUs - b.metrics.faultAtUs
      return b.events.map((e) => ({...e, t: e.t + shift}))
    },
  })

  it('draws timelines for the failing drills and the worst N others, and loads no other events', () => {
    assert.ok(failing <= MAX_FAILING_TIMELINES)
    const drawn = m.drills.filter((d) => d.timeline !== null)
    assert.equal(drawn.length, failing + DEFAULT_TIMELINES)
    assert.equal(loaded.length, failing + DEFAULT_TIMELINES)
    assert.deepEqual(new Set(loaded), new Set(drawn.map((d) => d.id)))
    assert.equal(drawn.filter((d) => d.verdict === 'fail').length, failing)
    // the worst: no undrawn non-failing drill has a larger client downtime than a drawn one
    const minDrawn = Math.min(...drawn.filter((d) => d.verdict !== 'fail').map((d) => d.downtimeMs ?? 0))
    const maxLeft = Math.max(...m.drills.filter((d) => d.timeline === null).map((d) => d.downtimeMs ?? 0))
    assert.ok(maxLeft <= minDrawn, `${maxLeft} ≤ ${minDrawn}`)
    assert.equal(m.timelines.leftOut, N - failing - DEFAULT_TIMELINES)
  })

  it('the HTML: one timeline per drawn drill, one row per drill, a trend plot and histograms per fault, the left-out sentence, < 5 MB', () => {
    const h = htmlRenderer.render(m)
    assert.equal((h.match(/<svg class="timeline"/g) ?? []).length, failing + DEFAULT_TIMELINES)
    assert.equal((h.match(/<section class="drill"/g) ?? []).length, failing + DEFAULT_TIMELINES)
    assert.equal((h.match(/<svg class="trend"/g) ?? []).length, m.byFault.length)
    assert.equal((h.match(/<svg class="histogram"/g) ?? []).length, 2 * m.byFault.length)
    for (const s of m.byFault) {
      const trend = new RegExp(`<svg class="trend" data-fault="${s.faultLabel}" data-drills="${s.count}"`)
      assert.match(h, trend)
    }
    const rows = h.slice(h.indexOf('<h2>Drills</h2>'), h.indexOf('<h2>Timelines</h2>')).match(/<tr>/g) ?? []
    assert.equal(rows.length, N + 1) // + the header
    assert.ok(h.includes(`${N - failing - DEFAULT_TIMELINES} other drills are left out here and listed one line each in the drills table`))
    assert.ok(h.length < 5e6, `${h.length} bytes`)
    assert.ok(!/<script/i.test(h))
  })

  it('--timelines 0 draws only the failing drills; the verdict names at most 10 drills and counts the rest', () => {
    const z = buildReport(runs, {nowMs: t0 + N * 1_800_000, timelines: 0, loadEvents: () => []})
    assert.equal(z.drills.filter((d) => d.timeline !== null).length, failing)
    assert.equal(z.verdict.status, 'fail')
    assert.ok(z.verdict.reasons.length <= 10 + 2)
    assert.ok(z.verdict.reasons.some((r) => r.includes(`and ${failing - 10} more failing drills`)))
  })

  it('at most MAX_FAILING_TIMELINES failing drills are drawn (the worst), and the sentence says how many were', () => {
    const many = summaries(N, 20)
    assert.ok(many.failing > MAX_FAILING_TIMELINES)
    const x = buildReport(many.runs, {
      nowMs: t0 + N * 1_800_000,
      loadEvents: (r) => {
        const b = bases[Number(r.id.slice(4)) % bases.length] as DrillRun
        return b.events.map((e) => ({...e, t: e.t + r.metrics.faultAtUs - b.metrics.faultAtUs}))
      },
    })
    assert.equal(x.drills.filter((d) => d.timeline !== null).length, MAX_FAILING_TIMELINES + DEFAULT_TIMELINES)
    assert.match(x.timelines.note, new RegExp(`^Timelines drawn for ${MAX_FAILING_TIMELINES} of the ${many.failing} failing drills \\(the worst; at most ${MAX_FAILING_TIMELINES}\\)`))
    assert.ok(htmlRenderer.render(x).length < 5e6)
  })

  it('the text report: one line per drill, at most 120 columns', () => {
    const t = textRenderer.render(m)
    assert.ok(Math.max(...t.split('\n').map((l) => [...l].length)) <= 120)
    assert.equal(t.split('\n').filter((l) => /^ {2}2026-\d\d-\d\d \d\d:\d\d:\d\d /.test(l)).length, N)
  })
})
