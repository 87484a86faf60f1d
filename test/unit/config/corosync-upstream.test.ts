/**
 * corosync.conf nobody here wrote (test/fixtures/corosync-upstream/, sources in its README): corosync's own
 * examples and two documentation samples. The values read (timers and their defaults, nodes, quorum, ports)
 * and every corosync finding, with its line.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {corosyncPorts, corosyncSummary, parseCorosyncConf} from '../../../src/config/corosync.js'
import {isHachaosError} from '../../../src/errors.js'
import {addSource} from '../../../src/doctor/collect.js'
import {runDoctor} from '../../../src/doctor/index.js'
import {emptyHost} from '../../../src/doctor/types.js'
import {doctorRules} from '../../../src/stacks/registry.js'
import {readFixture} from '../../fixture.js'

const up = (name: string): string => readFixture('corosync-upstream', name)
const summary = (name: string): ReturnType<typeof corosyncSummary> => corosyncSummary(parseCorosyncConf(up(name), {file: name}))

function findings(name: string): string[] {
  const h = emptyHost('n1')
  addSource(h, 'corosync', name, up(name))
  return runDoctor({hosts: [h]}, {rules: doctorRules()})
    .findings.map((f) => `${f.rule}: ${f.message} @${f.evidence.map((e) => `${e.file ?? ''}:${e.line ?? ''}`).join(',')}`)
    .sort()
}

describe('corosync.conf from corosync and its documentation', () => {
  it('corosync.conf.example: ring 0 on 192.168.1.0, multicast 239.255.1.1:5405, no nodelist, no quorum provider; corosync 3 defaults 3000/3600 ms', () => {
    const c = summary('corosync.conf.example')
    assert.deepEqual(c.links.map((l) => [l.linknumber, l.bindnetaddr, l.mcastport, l.line]), [[0, '192.168.1.0', 5405, 15]])
    assert.deepEqual([c.nodes.length, c.quorum.provider, c.crypto.cipher, c.crypto.hash], [0, null, 'none', 'none'])
    assert.deepEqual([c.effective.tokenMs, c.effective.consensusMs, c.effective.consensusFormula], [3000, 3600, '1.2 × 3000 = 3600 ms'])
    assert.deepEqual(findings('corosync.conf.example'), ['corosync-crypto-off: cluster (unnamed): crypto_cipher none, crypto_hash none @corosync.conf.example:9'])
  })

  it('corosync.conf.example.udpu: 5 nodes (nodeid on two) → token 3000 + (5 − 2) × 650 = 4950 ms, consensus 5940 ms; udpu uses ports 5405 and 5404', () => {
    const c = summary('corosync.conf.example.udpu')
    assert.equal(c.transport, 'udpu')
    assert.deepEqual(
      c.nodes.map((n) => [n.nodeid, n.rings[0], n.line]),
      [
        [1, '10.16.35.101', 31],
        [2, '10.16.35.102', 36],
        [null, '10.16.35.103', 41],
        [null, '10.16.35.104', 45],
        [null, '10.16.35.105', 49],
      ],
    )
    assert.deepEqual([c.effective.tokenMs, c.effective.tokenFormula, c.effective.consensusMs], [4950, '3000 + (5 − 2) × 650 = 4950 ms', 5940])
    // was [5405]; corosync.conf(5): mcastport for receives, mcastport − 1 for sends
    assert.deepEqual(corosyncPorts(c), [5404, 5405])
    assert.deepEqual(findings('corosync.conf.example.udpu'), [
      'corosync-crypto-off: cluster (unnamed): crypto_cipher none, crypto_hash none @corosync.conf.example.udpu:5',
      'corosync-single-link: cluster (unnamed): one link (ring0 only) for 5 nodes @corosync.conf.example.udpu:31',
    ])
  })

  it('the older udpu example (16 member blocks inside interface, no nodelist): read without error, no node counted, secauth off reported', () => {
    const c = summary('corosync.conf.example.udpu.memberaddr')
    assert.deepEqual([c.nodes.length, c.links.length, c.links[0]?.bindnetaddr, c.effective.tokenMs], [0, 1, '10.16.35.0', 3000])
    assert.deepEqual(corosyncPorts(c), [5404, 5405])
    assert.deepEqual(findings('corosync.conf.example.udpu.memberaddr'), ['corosync-crypto-off: cluster (unnamed): crypto_cipher none, crypto_hash none, secauth off @corosync.conf.example.udpu.memberaddr:6'])
  })

  it('Clusters from Scratch (pcs, knet, aes256/sha256, two_node: 1): no quorum or crypto finding, only the single link', () => {
    const c = summary('pacemaker-clusters-from-scratch.corosync.conf')
    assert.deepEqual([c.clusterName, c.transport, c.crypto.cipher, c.crypto.hash, c.quorum.provider, c.quorum.twoNode], ['mycluster', 'knet', 'aes256', 'sha256', 'corosync_votequorum', true])
    assert.deepEqual(c.nodes.map((n) => [n.name, n.nodeid, n.rings]), [['pcmk-1', 1, ['pcmk-1']], ['pcmk-2', 2, ['pcmk-2']]])
    assert.deepEqual(corosyncPorts(c), [5405])
    assert.deepEqual(findings('pacemaker-clusters-from-scratch.corosync.conf'), ['corosync-single-link: cluster mycluster: one link (ring0 only) for 2 nodes @pacemaker-clusters-from-scratch.corosync.conf:11'])
  })

  it('fuel-docs totem (indented literal block): token 3000, join 60, consensus 3600 as written, retransmits 10', () => {
    const c = summary('fuel-docs-corosync-settings.totem.conf')
    assert.deepEqual(c.totem, {token: 3000, tokenCoefficient: null, consensus: 3600, join: 60, tokenRetransmitsBeforeLoss: 10})
    assert.deepEqual([c.effective.tokenMs, c.effective.consensusMs, c.effective.consensusFormula], [3000, 3600, '3600 ms'])
    assert.deepEqual(findings('fuel-docs-corosync-settings.totem.conf'), ['corosync-crypto-off: cluster (unnamed): crypto_cipher none, crypto_hash none, secauth off @fuel-docs-corosync-settings.totem.conf:11'])
  })

  it('corosync-qdevice(8) EXAMPLE: its quorum { } lacks a closing brace, refused at the unclosed section; closed, it reads model net on qnetd.example.org', () => {
    const name = 'corosync-qdevice-8-example.quorum.conf'
    assert.throws(() => parseCorosyncConf(up(name), {file: name}), (e: unknown) => isHachaosError(e) && e.where === `${name}:1` && /section "quorum" is never closed/.test(e.message))
    const q = parseCorosyncConf(`${up(name)}}\n`, {file: name}).quorum
    assert.deepEqual([q.provider?.value, q.device?.model, q.device?.host, q.device?.line], ['corosync_votequorum', 'net', 'qnetd.example.org', 3])
  })
})
