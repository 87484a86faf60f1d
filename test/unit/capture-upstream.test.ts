/**
 * capture analyze on upstream tcpdump's own test material (the-tcpdump-group/tcpdump tests/, see
 * test/fixtures/capture-upstream/README.md): its .out texts verbatim (made with -# and time of day, no -tt, no
 * -e: a form hachaos cannot use, so every line must be unparsed with its line number, never a crash or an
 * event), and pcaps rebuilt from them (make-upstream.ts) with the text the real tcpdump 4.99.3 prints of them
 * under the flags users run it with (-e -tt with -v, -vv, -vvv, -#, -nn, -x, -XX).
 */
import assert from 'node:assert/strict'
import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import type {CaptureAnalyzeResult} from '../../commands/capture/analyze.js'
import type {CaptureEvent} from '../../src/capture/events.js'
import {readCaptureFile} from '../../src/capture/file.js'
import {parseTcpdumpText} from '../../src/capture/tcpdump-text.js'
import {ROOT, runCli} from '../helpers/cli.js'

const UP = join(ROOT, 'test', 'fixtures', 'capture-upstream')
const up = (n: string): string => join(UP, n)
/** 2014-01-01T00:00:00Z: the date make-upstream.ts put the upstream times of day on. */
const DAY = 1388534400
const at = (hms: string): number => {
  const [h, m, s] = hms.split(':') as [string, string, string]
  const [si, frac] = s.split('.') as [string, string]
  return (DAY + Number(h) * 3600 + Number(m) * 60 + Number(si)) * 1_000_000 + Number(frac)
}

/** What text and pcap share of an event (text has no tmac and no reply target IP). */
function comparable(e: CaptureEvent): string {
  const o: Record<string, unknown> = {...e}
  delete o.host
  delete o.tmac
  if (e.type === 'arp' && e.op === 'reply') o.tip = ''
  return JSON.stringify(o)
}

const variants = (base: string): string[] => readdirSync(UP).filter((f) => f.startsWith(`${base}.tt-`) && f.endsWith('.txt'))

describe('upstream tcpdump tests/vrrp-v.out, rebuilt as a pcap', () => {
  it('VRRPv2 (auth simple / none), VRRPv3 over IPv4 and IPv6 (1000 cs), several VIPs: every value read', async () => {
    const p = await readCaptureFile(up('vrrp.pcap'), 'h')
    assert.equal(p.total, 16)
    assert.deepEqual(p.unparsed, [])
    assert.equal(p.ignored, 0)
    const rows = p.events.map((e) => (e.type === 'vrrp.advert' ? [e.t, e.src, e.vrid, e.prio, e.intvl, e.ver, e.auth ?? '-'] : []))
    assert.deepEqual(rows.slice(0, 7), [
      [at('21:55:06.745865'), '10.0.0.91', 42, 191, 10, 2, 'simple'],
      [at('21:55:06.749784'), '10.0.0.91', 43, 191, 10, 2, 'none'],
      [at('21:55:09.074730'), '10.0.0.91', 44, 191, 10, 3, '-'],
      [at('21:55:16.753372'), '10.0.0.91', 42, 191, 10, 2, 'simple'],
      [at('21:55:16.753436'), '10.0.0.91', 43, 191, 10, 2, 'none'],
      [at('21:55:19.064377'), 'fe80::d6ca:6dff:fe66:cf60', 45, 191, 10, 3, '-'],
      [at('21:55:19.064509'), 'fe80::d6ca:6dff:fe66:cf60', 46, 191, 10, 3, '-'],
    ])
    assert.deepEqual(rows[15], [at('21:55:37.044216'), '10.0.0.92', 44, 192, 10, 3, '-'])
  })

  it("tcpdump's text of it with -e -tt and -v, -vv, -vvv -#, -nn -x, -v -XX, -q: the same events, nothing unparsed", async () => {
    const want = (await readCaptureFile(up('vrrp.pcap'), 'h')).events.map(comparable)
    const files = variants('vrrp')
    assert.equal(files.length, 7)
    for (const f of files) {
      const t = await readCaptureFile(up(f), 'h')
      assert.equal(t.format, 'text', f)
      assert.deepEqual(t.events.map(comparable), want, f)
      assert.deepEqual(t.unparsed, [], f)
      assert.equal(t.ignored, 0, f)
    }
  })

  it('the timeline: one instance per vrid (42–46, IPv6 ones too), 10 s intervals, 10.0.0.92 (prio 192) after 10.0.0.91', async () => {
    const res = await runCli(['capture', 'analyze', up('vrrp.pcap'), '--json'])
    assert.equal(res.code, 0)
    const r = res.json as CaptureAnalyzeResult
    assert.deepEqual(r.analysis.vrids, [42, 43, 44, 45, 46])
    const m42 = r.analysis.masters.filter((m) => m.vrid === 42).map((m) => [m.ip, m.prio, m.adverts, m.intervalMs, m.startUs])
    assert.deepEqual(m42, [
      ['10.0.0.91', 191, 3, 10000, at('21:55:06.745865')],
      ['10.0.0.92', 192, 1, 10000, at('21:55:34.773565')],
    ])
    assert.deepEqual(
      r.analysis.masters.filter((m) => m.vrid === 46).map((m) => [m.ip, m.adverts, m.intervalMs]),
      [['fe80::d6ca:6dff:fe66:cf60', 2, 10000]],
    )
    assert.deepEqual(r.analysis.splitBrain, [])
    assert.deepEqual(r.analysis.advertGaps, [])
  })
})

