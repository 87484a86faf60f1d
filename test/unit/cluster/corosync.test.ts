import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {corosyncPorts, effectiveTimers, nodeAddresses, parseCorosyncConf} from '../../../src/cluster/corosync-conf.js'
import {parseCfgtool, parseCmapctl, parseQuorumtool, runtimeTotem} from '../../../src/cluster/corosync-tools.js'
import {isHachaosError} from '../../../src/errors.js'
import {readFixture} from '../../fixture.js'

const fixture = (name: string): string => readFixture('cluster', name)

describe('corosync.conf', () => {
  it('the lab (3 nodes, token 1000): effective token and consensus match what corosync runs with (cmapctl fixture)', () => {
    const c = parseCorosyncConf(fixture('corosync-lab-3node.conf'), 'lab.conf')
    assert.equal(c.transport, 'knet')
    assert.equal(c.totem.token, 1000)
    assert.equal(c.totem.consensus, null)
    assert.equal(c.quorum.twoNode, false)
    assert.equal(c.quorum.provider, 'corosync_votequorum')
    assert.deepEqual(c.nodes.map((n) => [n.name, n.nodeid, n.rings]), [['n1', 1, ['10.77.0.11']], ['n2', 2, ['10.77.0.12']], ['n3', 3, ['10.77.0.13']]])
    assert.deepEqual(nodeAddresses(c, 'n2'), ['10.77.0.12'])
    assert.deepEqual(corosyncPorts(c), [5405])
    const rt = runtimeTotem(parseCmapctl(fixture('cmapctl-runtime-totem.txt')))
    assert.deepEqual({token: c.effective.tokenMs, consensus: c.effective.consensusMs}, {token: rt?.tokenMs, consensus: rt?.consensusMs})
    assert.equal(c.effective.tokenFormula, '1000 + (3 − 2) × 650 = 1650 ms')
  })

  it("Debian's default file: corosync 3 defaults (token 3000, knet), one node, comments everywhere", () => {
    const c = parseCorosyncConf(fixture('corosync-debian-default.conf'))
    assert.equal(c.clusterName, 'debian')
    assert.equal(c.transport, 'knet')
    assert.equal(c.effective.tokenMs, 3000)
    assert.equal(c.effective.consensusMs, 3600)
    assert.deepEqual(nodeAddresses(c, 'node1'), ['127.0.0.1'])
    assert.equal(c.crypto.cipher, 'none')
  })

  it('token_coefficient applies from 3 nodes on; an explicit consensus wins', () => {
    assert.equal(effectiveTimers(1000, null, null, 2).tokenMs, 1000)
    assert.equal(effectiveTimers(1000, null, null, 5).tokenMs, 1000 + 3 * 650)
    assert.equal(effectiveTimers(1000, 0, null, 5).tokenMs, 1000)
    assert.deepEqual([effectiveTimers(3000, null, 5000, 3).consensusMs, effectiveTimers(3000, null, null, 2).consensusMs], [5000, 3600])
  })

  it('two links and two_node on one line each', () => {
    const c = parseCorosyncConf('totem {\n version: 2\n transport: knet\n interface { linknumber: 1\n knet_transport: sctp }\n}\nquorum { provider: corosync_votequorum\n two_node: 1 }\nnodelist {\n node { name: a\n nodeid: 1\n ring0_addr: 10.0.0.1\n ring1_addr: 10.1.0.1 }\n node { name: b\n nodeid: 2\n ring0_addr: 10.0.0.2\n ring1_addr: 10.1.0.2 }\n}\n')
    assert.equal(c.quorum.twoNode, true)
    assert.deepEqual(nodeAddresses(c, 'b'), ['10.0.0.2', '10.1.0.2'])
    assert.deepEqual(c.links.map((l) => [l.linknumber, l.knetTransport]), [[1, 'sctp']])
    assert.deepEqual(corosyncPorts(c), [5405, 5406])
  })

  it('errors name file:line', () => {
    const bad = (text: string, re: RegExp): void =>
      assert.throws(() => parseCorosyncConf(text, 'c.conf'), (e: unknown) => isHachaosError(e) && e.exitName === 'BAD_INPUT' && re.test(e.message))
    bad('totem {\n  token: 1000\n', /^c\.conf:1: section "totem" is never closed/)
    bad('totem {\n}\n}\n', /^c\.conf:3: a "}" closes no section/)
    bad('totem {\n  token: fast\n}\n', /^c\.conf:2: token must be a whole number/)
    bad('totem {\n  what is this\n}\n', /^c\.conf:2: cannot read/)
  })
})

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
