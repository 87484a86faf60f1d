/** A minimal DrillRun for tests of the pure arithmetic (real-looking records are in test/fixtures/runs). */
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {RUN_SCHEMA, type DrillRun, type FailoverMetrics} from '../../../src/store/run-types.js'
import {emptyMetrics} from '../../../src/store/run-metrics.js'

export function drill(startedAt: string, metrics: Partial<FailoverMetrics>, over: Partial<DrillRun> = {}): DrillRun {
  const t = Date.parse(startedAt) * 1000
  return {
    schema: RUN_SCHEMA,
    id: `t-${startedAt}`,
    startedAt,
    endedAt: new Date(Date.parse(startedAt) + 20_000).toISOString(),
    stack: 'keepalived',
    target: 'lb1',
    fault: {kind: 'nic-down', params: {}, inject: [], revert: []},
    inventory: null,
    lab: null,
    vip: null,
    captureHost: null,
    probe: null,
    hosts: [],
    holdMs: 8000,
    prediction: {metric: 'takeoverMs', takeoverMs: 3609.375, minMs: 2609.375, maxMs: 3609.375, formula: 'Master_Down_Interval', inputs: {}},
    metrics: {
      ...emptyMetrics(t + 3_000_000, t + 11_000_000, 'lb1'),
      newOwner: 'lb2',
      ...metrics,
    },
    splitBrain: [],
    reverted: true,
    revertError: null,
    warnings: [],
    verdict: 'pass',
    verdictReasons: [],
    events: [],
    unparsed: {count: 0, sample: []},
    ...over,
  }
}

/** The fixture store's directory in the source tree (tests run from dist/). */
export const FIXTURE_STORE = fileURLToPath(new URL('../../../../test/fixtures/runs', import.meta.url))

export function fixtureRuns(): DrillRun[] {
  return readdirSync(FIXTURE_STORE)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(FIXTURE_STORE, f), 'utf8')) as DrillRun)
}

/** "now" for reports over the fixture store: just after its last drill. */
export function fixtureNowMs(): number {
  return Math.max(...fixtureRuns().map((r) => Date.parse(r.endedAt))) + 86_400_000
}
