import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import fc from 'fast-check'

import {ZERO_MAC, lacpPortState, parseBondProc, parseBondProcFile, type BondFile} from '../../../src/bond/proc.js'
import {parseBondSysfsFile, parseSysfsDump} from '../../../src/bond/sysfs.js'
import {isHachaosError} from '../../../src/errors.js'
import {BOND_MODES} from '../../../src/lab/bond/topology.js'
import {readFixture} from '../../fixture.js'
import {cleanFailure} from '../config/helpers.js'
import {procText} from './fixtures.js'

describe('parseBondProc on real captures from the bond lab (kernel 6.1)', () => {
  for (const mode of BOND_MODES) {
    it(`${mode}: mode, members up, speed and duplex`, () => {
      const p = parseBondProc(procText(mode))
      assert.equal(p.mode, mode)
      assert.equal(p.driverVersion, 'v6.1.0-56-cloud-amd64')
      assert.equal(p.miimonMs, 100)
      assert.equal(p.updelayMs, 0)
      assert.equal(p.downdelayMs, 0)
      assert.deepEqual(p.members.map((m) => m.name), ['eth0', 'eth1'])
      for (const m of p.members) {
        assert.equal(m.miiStatus, 'up')
        assert.equal(m.speedMbps, 1000)
        assert.equal(m.duplex, 'full')
        assert.equal(m.linkFailureCount, 0)
      }
      assert.deepEqual(p.members.map((m) => m.permHwAddr), ['52:54:00:88:00:a0', '52:54:00:88:00:a1'])
      assert.deepEqual(p.unparsed, [])
      // hash policy only where the driver uses it; primary/active only where the mode has one
      assert.equal(p.xmitHashPolicy, mode === 'balance-xor' || mode === '802.3ad' ? 'layer2' : null)
      const hasActive = ['active-backup', 'balance-tlb', 'balance-alb'].includes(mode)
      assert.equal('Currently Active Slave' in p.fields, hasActive)
      if (hasActive) assert.equal(p.activeSlave, 'eth0')
      assert.equal(p.ad === null, mode !== '802.3ad')
    })
    it(`${mode} with eth0's cable pulled: eth0 down, one link failure`, () => {
      const p = parseBondProc(procText(`${mode}-one-down`))
      const [e0, e1] = p.members
      assert.equal(e0?.miiStatus, 'down')
      assert.equal(e0?.linkFailureCount, 1)
      assert.equal(e1?.miiStatus, 'up')
      assert.equal(p.miiStatus, 'up')
      if (['active-backup', 'balance-tlb', 'balance-alb'].includes(mode)) assert.equal(p.activeSlave, 'eth1')
    })
  }

  it('going down / going back (downdelay and updelay 3000 ms)', () => {
    const p = parseBondProc(procText('active-backup-going-down'))
    assert.equal(p.downdelayMs, 3000)
    assert.equal(p.updelayMs, 3000)
    assert.equal(p.members[0]?.miiStatus, 'going down')
    // eth1 was still inside its up delay from the boot: "going back"; no member up → the bond is down
    assert.equal(p.members[1]?.miiStatus, 'going back')
    assert.equal(p.miiStatus, 'down')
    assert.equal(p.activeSlave, 'eth0')
    const back = parseBondProc(procText('active-backup-going-back'))
    assert.equal(back.members[0]?.miiStatus, 'going back')
    assert.equal(back.members[0]?.linkFailureCount, 1)
    assert.equal(back.activeSlave, 'eth1')
    const down = parseBondProc(procText('active-backup-down-delayed'))
    assert.equal(down.members[0]?.miiStatus, 'down')
    assert.equal(down.activeSlave, 'eth1')
    const up = parseBondProc(procText('active-backup-back'))
    assert.deepEqual(up.members.map((m) => m.miiStatus), ['up', 'up'])
  })

  it('ARP monitor fields', () => {
    const p = parseBondProc(procText('arp-active-backup'))
    assert.equal(p.miimonMs, 0)
    assert.deepEqual(p.arp, {intervalMs: 100, missedMax: 2, ipTargets: ['10.88.0.11'], ns6Targets: []})
    const d = parseBondProc(procText('arp-active-backup-one-down'))
    assert.equal(d.members[0]?.miiStatus, 'down')
    assert.equal(d.activeSlave, 'eth1')
  })

  it('802.3ad without an LACP partner (through a Linux bridge): one port per aggregator, zero partner MAC', () => {
    const p = parseBondProc(procText('802.3ad'))
    assert.ok(p.ad !== null)
    assert.equal(p.ad.lacpActive, true)
    assert.equal(p.ad.lacpRate, 'slow')
    assert.equal(p.ad.minLinks, 0)
    assert.equal(p.ad.adSelect, 'stable')
    assert.equal(p.ad.systemPriority, 65535)
    assert.equal(p.ad.systemMac, '52:54:00:88:00:a0')
    assert.deepEqual(p.ad.activeAggregator, {id: 1, ports: 1, actorKey: 9, partnerKey: 1, partnerMac: '00:00:00:00:00:00'})
    assert.deepEqual(p.members.map((m) => m.aggregatorId), [1, 2])
    const e0 = p.members[0]
    assert.equal(e0?.actorChurnState, 'monitoring')
    assert.equal(e0?.partnerChurnedCount, 0)
    assert.equal(e0?.actorLacp?.key, 9)
    assert.equal(e0?.actorLacp?.portNumber, 1)
    assert.equal(e0?.actorLacp?.portState?.value, 77)
    assert.equal(e0?.actorLacp?.portState?.synchronization, true)
    assert.equal(e0?.actorLacp?.portState?.defaulted, true)
    assert.equal(e0?.actorLacp?.portState?.distributing, false)
    assert.equal(e0?.partnerLacp?.systemMac, '00:00:00:00:00:00')
    assert.equal(e0?.partnerLacp?.key, 1)
    assert.equal(e0?.partnerLacp?.portState?.value, 0)
    assert.equal(p.members[1]?.actorLacp?.portState?.synchronization, false)
    const fast = parseBondProc(procText('802.3ad-fast-not-negotiated'))
    assert.equal(fast.ad?.lacpRate, 'fast')
    assert.equal(fast.xmitHashPolicy, 'layer2+3')
    const down = parseBondProc(procText('802.3ad-one-down'))
    assert.equal(down.members[0]?.miiStatus, 'down')
  })

  it('802.3ad NEGOTIATED (two guests back to back): one aggregator of 2 ports, the partner known, distributing', () => {
    const p = parseBondProc(procText('802.3ad-negotiated'))
    assert.equal(p.ad?.lacpRate, 'fast')
    assert.deepEqual(p.ad?.activeAggregator, {id: 1, ports: 2, actorKey: 9, partnerKey: 9, partnerMac: '52:54:00:88:01:b0'})
    assert.equal(p.xmitHashPolicy, 'layer3+4')
    for (const m of p.members) {
      assert.equal(m.aggregatorId, 1)
      assert.equal(m.partnerLacp?.systemMac, '52:54:00:88:01:b0')
      assert.equal(m.actorLacp?.portState?.value, 63)
      assert.equal(m.actorLacp?.portState?.distributing, true)
      assert.equal(m.actorLacp?.portState?.shortTimeout, true, 'lacp_rate fast')
      assert.equal(m.partnerLacp?.portState?.collecting, true)
    }
    assert.deepEqual(p.members.map((m) => m.partnerLacp?.portNumber), [1, 2])
    const down = parseBondProc(procText('802.3ad-negotiated-one-down'))
    assert.equal(down.ad?.activeAggregator?.ports, 1)
    assert.equal(down.members[0]?.actorLacp?.portState?.value, 15)
    assert.equal(down.members[0]?.actorLacp?.portState?.distributing, false)
    assert.equal(down.members[0]?.actorLacp?.key, 0)
    const rejoin = parseBondProc(procText('802.3ad-negotiated-rejoining'))
    assert.equal(rejoin.members[0]?.miiStatus, 'up')
    assert.equal(rejoin.members[0]?.actorLacp?.portState?.synchronization, false, 'eth0 back but not in sync yet')
    const back = parseBondProc(procText('802.3ad-negotiated-back'))
    assert.equal(back.members[0]?.actorLacp?.portState?.value, 63)
    assert.equal(back.ad?.activeAggregator?.ports, 2)
  })

  it('"Speed: Unknown" and "Duplex: Unknown" become null', () => {
    const p = parseBondProc(procText('balance-alb-speed-unknown'))
    for (const m of p.members) {
      assert.equal(m.speedMbps, null)
      assert.equal(m.duplex, null)
      assert.equal(m.fields['Speed'], 'Unknown')
    }
  })

  it('balance-xor with layer3+4', () => {
    assert.equal(parseBondProc(procText('balance-xor-layer3+4')).xmitHashPolicy, 'layer3+4')
  })

  it('keeps unknown fields and odd lines, never fails', () => {
    const text = procText('802.3ad')
      .replace('MII Polling Interval (ms): 100', 'MII Polling Interval (ms): 100\nFuture Master Field: 42')
      .replace('Slave queue ID: 0\nAggregator ID: 1', 'Slave queue ID: 0\nNew Member Thing: yes\nAggregator ID: 1')
      .replace('    port state: 77', '    port state: 77\n    port flux: 3')
      .concat('\nsomething without a colon\n')
    const p = parseBondProc(text)
    assert.equal(p.fields['Future Master Field'], '42')
    assert.equal(p.members[0]?.fields['New Member Thing'], 'yes')
    assert.equal(p.members[0]?.actorLacp?.fields['port flux'], '3')
    assert.equal(p.members[0]?.aggregatorId, 1)
    assert.deepEqual(p.unparsed, ['something without a colon'])
    assert.equal(parseBondProc('').members.length, 0)
    assert.equal(parseBondProc('garbage\n\x00\x01').mode, null)
  })

  it('fail_over_mac and primary_reselect suffixes (driver formats from bond_procfs.c)', () => {
    const text = procText('active-backup')
      .replace('Bonding Mode: fault-tolerance (active-backup)', 'Bonding Mode: fault-tolerance (active-backup) (fail_over_mac active)')
      .replace('Primary Slave: None', 'Primary Slave: eth1 (primary_reselect better)')
    const p = parseBondProc(text)
    assert.equal(p.mode, 'active-backup')
    assert.equal(p.failOverMac, 'active')
    assert.equal(p.primary, 'eth1')
    assert.equal(p.primaryReselect, 'better')
  })

  it('decodes LACP port state bits', () => {
    assert.deepEqual(lacpPortState(0x3d), {value: 61, activity: true, shortTimeout: false, aggregation: true, synchronization: true, collecting: true, distributing: true, defaulted: false, expired: false})
  })
})

