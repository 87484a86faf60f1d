/**
 * The LVS lab's other health checkers through the real CLI, two boots:
 *   --checker http: rs1's httpd killed → removed from d1's IPVS table by HTTP_GET within keepalived's formula
 *     ± RS_TOLERANCE_MS, re-added after the revert within the HTTP_GET re-add bound (retry + 1 successes);
 *   --health ldirectord (keepalived VRRP only, ldirectord 4.12 managing IPVS): the same fault, removed within
 *     ldirectord's loop formula (checkinterval, failurecount and the guest's measured loop costs);
 * then `lab down` leaves nothing. MISC_CHECK is covered by unit tests on its rendered config, formula and
 * captured log (test/unit/stacks/lvs-health.test.ts). Bounded: two boots, two drills, about four minutes.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {LabDownResult, LabUpResult} from '../../src/lab/driver.js'
import {listNetns} from '../../src/lab/netns-ops.js'
import {labDir} from '../../src/lab/paths.js'
import {RS_TOLERANCE_MS} from '../../src/stacks/lvs/real-server.js'
import type {DrillRun} from '../../src/store/run-types.js'
import {labPrefixForTests, runCli} from '../helpers/cli.js'
import {splitProbes} from '../helpers/lvs-probes.js'

const prefix = labPrefixForTests()
const HOME = mkdtempSync(join(tmpdir(), 'hachaos-lvs-health-'))
const env = {HACHAOS_HOME: HOME}
const TOPO = ['--topology', 'lvs']

async function up(extra: string[]): Promise<LabUpResult> {
  const r = await runCli(['lab', 'up', ...TOPO, ...extra, '--json'], {env, timeoutMs: 180_000})
  assert.equal(r.code, 0, r.stderr.slice(-2000))
  return r.json as LabUpResult
}

async function killRs1(): Promise<DrillRun> {
  const r = await runCli(['failover', '--target', 'rs1', '--fault', 'kill', '--process', 'httpd', '--tolerance', `${RS_TOLERANCE_MS}ms`, '--json'], {env, timeoutMs: 120_000})
  assert.ok(r.json !== undefined, `exit ${r.code}\n${r.stderr.slice(-3000)}`)
  return r.json as DrillRun
}

/** Removal within [minMs, maxMs] ± RS_TOLERANCE_MS, no request refused after it (the failures split by kind: test/helpers/lvs-probes.ts), re-added within the prediction's bound. */
function check(run: DrillRun, what: string, minMs: number, maxMs: number, readdMaxMs: number): void {
  assert.equal(run.stack, 'lvs')
  assert.equal(run.reverted, true, run.revertError ?? '')
  assert.equal(run.prediction.metric, 'checkerRemovalMs')
  assert.deepEqual([run.prediction.minMs, run.prediction.maxMs, run.prediction.inputs['readdMaxMs']], [minMs, maxMs, readdMaxMs])
  const x = run.metrics.extra
  process.stdout.write(`# ${what}: removed ${x['checkerRemovalMs']} ms (predicted ${minMs}–${maxMs}), inject ${x['injectMs']} ms, ${x['failedRequests']} failed requests, last sent at ${x['lastFailedRequestMs']} ms, re-added ${x['realServerReaddMs']} ms after the revert (bound ${readdMaxMs})\n`)
  const removed = x['checkerRemovalMs']
  assert.ok(typeof removed === 'number' && removed >= minMs - RS_TOLERANCE_MS && removed <= maxMs + RS_TOLERANCE_MS, `removal ${String(removed)} ms, formula ${minMs}–${maxMs} ± ${RS_TOLERANCE_MS}`)
  assert.ok((x['failedRequests'] ?? 0) > 0, 'requests scheduled to rs1 failed until it was removed')
  // failures after the removal, by kind: a 'refused' one would be the director still sending to the dead rs1
  const split = splitProbes(run, removed, RS_TOLERANCE_MS)
  process.stdout.write(`# ${what}: failures after the removal: ${split.text}\n`)
  assert.ok(split.lastRefusedMs !== null && split.lastRefusedMs <= removed + RS_TOLERANCE_MS, `the last refused request (${String(split.lastRefusedMs)} ms) was sent before the removal (${removed} ms)`)
  assert.equal(split.afterRevert['refused'] ?? 0, 0, 'no request refused after the revert')
  const readd = x['realServerReaddMs']
  assert.ok(typeof readd === 'number' && readd <= readdMaxMs + RS_TOLERANCE_MS, `re-added ${String(readd)} ms after the revert, bound ${readdMaxMs} ± ${RS_TOLERANCE_MS}`)
}

describe('lvs lab: HTTP_GET and ldirectord health checks, rs1 httpd killed', () => {
  before(async () => {
    await runCli(['lab', 'down', ...TOPO])
  })
  after(async () => {
    await runCli(['lab', 'down', ...TOPO])
    rmSync(HOME, {recursive: true, force: true})
  })

  it('--checker http: removed by HTTP_GET within U[0,1] + 2 × 0 + 1 × 1 = 1–2 s, re-added within 1 + 1 = 2 s', async () => {
    const r = await up(['--checker', 'http'])
    assert.deepEqual([r.details['checker'], r.details['health']], ['http', 'keepalived'])
    assert.deepEqual(r.answeredBy, ['rs1', 'rs2'])
    process.stdout.write(`# lab up --checker http: ${r.timings.readyMs} ms\n`)
    const run = await killRs1()
    assert.equal(run.prediction.inputs['checker'], 'HTTP_GET')
    check(run, 'HTTP_GET', 1000, 2000, 2000)
  })

  it('--health ldirectord: removed within U[0, C0] + C1 + removal = 1.475–4.520 s, re-added within C0 + 1 + 0.65 s', async () => {
    const r = await up(['--health', 'ldirectord'])
    assert.deepEqual([r.details['checker'], r.details['health']], ['tcp', 'ldirectord'])
    assert.deepEqual(r.answeredBy, ['rs1', 'rs2'])
    process.stdout.write(`# lab up --health ldirectord: ${r.timings.readyMs} ms\n`)
    const run = await killRs1()
    assert.equal(run.prediction.inputs['checker'], 'ldirectord')
    assert.equal(run.prediction.inputs['checksPerLoop'], 4)
    check(run, 'ldirectord', 1475, 4520, 3660)
  })

  it('lab down leaves nothing: no namespaces, no QEMU, no lab directory', async () => {
    const r = await runCli(['lab', 'down', ...TOPO, '--json'], {env})
    assert.equal(r.code, 0, r.stderr)
    const d = r.json as LabDownResult
    assert.equal(d.wasUp, true)
    assert.deepEqual((await listNetns()).filter((n) => n.startsWith(`${prefix}-l`)), [])
    assert.equal(existsSync(labDir(prefix, 'lvs')), false)
    const st = await runCli(['lab', 'status', ...TOPO, '--json'], {env})
    assert.equal((st.json as {up: boolean}).up, false)
  })
})
