import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {corosyncSummary, parseCorosyncConf} from '../../../src/config/corosync.js'
import {parseCrmMonXml} from '../../../src/config/crm-mon.js'
import {parseCmapctl, runtimeTotem} from '../../../src/stacks/pacemaker/corosync-tools.js'
import {clusterHealth} from '../../../src/stacks/pacemaker/crm-mon.js'
import {AGENT_OP_FALLBACK_MS, PACEMAKER_LATENCY, RELOCATION_METRIC, modelInputFrom, predictPacemaker} from '../../../src/stacks/pacemaker/predict.js'
import type {ClusterSnapshot} from '../../../src/stacks/pacemaker/snapshot.js'
import type {FaultEffect, FaultPlan} from '../../../src/fault/types.js'
import {parseInventory} from '../../../src/inventory/inventory.js'
import {readFixture} from '../../fixture.js'

const inv = parseInventory(`
hosts:
  n1: {address: 10.77.0.11, via: nsenter, init_pid_file: /x/n1.pid, roles: [cluster-node]}
  n2: {address: 10.77.0.12, via: nsenter, init_pid_file: /x/n2.pid, roles: [cluster-node]}
`)
const host = (n: string): (typeof inv.hosts)[number] => inv.hosts.find((h) => h.name === n) as (typeof inv.hosts)[number]

function snapshot(xml: string, withRuntime = true): ClusterSnapshot {
  const crmMon = parseCrmMonXml(readFixture('cluster', xml))
  return {
    host: 'n1',
    t: 0,
    crmMon,
    quorum: null,
    links: null,
    runtime: withRuntime ? runtimeTotem(parseCmapctl(readFixture('cluster', 'cmapctl-runtime-totem.txt'))) : null,
    corosync: corosyncSummary(parseCorosyncConf(readFixture('corosync', 'lab-3node.conf'), {file: '<corosync.conf>'})),
    notes: [],
    health: clusterHealth(crmMon),
  }
}

const plan = (kind: string, effect: FaultEffect, params: Record<string, unknown> = {}): FaultPlan => ({kind, target: 'n1', summary: '', effect, params, inject: [], revert: [], warnings: []})

