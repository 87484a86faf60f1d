import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {clusterProperty, keptTogether, parseCib, parseCrmMon, stonithDevices} from '../../../src/config/pacemaker.js'
import {isHachaosError} from '../../../src/errors.js'
import {fixturePath, readFixture} from '../../fixture.js'
import {fuzzFailsCleanly, lineOf} from './helpers.js'

describe('Pacemaker CIB and crm_mon XML', () => {
  it('reads the lab CIB (cibadmin -Q, 2 nodes, VIP + apache group)', () => {
    const text = readFixture('pacemaker', 'lab-2node-cib.xml')
    const cib = parseCib(text, {file: fixturePath('pacemaker', 'lab-2node-cib.xml')})
    assert.equal(clusterProperty(cib, 'stonith-enabled', 'true').value, 'false')
    assert.equal(clusterProperty(cib, 'stonith-enabled', 'true').set?.line, lineOf(text, 'name="stonith-enabled"'))
    assert.equal(clusterProperty(cib, 'no-quorum-policy', 'stop').set, undefined)
    assert.deepEqual(cib.nodes.map((n) => n.uname), ['hcdk-n1', 'hcdk-n2'])
    assert.deepEqual(
      cib.primitives.map((p) => [p.id, p.agent, p.group, p.ops.map((o) => `${o.name}/${o.interval}`), p.line]),
      [
        ['vip', 'ocf:heartbeat:IPaddr2', 'g_web', ['monitor/5s'], lineOf(text, '<primitive id="vip"')],
        ['web', 'ocf:heartbeat:apache', 'g_web', ['monitor/10s'], lineOf(text, '<primitive id="web"')],
      ],
    )
    assert.equal(cib.primitives[0]?.params['ip'], '10.78.0.100')
    assert.deepEqual(cib.groups.map((g) => [g.id, g.members]), [['g_web', ['vip', 'web']]])
    assert.equal(cib.rscDefaults['resource-stickiness']?.value, '100')
    assert.equal(cib.haveQuorum, true)
    assert.deepEqual(stonithDevices(cib), [])
    const [vip, web] = cib.primitives
    assert.ok(vip !== undefined && web !== undefined)
    assert.equal(keptTogether(cib, vip, web), true)
  })

  it('reads the changed lab CIB: ungrouped VIP, primitive without ops, clone', () => {
    const cib = parseCib(readFixture('pacemaker', 'lab-2node-bad-cib.xml'), {file: 'cib.xml'})
    const vip2 = cib.primitives.find((p) => p.id === 'vip2')
    const web = cib.primitives.find((p) => p.id === 'web')
    assert.ok(vip2 !== undefined && web !== undefined)
    assert.equal(vip2.group, undefined)
    assert.equal(keptTogether(cib, vip2, web), false)
    assert.deepEqual(cib.primitives.find((p) => p.id === 'db')?.ops, [])
    assert.deepEqual(cib.clones.map((c) => [c.id, c.kind, c.child]), [['cl_ping_dummy', 'clone', 'db']])
    assert.equal(cib.primitives.find((p) => p.id === 'db')?.clone, 'cl_ping_dummy')
  })

  it('reads colocation constraints and resource sets', () => {
    const xml = `<cib><configuration><crm_config/><nodes/><resources>
  <primitive id="ip" class="ocf" provider="heartbeat" type="IPaddr2"/>
  <primitive id="db" class="ocf" provider="heartbeat" type="pgsql"/>
  <primitive id="fs" class="ocf" provider="heartbeat" type="Filesystem"/>
</resources><constraints>
  <rsc_colocation id="col-ip-db" rsc="ip" with-rsc="db" score="INFINITY"/>
  <rsc_colocation id="set" score="INFINITY"><resource_set id="s1"><resource_ref id="fs"/><resource_ref id="db"/></resource_set></rsc_colocation>
  <rsc_colocation id="apart" rsc="fs" with-rsc="ip" score="-INFINITY"/>
</constraints></configuration></cib>`
    const cib = parseCib(xml, {file: 'c.xml'})
    const [ip, db, fs] = cib.primitives
    assert.ok(ip !== undefined && db !== undefined && fs !== undefined)
    assert.equal(keptTogether(cib, ip, db), true)
    assert.equal(keptTogether(cib, fs, db), true)
    assert.equal(keptTogether(cib, fs, ip), false, 'a negative score keeps them apart')
    assert.deepEqual(cib.constraints.map((c) => [c.id, c.line]), [['col-ip-db', 6], ['set', 7], ['apart', 8]])
  })

  it('reads crm_mon XML: healthy, failed action, standby, killed node', () => {
    const ok = parseCrmMon(readFixture('pacemaker', 'lab-2node-crm_mon.xml'), {file: 'm.xml'})
    assert.deepEqual([ok.stack, ok.dc?.name, ok.dc?.withQuorum], ['corosync', 'hcdk-n2', true])
    assert.equal(ok.clusterOptions['stonith-enabled'], 'false')
    assert.deepEqual(ok.nodes.map((n) => [n.name, n.online, n.standby, n.isDc]), [['hcdk-n1', true, false, false], ['hcdk-n2', true, false, true]])
    assert.deepEqual(ok.resources.map((r) => [r.id, r.group, r.role, r.nodes]), [['vip', 'g_web', 'Started', ['hcdk-n1']], ['web', 'g_web', 'Started', ['hcdk-n1']]])
    assert.deepEqual(ok.failures, [])
    const bad = parseCrmMon(readFixture('pacemaker', 'lab-2node-bad-crm_mon.xml'), {file: 'm.xml'})
    assert.deepEqual(bad.failures.map((f) => [f.opKey, f.node, f.exitstatus, f.exitreason]), [['broken_start_0', 'hcdk-n1', 'not configured', '[findif] failed']])
    assert.deepEqual(bad.resources.filter((r) => r.clone === 'cl_ping_dummy').map((r) => r.nodes[0]), ['hcdk-n2', 'hcdk-n1'])
    const sb = parseCrmMon(readFixture('pacemaker', 'lab-2node-standby-crm_mon.xml'), {file: 'm.xml'})
    assert.equal(sb.nodes.find((n) => n.name === 'hcdk-n2')?.standby, true)
    const killed = parseCrmMon(readFixture('pacemaker', 'lab-2node-n2-killed-crm_mon.xml'), {file: 'm.xml'})
    assert.deepEqual(killed.nodes.map((n) => [n.name, n.online]), [['hcdk-n1', true], ['hcdk-n2', false]])
    assert.equal(killed.dc?.name, 'hcdk-n1')
  })

  it('names file:line for malformed or wrong XML', () => {
    const cases: Array<[() => unknown, string]> = [
      [() => parseCib('<cib>\n<configuration>\n</cib>', {file: 'c.xml'}), 'c.xml:3'],
      [() => parseCib('<pacemaker-result/>', {file: 'c.xml'}), 'c.xml:1'],
      [() => parseCib('<cib/>', {file: 'c.xml'}), 'c.xml:1'],
      [() => parseCib('<cib><configuration><resources>\n<primitive id="x"/></resources></configuration></cib>', {file: 'c.xml'}), 'c.xml:2'],
      [() => parseCrmMon('', {file: 'm.xml'}), 'm.xml:1'],
      [() => parseCrmMon('<cib/>', {file: 'm.xml'}), 'm.xml:1'],
      [() => parseCrmMon(readFixture('pacemaker', 'lab-2node-crm_mon.xml').slice(0, 900), {file: 'm.xml'}), 'm.xml:13'], // cut inside line 13,
    ]
    for (const [fn, where] of cases) assert.throws(fn, (e: unknown) => isHachaosError(e) && e.exitName === 'BAD_INPUT' && e.where === where, where)
  })

  it('fuzzed input: a config or a clean error', () => {
    const words = ['<cib>', '</cib>', '<configuration>', '</configuration>', '<resources>', '</resources>', '<primitive id="a" class="ocf" type="x"/>', '<group id="g">', '</group>',
      '<nvpair name="stonith-enabled" value="false"/>', '<', '>', '"', '\n', '<pacemaker-result>', '</pacemaker-result>', '<node name="n" online="true"/>']
    fuzzFailsCleanly((t) => parseCib(t, {file: 'f.xml'}), words, 'f.xml')
    fuzzFailsCleanly((t) => parseCrmMon(t, {file: 'f.xml'}), words, 'f.xml')
  })
})
