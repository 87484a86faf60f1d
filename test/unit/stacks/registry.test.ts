/**
 * A stack is a folder (issue 15): its doctor rules and the hosts its drills lock come from its StackModule
 * (src/stacks/<name>/), the registry is the one list, and the drill engine, the timeline and doctor's engine
 * name no stack.
 */
import assert from 'node:assert/strict'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'
import {describe, it} from 'node:test'

import {SHARED_RULES, findRule, runDoctor} from '../../../src/doctor/index.js'
import {parseInventory} from '../../../src/inventory/inventory.js'
import {STACKS, doctorRules, drillLockKeys, soakCatalogue, soakFaultsFor, stackHosts, stackLabel} from '../../../src/stacks/registry.js'
import type {StackModule} from '../../../src/stacks/types.js'
import {REPO_ROOT} from '../../fixture.js'

const STACK_WORDS = /keepalived|haproxy|pacemaker|corosync|heartbeat|gluster|\blvs\b|ipvs/i

function tsFiles(dir: string): string[] {
  const out: string[] = []
  for (const n of readdirSync(dir)) {
    const p = join(dir, n)
    if (statSync(p).isDirectory()) out.push(...tsFiles(p))
    else if (p.endsWith('.ts')) out.push(p)
  }
  return out
}

/** Code lines (comments aside) of the files under `dir` that name a stack. */
function namingStacks(dir: string): string[] {
  const bad: string[] = []
  for (const f of tsFiles(join(REPO_ROOT, dir))) {
    readFileSync(f, 'utf8')
      .split('\n')
      .forEach((l, i) => {
        const t = l.trim()
        if (t.startsWith('*') || t.startsWith('/*') || t.startsWith('//')) return
        if (STACK_WORDS.test(l.replace(/\/\/.*$/, ''))) bad.push(`${relative(REPO_ROOT, f)}:${i + 1}`)
      })
  }
  return bad
}

