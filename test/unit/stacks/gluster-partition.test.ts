/**
 * The Gluster partition fault (chaos/gluster-partition.ts, `--fault partition` on a gluster-node), the bricks a
 * client loses across it, and replica-2 split brain as the drill reports it: the watcher on the lab's real
 * `heal info summary` / `info split-brain` outputs (test/fixtures/gluster/lab/split-brain), the figures, the
 * finding and its verdict.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {GLUSTER_TCP_PORTS, glusterPartitionScript} from '../../../chaos/gluster-partition.js'
import {faultDefinition} from '../../../chaos/registry.js'
import {HachaosError} from '../../../src/errors.js'
import {RecordingExecutor} from '../../../src/exec/recording.js'
import type {FaultEnv} from '../../../src/fault/types.js'
import {parseInventory} from '../../../src/inventory/inventory.js'
import {GlusterLive} from '../../../src/stacks/gluster/live.js'
import {HEAL_RESOURCE, SPLIT_BRAIN_RESOURCE, SPLIT_FILE_PREFIX, glusterFigures} from '../../../src/stacks/gluster/metrics.js'
import {GlusterWatcher, splitBrainOf} from '../../../src/stacks/gluster/observe.js'
import {predictGluster} from '../../../src/stacks/gluster/predict.js'
import {partitionLoss} from '../../../src/stacks/gluster/stack.js'
import type {TimelineEvent} from '../../../src/store/run-types.js'
import {emptyMetrics} from '../../../src/store/run-metrics.js'
import {judge} from '../../../src/store/verdict.js'
import {parseHealInfoXml} from '../../../src/stacks/gluster/cli.js'
import {readFixture} from '../../fixture.js'

const lab = (...p: string[]): string => readFixture('gluster', 'lab', ...p)

// the lab's inventory, as `lab up --topology gluster` writes it (roles and addresses)
const inv = parseInventory(`
hosts:
  g1: {address: 10.74.0.21, via: netns, netns: hc-g1, roles: [gluster-node, storage], services: lab}
  g2: {address: 10.74.0.22, via: netns, netns: hc-g2, roles: [gluster-node, storage], services: lab}
  g3: {address: 10.74.0.23, via: netns, netns: hc-g3, roles: [gluster-node, storage], services: lab}
  gc: {address: 10.74.0.200, via: netns, netns: hc-gc, roles: [gluster-client, client]}
  gc2: {address: 10.74.0.201, via: netns, netns: hc-gc2, roles: [gluster-client, client]}
`)

function envFor(name: string): FaultEnv {
  const target = inv.hosts.find((h) => h.name === name)
  assert.ok(target)
  const ex = new RecordingExecutor(name)
  const {name: n, ...entry} = target
  return {inventory: inv, target, exec: ex, ref: {name: n, entry}, executorFor: () => ex, refFor: (h) => ({name: h.name, entry: h}), force: false}
}

describe('partition on a Gluster server', () => {
  it('g2 alone: nftables in every server and client drops Gluster TCP to/from the other side; the heal deletes the table', async () => {
    const p = await faultDefinition('partition').plan({}, envFor('g2'))
    assert.equal(p.effect, 'cluster-partition')
    assert.deepEqual(p.params, {sides: [['g2'], ['g1', 'g3', 'gc', 'gc2']], ports: ['24007-24008', '49152-60999']})
    assert.deepEqual(p.inject.map((a) => (a.type === 'exec' ? a.host.name : '')), ['g2', 'g1', 'g3', 'gc', 'gc2'])
    const [g2, g1] = p.inject
    assert.ok(g2?.type === 'exec' && g1?.type === 'exec')
    assert.deepEqual(g2.argv, ['nft', '-f', '-'])
    // both ends of a connection: the requests (dport) and the replies on open connections (sport)
    assert.match(g2.input ?? '', /ip saddr \{ 10\.74\.0\.21, 10\.74\.0\.23, 10\.74\.0\.200, 10\.74\.0\.201 \} tcp dport \{ 24007-24008, 49152-60999 \} drop/)
    assert.match(g2.input ?? '', /ip daddr \{ 10\.74\.0\.21, 10\.74\.0\.23, 10\.74\.0\.200, 10\.74\.0\.201 \} tcp sport \{ 24007-24008, 49152-60999 \} drop/)
    assert.match(g1.input ?? '', /ip saddr \{ 10\.74\.0\.22 \} tcp dport/)
    assert.ok(p.revert.length === 5 && p.revert.every((r) => r.type === 'exec' && /delete table inet hachaos_partition/.test(r.input ?? '')))
    assert.deepEqual(p.warnings, [])
  })

  it('g1 with gc: clients on both sides are warned about (split brain without client quorum); one port replaces the defaults', async () => {
    const p = await faultDefinition('partition').plan({with: 'gc'}, envFor('g1'))
    assert.deepEqual(p.params['sides'], [['g1', 'gc'], ['g2', 'g3', 'gc2']])
    assert.match(p.warnings.join(' '), /gc \| gc2.*split brain/)
    const one = await faultDefinition('partition').plan({port: '49152'}, envFor('g3'))
    assert.deepEqual(one.params['ports'], ['49152'])
    await assert.rejects(faultDefinition('partition').plan({with: 'nope'}, envFor('g1')), (e: unknown) => e instanceof HachaosError && /g1, g2, g3, gc, gc2/.test(e.suggestions.join(' ')))
    await assert.rejects(faultDefinition('partition').plan({with: 'g1,g2,g3,gc,gc2'}, envFor('g1')), (e: unknown) => e instanceof HachaosError && /empty/.test(e.message))
  })

  it('the script recreates its own table (idempotent) and has IPv6 rules only for IPv6 peers', () => {
    const s = glusterPartitionScript(['10.0.0.1', 'fd00::1'], GLUSTER_TCP_PORTS)
    assert.match(s, /^add table inet hachaos_partition\ndelete table inet hachaos_partition\n/)
    assert.equal(s.match(/ ip6 saddr \{ fd00::1 \}/g)?.length, 2)
    assert.equal(s.match(/ drop$/gm)?.length, 8)
  })

  it('the bricks a client loses: those of the servers on the other side', () => {
    const servers = inv.hosts.filter((h) => h.roles.includes('gluster-node'))
    const bricksOf = (h: {address: string}): string[] => (h.address === '10.74.0.23' ? [] : [`${h.address}:/srv/brick/gv`])
    assert.deepEqual(partitionLoss([['g1', 'gc'], ['g2', 'g3', 'gc2']], 'gc', servers, bricksOf), ['10.74.0.22:/srv/brick/gv'])
    assert.deepEqual(partitionLoss([['g1', 'gc'], ['g2', 'g3', 'gc2']], 'gc2', servers, bricksOf), ['10.74.0.21:/srv/brick/gv'])
    assert.equal(partitionLoss(undefined, 'gc', servers, bricksOf), null)
  })

  it('prediction: gc2 cut from the first brick of a replica 2 with quorum auto loses client quorum (refused after the stall)', () => {
    const p = predictGluster({effect: 'cluster-partition', pingTimeoutS: 5, replica: 2, bricksLost: 1, firstBrickLost: true, quorumType: 'auto', quorumCount: null, probeIntervalMs: 100})
    assert.deepEqual([p.minMs, p.maxMs, p.inputs['quorumMetAfterFault']], [5000, 10_100, false])
    assert.match(p.formula, /ENOTCONN/)
    const none = predictGluster({effect: 'cluster-partition', pingTimeoutS: 5, replica: 2, bricksLost: 1, firstBrickLost: true, quorumType: 'none', quorumCount: null, probeIntervalMs: 100})
    assert.equal(none.inputs['quorumMetAfterFault'], true)
  })
})

describe('replica 2 split brain, as the drill reports it (lab captures)', () => {
  it('heal info summary: split-brain entries are counted apart from the backlog that can heal', () => {
    const h = parseHealInfoXml(lab('split-brain', 'heal-info-summary.xml'), 'heal-info-summary.xml')
    assert.deepEqual(splitBrainOf(h.bricks), {sum: 2, max: 1})
    assert.equal(h.total, 2)
    assert.deepEqual(splitBrainOf(parseHealInfoXml(lab('healthy', 'volume-heal-gv-info-summary.xml'), 'x').bricks), {sum: 0, max: 0})
  })

  it('the watcher after the revert: backlog 0, one split-brain entry, /sb.txt named once with both bricks', async () => {
    const ex = new RecordingExecutor('g2')
      .on(['gluster', '--mode=script', 'volume', 'status'], {stdout: lab('healthy', 'volume-status.xml')})
      .on(['gluster', '--mode=script', 'volume', 'heal', 'gv', 'info', 'summary'], {stdout: lab('split-brain', 'heal-info-summary.xml')})
      .on(['gluster', '--mode=script', 'volume', 'heal', 'gv', 'info', 'split-brain'], {stdout: lab('split-brain', 'heal-info-split-brain.xml')})
    const events: TimelineEvent[] = []
    const w = new GlusterWatcher({exec: ex, volume: 'gv', triggerHeal: false, shared: {revertedAt: 1}, emit: (e) => events.push(e)}, 1000)
    for (let i = 0; i < 3; i++) {
      w.start()
      await w.stop()
    }
    assert.deepEqual(w.errors, [])
    const said = events.filter((e) => e.type === 'cluster' && !e.resource.startsWith('@brick:')).map((e) => (e.type === 'cluster' ? [e.resource, e.role] : []))
    assert.deepEqual(said, [
      [HEAL_RESOURCE, '0'],
      [SPLIT_BRAIN_RESOURCE, '1'],
      [`${SPLIT_FILE_PREFIX}/sb.txt`, '10.74.0.21:/srv/brick/gv,10.74.0.22:/srv/brick/gv'],
    ])
    // listed once per change of the count, not every round
    assert.equal(ex.calls.filter((c) => c.argv.includes('split-brain')).length, 1)
    assert.equal(w.size(), 3 + 2 + 1, "3 bricks, the backlog, the split-brain count, one file")
  })

  it('figures, finding and verdict: split brain (split-files) fails the drill', () => {
    const us = (s: number): number => 1_000_000_000_000_000 + s * 1_000_000
    const c = (t: number, resource: string, role: string): TimelineEvent => ({type: 'cluster', t: us(t), host: 'g2', resource, node: null, role})
    const events: TimelineEvent[] = [c(0, HEAL_RESOURCE, '0'), c(0, SPLIT_BRAIN_RESOURCE, '0'), c(31, SPLIT_BRAIN_RESOURCE, '1'), c(31.2, `${SPLIT_FILE_PREFIX}/sb.txt`, '10.74.0.21:/srv/brick/gv,10.74.0.22:/srv/brick/gv'), c(35, HEAL_RESOURCE, '0')]
    const f = glusterFigures(events, {faultAtUs: us(1), revertAtUs: us(26)})
    assert.deepEqual([f.splitBrainEntries, f.splitBrainFiles, f.splitBrainAtUs], [1, ['/sb.txt'], us(31)])
    const live = new GlusterLive({effect: 'cluster-partition', shared: {revertedAt: null}, settleWaitMs: 1000, stableMs: 1000})
    assert.equal(live.mustObserve, true)
    const [sb, ...more] = live.splitBrain(events, us(1))
    assert.ok(sb !== undefined && more.length === 0)
    assert.equal(sb.kind, 'split-files')
    assert.deepEqual(sb.parties, ['10.74.0.21:/srv/brick/gv', '10.74.0.22:/srv/brick/gv'])
    assert.equal(sb.durationMs, 4000)
    assert.match(sb.evidence, /lists \/sb\.txt/)
    assert.deepEqual(live.splitBrain(events.slice(0, 2), us(1)), [])
    const j = judge({prediction: {metric: 'stallMs', takeoverMs: 7500, minMs: 5000, maxMs: 10_100, formula: '', inputs: {}}, metrics: {...emptyMetrics(us(1), us(26), null), extra: {stallMs: 9000}}, splitBrain: [sb], reverted: true, revertError: null, interrupted: false, effect: 'cluster-partition', mustObserve: true, toleranceMs: 100, maxOutageMs: null})
    assert.equal(j.verdict, 'fail')
    assert.ok(j.reasons.some((r) => r.code === 'split-brain' && /split-files/.test(r.text)))
  })
})
