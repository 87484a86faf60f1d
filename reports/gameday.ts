/**
 * A game day as one report (`hachaos run`, `hachaos report --plan ID`): text, md, html, json and junit — one
 * testcase per step, failed when its gate failed, skipped when the plan stopped before it (a CI job gates on
 * the JUnit or on the exit code). The score is printed with its rule beside it.
 */
import {XMLBuilder} from 'fast-xml-parser'

import type {GameDayResult} from '../src/gameday/runner.js'
import {stepText, type PlanStep} from '../src/gameday/plan.js'
import type {StepResult} from '../src/gameday/record.js'
import type {Stats} from '../src/gameday/summary.js'
import {formatMs} from '../src/time.js'

export const GAMEDAY_FORMATS = ['text', 'md', 'html', 'json', 'junit'] as const
export type GameDayFormat = (typeof GAMEDAY_FORMATS)[number]

const ms = (v: number | null): string => formatMs(v, 1)

function predicted(r: StepResult): string {
  const lo = r.predictedMinMs ?? r.predictedMs
  const hi = r.predictedMaxMs ?? r.predictedMs
  if (lo === null || hi === null) return '—'
  return formatMs(lo, 0) === formatMs(hi, 0) ? ms(lo) : `${formatMs(lo, 0)} … ${formatMs(hi, 0)}`
}

/** A soak drill its stack refused on the state the steps before it left (src/gameday/runner.ts drillStep). */
function skippedDrill(s: PlanStep, r: StepResult): boolean {
  return s.kind === 'drill' && r.status === 'done' && r.runId === null && r.verdict === null && r.gatePassed === null
}

function gateText(s: PlanStep, r: StepResult): string {
  if (r.status === 'pending') return 'not run'
  if (s.kind === 'pause') return r.status === 'done' ? 'done' : r.status
  if (r.gatePassed === null) return skippedDrill(s, r) ? 'skipped' : r.status
  return r.gatePassed ? 'PASS' : 'FAIL'
}

function stepLine(s: PlanStep, r: StepResult): string {
  const head = `${String(r.index + 1).padStart(3)}. ${gateText(s, r).padEnd(8)} ${stepText(s)}`
  if ((s.kind !== 'drill' && s.kind !== 'lab') || r.verdict === null) return r.error === null ? head : `${head} — ${r.error}`
  return `${head} — verdict ${r.verdict.toUpperCase()}, measured ${ms(r.measuredMs)} (predicted ${predicted(r)}), outage ${ms(r.outageMs)}${r.splitBrains > 0 ? `, split brain ×${r.splitBrains}` : ''}${r.runId === null ? '' : ` [run ${r.runId}]`}`
}

const statsText = (x: Stats): string => (x.n === 0 ? '—' : `${ms(x.min)} / ${ms(x.p50)} / ${ms(x.p95)} / ${ms(x.max)}`)

