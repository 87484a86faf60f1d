import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {clusterHealth, nodeCondition, placementOf, readCrmMon} from '../../../src/stacks/pacemaker/crm-mon.js'
import {parseCrmMonXml} from '../../../src/config/crm-mon.js'
import {readFixture} from '../../fixture.js'
import {RecordingExecutor} from '../../../src/exec/recording.js'

const fixture = (name: string): string => readFixture('cluster', name)

describe('crm_mon XML (captured from the 3-node lab)', () => {
  it('online: three nodes online, DC n1 with quorum, g_web started once on n1', () => {
    const s = parseCrmMonXml(fixture('crm_mon-online.xml'), 'online.xml')
    assert.equal(s.stack, 'corosync')
    assert.equal(s.dc, 'n1')
    assert.equal(s.dcVersion, '2.1.5-a3f44794f94')
    assert.equal(s.quorum, true)
    assert.equal(s.stonithEnabled, false)
    assert.equal(s.noQuorumPolicy, 'stop')
    assert.deepEqual(s.nodes.map((n) => [n.name, nodeCondition(n), n.isDc]), [['n1', 'online', true], ['n2', 'online', false], ['n3', 'online', false]])
    assert.deepEqual(s.groups, [{id: 'g_web', resources: ['vip', 'web'], disabled: false, managed: true}])
    const vip = s.resources.find((r) => r.id === 'vip')
    assert.equal(vip?.agent, 'ocf:heartbeat:IPaddr2')
    assert.equal(vip?.group, 'g_web')
    assert.deepEqual(vip?.nodes, ['n1'])
    const p = placementOf(s, 'g_web')
    assert.deepEqual(p?.nodes, ['n1'])
    assert.equal(p?.startedOnce, true)
    assert.deepEqual(clusterHealth(s, {group: 'g_web'}), {healthy: true, problems: [], warnings: []})
    // the operation history carries the agents' own timings
    const start = s.history.find((h) => h.resource === 'web')?.operations.find((o) => o.task === 'start')
    assert.ok(start !== undefined && start.execMs !== null && start.execMs > 0)
    assert.equal(s.history.find((h) => h.resource === 'vip')?.operations.find((o) => o.task === 'monitor')?.interval, 5000)
  })

  it('standby: n2 is in standby and runs nothing', () => {
    const s = parseCrmMonXml(fixture('crm_mon-standby.xml'))
    const n2 = s.nodes.find((n) => n.name === 'n2')
    assert.equal(n2?.standby, true)
    assert.equal(nodeCondition(n2 ?? s.nodes[0]!), 'standby')
    assert.equal(n2?.resourcesRunning, 0)
    const h = clusterHealth(s, {group: 'g_web'})
    assert.equal(h.healthy, false)
    assert.deepEqual(h.problems, ['node n2 is in standby'])
  })

  it('unclean: n1 lost (corosync killed, fencing pending); the DC moved to n2; the group still shows on n1', () => {
    const s = parseCrmMonXml(fixture('crm_mon-unclean.xml'))
    const n1 = s.nodes.find((n) => n.name === 'n1')
    assert.equal(n1?.online, false)
    assert.equal(n1?.unclean, true)
    assert.equal(nodeCondition(n1 ?? s.nodes[0]!), 'unclean')
    assert.equal(s.dc, 'n2')
    assert.equal(s.stonithEnabled, true)
    assert.deepEqual(placementOf(s, 'g_web')?.nodes, ['n1'])
    assert.ok(clusterHealth(s).problems.includes('node n1 is unclean'))
    assert.ok(s.resources.some((r) => r.agent === 'stonith:fence_hachaos_lab'))
  })

  it('fenced: the fence history says n1 was rebooted by n2; the group runs on n2', () => {
    const s = parseCrmMonXml(fixture('crm_mon-fenced.xml'))
    assert.deepEqual(s.fencing.map((e) => [e.action, e.target, e.status, e.delegate]), [['reboot', 'n1', 'success', 'n2']])
    assert.equal(s.nodes.find((n) => n.name === 'n1')?.unclean, false)
    assert.deepEqual(placementOf(s, 'g_web')?.nodes, ['n2'])
  })

  it('failed actions: the apache monitor saw "not running" on n1, fail-count 1, restarted in place', () => {
    const s = parseCrmMonXml(fixture('crm_mon-failed-action.xml'))
    assert.equal(s.failures.length, 1)
    const f = s.failures[0]!
    assert.equal(f.resource, 'web')
    assert.equal(f.task, 'monitor')
    assert.equal(f.node, 'n1')
    assert.equal(f.interval, 10000)
    assert.equal(f.exitCode, 7)
    assert.equal(f.exitStatus, 'not running')
    assert.equal(s.history.find((h) => h.resource === 'web' && h.node === 'n1')?.failCount, 1)
    const h = clusterHealth(s, {group: 'g_web'})
    assert.equal(h.healthy, true)
    assert.deepEqual(h.warnings, ['failed action: web monitor (every 10 s) failed on n1: not running, exit 7 at 2026-11-22 23:04:51Z'])
  })

  it('readCrmMon runs crm_mon -1 --output-as=xml through the executor', async () => {
    const ex = new RecordingExecutor('n1').on(['crm_mon'], {stdout: fixture('crm_mon-online.xml')})
    const r = await readCrmMon(ex)
    assert.deepEqual(ex.calls.map((c) => c.argv), [['crm_mon', '-1', '--output-as=xml']])
    assert.equal(r.state.dc, 'n1')
    assert.equal(r.host, 'n1')
  })
})

describe('crm_mon XML on the minority of a partition', () => {
  it('n1 is its own DC without quorum; the others look offline from there', () => {
    const s = parseCrmMonXml(fixture('crm_mon-no-quorum.xml'))
    assert.equal(s.dc, 'n1')
    assert.equal(s.quorum, false)
    const h = clusterHealth(s)
    assert.ok(h.problems.includes('partition of n1 has no quorum'), h.problems.join('; '))
    assert.deepEqual(s.nodes.filter((n) => !n.online).map((n) => n.name).sort(), ['n2', 'n3'])
  })
})
