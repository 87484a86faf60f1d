import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import fc from 'fast-check'

import {LocalBondFs} from '../../../src/bond/fs.js'
import {computeRates, counterDelta, imbalance, interfaceRates, plausibleBytes} from '../../../src/bond/sampler.js'
import {BondReader, type BondSnapshot} from '../../../src/bond/snapshot.js'
import {fixtureDir} from './fixtures.js'

const TWO32 = 1n << 32n
const TWO64 = 1n << 64n

describe('counterDelta', () => {
  it('plain increase', () => {
    assert.deepEqual(counterDelta(100n, 350n), {delta: 250n, kind: 'ok'})
    assert.deepEqual(counterDelta(5n, 5n), {delta: 0n, kind: 'ok'})
  })
  it('a 32-bit counter wrapping', () => {
    assert.deepEqual(counterDelta(TWO32 - 100n, 50n), {delta: 150n, kind: 'wrap32'})
  })
  it('a 64-bit counter wrapping', () => {
    assert.deepEqual(counterDelta(TWO64 - 10n, 5n), {delta: 15n, kind: 'wrap64'})
  })
  it('a reset (interface re-created, driver reloaded): no delta', () => {
    assert.deepEqual(counterDelta(5_000_000_000n, 1000n), {delta: null, kind: 'reset'})
    // below 2^32, a decrease is a wrap only when the wrapped delta fits the link for the interval
    assert.deepEqual(counterDelta(3_000_000_000n, 10n, 1_000_000n), {delta: null, kind: 'reset'})
    assert.deepEqual(counterDelta(TWO32 - 1000n, 10n, 1_000_000n), {delta: 1010n, kind: 'wrap32'})
  })
  it('missing values', () => {
    assert.deepEqual(counterDelta(undefined, 1n), {delta: null, kind: 'missing'})
  })
  it('property: a wrapped 32-bit counter gives back the true increment', () => {
    fc.assert(
      fc.property(fc.bigInt({min: 0n, max: TWO32 - 1n}), fc.bigInt({min: 0n, max: 1_000_000n}), (start, inc) => {
        const cur = (start + inc) % TWO32
        const r = counterDelta(start, cur, 1_000_000n)
        assert.equal(r.delta, inc)
      }),
    )
  })
})

describe('rates', () => {
  it('bytes/s and packets/s from deltas over dt', () => {
    const r = interfaceRates('eth0', {rx_bytes: 1000n, tx_bytes: 0n, rx_packets: 10n, tx_packets: 0n, rx_errors: 0n, tx_errors: 0n, rx_dropped: 1n, tx_dropped: 0n}, {rx_bytes: 2_001_000n, tx_bytes: 500_000n, rx_packets: 2010n, tx_packets: 400n, rx_errors: 2n, tx_errors: 0n, rx_dropped: 4n, tx_dropped: 0n}, 2, 1000)
    assert.equal(r.rxBytesPerS, 1_000_000)
    assert.equal(r.txBytesPerS, 250_000)
    assert.equal(r.rxPacketsPerS, 1000)
    assert.equal(r.txPacketsPerS, 200)
    assert.equal(r.rxErrors, 2)
    assert.equal(r.rxDropped, 3)
    assert.deepEqual(r.reset, [])
  })
  it('a reset counter gives no rate for that interval, and says so', () => {
    const r = interfaceRates('eth0', {rx_bytes: 9_000_000_000n, tx_bytes: 10n}, {rx_bytes: 1_000n, tx_bytes: 20n}, 1, 1000)
    assert.equal(r.rxBytesPerS, null)
    assert.deepEqual(r.reset, ['rx_bytes'])
    assert.equal(r.txBytesPerS, 10)
  })
  it('a wrap inside a busy second on a gigabit link is a wrap', () => {
    const r = interfaceRates('eth0', {rx_bytes: TWO32 - 50_000_000n}, {rx_bytes: 60_000_000n}, 1, 1000)
    assert.equal(r.rxBytesPerS, 110_000_000)
    assert.deepEqual(r.wrapped, ['rx_bytes'])
  })
  it('the plausibility bound follows the link speed and the interval', () => {
    assert.equal(plausibleBytes(1000, 1), 500_000_000n)
    assert.equal(plausibleBytes(null, 1), 50_000_000_000n)
  })
})

