/**
 * The Pacemaker lab (3 nodes), through the real CLI: lab up, cluster status, drills with the cluster faults,
 * fencing, lab down. Timings are checked against the model's own formula (src/stacks/pacemaker/predict.ts) with the
 * tolerances stated next to them; after every revert the cluster must be healthy again: every node online,
 * the group started exactly once, the VIP on that node only, HTTP answered by it.
 * Bounded: about 3 minutes; the lab is removed in after(), even on failure.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {ClusterStatusResult} from '../../commands/cluster/status.js'
import type {RecoverResult} from '../../src/fault/recover.js'
import {executorFor} from '../../src/inventory/inventory.js'
import {PACEMAKER_LATENCY} from '../../src/stacks/pacemaker/predict.js'
import type {LabStatus, LabUpResult} from '../../src/lab/driver.js'
import {processesInNode, readInitPid} from '../../src/lab/node-ns.js'
import {listNetns} from '../../src/lab/netns-ops.js'
import {pkPaths} from '../../src/stacks/pacemaker/lab/lab.js'
import {labDir} from '../../src/lab/paths.js'
import type {DrillRun, TimelineEvent} from '../../src/store/run-types.js'
import {sleep} from '../../src/time.js'
import {BIN, labPrefixForTests, runCli} from '../helpers/cli.js'
import {labContext, vipOwners, waitHealthy, type LabCtx} from '../helpers/pacemaker.js'

const prefix = labPrefixForTests()
const HOME = mkdtempSync(join(tmpdir(), 'hachaos-pcmk-'))
const env = {HACHAOS_HOME: HOME}
const TOPO = ['--topology', 'pacemaker']
/** The VIP owner is polled every 100 ms: a relocation is known to that resolution (plus the read itself). */
const POLL_TOL_MS = 150
/**
 * apache's resource agent checks once a second whether its graceful stop is done: one run's stop can be one
 * check shorter than the one the operation history (or the agent fallback) gives the model.
 */
const APACHE_POLL_MS = 1000
/** Time allowed for the cluster to be healthy again after a revert (a restarted stack re-probes, recovers). */
const HEAL_MS = 60_000

async function drill(args: string[], expectCode: number): Promise<DrillRun> {
  const r = await runCli(['failover', ...args, '--json'], {env, timeoutMs: 180_000})
  assert.equal(r.code, expectCode, `exit ${r.code}\n${r.stderr.slice(-2000)}\n${r.stdout.slice(0, 2000)}`)
  return r.json as DrillRun
}

async function healthyAgain(ctx: LabCtx, what: string): Promise<void> {
  const h = await waitHealthy(ctx, HEAL_MS)
  assert.ok(h.ok, `${what}: not healthy ${HEAL_MS / 1000} s after the revert: ${h.last.problems.join('; ')}`)
  assert.equal(h.last.owners.length, 1)
}

async function labUp(extra: string[]): Promise<LabUpResult> {
  const r = await runCli(['lab', 'up', ...TOPO, '--nodes', '3', ...extra, '--json'], {timeoutMs: 180_000})
  assert.equal(r.code, 0, r.stderr)
  return r.json as LabUpResult
}

const fenceEvents = (run: DrillRun, node: string): Array<Extract<TimelineEvent, {type: 'cluster'}>> =>
  run.events.filter((e): e is Extract<TimelineEvent, {type: 'cluster'}> => e.type === 'cluster' && e.resource.startsWith(`@fence:${node}:`))

