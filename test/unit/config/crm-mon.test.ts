import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseCrmMon, parseCrmMonXml} from '../../../src/config/crm-mon.js'
import {isHachaosError} from '../../../src/errors.js'
import {readFixture} from '../../fixture.js'
import {PACEMAKER_XML_WORDS, fuzzFailsCleanly, lineOf} from './helpers.js'

describe('crm_mon XML reader (doctor: with lines; cluster commands: parseCrmMonXml)', () => {
  it('reads crm_mon XML of the 2-node lab: healthy, failed action, standby, killed node; lines for the evidence', () => {
    const text = readFixture('pacemaker', 'lab-2node-crm_mon.xml')
    const ok = parseCrmMon(text, {file: 'm.xml'})
    assert.deepEqual([ok.state.stack, ok.state.dc, ok.state.quorum], ['corosync', 'hcdk-n2', true])
    assert.equal(ok.state.stonithEnabled, false)
    assert.deepEqual(ok.state.nodes.map((n) => [n.name, n.online, n.standby, n.isDc]), [['hcdk-n1', true, false, false], ['hcdk-n2', true, false, true]])
    assert.deepEqual(ok.lines.nodes, [lineOf(text, '<node name="hcdk-n1"'), lineOf(text, '<node name="hcdk-n2"')])
    assert.deepEqual([ok.lines.summary, ok.lines.dc], [lineOf(text, '<summary>'), lineOf(text, '<current_dc')])
    assert.deepEqual(ok.state.resources.map((r) => [r.id, r.group, r.role, r.nodes]), [['vip', 'g_web', 'Started', ['hcdk-n1']], ['web', 'g_web', 'Started', ['hcdk-n1']]])
    assert.deepEqual(ok.state.failures, [])
    assert.equal(ok.unreadable, null)
    const badText = readFixture('pacemaker', 'lab-2node-bad-crm_mon.xml')
    const bad = parseCrmMon(badText, {file: 'm.xml'})
    assert.deepEqual(bad.state.failures.map((f) => [f.opKey, f.node, f.exitStatus, f.exitReason]), [['broken_start_0', 'hcdk-n1', 'not configured', '[findif] failed']])
    assert.deepEqual(bad.lines.failures, [lineOf(badText, '<failure op_key="broken_start_0"')])
    assert.deepEqual(bad.state.resources.filter((r) => r.clone === 'cl_ping_dummy').map((r) => r.nodes[0]), ['hcdk-n2', 'hcdk-n1'])
    const sb = parseCrmMon(readFixture('pacemaker', 'lab-2node-standby-crm_mon.xml'), {file: 'm.xml'})
    assert.equal(sb.state.nodes.find((n) => n.name === 'hcdk-n2')?.standby, true)
    const killed = parseCrmMon(readFixture('pacemaker', 'lab-2node-n2-killed-crm_mon.xml'), {file: 'm.xml'})
    assert.deepEqual(killed.state.nodes.map((n) => [n.name, n.online]), [['hcdk-n1', true], ['hcdk-n2', false]])
    assert.equal(killed.state.dc, 'hcdk-n1')
  })

  it('a crm_mon that could not read the cluster is a document for doctor, a HOST error for the cluster commands', () => {
    const m = parseCrmMon(readFixture('cluster', 'crm_mon-no-cib.xml'), {file: 'n3'})
    assert.match(m.unreadable ?? '', /Transport endpoint is not connected/)
    assert.deepEqual([m.state.nodes, m.state.dc, m.lines.dc], [[], null, null])
  })

  it('a node whose CIB is unreachable: crm_mon says code 0 but has no summary → a HOST error with the reason', () => {
    assert.throws(() => parseCrmMonXml(readFixture('cluster', 'crm_mon-no-cib.xml'), 'n3'), (e: unknown) => isHachaosError(e) && e.exitName === 'HOST' && /Transport endpoint is not connected/.test(e.message))
  })

  it('bad input: not XML, broken XML, another document', () => {
    assert.throws(() => parseCrmMonXml('Connection to cluster failed', 'f.xml'), (e: unknown) => isHachaosError(e) && e.exitName === 'BAD_INPUT' && /not crm_mon XML/.test(e.message))
    const broken = readFixture('cluster', 'crm_mon-online.xml').replace('</nodes>', '')
    assert.throws(() => parseCrmMonXml(broken, 'f.xml'), (e: unknown) => isHachaosError(e) && /^crm_mon XML f\.xml:\d+: not well-formed/.test(e.message))
    assert.throws(() => parseCrmMonXml('<cib/>', 'f.xml'), (e: unknown) => isHachaosError(e) && /no <pacemaker-result>/.test(e.message))
  })

  it('names file:line for malformed or wrong XML', () => {
    const cases: Array<[() => unknown, string]> = [
      [() => parseCrmMon('', {file: 'm.xml'}), 'm.xml:1'],
      [() => parseCrmMon('<cib/>', {file: 'm.xml'}), 'm.xml:1'],
      [() => parseCrmMon(readFixture('pacemaker', 'lab-2node-crm_mon.xml').slice(0, 900), {file: 'm.xml'}), 'm.xml:13'], // cut inside line 13,
      [() => parseCrmMon('\n\nConnection to cluster failed', {file: 'm.xml'}), 'm.xml:3'],
    ]
    for (const [fn, where] of cases) assert.throws(fn, (e: unknown) => isHachaosError(e) && e.exitName === 'BAD_INPUT' && e.where === where, where)
  })

  it('fuzzed input: a document or a clean error', () => {
    fuzzFailsCleanly((t) => parseCrmMon(t, {file: 'f.xml'}), PACEMAKER_XML_WORDS, 'f.xml')
  })
})
