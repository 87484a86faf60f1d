import assert from 'node:assert/strict'
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import fc from 'fast-check'

import type {CaptureEvent, VrrpAdvertEvent} from '../../src/capture/events.js'
import {openCapture, readCaptureFile} from '../../src/capture/file.js'
import {ipv6} from '../../src/capture/pcap.js'
import {DEFAULT_FILTER} from '../../src/capture/runner.js'
import {parseTcpdumpText} from '../../src/capture/tcpdump-text.js'
import {HachaosError} from '../../src/errors.js'
import {analyzeTimeline} from '../../src/timeline/analyze.js'
import type {TimelineEvent} from '../../src/store/run-types.js'
import {PcapngWriter, pcapFile, readPcapFrames} from '../helpers/capture-writer.js'
import {ROOT} from '../helpers/cli.js'

const FIX = join(ROOT, 'test', 'fixtures', 'capture')
const fx = (name: string): string => join(FIX, name)
const dir = mkdtempSync(join(tmpdir(), 'hachaos-capfmt-'))
after(() => rmSync(dir, {recursive: true, force: true}))
const tmp = (name: string, data: Buffer | string): string => {
  const p = join(dir, name)
  writeFileSync(p, data)
  return p
}

/** tcpdump's text lacks a reply's target IP and MAC: compare replies without them. */
function comparable(e: CaptureEvent): CaptureEvent {
  if (e.type !== 'arp' || e.op !== 'reply') return e
  const {tmac: _tmac, ...rest} = e
  return {...rest, tip: ''}
}
const withoutIface = (e: CaptureEvent): CaptureEvent => {
  const {iface: _i, ...rest} = e
  return rest as CaptureEvent
}
const adverts = (es: TimelineEvent[]): VrrpAdvertEvent[] => es.filter((e): e is VrrpAdvertEvent => e.type === 'vrrp.advert')

async function collect(path: string): Promise<{events: TimelineEvent[]; format: string; stats: ReturnType<Awaited<ReturnType<typeof openCapture>>['stats']>}> {
  const c = await openCapture(path, {host: 'client'})
  const events: TimelineEvent[] = []
  for await (const e of c.events) events.push(e)
  return {events, format: c.format, stats: c.stats()}
}

const badInput = (re: RegExp) => (e: unknown): boolean => {
  assert.ok(e instanceof HachaosError, String(e))
  assert.equal(e.exitName, 'BAD_INPUT')
  assert.match(e.message, re)
  return true
}

