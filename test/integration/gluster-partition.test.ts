/**
 * The GlusterFS lab as replica 2 without arbiter and client quorum none (the layout Gluster warns about), with
 * a short network.ping-timeout (5 s), through the real CLI: a partition drill (g2 cut from everyone by
 * nftables) — the client's longest write stall falls between 1× and 2× ping-timeout, the heal drains, the
 * rules are gone; replica-2 split brain — g1+gc | g2+g3+gc2 cut apart while gc and gc2 write the same file:
 * after the heal `heal info split-brain` lists it, the drill says split brain (FAIL, exit 7) and a read on the
 * mount gives EIO; the same partition with cluster.quorum-type auto — gc2 (the side without the first brick)
 * gets its writes refused (ENOTCONN) instead of diverging; a drill SIGKILLed mid-partition is reverted by
 * `hachaos recover`; doctor finds a brick forced onto the root file system; `lab down` leaves nothing. One lab for the file,
 * removed in after() even on failure; about 3 minutes.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {LabUpResult} from '../../src/lab/driver.js'
import {listNetns} from '../../src/lab/netns-ops.js'
import {nodeExecutor} from '../../src/lab/node-ns.js'
import {labDir} from '../../src/lab/paths.js'
import {parseHealInfoXml} from '../../src/stacks/gluster/cli.js'
import type {DrillRun} from '../../src/store/run-types.js'
import {BIN, labPrefixForTests, runCli} from '../helpers/cli.js'

const prefix = labPrefixForTests()
const HOME = mkdtempSync(join(tmpdir(), 'hachaos-glp-'))
const env = {HACHAOS_HOME: HOME}
const TOPO = ['--topology', 'gluster']
const PING_S = 5
/** As in gluster.test.ts: the probe's interval (a write starts up to 100 ms after the fault) + 1 s of scheduling on a loaded 2-core machine. */
const STALL_TOL_MS = 100 + 1000
const SERVERS = ['g1', 'g2', 'g3']
const NODES = [...SERVERS, 'gc', 'gc2']

const node = (n: string): ReturnType<typeof nodeExecutor> => nodeExecutor(n, join(labDir(prefix, 'gluster'), 'nodes', n, 'init.pid'), {ipc: true})
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Whether the partition's nftables table is in the node now. */
async function cut(n: string): Promise<boolean> {
  return (await node(n).run(['nft', 'list', 'table', 'inet', 'hachaos_partition'], {timeoutMs: 5000})).code === 0
}

/** Write the same file on the mount every 200 ms for `s` seconds (a write stuck on a cut brick waits). */
function writer(n: string, s: number): Promise<unknown> {
  const sh = `end=$(($(date +%s)+${s})); i=0; while [ $(date +%s) -lt $end ]; do echo "${n} $i" >/mnt/sb.txt; i=$((i+1)); sleep 0.2; done`
  return node(n).run(['sh', '-c', sh], {timeoutMs: (s + 30) * 1000})
}

/** The measured figures, in the test output (the README's numbers come from here). */
function say(what: string, run: DrillRun): void {
  const x = run.metrics.extra
  console.log(`# ${what}: stall ${x['stallMs']} ms, failed ${x['failedOps']} (ENOTCONN ${x['enotconnOps']}, EROFS ${x['erofsOps']}), first error ${x['firstErrorMs']} ms, heal peak ${x['healPeak']}, drained ${x['healDrainedMs']} ms after the revert, split-brain files ${x['splitBrainFiles']}, verdict ${run.verdict}: ${run.verdictReasons.join(' | ')}`)
  for (const sb of run.splitBrain) console.log(`# ${what}: split brain ${sb.kind} ${sb.parties.join(' and ')}: ${sb.evidence}`)
}

function stallOk(run: DrillRun): void {
  const stall = run.metrics.extra['stallMs']
  assert.ok(typeof stall === 'number', 'stall measured')
  assert.ok(stall >= PING_S * 1000 - STALL_TOL_MS && stall <= 2 * PING_S * 1000 + STALL_TOL_MS, `stall ${stall} ms outside [${PING_S} s, ${2 * PING_S} s] ± ${STALL_TOL_MS} ms`)
}

