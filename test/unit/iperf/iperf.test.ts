import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {parseInventory} from '../../../src/inventory/inventory.js'
import {planLoad, parseTarget} from '../../../src/iperf/plan.js'
import {IperfError, iperfErrorHint, parseIperfJsonText, summarizeIperf} from '../../../src/iperf/result.js'
import {clientArgv, loadTotals, type PairResult} from '../../../src/iperf/runner.js'

const fx = (n: string): string => readFileSync(join(process.cwd(), 'test', 'fixtures', 'iperf', n), 'utf8')

describe('iperf3 --json (real output of iperf 3.12 in the bond lab)', () => {
  it('TCP: throughput sent/received and retransmits', () => {
    const r = summarizeIperf(parseIperfJsonText(fx('tcp.json'), 'client1'))
    assert.equal(r.protocol, 'TCP')
    assert.equal(r.reverse, false)
    assert.equal(r.streams.length, 1)
    assert.equal(r.retransmits, 1550)
    assert.equal(r.sentBytes, 276299776)
    assert.ok(r.receivedBps !== null && r.receivedBps > 1.09e9 && r.receivedBps < 1.1e9)
    assert.equal(r.remote, '10.88.0.2:8001')
    assert.equal(r.version, 'iperf 3.12')
  })
  it('TCP -P 2 -R: two streams, totals are their sum', () => {
    const r = summarizeIperf(parseIperfJsonText(fx('tcp-P2-reverse.json'), 'client1'))
    assert.equal(r.reverse, true)
    assert.equal(r.streams.length, 2)
    const sum = r.streams.reduce((s, x) => s + (x.receivedBps ?? 0), 0)
    assert.ok(r.receivedBps !== null && Math.abs(sum - r.receivedBps) / r.receivedBps < 0.001)
    assert.equal(r.retransmits, r.streams.reduce((s, x) => s + (x.retransmits ?? 0), 0))
  })
  it('UDP: loss and jitter from the server side', () => {
    const r = summarizeIperf(parseIperfJsonText(fx('udp.json'), 'client1'))
    assert.equal(r.protocol, 'UDP')
    assert.equal(r.lostPackets, 250)
    assert.equal(r.packets, 8629)
    assert.ok(r.lostPercent !== null && Math.abs(r.lostPercent - 2.897) < 0.001)
    assert.ok(r.jitterMs !== null && r.jitterMs > 0.2 && r.jitterMs < 0.23)
    assert.equal(r.retransmits, null)
  })
  it("iperf3's error field becomes a clear error with a suggestion", () => {
    assert.throws(
      () => parseIperfJsonText(fx('error-refused.json'), 'client1 → 10.88.0.2:8009'),
      (e: unknown) => e instanceof IperfError && e.kind === 'refused' && /unable to connect to server: Connection refused/.test(e.message) && /no iperf3 server listens/.test(e.suggestions[0] ?? ''),
    )
    assert.throws(() => parseIperfJsonText(fx('error-reset.json'), 'x'), (e: unknown) => e instanceof IperfError && e.kind === 'reset')
    assert.equal(iperfErrorHint('the server is busy running a test. try again later').kind, 'busy')
  })
  it('not JSON, or not iperf3 JSON: says so', () => {
    assert.throws(() => parseIperfJsonText('iperf3: error - bad option', 'x'), /did not print JSON: iperf3: error - bad option/)
    assert.throws(() => parseIperfJsonText('{"start": 3}', 'x'), /does not match the expected shape at start/)
  })
  it('totals add pairs up; UDP loss is recomputed over all packets', () => {
    const tcp = summarizeIperf(parseIperfJsonText(fx('tcp.json'), 'a'))
    const pair = (result: typeof tcp | null): PairResult => ({client: 'c', target: 't', argv: [], attempts: 1, t0: 0, t1: 0, result, error: result === null ? 'x' : null, hint: null})
    const t = loadTotals([pair(tcp), pair(tcp), pair(null)])
    assert.equal(t.retransmits, 3100)
    assert.equal(t.sentBytes, 2 * 276299776)
    const udp = summarizeIperf(parseIperfJsonText(fx('udp.json'), 'a'))
    const u = loadTotals([pair(udp), pair(udp)])
    assert.equal(u.lostPackets, 500)
    assert.ok(u.lostPercent !== null && Math.abs(u.lostPercent - 2.897) < 0.001)
  })
})

describe('iperf3 client argv', () => {
  it('builds argv from options and validates them', () => {
    assert.deepEqual(clientArgv({address: '10.88.0.2', port: 8001}, {durationS: 5, parallel: 2, reverse: true, udp: true, bitrate: '200M'}), ['iperf3', '-c', '10.88.0.2', '-p', '8001', '-t', '5', '-P', '2', '-R', '-u', '-b', '200M', '--json'])
    assert.throws(() => clientArgv({address: 'x', port: 1}, {durationS: 5, parallel: 1, reverse: false, udp: false, bitrate: '1G; rm -rf /'}), /bitrate/)
    assert.throws(() => clientArgv({address: 'x', port: 1}, {durationS: 0, parallel: 1, reverse: false, udp: false}), /duration/)
  })
})

const INV = `
version: 1
hosts:
  guest: {address: 10.88.0.2, via: vm, vm_socket: /tmp/x.sock, roles: [bond-host], facts: {bond: bond0, iperf_ports: [8001, 8002]}}
  client1: {address: 10.88.0.11, via: netns, netns: hcb-bc1, roles: [client], facts: {mac: '02:88:00:00:00:11'}}
  client2: {address: 10.88.0.12, via: netns, netns: hcb-bc2, roles: [client]}
  client3: {address: 10.88.0.13, via: netns, netns: hcb-bc3, roles: []}
`

describe('load plan', () => {
  const inv = parseInventory(INV, 'inv.yaml')
  it('defaults: every client against the bond host, one port each, servers on the bond host', () => {
    const p = planLoad(inv, {})
    assert.deepEqual(p.pairs.map((x) => `${x.client.name}>${x.target.address}:${x.target.port}`), ['client1>10.88.0.2:8001', 'client2>10.88.0.2:8002'])
    assert.deepEqual(p.servers.map((s) => `${s.name}:${s.port}`), ['guest:8001', 'guest:8002'])
  })
  it('targets by host name, address or address:port', () => {
    assert.deepEqual(parseTarget(inv, 'guest:9000').map((t) => [t.address, t.port, t.host?.name]), [['10.88.0.2', 9000, 'guest']])
    assert.deepEqual(parseTarget(inv, '192.168.1.5:8001').map((t) => [t.address, t.port, t.host]), [['192.168.1.5', 8001, null]])
    assert.deepEqual(parseTarget(inv, 'guest').map((t) => t.port), [8001, 8002])
    assert.throws(() => parseTarget(inv, 'guest:99999'), /out of range/)
    assert.throws(() => parseTarget(inv, '$(reboot):1'), /not an address/)
  })
  it('more clients than server ports is refused up front', () => {
    assert.throws(() => planLoad(inv, {clients: ['client1', 'client2', 'client3']}), /3 clients but 2 server ports/)
    assert.throws(() => planLoad(inv, {clients: ['nope']}), /no host "nope"/)
  })
  it('no servers started with startServers false; unknown target hosts get none', () => {
    assert.equal(planLoad(inv, {startServers: false}).servers.length, 0)
    assert.equal(planLoad(inv, {clients: ['client1'], targets: ['192.168.1.5:8001']}).servers.length, 0)
  })
})