describe('Pacemaker prediction (inputs from the lab: crm_mon history, corosync-cmapctl, corosync.conf)', () => {
  it('node loss (kill corosync on n1, stonith off): token 1650 + consensus 1980 − one rotation (3 × hold 303) … + start vip + Pacemaker', () => {
    const i = modelInputFrom(snapshot('crm_mon-online.xml'), plan('cluster-kill', 'node-loss', {daemon: 'corosync'}), host('n1'), 'g_web')
    assert.deepEqual([i.tokenMs, i.consensusMs, i.holdMs, i.timerSource, i.nodeCount], [1650, 1980, 303, 'runtime', 3])
    assert.equal(i.targetHoldsGroup, true)
    assert.equal(i.targetIsDc, true)
    assert.equal(i.stonithEnabled, false)
    // the VIP's start took 83 ms on n1 (operation history of the fixture)
    assert.equal(i.members.find((m) => m.id === 'vip')?.startMs, 83)
    const p = predictPacemaker(i)
    assert.equal(p.metric, RELOCATION_METRIC)
    const detectMax = 1650 + 1980
    const detectMin = detectMax - 3 * 303
    assert.equal(p.minMs, detectMin + 83)
    assert.equal(p.takeoverMs, Math.round((detectMin + detectMax) / 2) + 83 + PACEMAKER_LATENCY.nodeLossMs)
    assert.equal(p.maxMs, detectMax + 83 + PACEMAKER_LATENCY.nodeLossMs + PACEMAKER_LATENCY.toleranceMs)
    assert.match(p.formula, /stonith disabled/)
  })

  it('without cmapctl the timers come from corosync.conf: token_coefficient and 1.2 × token, and corosync\'s hold formula', () => {
    const i = modelInputFrom(snapshot('crm_mon-online.xml', false), plan('nic-down', 'node-loss'), host('n1'), 'g_web')
    assert.deepEqual([i.tokenMs, i.consensusMs, i.timerSource], [1650, 1980, 'corosync.conf'])
    assert.equal(i.holdMs, Math.floor((1650 / 4.2) * 0.8 - 10))
    assert.equal(i.holdMs, 304)
  })

  it('with the lab fence agent the fence time is part of the relocation', () => {
    const i = modelInputFrom(snapshot('crm_mon-unclean.xml'), plan('cluster-kill', 'node-loss', {daemon: 'corosync'}), host('n1'), 'g_web')
    assert.equal(i.stonithEnabled, true)
    assert.equal(i.fenceMs, 800)
    const p = predictPacemaker(i)
    assert.ok(p.minMs !== null && p.minMs >= 1650 + 1980 - 909 + 800)
    assert.match(p.formula, /fence 0\.8 s/)
  })

  it('standby: graceful, stops in reverse order then starts the VIP; apache\'s stop from the agent when the history has none', () => {
    const i = modelInputFrom(snapshot('crm_mon-online.xml'), plan('cluster-standby', 'cluster-standby'), host('n1'), 'g_web')
    assert.equal(i.members.find((m) => m.id === 'web')?.stopMs, null)
    const p = predictPacemaker(i)
    const stopWeb = AGENT_OP_FALLBACK_MS['ocf:heartbeat:apache']?.stopMs ?? 0
    const stopVip = AGENT_OP_FALLBACK_MS['ocf:heartbeat:IPaddr2']?.stopMs ?? 0
    assert.equal(p.minMs, stopWeb + stopVip + 83)
    assert.equal(p.takeoverMs, (p.minMs ?? 0) + PACEMAKER_LATENCY.gracefulMs)
    assert.match(p.formula, /^stop web 2 s \+ vip 0\.1 s \+ start vip 0\.083 s/)
  })

  it('a measured stop in the history wins (the failed-action fixture has apache stopped and started again)', () => {
    const s = snapshot('crm_mon-failed-action.xml')
    const i = modelInputFrom(s, plan('cluster-move', 'cluster-move'), host('n1'), 'g_web')
    const web = i.members.find((m) => m.id === 'web')
    const recorded = s.crmMon.history.flatMap((h) => h.operations).filter((o) => o.resource === 'web' && o.task === 'stop')
    assert.equal(web?.stopMs ?? null, recorded.length > 0 ? Math.max(...recorded.map((o) => o.execMs ?? 0)) : null)
  })

  it('no relocation expected: pacemakerd killed, controller killed (a race), target without the group, the majority side of a partition', () => {
    const s = snapshot('crm_mon-online.xml')
    assert.equal(predictPacemaker(modelInputFrom(s, plan('cluster-kill', 'none', {daemon: 'pacemakerd'}), host('n1'), 'g_web')).takeoverMs, null)
    assert.match(predictPacemaker(modelInputFrom(s, plan('cluster-kill', 'service-loss', {daemon: 'pacemaker-controld'}), host('n1'), 'g_web')).formula, /race/)
    assert.match(predictPacemaker(modelInputFrom(s, plan('nic-down', 'node-loss'), host('n2'), 'g_web')).formula, /does not run g_web/)
    const maj = predictPacemaker(modelInputFrom(s, plan('cluster-partition', 'cluster-partition', {sides: [['n1', 'n2'], ['n3']]}), host('n1'), 'g_web'))
    assert.equal(maj.takeoverMs, null)
    const min = predictPacemaker(modelInputFrom(s, plan('cluster-partition', 'cluster-partition', {sides: [['n1'], ['n2', 'n3']]}), host('n1'), 'g_web'))
    assert.ok(min.takeoverMs !== null && min.takeoverMs > 3000)
  })
})
