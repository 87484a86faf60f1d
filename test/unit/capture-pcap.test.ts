import assert from 'node:assert/strict'
import {readFileSync, writeFileSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import type {ArpEvent, CaptureEvent} from '../../src/capture/events.js'
import {readCaptureFile} from '../../src/capture/file.js'
import {decodeFrame, pcapMagic, readPcap} from '../../src/capture/pcap.js'
import {parseTcpdumpText} from '../../src/capture/tcpdump-text.js'
import {HachaosError} from '../../src/errors.js'
import {ROOT} from '../helpers/cli.js'

const FIX = join(ROOT, 'test', 'fixtures', 'capture')
const fx = (name: string): string => join(FIX, name)

/** tcpdump's text lacks a reply's target IP and MAC: compare replies without them. */
function comparable(e: CaptureEvent): CaptureEvent {
  if (e.type !== 'arp' || e.op !== 'reply') return e
  const {tmac: _tmac, ...rest} = e
  return {...rest, tip: ''}
}

const PAIRS = [
  'steady-v2',
  'steady-v3',
  'nicdown-v2',
  'nicdown-v3',
  'graceful-v2',
  'splitbrain-v2',
  'splitbrain-in-v2',
  'garp',
  'vlan',
  'truncated-s40',
  'truncated-s36',
]

describe('pcap reader, real captures', () => {
  for (const name of PAIRS) {
    it(`${name}: the pcap gives the same events as tcpdump's text of the same capture`, async () => {
      const p = await readPcap(fx(`${name}.pcap`), 'client')
      const t = parseTcpdumpText(readFileSync(fx(`${name}.txt`), 'utf8'), 'client')
      assert.equal(p.linkType, 1)
      assert.equal(p.total, t.total - t.info.length)
      assert.equal(p.events.length, t.events.length)
      assert.deepEqual(p.events.map(comparable), t.events.map(comparable))
      assert.equal(p.unparsed.length, t.unparsed.length)
      assert.equal(p.vlanTagged, t.vlanTagged)
    })
  }

  it('has what the text lacks: the target IP and MAC of replies (a gratuitous reply targets its own IP)', async () => {
    const p = await readPcap(fx('garp.pcap'), 'client')
    const replies = p.events.filter((e): e is ArpEvent => e.type === 'arp' && e.op === 'reply')
    assert.equal(replies.length, 2)
    for (const r of replies) {
      assert.equal(r.tip, '10.66.0.100')
      assert.equal(r.sip, r.tip)
      assert.equal(r.garp, true)
    }
    const steady = await readPcap(fx('steady-v2.pcap'), 'client')
    const rep = steady.events.find((e): e is ArpEvent => e.type === 'arp' && e.op === 'reply')
    assert.deepEqual([rep?.tip, rep?.tmac, rep?.garp], ['10.66.0.50', '02:48:43:00:00:32', false])
  })

  it('microsecond timestamps from the record header, exact', async () => {
    const p = await readPcap(fx('nicdown-v2.pcap'), 'client')
    assert.equal(p.events[0]?.t, 1795388396259732)
    assert.ok(p.events.every((e) => Number.isSafeInteger(e.t)))
  })

  it('truncated frames (-s 36) are counted and kept with a reason and a hex preview', async () => {
    const p = await readPcap(fx('truncated-s36.pcap'), 'client')
    assert.equal(p.snaplen, 36)
    assert.equal(p.events.length, 0)
    assert.deepEqual(
      p.unparsed.map((u) => u.reason),
      [
        'truncated VRRP header ([|vrrp])',
        'truncated ARP body ([|arp])',
        'truncated ARP body ([|arp])',
        'truncated VRRP header ([|vrrp])',
        'truncated VRRP header ([|vrrp])',
        'truncated VRRP header ([|vrrp])',
      ],
    )
    assert.match(p.unparsed[0]?.text ?? '', /^01005e00001202484300000b0800/)
  })

  it('a pcap cut inside a record: the whole records parse, the rest is one unparsed entry', async () => {
    const p = await readPcap(fx('cut.pcap'), 'client')
    assert.equal(p.events.length, 1)
    assert.equal(p.unparsed.length, 1)
    assert.match(p.unparsed[0]?.reason ?? '', /ends inside a record \(6 bytes/)
  })
})

describe('pcap reader, bad files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hachaos-pcap-'))
  after(() => rmSync(dir, {recursive: true, force: true}))

  const rejects = async (path: string, re: RegExp, suggestion?: RegExp): Promise<void> => {
    await assert.rejects(readCaptureFile(path, 'c'), (e: unknown) => {
      assert.ok(e instanceof HachaosError)
      assert.equal(e.exitName, 'BAD_INPUT')
      assert.match(e.message, re)
      assert.ok(e.message.includes(path), `${e.message} names ${path}`)
      if (suggestion) assert.ok(e.suggestions.some((s) => suggestion.test(s)), e.suggestions.join(' | '))
      return true
    })
  }

  it('a record longer than the snapshot length: corruption, named (nanosecond pcaps are read now: capture-formats.test)', async () => {
    await rejects(fx('corrupt-caplen.pcap'), /record 4 .* more than the snapshot length/, /tcpdump -r/)
  })

  it('random bytes, a missing file, an empty file, a cut pcapng, a text file of no tcpdump lines', async () => {
    await rejects(fx('garbage.bin'), /neither a pcap file nor a tcpdump text capture/)
    await rejects(join(dir, 'missing.pcap'), /does not exist/)
    writeFileSync(join(dir, 'empty.pcap'), '')
    await rejects(join(dir, 'empty.pcap'), /is empty/)
    writeFileSync(join(dir, 'x.pcapng'), Buffer.from('0a0d0d0a1c0000004d3c2b1a01000000', 'hex'))
    await rejects(join(dir, 'x.pcapng'), /pcapng section header/)
    writeFileSync(join(dir, 'notes.txt'), 'hello\nworld\n')
    await rejects(join(dir, 'notes.txt'), /no line is a tcpdump -n -tt -e line/)
  })

  it('reads either format by content: pcap by magic, text otherwise (garbage text is counted, not fatal)', async () => {
    const p = await readCaptureFile(fx('steady-v2.pcap'), 'c')
    const t = await readCaptureFile(fx('steady-v2.txt'), 'c')
    assert.deepEqual([p.format, t.format], ['pcap', 'text'])
    const g = await readCaptureFile(fx('garbage.txt'), 'c')
    assert.equal(g.events.length, 1)
    assert.equal(g.unparsed.length, 5)
  })

  it('magic numbers', () => {
    assert.equal(pcapMagic(Buffer.from('d4c3b2a1', 'hex')), 'pcap-us')
    assert.equal(pcapMagic(Buffer.from('a1b2c3d4', 'hex')), 'pcap-us')
    assert.equal(pcapMagic(Buffer.from('4d3cb2a1', 'hex')), 'pcap-ns')
    assert.equal(pcapMagic(Buffer.from('0a0d0d0a', 'hex')), 'pcapng')
    assert.equal(pcapMagic(Buffer.from('3137', 'hex')), 'unknown')
  })
})

