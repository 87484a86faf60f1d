/**
 * The LVS director faults' pure parts: drop-vrrp and drop-sync plans (nftables where nft runs; iproute2's tc,
 * found by path past busybox's applet, where it does not: the LVS lab's guest), their idempotent reverts,
 * drop-sync's failover step, its parameters and refusals; and the divergence of two directors' connection
 * tables on real `ipvsadm -Lnc` outputs captured in the lab (test/fixtures/lvs/).
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {DROP_PORT_REMOVE_SCRIPT, NFT_DROP_PORT_TABLE, dropPortScript} from '../../../chaos/drop-port.js'
import {NFT_SYNC_TABLE, REMOVE_SYNC_SCRIPT, dropSyncScript} from '../../../chaos/drop-sync.js'
import {TC_GONE_CODES, TC_PREF} from '../../../chaos/egress-drop.js'
import {faultDefinition} from '../../../chaos/registry.js'
import {runInject} from '../../../src/fault/actions.js'
import {HachaosError} from '../../../src/errors.js'
import {RecordingExecutor} from '../../../src/exec/recording.js'
import type {Action, FaultEnv} from '../../../src/fault/types.js'
import {parseInventory} from '../../../src/inventory/inventory.js'
import {DEFAULT_HOLD_MS, OPEN_MS, READ_MS, SETTLE_MS, failoverDelayMs, syncDivergence} from '../../../src/stacks/lvs/sync-drop.js'
import {readFixture} from '../../fixture.js'

const fx = (name: string): string => readFixture('lvs', name)

const inv = parseInventory(`
hosts:
  dir1: {address: 10.98.0.2, via: vm, vm_socket: /run/x/hx.sock, vm_netns: dir1, roles: [lvs-director], services: none, facts: {interface: eth0}}
  dir2: {address: 10.98.0.3, via: vm, vm_socket: /run/x/hx.sock, vm_netns: dir2, roles: [lvs-director], services: none, facts: {interface: eth0}}
  rs1: {address: 10.98.0.11, via: vm, vm_socket: /run/x/hx.sock, vm_netns: rs1, roles: [lvs-real-server], services: none}
`)

function envFor(name: string, exec: RecordingExecutor): FaultEnv {
  const target = inv.hosts.find((h) => h.name === name)
  assert.ok(target)
  const {name: n, ...entry} = target
  return {inventory: inv, target, exec, ref: {name: n, entry}, executorFor: () => exec, refFor: (h) => ({name: h.name, entry: h}), force: false}
}

/** The lab's guest: no nft; `tc` on PATH is busybox's applet (usage, exit 1); iproute2's is /sbin/tc. */
function guest(qdiscs = 'qdisc noqueue 0: root refcnt 2 \n'): RecordingExecutor {
  return new RecordingExecutor('dir1')
    .on(['nft'], {code: 255, stderr: 'exec of "nft" failed: No such file or directory\n'})
    .on(['tc'], {code: 1, stderr: 'BusyBox v1.35.0 (Debian 1:1.35.0-4+b1) multi-call binary.\n\nUsage: tc [OPTIONS] OBJECT CMD [dev STRING]\n'})
    .on(['/sbin/tc', '-V'], {stdout: 'tc utility, iproute2-6.1.0, libbpf 1.1.0\n'})
    .on(['/sbin/tc', 'qdisc', 'show'], {stdout: qdiscs})
    .on(['ipvsadm', '-Ln', '--daemon'], {stdout: fx('d1-ipvsadm-daemon-sync.txt')})
}

const argvs = (as: Action[]): string[] => as.map((a) => (a.type === 'exec' ? a.argv.join(' ') : a.type === 'sleep' ? `sleep ${a.ms}` : a.type))

