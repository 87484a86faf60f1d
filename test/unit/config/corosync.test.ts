import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseCmapctl, runtimeTotem} from '../../../src/stacks/pacemaker/corosync-tools.js'
import {corosyncPorts, corosyncSummary, effectiveTimers, effectiveTokenMs, linkCount, nodeAddresses, parseCorosyncConf} from '../../../src/config/corosync.js'
import {isHachaosError} from '../../../src/errors.js'
import {readFixture} from '../../fixture.js'
import {fuzzFailsCleanly, lineOf} from './helpers.js'

describe('corosync.conf parser', () => {
  it('reads the 2-node Pacemaker lab config (captured)', () => {
    const text = readFixture('corosync', 'lab-2node.conf')
    const c = parseCorosyncConf(text, {file: 'lab-2node.conf'})
    assert.equal(c.totem.clusterName?.value, 'pklab')
    assert.equal(c.totem.transport?.value, 'knet')
    assert.equal(c.totem.cryptoCipher?.value, 'aes256')
    assert.equal(c.totem.token?.ms, 1000)
    assert.equal(c.totem.token?.line, lineOf(text, 'token: 1000'))
    assert.equal(c.quorum.twoNode?.on, true)
    assert.equal(c.quorum.twoNode?.line, lineOf(text, 'two_node'))
    assert.deepEqual(
      c.nodes.map((n) => [n.name, n.nodeid, n.addrs[0]]),
      [
        ['hcdk-n1', 1, '10.78.0.11'],
        ['hcdk-n2', 2, '10.78.0.12'],
      ],
    )
    assert.equal(linkCount(c), 1)
    assert.equal(effectiveTokenMs(c), 1000)
  })

  it("reads Debian's shipped default (tabs, comment lines, nested logger_subsys)", () => {
    const text = readFixture('corosync', 'debian-default.conf')
    const c = parseCorosyncConf(text, {file: 'corosync.conf'})
    assert.equal(c.totem.cryptoCipher?.value, 'none')
    assert.equal(c.totem.token, undefined)
    assert.equal(c.nodes.length, 1)
    assert.deepEqual(c.nodes[0]?.addrs, {0: '127.0.0.1'}, '#ring1_addr is a comment')
    const logging = c.tree.find((i) => i.key === 'logging')
    assert.equal(logging?.block?.find((i) => i.key === 'logger_subsys')?.block?.find((i) => i.key === 'subsys')?.value, 'QUORUM')
  })

  it('reads a pcs 3-node cluster with two knet links, and computes the real token', () => {
    const c = parseCorosyncConf(readFixture('corosync', 'pcs-3node-2links.conf'), {file: 'c.conf'})
    assert.equal(c.nodes.length, 3)
    assert.equal(linkCount(c), 2)
    assert.deepEqual(c.totem.interfaces.map((i) => i.number), [0, 1])
    assert.equal(effectiveTokenMs(c), 3000 + 650, 'token + (3 − 2) × token_coefficient')
  })

  it('reads qdevice and corosync 2 secauth', () => {
    const q = parseCorosyncConf(readFixture('corosync', 'qdevice-4node.conf'), {file: 'q.conf'})
    assert.deepEqual([q.quorum.device?.model, q.quorum.device?.host], ['net', 'qnetd.example.net'])
    const l = parseCorosyncConf(readFixture('corosync', 'c2-udpu-4node.conf'), {file: 'l.conf'})
    assert.equal(l.totem.secauth?.value, 'off')
    assert.equal(l.quorum.waitForAll?.value, '1')
    assert.equal(l.nodes.length, 4)
  })

  it('names file:line for malformed input', () => {
    const cases: Array<[string, string]> = [
      ['totem {\n  version: 2\n', 'c.conf:1'],
      ['totem {\n}\n}\n', 'c.conf:3'],
      ['totem {\n  token:\n}\n', 'c.conf:2'],
      ['totem {\n  token: fast\n}\n', 'c.conf:2'],
      ['totem {\n  what is this\n}\n', 'c.conf:2'],
      ['totem { token: 1 }\n', 'c.conf:1'],
    ]
    for (const [t, where] of cases) {
      assert.throws(() => parseCorosyncConf(t, {file: 'c.conf'}), (e: unknown) => isHachaosError(e) && e.where === where, t)
    }
  })

  it('fuzzed input: a config or a clean error', () => {
    fuzzFailsCleanly((t) => parseCorosyncConf(t, {file: 'f.conf'}), ['totem', 'nodelist', 'node', 'quorum', ' {', '}', '\n', ':', ': ', 'token', '1000', 'ring0_addr', '#', 'two_node: 1'], 'f.conf')
  })
})

