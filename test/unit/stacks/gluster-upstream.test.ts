/**
 * `gluster volume info` nobody here wrote (test/fixtures/gluster-upstream/, sources in its README): the
 * layout read (subvolumes, replica, arbiter, stripe, bricks, options) and every Gluster finding, with its line.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseGlusterVolumeInfo} from '../../../src/config/gluster.js'
import {addSource, detectKind, notAConfig} from '../../../src/doctor/collect.js'
import {runDoctor} from '../../../src/doctor/index.js'
import {emptyHost} from '../../../src/doctor/types.js'
import {parseVolumeInfoXml} from '../../../src/stacks/gluster/cli.js'
import {replicaSets} from '../../../src/stacks/gluster/rules.js'
import {doctorRules} from '../../../src/stacks/registry.js'
import {readFixture} from '../../fixture.js'

const up = (name: string): string => readFixture('gluster-upstream', name)
const vols = (name: string, text = up(name)): ReturnType<typeof parseGlusterVolumeInfo>['volumes'] => parseGlusterVolumeInfo(text, {file: name}).volumes

function findings(name: string, text = up(name)): string[] {
  const h = emptyHost('g1')
  addSource(h, 'gluster', name, text)
  return runDoctor({hosts: [h]}, {rules: doctorRules()})
    .findings.map((f) => `${f.rule}: ${f.message} @${f.evidence.map((e) => `${e.file ?? ''}:${e.line ?? ''} ${e.state ?? ''}`.trim()).join(',')}`)
    .sort()
}

describe('gluster volume info from the Gluster docs and the field', () => {
  it('glusterdocs arbiter page: 2 x (2 + 1) = 6 → 2 subvolumes of replica 3 with arbiter 1, bricks 3 and 6 the arbiters', () => {
    const [v] = vols('glusterdocs-arbiter-2x2+1.txt')
    assert.deepEqual([v?.name, v?.type, v?.status, v?.subvolumes, v?.replica, v?.arbiterCount, v?.brickCount, v?.numberOfBricksLine], ['testvol', 'Distributed-Replicate', 'Created', 2, 3, 1, 6, 5])
    assert.deepEqual(v?.bricks.map((b) => `${b.host}${b.arbiter ? ' (arbiter)' : ''}`), ['server1', 'server2', 'server3 (arbiter)', 'server4', 'server5', 'server6 (arbiter)'])
    assert.deepEqual(v === undefined ? [] : replicaSets(v).map((s) => s.map((b) => b.host)), [['server1', 'server2', 'server3'], ['server4', 'server5', 'server6']])
    // the doc's "Options Reconfigured  :" still opens the options
    assert.deepEqual(Object.keys(v?.options ?? {}), ['transport.address-family', 'performance.readdir-ahead'])
    assert.deepEqual(findings('glusterdocs-arbiter-2x2+1.txt'), [
      'gluster-ping-timeout-default: volume testvol: network.ping-timeout 42 s: a vanished server stalls client writes 42–84 s @glusterdocs-arbiter-2x2+1.txt:1 network.ping-timeout not set (default 42)',
      'gluster-server-quorum-off: volume testvol: cluster.server-quorum-type off @glusterdocs-arbiter-2x2+1.txt:1 cluster.server-quorum-type: unset',
    ])
  })

  it('insights-core: two replica 3 volumes in one output, quorum auto and server quorum on → only the ping-timeout finding, once per volume at its line', () => {
    const v = vols('insights-core-multiple-volumes.txt')
    assert.deepEqual(
      v.map((x) => [x.name, x.line, x.replica, x.brickCount, x.options['cluster.quorum-type'], x.options['cluster.server-quorum-type'], Object.keys(x.options).length]),
      [
        ['test_vol', 1, 3, 3, 'auto', 'server', 18],
        ['test_vol_2', 32, 3, 3, 'auto', 'server', 18],
      ],
    )
    assert.deepEqual(findings('insights-core-multiple-volumes.txt'), [
      'gluster-ping-timeout-default: volume test_vol: network.ping-timeout 42 s: a vanished server stalls client writes 42–84 s @insights-core-multiple-volumes.txt:1 network.ping-timeout not set (default 42)',
      'gluster-ping-timeout-default: volume test_vol_2: network.ping-timeout 42 s: a vanished server stalls client writes 42–84 s @insights-core-multiple-volumes.txt:32 network.ping-timeout not set (default 42)',
    ])
  })

  it('Gluster 3.x "Number of Bricks: 1 x 2 x 2 = 4" (striped-replicate) is read (was: cannot read, source unreadable): stripe 2 of replica 2 pairs', () => {
    const [v] = vols('clustersystem-striped-replicate-1x2x2.txt')
    assert.deepEqual([v?.type, v?.subvolumes, v?.stripe, v?.replica, v?.arbiterCount, v?.brickCount], ['Striped-Replicate', 1, 2, 2, 0, 4])
    assert.deepEqual(v === undefined ? [] : replicaSets(v).map((s) => s.map((b) => b.host)), [['node01', 'node02'], ['node03', 'node04']])
    assert.deepEqual(findings('clustersystem-striped-replicate-1x2x2.txt'), [
      'gluster-client-quorum-off: volume vol_replica-strip (replica 2): cluster.quorum-type none (the default for replica 2) @clustersystem-striped-replicate-1x2x2.txt:1 cluster.quorum-type: unset',
      'gluster-ping-timeout-default: volume vol_replica-strip: network.ping-timeout 42 s: a vanished server stalls client writes 42–84 s @clustersystem-striped-replicate-1x2x2.txt:1 network.ping-timeout not set (default 42)',
      'gluster-replica2-no-arbiter: g1: volume vol_replica-strip is replica 2 without an arbiter @clustersystem-striped-replicate-1x2x2.txt:6 Number of Bricks: 1 x 2 x 2 = 4',
    ])
  })

  it('indented as a whole (a page\'s code block) it is still gluster volume info, read the same', () => {
    const text = up('insights-core-multiple-volumes.txt').replace(/^(?=.)/gm, '    ')
    assert.equal(notAConfig('gluster', 'g', text), null)
    assert.equal(detectKind('g', text), 'gluster')
    assert.deepEqual(vols('g', text).map((v) => [v.name, v.replica, v.bricks.length]), [['test_vol', 3, 3], ['test_vol_2', 3, 3]])
  })

  it('a thin-arbiter replica 2 volume is not "replica 2 without an arbiter"', () => {
    // No captured output of one exists upstream: this is the volume of glusterdocs' Thin-Arbiter-Volumes.md
    // example (replica 2 server{1..2}:/bricks/brick-{1..2} --thin-arbiter server-3:/bricks/brick_ta) in the
    // CLI's layout; cli-rpc-ops.c prints "Thin-arbiter-path: %s" after the bricks.
    const text = [
      'Volume Name: testvol',
      'Type: Replicate',
      'Status: Created',
      'Number of Bricks: 1 x 2 = 2',
      'Transport-type: tcp',
      'Bricks:',
      'Brick1: server1:/bricks/brick-1',
      'Brick2: server2:/bricks/brick-2',
      'Thin-arbiter-path: server-3:/bricks/brick_ta',
      '',
    ].join('\n')
    const [v] = vols('ta', text)
    assert.deepEqual(v?.thinArbiter, {host: 'server-3', path: '/bricks/brick_ta', file: 'ta', line: 9})
    assert.ok(!findings('ta', text).some((f) => f.startsWith('gluster-replica2-no-arbiter')))
    assert.ok(findings('ta', text.replace('Thin-arbiter-path: server-3:/bricks/brick_ta\n', '')).some((f) => f.startsWith('gluster-replica2-no-arbiter')))
  })

  it('vdsm\'s `volume info --xml` (brick text with child elements, an empty <options/>): the stack\'s XML reader gets both volumes', () => {
    assert.deepEqual(
      parseVolumeInfoXml(up('vdsm-volume-info.xml'), 'vdsm-volume-info.xml').map((v) => [v.name, v.type, v.status, v.brickCount, v.replicaCount, v.arbiterCount, v.bricks.map((b) => `${b.host}:${b.path}${b.arbiter ? ' A' : ''}`), v.options]),
      [
        ['music', 'Replicate', 'Started', 2, 2, 1, ['192.168.122.2:/tmp/m_b1 A', '192.168.122.2:/tmp/m_b2 A'], {'auth.allow': '*'}],
        ['test1', 'Distribute', 'Stopped', 1, 1, 0, ['192.168.122.2:/tmp/t_b1'], {}],
      ],
    )
  })
})