export function gameDayText(g: GameDayResult): string {
  const L: string[] = []
  L.push(`game day ${g.id ?? '(dry run)'}: ${g.name}`)
  L.push(`  state: ${g.state}${g.stopReason === null ? '' : ` — ${g.stopReason.condition}: ${g.stopReason.text}`}${g.seed === null ? '' : `; seed ${g.seed}`}`)
  if (g.dryRun) {
    for (const d of g.dryRunSteps) {
      L.push(`  step ${d.index}: ${d.text}`)
      if (d.kind !== 'drill' && d.kind !== 'lab') continue
      if (d.error !== null && d.summary === null) {
        // planned later, on the state the steps before it leave (src/gameday/runner.ts dryRun)
        for (const w of d.warnings) L.push(`    ! ${w}`)
        continue
      }
      L.push(`    ${d.summary ?? ''}`)
      L.push('    inject:')
      for (const a of d.inject) L.push(`      ${a.what}${a.command === null ? '' : `\n        ${a.command}`}${a.note === undefined ? '' : `\n        (${a.note})`}`)
      L.push('    revert:')
      for (const a of d.revert) L.push(`      ${a.what}${a.command === null ? '' : `\n        ${a.command}`}${a.note === undefined ? '' : `\n        (${a.note})`}`)
      L.push(`    prediction: ${d.prediction ?? '—'}`)
      for (const w of d.warnings) L.push(`    ! ${w}`)
    }
    return `${L.join('\n')}\n`
  }
  L.push('  steps:')
  for (const [i, s] of g.steps.entries()) {
    const r = g.results[i]
    if (r === undefined) continue
    L.push(`  ${stepLine(s, r)}`)
    if (r.gatePassed === false || skippedDrill(s, r)) for (const x of r.reasons) L.push(`             - ${x}`)
  }
  const audits = g.audits.filter((a) => a.skipped === null)
  const dirty = audits.filter((a) => !a.clean)
  L.push(`  audits: ${audits.length === 0 ? (g.audits[0]?.skipped ?? 'none') : `${audits.length - dirty.length} of ${audits.length} clean`}`)
  for (const a of dirty) L.push(`    after step ${a.after}: ${a.findings.map((f) => `${f.kind}${f.host === null ? '' : `@${f.host}`}: ${f.detail}`).join('; ')}`)
  const sc = g.score
  L.push(`  score: ${sc.share === null ? '—' : `${(sc.share * 100).toFixed(0)} %`} (${sc.passed} of ${sc.scored} steps passed their gate)`)
  L.push(`    rule: ${sc.rule}`)
  L.push(`  budget burn: ${ms(g.budget.burnMs)} of client downtime = ${g.budget.sharePct.toFixed(3)} % of the monthly budget at ${g.budget.slo} % (${formatMs(g.budget.budgetMs, 0)})`)
  if (g.soak.length > 0 && (g.seed !== null || g.soak.some((x) => x.count > 1))) {
    L.push('  per fault: count, pass/warn/fail, measured min/p50/p95/max vs predicted; outage min/p50/p95/max; off the prediction')
    for (const x of g.soak) {
      const pr = x.predictedMinMs === null ? '—' : x.predictedMinMs === x.predictedMaxMs ? ms(x.predictedMinMs) : `${ms(x.predictedMinMs)} … ${ms(x.predictedMaxMs)}`
      L.push(`    ${x.fault.padEnd(26)} ${String(x.count).padStart(3)}  ${x.pass}/${x.warn}/${x.fail}  ${statsText(x.measured)} vs ${pr}; outage ${statsText(x.outage)}; off: ${x.offPrediction.length === 0 ? 'none' : x.offPrediction.map((n) => `step ${n}`).join(', ')}`)
    }
  }
  if (g.record !== null) L.push(`  record: ${g.record}`)
  return `${L.join('\n')}\n`
}

