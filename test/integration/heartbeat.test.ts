/**
 * The Heartbeat lab (hb1/hb2, Heartbeat 3 v1 + nginx) through the real CLI, with short timers (keepalive
 * 200 ms, deadtime 1 s): lab up, lab status (cl_status per node, VIP owner), a nic-down drill on the active
 * node — the VIP must move within the model's range (deadtime − keepalive … deadtime + resource start +
 * allowance, src/stacks/heartbeat/predict.ts), the isolated node keeps it (a split brain, reported with its
 * duration, which fails the verdict: exit 7), on reconnect both give up and restart (a second outage) — then
 * exactly one node holds the VIP and answers, the lab audit is clean, the --help examples run, and `lab down`
 * leaves nothing. Then kill -9 of heartbeat, a graceful stop and a partition of the Heartbeat UDP, each
 * checked against its model with auto_failback on. Bounded: about 5 minutes; the lab is removed in after(),
 * even on failure.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {LabDownResult, LabStatus, LabUpResult} from '../../src/lab/driver.js'
import {auditLab} from '../../src/lab/audit.js'
import {listNetns} from '../../src/lab/netns-ops.js'
import {labDir} from '../../src/lab/paths.js'
import type {DrillRun} from '../../src/store/run-types.js'
import {labPrefixForTests, runCli, waitVipHome} from '../helpers/cli.js'
import {checkExample, examplesFor} from './examples.js'

const prefix = labPrefixForTests()
const HOME = mkdtempSync(join(tmpdir(), 'hachaos-hb-'))
const env = {HACHAOS_HOME: HOME}
const TOPO = ['--topology', 'heartbeat']
/** The VIP owner is polled every 100 ms (plus the read itself). */
const POLL_TOL_MS = 150

async function status(): Promise<LabStatus> {
  const r = await runCli(['lab', 'status', ...TOPO, '--json'], {env})
  return r.json as LabStatus
}

