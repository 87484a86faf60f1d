/**
 * The LVS director faults in the LVS lab (one boot with `--sync` for the whole file), through the real CLI:
 * - drop-vrrp on dir1: the guest has no nftables, so iproute2's tc drops dir1's adverts on its egress; dir2 takes
 *   over after Master_Down_Interval (3 × 1 s + (256 − 100)/256 s = 3.609375 s) from dir1's last advert on the
 *   wire, ± 100 ms; both directors hold the VIP until the revert (a dual-VIP split brain: the WARN the drill
 *   is meant to show), and the revert leaves no filter behind;
 * - drop-sync on dir1: the sync daemon's datagrams dropped; 10 streams opened during the drop are on dir1's
 *   connection table and missing from dir2's after the hold (divergence reported);
 * - drop-sync failover=true: the same, then dir1's NIC down: the takeover as above, the 20 streams synced before
 *   the drop survive on dir2 and the 10 opened during it do not;
 * - keepalived SIGTERM on dir1: its priority-0 advert, dir2 master after Skew_Time, no dual VIP;
 * - keepalived SIGKILL on dir1: the VIP and the IPVS table stay in dir1's kernel, dir2 takes over after
 *   Master_Down_Interval and both hold the VIP until the revert (the drill's verdict: fail, split brain).
 * Bounded: one boot and five drills, about four minutes.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {INJECT_STEP_NOTE} from '../../src/drill/engine.js'
import {VmExecutor} from '../../src/exec/vm.js'
import type {LabUpResult} from '../../src/lab/driver.js'
import {listNetns} from '../../src/lab/netns-ops.js'
import {labDir} from '../../src/lab/paths.js'
import {masterDownIntervalMs} from '../../src/stacks/keepalived/timing.js'
import type {DrillRun} from '../../src/store/run-types.js'
import {labPrefixForTests, runCli, waitVipHome} from '../helpers/cli.js'

const prefix = labPrefixForTests()
const HOME = mkdtempSync(join(tmpdir(), 'hachaos-lvs-faults-'))
const env = {HACHAOS_HOME: HOME}
const TOPO = ['--topology', 'lvs']
const TAKEOVER_TOL_MS = 100
/** Master_Down_Interval of dir2 (priority 100, advert_int 1, VRRPv2): 3 × 1 s + (256 − 100)/256 s. */
const MDI_MS = masterDownIntervalMs(100, 1, 2)

async function drill(args: string[]): Promise<DrillRun> {
  const r = await runCli(['failover', '--target', 'dir1', ...args, '--tolerance', `${TAKEOVER_TOL_MS}ms`, '--json'], {env, timeoutMs: 120_000})
  assert.ok(r.json !== undefined, `exit ${r.code}\n${r.stderr.slice(-3000)}`)
  const run = r.json as DrillRun
  // HACHAOS_TEST_KEEP=DIR keeps each drill's JSON (to read a failure, or take figures for the README)
  const keep = process.env['HACHAOS_TEST_KEEP']
  if (keep !== undefined && keep !== '') writeFileSync(join(keep, `${run.id}.json`), r.stdout)
  assert.equal(run.stack, 'lvs')
  assert.equal(run.reverted, true, run.revertError ?? '')
  return run
}

function checkTakeover(run: DrillRun): number {
  assert.equal(run.prediction.metric, 'takeoverFromLastAdvertMs')
  assert.equal(run.prediction.takeoverMs, MDI_MS)
  const t = run.metrics.takeoverFromLastAdvertMs
  assert.ok(t !== null, 'takeover measured from the adverts')
  assert.ok(Math.abs(t - MDI_MS) <= TAKEOVER_TOL_MS, `takeover ${t} ms, Master_Down_Interval ${MDI_MS} ms ± ${TAKEOVER_TOL_MS}`)
  assert.equal(run.metrics.newOwner, 'dir2')
  return t
}

/** Our tc filters and the clsact qdisc are gone from dir1's eth0 (the guest's own tc, by path). */
async function noFilterLeft(): Promise<void> {
  const vm = new VmExecutor('dir1', join(labDir(prefix, 'lvs'), 'hx.sock'), 'dir1')
  const q = await vm.run(['/sbin/tc', 'qdisc', 'show', 'dev', 'eth0'], {timeoutMs: 10_000})
  assert.equal(q.code, 0, q.stderr)
  assert.doesNotMatch(q.stdout, /clsact/)
}

