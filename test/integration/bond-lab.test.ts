/**
 * The bond lab end to end (root; boots QEMU guests under TCG, one at a time). Scenarios:
 *  - the VM executor with hostile argv on the real guest;
 *  - balance-rr under load: both members' counters move; `hachaos load` totals agree with the counters;
 *  - active-backup, member-down: the active member changes, traffic resumes, the failover is within
 *    miimon + downdelay + tolerance (with downdelay 0 and 200 ms);
 *  - the ARP monitor: within (arp_missed_max + 1.5) × arp_interval + tolerance;
 *  - `lab down` leaves nothing.
 * Every lab is removed in after(), even when a test fails.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {BondFailoverResult} from '../../commands/bond/failover.js'
import {toleranceMs} from '../../commands/bond/failover.js'
import type {LoadCommandResult} from '../../commands/load.js'
import {LocalExecutor} from '../../src/exec/local.js'
import {VmExecutor} from '../../src/exec/vm.js'
import {bondExtra, labDown, labUp} from '../../src/lab/bond/lab.js'
import {alive, listNetns} from '../../src/lab/netns-ops.js'
import {labDir, labPrefix, stateFile} from '../../src/lab/paths.js'
import {readLabState} from '../../src/lab/state.js'

const prefix = labPrefix()
const root = typeof process.getuid === 'function' && process.getuid() === 0
const local = new LocalExecutor()
const home = mkdtempSync(join(tmpdir(), 'hx-bond-home-'))
const RUN = join(process.cwd(), 'bin', 'run.js')

async function cli<T>(args: string[], timeoutMs = 120_000): Promise<T> {
  const r = await local.run([process.execPath, RUN, ...args, '--json'], {timeoutMs, env: {HACHAOS_LAB_PREFIX: prefix, HACHAOS_HOME: home}})
  const text = r.stdout.trim()
  assert.ok(text !== '', `hachaos ${args.join(' ')} printed nothing (exit ${r.code}): ${r.stderr}`)
  const v = JSON.parse(text) as T & {error?: {message: string}}
  assert.equal(v.error, undefined, `hachaos ${args.join(' ')}: ${v.error?.message ?? ''}`)
  return v
}

async function up(options: Record<string, string | number>): Promise<{vm: VmExecutor; qemuPid: number | null}> {
  await labUp({prefix, options, timeoutMs: 120_000})
  const st = readLabState(stateFile(prefix, 'bond'))
  assert.ok(st !== null)
  const x = bondExtra(st)
  return {vm: new VmExecutor('guest', x.files.brokerSocket), qemuPid: x.qemuPid}
}

describe('bond lab', {skip: root ? false : 'needs root (namespaces, QEMU taps)'}, () => {
  before(async () => {
    await labDown(prefix)
  })
  after(async () => {
    await labDown(prefix)
    rmSync(home, {recursive: true, force: true})
  })

  it('the VM executor passes hostile argv to the real guest unchanged', async () => {
    const {vm} = await up({mode: 'active-backup'})
    const hostile = ['', "it's", '$(reboot)', '`id`', 'a\nb', '; rm -rf /', '-n', '*', '\\', 'ünï ✓', '__HX_R deadbeefdeadbeef 0 x y']
    const r = await vm.run(['printf', '%s\\0', ...hostile])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(r.stdout.split('\0').slice(0, -1), hostile)
    const k = await vm.run(['uname', '-r'])
    assert.match(k.stdout, /cloud-amd64/, 'runs in the guest kernel')
    await assert.rejects(vm.run(['definitely-not-here']), /not installed on guest/)
  })

  it('balance-rr under load: both members carry the bond\'s traffic, and load totals agree with the counters', async () => {
    await up({mode: 'balance-rr'})
    // -R: the guest (the bond) sends, so its own policy (round robin) spreads the frames
    const r = await cli<LoadCommandResult>(['load', '--time', '4s', '-R'])
    assert.equal(r.pairs.length, 2)
    for (const p of r.pairs) assert.ok(p.result !== null && (p.result.receivedBps ?? 0) > 50e6, `${p.client}: ${p.error ?? ''}`)
    assert.ok(r.landing !== null)
    for (const m of r.landing.members) {
      assert.ok((m.txShare ?? 0) > 0.3, `${m.name} carried ${((m.txShare ?? 0) * 100).toFixed(0)} % of the bond's TX`)
      assert.ok((m.txBytes ?? 0) > 20e6, `${m.name} tx bytes moved`)
    }
    // The bond's byte counters include every payload byte iperf3 moved (ratio ≥ 1) and at most the headers of
    // every 1448-byte TCP segment: 1514-byte frames (14 Ethernet + 20 IP + 32 TCP with timestamps), 1514/1448
    // = 1.0456. With TSO/GSO the sender counts headers once per super-packet, so TX lands near 1.0, RX near
    // 1.0456. Tolerance: 1 % below (counter window vs iperf3's), 2 % above (ACKs and control connection).
    assert.ok(r.counterAgreement !== null)
    const max = 1514 / 1448
    const ratio = r.counterAgreement.ratio
    assert.ok(ratio >= 0.99 && ratio <= max + 0.02, `bond/iperf3 bytes ratio ${ratio.toFixed(4)} outside [0.99, ${(max + 0.02).toFixed(4)}]`)
  })

  for (const dd of [0, 200]) {
    it(`active-backup, member-down (miimon 100, downdelay ${dd}): the active member changes within miimon + downdelay, traffic resumes`, async () => {
      await up({mode: 'active-backup', miimon: 100, downdelay: dd})
      const r = await cli<BondFailoverResult>(['bond', 'failover', '--trials', '2', '--hold', '1500ms'], 180_000)
      const tol = toleranceMs(2)
      assert.equal(r.trials.length, 2)
      for (const t of r.trials) {
        const m = t.measurement
        assert.equal(t.predictedMaxMs, 100 + dd)
        assert.notEqual(m.activeAfter, m.activeBefore, 'the active member changed')
        assert.equal(m.activeAfter, m.member === 'eth0' ? 'eth1' : 'eth0')
        assert.ok(t.measuredMs !== null, 'carrier drop → active change measured on the guest clock')
        assert.ok(t.measuredMs <= 100 + dd + tol, `failover ${t.measuredMs.toFixed(1)} ms > miimon 100 + downdelay ${dd} + tolerance ${tol} ms`)
        // downdelay is a floor too: the member must stay down that long before it is disabled
        assert.ok(t.measuredMs >= dd - 2 * 2, `failover ${t.measuredMs.toFixed(1)} ms < downdelay ${dd} ms`)
        assert.ok(m.traffic !== null && m.traffic.resumeMs !== null, 'traffic flowed again while the member was down')
        assert.ok(m.traffic.lostReplies < (100 + dd + tol + 200) / 10, `lost ${m.traffic.lostReplies} pings (10 ms apart)`)
      }
      assert.equal(r.summary.allWithin, true)
    })
  }

  it('ARP monitor (arp_interval 100 → 10.88.0.11): the failover is within (missed_max + 1.5) × interval', async () => {
    await up({mode: 'active-backup', arpInterval: 100, arpIpTarget: '10.88.0.11'})
    const r = await cli<BondFailoverResult>(['bond', 'failover', '--hold', '2s'], 180_000)
    const t = r.trials[0]
    assert.ok(t !== undefined && t.measuredMs !== null)
    assert.equal(t.predictedMaxMs, 350)
    assert.ok(t.measuredMs <= 350 + toleranceMs(2), `ARP failover ${t.measuredMs.toFixed(1)} ms`)
    // and not before missed_max × interval + interval/2 without frames (the ping keeps frames coming until the pull)
    assert.ok(t.measuredMs >= 150, `ARP failover ${t.measuredMs.toFixed(1)} ms is faster than the driver allows`)
    assert.notEqual(t.measurement.activeAfter, t.measurement.activeBefore)
  })

  it('lab down leaves nothing: QEMU ended by PID, namespaces and files gone', async () => {
    const {qemuPid} = await up({mode: 'balance-xor'})
    assert.ok(qemuPid !== null && alive(qemuPid))
    const d = await labDown(prefix)
    assert.equal(d.wasUp, true)
    assert.ok(!alive(qemuPid), 'QEMU is gone')
    const ns = await listNetns()
    for (const n of [`${prefix}-bsw`, `${prefix}-bc1`, `${prefix}-bc2`]) assert.ok(!ns.includes(n), `${n} removed`)
    assert.ok(!existsSync(labDir(prefix, 'bond')), 'lab directory removed')
    assert.equal((await labDown(prefix)).wasUp, false, 'a second down is a no-op')
  })
})
