/**
 * The game day's bond step and the bond soak (src/gameday/plan.ts `bond:`, src/gameday/soak.ts through the
 * labs' step kinds, src/lab/bond/step.ts): examples/bond-soak.yaml parses to the bond step it says, bad bond
 * steps fail at file:line:col, the seeded draw over the guest's members and fault kinds replays with its seed
 * and reaches every entry, and a step's gate is its worst trial's (from the lab's recorded runs).
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {FAULTS} from '../../../chaos/registry.js'
import {isHachaosError} from '../../../src/errors.js'
import {loadPlan, parsePlan, stepText, type GameDayPlan, type LabStep, type SoakSpec} from '../../../src/gameday/plan.js'
import {drawSoak} from '../../../src/gameday/soak.js'
import {parseInventory} from '../../../src/inventory/inventory.js'
import {outcomeOf} from '../../../src/lab/bond/step.js'
import {ROOT} from '../../helpers/cli.js'

// The bond lab's inventory shape (src/lab/bond/lab.ts renderInventory), and a keepalived lb beside it.
const inv = parseInventory(
  `name: bond
hosts:
  guest:
    address: 10.88.0.2
    via: local
    roles: [bond-host]
    facts: {bond: bond0, interface: bond0, qemu_monitor: /run/x/monitor.sock, qemu_netdevs: {eth1: m1, eth0: m0}}
  client1: {address: 10.88.0.11, via: local, roles: [client]}
  lb1: {address: 10.66.0.11, via: local, roles: [lb]}
`,
  'bond.yaml',
)
const defaults: GameDayPlan['defaults'] = {rate: 20, holdMs: null, toleranceMs: 100, maxOutageMs: null, probeTimeoutMs: 1000}
const spec = (o: Partial<SoakSpec>): SoakSpec => ({count: 20, seed: null, targets: ['guest'], faults: null, hold: null, ...o})
const draw = (o: Partial<SoakSpec>, seed = 7) => drawSoak({spec: spec(o), seed, inventory: inv, faults: FAULTS, defaultTargets: [], defaults})

describe('game day bond step and bond soak', () => {
  it('examples/bond-soak.yaml: a bond step with its gate, and a soak of 4 on the guest', () => {
    const p = loadPlan(join(ROOT, 'examples', 'bond-soak.yaml'))
    const s = p.steps[0] as LabStep
    assert.equal(s.kind, 'lab')
    assert.deepEqual({key: s.key, target: s.target, action: s.action, params: s.params, trials: s.trials, holdMs: s.holdMs, maxOutageMs: s.maxOutageMs, toleranceMs: s.toleranceMs}, {
      key: 'bond',
      target: 'guest',
      action: 'member-down',
      params: {bond: 'bond0'},
      trials: 1,
      holdMs: 1500,
      maxOutageMs: 1000,
      toleranceMs: null,
    })
    assert.equal(stepText(s), 'bond guest member-down bond=bond0 hold 1.5 s')
    assert.deepEqual(p.soak, {count: 4, seed: 1, targets: ['guest'], faults: null, hold: {minMs: 1500, maxMs: 2500}})
  })

  it("the example's series is pinned: seed 1 draws every kind of the catalogue (the README's run)", () => {
    const p = loadPlan(join(ROOT, 'examples', 'bond-soak.yaml'))
    const d = drawSoak({spec: p.soak as SoakSpec, seed: 99, inventory: inv, faults: FAULTS, defaultTargets: [], defaults: p.defaults})
    assert.equal(d.seed, 1)
    assert.deepEqual(d.steps.map((s) => [s.soak, s.holdMs]), [['active-down', 2000], ['flap', 1800], ['member-down:eth1', 1900], ['member-down:eth0', 2000]])
  })

  it('a flap with its spacing, trials, poll and probe host reach the step', () => {
    const p = parsePlan('name: x\ndefaults: {hold: 2s, max_outage: 800ms}\nsteps:\n  - bond: {host: guest, member: eth1, action: flap, flap: 250ms, trials: 3, poll: 5, probe_from: none, gate: {tolerance: 60ms}}\n', 'p.yaml')
    const s = p.steps[0] as LabStep
    assert.deepEqual(s.params, {member: 'eth1', flap_ms: '250', poll: '5', probe_from: 'none'})
    assert.deepEqual([s.action, s.trials, s.holdMs, s.maxOutageMs, s.toleranceMs], ['flap', 3, 2000, 800, 60])
  })

  it('bad bond steps: what is wrong, at file:line:col', () => {
    const cases: Array<[string, RegExp, string]> = [
      ['name: x\nsteps:\n  - bond: {host: guest, action: yank}\n', /action/, 'plan.yaml:3:25'],
      ['name: x\nsteps:\n  - bond: {host: guest, membr: eth0}\n', /unknown key "membr"/, 'plan.yaml:3:25'],
      ['name: x\nsteps:\n  - bond: {host: guest, trials: 0}\n', /trials/, 'plan.yaml:3:25'],
      ['name: x\nsteps:\n  - bond: {host: guest}\n    pause: 1s\n', /exactly one of drill, bond, pause or check/, 'plan.yaml:3:5'],
      ['name: x\nsteps:\n  - bond: {host: guest, member: "eth0; reboot"}\n', /an interface name/, 'plan.yaml:3:25'],
    ]
    for (const [text, re, where] of cases) {
      try {
        parsePlan(text, 'plan.yaml')
        assert.fail(`parsed: ${text}`)
      } catch (e) {
        assert.ok(isHachaosError(e), String(e))
        assert.match(e.message, re)
        assert.equal(e.where, where, e.message)
      }
    }
  })

  it('the draw: bond steps on the guest, the same seed the same series, another seed another', () => {
    const a = draw({}, 7).steps
    assert.ok(a.every((s) => s.kind === 'lab' && s.key === 'bond' && s.target === 'guest' && s.trials === 1))
    assert.deepEqual(draw({}, 7).steps, a)
    assert.notDeepEqual(draw({}, 8).steps.map((s) => s.soak), a.map((s) => s.soak))
  })

  it('every entry (active, each member, flap) is drawn over a long series, and nothing else', () => {
    const names = new Set(draw({count: 200}, 3).steps.map((s) => s.soak))
    assert.deepEqual([...names].sort(), ['active-down', 'flap', 'member-down:eth0', 'member-down:eth1'])
    const byName = new Map(draw({count: 200}, 3).steps.map((s) => [s.soak, s as LabStep]))
    assert.deepEqual(byName.get('member-down:eth1')?.params, {member: 'eth1'})
    assert.deepEqual([byName.get('flap')?.action, byName.get('flap')?.params], ['flap', {}])
    assert.deepEqual(byName.get('active-down')?.params, {})
  })

  it('--faults narrows by entry name or action; holds within bounds in 100 ms steps', () => {
    assert.ok(draw({faults: ['flap'], count: 30}).steps.every((s) => s.soak === 'flap'))
    const md = new Set(draw({faults: ['member-down'], count: 100}).steps.map((s) => s.soak))
    assert.deepEqual([...md].sort(), ['active-down', 'member-down:eth0', 'member-down:eth1'])
    for (const s of draw({count: 100, hold: {minMs: 1500, maxMs: 2500}}).steps) assert.ok(s.holdMs !== null && s.holdMs >= 1500 && s.holdMs <= 2500 && s.holdMs % 100 === 0, String(s.holdMs))
  })

  it('a soak over the guest and a keepalived lb draws both kinds; the lb keeps its stack catalogue', () => {
    const s = draw({targets: ['guest', 'lb1'], count: 100}, 11).steps
    assert.ok(s.some((x) => x.kind === 'lab'))
    assert.ok(s.some((x) => x.kind === 'drill' && x.target === 'lb1'))
    assert.ok(s.every((x) => (x.kind === 'lab') === (x.target === 'guest')))
  })
})
