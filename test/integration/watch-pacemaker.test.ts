/**
 * `hachaos watch` on the pacemaker lab (3 nodes, no fencing): two failures done by hand, not by hachaos, each
 * recorded as one incident whose relocation (the VIP polled on another node − the moment the cause was seen)
 * is checked against the model of src/stacks/pacemaker/predict.ts:
 *   1. `crm_standby --update on` on the VIP's node: a graceful move, model Σ stop + start(VIP) + latency;
 *   2. SIGKILL of corosync on the new VIP node (by PID, from the host): a node loss, model token + consensus
 *      − rotation + start(VIP) + latency; without fencing the killed node keeps the VIP (a split brain).
 * Tolerances (stated): the VIP owner is polled every 100 ms (POLL_TOL_MS as in pacemaker.test.ts); the anchor is
 * a poll reading made after the change (crm_mon, corosync-cfgtool: every 200 ms + the read itself), so the
 * measured relocation can be short by up to ANCHOR_TOL_MS; apache's agent checks its stop once a second
 * (APACHE_POLL_MS). One lab, about a minute; the lab is removed in after(), even on failure.
 */
import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {WatchResult} from '../../commands/watch.js'
import {executorFor} from '../../src/inventory/inventory.js'
import {processesInNode, readInitPid} from '../../src/lab/node-ns.js'
import {pkPaths} from '../../src/stacks/pacemaker/lab/lab.js'
import {inventoryFile, labDir} from '../../src/lab/paths.js'
import {clusterNodeName} from '../../src/stacks/pacemaker/targets.js'
import type {DrillRun} from '../../src/store/run-types.js'
import {sleep} from '../../src/time.js'
import {BIN, labPrefixForTests, runCli} from '../helpers/cli.js'
import {labContext, vipOwners, type LabCtx} from '../helpers/pacemaker.js'

const prefix = labPrefixForTests()
const HOME = mkdtempSync(join(tmpdir(), 'hachaos-watch-pk-'))
const TOPO = ['--topology', 'pacemaker']
const POLL_TOL_MS = 150
const ANCHOR_TOL_MS = 500
const APACHE_POLL_MS = 1000

async function until(what: string, f: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now()
  while (!(await f())) {
    if (Date.now() - t0 > timeoutMs) assert.fail(`${what}: not within ${timeoutMs} ms`)
    await sleep(100)
  }
}

const within = (run: DrillRun, lowSlackMs: number): void => {
  const p = run.prediction
  const rel = run.metrics.extra['relocationMs'] ?? null
  assert.ok(p.minMs !== null && p.maxMs !== null, p.formula)
  assert.ok(rel !== null && rel >= p.minMs - lowSlackMs && rel <= p.maxMs + POLL_TOL_MS, `relocation ${rel} ms, model ${p.minMs} … ${p.maxMs} ms (−${lowSlackMs}/+${POLL_TOL_MS}): ${p.formula}`)
}

