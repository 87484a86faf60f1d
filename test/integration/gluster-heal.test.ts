/**
 * The GlusterFS lab as replica 3 (client quorum auto, Gluster's default) with a short network.ping-timeout
 * (5 s) and cluster.heal-timeout 15 s, through the real CLI: the heal backlog after a node's link loss (g3's
 * eth0 down for 20 s while the probe writes on gc and gc2 writes new files), drained once with `--param
 * heal=trigger` (gluster volume heal right after the revert) and once with `--param heal=wait` (the
 * self-heal daemon alone) — peak and time to 0 after the revert, each within its model
 * (src/stacks/gluster/metrics.ts healDrainModel); g3's brick killed for 10 s with heal=wait; then the quorum outcome: g3+gc2 cut from g1+g2+gc while
 * both clients write — the majority side (gc) writes on, the minority (gc2) is refused, `heal info
 * split-brain` stays empty. One lab for the file, removed in after() even on failure; about 3 minutes.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {LabUpResult} from '../../src/lab/driver.js'
import {parseHealInfoXml} from '../../src/stacks/gluster/cli.js'
import type {DrillRun} from '../../src/store/run-types.js'
import {labPrefixForTests, runCli} from '../helpers/cli.js'
import {cut, glNode, linkDown, until, writer} from '../helpers/gluster.js'

const prefix = labPrefixForTests()
const HOME = mkdtempSync(join(tmpdir(), 'hachaos-glh-'))
const env = {HACHAOS_HOME: HOME}
const TOPO = ['--topology', 'gluster']
const PING_S = 5
const HEAL_TIMEOUT_S = 15
const HOLD_S = 20
/** As in gluster.test.ts: the probe's interval + 1 s of scheduling on a loaded 2-core machine. */
const STALL_TOL_MS = 100 + 1000
/** Optional: where the real outputs of this run are written for the unit fixtures. */
const CAPTURE = process.env['HACHAOS_GLUSTER_CAPTURE']

const node = glNode

function say(what: string, run: DrillRun): void {
  const x = run.metrics.extra
  console.log(`# ${what}: stall ${x['stallMs']} ms, failed ${x['failedOps']} (ENOTCONN ${x['enotconnOps']}, EROFS ${x['erofsOps']}), heal info peak ${x['healPeak']} drained ${x['healDrainedMs']} ms, brick index peak ${x['healIndexPeak']} drained ${x['healIndexDrainedMs']} ms, triggered ${x['healTriggeredMs']} ms after the revert; model: ${run.prediction.inputs['healDrainModel']}; split-brain files ${x['splitBrainFiles']}, verdict ${run.verdict}`)
}

async function splitBrainListed(): Promise<string[]> {
  const xml = await node('g1').run(['gluster', '--mode=script', 'volume', 'heal', 'gv', 'info', 'split-brain', '--xml'], {timeoutMs: 30_000})
  if (CAPTURE !== undefined) writeFileSync(join(CAPTURE, 'partition-heal-info-split-brain.xml'), xml.stdout)
  return parseHealInfoXml(xml.stdout, 'g1:heal info split-brain').bricks.flatMap((b) => b.files)
}

