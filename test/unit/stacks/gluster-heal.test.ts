/**
 * The Gluster heal figures: the brick index reader on the lab's real `find` listing (test/fixtures/gluster/lab/
 * heal), the drain model, --param heal=trigger|wait, and the backlog's peak and time to 0 from a drill's events.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {RecordingExecutor} from '../../../src/exec/recording.js'
import {isHachaosError} from '../../../src/errors.js'
import type {InventoryHost} from '../../../src/inventory/inventory.js'
import {countXattropIndex, parseHealInfoXml, xattropIndexArgv} from '../../../src/stacks/gluster/cli.js'
import {HEAL_INDEX_RESOURCE, HEAL_RESOURCE, HEAL_TRIGGER_RESOURCE, glusterFigures, healDrainModel} from '../../../src/stacks/gluster/metrics.js'
import {BrickIndexWatcher} from '../../../src/stacks/gluster/observe.js'
import {GLUSTER_PARAMS, HEAL_CRAWL_MS, glusterStack, healModeOf} from '../../../src/stacks/gluster/stack.js'
import type {TimelineEvent} from '../../../src/store/run-types.js'
import {readFixture} from '../../fixture.js'
import {runCli} from '../../helpers/cli.js'

const us = (s: number): number => 1_700_000_000_000_000 + Math.round(s * 1e6)
const ev = (s: number, resource: string, role: string): TimelineEvent => ({type: 'cluster', t: us(s), host: 'g1', resource, node: null, role})
const host = (facts: Record<string, unknown> = {}): InventoryHost => ({name: 'g3', address: '10.74.0.23', roles: ['gluster-node'], facts}) as unknown as InventoryHost

describe('gluster heal backlog', () => {
  it('brick index: the entries in .glusterfs/indices/xattrop, not its base file (lab capture during a link loss)', () => {
    const text = readFixture('gluster', 'lab', 'heal', 'link-down-xattrop-g1.txt')
    const lines = text.trim().split('\n')
    const base = lines.filter((l) => /\/xattrop-[0-9a-f-]+$/.test(l))
    assert.equal(base.length, 1, 'one base file')
    assert.equal(countXattropIndex(text), lines.length - 1)
    assert.ok(countXattropIndex(text) > 10)
    assert.equal(countXattropIndex(''), 0)
    assert.deepEqual(xattropIndexArgv('/srv/brick/gv/'), ['find', '/srv/brick/gv/.glusterfs/indices/xattrop', '-mindepth', '1', '-maxdepth', '1'])
  })

  it('drain model: trigger ≤ one crawl; wait ≤ heal-timeout + one crawl', () => {
    assert.equal(healDrainModel('trigger', 15, HEAL_CRAWL_MS).maxMs, 15_000)
    assert.equal(healDrainModel('wait', 15, HEAL_CRAWL_MS).maxMs, 30_000)
    assert.equal(healDrainModel('wait', 600, HEAL_CRAWL_MS).maxMs, 615_000)
    assert.match(healDrainModel('wait', 600, HEAL_CRAWL_MS).formula, /heal-timeout 600 s/)
  })

  it('--param heal: trigger | wait, the fact gluster_heal: false means wait, anything else is a usage error', () => {
    assert.equal(healModeOf(undefined, host()), 'trigger')
    assert.equal(healModeOf(undefined, host({gluster_heal: false})), 'wait')
    assert.equal(healModeOf('wait', host()), 'wait')
    assert.equal(healModeOf('trigger', host({gluster_heal: false})), 'trigger')
    assert.throws(() => healModeOf('now', host()), (e) => isHachaosError(e) && e.code === 'E_USAGE' && /heal=now/.test(e.message))
    assert.deepEqual(Object.keys(glusterStack.params ?? {}), ['heal'])
    assert.equal(glusterStack.params, GLUSTER_PARAMS)
  })

  it('figures: the brick index peak during the fault and its time to 0 after the revert; heal info unreadable meanwhile', () => {
    // fault at 10 s, revert at 30 s; heal info answers only before and after (0 both times: healed on reconnect)
    const events: TimelineEvent[] = [
      ev(5, HEAL_RESOURCE, '0'),
      ev(5, HEAL_INDEX_RESOURCE, '0'),
      ev(16, HEAL_INDEX_RESOURCE, '3'),
      ev(20, HEAL_INDEX_RESOURCE, '27'),
      ev(25, HEAL_INDEX_RESOURCE, '41'),
      ev(31.2, HEAL_INDEX_RESOURCE, '41'),
      ev(31.4, HEAL_TRIGGER_RESOURCE, 'triggered'),
      ev(33.7, HEAL_INDEX_RESOURCE, '0'),
      ev(34, HEAL_RESOURCE, '0'),
    ]
    const f = glusterFigures(events, {faultAtUs: us(10), revertAtUs: us(30)})
    assert.deepEqual([f.healIndexPeak, f.healIndexDrainedMs, f.healTriggeredMs], [41, 3700, 1400])
    assert.deepEqual([f.healPeak, f.healDrainedMs], [0, null], 'heal info saw no backlog: no drain time from it')
    // never above 0 after the fault: no drain time; never read: null
    assert.equal(glusterFigures(events.slice(0, 2), {faultAtUs: us(10), revertAtUs: us(30)}).healIndexDrainedMs, null)
    assert.equal(glusterFigures([], {faultAtUs: us(10), revertAtUs: us(30)}).healIndexPeak, null)
    // not drained by the end of the run
    assert.equal(glusterFigures(events.slice(0, 6), {faultAtUs: us(10), revertAtUs: us(30)}).healIndexDrainedMs, null)
  })

  it('BrickIndexWatcher: one @heal-index event per change of the count, O(1) state', async () => {
    const listing = readFixture('gluster', 'lab', 'heal', 'link-down-xattrop-g1.txt')
    const ex = new RecordingExecutor('g1').on(xattropIndexArgv('/srv/brick/gv'), {stdout: listing})
    const events: TimelineEvent[] = []
    const w = new BrickIndexWatcher({exec: ex, bricks: ['/srv/brick/gv'], emit: (e) => events.push(e)}, 1000)
    for (let i = 0; i < 5; i++) {
      w.start()
      await w.stop()
    }
    assert.deepEqual(w.errors, [])
    assert.equal(ex.calls.length, 5)
    assert.deepEqual(events.map((e) => (e.type === 'cluster' ? [e.host, e.resource, e.role] : [])), [['g1', HEAL_INDEX_RESOURCE, String(countXattropIndex(listing))]])
    assert.equal(w.size(), 1)
    // a failed listing says nothing
    const bad = new BrickIndexWatcher({exec: new RecordingExecutor('g1').on(xattropIndexArgv('/srv/brick/gv'), {code: 1, stderr: 'No such file or directory'}), bricks: ['/srv/brick/gv'], emit: (e) => events.push(e)}, 1000)
    bad.start()
    await bad.stop()
    assert.equal(events.length, 1)
  })

  it('after a partition with quorum (replica 3; replica 2 + arbiter): heal info split-brain lists nothing (lab captures)', () => {
    for (const f of ['partition-heal-info-split-brain.xml', 'arbiter-partition-heal-info-split-brain.xml']) {
      const info = parseHealInfoXml(readFixture('gluster', 'lab', 'heal', f), f)
      assert.equal(info.bricks.length, 3, f)
      assert.deepEqual(info.bricks.flatMap((b) => b.files), [], f)
    }
  })

  it('failover --param heal=now on a Gluster target: a usage error before any host is read (exit 2)', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'hachaos-glh-unit-'))
    try {
      const inv = join(tmp, 'inv.yaml')
      writeFileSync(inv, ['hosts:', '  g1: {address: 10.74.0.21, via: netns, netns: hcx-g1, roles: [gluster-node]}', '  g3: {address: 10.74.0.23, via: netns, netns: hcx-g3, roles: [gluster-node]}', '  gc: {address: 10.74.0.200, via: netns, netns: hcx-gc, roles: [gluster-client]}', ''].join('\n'))
      const r = await runCli(['failover', '-i', inv, '--target', 'g3', '--fault', 'nic-down', '--param', 'heal=now', '--json'], {env: {HACHAOS_HOME: join(tmp, 'home')}})
      assert.equal(r.code, 2, r.stdout + r.stderr)
      assert.match(r.stdout, /--param heal=now: expected trigger or wait/)
    } finally {
      rmSync(tmp, {recursive: true, force: true})
    }
  })
})
