import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseCfgtool, parseQuorumtool} from '../../../src/stacks/pacemaker/corosync-tools.js'
import {isHachaosError} from '../../../src/errors.js'
import {readFixture} from '../../fixture.js'

const fixture = (name: string): string => readFixture('cluster', name)

describe('corosync tools', () => {
  it('corosync-quorumtool -s: quorate, 3 of 3 votes, members with the local node', () => {
    const q = parseQuorumtool(fixture('quorumtool-3node.txt'))
    assert.equal(q.quorate, true)
    assert.deepEqual([q.nodes, q.expectedVotes, q.totalVotes, q.quorum, q.nodeId], [3, 3, 3, 2, 2])
    assert.deepEqual(q.flags, ['Quorate'])
    assert.deepEqual(q.members.map((m) => [m.nodeid, m.name, m.local]), [[1, 'n1', false], [2, 'n2', true], [3, 'n3', false]])
  })

  it('corosync-quorumtool -l: the member table only', () => {
    const q = parseQuorumtool(fixture('quorumtool-list.txt'))
    assert.deepEqual(q.members.map((m) => m.name), ['n1', 'n2', 'n3'])
  })

  it('corosync-cfgtool -s (knet): link 0, every peer connected', () => {
    const c = parseCfgtool(fixture('cfgtool-3node.txt'))
    assert.equal(c.localNodeId, 2)
    assert.equal(c.transport, 'knet')
    assert.deepEqual(c.links.map((l) => [l.id, l.transport, l.addr]), [[0, 'udp', '10.77.0.12']])
    assert.deepEqual(c.links[0]?.peers.map((p) => [p.nodeid, p.state]), [[1, 'connected'], [2, 'localhost'], [3, 'connected']])
    assert.deepEqual(c.faults, [])
  })

  it('garbage is refused with the source named', () => {
    assert.throws(() => parseQuorumtool('', 'n1'), (e: unknown) => isHachaosError(e) && /^n1: not corosync-quorumtool/.test(e.message))
    assert.throws(() => parseCfgtool('Could not initialize corosync configuration API error 2', 'n1'), (e: unknown) => isHachaosError(e) && /^n1: not corosync-cfgtool/.test(e.message))
  })
})

describe('corosync tools in a partition (n1 cut off from n2, n3 by nftables on the lab)', () => {
  it('quorumtool on the minority: not quorate, 1 of 3 votes, "Activity blocked"', () => {
    const q = parseQuorumtool(fixture('quorumtool-no-quorum.txt'))
    assert.equal(q.quorate, false)
    assert.deepEqual([q.totalVotes, q.expectedVotes, q.quorum], [1, 3, 2])
    assert.deepEqual(q.flags, [])
    assert.deepEqual(q.members.map((m) => m.name), ['n1'])
  })

  it('cfgtool on the minority: both peers disconnected, reported as faults', () => {
    const c = parseCfgtool(fixture('cfgtool-partitioned.txt'))
    assert.deepEqual(c.faults, ['link 0: node 2 disconnected', 'link 0: node 3 disconnected'])
  })
})