describe('upstream tcpdump tests/arp-oobr.out (fuzzed ARP), rebuilt as a pcap from its hex dumps and text', () => {
  it('pcap: requests, a reply, a GARP, Unknown Hardware (513) read; ARP cut by its own lengths is [|arp] unparsed with its frame number; other ARP ignored', async () => {
    const p = await readCaptureFile(up('arp.pcap'), 'h')
    assert.equal(p.total, 11)
    assert.deepEqual(
      p.events.map((e) => (e.type === 'arp' ? [e.t, e.op, e.sip, e.smac, e.tip, e.garp] : [])),
      [
        [at('22:14:54.558191'), 'request', '192.168.1.104', '00:1f:29:da:2d:79', '192.168.1.1', false],
        [at('22:15:42.069443'), 'reply', '192.168.0.1', '00:21:d8:01:03:45', '192.168.0.30', false],
        [at('22:15:47.992392'), 'request', '192.168.0.37', '00:1f:29:da:f8:fb', '192.168.0.37', true],
        [at('22:20:28.301692'), 'request', '192.168.1.104', '00:1f:29:da:2d:79', '192.168.1.1', false],
      ],
    )
    assert.deepEqual(
      p.unparsed.map((u) => [u.n, u.reason]),
      [
        [3, 'truncated ARP body: hardware length 134, protocol length 4 ([|arp])'],
        [9, 'truncated ARP body: hardware length 6, protocol length 36 ([|arp])'],
      ],
    )
    // unknown operations 29953 and 22785, hardware length 14, Unknown Protocol (0x0000), 802.1Q-9200
    assert.equal(p.ignored, 5)
  })

  it("tcpdump's text of it (-e -tt, -v, -vv, -vvv -#, -nn -x, -v -XX): the same events, the same 2 unparsed ([|arp], by line) and 5 ignored; hex dump lines skipped", async () => {
    const pcap = await readCaptureFile(up('arp.pcap'), 'h')
    const want = pcap.events.map(comparable)
    const lines: Record<string, number[]> = {}
    for (const f of variants('arp')) {
      const t = await readCaptureFile(up(f), 'h')
      assert.deepEqual(t.events.map(comparable), want, f)
      assert.equal(t.ignored, 5, f)
      assert.ok(t.unparsed.every((u) => u.reason === 'truncated ([|arp])'), f)
      lines[f] = t.unparsed.map((u) => u.n)
    }
    assert.deepEqual(lines, {
      'arp.tt-e-nn-x.txt': [9, 40],
      'arp.tt-e-q.txt': [3, 15],
      'arp.tt-e-v-XX.txt': [11, 47],
      'arp.tt-e-v.txt': [3, 15],
      'arp.tt-e-vv.txt': [3, 15],
      'arp.tt-e-vvv-num.txt': [3, 15],
      'arp.tt-e.txt': [3, 15],
    })
  })

  it('QinQpacket.out: ARP in an 802.1ad tag (ethertype 0x88a8, VLAN 200), pcap and text alike', async () => {
    const p = await readCaptureFile(up('qinq-arp.pcap'), 'h')
    assert.deepEqual(
      p.events.map((e) => (e.type === 'arp' ? [e.sip, e.tip, e.vlan, e.tmac] : [])),
      [
        ['172.17.0.20', '172.17.0.2', 200, '00:00:00:00:00:00'],
        ['172.17.0.20', '172.17.0.2', 200, '03:6f:72:67:00:00'],
      ],
    )
    for (const f of variants('qinq-arp')) {
      const t = await readCaptureFile(up(f), 'h')
      assert.deepEqual(t.events.map(comparable), p.events.map(comparable), f)
      assert.deepEqual(t.unparsed, [], f)
    }
  })
})