describe('drop-port on a real server: its TCP replies from the port dropped, the host left up', () => {
  it('the guest (no nft): one u32 filter of ours matching TCP source port 80 on clsact egress, revert idempotent', async () => {
    const p = await faultDefinition('drop-port').plan({}, envFor('rs1', guest()))
    assert.equal(p.effect, 'backend-loss')
    assert.deepEqual(p.params, {port: 80, interface: 'eth0', with: 'tc'})
    assert.deepEqual(argvs(p.inject), ['/sbin/tc qdisc add dev eth0 clsact', `/sbin/tc filter add dev eth0 egress pref ${TC_PREF.port} protocol ip u32 match ip protocol 6 0xff match ip sport 80 0xffff action drop`])
    assert.deepEqual(argvs(p.revert), [`/sbin/tc filter del dev eth0 egress pref ${TC_PREF.port}`, '/sbin/tc qdisc del dev eth0 clsact'])
    for (const r of p.revert) assert.ok(r.type === 'exec' && r.okCodes === TC_GONE_CODES)
    // three preferences of ours, one per fault: they can sit on one device together
    assert.equal(new Set(Object.values(TC_PREF)).size, 3)
  })

  it('nftables where nft runs: our own table, the port and device as given; a bad port is E_USAGE before anything runs', async () => {
    const p = await faultDefinition('drop-port').plan({port: '7', interface: 'ens3'}, envFor('rs1', new RecordingExecutor('rs1')))
    const inj = p.inject[0]
    assert.ok(inj?.type === 'exec' && inj.input === dropPortScript('ens3', 7))
    assert.match(dropPortScript('ens3', 7), /oifname "ens3" tcp sport 7 counter drop/)
    const rev = p.revert[0]
    assert.ok(rev?.type === 'exec' && rev.input === DROP_PORT_REMOVE_SCRIPT)
    assert.equal(DROP_PORT_REMOVE_SCRIPT, `table inet ${NFT_DROP_PORT_TABLE}\ndelete table inet ${NFT_DROP_PORT_TABLE}\n`)
    for (const port of ['0', '70000', 'http']) {
      await assert.rejects(faultDefinition('drop-port').plan({port}, envFor('rs1', new RecordingExecutor('rs1'))), (e: unknown) => e instanceof HachaosError && e.exitName === 'USAGE', port)
    }
  })
})

describe('drop-vrrp on a host without nftables (the LVS lab guest): tc by path', () => {
  it('clsact made and removed by us, one u32 filter at our preference dropping ip protocol 112, revert idempotent', async () => {
    const ex = guest()
    const p = await faultDefinition('drop-vrrp').plan({}, envFor('dir1', ex))
    assert.equal(p.effect, 'advert-loss')
    assert.deepEqual(p.params, {interface: 'eth0', with: 'tc'})
    assert.deepEqual(argvs(p.inject), ['/sbin/tc qdisc add dev eth0 clsact', `/sbin/tc filter add dev eth0 egress pref ${TC_PREF.vrrp} protocol ip u32 match ip protocol 112 0xff action drop`])
    assert.deepEqual(argvs(p.revert), [`/sbin/tc filter del dev eth0 egress pref ${TC_PREF.vrrp}`, '/sbin/tc qdisc del dev eth0 clsact'])
    // "nothing to delete" (tc exit 2) is success: the revert can run twice (recover after a crash)
    for (const r of p.revert) assert.ok(r.type === 'exec' && r.okCodes === TC_GONE_CODES)
    assert.deepEqual(TC_GONE_CODES, [0, 2])
    // busybox's tc was asked and passed over; nothing was changed while planning
    assert.deepEqual(ex.calls.map((c) => c.argv.slice(0, 2).join(' ')), ['nft --version', 'tc -V', '/sbin/tc -V', '/sbin/tc qdisc'])
  })

  it('a clsact someone else made is left alone: only our filter is added and deleted', async () => {
    const p = await faultDefinition('drop-vrrp').plan({interface: 'eth1'}, envFor('dir1', guest('qdisc noqueue 0: root refcnt 2 \nqdisc clsact ffff: parent ffff:fff1 \n')))
    assert.deepEqual(argvs(p.inject), [`/sbin/tc filter add dev eth1 egress pref ${TC_PREF.vrrp} protocol ip u32 match ip protocol 112 0xff action drop`])
    assert.deepEqual(argvs(p.revert), [`/sbin/tc filter del dev eth1 egress pref ${TC_PREF.vrrp}`])
  })

  it('neither nft nor iproute2 tc: refused before anything runs; an unknown device: refused', async () => {
    const none = new RecordingExecutor('dir1').on(['nft'], {code: 127}).on(['tc'], {code: 127}).on(['/sbin/tc'], {code: 127}).on(['/usr/sbin/tc'], {code: 127})
    await assert.rejects(faultDefinition('drop-vrrp').plan({}, envFor('dir1', none)), (e: unknown) => e instanceof HachaosError && e.code === 'E_NO_TOOL')
    const noDev = guest().on(['/sbin/tc', 'qdisc', 'show'], {code: 1, stderr: 'Cannot find device "eth9"\n'})
    await assert.rejects(faultDefinition('drop-vrrp').plan({interface: 'eth9'}, envFor('dir1', noDev)), (e: unknown) => e instanceof HachaosError && e.code === 'E_NO_INTERFACE')
  })
})