describe('pacemaker lab: 3 nodes, drills, fencing', () => {
  let ctx: LabCtx

  before(async () => {
    await runCli(['lab', 'down', ...TOPO])
  })
  after(async () => {
    await runCli(['lab', 'down', ...TOPO])
    rmSync(HOME, {recursive: true, force: true})
  })

  it('lab up: a real cluster in seconds, every node its own PID namespace, the group started once, the VIP serving', async () => {
    const up = await labUp([])
    assert.equal(up.topology, 'pacemaker')
    assert.deepEqual(up.hosts.map((h) => [h.name, h.role, h.ns]), [['n1', 'cluster-node', `${prefix}-n1`], ['n2', 'cluster-node', `${prefix}-n2`], ['n3', 'cluster-node', `${prefix}-n3`], ['client', 'client', `${prefix}-pkcl`]])
    assert.ok(up.vipOwner !== null && up.answeredBy[0] === up.vipOwner)
    // dc-deadtime 2 s written into the seed CIB, token 1000 ms: formed well before Pacemaker's 20 s default
    assert.ok(up.timings['formedMs'] !== undefined && up.timings['formedMs'] < 20_000, JSON.stringify(up.timings))
    const st = (await runCli(['lab', 'status', ...TOPO, '--json'])).json as LabStatus
    assert.equal(st.healthy, true, st.problems.join('; '))
    // own PID namespace: pacemakerd is PID-scoped per node (three different namespaces, one pacemakerd each)
    const dir = labDir(prefix, 'pacemaker')
    const inits = ['n1', 'n2', 'n3'].map((n) => readInitPid(pkPaths(dir).initPidFile(n)))
    assert.ok(inits.every((p) => p !== null))
    for (const p of inits) assert.equal(processesInNode(p as number).filter((q) => q.comm === 'pacemakerd').length, 1)
    ctx = await labContext(prefix)
  })

  it('cluster status reads the lab through nsenter: healthy, effective token 1650 ms (1000 + 1 × 650), consensus 1980 ms', async () => {
    const r = await runCli(['cluster', 'status', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const s = r.json as ClusterStatusResult
    assert.equal(s.health.healthy, true, s.health.problems.join('; '))
    assert.equal(s.crmMon.nodes.length, 3)
    assert.equal(s.quorum?.quorate, true)
    assert.deepEqual([s.corosync?.effective.tokenMs, s.corosync?.effective.consensusMs], [1650, 1980])
    assert.deepEqual([s.runtime?.tokenMs, s.runtime?.consensusMs], [1650, 1980])
  })

  it('standby moves the VIP within the model\'s bound (stops + VIP start + Pacemaker allowance), then healthy after standby off', async () => {
    const target = (await vipOwners(ctx))[0] as string
    const run = await drill(['--target', target, '--fault', 'cluster-standby'], 0)
    const p = run.prediction
    const rel = run.metrics.extra['relocationMs'] ?? null
    assert.equal(p.metric, 'relocationMs')
    assert.ok(p.minMs !== null && p.maxMs !== null)
    assert.equal(p.maxMs, p.minMs + PACEMAKER_LATENCY.gracefulMs + PACEMAKER_LATENCY.toleranceMs)
    assert.ok(rel !== null && rel >= p.minMs - APACHE_POLL_MS - POLL_TOL_MS && rel <= p.maxMs + POLL_TOL_MS, `relocation ${rel} ms, model ${p.minMs} … ${p.maxMs} ms (${p.formula})`)
    assert.notEqual(run.metrics.newOwner, target)
    assert.equal(run.splitBrain.length, 0, JSON.stringify(run.splitBrain))
    assert.equal(run.reverted, true)
    await healthyAgain(ctx, 'standby')
  })

  it('kill -9 corosync without fencing: the VIP moves after token + consensus and stays on the killed node too — a split brain with its duration', async () => {
    const target = (await vipOwners(ctx))[0] as string
    const run = await drill(['--target', target, '--fault', 'cluster-kill', '--param', 'daemon=corosync'], 7)
    const m = run.metrics
    const p = run.prediction
    const rel = m.extra['relocationMs'] ?? null
    assert.ok(p.minMs !== null && p.maxMs !== null)
    // token 1650 + consensus 1980 − one token rotation (3 × hold) … token + consensus, + VIP start + Pacemaker
    assert.equal(p.inputs['detectMaxMs'], 1650 + 1980)
    assert.ok(rel !== null && rel >= p.minMs - POLL_TOL_MS && rel <= p.maxMs + POLL_TOL_MS, `relocation ${rel} ms, model ${p.minMs} … ${p.maxMs} ms`)
    assert.equal(m.extra['vipRemovedMs'], null, 'nobody removes the VIP from a node whose corosync died')
    const dual = run.splitBrain.find((s) => s.kind === 'dual-vip')
    assert.ok(dual !== undefined, JSON.stringify(run.splitBrain))
    assert.deepEqual([...dual.parties].sort(), [target, m.newOwner].sort())
    // from the relocation at least until the revert (then the restarted stack finds the group twice and stops one)
    const untilRevert = ((m.revertAtUs ?? 0) - m.faultAtUs) / 1000 - (rel ?? 0)
    assert.ok(dual.durationMs >= untilRevert - POLL_TOL_MS, `dual VIP ${dual.durationMs} ms, ≥ ${untilRevert.toFixed(0)} ms expected`)
    assert.ok(run.splitBrain.some((s) => s.kind === 'dual-arp'), 'two MACs answered ARP for the VIP')
    assert.equal(run.verdict, 'fail')
    assert.equal(run.reverted, true)
    await healthyAgain(ctx, 'corosync kill')
  })

  it('a drill SIGKILLed in the middle of a partition is healed by hachaos recover: no nftables table left, the cluster healthy', async () => {
    const target = (await vipOwners(ctx))[0] as string
    const child = spawn(process.execPath, [BIN, 'failover', '--target', target, '--fault', 'cluster-partition', '--hold', '60s', '--json'], {env: {...process.env, ...env}, stdio: 'ignore'})
    const exited = new Promise<void>((res) => child.once('exit', () => res()))
    const journal = join(HOME, 'journal')
    let injected = false
    let helpers: number[] = []
    for (let i = 0; i < 120 && !injected; i++) {
      await sleep(250)
      const open = existsSync(journal) ? readdirSync(journal).filter((f) => f.endsWith('.json')) : []
      for (const f of open) {
        const e = JSON.parse(readFileSync(join(journal, f), 'utf8')) as {state: string; helpers?: Array<{pid: number}>}
        if (e.state !== 'injected') continue
        injected = true
        helpers = (e.helpers ?? []).map((h) => h.pid)
      }
    }
    await sleep(4000) // the partition takes effect (token + consensus)
    child.kill('SIGKILL')
    await exited
    assert.ok(injected, 'the drill journaled its fault')
    const tables = async (): Promise<string[]> => (await Promise.all(ctx.nodes.map(async (n) => ((await executorFor(n).run(['nft', 'list', 'tables'])).stdout.includes('hachaos_partition') ? n.name : '')))).filter((x) => x !== '')
    assert.ok((await tables()).length > 0, 'the partition is still in place after the drill died')
    const r = await runCli(['recover', '--json'], {env, timeoutMs: 120_000})
    assert.equal(r.code, 0, r.stderr)
    const rec = r.json as RecoverResult
    assert.deepEqual(rec.entries.map((e) => [e.fault, e.action]), [['cluster-partition', 'reverted']])
    // The observers (capture, probes, arping) die with their drill under their watchdog (issue 12), or recover
    // ends what is left: none of them runs now.
    assert.ok(helpers.length >= 2, `the drill journaled its observers (${helpers.length})`)
    for (const p of helpers) assert.equal(existsSync(`/proc/${p}`), false, `observer ${p} still runs`)
    assert.deepEqual(await tables(), [])
    await healthyAgain(ctx, 'recover after a partition')
  })

  it('with --fencing the killed node is power-cycled by the lab fence agent: the VIP is gone from it before it shows up elsewhere, no split brain', async () => {
    const down = await runCli(['lab', 'down', ...TOPO])
    assert.equal(down.code, 0, down.stderr)
    await labUp(['--fencing'])
    ctx = await labContext(prefix)
    const target = (await vipOwners(ctx))[0] as string
    const power = join(pkPaths(labDir(prefix, 'pacemaker')).power, `${target}.state`)
    const bootsBefore = Number(readFileSync(power, 'utf8').trim().split(/\s+/)[2])
    const run = await drill(['--target', target, '--fault', 'cluster-kill', '--param', 'daemon=corosync'], 0)
    const m = run.metrics
    const p = run.prediction
    const rel = m.extra['relocationMs'] ?? null
    const removed = m.extra['vipRemovedMs'] ?? null
    assert.equal(p.inputs['stonith'], true)
    assert.ok(rel !== null && p.minMs !== null && p.maxMs !== null && rel >= p.minMs - POLL_TOL_MS && rel <= p.maxMs + POLL_TOL_MS, `relocation ${rel} ms, model ${p.minMs} … ${p.maxMs} ms`)
    assert.ok(removed !== null && removed <= rel, `VIP gone from ${target} at ${removed} ms, on ${m.newOwner ?? '?'} at ${rel} ms`)
    assert.deepEqual(run.splitBrain.filter((s) => s.kind === 'dual-vip'), [])
    assert.ok(fenceEvents(run, target).some((e) => e.role === 'reboot success'), 'crm_mon shows the fence')
    const bootsAfter = Number(readFileSync(power, 'utf8').trim().split(/\s+/)[2])
    assert.equal(bootsAfter, bootsBefore + 1, 'the chassis power-cycled the node once')
    assert.equal(run.reverted, true)
    await healthyAgain(ctx, 'fenced corosync kill')
  })

  it('lab down leaves nothing: no namespace, no process, no file', async () => {
    const dir = labDir(prefix, 'pacemaker')
    const inits = ['n1', 'n2', 'n3'].map((n) => readInitPid(pkPaths(dir).initPidFile(n)))
    const r = await runCli(['lab', 'down', ...TOPO, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const ns = await listNetns()
    assert.deepEqual(ns.filter((n) => [`${prefix}-pksw`, `${prefix}-pkcl`, `${prefix}-n1`, `${prefix}-n2`, `${prefix}-n3`].includes(n)), [])
    for (const p of inits) if (p !== null) assert.equal(existsSync(`/proc/${p}`), false, `init ${p} still there`)
    assert.equal(existsSync(dir), false)
  })
})
