/**
 * Game day plans (src/gameday/plan.ts): every example in examples/ parses (the dry run's first half), the
 * defaults reach every step, and bad plans fail with file:line:col at the entry to edit.
 */
import assert from 'node:assert/strict'
import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {isHachaosError} from '../../../src/errors.js'
import {loadPlan, parsePlan, type DrillStep} from '../../../src/gameday/plan.js'
import {ROOT} from '../../helpers/cli.js'

function parseError(text: string): {message: string; where: string | undefined} {
  try {
    parsePlan(text, 'plan.yaml')
  } catch (e) {
    assert.ok(isHachaosError(e), String(e))
    assert.equal(e.exitName, 'BAD_INPUT')
    return {message: e.message, where: e.where}
  }
  assert.fail('the plan parsed')
}

describe('game day plans', () => {
  const examples = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml'))

  it('examples/ holds the keepalived and pacemaker game days and a soak', () => {
    assert.ok(examples.includes('gameday-keepalived.yaml'))
    assert.ok(examples.includes('gameday-pacemaker.yaml'))
    assert.ok(examples.includes('soak-keepalived.yaml'))
  })

  for (const f of examples) {
    it(`examples/${f} parses`, () => {
      const p = loadPlan(join(ROOT, 'examples', f))
      assert.ok(p.steps.length > 0 || p.soak !== null)
      assert.equal(p.inventory, 'lab')
      for (const s of p.steps) if (s.kind === 'drill') assert.ok(s.rate >= 1 && s.toleranceMs >= 0)
    })
  }

  it('the keepalived game day: the issue\'s shape, defaults and gates carried to each drill', () => {
    const p = loadPlan(join(ROOT, 'examples', 'gameday-keepalived.yaml'))
    assert.deepEqual(
      p.steps.map((s) => s.kind),
      ['drill', 'drill', 'pause', 'check', 'drill', 'drill', 'drill'],
    )
    const [nic, term] = p.steps as [DrillStep, DrillStep]
    assert.deepEqual([nic.target, nic.fault, nic.holdMs, nic.toleranceMs, nic.maxOutageMs, nic.rate], ['lb1', 'nic-down', null, 100, null, 20])
    assert.deepEqual(term.params, {process: 'keepalived', signal: 'TERM'})
    assert.equal(term.maxOutageMs, 2000)
    assert.deepEqual(p.stop, {budgetSharePct: 10, splitBrain: true, outageOverMs: 10_000, timeLimitMs: null, http: null, command: null, checkEveryMs: 2000, checkTimeoutMs: null})
    const pause = p.steps[2]
    assert.ok(pause?.kind === 'pause' && pause.ms === 5000)
    const check = p.steps[3]
    assert.ok(check?.kind === 'check' && check.url === 'http://10.66.0.100/' && check.expect === 200)
    const drop = p.steps[6] as DrillStep
    assert.deepEqual([drop.fault, drop.holdMs, drop.splitBrain], ['drop-vrrp', 6000, true])
  })

  it('a relative inventory path is taken from the plan\'s folder', () => {
    const p = parsePlan('name: x\ninventory: hosts/prod.yaml\nsteps:\n  - pause: 1s\n', '/srv/plans/day.yaml')
    assert.equal(p.inventory, '/srv/plans/hosts/prod.yaml')
  })

  it('bad plans: what is wrong, at file:line:col of the entry to edit', () => {
    const cases: Array<[string, RegExp, string]> = [
      ['name: x\nsteps:\n  - drill: {target: lb1}\n  - pause: soon\n', /pause: "soon" is not a duration/, 'plan.yaml:4:5'],
      ['name: x\nsteps:\n  - drill: {target: lb1, fualt: kill}\n', /unknown key "fualt"/, 'plan.yaml:3:26'],
      ['name: x\nsteps:\n  - drill: {target: lb1}\n    pause: 1s\n', /exactly one of drill, bond, pause or check \(this one has several\)/, 'plan.yaml:3:5'],
      ['name: x\nstop_when:\n  budget_share: 150%\nsteps:\n  - pause: 1s\n', /budget_share: 150%: a share of the budget between 0 and 100 %/, 'plan.yaml:3:3'],
      ['name: x\nsteps: []\n', /a plan needs steps, a soak, or both/, 'plan.yaml:2:1'],
      ['steps:\n  - pause: 1s\n', /name: /, 'plan.yaml:1:1'],
      ['name: x\nsteps:\n  - check: {http: "10.66.0.100", expect: 200}\n', /an http:\/\/ or https:\/\/ URL/, 'plan.yaml:3:13'],
      ['name: x\nsteps:\n  - drill: {target: lb1\n', /plan.yaml:\d+:\d+: /, ''],
      ['name: x\nsoak: {count: 5, hold: {min: 6s, max: 2s}}\n', /hold.min must not exceed hold.max/, 'plan.yaml:2:18'],
    ]
    for (const [text, re, where] of cases) {
      const e = parseError(text)
      assert.match(e.message, re, text)
      if (where !== '') assert.equal(e.where, where, `${text} → ${e.message}`)
      assert.match(e.message, /^plan plan\.yaml:\d+:\d+: /)
    }
  })

  it('stop_when check: an HTTP URL and/or an argv command, with expect, from, timeout and every', () => {
    const p = parsePlan(
      'name: x\nstop_when:\n  check: {http: "http://10.66.0.100/", expect: 204, from: client, command: [curl, -sf, "http://10.66.0.21/"], timeout: 1s, every: 500ms}\nsteps:\n  - pause: 1s\n',
      'plan.yaml',
    )
    assert.deepEqual(p.stop, {
      budgetSharePct: null,
      splitBrain: false,
      outageOverMs: null,
      timeLimitMs: null,
      http: {url: 'http://10.66.0.100/', expect: 204, from: 'client'},
      command: ['curl', '-sf', 'http://10.66.0.21/'],
      checkEveryMs: 500,
      checkTimeoutMs: 1000,
    })
    // defaults: expect 200, every 2 s, the per-kind timeout (null)
    const q = parsePlan('name: x\nstop_when: {check: {command: ["true"]}}\nsteps:\n  - pause: 1s\n', 'plan.yaml')
    assert.deepEqual([q.stop.http, q.stop.command, q.stop.checkEveryMs, q.stop.checkTimeoutMs], [null, ['true'], 2000, null])
    const h = parsePlan('name: x\nstop_when: {check: {http: "http://a/"}}\nsteps:\n  - pause: 1s\n', 'plan.yaml')
    assert.deepEqual(h.stop.http, {url: 'http://a/', expect: 200, from: null})
    // the flat spelling of older plans still reads the same
    const f = parsePlan('name: x\nstop_when: {http: "http://a/", http_expect: 204, command: ["true"], check_every: 1s}\nsteps:\n  - pause: 1s\n', 'plan.yaml')
    assert.deepEqual([f.stop.http, f.stop.command, f.stop.checkEveryMs, f.stop.checkTimeoutMs], [{url: 'http://a/', expect: 204, from: null}, ['true'], 1000, null])
  })

  it('bad stop_when checks: what is wrong, at file:line:col', () => {
    const cases: Array<[string, RegExp, string]> = [
      ['name: x\nstop_when:\n  check: {expect: 200}\nsteps:\n  - pause: 1s\n', /a check needs http: URL, command: \[argv\], or both/, 'plan.yaml:3:3'],
      ['name: x\nstop_when:\n  check: {command: "curl -sf http://a/"}\nsteps:\n  - pause: 1s\n', /check.command: Invalid input: expected array/, 'plan.yaml:3:11'],
      ['name: x\nstop_when:\n  check: {http: "10.66.0.100"}\nsteps:\n  - pause: 1s\n', /check.http: an http:\/\/ or https:\/\/ URL/, 'plan.yaml:3:11'],
      ['name: x\nstop_when:\n  check: {http: "http://a/", evry: 1s}\nsteps:\n  - pause: 1s\n', /unknown key "evry"/, ''],
      ['name: x\nstop_when:\n  http: "http://a/"\n  check: {command: ["true"]}\nsteps:\n  - pause: 1s\n', /give the external check once/, 'plan.yaml:4:3'],
      ['name: x\nstop_when:\n  check: {command: []}\nsteps:\n  - pause: 1s\n', /an argv array/, 'plan.yaml:3:11'],
    ]
    for (const [text, re, where] of cases) {
      const e = parseError(text)
      assert.match(e.message, re, text)
      if (where !== '') assert.equal(e.where, where, `${text} → ${e.message}`)
    }
  })
})
