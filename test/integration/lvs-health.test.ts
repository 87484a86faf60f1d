/**
 * The LVS lab's other health checkers through the real CLI, three boots:
 *   --checker http: rs1's httpd killed → removed from dir1's IPVS table by HTTP_GET within keepalived's formula
 *     ± RS_TOLERANCE_MS, re-added after the revert within the HTTP_GET re-add bound (retry + 1 successes);
 *   --checker misc: the same fault, removed by MISC_CHECK (busybox wget under its own timeout) within its
 *     formula (attempts start delay_before_retry after the previous attempt's start);
 *   --health ldirectord (keepalived VRRP only, ldirectord 4.12 managing IPVS): the same fault, removed within
 *     ldirectord's loop formula (checkinterval, failurecount and the guest's measured loop costs), then rs1's
 *     NIC down (a blackhole: both of rs1's checks in the loop wait their timeout), then only rs1's port 80
 *     dropped (drop-port: that check alone waits);
 * then `lab down` leaves nothing. Bounded: three boots, five drills, about six minutes.
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
import {checkRealServerRun} from '../helpers/lvs-probes.js'

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
  return rs1Drill(['--fault', 'kill', '--process', 'httpd'])
}

async function rs1Drill(fault: string[]): Promise<DrillRun> {
  const r = await runCli(['failover', '--target', 'rs1', ...fault, '--tolerance', `${RS_TOLERANCE_MS}ms`, '--json'], {env, timeoutMs: 120_000})
  assert.ok(r.json !== undefined, `exit ${r.code}\n${r.stderr.slice(-3000)}`)
  return r.json as DrillRun
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
    checkRealServerRun(run, {what: 'HTTP_GET', minMs: 1000, maxMs: 2000, readdMaxMs: 2000, mode: 'refused'})
  })

  it('--checker misc: removed by MISC_CHECK within U[0,1] + 1 × max(1, 0) + 0 = 1–2 s, re-added within delay_loop 1 s', async () => {
    const r = await up(['--checker', 'misc'])
    assert.deepEqual([r.details['checker'], r.details['health']], ['misc', 'keepalived'])
    assert.deepEqual(r.answeredBy, ['rs1', 'rs2'])
    process.stdout.write(`# lab up --checker misc: ${r.timings.readyMs} ms\n`)
    const run = await killRs1()
    assert.equal(run.prediction.inputs['checker'], 'MISC_CHECK')
    checkRealServerRun(run, {what: 'MISC_CHECK', minMs: 1000, maxMs: 2000, readdMaxMs: 1000, mode: 'refused'})
  })

  it('--health ldirectord: removed within U[0, C0] + C1 + removal = 1.475–4.520 s, re-added within C0 + 1 + 0.65 s', async () => {
    const r = await up(['--health', 'ldirectord'])
    assert.deepEqual([r.details['checker'], r.details['health']], ['tcp', 'ldirectord'])
    assert.deepEqual(r.answeredBy, ['rs1', 'rs2'])
    process.stdout.write(`# lab up --health ldirectord: ${r.timings.readyMs} ms\n`)
    const run = await killRs1()
    assert.equal(run.prediction.inputs['checker'], 'ldirectord')
    assert.equal(run.prediction.inputs['checksPerLoop'], 4)
    checkRealServerRun(run, {what: 'ldirectord', minMs: 1475, maxMs: 4520, readdMaxMs: 3660, mode: 'refused'})
  })

  it('--health ldirectord, rs1 NIC down (blackhole): both of rs1\'s checks in the loop wait their timeout: 4.450–8.370 s', async () => {
    const run = await rs1Drill(['--fault', 'nic-down'])
    assert.equal(run.prediction.inputs['checker'], 'ldirectord')
    checkRealServerRun(run, {what: 'ldirectord blackhole', minMs: 4450, maxMs: 8370, readdMaxMs: 3660, mode: 'blackhole'})
  })

  it('--health ldirectord, rs1 port 80 dropped (drop-port): only that check times out, the one-check form 3.475–6.520 s', async () => {
    const run = await rs1Drill(['--fault', 'drop-port'])
    assert.equal(run.prediction.inputs['checker'], 'ldirectord')
    assert.equal(run.prediction.inputs['sameHostChecks'], undefined)
    checkRealServerRun(run, {what: 'ldirectord port 80 dropped', minMs: 3475, maxMs: 6520, readdMaxMs: 3660, mode: 'blackhole'})
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
