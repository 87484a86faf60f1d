import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import type {ArpEvent, CaptureEvent, VrrpAdvertEvent} from '../../src/capture/events.js'
import {TcpdumpTextParser, parseTcpdumpText} from '../../src/capture/tcpdump-text.js'
import {ROOT} from '../helpers/cli.js'

export const FIX = join(ROOT, 'test', 'fixtures', 'capture')
const text = (name: string): string => readFileSync(join(FIX, name), 'utf8')
const adverts = (evs: CaptureEvent[]): VrrpAdvertEvent[] => evs.filter((e): e is VrrpAdvertEvent => e.type === 'vrrp.advert')
const arps = (evs: CaptureEvent[]): ArpEvent[] => evs.filter((e): e is ArpEvent => e.type === 'arp')

const LB1 = '02:48:43:00:00:0b'
const LB2 = '02:48:43:00:00:0c'
const CLIENT = '02:48:43:00:00:32'

describe('tcpdump text parser, real captures', () => {
  it('steady VRRPv2: every advert with exact µs timestamps, source, MAC, vrid, prio, interval, auth', () => {
    const r = parseTcpdumpText(text('steady-v2.txt'), 'client')
    assert.equal(r.total, 7)
    assert.equal(r.unparsed.length, 0)
    const adv = adverts(r.events)
    assert.equal(adv.length, 5)
    // "1795388385.257350" → 1795388385257350 µs exactly (a float parse of the string would give …257349.99…)
    assert.deepEqual(adv[0], {
      type: 'vrrp.advert',
      t: 1795388385257350,
      host: 'client',
      src: '10.66.0.11',
      smac: LB1,
      vrid: 51,
      prio: 150,
      intvl: 1,
      ver: 2,
      auth: 'simple',
    })
    assert.deepEqual(
      adv.map((a) => a.t),
      [1795388385257350, 1795388386257577, 1795388387257768, 1795388388257956, 1795388389258183],
    )
  })

  it('steady VRRPv2: the client ARP request and lb1 unicast reply are not gratuitous', () => {
    const [req, rep] = arps(parseTcpdumpText(text('steady-v2.txt'), 'client').events)
    assert.deepEqual(req, {
      type: 'arp',
      t: 1795388385804855,
      host: 'client',
      op: 'request',
      sip: '10.66.0.50',
      smac: CLIENT,
      tip: '10.66.0.100',
      tmac: '00:00:00:00:00:00',
      garp: false,
    })
    // tcpdump prints neither the target IP nor the target MAC of a reply
    assert.deepEqual(rep, {type: 'arp', t: 1795388385804893, host: 'client', op: 'reply', sip: '10.66.0.100', smac: LB1, tip: '', garp: false})
  })

  it('-v (two-line VRRP, ARP with hardware/protocol lengths) gives the same events as the plain capture', () => {
    const plain = parseTcpdumpText(text('steady-v2.txt'), 'client')
    const verbose = parseTcpdumpText(text('steady-v2-verbose.txt'), 'client')
    assert.equal(verbose.unparsed.length, 0)
    assert.equal(verbose.events.length, plain.events.length)
    verbose.events.forEach((e, i) => {
      const p = plain.events[i] as CaptureEvent
      // two tcpdump processes: same packets, timestamps a few µs apart
      assert.ok(Math.abs(e.t - p.t) < 50, `${e.t} vs ${p.t}`)
      assert.deepEqual({...e, t: 0}, {...p, t: 0})
    })
    // the VRRP PASS password tcpdump -v prints is not kept in any event
    assert.ok(!JSON.stringify(verbose.events).includes('doDgKpy9'))
  })

  it('VRRPv3: interval in centiseconds converted to seconds, no auth type', () => {
    for (const f of ['steady-v3.txt', 'steady-v3-verbose.txt']) {
      const r = parseTcpdumpText(text(f), 'client')
      assert.equal(r.unparsed.length, 0, f)
      const adv = adverts(r.events)
      assert.equal(adv.length, 4, f)
      for (const a of adv) {
        assert.equal(a.ver, 3)
        assert.equal(a.intvl, 1)
        assert.equal('auth' in a, false)
      }
    }
  })

  it('priority 0 from a graceful keepalived stop', () => {
    const adv = adverts(parseTcpdumpText(text('graceful-v2.txt'), 'client').events)
    const zero = adv.filter((a) => a.prio === 0)
    assert.equal(zero.length, 1)
    assert.equal(zero[0]?.src, '10.66.0.11')
    assert.equal(zero[0]?.t, 1795388462133925)
  })

  it('keepalived GARPs on takeover: requests with sender IP = target IP = VIP, from the new master MAC', () => {
    const a = arps(parseTcpdumpText(text('nicdown-v2.txt'), 'client').events)
    const garps = a.filter((x) => x.garp)
    assert.equal(garps.length, 20) // 5 at takeover + 5 after 5 s, for lb2 then for lb1 on failback
    const first = garps[0] as ArpEvent
    assert.deepEqual(first, {
      type: 'arp',
      t: 1795388401870261,
      host: 'client',
      op: 'request',
      sip: '10.66.0.100',
      smac: LB2,
      tip: '10.66.0.100',
      tmac: 'ff:ff:ff:ff:ff:ff',
      garp: true,
    })
    // lb1 asking for web1 on link up is an ordinary request
    assert.equal(a.filter((x) => !x.garp).length, 2)
  })

  it('arping -U (requests) and -A (broadcast replies) are gratuitous, an ARP probe (0.0.0.0) is not', () => {
    const a = arps(parseTcpdumpText(text('garp.txt'), 'client').events)
    assert.equal(a.length, 5)
    assert.deepEqual(
      a.map((x) => [x.op, x.sip, x.garp]),
      [
        ['request', '10.66.0.100', true],
        ['request', '10.66.0.100', true],
        ['reply', '10.66.0.100', true],
        ['reply', '10.66.0.100', true],
        ['request', '0.0.0.0', false],
      ],
    )
  })

  it('802.1Q-tagged frames: tags stripped, VRRPv3 50 cs = 0.5 s, ARP over the VLAN', () => {
    const r = parseTcpdumpText(text('vlan.txt'), 'vlt')
    assert.equal(r.unparsed.length, 0)
    assert.equal(r.vlanTagged, 16)
    const adv = adverts(r.events)
    assert.equal(adv.length, 10)
    assert.ok(adv.every((a) => a.vrid === 77 && a.intvl === 0.5 && a.ver === 3 && a.host === 'vlt'))
    assert.deepEqual(
      adv.map((a) => a.prio),
      [150, 150, 150, 150, 0, 100, 100, 100, 100, 100],
    )
    assert.equal(arps(r.events).filter((x) => x.garp).length, 5)
  })

  it('truncated lines ([|vrrp], [|arp]) are counted and kept with a reason, never fatal', () => {
    const s36 = parseTcpdumpText(text('truncated-s36.txt'), 'client')
    assert.equal(s36.events.length, 0)
    assert.equal(s36.unparsed.length, 6)
    assert.deepEqual(
      s36.unparsed.map((u) => [u.n, u.reason]),
      [
        [1, 'truncated ([|vrrp])'],
        [2, 'truncated ([|arp])'],
        [3, 'truncated ([|arp])'],
        [4, 'truncated ([|vrrp])'],
        [5, 'truncated ([|vrrp])'],
        [6, 'truncated ([|vrrp])'],
      ],
    )
    assert.match(s36.unparsed[0]?.text ?? '', /^1795388584\.908843 .*\[\|vrrp\]$/)
    // -s 40: the VRRP fields fit, ARP does not
    const s40 = parseTcpdumpText(text('truncated-s40.txt'), 'client')
    assert.equal(adverts(s40.events).length, 4)
    assert.equal(s40.unparsed.length, 2)
  })

  it('garbage: counted and kept, tcpdump status lines are info, blank lines skipped, good lines still parse', () => {
    const r = parseTcpdumpText(text('garbage.txt'), 'client')
    assert.equal(r.total, 9)
    assert.equal(r.events.length, 1)
    assert.equal(r.info.length, 2)
    assert.deepEqual(
      r.unparsed.map((u) => u.n),
      [1, 3, 5, 7, 9],
    )
    assert.match(r.unparsed.find((u) => u.n === 9)?.reason ?? '', /vrid 999/)
  })

  it("tcpdump's stderr lines are info, not unparsed", () => {
    for (const f of ['stderr-ok.txt', 'stderr-nodevice.txt', 'stderr-permission.txt', 'stderr-filter.txt']) {
      const r = parseTcpdumpText(text(f), 'client')
      assert.equal(r.unparsed.length, 0, f)
      assert.equal(r.info.length, r.total, f)
    }
  })
})

