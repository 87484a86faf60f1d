import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {memberDown, LOCAL_REF} from '../../../chaos/member-down.js'
import {faultDefinition} from '../../../chaos/registry.js'
import {RecordingExecutor} from '../../../src/exec/recording.js'
import {findBinary} from '../../../src/exec/which.js'
import type {FaultEnv} from '../../../src/fault/types.js'
import {parseInventory} from '../../../src/inventory/inventory.js'
import {cpioNewc} from '../../../src/lab/bond/cpio.js'
import {GUEST_INIT_SH, HX_SERVER_SH} from '../../../src/lab/bond/guest-init.js'
import {moduleDepends, moduleLoadOrder} from '../../../src/lab/bond/guest-image.js'
import {parseInfoNetwork, qemuArgv} from '../../../src/lab/bond/qemu.js'
import {bondSysfsOptions, bondTopology, kernelCmdline, parseBondLabOptions} from '../../../src/lab/bond/topology.js'
import {LocalExecutor} from '../../../src/exec/local.js'

describe('bond lab options', () => {
  it('defaults: active-backup, miimon 100', () => {
    const o = parseBondLabOptions({})
    assert.equal(o.mode, 'active-backup')
    assert.equal(o.miimon, 100)
    assert.equal(kernelCmdline(o), 'console=ttyS0 quiet panic=-1 hx.mode=active-backup hx.miimon=100 hx.ip=10.88.0.2/24 hx.iperf=8001,8002')
  })
  it('ARP monitor turns MII monitoring off; delays become sysfs options', () => {
    const a = parseBondLabOptions({arpInterval: 100, arpIpTarget: '10.88.0.11'})
    assert.equal(a.miimon, 0)
    assert.deepEqual(bondSysfsOptions(a), [['arp_interval', '100'], ['arp_ip_target', '+10.88.0.11']])
    const d = parseBondLabOptions({mode: 'balance-xor', downdelay: 200, updelay: 300, xmitHashPolicy: 'layer3+4'})
    assert.match(kernelCmdline(d), / hx\.opts=xmit_hash_policy=layer3\+4,downdelay=200,updelay=300$/)
  })
  it('refuses what the driver would refuse or what could inject into the guest command line', () => {
    assert.throws(() => parseBondLabOptions({mode: 'balance-rr; reboot'}), /not one of/)
    assert.throws(() => parseBondLabOptions({arpInterval: 100, arpIpTarget: '10.88.0.11 hx.mode=x'}), /not an IPv4/)
    assert.throws(() => parseBondLabOptions({downdelay: 150}), /not a multiple of --miimon 100/)
    assert.throws(() => parseBondLabOptions({miimon: 100, arpInterval: 100, arpIpTarget: '10.88.0.11'}), /cannot both be on/)
    assert.throws(() => parseBondLabOptions({arpInterval: 100}), /needs --arp-ip-target/)
    assert.throws(() => parseBondLabOptions({miimon: -1}), /whole number/)
    assert.throws(() => parseBondLabOptions({miimon: 0, downdelay: 200}), /only work with MII/)
  })
  it('QEMU argv: TCG, one tap netdev per member with speed/duplex, monitor and console sockets', () => {
    const t = bondTopology('hcb')
    const argv = qemuArgv({kernel: '/k', initrd: '/i', cmdline: 'c', memMb: 256, nicSpeed: true, members: t.members, files: {consoleLog: '/d/c.log', consoleSocket: '/d/c.sock', monitorSocket: '/d/m.sock', pidFile: '/d/q.pid'}})
    assert.deepEqual(argv.slice(0, 3), ['qemu-system-x86_64', '-accel', 'tcg'])
    assert.ok(argv.includes('tap,id=n0,ifname=tap0,script=no,downscript=no'))
    assert.ok(argv.includes('virtio-net-pci,netdev=n1,mac=52:54:00:88:00:a1,speed=1000,duplex=full'))
    assert.ok(argv.includes('unix:/d/m.sock,server=on,wait=off'))
    assert.equal(argv.at(-1), '-daemonize')
  })
  it('parses the tap netdevs of `info network` (QEMU 7.2, as captured)', () => {
    const text = 'virtio-net-pci.0: index=0,type=nic,model=virtio-net-pci,macaddr=52:54:00:88:00:a0\n \\ n0: index=0,type=tap,ifname=tap0,script=no,downscript=no\nvirtio-net-pci.1: index=0,type=nic,model=virtio-net-pci,macaddr=52:54:00:88:00:a0\n \\ n1: index=0,type=tap,ifname=tap1,script=no,downscript=no\n'
    assert.deepEqual(parseInfoNetwork(text), ['n0', 'n1'])
  })
})