describe('pcapng (item 12)', () => {
  it('a real dumpcap pcapng, two interfaces, ns resolution: the same adverts as tcpdump -w on eth0, iface names kept', async () => {
    const ng = await collect(fx('two-ifaces.pcapng'))
    assert.equal(ng.format, 'pcapng')
    assert.equal(ng.stats.frames, 18)
    assert.equal(ng.stats.unparsed.count, 0)
    const eth0 = ng.events.filter((e) => 'iface' in e && e.iface === 'eth0')
    const eth1 = ng.events.filter((e) => 'iface' in e && e.iface === 'eth1')
    assert.equal(eth0.length + eth1.length, 18)
    const pcap = await readCaptureFile(fx('v6.pcap'), 'client')
    // dumpcap's ns timestamps truncate to tcpdump's µs ones: the same packets, the same events
    assert.deepEqual(eth0.map((e) => withoutIface(e as CaptureEvent)), pcap.events)
    // eth1: the IPv4 pair with the same vrid 61 (priority 200 master), a separate instance by interface
    const v4 = adverts(eth1)
    assert.ok(v4.length === 6 && v4.every((a) => a.vrid === 61 && a.src === '10.66.20.3' && a.prio === 200 && a.ver === 3))
  })

  it('written from real frames: both byte orders, if_tsresol 10^-9 / 2^-20 / 10^-3, if_tsoffset, simple and unknown blocks, two sections', async () => {
    const {frames} = readPcapFrames(fx('steady-v2.pcap'))
    const ref = await readCaptureFile(fx('steady-v2.pcap'), 'client')
    const us = (f: {sec: number; frac: number}): bigint => BigInt(f.sec) * 1_000_000n + BigInt(f.frac)
    const w = new PcapngWriter()
      .section(false) // big-endian
      .unknown(0x00000bad, 36)
      .iface({name: 'ns-if', tsresol: 9})
      .iface({name: 'bin-if', tsresol: 0x80 | 20})
      .iface({tsresol: 3, tsoffset: 1_000_000_000n})
    const expected: TimelineEvent[] = []
    frames.forEach((f, i) => {
      const r = ref.events.find((e) => e.t === Number(us(f)))
      const k = i % 3
      if (k === 0) w.packet(0, us(f) * 1000n + 999n, f.data)
      else if (k === 1) w.packet(1, (us(f) << 20n) / 1_000_000n + 1n, f.data)
      else w.packet(2, us(f) / 1000n - 1_000_000_000_000n, f.data)
      if (r !== undefined) {
        const t = k === 2 ? Number((us(f) / 1000n) * 1000n) : k === 1 ? Number((((us(f) << 20n) / 1_000_000n + 1n) * 1_000_000n) >> 20n) : r.t
        expected.push({...r, t, iface: k === 0 ? 'ns-if' : k === 1 ? 'bin-if' : '#2'} as CaptureEvent)
      }
    })
    // a second, little-endian section: one interface, a simple packet block (it takes the time before it)
    w.section(true).iface({name: 'le-if'}).packet(0, us(frames[0] as {sec: number; frac: number}), (frames[0] as {data: Buffer}).data).simple((frames[0] as {data: Buffer}).data).unknown(4, 8)
    const first = ref.events[0] as CaptureEvent
    expected.push({...first, iface: 'le-if'} as CaptureEvent, {...first, iface: 'le-if'} as CaptureEvent)
    const got = await collect(tmp('crafted.pcapng', w.bytes()))
    assert.equal(got.stats.unparsed.count, 0, got.stats.unparsed.sample.join('\n'))
    assert.equal(got.stats.frames, frames.length + 2)
    assert.deepEqual(got.events, expected)
  })

  it('an unknown block larger than the read buffer is skipped, not read', async () => {
    const {frames} = readPcapFrames(fx('steady-v2.pcap'))
    const f = frames[0] as {data: Buffer; sec: number; frac: number}
    const w = new PcapngWriter().section(true).iface().unknown(0x40000bad, 9 << 20).packet(0, BigInt(f.sec) * 1_000_000n + BigInt(f.frac), f.data)
    const got = await collect(tmp('big-unknown.pcapng', w.bytes()))
    assert.equal(got.events.length, 1)
  })

  it('nanosecond classic pcap (a1b23c4d), real: the same events as the µs pcap of the same packets', async () => {
    const ns = await collect(fx('v6-nano.pcap'))
    const us = await readCaptureFile(fx('v6.pcap'), 'client')
    assert.equal(ns.format, 'pcap')
    assert.deepEqual(ns.events, us.events)
    const old = await collect(fx('steady-v2-nano.pcap'))
    assert.deepEqual(old.events, (await readCaptureFile(fx('steady-v2.pcap'), 'client')).events)
  })

  it('fuzz (fast-check): mutated and cut pcapng files end or fail with a clear BAD_INPUT error, never a crash', async () => {
    const {frames} = readPcapFrames(fx('steady-v2.pcap'))
    const w = new PcapngWriter().section(true).iface({name: 'a', tsresol: 9})
    for (const f of frames) w.packet(0, (BigInt(f.sec) * 1_000_000n + BigInt(f.frac)) * 1000n, f.data)
    const good = w.bytes()
    const path = join(dir, 'fuzz.pcapng')
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({min: 0, max: 255})), {maxLength: 8}),
        fc.nat(good.length),
        async (flips, cut) => {
          const b = Buffer.from(good.subarray(0, Math.max(4, cut)))
          b.writeUInt32BE(0x0a0d0d0a, 0)
          for (const [i, v] of flips) if (i >= 4 && i < b.length) b[i] = v
          writeFileSync(path, b)
          try {
            const c = await openCapture(path)
            let n = 0
            for await (const _ of c.events) n += 1
            assert.ok(n <= frames.length)
          } catch (e) {
            assert.ok(e instanceof HachaosError, `not a HachaosError: ${(e as Error).stack}`)
            assert.equal(e.exitName, 'BAD_INPUT')
            assert.ok(e.message.includes(path))
          }
        },
      ),
      {numRuns: 300},
    )
  })
})