describe('drop-sync: the master director\'s sync datagrams dropped', () => {
  it('group, port and interface from the running master daemon; tc on the guest; nothing moves (effect none)', async () => {
    const p = await faultDefinition('drop-sync').plan({}, envFor('dir1', guest()))
    assert.equal(p.kind, 'drop-sync')
    assert.equal(p.effect, 'none')
    assert.deepEqual(p.params, {interface: 'eth0', group: '224.0.0.81', port: 8848, failover: false, holdMs: DEFAULT_HOLD_MS, with: 'tc'})
    assert.deepEqual(argvs(p.inject), [
      '/sbin/tc qdisc add dev eth0 clsact',
      `/sbin/tc filter add dev eth0 egress pref ${TC_PREF.sync} protocol ip u32 match ip protocol 17 0xff match ip dst 224.0.0.81/32 match ip dport 8848 0xffff action drop`,
    ])
    assert.deepEqual(argvs(p.revert), [`/sbin/tc filter del dev eth0 egress pref ${TC_PREF.sync}`, '/sbin/tc qdisc del dev eth0 clsact'])
  })

  it('failover=true: after the phases of the hold the NIC goes down; the revert brings it up first', async () => {
    const p = await faultDefinition('drop-sync').plan({failover: 'true', hold: '3s'}, envFor('dir1', guest()))
    assert.equal(p.effect, 'node-loss')
    assert.equal(failoverDelayMs(3000), SETTLE_MS + OPEN_MS + 3000 + READ_MS)
    assert.deepEqual(argvs(p.inject).slice(-2), [`sleep ${failoverDelayMs(3000)}`, 'ip link set dev eth0 down'])
    assert.deepEqual(argvs(p.revert), ['ip link set dev eth0 up', `/sbin/tc filter del dev eth0 egress pref ${TC_PREF.sync}`, '/sbin/tc qdisc del dev eth0 clsact'])
    assert.equal(p.params['holdMs'], 3000)
  })

  it('with nftables: our own table, the revert declares it before deleting it (idempotent)', async () => {
    const ex = new RecordingExecutor('dir1').on(['ipvsadm', '-Ln', '--daemon'], {stdout: 'master sync daemon (mcast=ens4, syncid=5, maxlen=1472, group=239.1.1.1, port=9000, ttl=1)\n'})
    const p = await faultDefinition('drop-sync').plan({}, envFor('dir1', ex))
    const inj = p.inject[0]
    assert.ok(inj?.type === 'exec' && inj.input === dropSyncScript('ens4', '239.1.1.1', 9000))
    assert.match(dropSyncScript('ens4', '239.1.1.1', 9000), /oifname "ens4" ip daddr 239\.1\.1\.1 udp dport 9000 counter drop/)
    const rev = p.revert[0]
    assert.ok(rev?.type === 'exec' && rev.input === REMOVE_SYNC_SCRIPT)
    assert.equal(REMOVE_SYNC_SCRIPT, `table inet ${NFT_SYNC_TABLE}\ndelete table inet ${NFT_SYNC_TABLE}\n`)
  })

  it('refused on a director without a master sync daemon (the backup, or no --sync), and on bad params', async () => {
    const backup = guest().on(['ipvsadm', '-Ln', '--daemon'], {stdout: fx('d2-ipvsadm-daemon-sync.txt')})
    await assert.rejects(faultDefinition('drop-sync').plan({}, envFor('dir2', backup)), (e: unknown) => e instanceof HachaosError && e.code === 'E_NO_SYNC' && /only a backup sync daemon/.test(e.message))
    const nosync = guest().on(['ipvsadm', '-Ln', '--daemon'], {stdout: fx('d1-ipvsadm-daemon-nosync.txt')})
    await assert.rejects(faultDefinition('drop-sync').plan({}, envFor('dir1', nosync)), (e: unknown) => e instanceof HachaosError && e.code === 'E_NO_SYNC' && /no sync daemon runs/.test(e.message))
    for (const bad of [{failover: 'maybe'}, {hold: 'soon'}, {hold: '11s'}, {port: '70000'}, {group: '224.0.0'}, {bogus: '1'}]) {
      await assert.rejects(faultDefinition('drop-sync').plan(bad, envFor('dir1', guest())), (e: unknown) => e instanceof HachaosError && e.code === 'E_FAULT_PARAMS', JSON.stringify(bad))
    }
  })
})