export function gameDayMd(g: GameDayResult): string {
  const L: string[] = [`# Game day: ${g.name}`, '', `- id: \`${g.id ?? 'dry run'}\``, `- state: **${g.state}**${g.stopReason === null ? '' : ` — ${g.stopReason.condition}: ${g.stopReason.text}`}`]
  if (g.seed !== null) L.push(`- seed: ${g.seed}`)
  L.push(`- score: **${g.score.share === null ? '—' : `${(g.score.share * 100).toFixed(0)} %`}** (${g.score.passed} of ${g.score.scored}); rule: ${g.score.rule}`)
  L.push(`- budget burn: ${ms(g.budget.burnMs)} = ${g.budget.sharePct.toFixed(3)} % of the monthly budget at ${g.budget.slo} %`, '')
  L.push('| # | step | gate | verdict | measured | predicted | outage | run |', '|---|---|---|---|---|---|---|---|')
  for (const [i, s] of g.steps.entries()) {
    const r = g.results[i]
    if (r === undefined) continue
    L.push(`| ${i + 1} | ${stepText(s).replace(/\|/g, '\\|')} | ${gateText(s, r)} | ${r.verdict ?? '—'} | ${ms(r.measuredMs)} | ${predicted(r)} | ${ms(r.outageMs)} | ${r.runId ?? ''} |`)
  }
  return `${L.join('\n')}\n`
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

export function gameDayHtml(g: GameDayResult): string {
  const rows = g.steps
    .map((s, i) => {
      const r = g.results[i]
      if (r === undefined) return ''
      const gate = gateText(s, r)
      const color = gate === 'PASS' ? '#1a7f37' : gate === 'FAIL' ? '#cf222e' : '#57606a'
      return `<tr><td>${i + 1}</td><td>${esc(stepText(s))}</td><td style="color:${color};font-weight:bold">${esc(gate)}</td><td>${esc(r.verdict ?? '—')}</td><td>${esc(ms(r.measuredMs))}</td><td>${esc(predicted(r))}</td><td>${esc(ms(r.outageMs))}</td><td>${esc(r.reasons.join('; '))}</td></tr>`
    })
    .join('\n')
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Game day: ${esc(g.name)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;font-size:14px}</style></head>
<body><h1>Game day: ${esc(g.name)}</h1>
<p>id <code>${esc(g.id ?? 'dry run')}</code>; state <b>${esc(g.state)}</b>${g.stopReason === null ? '' : ` — ${esc(g.stopReason.condition)}: ${esc(g.stopReason.text)}`}${g.seed === null ? '' : `; seed ${g.seed}`}</p>
<p>score <b>${g.score.share === null ? '—' : `${(g.score.share * 100).toFixed(0)} %`}</b> (${g.score.passed} of ${g.score.scored}); <small>${esc(g.score.rule)}</small></p>
<p>budget burn ${esc(ms(g.budget.burnMs))} = ${g.budget.sharePct.toFixed(3)} % of the monthly budget at ${esc(g.budget.slo)} %</p>
<table><tr><th>#</th><th>step</th><th>gate</th><th>verdict</th><th>measured</th><th>predicted</th><th>outage</th><th>reasons</th></tr>
${rows}
</table></body></html>
`
}

/** JUnit: one testsuite (the game day), one testcase per step; failure when the gate failed, skipped when not run. */
export function gameDayJunit(g: GameDayResult): string {
  const cases = g.steps.map((s, i) => {
    const r = g.results[i] as StepResult
    const dur = r.startedAt !== null && r.endedAt !== null ? (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000 : 0
    const tc: Record<string, unknown> = {'@_name': `step ${i + 1}: ${stepText(s)}`, '@_classname': g.name, '@_time': dur.toFixed(3)}
    if (r.status === 'pending') tc['skipped'] = {'@_message': g.stopReason === null ? 'not run' : `not run: ${g.stopReason.text}`}
    else if (skippedDrill(s, r)) tc['skipped'] = {'@_message': r.reasons.join('; ')}
    else if (r.gatePassed === false) tc['failure'] = {'@_message': r.reasons.join('; ') || (r.error ?? 'gate failed'), '@_type': 'gate', '#text': [...r.reasons, ...(r.error === null ? [] : [r.error])].join('\n')}
    tc['system-out'] = stepLine(s, r)
    return tc
  })
  const failures = g.results.filter((r) => r.status !== 'pending' && r.gatePassed === false).length
  const skipped = g.results.filter((r, i) => r.status === 'pending' || (g.steps[i] !== undefined && skippedDrill(g.steps[i], r))).length
  const doc = {
    '?xml': {'@_version': '1.0', '@_encoding': 'UTF-8'},
    testsuites: {
      '@_name': `hachaos game day ${g.name}`,
      '@_tests': g.steps.length,
      '@_failures': failures,
      testsuite: {
        '@_name': g.name,
        '@_tests': g.steps.length,
        '@_failures': failures,
        '@_skipped': skipped,
        properties: {
          property: [
            {'@_name': 'id', '@_value': g.id ?? ''},
            {'@_name': 'state', '@_value': g.state},
            {'@_name': 'score', '@_value': g.score.share === null ? '' : g.score.share.toFixed(4)},
            {'@_name': 'score.rule', '@_value': g.score.rule},
            {'@_name': 'stop', '@_value': g.stopReason?.text ?? ''},
            {'@_name': 'seed', '@_value': g.seed === null ? '' : String(g.seed)},
          ],
        },
        testcase: cases,
      },
    },
  }
  return `${new XMLBuilder({ignoreAttributes: false, format: true, suppressEmptyNode: true}).build(doc) as string}`
}

export function renderGameDay(g: GameDayResult, format: GameDayFormat): string {
  switch (format) {
    case 'text':
      return gameDayText(g)
    case 'md':
      return gameDayMd(g)
    case 'html':
      return gameDayHtml(g)
    case 'json':
      return `${JSON.stringify(g, null, 2)}\n`
    case 'junit':
      return gameDayJunit(g)
  }
}