describe('frame decoder, hand-built frames', () => {
  const eth = (type: string): string => `01005e000012` + `02484300000b` + type
  const vrrp2 = '45c000280001000 0ff70 0000 0a42000b e0000012'.replace(/ /g, '') + '2133960100010000' + '0a420064' + '0000000000000000'

  it('QinQ (802.1ad outer, 802.1Q inner) around a VRRPv2 advert with auth type none', () => {
    const frame = Buffer.from(eth('88a8') + '0064' + '8100' + '000a' + '0800' + vrrp2, 'hex')
    const o = decodeFrame(frame, 1, 'c')
    assert.equal(o.kind, 'event')
    assert.equal(o.vlan, true)
    if (o.kind !== 'event') return
    assert.deepEqual(o.event, {type: 'vrrp.advert', t: 1, host: 'c', src: '10.66.0.11', smac: '02:48:43:00:00:0b', vrid: 51, prio: 150, intvl: 1, ver: 2, auth: 'none', vlan: 10})
  })

  it('VRRPv3 interval: 12 bits of centiseconds (0x0fa0 = 4000 cs = 40 s)', () => {
    const v3 = '45c000200001000 0ff70 0000 0a42000b e0000012'.replace(/ /g, '') + '31330001' + '0fa00000' + '0a420064'
    const o = decodeFrame(Buffer.from(eth('0800') + v3, 'hex'), 1, 'c')
    assert.ok(o.kind === 'event' && o.event.type === 'vrrp.advert')
    if (o.kind === 'event' && o.event.type === 'vrrp.advert') {
      assert.equal(o.event.intvl, 40)
      assert.equal(o.event.ver, 3)
      assert.equal(o.event.prio, 0)
      assert.equal('auth' in o.event, false)
    }
  })

  it('other protocols and VRRP types are ignored, short frames are unparsed', () => {
    assert.equal(decodeFrame(Buffer.from(eth('86dd') + '00'.repeat(40), 'hex'), 1, 'c').kind, 'ignored')
    const tcp = '45000028000100004006000 00a42000b0a420032'.replace(/ /g, '')
    assert.equal(decodeFrame(Buffer.from(eth('0800') + tcp, 'hex'), 1, 'c').kind, 'ignored')
    const notAdvert = vrrp2.slice(0, 40) + '22' + vrrp2.slice(42)
    assert.equal(decodeFrame(Buffer.from(eth('0800') + notAdvert, 'hex'), 1, 'c').kind, 'ignored')
    assert.equal(decodeFrame(Buffer.from('0102', 'hex'), 1, 'c').kind, 'unparsed')
    assert.equal(decodeFrame(Buffer.from(eth('8100') + '00', 'hex'), 1, 'c').kind, 'unparsed')
  })
})
