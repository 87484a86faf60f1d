import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {clusterProperty, keptTogether, parseCib, stonithDevices} from '../../../src/config/pacemaker.js'
import {isHachaosError} from '../../../src/errors.js'
import {fixturePath, readFixture} from '../../fixture.js'
import {PACEMAKER_XML_WORDS, fuzzFailsCleanly, lineOf} from './helpers.js'

describe('Pacemaker CIB', () => {
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

  it('names file:line for malformed or wrong XML', () => {
    const cases: Array<[() => unknown, string]> = [
      [() => parseCib('<cib>\n<configuration>\n</cib>', {file: 'c.xml'}), 'c.xml:3'],
      [() => parseCib('<pacemaker-result/>', {file: 'c.xml'}), 'c.xml:1'],
      [() => parseCib('<cib/>', {file: 'c.xml'}), 'c.xml:1'],
      [() => parseCib('<cib><configuration><resources>\n<primitive id="x"/></resources></configuration></cib>', {file: 'c.xml'}), 'c.xml:2'],
    ]
    for (const [fn, where] of cases) assert.throws(fn, (e: unknown) => isHachaosError(e) && e.exitName === 'BAD_INPUT' && e.where === where, where)
  })

  it('fuzzed input: a config or a clean error', () => {
    fuzzFailsCleanly((t) => parseCib(t, {file: 'f.xml'}), PACEMAKER_XML_WORDS, 'f.xml')
  })
})
