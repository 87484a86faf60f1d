import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {detectEvents} from '../../../src/bond/events.js'
import {LocalBondFs} from '../../../src/bond/fs.js'
import {parseBondProc} from '../../../src/bond/proc.js'
import {computeRates} from '../../../src/bond/sampler.js'
import {BondReader, type BondSnapshot} from '../../../src/bond/snapshot.js'
import {fixtureDir, procText} from './fixtures.js'

async function snap(name: string, t: number): Promise<BondSnapshot> {
  const s = await new BondReader(new LocalBondFs(fixtureDir(name)), 'bond0', 'guest').read()
  return {...s, t}
}

const types = (evs: Array<{type: string}>): string[] => evs.map((e) => e.type).sort()

describe('detectEvents on real captures', () => {
  it('active-backup cable pull: active member changes, eth0 MII and carrier down, one link failure', async () => {
    const a = await snap('active-backup', 1_000_000)
    const b = await snap('active-backup-one-down', 2_000_000)
    const ev = detectEvents(a, b)
    assert.deepEqual(types(ev), ['active-changed', 'carrier', 'link-failure', 'mii'])
    const act = ev.find((e) => e.type === 'active-changed')
    assert.ok(act?.type === 'active-changed')
    assert.equal(act.from, 'eth0')
    assert.equal(act.to, 'eth1')
    assert.equal(act.t, 2_000_000)
    const mii = ev.find((e) => e.type === 'mii')
    assert.ok(mii?.type === 'mii' && mii.member === 'eth0' && mii.from === 'up' && mii.to === 'down')
    assert.match(mii.message, /eth0 MII up → down/)
  })
  it('down delay and up delay: going down → down → going back → up', async () => {
    const seq = ['active-backup-going-down', 'active-backup-down-delayed', 'active-backup-going-back', 'active-backup-back']
    const snaps = await Promise.all(seq.map((n, i) => snap(n, (i + 1) * 1_000_000)))
    const eth0: string[] = []
    for (let i = 1; i < snaps.length; i++) {
      for (const e of detectEvents(snaps[i - 1] ?? null, snaps[i] as BondSnapshot)) if (e.type === 'mii' && e.member === 'eth0') eth0.push(`${e.from}>${e.to}`)
    }
    assert.deepEqual(eth0, ['going down>down', 'down>going back', 'going back>up'])
  })
  it('802.3ad: the active aggregator changes when its only port goes down', async () => {
    const ev = detectEvents(await snap('802.3ad', 1), await snap('802.3ad-one-down', 2))
    const agg = ev.find((e) => e.type === 'aggregator-changed' && e.member === null)
    assert.ok(agg?.type === 'aggregator-changed')
    assert.equal(agg.from, 1)
    assert.equal(agg.to, 2)
  })
  it('LACP churn: a partner churn state change and count increase', async () => {
    const a = await snap('802.3ad', 1)
    const churned = parseBondProc(procText('802.3ad').replace('Partner Churn State: monitoring', 'Partner Churn State: churned').replace('Partner Churned Count: 0', 'Partner Churned Count: 1'))
    const b: BondSnapshot = {...a, t: 2, proc: churned}
    const ev = detectEvents(a, b).filter((e) => e.type === 'lacp-churn')
    assert.equal(ev.length, 1)
    assert.ok(ev[0]?.type === 'lacp-churn')
    assert.equal(ev[0].member, 'eth0')
    assert.equal(ev[0].side, 'partner')
    assert.equal(ev[0].to, 'churned')
    assert.equal(ev[0].count, 1)
  })
  it('members joining and leaving; counter resets', async () => {
    const a = await snap('balance-rr', 1_000_000)
    const one = {...a, t: 2_000_000, proc: {...a.proc, members: a.proc.members.slice(0, 1)}}
    assert.deepEqual(types(detectEvents(a, one)), ['member-removed'])
    assert.deepEqual(types(detectEvents(one, a)), ['member-added'])
    const reset: BondSnapshot = {...a, t: 2_000_000, members: a.members.map((m) => (m.name === 'eth1' ? {...m, counters: {...m.counters, rx_bytes: 5n}} : m))}
    const ev = detectEvents(a, reset, computeRates(a, reset))
    assert.deepEqual(types(ev), ['counter-reset'])
  })
  it('no previous reading: no events', async () => {
    assert.deepEqual(detectEvents(null, await snap('balance-rr', 1)), [])
  })
})