describe('stacks: doctor rules live with their stack', () => {
  it('doctorRules() is the shared rules and every stack\'s own, each once, ids unique', () => {
    const all = doctorRules()
    assert.equal(all.length, SHARED_RULES.length + STACKS.reduce((n, s) => n + (s.rules?.length ?? 0), 0))
    assert.equal(new Set(all.map((r) => r.id)).size, all.length, 'rule ids are unique over every stack')
    for (const s of STACKS) for (const r of s.rules ?? []) assert.ok(all.includes(r), `${s.name}: ${r.id}`)
  })

  it('the shared rules are no drill stack\'s (their ids name none of keepalived, HAProxy, Corosync/Pacemaker, Heartbeat, GlusterFS, VRRP peers)', () => {
    const stackOwn = SHARED_RULES.filter((r) => /^(keepalived|haproxy|corosync|pacemaker|heartbeat|gluster|cross)-/.test(r.id)).map((r) => r.id)
    assert.deepEqual(stackOwn, [])
    // … and each stack's rules are where its folder is: keepalived's VRRP/HAProxy ones, Pacemaker's cluster ones
    const of = (name: string): string[] => (STACKS.find((s) => s.name === name)?.rules ?? []).map((r) => r.id)
    assert.ok(of('keepalived').includes('keepalived-priority-range') && of('keepalived').includes('haproxy-server-no-check') && of('keepalived').includes('cross-peer-config-mismatch'))
    assert.ok(of('pacemaker').includes('corosync-two-node-missing') && of('pacemaker').includes('pacemaker-stonith-disabled'))
    assert.ok(of('pacemaker').every((id) => /^(corosync|pacemaker)-/.test(id)), of('pacemaker').join(', '))
    assert.ok(of('gluster').includes('gluster-replica2-no-arbiter'), of('gluster').join(', '))
    assert.ok(of('gluster').every((id) => /^gluster-/.test(id)), of('gluster').join(', '))
  })

  it('runDoctor and findRule run the list they are given (an unknown id in that list is a usage error)', () => {
    const r = findRule('keepalived-priority-range', doctorRules())
    assert.equal(r.id, 'keepalived-priority-range')
    assert.throws(() => findRule('keepalived-priority-range', SHARED_RULES), /no doctor rule/)
    assert.deepEqual(runDoctor({hosts: []}, {rules: doctorRules()}).findings, [])
  })

  it('the drill engine, the timeline, the watcher and the dashboard (src/tui) name no stack (code lines; comments may)', () => {
    assert.deepEqual([...namingStacks('src/drill'), ...namingStacks('src/timeline'), ...namingStacks('src/watch'), ...namingStacks('src/tui')], [])
  })

  it('the game day runner and its soak (src/gameday) name no stack: the soak catalogue comes from the stacks', () => {
    assert.deepEqual(namingStacks('src/gameday'), [])
  })

  it('doctor\'s engine imports no stack rule file', () => {
    const text = readFileSync(join(REPO_ROOT, 'src', 'doctor', 'index.ts'), 'utf8')
    assert.doesNotMatch(text, /from '.*(stacks|rules\/(keepalived|haproxy|cluster|cross))/)
  })
})

describe('stacks: the soak catalogue comes from StackModule.soakFaults', () => {
  const inv = parseInventory(
    `
name: soak
hosts:
  lb1: {address: 10.0.0.11, roles: [lb]}
  web1: {address: 10.0.0.21, roles: [web]}
  n1: {address: 10.0.1.1, roles: [cluster-node]}
  both: {address: 10.0.3.1, roles: [cluster-node, lb]}
  hb1: {address: 10.0.2.1, roles: [heartbeat-node]}
  g1: {address: 10.0.5.1, roles: [gluster-node]}
  dir1: {address: 10.0.6.1, roles: [lvs-director]}
  client: {address: 10.0.9.1, roles: [client]}
`,
    'inv.yaml',
  )
  const host = (n: string): (typeof inv.hosts)[number] => inv.hosts.find((h) => h.name === n) as (typeof inv.hosts)[number]
  const names = (n: string): string[] => soakFaultsFor(host(n), inv).faults.map((f) => f.name)

  it('every registered stack has a soak catalogue, names unique within it, every entry drawn for one of its roles', () => {
    for (const s of STACKS) {
      assert.ok(s.soakCatalogue !== undefined && s.soakCatalogue.length > 0 && s.soakFaults !== undefined, s.name)
      assert.equal(new Set(s.soakCatalogue.map((c) => c.name)).size, s.soakCatalogue.length, s.name)
      for (const c of s.soakCatalogue) assert.ok(c.roles.length > 0, `${s.name}: ${c.name}`)
    }
    assert.deepEqual(soakCatalogue().map((c) => c.stack), STACKS.map((s) => s.name))
  })

  it('a target gets its own stack\'s entries (the first stack that takes it), a client none', () => {
    assert.deepEqual(soakFaultsFor(host('lb1'), inv).stack, 'keepalived')
    assert.deepEqual(names('web1'), ['kill apache2'])
    assert.deepEqual(names('n1'), ['cluster-standby', 'cluster-move', 'cluster-kill corosync', 'cluster-partition', 'nic-down cluster node'])
    // a cluster node that is also an lb is drilled as a cluster node: Pacemaker's entries only, none of keepalived's
    assert.deepEqual(names('both'), names('n1'))
    assert.deepEqual(names('hb1'), ['nic-down', 'kill heartbeat KILL', 'service-stop heartbeat', 'partition'])
    assert.deepEqual(names('g1'), ['nic-down', 'kill gluster-brick'])
    assert.deepEqual(names('dir1'), ['nic-down director'])
    assert.deepEqual(soakFaultsFor(host('client'), inv), {stack: null, records: [], faults: []})
  })
})

describe('stacks: what a drill locks comes from StackModule.lockRoles', () => {
  const inv = parseInventory(
    `
name: mixed
hosts:
  lb1: {address: 10.0.0.11, roles: [lb]}
  lb2: {address: 10.0.0.12, roles: [lb]}
  web1: {address: 10.0.0.21, roles: [web]}
  n1: {address: 10.0.1.1, roles: [cluster-node]}
  n2: {address: 10.0.1.2, roles: [cluster-node]}
  hb1: {address: 10.0.2.1, roles: [heartbeat-node]}
  hb2: {address: 10.0.2.2, roles: [heartbeat-node]}
  both: {address: 10.0.3.1, roles: [cluster-node, lb]}
  bondhost: {address: 10.0.4.1, roles: [bond]}
  client: {address: 10.0.9.1, roles: [client]}
`,
    'inv.yaml',
  )
  const host = (n: string): (typeof inv.hosts)[number] => inv.hosts.find((h) => h.name === n) as (typeof inv.hosts)[number]
  const names = (n: string, stacks?: readonly StackModule[]): string[] => stackHosts(inv, host(n), stacks).map((h) => h.name)

  it('every registered stack says which roles it locks', () => {
    for (const s of STACKS) assert.ok(s.lockRoles !== undefined && s.lockRoles.length > 0, s.name)
  })

  it('Heartbeat locks its pair, Pacemaker its cluster, keepalived the load balancers; the client never', () => {
    assert.deepEqual(names('hb1'), ['hb1', 'hb2'])
    assert.deepEqual(names('n2'), ['n1', 'n2', 'both'])
    assert.deepEqual(names('lb1'), ['lb1', 'lb2', 'both'])
    assert.deepEqual(names('web1'), ['lb1', 'lb2', 'web1', 'both'])
    // a host that is both a cluster node and a load balancer locks both its cluster and its VRRP peers
    assert.deepEqual(names('both'), ['lb1', 'lb2', 'n1', 'n2', 'both'])
    // no stack takes the bond host: itself only
    assert.deepEqual(names('bondhost'), ['bondhost'])
    assert.deepEqual(drillLockKeys(inv, host('hb2')), ['host-10.0.2.1', 'host-10.0.2.2'])
  })

  it('every record key a stack writes has its words (the drill summary line), from the stack itself', () => {
    for (const s of STACKS) for (const k of s.records) assert.notEqual(stackLabel(k), k, `${s.name}: no words for records "${k}"`)
    assert.equal(stackLabel('haproxy'), 'a web server behind HAProxy')
    assert.equal(stackLabel('bond'), 'bond')
  })

  it('a stack without lockRoles locks the hosts sharing a role with the target (the client aside)', () => {
    const bare: StackModule = {name: 'x', summary: 'x', matches: (t) => t.roles.includes('bond'), prepare: () => Promise.reject(new Error('no')), records: [], recordLabels: {}, phases: () => []}
    assert.deepEqual(names('bondhost', [bare]), ['bondhost'])
    const gl = parseInventory('name: g\nhosts:\n  g1: {address: 10.1.0.1, roles: [gluster, client]}\n  g2: {address: 10.1.0.2, roles: [gluster]}\n  c: {address: 10.1.0.9, roles: [client]}\n', 'g.yaml')
    const gstack: StackModule = {...bare, matches: (t) => t.roles.includes('gluster')}
    assert.deepEqual(stackHosts(gl, gl.hosts[0] as (typeof gl.hosts)[number], [gstack]).map((h) => h.name), ['g1', 'g2'])
  })
})