describe('upstream adverts behind IPv6 extension headers, with an IPv4 option, in 802.1Q tags (ext.pcap)', () => {
  it('pcap and every text variant (-e -tt, -v, -vv, -vvv -#, -nn -x, -v -XX): the same 5 adverts (HBH and DSTOPT were ignored by the text reader)', async () => {
    const p = await readCaptureFile(up('ext.pcap'), 'h')
    assert.deepEqual(
      p.events.map((e) => (e.type === 'vrrp.advert' ? [e.src, e.vrid, e.ver, e.vlan ?? null] : [])),
      [
        ['fe80::d6ca:6dff:fe66:cf60', 45, 3, null],
        ['fe80::d6ca:6dff:fe66:cf60', 45, 3, null],
        ['10.0.0.91', 43, 2, null],
        ['fe80::d6ca:6dff:fe66:cf60', 45, 3, 10],
        ['10.0.0.91', 43, 2, 30],
      ],
    )
    for (const f of variants('ext')) {
      const t = await readCaptureFile(up(f), 'h')
      assert.deepEqual(t.events.map(comparable), p.events.map(comparable), f)
      assert.deepEqual(t.unparsed, [], f)
      assert.equal(t.ignored, 0, f)
    }
  })
})

describe('upstream frames cut at every length (cuts.pcap: 8 frames, 0 … whole; tcpdump 4.99.3 text of it)', () => {
  it('pcap: what is left of each frame is an event (a whole VRRP header, a whole ARP body) or unparsed with its layer; text alike, frame for line', async () => {
    const p = await readCaptureFile(up('cuts.pcap'), 'h')
    // 62 + 50 + 94 + 4 × 60 + 64 bytes, each cut at 0 … its length
    assert.equal(p.total, 518)
    // kept from the first cut holding a whole VRRP header (23 + 11 + 35) or ARP body (3 × 19); two ARP of
    // other kinds ignored from there (2 × 19)
    assert.equal(p.events.length, 126)
    assert.equal(p.ignored, 38)
    const layers: Record<string, number> = {}
    for (const u of p.unparsed) {
      const l = /\[\|(\w+)\]/.exec(u.reason)?.[1] ?? u.reason
      layers[l] = (layers[l] ?? 0) + 1
    }
    // 8 × 14 Ethernet cuts; 2 × 20 IPv4, 40 IPv6; 3 × 6 VRRP; 5 × 28 ARP; the QinQ tag's 4
    assert.deepEqual(layers, {ether: 112, ip: 40, ip6: 40, vrrp: 18, arp: 140, vlan: 4})
    const t = await readCaptureFile(up('cuts.tt-e.txt'), 'h')
    // 518 frame lines and the hex dumps tcpdump prints after an ARP of unknown operation (skipped)
    assert.equal(t.total, 570)
    assert.deepEqual(t.events.map(comparable), p.events.map(comparable))
    assert.equal(t.ignored, 38)
    assert.equal(t.unparsed.length, p.unparsed.length)
    assert.ok(t.unparsed.every((u) => !u.text.startsWith('\t0x')))
    // the frames before the first unknown-operation ARP (VRRP 63 + 51 + 95, ARP 2 × 61) are one line each
    assert.deepEqual(
      t.unparsed.filter((u) => u.n <= 331).map((u) => u.n),
      p.unparsed.filter((u) => u.n <= 331).map((u) => u.n),
    )
    for (const f of ['cuts.tt-e-v.txt', 'cuts.tt-e-nn-x.txt']) {
      const v = await readCaptureFile(up(f), 'h')
      assert.deepEqual(v.events.map(comparable), p.events.map(comparable), f)
      assert.equal(v.unparsed.length, p.unparsed.length, f)
      assert.equal(v.ignored, 38, f)
    }
  })
})