describe('VRRPv3 over IPv6 (item 13)', () => {
  it('real keepalived IPv6 adverts: pcap, text and -v text give the same events (link-local source, ff02::12)', async () => {
    const p = await readCaptureFile(fx('v6.pcap'), 'client')
    const t = parseTcpdumpText(readFileSync(fx('v6.txt'), 'utf8'), 'client')
    const v = parseTcpdumpText(readFileSync(fx('v6-verbose.txt'), 'utf8'), 'client')
    assert.equal(p.events.length, 7)
    assert.deepEqual(t.events, p.events)
    assert.deepEqual(v.events, p.events)
    assert.equal(t.unparsed.length + v.unparsed.length + p.unparsed.length, 0)
    const a = adverts(p.events)
    assert.deepEqual(
      a.map((x) => [x.src, x.prio]),
      [
        ['fe80::48:43ff:fe00:601', 150],
        ['fe80::48:43ff:fe00:601', 150],
        ['fe80::48:43ff:fe00:601', 0],
        ['fe80::48:43ff:fe00:602', 100],
        ['fe80::48:43ff:fe00:602', 100],
        ['fe80::48:43ff:fe00:602', 100],
        ['fe80::48:43ff:fe00:602', 100],
      ],
    )
    assert.ok(a.every((x) => x.ver === 3 && x.vrid === 61 && x.intvl === 1))
    // priority 0 to the backup's first advert: v3 Skew_Time = (256 − 100) × 100/256 cs = 0.609 s (±5 ms)
    const dt = ((a[3] as VrrpAdvertEvent).t - (a[2] as VrrpAdvertEvent).t) / 1e6
    assert.ok(Math.abs(dt - 0.609) < 0.005, String(dt))
  })

  it('IPv6 addresses print as inet_ntop prints them', () => {
    const h = (s: string): Buffer => Buffer.from(s, 'hex')
    assert.equal(ipv6(h('fe800000000000000048 43fffe000601'.replace(/ /g, '')), 0), 'fe80::48:43ff:fe00:601')
    assert.equal(ipv6(h('ff020000000000000000000000000012'), 0), 'ff02::12')
    assert.equal(ipv6(h('00000000000000000000000000000001'), 0), '::1')
    assert.equal(ipv6(h('20010db8000000010000000000000001'), 0), '2001:db8:0:1::1')
    assert.equal(ipv6(h('20010db8000100000001000000000001'), 0), '2001:db8:1:0:1::1')
    assert.equal(ipv6(h('00000000000000000000ffff0a420064'), 0), '::ffff:10.66.0.100')
  })

  it('the live capture filter catches IPv6 VRRP (real tcpdump applies it to the real capture; plain "vrrp" does not)', () => {
    const count = (filter: string, file: string): number =>
      // the pcap on stdin: Debian's tcpdump reads files as the tcpdump user, who may not enter our temp dir
      execFileSync('tcpdump', ['-r', '-', '-n', filter], {input: readFileSync(file.startsWith('/') ? file : fx(file)), stdio: ['pipe', 'pipe', 'ignore']})
        .toString()
        .trim()
        .split('\n')
        .filter((l) => l !== '').length
    assert.equal(count(DEFAULT_FILTER, 'v6.pcap'), 7)
    assert.equal(count('vrrp or arp', 'v6.pcap'), 0)
    assert.equal(count(DEFAULT_FILTER, 'steady-v2.pcap'), count('vrrp or arp', 'steady-v2.pcap'))
    assert.equal(count(DEFAULT_FILTER, 'vlan.pcap'), readPcapFrames(fx('vlan.pcap')).frames.length)
    // IPv6 VRRP in an 802.1Q tag
    const {frames} = readPcapFrames(fx('v6.pcap'))
    const tagged = frames.map((f) => ({...f, data: Buffer.concat([f.data.subarray(0, 12), Buffer.from('8100000a', 'hex'), f.data.subarray(12)]), orig: undefined}))
    const p = tmp('v6-vlan.pcap', pcapFile(tagged))
    assert.equal(count(DEFAULT_FILTER, p), 7)
    assert.equal(count('vrrp or arp or (vlan and (vrrp or arp))', p), 0) // the filter before
  })
})

describe('link-type flag bits (item 14)', () => {
  it('link type 0x24000001 (Ethernet, FCS length 2 words) reads as Ethernet, as tcpdump reads it', async () => {
    const fcs = await readCaptureFile(fx('linktype-fcs.pcap'), 'client')
    const plain = await readCaptureFile(fx('steady-v2.pcap'), 'client')
    assert.deepEqual(fcs.events, plain.events)
    const t = parseTcpdumpText(readFileSync(fx('linktype-fcs.txt'), 'utf8'), 'client')
    assert.deepEqual(t.events.map(comparable), fcs.events.map(comparable))
  })
})

