import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {LocalBondFs} from '../../../src/bond/fs.js'
import {landing, spreadInputFor} from '../../../src/bond/landing.js'
import {BondReader} from '../../../src/bond/snapshot.js'
import {layer2Member, spreadAdvice, type SpreadInput} from '../../../src/bond/spread.js'
import {fixtureDir} from './fixtures.js'

const c1 = {name: 'client1', address: '10.88.0.11', mac: '02:88:00:00:00:11', sameL2: true}
const c2 = {name: 'client2', address: '10.88.0.12', mac: '02:88:00:00:00:12', sameL2: true}
const base: SpreadInput = {mode: 'balance-xor', xmitHashPolicy: 'layer2', members: ['eth0', 'eth1'], bondMac: '52:54:00:88:00:a0', peers: [c1], parallel: 1, direction: 'bond-tx'}

describe('spread advice', () => {
  it('layer2 with one client MAC: one member carries everything (the seed)', () => {
    const a = spreadAdvice(base)
    assert.ok(a.some((x) => x.level === 'warning' && /one client MAC: one member carries everything/.test(x.message)), JSON.stringify(a))
  })
  it('every client behind one router MAC is the same as one client', () => {
    const a = spreadAdvice({...base, peers: [{...c1, sameL2: false}, {...c2, sameL2: false}]})
    assert.ok(a.some((x) => x.level === 'warning' && /behind one MAC/.test(x.message)))
  })
  it('layer2 with two clients: the driver formula maps each client to a member', () => {
    assert.equal(layer2Member('52:54:00:88:00:a0', '02:88:00:00:00:11', ['eth0', 'eth1']), 'eth1')
    assert.equal(layer2Member('52:54:00:88:00:a0', '02:88:00:00:00:12', ['eth0', 'eth1']), 'eth0')
    const a = spreadAdvice({...base, peers: [c1, c2]})
    assert.ok(a.some((x) => x.level === 'info' && x.message === 'layer2 hash: client1 → eth1, client2 → eth0'), JSON.stringify(a))
  })
  it('layer3+4 needs more than one flow', () => {
    assert.ok(spreadAdvice({...base, xmitHashPolicy: 'layer3+4'}).some((x) => x.level === 'warning'))
    assert.ok(!spreadAdvice({...base, xmitHashPolicy: 'layer3+4', parallel: 4}).some((x) => x.level === 'warning'))
  })
  it('active-backup is one member by design; tlb receives on one member', () => {
    assert.deepEqual(spreadAdvice({...base, mode: 'active-backup'}).map((x) => x.level), ['info'])
    assert.ok(spreadAdvice({...base, mode: 'balance-tlb', direction: 'bond-rx', peers: [c1, c2]}).some((x) => /receives on the active member only/.test(x.message)))
  })
  it('one member up: nothing to spread', () => {
    assert.match(spreadAdvice({...base, members: ['eth1']})[0]?.message ?? '', /only 1 member is up/)
  })
})

describe('the layer2 prediction agrees with real counters (balance-xor, two clients, iperf3 both ways)', () => {
  it('both members transmitted about half', async () => {
    const s = await new BondReader(new LocalBondFs(fixtureDir('balance-xor')), 'bond0', 'guest').read()
    const zero = {...s, members: s.members.map((m) => ({...m, counters: Object.fromEntries(Object.keys(m.counters ?? {}).map((k) => [k, 0n]))})), bondCounters: null, t: 0}
    const l = landing(zero, {...s, t: 10_000_000})
    for (const m of l.members) assert.ok(m.txShare !== null && m.txShare > 0.4 && m.txShare < 0.6, `${m.name} tx share ${m.txShare}`)
    const adv = spreadAdvice(spreadInputFor(s, [c1, c2], 1, 'bond-tx'))
    assert.ok(adv.some((x) => /client1 → eth1, client2 → eth0/.test(x.message)), JSON.stringify(adv))
  })
})
