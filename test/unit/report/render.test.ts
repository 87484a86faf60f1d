/**
 * Every format rendered from the fixture store (and from an empty store), checked for structure and numbers:
 * JUnit parsed with fast-xml-parser, OpenMetrics checked by `promtool check metrics` (Debian: prometheus).
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {describe, it} from 'node:test'

import {XMLParser, XMLValidator} from 'fast-xml-parser'

import {RENDERERS} from '../../../reports/index.js'
import {buildReport, type ReportModel} from '../../../src/report/model.js'
import {REPORT_FORMATS} from '../../../src/report/renderer.js'
import {parseObjective} from '../../../src/sla/nines.js'
import {FIXTURE_STORE, fixtureNowMs, fixtureRuns} from './runs-helper.js'

const runs = fixtureRuns()
const outages = runs.map((r) => r.metrics.outageMs).filter((x): x is number => x !== null).sort((a, b) => a - b)
const MAX_OUTAGE = outages[Math.floor(outages.length / 2)] as number
const model = buildReport(runs, {nowMs: fixtureNowMs(), storeDir: FIXTURE_STORE, objectives: [parseObjective('99.99'), parseObjective('99.999')], maxOutageMs: MAX_OUTAGE})
const empty = buildReport([], {nowMs: fixtureNowMs(), storeDir: '/tmp/empty/runs'})
// The one verdict model (src/store/verdict.ts): a split brain fails a drill unless the fault is meant to cause it
// (drop-vrrp, "vrrp-drop" in the hand-made store): that one is a WARN.
const expectedSplit = (r: (typeof runs)[number]): boolean => r.fault.kind === 'vrrp-drop' || r.fault.kind === 'drop-vrrp'
const failing = runs.filter(
  (r) =>
    (r.splitBrain.length > 0 && !expectedSplit(r)) || !r.reverted || r.metrics.outageMs === null || r.metrics.outageMs > MAX_OUTAGE || (r.metrics.failbackOutageMs ?? 0) > MAX_OUTAGE,
)

function promtool(text: string): {code: number | null; out: string} {
  const r = spawnSync('promtool', ['check', 'metrics'], {input: text, encoding: 'utf8'})
  if (r.error !== undefined) throw new Error(`promtool not runnable (${r.error.message}): install Debian's prometheus package (scripts/debian-packages.txt)`)
  return {code: r.status, out: `${r.stdout}${r.stderr}`}
}

function samples(text: string, name: string): Array<{labels: string; value: number}> {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .map((l) => {
      const m = /^[a-z_]+(\{.*\})? (\S+)$/.exec(l)
      assert.ok(m !== null, l)
      return {labels: m[1] ?? '', value: Number(m[2])}
    })
}

describe('renderers', () => {
  it('every format renders both a full and an empty report, ending in a newline', () => {
    for (const f of REPORT_FORMATS) {
      for (const m of [model, empty] as ReportModel[]) {
        const out = RENDERERS[f].render(m)
        assert.ok(out.endsWith('\n') && out.length > 50, f)
      }
    }
  })

  it('text: one row per drill, the sections, the verdict; empty: the message instead of tables', () => {
    const t = RENDERERS.text.render(model)
    for (const d of model.drills) assert.equal(t.split('\n').filter((l) => l.includes(d.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ''))).length, 1, d.id)
    const widest = Math.max(...t.split('\n').map((l) => [...l].length))
    assert.ok(widest <= 120, `the text report is ${widest} columns wide (at most 120)`)
    for (const s of ['DRILLS', 'BY FAULT', 'ERROR BUDGET', 'SPLIT-BRAIN FINDINGS', 'Verdict: FAIL']) assert.ok(t.includes(s), s)
    const e = RENDERERS.text.render(empty)
    assert.ok(e.includes('No drills in the run store (/tmp/empty/runs)'))
    assert.ok(!e.includes('DRILLS') && !e.includes('ERROR BUDGET'))
  })

  it('md: a table row per drill with every column, one row per fault, one per objective', () => {
    const md = RENDERERS.md.render(model)
    const section = (title: string): string[] => {
      const lines = md.split('\n')
      const i = lines.indexOf(`## ${title}`)
      assert.ok(i >= 0, title)
      const rows: string[] = []
      for (const l of lines.slice(i + 2)) {
        if (!l.startsWith('|')) break
        rows.push(l)
      }
      return rows.slice(2) // header and alignment
    }
    const drills = section('Drills')
    assert.equal(drills.length, model.drills.length)
    for (const r of drills) assert.equal(r.split(/(?<!\\)\|/).length - 2, 13, r)
    assert.equal(section('By fault').length, model.byFault.length)
    assert.equal(section(`Error budget (${model.calendar})`).length, 2)
    assert.equal(section('Split-brain findings').length, model.splitBrain.length)
  })

  it('json: the model, parseable, with the same numbers', () => {
    const j = JSON.parse(RENDERERS.json.render(model)) as ReportModel
    assert.equal(j.schema, 'hachaos.report/1')
    assert.equal(j.drills.length, runs.length)
    assert.deepEqual(
      j.drills.map((d) => d.outageMs),
      runs.map((r) => r.metrics.outageMs),
    )
    assert.equal(j.budgets[0]?.consumedMs, model.budgets[0]?.consumedMs)
    assert.equal((JSON.parse(RENDERERS.json.render(empty)) as ReportModel).empty, true)
  })

  it('junit: valid XML, one testcase per drill, failures exactly for outage > --max-outage, split brain, failed revert', () => {
    const xml = RENDERERS.junit.render(model)
    assert.equal(XMLValidator.validate(xml), true)
    const doc = new XMLParser({ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name)}).parse(xml) as {
      testsuites: {tests: string; failures: string; testsuite: Array<{name: string; tests: string; failures: string; testcase: Array<{name: string; classname: string; failure?: {message: string; type: string}}>}>}
    }
    const cases = doc.testsuites.testsuite.flatMap((s) => s.testcase)
    assert.equal(cases.length, runs.length)
    assert.equal(Number(doc.testsuites.tests), runs.length)
    const failed = cases.filter((c) => c.failure !== undefined)
    assert.equal(failed.length, failing.length)
    assert.equal(Number(doc.testsuites.failures), failing.length)
    for (const s of doc.testsuites.testsuite) {
      assert.equal(Number(s.tests), s.testcase.length)
      assert.equal(Number(s.failures), s.testcase.filter((c) => c.failure !== undefined).length)
    }
    const types = failed.flatMap((c) => (c.failure as {type: string}).type.split(','))
    assert.ok(types.includes('revert-failed'))
    assert.ok(types.includes('max-outage'))
    // the drop-vrrp drill's split brain is the WARN the drill itself printed, not a JUnit failure (unless its outage is over)
    for (const r of runs.filter((x) => x.splitBrain.length > 0 && expectedSplit(x))) {
      const c = cases.find((x) => x.name.includes(r.target) && x.name.includes(r.fault.kind) && x.name.includes(r.startedAt.slice(0, 10)))
      assert.ok(c !== undefined, r.id)
      assert.ok(c.failure === undefined || !c.failure.type.includes('split-brain'), r.id)
    }
    // an empty store: a valid document with no testcase
    const e = RENDERERS.junit.render(empty)
    assert.equal(XMLValidator.validate(e), true)
    assert.match(e, /<testsuites name="hachaos drills" tests="0" failures="0"/)
  })

  it('openmetrics: passes promtool check metrics; the counters add up to the drills', () => {
    const text = RENDERERS.openmetrics.render(model)
    const r = promtool(text)
    assert.equal(r.code, 0, r.out)
    assert.equal(r.out.trim(), '', r.out) // no lint complaints either
    assert.equal(
      samples(text, 'hachaos_drills_total').reduce((a, s) => a + s.value, 0),
      runs.length,
    )
    assert.equal(
      samples(text, 'hachaos_drills_total')
        .filter((s) => s.labels.includes('result="fail"'))
        .reduce((a, s) => a + s.value, 0),
      failing.length,
    )
    assert.equal(
      samples(text, 'hachaos_split_brain_drills_total').reduce((a, s) => a + s.value, 0),
      runs.filter((x) => x.splitBrain.length > 0).length,
    )
    assert.deepEqual(samples(text, 'hachaos_report_failed'), [{labels: '', value: 1}])
    const burn = samples(text, 'hachaos_error_budget_burn_rate')
    assert.equal(burn.length, 2)
    assert.ok(Math.abs((burn[0]?.value ?? 0) - (model.budgets[0]?.burnRate ?? -1)) < 1e-9)
    assert.equal(promtool(RENDERERS.openmetrics.render(empty)).code, 0)
  })

  it('html: self-contained (no script, link, or external URL), one SVG timeline per drill', () => {
    const h = RENDERERS.html.render(model)
    assert.ok(!/<script|<link|<img|<iframe|@import|url\(/i.test(h))
    assert.ok(!/\s(src|href)\s*=/i.test(h)) // data-src (advert source address) is data, not a reference
    assert.equal((h.match(/<svg class="timeline"/g) ?? []).length, runs.length)
    assert.equal((h.match(/<rect class="outage"/g) ?? []).length, model.drills.reduce((a, d) => a + (d.timeline?.outages.length ?? 0), 0))
    const e = RENDERERS.html.render(empty)
    assert.ok(e.includes('No drills in the run store') && !e.includes('<svg'))
  })

  it('html escapes what the store holds', () => {
    const first = runs[0]
    assert.ok(first !== undefined)
    const evil = {...first, id: 'x"><script>alert(1)</script>', target: '<b>lb1</b>', revertError: '& </td>'}
    const h = RENDERERS.html.render(buildReport([evil], {nowMs: fixtureNowMs()}))
    assert.ok(!h.includes('<script>') && !h.includes('<b>lb1</b>'))
    assert.ok(h.includes('&lt;b&gt;lb1&lt;/b&gt;'))
  })
})