describe('VLAN id on events (item 15)', () => {
  it('the same vrid on VLAN 10 and VLAN 20: events carry their VLAN, pcap and tcpdump text alike', async () => {
    const p = await readCaptureFile(fx('vlan2.pcap'), 'client')
    const t = parseTcpdumpText(readFileSync(fx('vlan2.txt'), 'utf8'), 'client')
    assert.deepEqual(t.events.map(comparable), p.events.map(comparable))
    const a = adverts(p.events)
    const by = (vlan: number): VrrpAdvertEvent[] => a.filter((x) => x.vlan === vlan)
    assert.ok(by(10).length > 5 && by(10).every((x) => x.vrid === 51 && x.smac === '02:48:43:00:00:0b'))
    assert.ok(by(20).length > 2 && by(20).every((x) => x.vrid === 51 && x.smac === '02:48:43:00:00:0c'))
    assert.equal(by(10).length + by(20).length, a.length)
    assert.equal(p.vlanTagged, p.total)
    // untagged captures carry no vlan field at all
    assert.ok((await readCaptureFile(fx('steady-v2.pcap'), 'c')).events.every((e) => !('vlan' in e)))
  })

  it('…and the timeline keeps them apart: two instances, one master each, no split brain; the same adverts untagged are a dual master', async () => {
    const p = await readCaptureFile(fx('vlan2.pcap'), 'client')
    const tagged = analyzeTimeline(p.events, {vip: '10.66.0.100', vrid: null, faultAtUs: null, revertAtUs: null, hosts: []})
    assert.deepEqual(tagged.vrids, [51])
    assert.deepEqual(tagged.splitBrain, [])
    assert.deepEqual(tagged.masters.map((m) => m.ip).sort(), ['10.66.0.11', '10.66.0.12'])
    // strip the tags: one L2 domain, two masters for vrid 51 and two MACs answering for the VIP
    const untagged = p.events.map((e) => {
      const {vlan: _v, ...rest} = e as CaptureEvent & {vlan?: number}
      return rest as TimelineEvent
    })
    const flat = analyzeTimeline(untagged, {vip: '10.66.0.100', vrid: null, faultAtUs: null, revertAtUs: null, hosts: []})
    assert.deepEqual([...new Set(flat.splitBrain.map((f) => f.kind))].sort(), ['dual-arp', 'dual-master'])
  })
})

describe('corruption and truncation (item 16)', () => {
  it('a record longer than the snaplen: BAD_INPUT naming the record and its offset, at once (tcpdump stops there too)', async () => {
    assert.match(readFileSync(fx('corrupt-caplen.err'), 'utf8'), /invalid packet capture length 1862270976, bigger than snaplen of 262144/)
    const c = await openCapture(fx('corrupt-caplen.pcap'))
    const seen: TimelineEvent[] = []
    const t0 = process.hrtime.bigint()
    await assert.rejects(
      (async () => {
        for await (const e of c.events) seen.push(e)
      })(),
      badInput(/record 4 \(at byte offset 2\d\d\) claims 1862270976 captured bytes, more than the snapshot length 262144/),
    )
    assert.ok(Number(process.hrtime.bigint() - t0) / 1e9 < 1)
    assert.equal(seen.length, 3)
    assert.equal(c.stats().frames, 3)
  })

  it('a 32 MB file of one bogus header and random bytes fails at once (was quadratic)', async () => {
    const {frames} = readPcapFrames(fx('steady-v2.pcap'))
    const hdr = pcapFile([]).subarray(0, 24)
    const rec = Buffer.alloc(16)
    rec.writeUInt32LE((frames[0] as {sec: number}).sec, 0)
    rec.writeUInt32LE(300_000, 8)
    const big = tmp('big-corrupt.pcap', Buffer.concat([hdr, rec, Buffer.alloc(32 << 20, 7)]))
    await assert.rejects(readCaptureFile(big, 'c'), badInput(/record 1 \(at byte offset 24\) claims 300000/))
  })

  it('-s 40, -v: the address list is cut ([|vrrp]) but the advert header is whole: kept, as in the pcap', async () => {
    const p = await readCaptureFile(fx('truncated-s40.pcap'), 'client')
    const v = parseTcpdumpText(readFileSync(fx('truncated-s40-verbose.txt'), 'utf8'), 'client')
    assert.deepEqual(adverts(v.events), adverts(p.events))
    assert.ok(adverts(p.events).length > 0)
    const s36 = await collect(fx('truncated-s36.pcap'))
    assert.equal(s36.stats.truncated, 6)
    assert.equal(s36.events.length, 0)
  })
})