describe('gluster lab, replica 2 without quorum: partition vs ping-timeout, split brain, quorum auto refuses', () => {
  before(async () => {
    await runCli(['lab', 'down', ...TOPO])
  })
  after(async () => {
    await runCli(['lab', 'down', ...TOPO], {timeoutMs: 60_000})
    rmSync(HOME, {recursive: true, force: true})
  })

  it('lab up --replica 2 --quorum none', async () => {
    const r = await runCli(['lab', 'up', ...TOPO, '--replica', '2', '--quorum', 'none', '--ping-timeout', String(PING_S), '--json'], {env, timeoutMs: 150_000})
    assert.equal(r.code, 0, r.stderr.slice(-2000))
    const up = r.json as LabUpResult
    assert.deepEqual([up.details['replica'], up.details['quorum'], up.details['pingTimeoutS']], [2, 'none', PING_S])
  })

  it('--dry-run: the nft script per host and the prediction, nothing cut', async () => {
    const r = await runCli(['failover', '--target', 'g2', '--fault', 'partition', '--dry-run'], {env, timeoutMs: 60_000})
    console.log(r.stdout.trim().split('\n').map((l) => `#| ${l}`).join('\n'))
    assert.equal(r.code, 0, r.stderr.slice(-2000))
    assert.match(r.stdout, /partition g2 \| g1\+g3\+gc\+gc2/)
    for (const n of NODES) assert.equal(await cut(n), false)
  })

  it(`partition g2 from everyone: the client's write stalls 1×–2× ping-timeout (${PING_S} s), the heal drains, the rules are gone`, async () => {
    const r = await runCli(['failover', '--target', 'g2', '--fault', 'partition', '--json'], {env, timeoutMs: 150_000})
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr.slice(-2000)}`)
    const run = r.json as DrillRun
    say('partition g2', run)
    assert.equal(run.stack, 'gluster')
    assert.deepEqual(run.fault.params['sides'], [['g2'], ['g1', 'g3', 'gc', 'gc2']])
    assert.equal(run.reverted, true)
    assert.deepEqual([run.prediction.minMs, run.prediction.maxMs], [PING_S * 1000, 2 * PING_S * 1000 + 100])
    stallOk(run)
    assert.equal(run.metrics.extra['failedOps'], 0, 'quorum none: the client goes on with g1 alone')
    assert.ok((run.metrics.extra['healPeak'] ?? 0) > 0 && typeof run.metrics.extra['healDrainedMs'] === 'number', `heal peak ${run.metrics.extra['healPeak']}, drained ${run.metrics.extra['healDrainedMs']}`)
    assert.deepEqual(run.splitBrain, [])
    for (const n of NODES) assert.equal(await cut(n), false, `${n} still has the partition table`)
  })

  it('replica 2 split brain: g1+gc | g2+g3+gc2, both clients write /sb.txt; after the heal it is listed, the drill fails with split brain, reads give EIO', async () => {
    const w = await node('gc').run(['sh', '-c', 'echo base >/mnt/sb.txt'], {timeoutMs: 10_000})
    assert.equal(w.code, 0, w.stderr)
    const drill = runCli(['failover', '--target', 'g1', '--fault', 'partition', '--param', 'with=gc', '--hold', '25s', '--json'], {env, timeoutMs: 200_000})
    let injected = false
    for (let i = 0; i < 120 && !injected; i++) {
      injected = await cut('g1')
      if (!injected) await sleep(250)
    }
    assert.ok(injected, 'the partition was not injected within 30 s')
    // both sides write for 15 s: each waits out its ping-timeout (≤ 2 × 5 s), then writes on its own brick
    await Promise.all([writer('gc', 15), writer('gc2', 15)])
    const r = await drill
    const run = r.json as DrillRun
    assert.ok(run !== undefined, r.stderr.slice(-2000))
    say('split brain', run)
    assert.equal(run.reverted, true)
    assert.equal(run.verdict, 'fail', run.verdictReasons.join('; '))
    assert.equal(r.code, 7, 'FAIL exits 7')
    const sb = run.splitBrain.find((s) => s.kind === 'split-files')
    assert.ok(sb !== undefined, JSON.stringify(run.splitBrain))
    assert.match(sb.evidence, /\/sb\.txt/)
    assert.deepEqual([...sb.parties].sort(), ['10.74.0.21:/srv/brick/gv', '10.74.0.22:/srv/brick/gv'])
    assert.ok(run.verdictReasons.some((x) => /split brain \(split-files\)/.test(x)), run.verdictReasons.join('; '))
    assert.equal(run.metrics.extra['splitBrainFiles'], 1)
    stallOk(run)
    // Gluster's own view, and the client's
    const xml = await node('g1').run(['gluster', '--mode=script', 'volume', 'heal', 'gv', 'info', 'split-brain', '--xml'], {timeoutMs: 20_000})
    const listed = parseHealInfoXml(xml.stdout, 'g1:heal info split-brain').bricks.flatMap((b) => b.files)
    assert.deepEqual(listed, ['/sb.txt', '/sb.txt'])
    const cat = await node('gc').run(['cat', '/mnt/sb.txt'], {timeoutMs: 10_000})
    assert.notEqual(cat.code, 0)
    assert.match(cat.stderr, /Input\/output error/)
    // resolve it (g1's copy wins; latest-mtime refuses when both were written in the same second) for the next drill: nothing listed any more
    const fix = await node('g1').run(['gluster', '--mode=script', 'volume', 'heal', 'gv', 'split-brain', 'source-brick', '10.74.0.21:/srv/brick/gv', '/sb.txt'], {timeoutMs: 30_000})
    assert.equal(fix.code, 0, fix.stdout + fix.stderr)
    const after = await node('g1').run(['gluster', '--mode=script', 'volume', 'heal', 'gv', 'info', 'split-brain', '--xml'], {timeoutMs: 20_000})
    assert.deepEqual(parseHealInfoXml(after.stdout, 'g1').bricks.flatMap((b) => b.files), [])
  })

  it('quorum auto: the same partition refuses gc2\'s writes (the side without the first brick) instead of diverging', async () => {
    const set = await node('g1').run(['gluster', '--mode=script', 'volume', 'set', 'gv', 'cluster.quorum-type', 'auto'], {timeoutMs: 30_000})
    assert.equal(set.code, 0, set.stdout + set.stderr)
    const r = await runCli(['failover', '--target', 'g1', '--fault', 'partition', '--param', 'with=gc', '--capture-on', 'gc2', '--json'], {env, timeoutMs: 150_000})
    const run = r.json as DrillRun
    assert.ok(run !== undefined, r.stderr.slice(-2000))
    say('quorum auto', run)
    assert.equal(run.reverted, true)
    assert.equal(run.prediction.inputs['quorumMetAfterFault'], false)
    const x = run.metrics.extra
    assert.ok((x['failedOps'] ?? 0) > 0, `failed ops ${x['failedOps']}`)
    // failedOps counts the operations started before the revert; the errno counts run until the client reconnects
    assert.ok((x['enotconnOps'] ?? 0) >= (x['failedOps'] ?? 0) && x['erofsOps'] === 0, `refused with ENOTCONN, not EROFS: ${JSON.stringify(x)}`)
    assert.ok(typeof x['firstErrorMs'] === 'number' && x['firstErrorMs'] >= PING_S * 1000 - STALL_TOL_MS, `the first refusal comes after the ping-timeout: ${x['firstErrorMs']} ms`)
    assert.deepEqual(run.splitBrain, [])
  })

  it('a drill SIGKILLed during the partition: `hachaos recover` deletes the table on every node from the journal', async () => {
    const child = spawn(process.execPath, [BIN, 'failover', '--target', 'g2', '--fault', 'partition', '--hold', '60s', '--json'], {env: {...process.env, ...env}, stdio: 'ignore'})
    const gone = new Promise((r) => child.on('close', r))
    try {
      let injected = false
      for (let i = 0; i < 120 && !injected; i++) {
        injected = await cut('g2')
        if (!injected) await sleep(250)
      }
      assert.ok(injected, 'the partition was not injected within 30 s')
    } finally {
      child.kill('SIGKILL')
      await gone
    }
    assert.equal(await cut('g2'), true, 'a SIGKILLed drill cannot revert: the cut stays')
    const r = await runCli(['recover', '--json'], {env, timeoutMs: 60_000})
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const rec = r.json as {entries: Array<{fault: string; action: string}>}
    assert.deepEqual(rec.entries.map((e) => [e.fault, e.action]), [['partition', 'reverted']])
    for (const n of NODES) assert.equal(await cut(n), false, `${n} still has the partition table`)
  })

  it('doctor, live: a brick on the root file system (forced past Gluster\'s own refusal) is found, the tmpfs bricks are not', async () => {
    // a directory on the machine's root file system (the nodes share it; /run is theirs), removed below
    const dir = `/var/tmp/hachaos-${prefix}-gl-rootbrick`
    const brick = `10.74.0.23:${dir}`
    const inv = join(labDir(prefix, 'gluster'), 'inventory.yaml')
    const refused = await node('g1').run(['gluster', '--mode=script', 'volume', 'create', 'rootvol', brick], {timeoutMs: 30_000})
    console.log(`# volume create on /: exit ${refused.code}: ${(refused.stdout + refused.stderr).trim()}`)
    assert.notEqual(refused.code, 0)
    assert.match(refused.stdout + refused.stderr, /root partition/)
    const forced = await node('g1').run(['gluster', '--mode=script', 'volume', 'create', 'rootvol', brick, 'force'], {timeoutMs: 30_000})
    assert.equal(forced.code, 0, forced.stdout + forced.stderr)
    try {
      const info = await node('g3').run(['gluster', 'volume', 'info'], {timeoutMs: 30_000})
      console.log(`# volume info on g3:\n${info.stdout.trim().split('\n').map((l) => `#| ${l}`).join('\n')}`)
      for (const [n, path] of [['g1', '/srv/brick/gv'], ['g3', dir]] as const) {
        const f = await node(n).run(['findmnt', '-n', '-P', '-o', 'TARGET,SOURCE,FSTYPE', '-T', path], {timeoutMs: 5000})
        console.log(`# findmnt on ${n} for ${path}: ${f.stdout.trim()}`)
      }
      const r = await runCli(['doctor', '-i', inv, '--json'], {env, timeoutMs: 60_000})
      const all = (r.json as {findings?: Array<{rule: string; host: string; message: string}>}).findings ?? []
      // the lab's own layout, verified live too: replica 2 without an arbiter (gv), reported once for the pool
      const r2 = all.filter((f) => f.rule === 'gluster-replica2-no-arbiter')
      assert.equal(r2.length, 1, JSON.stringify(r2))
      assert.match(r2[0]?.message ?? '', /volume gv is replica 2 without an arbiter/)
      const findings = all.filter((f) => f.rule === 'gluster-brick-on-root-fs')
      assert.deepEqual(findings.map((f) => f.host), ['g3'], JSON.stringify(findings))
      assert.match(findings[0]?.message ?? '', /rootvol is on the root file system/)
    } finally {
      await node('g1').run(['gluster', '--mode=script', 'volume', 'delete', 'rootvol'], {timeoutMs: 30_000})
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('lab down leaves nothing', async () => {
    const r = await runCli(['lab', 'down', ...TOPO, '--json'], {timeoutMs: 60_000})
    assert.equal(r.code, 0, r.stderr)
    assert.ok(!existsSync(labDir(prefix, 'gluster')))
    const left = (await listNetns()).filter((n) => n === `${prefix}-glsw` || NODES.some((x) => n === `${prefix}-${x}`))
    assert.deepEqual(left, [])
  })
})
