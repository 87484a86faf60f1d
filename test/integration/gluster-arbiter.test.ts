/**
 * The GlusterFS lab as replica 2 + arbiter (client quorum auto, Gluster's default for arbiter volumes) with a
 * short network.ping-timeout (5 s), through the real CLI: the quorum outcome of a partition — g2 (a data
 * brick) + gc2 cut from g1 + g3 (data + arbiter) + gc while both clients write the same file: the majority
 * side (gc) writes on, the minority (gc2) is refused, and after the heal `heal info split-brain` is empty (the
 * arbiter's point, against plain replica 2's split brain in gluster-partition.test.ts). One lab for the file,
 * removed in after() even on failure; about 1.5 minutes.
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
import {cut, glNode, until, writer} from '../helpers/gluster.js'

const prefix = labPrefixForTests()
const HOME = mkdtempSync(join(tmpdir(), 'hachaos-gla-'))
const env = {HACHAOS_HOME: HOME}
const TOPO = ['--topology', 'gluster']
const PING_S = 5
const HOLD_S = 20
/** Optional: where the real outputs of this run are written for the unit fixtures. */
const CAPTURE = process.env['HACHAOS_GLUSTER_CAPTURE']

const node = glNode


describe('gluster lab, replica 2 + arbiter: a partition leaves the majority writing, no split brain', () => {
  before(async () => {
    await runCli(['lab', 'down', ...TOPO])
  })
  after(async () => {
    await runCli(['lab', 'down', ...TOPO], {timeoutMs: 60_000})
    rmSync(HOME, {recursive: true, force: true})
  })

  it(`lab up --replica 2 --arbiter (ping-timeout ${PING_S} s)`, async () => {
    const r = await runCli(['lab', 'up', ...TOPO, '--replica', '2', '--arbiter', '--ping-timeout', String(PING_S), '--json'], {env, timeoutMs: 150_000})
    assert.equal(r.code, 0, r.stderr.slice(-2000))
    const up = r.json as LabUpResult
    assert.deepEqual([up.details['replica'], up.details['arbiter']], [3, true])
  })

  it('partition g2+gc2 | g1+g3+gc, both clients write /q.txt: the majority (gc) writes on, gc2 is refused, no split brain', async () => {
    const drill = runCli(['failover', '--target', 'g2', '--fault', 'partition', '--param', 'with=gc2', '--hold', `${HOLD_S}s`, '--json'], {env, timeoutMs: 240_000})
    await until('g2 cut', () => cut('g2'))
    const [a, b] = await Promise.all([writer('gc', HOLD_S - 5, 'q.txt', false), writer('gc2', HOLD_S - 5, 'q.txt', false)])
    const r = await drill
    const run = r.json as DrillRun
    assert.ok(run !== undefined, r.stderr.slice(-2000))
    const x = run.metrics.extra
    console.log(`# arbiter partition: stall ${x['stallMs']} ms, failed ${x['failedOps']}, heal info peak ${x['healPeak']} drained ${x['healDrainedMs']} ms, brick index peak ${x['healIndexPeak']} drained ${x['healIndexDrainedMs']} ms, split-brain files ${x['splitBrainFiles']}, verdict ${run.verdict}`)
    console.log(`# arbiter partition: gc (majority) ${a.ok} ok, errors ${JSON.stringify([...new Set(a.errors)])}; gc2 (minority) ${b.ok} ok, errors ${JSON.stringify([...new Set(b.errors)])} (${b.errors.length})`)
    assert.equal(run.reverted, true)
    assert.equal(run.prediction.inputs['quorumMetAfterFault'], true)
    assert.equal(x['failedOps'], 0, 'the probe on gc (majority) never failed')
    assert.equal(a.errors.length, 0)
    assert.ok(b.errors.length > 0 && b.errors.every((e) => /Transport endpoint is not connected/.test(e)), `gc2 refused with ENOTCONN: ${b.errors.slice(0, 3).join('; ')}`)
    assert.deepEqual(run.splitBrain, [])
    const xml = await node('g1').run(['gluster', '--mode=script', 'volume', 'heal', 'gv', 'info', 'split-brain', '--xml'], {timeoutMs: 30_000})
    if (CAPTURE !== undefined) writeFileSync(join(CAPTURE, 'arbiter-partition-heal-info-split-brain.xml'), xml.stdout)
    assert.deepEqual(parseHealInfoXml(xml.stdout, 'g1:heal info split-brain').bricks.flatMap((b) => b.files), [])
  })
})