describe('upstream .out texts verbatim (-#, time of day, no -e): unparsed line by line, never an event or a crash', () => {
  it('vrrp.out, vrrp-v.out, arp-oobr.out, QinQpacket.out, arp-too-long-tha.out: every frame line unparsed with its reason and line number', async () => {
    const cases: Array<[string, number, number, string]> = [
      // file, lines, unparsed, reason of line 1
      ['vrrp.out', 16, 16, 'time of day instead of epoch seconds: capture with tcpdump -tt'],
      ['vrrp-v.out', 28, 28, 'time of day instead of epoch seconds: capture with tcpdump -tt'],
      ['arp-oobr.out', 33, 21, 'time of day instead of epoch seconds: capture with tcpdump -tt'],
      ['QinQpacket.out', 5, 5, 'time of day instead of epoch seconds: capture with tcpdump -tt'],
      ['arp-too-long-tha.out', 1, 1, 'no timestamp (tcpdump -t): capture with tcpdump -tt -e'],
    ]
    for (const [f, lines, count, reason] of cases) {
      const {readFileSync} = await import('node:fs')
      const r = parseTcpdumpText(readFileSync(up(f), 'utf8'), 'h')
      assert.equal(r.total, lines, f)
      assert.equal(r.events.length, 0, f)
      assert.equal(r.unparsed.length, count, f)
      assert.equal(r.unparsed[0]?.n, 1, f)
      assert.equal(r.unparsed[0]?.reason, reason, f)
    }
  })

  it('vrrp-v.out: the -v continuation lines are unparsed as such, at their own line numbers', async () => {
    const {readFileSync} = await import('node:fs')
    const r = parseTcpdumpText(readFileSync(up('vrrp-v.out'), 'utf8'), 'h')
    assert.deepEqual(
      r.unparsed.slice(0, 4).map((u) => [u.n, u.reason]),
      [
        [1, 'time of day instead of epoch seconds: capture with tcpdump -tt'],
        [2, 'continuation line without a verbose header before it'],
        [3, 'time of day instead of epoch seconds: capture with tcpdump -tt'],
        [4, 'continuation line without a verbose header before it'],
      ],
    )
  })

  it('the CLI on vrrp.out: exit 3 naming line 1 and what to capture with, no stack trace', async () => {
    const res = await runCli(['capture', 'analyze', up('vrrp.out'), '--json'])
    assert.equal(res.code, 3)
    const e = (res.json as {error: {code: string; message: string; where: string}}).error
    assert.equal(e.code, 'E_CAPTURE_FORMAT')
    assert.match(e.message, /16 unparsed; line 1: time of day instead of epoch seconds/)
    assert.match(e.where, /vrrp\.out:1$/)
  })
})

