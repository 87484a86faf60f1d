/**
 * Game days on the keepalived lab (issue 19), through the real CLI (`hachaos run`):
 *  - a 3-step plan (nic-down, keepalived TERM, haproxy kill): every takeover within the protocol's formula
 *    (src/stacks/keepalived/timing.ts) ± TOL_MS, the lab audit clean before the first step and after each,
 *    every drill in the run store with the game day's id, `report --plan` (JUnit: one testcase per step);
 *  - a stop condition: budget_share 0.1 % (263 ms at 99.99 %) hit by keepalived TERM's ≈ 0.65 s outage → stopped
 *    after step 1 (exit 7), step 2 never run, the lab clean;
 *  - SIGTERM during step 1's fault → the fault reverted, exit 130; `recover` lists the game day; `--resume`
 *    runs step 1 again and step 2; the report lists every step once;
 *  - SIGKILL during step 1's fault (no handler): `recover` reverts it from the journal and lists the game day;
 *    `--resume` finishes it;
 *  - a seeded soak of 5: the same series as its dry run, every drill run, the audit after each;
 *  - the external-check stop condition: a command that fails stops the plan before step 1; web1's URL checked
 *    every 500 ms fails once step 2 kills apache2 on web1 → the drill aborted and reverted at once (well
 *    before its 6 s hold), the plan stopped with the reason in its record, exit 7, step 3 never run.
 * Short holds: every drill holds until the takeover is seen and the service answers (the default).
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {GameDayResult} from '../../src/gameday/runner.js'
import {auditLab} from '../../src/lab/audit.js'
import {LB_PRIORITY, CHECK} from '../../src/stacks/keepalived/lab/render.js'
import type {DrillRun} from '../../src/store/run-types.js'
import {sleep} from '../../src/time.js'
import {masterDownIntervalMs, skewTimeMs} from '../../src/stacks/keepalived/timing.js'
import {BIN, labPrefixForTests, runCli, waitVipHome} from '../helpers/cli.js'

const prefix = labPrefixForTests()
const HOME = mkdtempSync(join(tmpdir(), 'hachaos-gameday-'))
const env = {HACHAOS_HOME: HOME}
/**
 * Takeover vs the formula: ±150 ms. The packet timestamps are exact to the µs (failover-keepalived uses ±50 ms);
 * the extra 100 ms is for this shared 2-core machine, where keepalived's own timers run late under load.
 */
const TOL_MS = 150
const lb2Prio = LB_PRIORITY['lb2'] as number
const MDI = masterDownIntervalMs(lb2Prio, 1, 2) // 3.609 s
const SKEW = skewTimeMs(lb2Prio, 1, 2) // 0.609 s
const TRACK_LO = (CHECK.fall - 1) * CHECK.interval * 1000 + SKEW
const TRACK_HI = CHECK.fall * CHECK.interval * 1000 + CHECK.timeout * 1000 + SKEW

function planFile(name: string, text: string): string {
  const f = join(HOME, `${name}.yaml`)
  writeFileSync(f, text)
  return f
}

/**
 * Run a plan. `expectCode` 'gates': 0 when every gate passed, else 7 — a drill's own verdict may FAIL on this
 * lab (keepalived TERM sometimes leaves the VIP on lb1 for a poll or two after lb2's takeover: a dual VIP of
 * 0.2–0.4 s, a split brain by the verdict rules), and the game day must then say so, which is what is checked.
 */