async function snap(name: string, t: number, monoNs: bigint | null): Promise<BondSnapshot> {
  const s = await new BondReader(new LocalBondFs(fixtureDir(name)), 'bond0', 'guest').read()
  return {...s, t, monoNs}
}

describe('rates between two real captures (balance-rr before/after a pulled cable)', () => {
  it('uses the monotonic clock when both readings have it, and the counters move', async () => {
    const a = await snap('balance-rr', 1_000_000, 5_000_000_000n)
    const b = await snap('balance-rr-one-down', 1_900_000, 10_000_000_000n)
    const r = computeRates(a, b)
    assert.equal(r.clock, 'monotonic')
    assert.equal(r.dtS, 5)
    // between the two captures, iperf3 ran with eth0's cable pulled: eth1 carried it all
    const [e0, e1] = r.members
    assert.ok((e1?.rxBytesPerS ?? 0) > 1e6, 'eth1 rx moved')
    assert.ok((e0?.rxBytesPerS ?? 0) < (e1?.rxBytesPerS ?? 0) / 100, 'eth0 (down) received next to nothing')
    // the bond's own counters are the sum of its members' (balance-rr: every packet on exactly one member)
    const sumRx = r.members.reduce((s, m) => s + (m.rxBytes ?? 0), 0)
    assert.ok(r.bond !== null && r.bond.rxBytes !== null)
    assert.ok(Math.abs(r.bond.rxBytes - sumRx) / sumRx < 0.01, `bond rx ${r.bond.rxBytes} vs members ${sumRx}`)
  })
  it('falls back to wall time', async () => {
    const a = await snap('balance-rr', 1_000_000, null)
    const b = await snap('balance-rr-one-down', 3_000_000, null)
    const r = computeRates(a, b)
    assert.equal(r.clock, 'wall')
    assert.equal(r.dtS, 2)
  })
})

describe('imbalance', () => {
  const rs = (rx: Record<string, number>, tx: Record<string, number>) => ({
    t: 0,
    dtS: 1,
    clock: 'wall' as const,
    bond: null,
    members: Object.keys(rx).map((n) => ({name: n, rxBytesPerS: rx[n] ?? 0, txBytesPerS: tx[n] ?? 0, rxPacketsPerS: 0, txPacketsPerS: 0, rxErrors: 0, txErrors: 0, rxDropped: 0, txDropped: 0, rxBytes: 0, txBytes: 0, wrapped: [], reset: []})),
  })
  it('even spread is 0, one member carrying everything is 1', () => {
    const even = imbalance(rs({eth0: 5e7, eth1: 5e7}, {eth0: 5e7, eth1: 5e7}), 'balance-rr', ['eth0', 'eth1'])
    assert.equal(even.rx, 0)
    assert.equal(even.verdict, 'balanced')
    const one = imbalance(rs({eth0: 1e8, eth1: 0}, {eth0: 1e8, eth1: 100}), 'balance-xor', ['eth0', 'eth1'])
    assert.equal(one.rx, 1)
    assert.equal(one.verdict, 'one-member')
    assert.equal(one.byDesign, false)
    const ab = imbalance(rs({eth0: 1e8, eth1: 0}, {eth0: 1e8, eth1: 0}), 'active-backup', ['eth0', 'eth1'])
    assert.equal(ab.byDesign, true)
    assert.match(ab.note, /by design/)
  })
  it('idle is not judged', () => {
    assert.equal(imbalance(rs({eth0: 100, eth1: 0}, {eth0: 0, eth1: 0}), 'balance-rr', ['eth0', 'eth1']).verdict, 'idle')
  })
  it('members that are down do not count', () => {
    const r = imbalance(rs({eth0: 0, eth1: 1e8}, {eth0: 0, eth1: 1e8}), 'balance-rr', ['eth1'])
    assert.equal(r.verdict, 'one-member')
    assert.equal(r.note, 'only eth1 is up: it carries everything')
  })
})
