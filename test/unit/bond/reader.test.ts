import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {LocalBondFs, parseBatch, BATCH_READ_SH, batchArgs} from '../../../src/bond/fs.js'
import {BondReader} from '../../../src/bond/snapshot.js'
import {readBondSysfs, readSlaveSysfs, readStatistics} from '../../../src/bond/sysfs.js'
import {LocalExecutor} from '../../../src/exec/local.js'
import {BOND_MODES} from '../../../src/lab/bond/topology.js'
import {fixtureDir} from './fixtures.js'

describe('sysfs readers on real captured trees (--root)', () => {
  for (const mode of BOND_MODES) {
    it(`${mode}: bonding attributes, member attributes, counters`, async () => {
      const fs = new LocalBondFs(fixtureDir(mode))
      const b = await readBondSysfs(fs, 'bond0')
      assert.ok(b !== null)
      assert.equal(b.mode?.name, mode)
      assert.deepEqual(b.slaves, ['eth0', 'eth1'])
      assert.equal(b.miimon, 100)
      assert.equal(b.xmitHashPolicy?.name, 'layer2')
      assert.equal(b.raw['mode'], `${mode} ${BOND_MODES.indexOf(mode) === 0 ? 0 : ['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb', 'balance-alb'].indexOf(mode)}`)
      const s = await readSlaveSysfs(fs, 'eth0')
      assert.equal(s?.miiStatus, 'up')
      assert.equal(s?.permHwaddr, '52:54:00:88:00:a0')
      assert.ok(s?.state === 'active' || s?.state === 'backup')
      const c = await readStatistics(fs, 'eth0')
      assert.ok((c?.['rx_bytes'] ?? 0n) > 0n)
      if (mode === '802.3ad') {
        assert.equal(b.adAggregator, 1)
        assert.equal(b.adNumPorts, 1)
        assert.equal(b.adPartnerMac, '00:00:00:00:00:00')
        assert.equal(s?.adAggregatorId, 1)
        assert.equal(s?.adActorOperPortState?.value, 77)
      } else {
        assert.equal(b.adAggregator, null)
      }
    })
  }
  it('active-backup: the backup member is "backup" in bonding_slave/state', async () => {
    const fs = new LocalBondFs(fixtureDir('active-backup'))
    assert.equal((await readSlaveSysfs(fs, 'eth0'))?.state, 'active')
    assert.equal((await readSlaveSysfs(fs, 'eth1'))?.state, 'backup')
    assert.deepEqual((await readBondSysfs(fs, 'bond0'))?.activeSlave, 'eth0')
  })
  it('ARP monitor attributes', async () => {
    const b = await readBondSysfs(new LocalBondFs(fixtureDir('arp-active-backup')), 'bond0')
    assert.equal(b?.arpInterval, 100)
    assert.deepEqual(b?.arpIpTarget, ['10.88.0.11'])
    assert.equal(b?.arpMissedMax, 2)
    assert.equal(b?.miimon, 0)
  })
  it('BondReader: one reading with members, carrier and counters', async () => {
    const s = await new BondReader(new LocalBondFs(fixtureDir('active-backup-one-down')), 'bond0', 'guest').read()
    assert.equal(s.proc.activeSlave, 'eth1')
    assert.deepEqual(s.members.map((m) => [m.name, m.carrier, m.slave?.state]), [['eth0', false, 'backup'], ['eth1', true, 'active']])
    assert.ok(s.sysfs !== null && s.sysfs.mode?.name === 'active-backup')
    assert.ok((s.bondCounters?.['tx_bytes'] ?? 0n) > 0n)
    assert.equal(s.monoNs, null, 'an offline tree has no clock')
  })
  it('a missing bond is a clear error', async () => {
    await assert.rejects(new BondReader(new LocalBondFs(fixtureDir('balance-rr')), 'bond7', 'guest').read(), /no bond bond7/)
    assert.throws(() => new BondReader(new LocalBondFs('/'), '../x', 'h'), /not an interface name/)
  })
})

describe('the batch read script (run by the local sh on a real tree)', () => {
  it('reads files, dumps and lists directories, marks missing ones, prints the clock when readable', async () => {
    const root = fixtureDir('balance-rr')
    const req = {files: [`${root}/proc/net/bonding/bond0`, `${root}/nope`], dumps: [`${root}/sys/class/net/eth0/bonding_slave`], lists: [`${root}/sys/class/net/bond0/bonding`, `${root}/missing-dir`], clock: true}
    const r = await new LocalExecutor().run(['sh', '-c', BATCH_READ_SH, 'x', ...batchArgs(req)])
    assert.equal(r.code, 0, r.stderr)
    const p = parseBatch(r.stdout, req)
    assert.match(p.files.get(`${root}/proc/net/bonding/bond0`) ?? '', /^Ethernet Channel Bonding Driver/)
    assert.equal(p.files.get(`${root}/nope`), null)
    assert.equal(p.files.get(`${root}/sys/class/net/eth0/bonding_slave/mii_status`), 'up\n')
    assert.ok(p.lists.get(`${root}/sys/class/net/bond0/bonding`)?.includes('xmit_hash_policy'))
    assert.equal(p.lists.get(`${root}/missing-dir`), null)
    if (process.getuid?.() === 0) assert.ok(p.monoNs !== null && p.monoNs > 0n)
  })
})
