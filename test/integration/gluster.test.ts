/**
 * The GlusterFS lab (g1..g3 glusterd + replica 3 volume gv on tmpfs bricks, FUSE clients gc and gc2) through
 * the real CLI, with a short network.ping-timeout (5 s): lab up and status (pool, bricks, heal backlog), a
 * nic-down drill on g3 — the client's longest write stall must fall between 1× and 2× ping-timeout (the
 * measured rule, src/stacks/gluster/predict.ts) — a brick kill on g3 — no stall (TCP reset), the heal
 * backlog drains to 0 after the revert's heal — client quorum lost (g2's and g3's bricks killed) → writes
 * fail with ENOTCONN, doctor on the live lab, the --help examples, and `lab down` leaves nothing (namespaces,
 * processes, mounts). One lab for the file, removed in after() even on failure; about 3 minutes.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {LabDownResult, LabStatus, LabUpResult} from '../../src/lab/driver.js'
import {listNetns} from '../../src/lab/netns-ops.js'
import {nodeExecutor} from '../../src/lab/node-ns.js'
import {labDir} from '../../src/lab/paths.js'
import type {FsProbeSummary} from '../../src/probe/fs.js'
import type {GlusterState} from '../../src/stacks/gluster/cli.js'
import type {DrillRun} from '../../src/store/run-types.js'
import {labPrefixForTests, runCli} from '../helpers/cli.js'
import {checkExample, examplesFor} from './examples.js'

const prefix = labPrefixForTests()
const HOME = mkdtempSync(join(tmpdir(), 'hachaos-gl-'))
const env = {HACHAOS_HOME: HOME}
const TOPO = ['--topology', 'gluster']
const PING_S = 5
/**
 * Allowance over the stall range for a loaded 2-core machine: the probe's interval (100 ms: a write starts up
 * to one interval after the fault) + 1 s (scheduling of the FUSE client and the probe under load).
 */
const STALL_TOL_MS = 100 + 1000

const node = (n: string): ReturnType<typeof nodeExecutor> => nodeExecutor(n, join(labDir(prefix, 'gluster'), 'nodes', n, 'init.pid'), {ipc: true})

async function status(): Promise<LabStatus> {
  const r = await runCli(['lab', 'status', ...TOPO, '--json'], {env, timeoutMs: 60_000})
  return r.json as LabStatus
}

/** Processes on this machine whose mount table has a fuse.glusterfs mount (any namespace; only the lab makes them). */
function glusterMounts(): number {
  let n = 0
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      if (readFileSync(`/proc/${e}/mountinfo`, 'utf8').includes(' - fuse.glusterfs ')) n++
    } catch {
      // gone
    }
  }
  return n
}