describe('lvs lab (--sync): drop-vrrp and drop-sync on the master director', () => {
  before(async () => {
    await runCli(['lab', 'down', ...TOPO])
    const r = await runCli(['lab', 'up', ...TOPO, '--sync', '--json'], {env, timeoutMs: 150_000})
    assert.equal(r.code, 0, r.stderr.slice(-2000))
    const up = r.json as LabUpResult
    assert.equal(up.details['sync'], true)
    process.stdout.write(`# lab up --topology lvs --sync: ${up.timings.readyMs} ms\n`)
  })
  after(async () => {
    await runCli(['lab', 'down', ...TOPO])
    rmSync(HOME, {recursive: true, force: true})
  })

  it('drop-vrrp dir1 (tc in the guest): dir2 takes over after Master_Down_Interval ± 100 ms, both hold the VIP (expected: WARN), no filter left', async () => {
    const run = await drill(['--fault', 'drop-vrrp', '--hold', '8s'])
    assert.deepEqual(run.fault.params, {interface: 'eth0', with: 'tc'})
    assert.equal(run.judgedBy?.effect, 'advert-loss')
    const t = checkTakeover(run)
    // both hold the VIP: seen by the VIP-owner poll (dual-vip) — through the guest's console, which a loaded
    // machine slows to seconds a read — or on the wire as ARP for the VIP from both MACs (dual-arp)
    const dual = run.splitBrain.find((x) => x.kind === 'dual-vip') ?? run.splitBrain.find((x) => x.kind === 'dual-arp')
    assert.ok(dual !== undefined, JSON.stringify(run.splitBrain))
    assert.deepEqual([...dual.parties].sort(), ['dir1', 'dir2'])
    assert.equal(run.verdict, 'warn', run.verdictReasons.join('; '))
    assert.ok(run.verdictReasons.some((r) => /split brain \(dual-(vip|arp)\).*expected/.test(r)), run.verdictReasons.join('; '))
    process.stdout.write(`# drop-vrrp dir1: takeover ${t} ms (predicted ${MDI_MS}), ${run.splitBrain.map((x) => `${x.kind} ${x.durationMs} ms`).join(', ')}, inject ${((run.events.find((e) => e.type === 'fault.inject' && e.phase === 'after')?.t ?? 0) - run.metrics.faultAtUs) / 1000} ms, new-connection gap ${run.metrics.extra['newConnectionGapMs']} ms, streams survived ${run.metrics.extra['streamsSurvivedTakeover']}/20\n`)
    await noFilterLeft()
    await waitVipHome('dir1', {topology: 'lvs', env})
  })

  it('drop-sync dir1: the streams opened during the drop are on dir1 and missing from dir2 (divergence reported), nothing moves', async () => {
    const run = await drill(['--fault', 'drop-sync'])
    assert.equal(run.prediction.metric, 'syncMissingOnBackup')
    assert.deepEqual([run.fault.params['group'], run.fault.params['port'], run.fault.params['with']], ['224.0.0.81', 8848, 'tc'])
    const x = run.metrics.extra
    process.stdout.write(`# drop-sync dir1: dir1 ${x['syncMasterConns']} entries, dir2 ${x['syncBackupConns']}; missing on dir2 ${x['syncMissingOnBackup']} (${x['syncMissingEstablished']} ESTABLISHED, ${x['syncMissingStreams']} of ${x['syncMasterStreams']} streams), drop in effect ${x['syncDropInEffectMs']} ms, read ${x['syncReadAtMs']} ms after the fault; before the fault ${x['syncMissingBefore']}\n`)
    assert.equal(x['dropStreamsOpened'], 10)
    assert.ok((x['syncMissingOnBackup'] ?? 0) > 0, 'the tables diverged')
    // the 10 streams of the drop are missing from dir2; the 20 synced before it are not
    assert.ok((x['syncMissingStreams'] ?? 0) >= 10 && (x['syncMissingStreams'] ?? 0) <= 12, `${x['syncMissingStreams']} streams missing`)
    // nothing breaks the drill's 20 streams during the drop (one reset before the fault is a loaded guest's
    // late advert making dir2 master for a moment: not this drill's doing, and reported as lost before the fault)
    assert.equal(x['streamsLostInTakeover'], 0)
    assert.equal(x['dropStreamsLost'], 0, 'nothing breaks the streams while only the sync is dropped')
    assert.equal(x['dropStreamsSurvived'], 10)
    assert.equal(run.metrics.newOwner === null || run.metrics.newOwner === 'dir1', true, `the VIP stays on dir1 (${run.metrics.newOwner})`)
    assert.notEqual(run.verdict, 'fail', run.verdictReasons.join('; '))
    await noFilterLeft()
  })

  it('drop-sync dir1 failover=true: takeover as predicted; the streams synced before the drop survive, those opened during it do not', async () => {
    await waitVipHome('dir1', {topology: 'lvs', env})
    const run = await drill(['--fault', 'drop-sync', '--param', 'failover=true'])
    const t = checkTakeover(run)
    const x = run.metrics.extra
    process.stdout.write(`# drop-sync dir1 failover: takeover ${t} ms (predicted ${MDI_MS}); drop in effect ${x['syncDropInEffectMs']} ms, tables read ${x['syncReadAtMs']} ms after the fault (${x['syncReadMs']} ms); missing on dir2 ${x['syncMissingOnBackup']} (${x['syncMissingStreams']} streams); survived: ${x['streamsSurvivedTakeover']}/20 opened before the drop, ${x['dropStreamsSurvived']}/${x['dropStreamsOpened']} opened during it\n`)
    assert.equal(x['dropStreamsOpened'], 10)
    assert.ok((x['syncMissingStreams'] ?? 0) >= 10, `${x['syncMissingStreams']} streams missing on dir2 before the failover`)
    // the tables were read before the NIC went down (the inject's last step)
    const down = run.events.find((e) => e.type === 'note' && e.text.startsWith(INJECT_STEP_NOTE) && / down on dir1/.test(e.text))
    assert.ok(down !== undefined, 'the NIC-down step ran')
    const downMs = (down.t - run.metrics.faultAtUs) / 1000
    assert.ok(typeof x['syncReadAtMs'] === 'number' && x['syncReadAtMs'] < downMs, `tables read ${x['syncReadAtMs']} ms after the fault, the NIC down at ${downMs.toFixed(0)} ms`)
    assert.equal(x['dropStreamsSurvived'], 0, 'the streams opened during the drop are unknown to dir2')
    assert.ok((x['streamsSurvivedTakeover'] ?? 0) >= 18, `${x['streamsSurvivedTakeover']}/20 synced streams survived`)
    await noFilterLeft()
  })

  it('keepalived SIGTERM on dir1: its priority-0 advert hands over after Skew_Time (0.609 s ± 100 ms), no dual VIP, the synced streams survive', async () => {
    await waitVipHome('dir1', {topology: 'lvs', env})
    const run = await drill(['--fault', 'kill', '--process', 'keepalived', '--signal', 'TERM'])
    const skew = ((256 - 100) / 256) * 1000
    assert.equal(run.prediction.takeoverMs, skew)
    const t = run.metrics.takeoverFromLastAdvertMs
    const x = run.metrics.extra
    process.stdout.write(`# keepalived TERM dir1: takeover ${t} ms (Skew_Time ${skew}), new-connection gap ${x['newConnectionGapMs']} ms, streams survived ${x['streamsSurvivedTakeover']}/20, split brain ${run.splitBrain.map((b) => `${b.kind} ${b.durationMs} ms`).join(', ') || 'none'}\n`)
    assert.ok(t !== null && Math.abs(t - skew) <= TAKEOVER_TOL_MS, `takeover ${String(t)} ms, Skew_Time ${skew} ms ± ${TAKEOVER_TOL_MS}`)
    assert.equal(run.metrics.newOwner, 'dir2')
    assert.deepEqual(run.splitBrain.filter((b) => b.kind === 'dual-vip'), [], 'keepalived removes the VIP before its last advert')
    assert.ok((x['streamsSurvivedTakeover'] ?? 0) >= 18, `${x['streamsSurvivedTakeover']}/20 synced streams survived`)
  })

  it('keepalived SIGKILL on dir1: the kernel keeps its VIP and IPVS table, dir2 takes over after Master_Down_Interval, both hold the VIP until the revert (split brain: fail)', async () => {
    await waitVipHome('dir1', {topology: 'lvs', env})
    const run = await drill(['--fault', 'kill', '--process', 'keepalived'])
    const t = checkTakeover(run)
    const x = run.metrics.extra
    const dual = run.splitBrain.find((b) => b.kind === 'dual-vip')
    process.stdout.write(`# keepalived KILL dir1: takeover ${t} ms (predicted ${MDI_MS}), new-connection gap ${x['newConnectionGapMs']} ms, streams survived ${x['streamsSurvivedTakeover']}/20, dual VIP ${dual?.durationMs ?? 'none'} ms, verdict ${run.verdict}\n`)
    assert.ok(dual !== undefined, 'dir1 still holds the VIP when dir2 takes it')
    assert.deepEqual([...dual.parties].sort(), ['dir1', 'dir2'])
    assert.equal(run.verdict, 'fail', run.verdictReasons.join('; '))
    assert.ok(run.verdictReasons.some((r) => r.startsWith('split brain (dual-vip)')), run.verdictReasons.join('; '))
    // the dead keepalived's director keeps forwarding: new connections barely notice (measured 114 ms)
    const gap = x['newConnectionGapMs']
    assert.ok(typeof gap === 'number' && gap < MDI_MS, `new-connection gap ${String(gap)} ms, less than a takeover`)
    assert.ok((x['streamsSurvivedTakeover'] ?? 0) >= 18, `${x['streamsSurvivedTakeover']}/20 streams survived`)
  })

  it('lab down leaves nothing', async () => {
    const r = await runCli(['lab', 'down', ...TOPO, '--json'], {env})
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual((await listNetns()).filter((n) => n.startsWith(`${prefix}-l`)), [])
    assert.equal(existsSync(labDir(prefix, 'lvs')), false)
  })
})