async function runPlan(args: string[], expectCode: number | 'gates'): Promise<GameDayResult> {
  const r = await runCli(['run', ...args, '--json'], {env, timeoutMs: 150_000})
  const j = r.json as Partial<GameDayResult> | undefined
  if (expectCode === 'gates') {
    const res = j?.results ?? []
    for (const x of res) if (x.verdict !== null && x.status === 'done' && x.runId !== null) assert.equal(x.gatePassed, x.verdict !== 'fail' && !x.reasons.some((y) => /expected (a|no) split brain/.test(y)), JSON.stringify(x))
    expectCode = res.some((x) => x.gatePassed === false) ? 7 : 0
  }
  assert.equal(r.code, expectCode, `exit ${r.code}: ${j?.state ?? ''} ${JSON.stringify(j?.stopReason ?? null)} ${JSON.stringify(j?.results?.map((x) => [x.status, x.gatePassed, x.reasons, x.error]) ?? null)}\n${r.stderr.slice(-3000)}`)
  return r.json as GameDayResult
}

function storedRuns(): DrillRun[] {
  const dir = join(HOME, 'runs')
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as DrillRun)
}

/** Wait (≤ 60 s) until a drill's journal entry says its fault is injected. */
async function injectedSoon(): Promise<boolean> {
  const jdir = join(HOME, 'journal')
  for (let i = 0; i < 600; i++) {
    await sleep(100)
    if (!existsSync(jdir)) continue
    const injected = readdirSync(jdir)
      .filter((n) => n.endsWith('.json'))
      .some((n) => {
        try {
          return (JSON.parse(readFileSync(join(jdir, n), 'utf8')) as {state: string}).state === 'injected'
        } catch {
          return false
        }
      })
    if (injected) return true
  }
  return false
}

async function labClean(): Promise<void> {
  // Stale locks of other helpers' dead drills (the lock directory is machine-wide) are not ours: not counted.
  const a = await auditLab({topology: 'keepalived', prefix, journalDir: join(HOME, 'journal'), settleMs: 20_000, ignoreStaleLock: (h) => !existsSync(join(HOME, 'runs', `${h.runId}.json`))})
  assert.ok(a.clean, `audit: ${JSON.stringify(a.findings)}`)
}

const THREE_STEPS = `name: three steps
inventory: lab
defaults: {rate: 20, tolerance: 100ms}
stop_when: {outage_over: 10s}
steps:
  - drill: {target: lb1, fault: nic-down}
  - drill: {target: lb1, fault: kill, params: {process: keepalived, signal: TERM}}
  - drill: {target: lb1, fault: kill, params: {process: haproxy}}
`

