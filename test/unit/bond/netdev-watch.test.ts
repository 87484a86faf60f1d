import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {parsePingLine, pickMember, predictDetection} from '../../../src/bond/failover.js'
import {LocalBondFs} from '../../../src/bond/fs.js'
import {parseProcNetDev} from '../../../src/bond/netdev.js'
import {parseBondProc} from '../../../src/bond/proc.js'
import {BondReader} from '../../../src/bond/snapshot.js'
import {readStatistics} from '../../../src/bond/sysfs.js'
import {parseWatchLine, WATCH_SH} from '../../../src/bond/watch.js'
import {LocalExecutor} from '../../../src/exec/local.js'
import {fixtureDir, procText} from './fixtures.js'

describe('/proc/net/dev (captured in the guest after iperf3, with the sysfs counters of the same moment)', () => {
  const dir = fixtureDir('netdev-balance-xor')
  it('parses every interface; bytes and packets equal the sysfs statistics', async () => {
    const dev = parseProcNetDev(readFileSync(join(dir, 'proc/net/dev'), 'utf8'))
    assert.deepEqual([...dev.keys()], ['lo', 'eth0', 'eth1', 'bond0'])
    for (const i of ['eth0', 'eth1', 'bond0']) {
      const st = await readStatistics(new LocalBondFs(dir), i)
      for (const k of ['rx_bytes', 'rx_packets', 'tx_bytes', 'tx_packets', 'rx_errors', 'tx_errors', 'tx_dropped']) {
        assert.equal(dev.get(i)?.[k], st?.[k], `${i} ${k}`)
      }
    }
    assert.equal(dev.get('bond0')?.['rx_bytes'], 303347646n)
    const only = parseProcNetDev(readFileSync(join(dir, 'proc/net/dev'), 'utf8'), new Set(['bond0', 'eth1', 'eth9']))
    assert.deepEqual([...only.keys()], ['eth1', 'bond0'])
    assert.equal(only.get('bond0')?.['rx_bytes'], 303347646n)
  })
  it('the reader uses /proc/net/dev when it has the bond, the statistics directories otherwise', async () => {
    const withDev = await new BondReader(new LocalBondFs(dir), 'bond0', 'g').read()
    const old = await new BondReader(new LocalBondFs(fixtureDir('balance-xor')), 'bond0', 'g').read()
    assert.equal(withDev.members[0]?.counters?.['rx_bytes'], 154803008n)
    assert.ok((old.members[0]?.counters?.['rx_bytes'] ?? 0n) > 0n)
  })
  it('ignores headers and junk', () => {
    assert.equal(parseProcNetDev('Inter-|   Receive\n face |bytes\nnot: a line\n').size, 0)
  })
})

describe('failover helpers', () => {
  it('ping -D lines', () => {
    assert.deepEqual(parsePingLine('[1795390926.123456] 64 bytes from 10.88.0.2: icmp_seq=12 ttl=64 time=0.512 ms'), {t: 1795390926123456, seq: 12})
    assert.deepEqual(parsePingLine('[1795390926.1] 64 bytes from 10.88.0.2: icmp_seq=1 ttl=64 time=1 ms'), {t: 1795390926100000, seq: 1})
    assert.equal(parsePingLine('PING 10.88.0.2 (10.88.0.2) 56(84) bytes of data.'), null)
  })
  it('predicted detection from the driver parameters (real captures)', () => {
    assert.deepEqual(predictDetection(parseBondProc(procText('active-backup'))), {monitor: 'mii', maxDetectMs: 100, formula: 'miimon 100 ms + downdelay 0 ms = 100 ms'})
    assert.equal(predictDetection(parseBondProc(procText('active-backup-going-down'))).maxDetectMs, 3100)
    const arp = predictDetection(parseBondProc(procText('arp-active-backup')))
    assert.equal(arp.monitor, 'arp')
    assert.equal(arp.maxDetectMs, 350)
  })
  it('picks the active member by default, and refuses a stranger', () => {
    assert.equal(pickMember(parseBondProc(procText('active-backup-one-down'))), 'eth1')
    assert.equal(pickMember(parseBondProc(procText('balance-rr'))), 'eth0')
    assert.throws(() => pickMember(parseBondProc(procText('balance-rr')), 'eth9'), /not a member/)
  })
})

describe('the guest watcher', () => {
  it('parses its lines, with "going down" folded into one word', () => {
    const s = parseWatchLine('123456789000 eth0=0,goingdown eth1=1,up active=eth0', 7)
    assert.deepEqual(s, {monoNs: 123456789000n, receivedAt: 7, members: {eth0: {carrier: false, mii: 'going down'}, eth1: {carrier: true, mii: 'up'}}, active: 'eth0'})
    assert.equal(parseWatchLine('123 eth0=?,? active=-', 1)?.active, null)
    assert.equal(parseWatchLine('garbage', 1), null)
  })
  it('is valid shell', async () => {
    const r = await new LocalExecutor().run(['sh', '-n', '-c', WATCH_SH])
    assert.equal(r.code, 0, r.stderr)
  })
})