describe('hachaos watch on the pacemaker lab', () => {
  let ctx: LabCtx
  let watch: ChildProcess | null = null

  before(async () => {
    await runCli(['lab', 'down', ...TOPO])
    const r = await runCli(['lab', 'up', ...TOPO, '--json'], {timeoutMs: 180_000})
    assert.equal(r.code, 0, r.stderr)
    ctx = await labContext(prefix)
  })
  after(async () => {
    if (watch !== null && watch.exitCode === null) watch.kill('SIGKILL')
    await runCli(['lab', 'down', ...TOPO])
    rmSync(HOME, {recursive: true, force: true})
  })

  it('standby by hand, then kill -9 corosync by hand: two incidents, relocations within the model', async () => {
    let stdout = ''
    let stderr = ''
    const w = spawn(process.execPath, [BIN, 'watch', '--inventory', inventoryFile(prefix, 'pacemaker'), '--settle', '3s', '--json'], {env: {...process.env, HACHAOS_HOME: HOME}, stdio: ['ignore', 'pipe', 'pipe']})
    watch = w
    w.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
    w.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<number | null>((resolve) => w.on('close', (code) => resolve(code)))
    await until('watching', () => /watching /.test(stderr), 30_000)
    await sleep(2000)

    // 1. standby on the VIP's node, by hand
    const a = (await vipOwners(ctx))[0] as string
    const ha = ctx.nodes.find((n) => n.name === a)
    assert.ok(ha !== undefined)
    const sb = await executorFor(ha).run(['crm_standby', '--node', clusterNodeName(ha), '--update', 'on'])
    assert.equal(sb.code, 0, sb.stderr)
    await until('incident 1', () => (stderr.match(/incident /g) ?? []).length >= 1, 30_000)
    const off = await executorFor(ha).run(['crm_standby', '--node', clusterNodeName(ha), '--update', 'off'])
    assert.equal(off.code, 0, off.stderr)
    await sleep(3000)

    // 2. SIGKILL corosync on the node now holding the VIP (resource-stickiness keeps the group there)
    const owners = await vipOwners(ctx)
    assert.equal(owners.length, 1)
    const b = owners[0] as string
    assert.notEqual(b, a)
    const init = readInitPid(pkPaths(labDir(prefix, 'pacemaker')).initPidFile(b))
    assert.ok(init !== null)
    const coro = processesInNode(init).find((p) => p.comm === 'corosync')
    assert.ok(coro !== undefined, `corosync runs on ${b}`)
    process.kill(coro.pid, 'SIGKILL')
    await until('the VIP elsewhere', async () => (await vipOwners(ctx)).some((o) => o !== b), 20_000)
    await sleep(2000)
    w.kill('SIGINT')
    assert.equal(await exited, 0, stderr)

    const res = JSON.parse(stdout) as WatchResult
    assert.equal(res.stack, 'pacemaker')
    assert.equal(res.incidentsTotal, 2, JSON.stringify(res.incidents))
    const runs = readdirSync(join(HOME, 'runs'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(HOME, 'runs', f), 'utf8')) as DrillRun)
      .sort((x, y) => x.metrics.faultAtUs - y.metrics.faultAtUs)
    assert.equal(runs.length, 2)
    // HACHAOS_SAVE_FIXTURES=DIR keeps the records (test/fixtures/watch-pacemaker was made so)
    const keep = process.env['HACHAOS_SAVE_FIXTURES']
    if (keep !== undefined) {
      mkdirSync(keep, {recursive: true})
      for (const f of readdirSync(join(HOME, 'runs')).filter((x) => /\.(json|pcap)$/.test(x))) copyFileSync(join(HOME, 'runs', f), join(keep, f))
    }
    const [r1, r2] = runs as [DrillRun, DrillRun]

    assert.equal(r1.kind, 'incident')
    assert.equal(r1.fault.params['cause'], 'standby')
    assert.equal(r1.metrics.oldOwner, a)
    assert.equal(r1.metrics.newOwner, b)
    assert.equal(r1.prediction.metric, 'relocationMs')
    within(r1, APACHE_POLL_MS + ANCHOR_TOL_MS)
    assert.ok(r1.metrics.lostProbes > 0 && (r1.metrics.outageMs ?? 0) > 0, 'the client saw the move')
    assert.equal(r1.splitBrain.length, 0, JSON.stringify(r1.splitBrain))

    assert.equal(r2.fault.params['cause'], 'node-loss')
    assert.equal(r2.metrics.oldOwner, b)
    assert.equal(r2.prediction.inputs['detectMaxMs'], 1650 + 1980)
    within(r2, POLL_TOL_MS + ANCHOR_TOL_MS)
    assert.ok(r2.splitBrain.some((s) => s.kind === 'dual-vip'), 'the killed node keeps the VIP: a split brain')
    assert.ok(res.splitBrainMsTotal > 0)
    process.stderr.write(
      `measured: standby relocation ${r1.metrics.extra['relocationMs']} ms (model ${r1.prediction.minMs} … ${r1.prediction.maxMs}, ${r1.prediction.takeoverMs}), outage ${r1.metrics.outageMs} ms, ${r1.metrics.lostProbes} lost; ` +
        `corosync kill relocation ${r2.metrics.extra['relocationMs']} ms (model ${r2.prediction.minMs} … ${r2.prediction.maxMs}, ${r2.prediction.takeoverMs}), outage ${r2.metrics.outageMs} ms, split brain ${res.splitBrainMsTotal} ms\n`,
    )
  })
})
