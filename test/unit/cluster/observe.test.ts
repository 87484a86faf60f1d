import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {ClusterWatcher, clusterFacts, parseArpingLine} from '../../../src/stacks/pacemaker/observe.js'
import {parseCrmMonXml} from '../../../src/config/crm-mon.js'
import {RecordingExecutor} from '../../../src/exec/recording.js'
import type {TimelineEvent} from '../../../src/store/run-types.js'
import {readFixture} from '../../fixture.js'

describe('cluster observers', () => {
  it('arping lines (iputils and busybox, captured from the lab client)', () => {
    assert.deepEqual(parseArpingLine('Unicast reply from 10.77.0.100 [02:48:43:77:00:0C]  0.542ms'), {sip: '10.77.0.100', smac: '02:48:43:77:00:0c', broadcast: false})
    assert.deepEqual(parseArpingLine('Unicast reply from 10.77.0.100 [02:48:43:77:00:0c] 0.010ms'), {sip: '10.77.0.100', smac: '02:48:43:77:00:0c', broadcast: false})
    assert.equal(parseArpingLine('ARPING 10.77.0.100 from 10.77.0.50 eth0'), null)
    assert.equal(parseArpingLine('Received 1 response(s)'), null)
  })

  it('clusterFacts: resources, node conditions, the DC and fence events of one reading', () => {
    const f = clusterFacts(parseCrmMonXml(readFixture('cluster', 'crm_mon-fenced.xml')))
    assert.deepEqual(f.get('vip'), {node: 'n2', role: 'Started'})
    assert.deepEqual(f.get('@dc'), {node: 'n2', role: 'dc'})
    assert.deepEqual(f.get('@node:n1'), {node: 'n1', role: 'offline'})
    assert.ok([...f.keys()].some((k) => k.startsWith('@fence:n1:reboot:')))
  })

  it('ClusterWatcher emits only changes, prefers nodes not under fault, and falls back when one does not answer', async () => {
    const readings = ['crm_mon-online.xml', 'crm_mon-online.xml', 'crm_mon-unclean.xml', 'crm_mon-fenced.xml']
    let i = 0
    const n2 = new RecordingExecutor('n2').on(['crm_mon'], {code: 1, stdout: readFixture('cluster', 'crm_mon-no-cib.xml')})
    const n3 = new RecordingExecutor('n3').on((argv) => (argv[0] === 'crm_mon' ? {stdout: readFixture('cluster', readings[Math.min(i++, readings.length - 1)] as string)} : undefined))
    const n1 = new RecordingExecutor('n1')
    const events: TimelineEvent[] = []
    const w = new ClusterWatcher({nodes: [{name: 'n1', exec: n1}, {name: 'n2', exec: n2}, {name: 'n3', exec: n3}], avoid: ['n1'], intervalMs: 1, emit: (e) => events.push(e)})
    for (let k = 0; k < readings.length; k++) await (w as unknown as {round(): Promise<void>}).round()
    assert.equal(n1.calls.length, 0, 'the target is asked last')
    const cl = events.filter((e): e is Extract<TimelineEvent, {type: 'cluster'}> => e.type === 'cluster')
    assert.ok(cl.every((e) => e.host === 'n3'))
    // second reading = first: nothing new; then n1 unclean, DC n2; then the group on n2 and a fence event
    const after = cl.filter((e) => e.resource === '@node:n1').map((e) => e.role)
    assert.deepEqual(after, ['online', 'unclean', 'offline'])
    assert.deepEqual(cl.filter((e) => e.resource === 'vip').map((e) => e.node), ['n1', 'n2'])
    assert.ok(cl.some((e) => e.resource.startsWith('@fence:n1') && e.role === 'reboot success'))
  })
})