describe('bond files as doctor reads them: /proc/net/bonding with lines, sysfs dumps (test/fixtures/bonding, kernel 6.1)', () => {
  const bond = (name: string): BondFile => parseBondProcFile(readFixture('bonding', name), {file: '/proc/net/bonding/bond0'})

  it('active-backup with miimon 100, both members up', () => {
    const b = bond('ab-miimon100.txt')
    assert.equal(b.name, 'bond0')
    assert.equal(b.proc.mode, 'active-backup')
    assert.equal(b.lines.master['Bonding Mode'], 3)
    assert.equal(b.proc.miimonMs, 100)
    assert.equal(b.lines.master['MII Polling Interval (ms)'], 7)
    assert.equal(b.proc.activeSlave, 'eth0')
    assert.deepEqual(b.proc.members.map((m, i) => [m.name, m.miiStatus, m.speedMbps, m.duplex, m.linkFailureCount, b.lines.members[i]]), [
      ['eth0', 'up', 1000, 'full', 0, 12],
      ['eth1', 'up', 1000, 'full', 0, 20],
    ])
  })

  it('a member down, a single member, mixed speeds, miimon 0, ARP monitor', () => {
    assert.deepEqual(bond('ab-member-down.txt').proc.members.map((m) => [m.name, m.miiStatus, m.linkFailureCount]), [['eth0', 'up', 0], ['eth1', 'down', 1]])
    assert.equal(bond('ab-single.txt').proc.members.length, 1)
    assert.deepEqual(bond('alb-mixed-speed.txt').proc.members.map((m) => m.speedMbps), [1000, 100])
    assert.equal(bond('alb-mixed-speed.txt').proc.mode, 'balance-alb')
    const m0 = bond('ab-miimon0.txt').proc
    assert.deepEqual([m0.miimonMs, m0.arp?.intervalMs ?? 0, m0.arp?.ipTargets ?? []], [0, 0, []])
    const arp = bond('ab-arpmon.txt').proc
    assert.deepEqual([arp.miimonMs, arp.arp?.intervalMs, arp.arp?.ipTargets], [0, 100, ['10.0.2.2']])
    const nt = bond('ab-arp-no-target.txt').proc
    assert.deepEqual([nt.arp?.intervalMs, nt.arp?.ipTargets, nt.miiStatus], [100, [], 'down'])
  })

  it('802.3ad without a partner: lacp_rate, hash policy, partner MAC all zeros', () => {
    const b = bond('lacp-slow-unnegotiated.txt')
    assert.equal(b.proc.mode, '802.3ad')
    assert.equal(b.proc.xmitHashPolicy, 'layer2')
    assert.equal(b.proc.ad?.lacpRate, 'slow')
    assert.equal(b.lines.ad['LACP rate'], 13)
    assert.equal(b.proc.ad?.activeAggregator?.partnerMac, ZERO_MAC)
    assert.equal(b.lines.ad['Active Aggregator Info/Partner Mac Address'], 23)
    assert.deepEqual(b.proc.members.map((m) => [m.name, m.aggregatorId, m.partnerLacp?.systemMac]), [['eth0', 1, ZERO_MAC], ['eth1', 2, ZERO_MAC]])
    const f = bond('lacp-fast-l34.txt').proc
    assert.deepEqual([f.ad?.lacpRate, f.xmitHashPolicy], ['fast', 'layer3+4'])
    assert.equal(bond('xor-layer2.txt').proc.mode, 'balance-xor')
  })

  it('sysfs files give the same picture', () => {
    const ab = parseBondSysfsFile(parseSysfsDump(readFixture('bonding', 'ab-miimon100-sysfs.txt')), {file: '/sys/class/net/bond0/bonding', name: 'bond0'}).proc
    assert.deepEqual([ab.mode, ab.miimonMs, ab.arp?.intervalMs, ab.members.map((m) => m.name), ab.activeSlave, ab.ad?.lacpRate], ['active-backup', 100, 0, ['eth0', 'eth1'], 'eth0', undefined])
    const lacp = parseBondSysfsFile(parseSysfsDump(readFixture('bonding', 'lacp-slow-unnegotiated-sysfs.txt')), {file: 's', name: 'bond0'}).proc
    assert.deepEqual([lacp.mode, lacp.ad?.lacpRate, lacp.xmitHashPolicy, lacp.ad?.activeAggregator?.partnerMac], ['802.3ad', 'slow', 'layer2', ZERO_MAC])
  })

  it('rejects what is not a bonding file, with file:line', () => {
    assert.throws(() => parseBondProcFile('hello\n', {file: 'b'}), (e: unknown) => isHachaosError(e) && e.where === 'b:1')
    assert.throws(() => parseBondProcFile('Bonding Mode: quantum entanglement\n', {file: 'b'}), (e: unknown) => isHachaosError(e) && e.where === 'b:1')
    assert.throws(() => parseBondProcFile('Bonding Mode: adaptive load balancing\n\nSlave Interface:\n', {file: 'b'}), (e: unknown) => isHachaosError(e) && e.where === 'b:3')
    assert.throws(() => parseBondSysfsFile({}, {file: 's', name: 'bond0'}), (e: unknown) => isHachaosError(e) && e.where === 's:1')
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom('Bonding Mode: ', 'IEEE 802.3ad', 'Slave Interface: ', 'eth0', 'MII Status: ', 'Speed: ', '100 Mbps', ':', '\n', 'details partner lacp pdu:', 'system mac address: '), fc.string({maxLength: 4})), {maxLength: 40}), (a) =>
        cleanFailure(() => parseBondProcFile(a.join(''), {file: 'f'}), /^f:\d+$/),
      ),
      {numRuns: 1500},
    )
  })
})
