import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {clusterSettled, pacemakerFigures, vipMoved, vipRelocation} from '../../../src/stacks/pacemaker/metrics.js'
import type {DrillRun, TimelineEvent} from '../../../src/store/run-types.js'
import {analyzeTimeline} from '../../../src/timeline/analyze.js'
import {readFixture} from '../../fixture.js'

// A real run: `hachaos failover --target n2 --fault cluster-kill --param daemon=corosync` on the lab, no fencing.
const run = JSON.parse(readFixture('cluster', 'drill-corosync-kill-nofence.json')) as Pick<DrillRun, 'target' | 'vip' | 'hosts' | 'metrics' | 'splitBrain'> & {events: TimelineEvent[]}
const faultAt = run.metrics.faultAtUs
const revertAt = run.metrics.revertAtUs ?? 0
const macs: Record<string, string> = {}
for (const h of run.hosts) if (h.mac !== undefined) macs[h.mac] = h.name

describe('Pacemaker figures from a real unfenced corosync kill', () => {
  it('the VIP appears on another node after token + consensus + Pacemaker, and never leaves the killed node before the revert', () => {
    const v = vipRelocation(run.events, faultAt, run.target, revertAt)
    assert.equal(v.oldOwner, 'n2')
    assert.equal(v.newOwner, 'n1')
    assert.ok(v.addedElsewhereMs !== null && v.addedElsewhereMs > 2721 && v.addedElsewhereMs < 5800, String(v.addedElsewhereMs))
    assert.equal(v.removedFromOldMs, null)
    assert.equal(v.noOwnerMs, 0)
    assert.equal(vipMoved(run.events, faultAt, 'n2'), true)
    assert.equal(vipMoved(run.events.filter((e) => e.type !== 'vip.owner' || e.t < faultAt), faultAt, 'n2'), false)
  })

  it('pacemakerFigures: the same numbers the drill saved, plus crm_mon\'s view and the first GARP from the new MAC', () => {
    const f = pacemakerFigures(run.events, {faultAtUs: faultAt, revertAtUs: revertAt, oldOwner: 'n2', vip: run.vip, macs, firstMember: 'vip', targetNode: 'n2'})
    assert.deepEqual(f.extra, run.metrics.extra)
    assert.ok(f.extra.nodeLostMs !== null && f.extra.resourceRelocationMs !== null && f.extra.nodeLostMs <= f.extra.resourceRelocationMs)
    assert.ok(f.garpMs !== null && f.extra.relocationMs !== null && Math.abs(f.garpMs - f.extra.relocationMs) < 200, `${f.garpMs} vs ${f.extra.relocationMs}`)
  })

  it('the analysis finds the split brain: the VIP on both nodes and two MACs answering ARP, each for about the hold', () => {
    const a = analyzeTimeline(run.events, {vip: run.vip, vrid: null, faultAtUs: faultAt, revertAtUs: revertAt, hosts: run.hosts})
    const dual = a.splitBrain.find((s) => s.kind === 'dual-vip')
    const arp = a.splitBrain.find((s) => s.kind === 'dual-arp')
    assert.ok(dual !== undefined && arp !== undefined, JSON.stringify(a.splitBrain))
    assert.deepEqual([...dual.parties].sort(), ['n1', 'n2'])
    assert.deepEqual([...arp.parties].sort(), ['n1', 'n2'])
    const relocation = run.metrics.extra['relocationMs'] ?? 0
    const held = (revertAt - faultAt) / 1000 - relocation
    assert.ok(dual.durationMs >= held, `dual VIP ${dual.durationMs} ms ≥ ${held} ms (from the relocation to the revert)`)
  })

  it('settled: only once every node is online again and the group runs once, where the VIP is', () => {
    const nodes = ['n1', 'n2', 'n3']
    const members = ['vip', 'web']
    assert.equal(clusterSettled(run.events, {nodes, members}), true)
    const beforeRevert = run.events.filter((e) => e.t < revertAt)
    assert.equal(clusterSettled(beforeRevert, {nodes, members}), false)
    const beforeFault = run.events.filter((e) => e.t < faultAt)
    assert.equal(clusterSettled(beforeFault, {nodes, members}), true)
  })
})