describe('an inject step that sleeps (drop-sync failover=true) ends at SIGINT, and the steps after it are skipped', () => {
  it('aborted 50 ms into a 5 s sleep: returns at once, the failover step never runs', async () => {
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 50)
    const t0 = Date.now()
    const out = await runInject([{type: 'sleep', ms: 5000, what: 'hold'}, {type: 'sleep', ms: 5000, what: 'the failover'}], ac.signal)
    assert.ok(Date.now() - t0 < 2000, `${Date.now() - t0} ms`)
    assert.deepEqual(out.map((r) => [r.what, r.detail]), [['hold', 'cut short: interrupted']])
  })
})

describe('connection-table divergence (ipvsadm -Lnc of both directors, captured in the lab)', () => {
  it('sync running: the backup lacks only the master\'s closing short connections, no established one', () => {
    const d = syncDivergence(fx('d1-ipvsadm-Lnc-sync.txt'), fx('d2-ipvsadm-Lnc-sync.txt'), 7)
    assert.deepEqual(d, {masterConns: 163, backupConns: 225, missingOnBackup: 17, missingEstablished: 0, missingStreams: 0, masterStreams: 11, missingByState: {FIN_WAIT: 16, CLOSE: 1}})
  })

  it('sync dropped on dir1 (drop-sync, hold 20 s, read 11 s into the drop): the 10 streams opened during it are missing from dir2, the 20 before it are not', () => {
    const d = syncDivergence(fx('d1-ipvsadm-Lnc-drop-sync.txt'), fx('d2-ipvsadm-Lnc-drop-sync.txt'), 7)
    assert.deepEqual(d, {masterConns: 410, backupConns: 151, missingOnBackup: 257, missingEstablished: 10, missingStreams: 10, masterStreams: 32, missingByState: {SYN_RECV: 1, FIN_WAIT: 246, ESTABLISHED: 10}})
  })

  it('no sync: the backup lacks everything; a table against itself lacks nothing', () => {
    const d = syncDivergence(fx('d1-ipvsadm-Lnc-sync.txt'), fx('d2-ipvsadm-Lnc-nosync.txt'), 7)
    assert.equal(d.missingOnBackup, 163)
    assert.equal(d.missingStreams, 11)
    assert.equal(d.missingEstablished, 12)
    assert.equal(syncDivergence(fx('d1-ipvsadm-Lnc-sync.txt'), fx('d1-ipvsadm-Lnc-sync.txt'), 7).missingOnBackup, 0)
    // no stream port: streams are not told apart
    assert.equal(syncDivergence(fx('d1-ipvsadm-Lnc-sync.txt'), '', null).missingStreams, 0)
  })
})