describe('guest image pieces', () => {
  it('module dependencies from a .ko modinfo section, loaded dependencies first', () => {
    const ko = Buffer.concat([Buffer.from('\x7fELF...junk\0license=GPL\0depends=virtio_ring,virtio\0name=virtio_net\0')])
    assert.deepEqual(moduleDepends(ko), ['virtio_ring', 'virtio'])
    const deps: Record<string, string[]> = {bonding: ['tls'], tls: [], virtio_net: ['net_failover', 'virtio'], net_failover: ['failover'], failover: [], virtio: ['virtio_ring'], virtio_ring: []}
    assert.deepEqual(moduleLoadOrder(['virtio_net', 'bonding'], (m) => deps[m] ?? null), ['failover', 'net_failover', 'virtio_ring', 'virtio', 'virtio_net', 'tls', 'bonding'])
    assert.throws(() => moduleLoadOrder(['a'], (m) => (m === 'a' ? ['b'] : ['a'])), /loop/)
  })
  it('the cpio "newc" archive unpacks with a real cpio (busybox)', {skip: findBinary('busybox') === null ? 'busybox missing' : false}, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hx-cpio-'))
    try {
      const archive = cpioNewc([
        {type: 'dir', path: 'bin'},
        {type: 'file', path: 'bin/hello', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755},
        {type: 'symlink', path: 'bin/hi', target: 'hello'},
        {type: 'file', path: 'odd name.txt', data: Buffer.from('x')},
      ])
      writeFileSync(join(dir, 'a.cpio'), archive)
      const r = await new LocalExecutor().run(['busybox', 'cpio', '-tv', '-F', join(dir, 'a.cpio')])
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, /drwxr-xr-x .* bin\n/)
      assert.match(r.stdout, /-rwxr-xr-x .* 18 .* bin\/hello/)
      assert.match(r.stdout, /lrwxrwxrwx .* bin\/hi -> hello/)
      assert.match(r.stdout, /odd name\.txt/)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
  it('the guest /init and the command server are valid shell', async () => {
    for (const text of [GUEST_INIT_SH, `${HX_SERVER_SH}\n:`]) {
      const r = await new LocalExecutor().run(['sh', '-n', '-c', text])
      assert.equal(r.code, 0, r.stderr)
    }
  })
})

describe('member-down fault plan', () => {
  const inv = parseInventory(
    `version: 1\nhosts:\n  guest: {address: 10.88.0.2, via: vm, vm_socket: /run/x/hx.sock, roles: [bond-host], facts: {bond: bond0, qemu_monitor: /run/x/monitor.sock, qemu_netdevs: {eth0: n0, eth1: n1}}}\n  c1: {address: 10.88.0.11, via: netns, netns: hcb-bc1, roles: [client]}\n`,
    'inv.yaml',
  )
  const guest = inv.hosts[0]
  const client = inv.hosts[1]
  const env = (exec: RecordingExecutor, target = guest): FaultEnv => {
    if (target === undefined) throw new Error('no host')
    const {name, ...entry} = target
    return {inventory: inv, target, exec, ref: {name, entry}, executorFor: () => exec, refFor: (h) => ({name: h.name, entry: h}), force: false}
  }
  const guestExec = (): RecordingExecutor =>
    new RecordingExecutor('guest').on(['cat', '/sys/class/net/bond0/bonding/slaves'], {stdout: 'eth0 eth1\n'}).on(['cat', '/sys/class/net/bond0/bonding/active_slave'], {stdout: 'eth1\n'})
  it('pulls the active member by default: set_link on the QEMU monitor, from this machine; revert plugs it back', async () => {
    const p = await memberDown.plan({}, env(guestExec()))
    assert.equal(p.params['member'], 'eth1')
    assert.equal(p.params['netdev'], 'n1')
    assert.equal(p.effect, 'member-down')
    const inj = p.inject[0]
    const rev = p.revert[0]
    assert.ok(inj?.type === 'exec' && rev?.type === 'exec')
    assert.equal(inj.host.name, LOCAL_REF.name)
    assert.deepEqual(inj.argv.slice(-4), ['set-link', '/run/x/monitor.sock', 'n1', 'off'])
    assert.deepEqual(rev.argv.slice(-4), ['set-link', '/run/x/monitor.sock', 'n1', 'on'])
  })
  it('a named member; a stranger is refused; a host that is not a lab guest is refused', async () => {
    assert.equal((await memberDown.plan({member: 'eth0'}, env(guestExec()))).params['netdev'], 'n0')
    await assert.rejects(memberDown.plan({member: 'eth7'}, env(guestExec())), /eth7 is not a member of bond0/)
    await assert.rejects(memberDown.plan({}, env(guestExec(), client)), /not a QEMU guest of the bond lab/)
  })
  it('is registered, and its parameters are validated before anything runs', async () => {
    const f = faultDefinition('member-down')
    assert.deepEqual(f.stacks, ['bond'])
    const ex = guestExec()
    await assert.rejects(f.plan({member: '$(reboot)'}, env(ex)), /fault member-down: --member "\$\(reboot\)": expected an interface name/)
    await assert.rejects(f.plan({interface: 'eth0'}, env(ex)), /fault member-down/)
    assert.equal(ex.calls.length, 0)
  })
})