describe('text parser: -#, hex dumps, non-IPv4 ARP (from the upstream material)', () => {
  const ADV = '1388613306.745865 00:00:5e:00:01:2a > 01:00:5e:00:00:12, ethertype IPv4 (0x0800), length 62: '
  it('a -v header followed by a hex dump line instead of its VRRP line is unparsed; the dump is skipped', () => {
    const r = parseTcpdumpText(
      [
        `${ADV}(tos 0x0, ttl 255, id 4660, offset 0, flags [none], proto VRRP (112), length 48)`,
        '\t0x0000:  4500 0030 1234 0000 ff70 bebc 0a00 005b  E..0.4...p.....[',
        `    1  ${ADV}10.0.0.91 > 224.0.0.18: VRRPv2, Advertisement, vrid 42, prio 191, authtype simple, intvl 10s, length 28`,
      ].join('\n'),
      'h',
    )
    assert.deepEqual(
      r.unparsed.map((u) => [u.n, u.reason]),
      [[1, 'verbose IPv4 header without the line that should follow it']],
    )
    assert.equal(r.events.length, 1)
    assert.equal(r.total, 3)
  })

  it('-v: a VRRPv2 advert with no address ("addrs: auth …") is an advert (16 bytes: fits), not CARP', () => {
    const r = parseTcpdumpText(
      [
        '1800000002.000002 00:00:5e:00:01:ff > 01:00:5e:00:00:12, ethertype IPv4 (0x0800), length 50: (tos 0x0, ttl 255, id 0, offset 0, flags [none], proto VRRP (112), length 36)',
        '    10.9.0.1 > 224.0.0.18: VRRPv2, Advertisement, vrid 255, prio 100, authtype simple, intvl 255s, length 16, addrs: auth "pw"',
      ].join('\n'),
      'h',
    )
    assert.deepEqual(r.unparsed, [])
    assert.deepEqual(
      r.events.map((e) => (e.type === 'vrrp.advert' ? [e.vrid, e.intvl, e.auth] : [])),
      [[255, 255, 'simple']],
    )
  })

  it('without -v: an ARP with a 14-byte hardware address, another protocol or an unknown operation is ignored', () => {
    const E = '1388614584.303826 00:1f:29:da:2d:79 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 60: '
    const r = parseTcpdumpText(
      [
        `${E}Request who-has 0.0.0.0 (01:01:10:18:00:10:00:00:00:00:00:00:00:00) tell 0.0.192.168, length 46`,
        `${E}Unknown Hardware (37) (len 6), Unknown Protocol (0x0000) (len 4), length 46`,
        `${E}Ethernet (len 6), 802.1Q-9200 (len 4), Request who-has <wrong proto type> tell <wrong proto type>, length 46`,
        `${E}Unknown (29953) `,
        `${E}Request who-has 192.168.1.1 (00:55:00:00:00:00) tell 192.168.1.104, length 46`,
        `${E}Request who-has 192.168.1.1 tell 192.168.1.104, length`,
      ].join('\n'),
      'h',
    )
    assert.equal(r.ignored, 4)
    assert.equal(r.events.length, 1)
    assert.deepEqual(
      r.unparsed.map((u) => [u.n, u.reason]),
      [[6, 'ARP part not understood']],
    )
  })
})