describe('tcpdump -v text details (item 18), streams (items 17, 11.2)', () => {
  it('IP TOS with ECN bits (CE, ECT(1)): the adverts are read', () => {
    const v = parseTcpdumpText(readFileSync(fx('ecn-verbose.txt'), 'utf8'), 'client')
    const plain = parseTcpdumpText(readFileSync(fx('steady-v2.txt'), 'utf8'), 'client')
    assert.equal(v.unparsed.length, 0)
    assert.deepEqual(adverts(v.events), adverts(plain.events))
  })

  it('ARP with hardware type 6 (IEEE 802, 6-byte addresses): text, -v text and pcap give the same events', async () => {
    const p = await readCaptureFile(fx('arp-ieee802.pcap'), 'client')
    const t = parseTcpdumpText(readFileSync(fx('arp-ieee802.txt'), 'utf8'), 'client')
    const v = parseTcpdumpText(readFileSync(fx('arp-ieee802-verbose.txt'), 'utf8'), 'client')
    assert.equal(p.events.length, 2)
    assert.deepEqual(t.events.map(comparable), p.events.map(comparable))
    assert.deepEqual(v.events.map(comparable), p.events.map(comparable))
  })

  it('a UTF-8 BOM does not lose the first line', async () => {
    const text = readFileSync(fx('steady-v2.txt'))
    const bom = await collect(tmp('bom.txt', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text])))
    const plain = await collect(fx('steady-v2.txt'))
    assert.equal(bom.format, 'text')
    assert.deepEqual(bom.events, plain.events)
    assert.equal(bom.stats.unparsed.count, 0)
  })

  it('"-" reads stdin (pcap and text), through the CLI', () => {
    for (const f of ['steady-v2.pcap', 'v6.txt']) {
      const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'run.js'), 'capture', 'analyze', '-', '--json'], {input: readFileSync(fx(f))})
      assert.equal(r.status, 0, r.stderr.toString())
      const j = JSON.parse(r.stdout.toString()) as {format: string; events: number}
      assert.equal(j.format, f.endsWith('.pcap') ? 'pcap' : 'text')
      assert.ok(j.events > 0)
    }
  })

  it('a text capture in chunks: lines split across reads, a 1.5 MiB line is unparsed and skipped, counts exact', async () => {
    const lines = readFileSync(fx('steady-v2.txt'), 'utf8').split('\n').filter((l) => l !== '')
    const long = 'x'.repeat(1.5 * 1024 * 1024)
    const body = [...lines, long, ...lines].join('\n')
    const got = await collect(tmp('chunks.txt', body))
    assert.equal(got.stats.frames, lines.length * 2 + 1)
    assert.equal(got.stats.unparsed.count, 1)
    assert.match(got.stats.unparsed.sample[0] ?? '', /longer than/)
    const one = parseTcpdumpText(lines.join('\n'), 'client')
    assert.deepEqual(got.events, [...one.events, ...one.events])
  })

  it('a record whose captured length exceeds its original length: unparsed, as tcpdump prints "[Invalid header …]"', async () => {
    const {frames} = readPcapFrames(fx('steady-v2.pcap'))
    const bad = frames.map((f, i) => (i === 0 ? {...f, orig: f.data.length - 1} : f))
    const p = await readCaptureFile(tmp('len-lt-caplen.pcap', pcapFile(bad)), 'client')
    assert.equal(p.unparsed.length, 1)
    assert.match(p.unparsed[0]?.reason ?? '', /invalid record header: len\(53\) < caplen\(54\)/)
    assert.equal(p.events.length, frames.length - 1)
    const text = execFileSync('tcpdump', ['-r', '-', '-n', '-tt', '-e'], {input: pcapFile(bad), stdio: ['pipe', 'pipe', 'ignore']}).toString()
    assert.match(text, /\[Invalid header: len\(53\) < caplen\(54\)\]/)
  })

  it('breaking off after one event closes the file; close() without reading too', async () => {
    const fds = (): number => readdirSync('/proc/self/fd').length
    const before = fds()
    for (const f of ['v6.pcap', 'two-ifaces.pcapng', 'v6.txt']) {
      const c = await openCapture(fx(f))
      for await (const _ of c.events) break
      const d = await openCapture(fx(f))
      await d.close()
    }
    assert.equal(fds(), before)
  })

  it('a 200 000-frame pcap streams in bounded memory: unparsed beyond 20 only counted', async () => {
    const {frames} = readPcapFrames(fx('truncated-s36.pcap'))
    const many = Array.from({length: 200_000}, (_, i) => ({...(frames[i % frames.length] as {sec: number; frac: number; data: Buffer}), sec: 1795388000 + i}))
    const c = await openCapture(tmp('many.pcap', pcapFile(many, {snaplen: 36})))
    let n = 0
    for await (const _ of c.batches) n += 1
    const s = c.stats()
    assert.equal(s.frames, 200_000)
    assert.equal(s.unparsed.count, 200_000)
    assert.equal(s.unparsed.sample.length, 20)
    assert.equal(n, 0) // no events: nothing handed out
  })
})