describe('gluster lab: link down and brick kill against ping-timeout, heal, quorum', () => {
  before(async () => {
    await runCli(['lab', 'down', ...TOPO])
  })
  after(async () => {
    await runCli(['lab', 'down', ...TOPO], {timeoutMs: 60_000})
    rmSync(HOME, {recursive: true, force: true})
  })

  it('lab up: trusted pool of g1..g3, volume gv replica 3 started, mounted on gc and gc2', async () => {
    const r = await runCli(['lab', 'up', ...TOPO, '--ping-timeout', String(PING_S), '--json'], {env, timeoutMs: 150_000})
    assert.equal(r.code, 0, r.stderr.slice(-2000))
    const up = r.json as LabUpResult
    assert.deepEqual(up.hosts.map((h) => [h.name, h.role]), [['g1', 'gluster-node'], ['g2', 'gluster-node'], ['g3', 'gluster-node'], ['gc', 'gluster-client'], ['gc2', 'gluster-client']])
    assert.equal(up.details['pingTimeoutS'], PING_S)
    const st = await status()
    assert.ok(st.healthy, st.problems.join('; '))
    const g = st.details['gluster'] as GlusterState
    assert.deepEqual(g.peers.map((p) => [p.connected, p.stateText]), [[true, 'Peer in Cluster'], [true, 'Peer in Cluster']])
    assert.equal(g.info?.replicaCount, 3)
    assert.equal(g.info?.options['network.ping-timeout'], String(PING_S))
    assert.equal(g.status?.bricks.filter((b) => b.online).length, 3)
    assert.equal(g.healBacklog, 0)
    assert.deepEqual(st.details['mounts'], {gc: true, gc2: true})
  })

  it(`nic-down g3: the client's write stalls between 1× and 2× ping-timeout (${PING_S} s), then writes go on`, async () => {
    const r = await runCli(['failover', '--target', 'g3', '--fault', 'nic-down', '--json'], {env, timeoutMs: 150_000})
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr.slice(-2000)}`)
    const run = r.json as DrillRun
    assert.equal(run.stack, 'gluster')
    assert.equal(run.reverted, true)
    assert.equal(run.prediction.metric, 'stallMs')
    assert.equal(run.prediction.minMs, PING_S * 1000)
    const stall = run.metrics.extra['stallMs']
    assert.ok(typeof stall === 'number', 'stall measured')
    assert.ok(stall >= PING_S * 1000 - STALL_TOL_MS && stall <= 2 * PING_S * 1000 + STALL_TOL_MS, `stall ${stall} ms outside [${PING_S} s, ${2 * PING_S} s] ± ${STALL_TOL_MS} ms`)
    assert.equal(run.metrics.extra['failedOps'], 0, 'replica 3 keeps client quorum with one node gone: no write fails')
  })

  it('kill the brick on g3: no stall (TCP reset), the heal backlog peaks and drains to 0 after the heal', async () => {
    const r = await runCli(['failover', '--target', 'g3', '--fault', 'kill', '--process', 'gluster-brick', '--json'], {env, timeoutMs: 150_000})
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr.slice(-2000)}`)
    const run = r.json as DrillRun
    const x = run.metrics.extra
    assert.ok(typeof x['stallMs'] === 'number' && x['stallMs'] < 1000, `stall ${x['stallMs']} ms (a killed brick resets its connections: < 1 s)`)
    assert.equal(x['failedOps'], 0)
    assert.ok((x['healPeak'] ?? 0) > 0, `heal backlog peak ${x['healPeak']}`)
    assert.ok(typeof x['healTriggeredMs'] === 'number', 'heal triggered after the revert')
    assert.ok(typeof x['healDrainedMs'] === 'number', 'heal backlog back to 0')
    const st = await status()
    assert.ok(st.healthy, st.problems.join('; '))
  })

  it('client quorum lost (bricks of g2 and g3 killed): writes fail with ENOTCONN, not a stall', async () => {
    for (const n of ['g2', 'g3']) await node(n).run(['pkill', '-KILL', '-x', 'glusterfsd'])
    try {
      const r = await runCli(['probe', '--from', 'gc', '--fs', '/mnt', '--interval', '100ms', '--duration', '3s', '--json'], {env, timeoutMs: 60_000})
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as {type: string})
      const s = lines.find((l) => l.type === 'fsprobe.summary') as FsProbeSummary | undefined
      assert.ok(s !== undefined, r.stderr)
      // the first writes may still go through while the client notices the resets; then every one fails
      assert.ok((s.byError['ENOTCONN'] ?? 0) >= s.sent - 3, JSON.stringify(s))
      assert.ok(s.maxLatencyMs < 1000, `no stall: ${s.maxLatencyMs} ms`)
    } finally {
      for (const n of ['g2', 'g3']) await node(n).run(['/run/hachaos/bin/hachaos-rc', 'start', 'glusterfsd'], {timeoutMs: 60_000})
    }
  })

  it('doctor on the live lab: ping-timeout 42 and client quorum off are found once set', async () => {
    const inv = join(labDir(prefix, 'gluster'), 'inventory.yaml')
    const fired = async (): Promise<string[]> => {
      const r = await runCli(['doctor', '-i', inv, '--json'], {env, timeoutMs: 60_000})
      return ((r.json as {findings: Array<{rule: string}>}).findings ?? []).map((f) => f.rule)
    }
    const before = await fired()
    assert.ok(!before.includes('gluster-ping-timeout-default') && !before.includes('gluster-client-quorum-off'), before.join(', '))
    assert.ok(before.includes('gluster-server-quorum-off'))
    for (const [k, v] of [['network.ping-timeout', '42'], ['cluster.quorum-type', 'none']]) await node('g1').run(['gluster', '--mode=script', 'volume', 'set', 'gv', k as string, v as string])
    try {
      const now = await fired()
      assert.ok(now.includes('gluster-ping-timeout-default') && now.includes('gluster-client-quorum-off'), now.join(', '))
    } finally {
      for (const [k, v] of [['network.ping-timeout', String(PING_S)], ['cluster.quorum-type', 'auto']]) await node('g1').run(['gluster', '--mode=script', 'volume', 'set', 'gv', k as string, v as string])
    }
  })

  for (const e of examplesFor('gluster')) {
    it(`example: ${e.command}`, {skip: e.meta.skip ?? false}, async () => {
      await checkExample(e, HOME, env)
    })
  }

  it('lab down leaves nothing: namespaces, processes, mounts, files', async () => {
    const r = await runCli(['lab', 'down', ...TOPO, '--json'], {timeoutMs: 60_000})
    assert.equal(r.code, 0, r.stderr)
    const d = r.json as LabDownResult
    assert.equal(d.topology, 'gluster')
    assert.ok(!existsSync(labDir(prefix, 'gluster')))
    const left = (await listNetns()).filter((n) => n === `${prefix}-glsw` || /^[a-z0-9]+-g(1|2|3|c|c2)$/.test(n) && n.startsWith(`${prefix}-`))
    assert.deepEqual(left, [], `namespaces left: ${left.join(', ')}`)
    assert.equal(glusterMounts(), 0, 'a fuse.glusterfs mount is left')
  })
})
