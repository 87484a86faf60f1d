/**
 * The seeded soak draw (src/gameday/soak.ts): the same seed gives the same series, another seed another one,
 * every applicable fault of the catalogue is drawn over a long series (and nothing else), holds within bounds.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {FAULTS} from '../../../chaos/registry.js'
import {isHachaosError} from '../../../src/errors.js'
import type {GameDayPlan, SoakSpec} from '../../../src/gameday/plan.js'
import {applicable, drawSoak} from '../../../src/gameday/soak.js'
import {findHost, parseInventory} from '../../../src/inventory/inventory.js'
import {rng} from '../../../src/util/rng.js'
import {rng as testRng} from '../../helpers/rng.js'

// The keepalived lab's shape (src/stacks/keepalived/lab/lab.ts writes the same roles), and a Pacemaker node.
const inv = parseInventory(
  `name: soak
vip: 10.66.0.100
hosts:
  lb1: {address: 10.66.0.11, via: local, roles: [lb]}
  lb2: {address: 10.66.0.12, via: local, roles: [lb]}
  web1: {address: 10.66.0.21, via: local, roles: [web]}
  client: {address: 10.66.0.50, via: local, roles: [client]}
  n1: {address: 10.77.0.11, via: local, roles: [cluster-node]}
`,
  'soak.yaml',
)
const defaults: GameDayPlan['defaults'] = {rate: 20, holdMs: null, toleranceMs: 100, maxOutageMs: null, probeTimeoutMs: 1000}
const spec = (o: Partial<SoakSpec>): SoakSpec => ({count: 20, seed: null, targets: ['lb1', 'web1'], faults: null, hold: null, ...o})
const draw = (o: Partial<SoakSpec>, seed = 7) => drawSoak({spec: spec(o), seed, inventory: inv, faults: FAULTS, defaultTargets: [], defaults})
const key = (s: {target: string; soak: string | null; holdMs: number | null}): string => `${s.target}:${s.soak ?? ''}:${s.holdMs ?? '-'}`

describe('game day soak', () => {
  it('tests and product share one PRNG (src/util/rng.ts)', () => {
    assert.equal(testRng, rng)
    const a = rng(42)
    assert.deepEqual([a(), a()], [rng(42)(), (() => {const b = rng(42); b(); return b()})()])
  })

  it('the same seed replays the same series; another seed draws another', () => {
    const a = draw({hold: {minMs: 2000, maxMs: 6000}}, 42)
    const b = draw({hold: {minMs: 2000, maxMs: 6000}}, 42)
    const c = draw({hold: {minMs: 2000, maxMs: 6000}}, 43)
    assert.equal(a.seed, 42)
    assert.deepEqual(a.steps.map(key), b.steps.map(key))
    assert.notDeepEqual(a.steps.map(key), c.steps.map(key))
    assert.equal(a.steps.length, 20)
  })

  it('a seed in the plan wins over the fresh one', () => {
    assert.equal(draw({seed: 5}, 99).seed, 5)
    assert.deepEqual(draw({seed: 5}, 99).steps.map(key), draw({}, 5).steps.map(key))
  })

  it('the catalogue per target: the faults of its stack and role, nothing else', () => {
    const names = (h: string): string[] => applicable(inv, findHost(inv, h), FAULTS, null).map((c) => c.name)
    assert.deepEqual(names('lb1'), ['nic-down', 'kill keepalived TERM', 'kill keepalived KILL', 'kill haproxy', 'service-stop keepalived', 'drop-vrrp'])
    assert.deepEqual(names('web1'), ['kill apache2'])
    assert.deepEqual(names('n1'), ['cluster-standby', 'cluster-move', 'cluster-kill corosync', 'cluster-partition', 'nic-down cluster node'])
    assert.deepEqual(names('client'), [])
    assert.deepEqual(applicable(inv, findHost(inv, 'lb1'), FAULTS, ['kill']).map((c) => c.name), ['kill keepalived TERM', 'kill keepalived KILL', 'kill haproxy'])
  })

  it('over 400 drills every applicable fault of every target is drawn, each about as often', () => {
    const s = draw({count: 400, targets: ['lb1', 'web1', 'n1']}, 1234)
    const count = new Map<string, number>()
    for (const x of s.steps) count.set(`${x.target}:${x.soak ?? ''}`, (count.get(`${x.target}:${x.soak ?? ''}`) ?? 0) + 1)
    const want = ['lb1', 'web1', 'n1'].flatMap((h) => applicable(inv, findHost(inv, h), FAULTS, null).map((c) => `${h}:${c.name}`))
    assert.deepEqual([...count.keys()].sort(), want.sort())
    // per target ≈ 400/3; within a target ≈ uniform: each entry at least a third of its expected share
    for (const h of ['lb1', 'web1', 'n1']) {
      const per = want.filter((w) => w.startsWith(`${h}:`))
      for (const w of per) assert.ok((count.get(w) ?? 0) >= 400 / 3 / per.length / 3, `${w}: ${count.get(w)}`)
    }
  })

  it('holds: within the bounds (100 ms steps), fixed for drop-vrrp, none without bounds', () => {
    const s = draw({count: 200, hold: {minMs: 2000, maxMs: 6000}}, 9)
    for (const x of s.steps) {
      if (x.soak === 'drop-vrrp') assert.equal(x.holdMs, 6000)
      else assert.ok(x.holdMs !== null && x.holdMs >= 2000 && x.holdMs <= 6000 && x.holdMs % 100 === 0, String(x.holdMs))
    }
    for (const x of draw({count: 50}, 9).steps) if (x.soak !== 'drop-vrrp') assert.equal(x.holdMs, null)
    const sb = draw({count: 50}, 9).steps.filter((x) => x.soak === 'drop-vrrp')
    assert.ok(sb.length > 0 && sb.every((x) => x.kind === 'drill' && x.splitBrain === true))
  })

  it('a target no fault applies to, or none at all, is a usage error naming it', () => {
    for (const o of [{targets: ['client']}, {targets: null}]) {
      try {
        draw(o)
        assert.fail('drawn')
      } catch (e) {
        assert.ok(isHachaosError(e))
        assert.equal(e.exitName, 'USAGE')
        assert.match(e.message, o.targets === null ? /no targets/ : /no fault of the catalogue applies to client/)
      }
    }
  })
})
