import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {faultDefinition} from '../../../chaos/registry.js'
import {HachaosError} from '../../../src/errors.js'
import {RecordingExecutor} from '../../../src/exec/recording.js'
import type {Executor} from '../../../src/exec/types.js'
import type {FaultEnv} from '../../../src/fault/types.js'
import {parseInventory} from '../../../src/inventory/inventory.js'
import {readFixture} from '../../fixture.js'

const inv = parseInventory(`
vip: 10.77.0.100
hosts:
  n1: {address: 10.77.0.11, via: ssh, roles: [cluster-node], services: systemd}
  n2: {address: 10.77.0.12, via: ssh, roles: [cluster-node]}
  n3: {address: 10.77.0.13, via: ssh, roles: [cluster-node]}
  web: {address: 10.77.0.20, via: ssh, roles: [web]}
  lone: {address: 10.77.0.21, via: ssh, roles: [cluster-node], services: none}
`)

/** A node that answers crm_mon with a lab fixture and reads the lab's corosync.conf. */
function node(name: string, crm = 'crm_mon-online.xml'): RecordingExecutor {
  return new RecordingExecutor(name)
    .on(['crm_mon'], {stdout: readFixture('cluster', crm)})
    .on(['cat', '--', '/etc/corosync/corosync.conf'], {stdout: readFixture('corosync', 'lab-3node.conf')})
    .on(['pgrep'], {stdout: '4242\n'})
}

function envFor(name: string, exec: Executor): FaultEnv {
  const target = inv.hosts.find((h) => h.name === name)
  assert.ok(target)
  const {name: n, ...entry} = target
  return {inventory: inv, target, exec, ref: {name: n, entry}, executorFor: () => exec, refFor: (h) => ({name: h.name, entry: h}), force: false}
}

const argvOf = (a: {type: string; argv?: string[]}): string[] => a.argv ?? [a.type]

describe('Pacemaker faults (plans from a node answering with the lab\'s real outputs)', () => {
  it('cluster-kill: SIGKILL of the daemon (comm truncated by the executor), revert = start the stack (service pacemaker)', async () => {
    const p = await faultDefinition('cluster-kill').plan({daemon: 'pacemaker-controld'}, envFor('n1', node('n1')))
    assert.deepEqual(p.inject, [{type: 'signal', host: p.inject[0]?.type === 'signal' ? p.inject[0].host : undefined, comm: 'pacemaker-controld', signal: 'SIGKILL', what: 'SIGKILL pacemaker-controld on n1'}])
    assert.deepEqual(p.revert.map((a) => (a.type === 'service' ? `${a.op} ${a.service}` : a.type)), ['start pacemaker'])
    const c = await faultDefinition('cluster-kill').plan({}, envFor('n1', node('n1')))
    assert.equal(c.effect, 'node-loss')
    assert.match(c.warnings.join(), /stonith is disabled/)
    assert.equal((await faultDefinition('cluster-kill').plan({daemon: 'pacemakerd'}, envFor('n1', node('n1')))).effect, 'none')
  })

  it('cluster-kill refuses: no such daemon running, services none, not a cluster node, unknown daemon', async () => {
    const dead = new RecordingExecutor('n1').on(['pgrep'], {code: 1, stdout: ''})
    await assert.rejects(faultDefinition('cluster-kill').plan({}, envFor('n1', dead)), (e: unknown) => e instanceof HachaosError && e.code === 'E_NO_PROCESS')
    await assert.rejects(faultDefinition('cluster-kill').plan({}, envFor('lone', node('lone'))), (e: unknown) => e instanceof HachaosError && e.code === 'E_NO_SERVICE_CONTROL')
    await assert.rejects(faultDefinition('cluster-kill').plan({}, envFor('web', node('web'))), /role cluster-node/)
    await assert.rejects(faultDefinition('cluster-kill').plan({daemon: 'httpd'}, envFor('n1', node('n1'))), (e: unknown) => e instanceof HachaosError && e.code === 'E_FAULT_PARAMS')
  })

  it('cluster-standby: crm_standby on/off for the node; an unknown node name is refused', async () => {
    const p = await faultDefinition('cluster-standby').plan({}, envFor('n2', node('n2')))
    assert.deepEqual(p.inject.map(argvOf), [['crm_standby', '--node', 'n2', '--update', 'on']])
    assert.deepEqual(p.revert.map(argvOf), [['crm_standby', '--node', 'n2', '--update', 'off']])
    await assert.rejects(faultDefinition('cluster-standby').plan({node: 'node7'}, envFor('n2', node('n2'))), /no node "node7"/)
  })

  it('cluster-move: the group with the VIP, from the target to the first other online node; revert clears the constraint', async () => {
    const p = await faultDefinition('cluster-move').plan({}, envFor('n1', node('n1')))
    assert.deepEqual(p.inject.map(argvOf), [['crm_resource', '--move', '--resource', 'g_web', '--node', 'n2']])
    assert.deepEqual(p.revert.map(argvOf), [['crm_resource', '--clear', '--resource', 'g_web']])
    const to3 = await faultDefinition('cluster-move').plan({to: 'n3'}, envFor('n1', node('n1')))
    assert.deepEqual(to3.params, {resource: 'g_web', from: 'n1', to: 'n3'})
    // the group runs on n1, not n2; and n2 is in standby in that fixture
    await assert.rejects(faultDefinition('cluster-move').plan({}, envFor('n2', node('n2'))), /does not run on n2/)
    const standby = await faultDefinition('cluster-move').plan({}, envFor('n1', node('n1', 'crm_mon-standby.xml')))
    assert.deepEqual(standby.params['to'], 'n3')
    await assert.rejects(faultDefinition('cluster-move').plan({resource: 'nope'}, envFor('n1', node('n1'))), /no resource or group "nope"/)
  })

  it('cluster-partition: nftables on every node of both sides, addresses and port from corosync.conf; heal deletes the table', async () => {
    const p = await faultDefinition('cluster-partition').plan({}, envFor('n1', node('n1')))
    assert.deepEqual(p.params, {sides: [['n1'], ['n2', 'n3', 'lone']], ports: [5405]})
    assert.deepEqual(p.inject.map((a) => (a.type === 'exec' ? [a.host.name, ...a.argv] : [])), [['n1', 'nft', '-f', '-'], ['n2', 'nft', '-f', '-'], ['n3', 'nft', '-f', '-'], ['lone', 'nft', '-f', '-']])
    const n1 = p.inject[0]
    assert.ok(n1?.type === 'exec' && n1.input !== undefined && /ip saddr \{ 10\.77\.0\.12, 10\.77\.0\.13, 10\.77\.0\.21 \} udp dport \{ 5405 \} drop/.test(n1.input), n1?.type === 'exec' ? n1.input : '')
    assert.ok(p.revert.every((a) => a.type === 'exec' && a.input === 'add table inet hachaos_partition\ndelete table inet hachaos_partition\n'))
    assert.match(p.warnings.join(), /minority/)
    const two = await faultDefinition('cluster-partition').plan({with: 'n2'}, envFor('n1', node('n1')))
    assert.deepEqual(two.params['sides'], [['n1', 'n2'], ['n3', 'lone']])
    await assert.rejects(faultDefinition('cluster-partition').plan({with: 'web'}, envFor('n1', node('n1'))), /not a cluster node/)
    await assert.rejects(faultDefinition('cluster-partition').plan({with: 'n2,n3,lone'}, envFor('n1', node('n1'))), /other side of the partition is empty/)
  })
})