describe('game days on the keepalived lab', () => {
  before(async () => {
    await runCli(['lab', 'down'])
    const r = await runCli(['lab', 'up', '--json'], {timeoutMs: 90_000})
    assert.equal(r.code, 0, r.stderr)
  })
  after(async () => {
    await runCli(['lab', 'down'])
    rmSync(HOME, {recursive: true, force: true})
  })

  it(`a 3-step plan: NIC down (${MDI.toFixed(0)} ms), keepalived TERM (${SKEW.toFixed(0)} ms), HAProxy kill (${TRACK_LO.toFixed(0)}–${TRACK_HI.toFixed(0)} ms), each ±${TOL_MS} ms, audits clean, runs stored with the plan id`, async () => {
    const g = await runPlan([planFile('three', THREE_STEPS)], 'gates')
    assert.equal(g.state, 'done', `stopped: ${JSON.stringify(g.stopReason)}; audits: ${JSON.stringify(g.audits.filter((a) => !a.clean))}`)
    assert.deepEqual(g.results.map((r) => [r.status, r.reverted]), [['done', true], ['done', true], ['done', true]])
    const [nic, term, hap] = g.results
    assert.ok(nic?.measuredMs != null && Math.abs(nic.measuredMs - MDI) <= TOL_MS, `nic-down takeover from last advert ${nic?.measuredMs}`)
    assert.ok(term?.measuredMs != null && Math.abs(term.measuredMs - SKEW) <= TOL_MS, `TERM takeover ${term?.measuredMs}`)
    // The track_script's own timers (interval × fall, run by keepalived) drift late on a loaded machine (7.4 s
    // seen here while a QEMU lab ran beside it): never earlier than the formula, and later only with the
    // drill's WARN "outside the prediction" carried into the step (the game day reports what the drill judged).
    assert.ok(hap?.measuredMs != null && hap.measuredMs >= TRACK_LO - TOL_MS, `haproxy takeover ${hap?.measuredMs}`)
    if (hap.measuredMs > TRACK_HI + TOL_MS) {
      assert.equal(hap.verdict, 'warn')
      assert.ok(hap.reasons.some((x) => /outside the prediction/.test(x)), JSON.stringify(hap.reasons))
    }
    // The audit before the first step and after each of the three, every one clean.
    assert.deepEqual(g.audits.map((a) => [a.after, a.clean, a.skipped]), [[0, true, null], [1, true, null], [2, true, null], [3, true, null]])
    const passed = g.results.filter((r) => r.gatePassed === true).length
    assert.deepEqual([g.score.passed, g.score.scored, g.score.share], [passed, 3, passed / 3])
    assert.ok(g.budget.burnMs >= (nic?.outageMs ?? 0) && g.budget.burnMs > 3000, `burn ${g.budget.burnMs}`)
    const runs = storedRuns().filter((r) => r.plan?.id === g.id)
    assert.deepEqual(runs.map((r) => r.plan?.step).sort(), [1, 2, 3])
    assert.deepEqual(runs.map((r) => r.id).sort(), g.results.map((r) => r.runId).sort())
    const junit = await runCli(['report', '--plan', g.id ?? '', '--format', 'junit'], {env})
    assert.equal(junit.code, passed === 3 ? 0 : 7, junit.stderr)
    assert.equal((junit.stdout.match(/<testcase /g) ?? []).length, 3)
    assert.equal((junit.stdout.match(/<failure /g) ?? []).length, 3 - passed)
  })

  it('budget_share 0.1 % (263 ms at 99.99 %): keepalived TERM\'s ≈ 0.65 s outage stops the plan after step 1 (exit 7), everything reverted', async () => {
    const f = planFile('budget', `name: budget
inventory: lab
stop_when: {budget_share: 0.1%}
steps:
  - drill: {target: lb1, fault: kill, params: {process: keepalived, signal: TERM}}
  - drill: {target: lb1, fault: nic-down}
  - pause: 1s
`)
    const g = await runPlan([f], 7)
    assert.equal(g.state, 'stopped')
    assert.equal(g.stopReason?.condition, 'budget_share')
    assert.equal(g.stopReason?.step, 1)
    assert.deepEqual(g.results.map((r) => r.status), ['done', 'pending', 'pending'])
    assert.equal(g.results[0]?.reverted, true)
    assert.ok(g.budget.sharePct > 0.1, `${g.budget.sharePct} %`)
    assert.equal(g.audits.at(-1)?.clean, true)
    await labClean()
  })

  it('SIGTERM during step 1\'s fault: reverted, exit 130; recover lists the game day; --resume runs step 1 again and step 2 (a check); the report lists each step once', async () => {
    const f = planFile('resume', `name: resume me
inventory: lab
steps:
  - drill: {target: lb1, fault: kill, params: {process: keepalived, signal: TERM}}
  - check: {http: "http://10.66.0.100/", expect: 200}
`)
    const child = spawn(process.execPath, [BIN, 'run', f, '--json'], {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.resume() // progress: drained, or 'close' never comes
    const exited = new Promise<number | null>((res) => child.on('close', (c) => res(c)))
    // Wait until step 1's fault is in place (its journal entry says injected), then SIGTERM.
    assert.ok(await injectedSoon(), 'step 1 injected its fault')
    child.kill('SIGTERM')
    assert.equal(await exited, 130, out.slice(0, 2000))
    const cut = JSON.parse(out) as {error?: unknown} & Partial<GameDayResult>
    assert.equal(cut.state, 'interrupted', out.slice(0, 2000))
    assert.equal(cut.results?.[0]?.reverted, true)
    assert.equal(cut.results?.[0]?.status, 'interrupted')
    const id = cut.id ?? ''

    const rec = await runCli(['recover', '--json'], {env})
    assert.equal(rec.code, 0, rec.stderr)
    const listed = (rec.json as {gameDays: Array<{id: string; next: number}>}).gameDays
    assert.deepEqual(listed.map((x) => [x.id, x.next]), [[id, 1]])
    await labClean()
    await waitVipHome('lb1', {env})

    const g = await runPlan(['--resume', id], 'gates')
    assert.equal(g.id, id)
    assert.equal(g.state, 'done', `stopped: ${JSON.stringify(g.stopReason)}; audits: ${JSON.stringify(g.audits.filter((a) => !a.clean))}`)
    assert.equal(g.resumedFrom, 1)
    assert.deepEqual(g.results.map((r) => [r.status, r.reverted]), [['done', true], ['done', null]])
    assert.deepEqual([g.results[1]?.verdict, g.results[1]?.gatePassed], ['pass', true])
    const again = await runCli(['recover', '--json'], {env})
    assert.deepEqual((again.json as {gameDays: unknown[]}).gameDays, [])
    const rep = await runCli(['report', '--plan', id, '--json'], {env})
    const r = rep.json as GameDayResult
    assert.equal(r.results.length, 2)
    // step 1's interrupted drill is in the store too, but the game day lists the step once: with its rerun
    const step1 = storedRuns().filter((x) => x.plan?.id === id && x.plan.step === 1)
    assert.equal(step1.length, 2)
    assert.equal(r.results[0]?.runId, step1.find((x) => x.judgedBy?.interrupted !== true)?.id)
    await labClean()
  })

  it('SIGKILL during step 1\'s fault (no handler runs): recover reverts it from the journal and lists the game day; --resume runs step 1 again and step 2; the report lists each step once', async () => {
    const f = planFile('killed', `name: killed mid-step
inventory: lab
steps:
  - drill: {target: lb1, fault: kill, params: {process: keepalived, signal: TERM}}
  - check: {http: "http://10.66.0.100/", expect: 200}
`)
    const child = spawn(process.execPath, [BIN, 'run', f, '--json'], {env: {...process.env, ...env}, stdio: ['ignore', 'ignore', 'ignore']})
    const exited = new Promise<number | null>((res) => child.on('close', (c, sig) => res(sig === 'SIGKILL' ? -9 : c)))
    assert.ok(await injectedSoon(), 'step 1 injected its fault')
    child.kill('SIGKILL')
    assert.equal(await exited, -9)

    // Nothing reverted it yet: recover does, from the fault journal, and names the game day to resume.
    const rec = await runCli(['recover', '--json'], {env})
    assert.equal(rec.code, 0, rec.stderr)
    const listed = (rec.json as {gameDays: Array<{id: string; next: number}>}).gameDays
    assert.equal(listed.length, 1, JSON.stringify(rec.json))
    const id = listed[0]?.id ?? ''
    assert.equal(listed[0]?.next, 1)
    await labClean()
    await waitVipHome('lb1', {env})

    const g = await runPlan(['--resume', id], 'gates')
    assert.equal(g.id, id)
    assert.equal(g.state, 'done', `stopped: ${JSON.stringify(g.stopReason)}; audits: ${JSON.stringify(g.audits.filter((a) => !a.clean))}`)
    assert.equal(g.resumedFrom, 1)
    assert.deepEqual(g.results.map((r) => [r.status, r.reverted]), [['done', true], ['done', null]])
    const rep = await runCli(['report', '--plan', id, '--json'], {env})
    assert.equal((rep.json as GameDayResult).results.length, 2)
    const again = await runCli(['recover', '--json'], {env})
    assert.deepEqual((again.json as {gameDays: unknown[]}).gameDays, [])
    await labClean()
  })

  it('a seeded soak of 5 (keepalived TERM, apache2 kill on lb1/web1): the dry run\'s series is the one run, audits clean', async () => {
    const args = ['--soak', '5', '--seed', '7', '--targets', 'lb1,web1', '--faults', 'kill keepalived TERM,kill apache2']
    const dry = await runPlan([...args, '--dry-run'], 0)
    assert.equal(dry.seed, 7)
    const g = await runPlan(args, 'gates')
    const series = (x: GameDayResult): string[] => x.steps.map((s) => (s.kind === 'drill' ? `${s.target}:${s.soak ?? ''}` : s.kind))
    assert.deepEqual(series(g), series(dry))
    assert.equal(g.steps.length, 5)
    assert.ok(g.results.every((r) => r.status === 'done' && r.reverted === true), JSON.stringify(g.results.map((r) => r.reasons)))
    assert.ok(g.audits.every((a) => a.clean) && g.audits.length === 6, `${g.audits.length} audits`)
    assert.equal(g.soak.reduce((n, x) => n + x.count, 0), 5)
  })

  it('stop_when check: a failing command stops before step 1; web1\'s URL failing during step 2 (apache2 killed) aborts the drill, reverts it, stops the plan (exit 7, the reason in the record)', async () => {
    const cmd = await runPlan([planFile('cmd', 'name: cmd check\ninventory: lab\nstop_when: {check: {command: ["false"]}}\nsteps:\n  - pause: 1s\n')], 7)
    assert.deepEqual([cmd.state, cmd.stopReason?.condition, cmd.stopReason?.step, cmd.results[0]?.status], ['stopped', 'external_check', null, 'pending'])
    assert.match(cmd.stopReason?.text ?? '', /`false` exited 1/)

    const f = planFile('ext', `name: external check
inventory: lab
stop_when: {check: {http: "http://10.66.0.21/", expect: 200, every: 500ms, timeout: 1s}}
steps:
  - pause: 1s
  - drill: {target: web1, fault: kill, params: {process: apache2}, hold: 6s}
  - pause: 1s
`)
    const t0 = Date.now()
    const g = await runPlan([f], 7)
    const wallMs = Date.now() - t0
    assert.equal(g.state, 'stopped')
    assert.equal(g.stopReason?.condition, 'external_check')
    assert.equal(g.stopReason?.step, 2)
    assert.match(g.stopReason?.text ?? '', /http:\/\/10\.66\.0\.21\/ answered/)
    assert.deepEqual(g.results.map((r) => r.status), ['done', 'interrupted', 'pending'])
    assert.equal(g.results[1]?.reverted, true)
    const rec = JSON.parse(readFileSync(g.record ?? '', 'utf8')) as {state: string; stopReason: {condition: string} | null}
    assert.deepEqual([rec.state, rec.stopReason?.condition], ['stopped', 'external_check'])
    // cut short: the revert began before the 6 s hold (counted from the end of the inject) was over. On an idle
    // machine the check sees the frozen/killed server within every + timeout (1.5 s) of the kill; under the
    // shared machine's load the inject's own commands and the curls run late, so only "before the hold's end"
    // is asserted, and the figures are in the message.
    const run = storedRuns().find((x) => x.id === g.results[1]?.runId)
    assert.ok(run !== undefined && run.metrics.revertAtUs !== null, 'step 2\'s run is stored, reverted')
    const injectedAt = run.events.find((e) => e.type === 'fault.inject' && e.phase === 'after')?.t ?? run.metrics.faultAtUs
    const heldMs = (run.metrics.revertAtUs - injectedAt) / 1000
    const injectMs = (injectedAt - run.metrics.faultAtUs) / 1000
    assert.ok(heldMs >= 0 && heldMs < 6000, `held ${heldMs} ms after the inject (which took ${injectMs} ms; wall ${wallMs} ms)`)
    process.stderr.write(`# external check: revert ${heldMs.toFixed(0)} ms after the inject ended (inject ${injectMs.toFixed(0)} ms), plan ${wallMs} ms\n`)
    await labClean()
  })
})