describe('tcpdump text parser, streaming and edge cases', () => {
  const V2 =
    '1795388385.257350 02:48:43:00:00:0b > 01:00:5e:00:00:12, ethertype IPv4 (0x0800), length 54: 10.66.0.11 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 150, authtype simple, intvl 1s, length 20'

  it('a -v header waits for its continuation line; a header with none is unparsed at the end', () => {
    const p = new TcpdumpTextParser('c')
    const lines = text('steady-v2-verbose.txt').split('\n')
    assert.deepEqual(
      p.push(lines[0] as string).map((o) => o.kind),
      ['pending'],
    )
    const second = p.push(lines[1] as string)
    assert.equal(second[0]?.kind, 'event')
    assert.deepEqual(
      p.push(lines[0] as string).map((o) => o.kind),
      ['pending'],
    )
    const end = p.end()
    assert.equal(end[0]?.kind, 'unparsed')
    // a header followed by an ordinary line: the header is unparsed, the line still parses
    p.push(lines[0] as string)
    assert.deepEqual(
      p.push(V2).map((o) => o.kind),
      ['unparsed', 'event'],
    )
  })

  it('says what is missing: -e, -tt', () => {
    const r = parseTcpdumpText(
      [
        '1795388385.257350 IP 10.66.0.11 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 150, authtype simple, intvl 1s, length 20',
        '22:58:30.223833 02:48:43:00:00:0b > 01:00:5e:00:00:12, ethertype IPv4 (0x0800), length 54: 10.66.0.11 > 224.0.0.18: VRRPv2',
      ].join('\n'),
      'c',
    )
    assert.match(r.unparsed[0]?.reason ?? '', /-e/)
    assert.match(r.unparsed[1]?.reason ?? '', /-tt/)
  })

  it('QinQ, a TTL other than 255, auth type none, CRLF line ends, nanosecond -tt', () => {
    const lines = [
      '1795388385.257350123 02:48:43:00:00:0b > 01:00:5e:00:00:12, ethertype 802.1Q-QinQ (0x88a8), length 58: vlan 100, p 0, ethertype 802.1Q (0x8100), vlan 10, p 3, ethertype IPv4 (0x0800), 10.66.0.11 > 224.0.0.18: VRRPv2, Advertisement, (ttl 64), vrid 9, prio 0, authtype none, intvl 3s, length 20\r',
    ]
    const r = parseTcpdumpText(lines.join('\n'), 'c')
    assert.equal(r.unparsed.length, 0, JSON.stringify(r.unparsed))
    assert.equal(r.vlanTagged, 1)
    assert.deepEqual(r.events[0], {
      type: 'vrrp.advert',
      t: 1795388385257350,
      host: 'c',
      src: '10.66.0.11',
      smac: LB1,
      vrid: 9,
      prio: 0,
      intvl: 3,
      ver: 2,
      auth: 'none',
      vlan: 10,
    })
  })

  it('frames of other kinds are ignored (counted), not unparsed', () => {
    const r = parseTcpdumpText(
      [
        '1795388385.257350 02:48:43:00:00:0b > 02:48:43:00:00:32, ethertype IPv4 (0x0800), length 74: 10.66.0.11.80 > 10.66.0.50.4000: Flags [S.], seq 1, ack 2, win 100, length 0',
        '1795388385.257351 02:48:43:00:00:0b > 02:48:43:00:00:32, ethertype IPv6 (0x86dd), length 86: fe80::1 > ff02::1: ICMP6, router advertisement, length 32',
        '1795388385.257352 02:48:43:00:00:0b > 01:00:5e:00:00:12, ethertype IPv4 (0x0800), length 54: 10.66.0.11 > 224.0.0.18: VRRPv2, unknown type (2)',
      ].join('\n'),
      'c',
    )
    assert.equal(r.ignored, 3)
    assert.equal(r.unparsed.length, 0)
  })
})