describe('older tcpdump -v text (upstream tests/vrrp-v.out at 32d5e449: "A > B: vrrp A > B: VRRPv2, …")', () => {
  it('its VRRPv2 adverts are read; its VRRPv3 without fields and IPv6 "ip-proto-112" are unparsed saying why, not ignored', async () => {
    const t = await readCaptureFile(up('vrrp-v.old.tt-e.txt'), 'h')
    const p = await readCaptureFile(up('vrrp.pcap'), 'h')
    // packets 1, 2, 4, 5 of vrrp.pcap (the VRRPv2 ones among the first 8)
    assert.deepEqual(
      t.events.map(comparable),
      [0, 1, 3, 4].map((i) => comparable(p.events[i] as CaptureEvent)),
    )
    assert.deepEqual(
      t.unparsed.map((u) => [u.n, u.reason.replace(/ \(.*$/, '').replace(/:.*$/, '')]),
      [
        [5, 'VRRP advert without vrid/prio/intvl'],
        [11, 'VRRP not decoded by this tcpdump'],
        [12, 'VRRP not decoded by this tcpdump'],
        [13, 'VRRP advert without vrid/prio/intvl'],
      ],
    )
    assert.equal(t.ignored, 0)
  })
})

describe('text parser: tcpdump without -n (host names where addresses should be)', () => {
  it('unparsed with a reason that says to capture with -n', () => {
    const r = parseTcpdumpText(
      [
        '1795388385.257350 02:48:43:00:00:0b > 01:00:5e:00:00:12, ethertype IPv4 (0x0800), length 54: lb1.example > vrrp.mcast.net: VRRPv2, Advertisement, vrid 51, prio 150, authtype simple, intvl 1s, length 20',
        '1795388385.804855 02:48:43:00:00:32 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has vip.example tell client, length 28',
        '1795388385.804893 02:48:43:00:00:0b > 02:48:43:00:00:32, ethertype ARP (0x0806), length 42: Reply vip.example is-at 02:48:43:00:00:0b, length 28',
      ].join('\n'),
      'h',
    )
    assert.deepEqual(
      r.unparsed.map((u) => [u.n, u.reason]),
      [
        [1, 'bad source address "lb1.example" (a host name: capture with tcpdump -n)'],
        [2, 'bad address in ARP request (a host name: capture with tcpdump -n)'],
        [3, 'bad address in ARP reply (a host name: capture with tcpdump -n)'],
      ],
    )
  })
})

describe('pcapng written by hand per the spec, with the upstream frames', () => {
  /** SHB (with shb_hardware/os/userappl options), 2 IDBs, an NRB, 6 EPBs with options, an ISB. */
  function pcapng(le: boolean, frames: Array<{sec: number; frac: number; data: Buffer}>): Buffer {
    const u32 = (v: number): Buffer => {
      const b = Buffer.alloc(4)
      if (le) b.writeUInt32LE(v >>> 0)
      else b.writeUInt32BE(v >>> 0)
      return b
    }
    const u16 = (v: number): Buffer => {
      const b = Buffer.alloc(2)
      if (le) b.writeUInt16LE(v)
      else b.writeUInt16BE(v)
      return b
    }
    const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)])
    const opt = (code: number, v: Buffer): Buffer => Buffer.concat([u16(code), u16(v.length), pad(v)])
    const end = opt(0, Buffer.alloc(0))
    const block = (type: number, body: Buffer): Buffer => Buffer.concat([u32(type), u32(12 + body.length), body, u32(12 + body.length)])
    const parts: Buffer[] = []
    parts.push(block(0x0a0d0d0a, Buffer.concat([u32(0x1a2b3c4d), u16(1), u16(0), Buffer.alloc(8, 0xff), opt(2, Buffer.from('x86_64')), opt(3, Buffer.from('Linux 6.1')), opt(4, Buffer.from('by hand')), end])))
    // interface 0: if_description before if_name (odd length: padded), if_tsresol 10^-3, if_fcslen 0
    parts.push(block(1, Buffer.concat([u16(1), u16(0), u32(0), opt(3, Buffer.from('a description, odd length')), opt(2, Buffer.from('eth0')), opt(9, Buffer.from([3])), opt(13, Buffer.from([0])), end])))
    // interface 1: if_tsresol 2^-10, if_tsoffset 1000 s
    const off = Buffer.alloc(8)
    if (le) off.writeBigInt64LE(1000n)
    else off.writeBigInt64BE(1000n)
    parts.push(block(1, Buffer.concat([u16(1), u16(0), u32(0), opt(2, Buffer.from('eth1')), opt(9, Buffer.from([0x80 | 10])), opt(14, off), end])))
    parts.push(block(4, Buffer.concat([u16(1), u16(8), Buffer.from([10, 0, 0, 91]), Buffer.from('lb1\0'), u16(0), u16(0)])))
    frames.forEach((f, i) => {
      const us = BigInt(f.sec) * 1_000_000n + BigInt(f.frac)
      const ts = i % 2 === 0 ? us / 1000n : ((us - 1_000_000_000n) << 10n) / 1_000_000n
      parts.push(block(6, Buffer.concat([u32(i % 2), u32(Number(ts >> 32n)), u32(Number(ts & 0xffffffffn)), u32(f.data.length), u32(f.data.length), pad(f.data), opt(2, u32(1)), opt(1, Buffer.from('comment')), end])))
    })
    parts.push(block(5, Buffer.concat([u32(0), u32(0), u32(0), end])))
    return Buffer.concat(parts)
  }

  it('both byte orders: options everywhere skipped, name and statistics blocks skipped, if_tsresol 10^-3 and 2^-10 + if_tsoffset: the times tcpdump 4.99.3 prints', async () => {
    const {mkdtempSync, rmSync, writeFileSync} = await import('node:fs')
    const {tmpdir} = await import('node:os')
    const {readPcapFrames} = await import('../helpers/capture-writer.js')
    const frames = readPcapFrames(up('vrrp.pcap')).frames.slice(0, 6)
    const dir = mkdtempSync(join(tmpdir(), 'hachaos-ng-'))
    try {
      for (const le of [true, false]) {
        const f = join(dir, `${le ? 'le' : 'be'}.pcapng`)
        writeFileSync(f, pcapng(le, frames))
        const r = await readCaptureFile(f, 'h')
        assert.equal(r.format, 'pcapng')
        assert.deepEqual(r.unparsed, [])
        // `tcpdump -r FILE -n -tt` of the same file (ms on eth0; 2^-10 s on eth1, rounded down to the µs)
        assert.deepEqual(
          r.events.map((e) => [e.t, e.iface, e.type === 'vrrp.advert' ? e.vrid : 0]),
          [
            [1388613306745000, 'eth0', 42],
            [1388613306749023, 'eth1', 43],
            [1388613309074000, 'eth0', 44],
            [1388613316752929, 'eth1', 42],
            [1388613316753000, 'eth0', 43],
            [1388613319063476, 'eth1', 45],
          ],
        )
      }
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('CARP (IP protocol 112, version 2, type 1, as tcpdump prints it without -T carp) is not read as VRRP', () => {
  /** A CARP advertisement (OpenBSD ip_carp.h): vhid, advskew, authlen 7, demote, advbase, counter, 20-byte HMAC. */
  function carp(vhid: number, advskew: number, advbase: number): Buffer {
    const sum = (b: Buffer): number => {
      let s = 0
      for (let i = 0; i < b.length; i += 2) s += ((b[i] as number) << 8) + (b[i + 1] ?? 0)
      while (s > 0xffff) s = (s & 0xffff) + (s >>> 16)
      return ~s & 0xffff
    }
    const body = Buffer.alloc(36)
    body[0] = 0x21
    body[1] = vhid
    body[2] = advskew
    body[3] = 7
    body[5] = advbase
    body.writeUInt32BE(0x12345678, 8)
    for (let i = 16; i < 36; i++) body[i] = (i * 7) & 255
    body.writeUInt16BE(sum(body), 6)
    const ip = Buffer.from('45000038000000000ff700000a080001e0000012', 'hex')
    ip[8] = 255
    ip[9] = 112
    ip.writeUInt16BE(0, 10)
    ip.writeUInt16BE(sum(ip), 10)
    return Buffer.concat([Buffer.from(`01005e00001200005e0001${vhid.toString(16).padStart(2, '0')}0800`, 'hex'), ip, body])
  }

  it('pcap: unparsed (its authlen 7 where VRRP has the address count: 44 bytes needed, 36 there), naming CARP; a real VRRPv2 advert still read', async () => {
    const {mkdtempSync, rmSync, writeFileSync} = await import('node:fs')
    const {tmpdir} = await import('node:os')
    const {pcapFile, readPcapFrames} = await import('../helpers/capture-writer.js')
    const dir = mkdtempSync(join(tmpdir(), 'hachaos-carp-'))
    try {
      const vrrp = readPcapFrames(up('vrrp.pcap')).frames[1] as {sec: number; frac: number; data: Buffer}
      const f = join(dir, 'carp.pcap')
      writeFileSync(f, pcapFile([{sec: 1800000000, frac: 0, data: carp(5, 100, 1)}, {sec: 1800000001, frac: 0, data: carp(5, 0, 1)}, vrrp]))
      const r = await readCaptureFile(f, 'h')
      assert.deepEqual(
        r.unparsed.map((u) => [u.n, u.reason]),
        [1, 2].map((n) => [n, 'IP protocol 112, version 2, but not a VRRPv2 advert: 7 addresses and the authentication data need 44 bytes, it has 36 (CARP? hachaos reads VRRP)']),
      )
      assert.deepEqual(
        r.events.map((e) => (e.type === 'vrrp.advert' ? [e.vrid, e.prio] : [])),
        [[43, 191]],
      )
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('text -v (tcpdump 4.99.3: "length 36, addrs(7): …"): unparsed alike; without -v the text cannot tell (read as tcpdump prints it)', () => {
    const head = '1800000000.000000 00:00:5e:00:01:05 > 01:00:5e:00:00:12, ethertype IPv4 (0x0800), length 70: '
    const v = parseTcpdumpText(
      [
        `${head}(tos 0x0, ttl 255, id 0, offset 0, flags [none], proto VRRP (112), length 56)`,
        '    10.8.0.1 > 224.0.0.18: VRRPv2, Advertisement, vrid 5, prio 100, authtype none, intvl 1s, length 36, addrs(7): 18.52.86.120,154.188.222.240,112.119.126.133,140.147.154.161,168.175.182.189,196.203.210.217,224.231.238.245',
      ].join('\n'),
      'h',
    )
    assert.deepEqual(v.events, [])
    assert.match(v.unparsed[0]?.reason ?? '', /need 44 bytes, it has 36 \(CARP\?/)
    const plain = parseTcpdumpText(`${head}10.8.0.1 > 224.0.0.18: VRRPv2, Advertisement, vrid 5, prio 100, authtype none, intvl 1s, length 36`, 'h')
    assert.equal(plain.events.length, 1)
  })
})