describe('heartbeat lab: nic-down on the active node, split brain, reconnect', () => {
  before(async () => {
    await runCli(['lab', 'down', ...TOPO])
  })
  after(async () => {
    await runCli(['lab', 'down', ...TOPO])
    rmSync(HOME, {recursive: true, force: true})
  })

  it('lab up: Heartbeat on both nodes, the VIP and nginx on hb1 (haresources), answered from the client', async () => {
    const r = await runCli(['lab', 'up', ...TOPO, '--keepalive', '200ms', '--deadtime', '1', '--auto-failback', 'on', '--json'], {env, timeoutMs: 150_000})
    assert.equal(r.code, 0, r.stderr.slice(-2000))
    const up = r.json as LabUpResult
    assert.deepEqual(up.hosts.map((h) => [h.name, h.role]), [['hb1', 'heartbeat-node'], ['hb2', 'heartbeat-node'], ['client', 'client']])
    assert.equal(up.vipOwner, 'hb1')
    assert.deepEqual(up.answeredBy, ['hb1'])
    assert.equal(up.details['deadtimeMs'], 1000)
    assert.equal(up.details['autoFailback'], 'on')
    const st = await status()
    assert.ok(st.healthy, st.problems.join('; '))
    assert.deepEqual(st.vipOwners, ['hb1'])
    const cs = st.details['clStatus'] as Record<string, {running: boolean; nodes: Record<string, string>}>
    for (const n of ['hb1', 'hb2']) {
      assert.equal(cs[n]?.running, true, n)
      assert.deepEqual(cs[n]?.nodes, {hb1: 'active', hb2: 'active'})
    }
  })

  it('nic-down hb1: the VIP moves within the prediction, the split brain is reported, one owner again after the reconnect', async () => {
    const r = await runCli(['failover', '--target', 'hb1', '--fault', 'nic-down', '--json'], {env, timeoutMs: 200_000})
    // the split brain fails the verdict (exit 7, FINDINGS): it is the finding
    assert.equal(r.code, 7, `exit ${r.code}\n${r.stderr.slice(-2000)}`)
    const run = r.json as DrillRun
    assert.equal(run.stack, 'heartbeat')
    assert.equal(run.reverted, true)
    const p = run.prediction
    assert.equal(p.metric, 'relocationMs')
    assert.match(p.formula, /deadtime 1 s \+/)
    const moved = run.metrics.extra['relocationMs']
    assert.ok(typeof moved === 'number', 'relocation measured')
    assert.ok(p.minMs !== null && p.maxMs !== null)
    assert.ok(moved >= p.minMs - POLL_TOL_MS && moved <= p.maxMs + POLL_TOL_MS, `relocation ${moved} ms outside ${p.minMs}..${p.maxMs} ms ± ${POLL_TOL_MS}`)
    assert.equal(run.metrics.newOwner, 'hb2')
    // the isolated node kept the VIP: split brain for at least the rest of the hold
    assert.equal(run.metrics.extra['vipRemovedMs'], null)
    const sb = run.splitBrain.find((s) => s.kind === 'dual-vip')
    assert.ok(sb !== undefined, 'split brain reported')
    assert.deepEqual([...sb.parties].sort(), ['hb1', 'hb2'])
    assert.ok(sb.durationMs > 0)
    assert.ok((run.metrics.extra['splitBrainMs'] ?? 0) > 0)
    assert.ok(run.verdictReasons.some((x) => /split brain/.test(x)))
    // reconnect: both gave up (a second outage seen by the client), then exactly one owner
    assert.ok((run.metrics.extra['reconnectOutageMs'] ?? 0) > 0 || (run.metrics.extra['reconnectNoOwnerMs'] ?? 0) > 0, 'second outage on reconnect')
    assert.equal(run.metrics.extra['finalOwnerCount'], 1)
    const st = await status()
    assert.equal(st.vipOwners.length, 1, `owners ${st.vipOwners.join(',')}`)
    const a = await auditLab({topology: 'heartbeat', prefix, journalDir: join(HOME, 'journal'), settleMs: 60_000})
    assert.ok(a.clean, JSON.stringify(a.findings))
    // auto_failback on: after a partition the reconnect can leave the VIP on hb2 for a while.
    await waitVipHome('hb1', {topology: 'heartbeat', env, timeoutMs: 60_000})
  })

  /** A drill on hb1: its run, with the relocation checked against the model's range. */
  async function drill(fault: string[], exit: number): Promise<DrillRun> {
    const r = await runCli(['failover', '--target', 'hb1', '--fault', ...fault, '--json'], {env, timeoutMs: 200_000})
    assert.equal(r.code, exit, `exit ${r.code}\n${r.stderr.slice(-2000)}`)
    const run = r.json as DrillRun
    assert.equal(run.stack, 'heartbeat')
    assert.equal(run.reverted, true)
    const p = run.prediction
    const moved = run.metrics.extra['relocationMs']
    assert.ok(typeof moved === 'number', 'relocation measured')
    assert.ok(p.minMs !== null && p.maxMs !== null)
    assert.ok(moved >= p.minMs - POLL_TOL_MS && moved <= p.maxMs + POLL_TOL_MS, `relocation ${moved} ms outside ${p.minMs}..${p.maxMs} ms ± ${POLL_TOL_MS}`)
    assert.equal(run.metrics.newOwner, 'hb2')
    assert.equal(run.metrics.extra['finalOwnerCount'], 1)
    return run
  }

  async function clean(): Promise<void> {
    const st = await status()
    assert.equal(st.vipOwners.length, 1, `owners ${st.vipOwners.join(',')}`)
    const a = await auditLab({topology: 'heartbeat', prefix, journalDir: join(HOME, 'journal'), settleMs: 60_000})
    assert.ok(a.clean, JSON.stringify(a.findings))
    // auto_failback on: after a partition the reconnect can leave the VIP on hb2 for a while.
    await waitVipHome('hb1', {topology: 'heartbeat', env, timeoutMs: 60_000})
  }

  it('kill -9 heartbeat on hb1: hb2 takes over after deadtime, hb1 keeps the VIP (split brain); the restart brings the group home (auto_failback on)', async () => {
    const run = await drill(['kill', '--param', 'process=heartbeat', '--param', 'signal=KILL'], 7)
    assert.match(run.prediction.formula, /deadtime 1 s \+/)
    const sb = run.splitBrain.find((s) => s.kind === 'dual-vip')
    assert.ok(sb !== undefined && sb.durationMs > 0, 'the killed node kept its VIP: split brain')
    assert.ok(typeof run.metrics.extra['failbackMs'] === 'number', 'auto_failback on: the VIP back on hb1 alone after the restart')
    await clean()
  })

  it('service-stop heartbeat on hb1: hb1 releases first, then hb2 takes the group (release + start, no deadtime), no split brain; the start brings it home', async () => {
    const run = await drill(['service-stop', '--param', 'service=heartbeat'], 0)
    assert.match(run.prediction.formula, /graceful stop/)
    assert.deepEqual(run.splitBrain, [])
    const removed = run.metrics.extra['vipRemovedMs']
    const moved = run.metrics.extra['relocationMs']
    assert.ok(typeof removed === 'number' && typeof moved === 'number' && removed <= moved, `released at ${removed} ms, taken at ${moved} ms`)
    assert.ok(typeof run.metrics.extra['failbackMs'] === 'number', 'auto_failback on: home again after the start')
    await clean()
  })

  it('partition hb1 | hb2 (Heartbeat UDP dropped): both keep serving — a split brain until the heal, then one owner', async () => {
    const run = await drill(['partition'], 7)
    assert.deepEqual(run.splitBrain.filter((s) => s.kind === 'dual-vip').map((s) => [...s.parties].sort()), [['hb1', 'hb2']])
    assert.equal(run.metrics.extra['vipRemovedMs'], null, 'the isolated side keeps the VIP')
    await clean()
  })

  for (const e of examplesFor('heartbeat')) {
    it(`example: ${e.command}`, {skip: e.meta.skip ?? false}, async () => {
      await checkExample(e, HOME, env)
    })
  }

  it('lab down leaves nothing', async () => {
    const r = await runCli(['lab', 'down', ...TOPO, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const d = r.json as LabDownResult
    assert.ok(!existsSync(labDir(prefix, 'heartbeat')))
    const left = (await listNetns()).filter((n) => n.startsWith(`${prefix}-hb`))
    assert.deepEqual(left, [], `namespaces left: ${left.join(', ')}`)
    assert.equal(d.topology, 'heartbeat')
  })
})
