/**
 * /proc/net/bonding files nobody here wrote (test/fixtures/bonding-upstream/, sources in its README): the
 * kernel's own documentation samples, a mailing-list capture and insights-core's test data. The values read
 * and every bonding finding, with its line.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseBondProc, parseBondProcFile} from '../../../src/bond/proc.js'
import {addSource, detectKind, notAConfig} from '../../../src/doctor/collect.js'
import {runDoctor} from '../../../src/doctor/index.js'
import {emptyHost} from '../../../src/doctor/types.js'
import {doctorRules} from '../../../src/stacks/registry.js'
import {readFixture} from '../../fixture.js'

const up = (name: string): string => readFixture('bonding-upstream', name)

function findings(name: string, text = up(name)): string[] {
  const h = emptyHost('h')
  addSource(h, 'bonding', name, text)
  return runDoctor({hosts: [h]}, {rules: doctorRules()})
    .findings.map((f) => `${f.rule}: ${f.message} @${f.evidence.map((e) => `${e.file ?? ''}:${e.line ?? ''}`).join(',')}`)
    .sort()
}

describe('/proc/net/bonding from the kernel documentation and the field', () => {
  it('bonding.rst 3.6, tab-indented as in the page: accepted (was "not a /proc/net/bonding file … line 1 reads \\"Bonding Mode: …\\"") and read as the file itself', () => {
    const name = 'bonding-rst-3.6-active-backup-queue-id.txt'
    const text = up(name)
    assert.equal(notAConfig('bonding', name, text), null)
    assert.equal(detectKind('bond0', text), 'bonding')
    const p = parseBondProcFile(text, {file: name, name: 'bond0'}).proc
    assert.deepEqual([p.mode, p.primary, p.activeSlave, p.miimonMs, p.updelayMs, p.downdelayMs, p.arp], ['active-backup', null, 'eth0', 0, 0, 0, null])
    assert.deepEqual(p.members.map((m) => [m.name, m.miiStatus, m.linkFailureCount, m.permHwAddr, m.queueId]), [
      ['eth0', 'up', 0, '00:1a:a0:12:8f:cb', 0],
      ['eth1', 'up', 0, '00:1a:a0:12:8f:cc', 2],
    ])
    assert.deepEqual(p, parseBondProc(text.replace(/^\t/gm, '')))
    // miimon 0 without arp_interval: the doc's sample does no link monitoring at all
    assert.deepEqual(findings(name), [`bond-no-link-monitor: h ${name}: miimon 0 and no ARP monitor @${name}:5`])
  })

  it('bonding.rst 4.1 (driver 2.6.1, round-robin, miimon 1000): read, no finding', () => {
    const name = 'bonding-rst-4.1-round-robin.txt'
    const p = parseBondProcFile(up(name), {file: name}).proc
    assert.deepEqual([p.driverVersion, p.mode, p.miimonMs, p.updelayMs, p.downdelayMs], ['2.6.1 (October 29, 2004)', 'balance-rr', 1000, 0, 0])
    assert.deepEqual(p.members.map((m) => [m.name, m.miiStatus, m.linkFailureCount]), [['eth1', 'up', 1], ['eth0', 'up', 1]])
    assert.deepEqual(findings(name), [])
  })

  it('linux-rdma (5.10, 802.3ad): no partner, aggregators 1 and 2, port states 69/77 and 1; lacp slow = 90 s', () => {
    const name = 'linux-rdma-2024-05-06-802.3ad-two-aggregators.txt'
    const p = parseBondProcFile(up(name), {file: name}).proc
    assert.deepEqual(p.ad?.activeAggregator, {id: 2, ports: 1, actorKey: 23, partnerKey: 1, partnerMac: '00:00:00:00:00:00'})
    assert.deepEqual([p.ad?.lacpRate, p.ad?.lacpActive, p.ad?.minLinks, p.ad?.adSelect, p.ad?.systemPriority], ['slow', null, 0, 'stable', 65535])
    assert.deepEqual(
      p.members.map((m) => [m.name, m.speedMbps, m.linkFailureCount, m.aggregatorId, m.actorChurnState, m.actorLacp?.portState?.value, m.actorLacp?.key, m.partnerLacp?.portState?.value, m.partnerLacp?.systemMac]),
      [
        ['enp145s0f0', 40000, 1, 1, 'churned', 69, 23, 1, '00:00:00:00:00:00'],
        ['enp145s0f1', 40000, 0, 2, 'none', 77, 23, 1, '00:00:00:00:00:00'],
      ],
    )
    assert.deepEqual(findings(name), [
      `bond-lacp-not-negotiated: h ${name}: no LACP partner (partner MAC 00:00:00:00:00:00); members in aggregators 1, 2 @${name}:22`,
      `bond-lacp-rate-slow: h ${name}: lacp_rate slow (90 s to detect a silent link failure) @${name}:12`,
      `bond-layer2-hash: h ${name}: 802.3ad with xmit_hash_policy layer2 @${name}:4`,
    ])
  })

  it('insights-core, driver v3.2.4 (2008): the older 802.3ad block is read (miimon 500), the stray "Speed" line kept aside', () => {
    const name = 'insights-core-802.3ad-v3.2.4.txt'
    const p = parseBondProcFile(up(name), {file: name}).proc
    assert.deepEqual([p.mode, p.miimonMs, p.ad?.lacpRate, p.ad?.minLinks, p.ad?.adSelect, p.ad?.activeAggregator?.id, p.ad?.activeAggregator?.partnerMac], ['802.3ad', 500, 'slow', null, null, 3, '00:00:00:00:00:00'])
    assert.deepEqual(p.members.map((m) => [m.name, m.aggregatorId, m.queueId]), [['eth1', 3, null], ['eth2', 2, null]])
    assert.deepEqual(p.unparsed, ['Speed'])
    assert.deepEqual(findings(name), [
      `bond-lacp-not-negotiated: h ${name}: no LACP partner (partner MAC 00:00:00:00:00:00); members in aggregators 3, 2 @${name}:17`,
      `bond-lacp-rate-slow: h ${name}: lacp_rate slow (90 s to detect a silent link failure) @${name}:11`,
      `bond-layer2-hash: h ${name}: 802.3ad with xmit_hash_policy layer2 @${name}:4`,
    ])
  })

  it('insights-core active-backup on the ARP monitor (1000 ms, one target, miimon 0): monitored, so no bond-no-link-monitor', () => {
    const name = 'insights-core-active-backup-arp.txt'
    const p = parseBondProcFile(up(name), {file: name}).proc
    assert.deepEqual([p.primary, p.primaryReselect, p.activeSlave, p.miimonMs], ['em3', 'failure', 'em3', 0])
    assert.deepEqual(p.arp, {intervalMs: 1000, missedMax: null, ipTargets: ['10.152.1.1'], ns6Targets: []})
    assert.deepEqual(p.members.map((m) => [m.name, m.linkFailureCount]), [['em3', 92028], ['p2p3', 71524]])
    assert.deepEqual(findings(name), [])
  })
})