describe('gluster lab, replica 3: heal backlog drained with and without a triggered heal; the majority writes on through a partition', () => {
  before(async () => {
    await runCli(['lab', 'down', ...TOPO])
  })
  after(async () => {
    await runCli(['lab', 'down', ...TOPO], {timeoutMs: 60_000})
    rmSync(HOME, {recursive: true, force: true})
  })

  it(`lab up (replica 3, ping-timeout ${PING_S} s), cluster.heal-timeout ${HEAL_TIMEOUT_S} s`, async () => {
    const r = await runCli(['lab', 'up', ...TOPO, '--ping-timeout', String(PING_S), '--json'], {env, timeoutMs: 150_000})
    assert.equal(r.code, 0, r.stderr.slice(-2000))
    assert.equal((r.json as LabUpResult).details['replica'], 3)
    const set = await node('g1').run(['gluster', '--mode=script', 'volume', 'set', 'gv', 'cluster.heal-timeout', String(HEAL_TIMEOUT_S)], {timeoutMs: 30_000})
    assert.equal(set.code, 0, set.stdout + set.stderr)
  })

  for (const mode of ['trigger', 'wait'] as const) {
    it(`nic-down g3 for ${HOLD_S} s, --param heal=${mode}: the backlog peaks, then drains within the model`, async () => {
      const drill = runCli(['failover', '--target', 'g3', '--fault', 'nic-down', '--param', `heal=${mode}`, '--hold', `${HOLD_S}s`, '--json'], {env, timeoutMs: 240_000})
      await until('g3 link down', () => linkDown('g3'))
      const w = await writer('gc2', HOLD_S - 5, `heal-${mode}`, true)
      if (CAPTURE !== undefined && mode === 'wait') {
        const idx = await node('g1').run(['find', '/srv/brick/gv/.glusterfs/indices/xattrop', '-mindepth', '1', '-maxdepth', '1'], {timeoutMs: 10_000})
        writeFileSync(join(CAPTURE, 'link-down-xattrop-g1.txt'), idx.stdout)
      }
      const r = await drill
      const run = r.json as DrillRun
      assert.ok(run !== undefined, r.stderr.slice(-2000))
      say(`heal=${mode} (gc2 wrote ${w.ok} files, ${w.errors.length} errors)`, run)
      assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr.slice(-2000)}`)
      assert.equal(run.reverted, true)
      assert.equal(run.prediction.inputs['healMode'], mode)
      assert.equal(run.prediction.inputs['healTimeoutS'], HEAL_TIMEOUT_S)
      const x = run.metrics.extra
      const stall = x['stallMs'] ?? 0
      assert.ok(stall >= PING_S * 1000 - STALL_TOL_MS && stall <= 2 * PING_S * 1000 + STALL_TOL_MS, `stall ${stall} ms`)
      assert.equal(x['failedOps'], 0, 'replica 3 keeps client quorum with one node gone')
      assert.ok(w.ok > 10 && w.errors.length === 0, `gc2's writes: ${w.ok} ok, ${w.errors.join('; ')}`)
      // the backlog is seen during the fault in g1's own brick index (heal info waits on the silent g3)
      assert.ok((x['healIndexPeak'] ?? 0) >= w.ok, `brick index peak ${x['healIndexPeak']} < ${w.ok} files written`)
      const drained = x['healIndexDrainedMs']
      const max = Number(run.prediction.inputs['healDrainMaxMs'])
      assert.ok(typeof drained === 'number' && drained <= max, `drained ${drained} ms after the revert, model ≤ ${max} ms`)
      if (mode === 'trigger') assert.ok(typeof x['healTriggeredMs'] === 'number', 'heal triggered')
      else assert.equal(x['healTriggeredMs'], null, 'no heal triggered')
    })
  }

  it('kill the brick on g3 for 10 s, --param heal=wait: the backlog drains without a trigger, within heal-timeout + one crawl', async () => {
    const drill = runCli(['failover', '--target', 'g3', '--fault', 'kill', '--process', 'gluster-brick', '--param', 'heal=wait', '--hold', '10s', '--json'], {env, timeoutMs: 240_000})
    await until('g3 brick gone', async () => (await node('g3').run(['pgrep', '-x', 'glusterfsd'], {timeoutMs: 5000})).code !== 0)
    const w = await writer('gc2', 7, 'heal-kill', true)
    const r = await drill
    const run = r.json as DrillRun
    assert.ok(run !== undefined, r.stderr.slice(-2000))
    say(`kill, heal=wait (gc2 wrote ${w.ok} files, ${w.errors.length} errors)`, run)
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr.slice(-2000)}`)
    const x = run.metrics.extra
    assert.ok((x['stallMs'] ?? 0) < 1000, `stall ${x['stallMs']} ms`)
    assert.ok((x['healIndexPeak'] ?? 0) >= w.ok, `brick index peak ${x['healIndexPeak']} < ${w.ok}`)
    const drained = x['healIndexDrainedMs']
    assert.ok(typeof drained === 'number' && drained <= Number(run.prediction.inputs['healDrainMaxMs']), `drained ${drained} ms`)
    assert.equal(x['healTriggeredMs'], null)
  })

  it('partition g3+gc2 | g1+g2+gc, both clients write /q.txt: the majority (gc) writes on, gc2 is refused, no split brain', async () => {
    const drill = runCli(['failover', '--target', 'g3', '--fault', 'partition', '--param', 'with=gc2', '--hold', `${HOLD_S}s`, '--json'], {env, timeoutMs: 240_000})
    await until('g3 cut', () => cut('g3'))
    const [a, b] = await Promise.all([writer('gc', HOLD_S - 5, 'q.txt', false), writer('gc2', HOLD_S - 5, 'q.txt', false)])
    const r = await drill
    const run = r.json as DrillRun
    assert.ok(run !== undefined, r.stderr.slice(-2000))
    say('replica 3 partition', run)
    console.log(`# replica 3 partition: gc (majority) ${a.ok} ok, errors ${JSON.stringify([...new Set(a.errors)])}; gc2 (minority) ${b.ok} ok, errors ${JSON.stringify([...new Set(b.errors)])} (${b.errors.length})`)
    assert.equal(run.reverted, true)
    assert.equal(run.metrics.extra['failedOps'], 0, 'the probe on gc (majority) never failed')
    assert.equal(a.errors.length, 0)
    assert.ok(b.errors.length > 0 && b.errors.every((e) => /Transport endpoint is not connected/.test(e)), `gc2 refused with ENOTCONN: ${b.errors.slice(0, 3).join('; ')}`)
    assert.deepEqual(run.splitBrain, [])
    assert.deepEqual(await splitBrainListed(), [])
  })
})