/** What the cluster commands read: the parsed file in plain values (src/stacks/pacemaker/ snapshot, targets). */
const summary = (text: string, file = '<corosync.conf>') => corosyncSummary(parseCorosyncConf(text, {file}))

describe('corosync.conf summary (cluster status, the Pacemaker model, cluster-partition)', () => {
  it('the lab (3 nodes, token 1000): effective token and consensus match what corosync runs with (cmapctl fixture)', () => {
    const c = summary(readFixture('corosync', 'lab-3node.conf'), 'lab.conf')
    assert.equal(c.transport, 'knet')
    assert.equal(c.totem.token, 1000)
    assert.equal(c.totem.consensus, null)
    assert.equal(c.quorum.twoNode, false)
    assert.equal(c.quorum.provider, 'corosync_votequorum')
    assert.deepEqual(c.nodes.map((n) => [n.name, n.nodeid, n.rings]), [['n1', 1, ['10.77.0.11']], ['n2', 2, ['10.77.0.12']], ['n3', 3, ['10.77.0.13']]])
    assert.deepEqual(nodeAddresses(c, 'n2'), ['10.77.0.12'])
    assert.deepEqual(corosyncPorts(c), [5405])
    const rt = runtimeTotem(parseCmapctl(readFixture('cluster', 'cmapctl-runtime-totem.txt')))
    assert.deepEqual({token: c.effective.tokenMs, consensus: c.effective.consensusMs}, {token: rt?.tokenMs, consensus: rt?.consensusMs})
    assert.equal(c.effective.tokenFormula, '1000 + (3 − 2) × 650 = 1650 ms')
  })

  it("Debian's default file: corosync 3 defaults (token 3000, knet), one node, comments everywhere", () => {
    const c = summary(readFixture('corosync', 'debian-default.conf'))
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

  it('two links and two_node', () => {
    const c = summary('totem {\n version: 2\n transport: knet\n interface {\n linknumber: 1\n knet_transport: sctp\n }\n}\nquorum {\n provider: corosync_votequorum\n two_node: 1\n}\nnodelist {\n node {\n name: a\n nodeid: 1\n ring0_addr: 10.0.0.1\n ring1_addr: 10.1.0.1\n }\n node {\n name: b\n nodeid: 2\n ring0_addr: 10.0.0.2\n ring1_addr: 10.1.0.2\n }\n}\n')
    assert.equal(c.quorum.twoNode, true)
    assert.deepEqual(nodeAddresses(c, 'b'), ['10.0.0.2', '10.1.0.2'])
    assert.deepEqual(c.links.map((l) => [l.linknumber, l.knetTransport]), [[1, 'sctp']])
    assert.deepEqual(corosyncPorts(c), [5405, 5406])
  })

  it('errors name file:line', () => {
    const bad = (text: string, re: RegExp): void =>
      assert.throws(() => summary(text, 'c.conf'), (e: unknown) => isHachaosError(e) && e.exitName === 'BAD_INPUT' && re.test(e.message))
    bad('totem {\n  token: 1000\n', /^corosync\.conf c\.conf:1: section "totem" is never closed/)
    bad('totem {\n}\n}\n', /^corosync\.conf c\.conf:3: a "}" closes no section/)
    bad('totem {\n  token: fast\n}\n', /^corosync\.conf c\.conf:2: totem\.token: "fast" is not an integer/)
    bad('totem {\n  what is this\n}\n', /^corosync\.conf c\.conf:2: cannot read/)
    bad('totem {\n  consensus: soon\n}\n', /^corosync\.conf c\.conf:2: totem\.consensus: "soon" is not an integer/)
  })
})

