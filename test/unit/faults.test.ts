import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {FAULTS, faultDefinition} from '../../chaos/registry.js'
import {dropVrrpScript, REMOVE_SCRIPT} from '../../chaos/drop-vrrp.js'
import {sshConnectionOf} from '../../chaos/nic-down.js'
import {HachaosError} from '../../src/errors.js'
import {RecordingExecutor} from '../../src/exec/recording.js'
import type {Executor} from '../../src/exec/types.js'
import type {FaultEnv} from '../../src/fault/types.js'
import {parseInventory} from '../../src/inventory/inventory.js'
import {readFixture} from '../fixture.js'

const inv = parseInventory(`
hosts:
  lb1: {address: 10.0.0.11, via: ssh, roles: [lb], facts: {interface: ens3}}
  lab1: {address: 10.66.0.11, via: netns, netns: hc-lb1, roles: [lb], services: lab}
`)

function envFor(name: string, exec: Executor, force = false): FaultEnv {
  const target = inv.hosts.find((h) => h.name === name)
  assert.ok(target)
  const {name: n, ...entry} = target
  return {inventory: inv, target, exec, ref: {name: n, entry}, executorFor: () => exec, refFor: (h) => ({name: h.name, entry: h}), force}
}

describe('fault plans (data first: the exact argv, before anything runs)', () => {
  it('every registered fault has a kind, a summary and parameter help', () => {
    assert.deepEqual(FAULTS.map((f) => f.kind).sort(), ['cluster-kill', 'cluster-move', 'cluster-partition', 'cluster-standby', 'drop-port', 'drop-sync', 'drop-vrrp', 'kill', 'member-down', 'nic-down', 'partition', 'service-stop'])
    for (const f of FAULTS) assert.ok(f.summary.length > 20 && Object.keys(f.paramHelp).length > 0)
  })

  it('nic-down: ip link set dev IF down, revert up; node-loss', async () => {
    const ex = new RecordingExecutor('lb1').on(['ip', '-o', 'link'], {stdout: '2: ens3: <BROADCAST,UP> mtu 1500'})
    const p = await faultDefinition('nic-down').plan({}, envFor('lb1', ex))
    assert.equal(p.effect, 'node-loss')
    assert.deepEqual(p.inject.map((a) => (a.type === 'exec' ? a.argv : [])), [['ip', 'link', 'set', 'dev', 'ens3', 'down']])
    assert.deepEqual(p.revert.map((a) => (a.type === 'exec' ? a.argv : [])), [['ip', 'link', 'set', 'dev', 'ens3', 'up']])
  })

  it('nic-down refuses the interface carrying our own ssh session unless forced', async () => {
    const ex = new RecordingExecutor('lb1')
      .on(['ip', '-o', 'link'], {stdout: '2: ens3: <UP>'})
      .on(['printenv', 'SSH_CONNECTION'], {stdout: '192.0.2.5 53422 10.0.0.11 22\n'})
      .on(['ip', '-o', 'route', 'get'], {stdout: '192.0.2.5 via 10.0.0.1 dev ens3 src 10.0.0.11 uid 0\n'})
    const fakeSsh = Object.assign(Object.create(ex) as RecordingExecutor, {kind: 'ssh'}) as unknown as Executor
    await assert.rejects(faultDefinition('nic-down').plan({}, envFor('lb1', fakeSsh)), (e: unknown) => e instanceof HachaosError && e.code === 'E_MGMT_INTERFACE')
    const forced = await faultDefinition('nic-down').plan({}, envFor('lb1', fakeSsh, true))
    assert.match(forced.warnings.join(), /ssh session/)
  })

  it('nic-down finds the ssh session without printenv (busybox-static): from `env`', async () => {
    const ex = new RecordingExecutor('lb1')
      .on(['ip', '-o', 'link'], {stdout: '2: ens3: <UP>'})
      .on(['printenv', 'SSH_CONNECTION'], {code: 127, stderr: 'sh: printenv: not found\n'})
      .on(['env'], {stdout: 'USER=root\nSSH_CONNECTION=10.98.0.10 50694 10.98.0.2 22\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n'})
      .on(['ip', '-o', 'route', 'get'], {stdout: '10.98.0.10 dev ens3 src 10.98.0.2 uid 0 \\    cache \n'})
    const fakeSsh = Object.assign(Object.create(ex) as RecordingExecutor, {kind: 'ssh'}) as unknown as Executor
    await assert.rejects(faultDefinition('nic-down').plan({}, envFor('lb1', fakeSsh)), (e: unknown) => e instanceof HachaosError && e.code === 'E_MGMT_INTERFACE')
    assert.ok(ex.calls.some((c) => c.argv.join(' ') === 'ip -o route get 10.98.0.10'), JSON.stringify(ex.calls))
    assert.equal(sshConnectionOf('A=1\nSSH_CONNECTION=192.0.2.5 1 10.0.0.1 22\n'), '192.0.2.5 1 10.0.0.1 22')
    assert.equal(sshConnectionOf('A=1\n'), '')
  })

  it('kill: keepalived TERM is a graceful stop, KILL a node loss, STOP reverted by CONT; haproxy a service loss', async () => {
    const ex = new RecordingExecutor('lb1').on(['pgrep'], {stdout: '101\n102\n'})
    const def = faultDefinition('kill')
    assert.equal((await def.plan({process: 'keepalived', signal: 'TERM'}, envFor('lb1', ex))).effect, 'graceful-stop')
    const k9 = await def.plan({process: 'keepalived', signal: 'sigkill'}, envFor('lb1', ex))
    assert.equal(k9.effect, 'node-loss')
    // Frozen first, so no child turns the parent's death into a graceful exit (priority-0 advert).
    assert.deepEqual(k9.inject.map((a) => (a.type === 'signal' ? a.signal : a.type)), ['SIGSTOP', 'SIGKILL'])
    // …so a drill killed between the freeze and the kill must not leave them frozen: the revert thaws first.
    assert.deepEqual(k9.revert.map((a) => (a.type === 'signal' ? `${a.signal}${a.ifAny === true ? ' if any' : ''}` : a.type)), ['SIGCONT if any', 'service'])
    const stop = await def.plan({process: 'keepalived', signal: 'STOP'}, envFor('lb1', ex))
    assert.deepEqual(stop.revert.map((a) => (a.type === 'signal' ? a.signal : a.type)), ['SIGCONT'])
    const h = await def.plan({process: 'haproxy'}, envFor('lb1', ex))
    assert.equal(h.effect, 'service-loss')
    assert.deepEqual(h.revert.map((a) => (a.type === 'service' ? `${a.op} ${a.service}` : a.type === 'signal' ? a.signal : a.type)), ['SIGCONT', 'start haproxy'])
    const one = await def.plan({process: 'haproxy'}, envFor('lb1', new RecordingExecutor('lb1').on(['pgrep'], {stdout: '101\n'})))
    assert.deepEqual(one.revert.map((a) => a.type), ['service'])
  })

  it('kill: a process that does not run is refused before anything happens; bad params are usage errors', async () => {
    const ex = new RecordingExecutor('lb1').on(['pgrep'], {code: 1})
    await assert.rejects(faultDefinition('kill').plan({process: 'haproxy'}, envFor('lb1', ex)), /no haproxy process runs on lb1/)
    await assert.rejects(faultDefinition('kill').plan({process: 'x; rm -rf /'}, envFor('lb1', ex)), (e: unknown) => e instanceof HachaosError && e.exitName === 'USAGE')
    await assert.rejects(faultDefinition('kill').plan({signal: 'BOGUS'}, envFor('lb1', ex)), (e: unknown) => e instanceof HachaosError && e.exitName === 'USAGE')
    await assert.rejects(faultDefinition('nic-down').plan({interface: '-x'}, envFor('lb1', ex)), /fault nic-down/)
  })

  it('drop-vrrp: one nftables table of our own, removed idempotently', async () => {
    const p = await faultDefinition('drop-vrrp').plan({}, envFor('lb1', new RecordingExecutor('lb1')))
    assert.equal(p.effect, 'advert-loss')
    const inj = p.inject[0]
    assert.ok(inj?.type === 'exec' && inj.input === dropVrrpScript('ens3'))
    assert.match(dropVrrpScript('ens3'), /oifname "ens3" ip protocol vrrp counter drop/)
    const rev = p.revert[0]
    assert.ok(rev?.type === 'exec' && rev.input === REMOVE_SCRIPT)
    // Declaring the table before deleting it is what makes the revert succeed twice:
    assert.match(REMOVE_SCRIPT, /^table inet hachaos_drop_vrrp\ndelete table inet hachaos_drop_vrrp\n$/)
  })

  it('service-stop on a lab host uses the lab names (httpd → apache2)', async () => {
    const p = await faultDefinition('service-stop').plan({service: 'httpd'}, envFor('lab1', new RecordingExecutor('lab1')))
    assert.deepEqual(p.params, {service: 'apache2'})
    assert.equal(p.effect, 'backend-loss')
  })

  it('partition (Heartbeat): drops udpport and the mcast ports of ha.cf between the sides, in every node; heal deletes the table', async () => {
    const hbInv = parseInventory(`
hosts:
  hb1: {address: 10.71.0.11, via: netns, netns: hc-hb1, roles: [heartbeat-node], services: lab}
  hb2: {address: 10.71.0.12, via: netns, netns: hc-hb2, roles: [heartbeat-node], services: lab, facts: {heartbeat_addrs: "10.72.0.12"}}
  c: {address: 10.71.0.2, via: netns, netns: hc-c, roles: [client]}
`)
    const conf = readFixture('heartbeat', 'ha.cf') + 'mcast eth1 239.0.0.1 695 1 0\n'
    const ex = new RecordingExecutor('hb1').on(['cat', '--', '/etc/ha.d/ha.cf'], {stdout: conf})
    const target = hbInv.hosts.find((h) => h.name === 'hb1')
    assert.ok(target)
    const {name: n, ...entry} = target
    const env: FaultEnv = {inventory: hbInv, target, exec: ex, ref: {name: n, entry}, executorFor: () => ex, refFor: (h) => ({name: h.name, entry: h}), force: false}
    const p = await faultDefinition('partition').plan({}, env)
    assert.equal(p.effect, 'cluster-partition')
    assert.deepEqual(p.params, {sides: [['hb1'], ['hb2']], ports: [694, 695]})
    assert.deepEqual(p.inject.map((a) => (a.type === 'sleep' ? '' : a.host.name)), ['hb1', 'hb2'])
    const [a1, a2] = p.inject
    assert.ok(a1?.type === 'exec' && a2?.type === 'exec')
    assert.deepEqual(a1.argv, ['nft', '-f', '-'])
    assert.match(a1.input ?? '', /ip saddr \{ 10\.71\.0\.12, 10\.72\.0\.12 \} udp dport \{ 694, 695 \} drop/)
    assert.match(a2.input ?? '', /ip daddr \{ 10\.71\.0\.11 \} udp dport \{ 694, 695 \} drop/)
    assert.ok(p.revert.every((r) => r.type === 'exec' && /delete table inet hachaos_partition/.test(r.input ?? '')))
    // the client is no Heartbeat node: refused with the nodes named
    const c = hbInv.hosts.find((h) => h.name === 'c')
    assert.ok(c)
    await assert.rejects(faultDefinition('partition').plan({}, {...env, target: c}), (e: unknown) => e instanceof HachaosError && /hb1, hb2/.test(e.suggestions.join(' ')))
    await assert.rejects(faultDefinition('partition').plan({with: 'hb2'}, env), (e: unknown) => e instanceof HachaosError && /empty/.test(e.message))
  })
})
