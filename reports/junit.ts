/**
 * JUnit XML so a CI pipeline can gate on drills: one testcase per drill, grouped in one testsuite per fault.
 * A testcase fails exactly when its drill's verdict is FAIL (src/store/verdict.ts: the one verdict model); the
 * failure's type lists the FAIL reasons' codes (revert-failed, split-brain, max-outage, not-observed), WARN
 * reasons are in system-out.
 * Built with fast-xml-parser's XMLBuilder (escaping included).
 */
import {XMLBuilder} from 'fast-xml-parser'

import * as f from '../src/report/format.js'
import type {DrillSummary, ReportModel} from '../src/report/model.js'
import type {Renderer} from '../src/report/renderer.js'

type Node = Record<string, unknown>

function failureType(d: DrillSummary): string {
  return [...new Set(d.verdictReasons.filter((r) => r.level === 'fail').map((r) => r.code))].join(',')
}

function testcase(d: DrillSummary, suite: string): Node {
  const out = [
    `drill ${d.id}`,
    `${d.predicted.label} ${f.ms(d.measuredMs)} (predicted ${f.predicted(d.predicted.minMs ?? d.predicted.takeoverMs, d.predicted.maxMs ?? d.predicted.takeoverMs)}: ${d.predicted.formula})`,
    `outage ${f.ms(d.outageMs)}, ${d.lostProbes} of ${d.probesTotal} probes lost; failback ${f.ms(d.failbackMs)}, failback outage ${f.ms(d.failbackOutageMs)}`,
    `reverted: ${d.reverted ? 'yes' : `NO${d.revertError === null ? '' : ` (${d.revertError})`}`}`,
    `verdict: ${d.verdict.toUpperCase()}`,
    ...d.verdictReasons.map((r) => `  ${r.level.toUpperCase()}: ${r.text}`),
    ...d.warnings.map((w) => `warning: ${w}`),
  ].join('\n')
  const tc: Node = {
    '@_name': `${d.target} ${d.faultLabel} @ ${f.utc(d.startedAt)}`,
    '@_classname': suite,
    '@_time': d.durationS.toFixed(3),
  }
  if (d.verdict === 'fail') tc['failure'] = {'@_message': d.gateFailures.join('; '), '@_type': failureType(d), '#text': d.gateFailures.join('\n')}
  tc['system-out'] = out
  return tc
}

export const junitRenderer: Renderer = {
  format: 'junit',
  mediaType: 'application/xml',
  extension: 'xml',
  render(m: ReportModel): string {
    const groups = new Map<string, DrillSummary[]>()
    for (const d of m.drills) {
      const suite = `hachaos.${d.stack}.${d.fault}`
      groups.set(suite, [...(groups.get(suite) ?? []), d])
    }
    const props = {
      property: [
        {'@_name': 'calendar', '@_value': m.calendarDetail},
        {'@_name': 'max-outage-ms', '@_value': m.maxOutageMs === null ? 'none' : String(m.maxOutageMs)},
        ...m.budgets.map((b) => ({'@_name': `burn-rate ${b.objective.label}`, '@_value': b.burnRate.toFixed(4)})),
      ],
    }
    const suites: Node[] = [...groups.entries()].map(([name, ds]) => ({
      '@_name': name,
      '@_tests': ds.length,
      '@_failures': ds.filter((d) => d.verdict === 'fail').length,
      '@_errors': 0,
      '@_skipped': 0,
      '@_timestamp': (ds[0] as DrillSummary).startedAt.replace(/\.\d+Z$/, 'Z').replace(/Z$/, ''),
      '@_time': ds.reduce((a, d) => a + d.durationS, 0).toFixed(3),
      properties: props,
      testcase: ds.map((d) => testcase(d, name)),
    }))
    if (m.empty) {
      suites.push({'@_name': 'hachaos.drills', '@_tests': 0, '@_failures': 0, '@_errors': 0, '@_skipped': 0, '@_time': '0.000', properties: props, 'system-out': m.emptyMessage ?? ''})
    }
    const failures = m.drills.filter((d) => d.verdict === 'fail').length
    const doc = {
      '?xml': {'@_version': '1.0', '@_encoding': 'UTF-8'},
      testsuites: {
        '@_name': 'hachaos drills',
        '@_tests': m.drills.length,
        '@_failures': failures,
        '@_errors': 0,
        '@_time': m.drills.reduce((a, d) => a + d.durationS, 0).toFixed(3),
        testsuite: suites,
      },
    }
    const b = new XMLBuilder({ignoreAttributes: false, attributeNamePrefix: '@_', format: true, indentBy: '  ', suppressEmptyNode: true})
    return `${String(b.build(doc)).trimEnd()}\n`
  },
}
