/**
 * Game days on the bond lab (issue 19, deliverable 5), through the real CLI (`hachaos run`): a seeded bond soak
 * of 3 (drawn from the guest's catalogue: the active member, each member by name, a flap), each step the same
 * trial as `hachaos bond failover` (QEMU cable pull, the guest watcher on its monotonic clock, the client's ping
 * every 10 ms), the lab audit clean before the first step and after each, the series the same as its dry run,
 * every trial in the run store with the game day's id, and each figure within the bonding driver's bound:
 * carrier down → active change (or → MII down for a backup member) ≤ miimon 100 ms + downdelay 0 + the bond's
 * tolerance (2 × poll + 8 + 25 ms = 37 ms: src/lab/bond/trial.ts toleranceMs). One lab for the file.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {LabStep} from '../../src/gameday/plan.js'
import type {GameDayResult} from '../../src/gameday/runner.js'
import {auditLab} from '../../src/lab/audit.js'
import {toleranceMs} from '../../src/lab/bond/trial.js'
import type {DrillRun} from '../../src/store/run-types.js'
import {labPrefixForTests, runCli} from '../helpers/cli.js'

const prefix = labPrefixForTests()
const HOME = mkdtempSync(join(tmpdir(), 'hachaos-gameday-bond-'))
const env = {HACHAOS_HOME: HOME}
const TOPO = ['--topology', 'bond']
/** The lab's bond: active-backup, miimon 100, downdelay 0 (src/lab/bond/topology.ts defaults). */
const BOUND_MS = 100 + 0 + toleranceMs(2)
const SEED = 1

const PLAN = `name: bond soak test
inventory: lab
defaults: {slo: 99.99}
stop_when: {outage_over: 2s}
soak:
  count: 3
  seed: ${SEED}
  targets: [guest]
  hold: {min: 1s, max: 1.5s}
`

describe('game days on the bond lab', {skip: process.getuid?.() === 0 ? false : 'needs root (namespaces, QEMU taps)'}, () => {
  before(async () => {
    await runCli(['lab', 'down', ...TOPO], {env})
    const r = await runCli(['lab', 'up', ...TOPO, '--json'], {env, timeoutMs: 240_000})
    assert.equal(r.code, 0, r.stderr)
  })
  after(async () => {
    await runCli(['lab', 'down', ...TOPO], {env})
    rmSync(HOME, {recursive: true, force: true})
  })

  it(`a bond soak of 3 (seed ${SEED}): the dry run's series, every step within miimon + downdelay, the audit clean after each`, async () => {
    const file = join(HOME, 'bond-soak.yaml')
    writeFileSync(file, PLAN)
    const dry = await runCli(['run', file, '--dry-run', '--json'], {env, timeoutMs: 60_000})
    assert.equal(dry.code, 0, dry.stderr)
    const d = dry.json as GameDayResult
    assert.equal(d.seed, SEED)
    assert.equal(d.dryRunSteps.length, 3)
    for (const s of d.dryRunSteps) {
      assert.equal(s.kind, 'lab')
      assert.match(s.prediction ?? '', /^miimon 100 ms \+ downdelay 0 ms = 100 ms$/)
      assert.match(s.inject[0]?.command ?? '', /set-link .* off$/)
      assert.match(s.revert[0]?.command ?? '', /set-link .* on$/)
    }

    const t0 = Date.now()
    const r = await runCli(['run', file, '--json'], {env, timeoutMs: 150_000})
    const g = r.json as GameDayResult
    assert.equal(r.code, 0, `exit ${r.code}: ${JSON.stringify(g?.stopReason ?? null)} ${JSON.stringify(g?.results?.map((x) => [x.status, x.verdict, x.reasons, x.error]) ?? null)}\n${r.stderr.slice(-3000)}`)
    assert.equal(g.state, 'done')
    assert.deepEqual(
      g.steps.map((s) => [(s as LabStep).soak, (s as LabStep).holdMs]),
      d.steps.map((s) => [(s as LabStep).soak, (s as LabStep).holdMs]),
      'the same seed, the same series',
    )
    // the audit before the first step and after each of the 3, all clean
    assert.deepEqual(g.audits.map((a) => [a.after, a.clean, a.skipped]), [[0, true, null], [1, true, null], [2, true, null], [3, true, null]])
    for (const [i, x] of g.results.entries()) {
      assert.equal(x.status, 'done')
      assert.equal(x.gatePassed, true, JSON.stringify(x))
      assert.equal(x.verdict, 'pass', JSON.stringify(x))
      assert.equal(x.reverted, true)
      assert.equal(x.metric, 'bondFailoverMs')
      assert.ok(x.measuredMs !== null && x.measuredMs >= 0 && x.measuredMs <= BOUND_MS, `step ${i + 1}: ${x.measuredMs} ms vs ≤ ${BOUND_MS} ms`)
      assert.equal(x.predictedMaxMs, BOUND_MS)
    }
    assert.equal(g.score.passed, 3)
    assert.ok(g.soak.length >= 1 && g.soak.reduce((a, s) => a + s.count, 0) === 3)
    // every trial in the run store, tagged with the game day's id and its step
    const runs = readdirSync(join(HOME, 'runs'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(HOME, 'runs', f), 'utf8')) as DrillRun)
      .filter((x) => x.plan?.id === g.id)
    assert.deepEqual(runs.map((x) => x.plan?.step).sort(), [1, 2, 3])
    assert.ok(runs.every((x) => x.stack === 'bond' && x.reverted && x.fault.kind === 'member-down'))
    // the lab as it was: every member's MII up, nothing of ours left, no open journal entry
    const a = await auditLab({topology: 'bond', prefix, journalDir: join(HOME, 'journal'), settleMs: 10_000})
    assert.deepEqual(a.findings, [])
    process.stderr.write(`bond soak of 3: ${((Date.now() - t0) / 1000).toFixed(1)} s; ${g.results.map((x, i) => `${(g.steps[i] as LabStep).soak ?? ''} ${x.measuredMs?.toFixed(1) ?? '—'} ms (outage ${x.outageMs?.toFixed(1) ?? '—'} ms)`).join('; ')}\n`)
  })
})
