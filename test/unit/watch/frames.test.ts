/**
 * The pcap slice of an incident (src/watch/frames.ts): the hex dump of a real lab capture
 * (test/fixtures/watch/nicdown-v2-xx.txt = `tcpdump -r test/fixtures/capture/nicdown-v2.pcap -n -tt -xx`, the
 * keepalived lab's nic-down drill: lb1's adverts, then lb2's takeover and GARP) parsed back into frames must
 * give the pcap's own records byte for byte; a slice written from them must be read by our pcap reader and by
 * `tcpdump -r`; and the ring must never hold more than its bound, in frames or bytes (counted at every push).
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {readPcap} from '../../../src/capture/pcap.js'
import {FrameRing, HexFrameParser, SNAPLEN, pcapBytes, writePcapSlice, type Frame} from '../../../src/watch/frames.js'
import {fixturePath} from '../../fixture.js'

/** The records of a little-endian µs pcap file, by hand. */
function records(b: Buffer): Frame[] {
  const out: Frame[] = []
  for (let o = 24; o + 16 <= b.length; ) {
    const cap = b.readUInt32LE(o + 8)
    out.push({t: b.readUInt32LE(o) * 1e6 + b.readUInt32LE(o + 4), data: new Uint8Array(b.subarray(o + 16, o + 16 + cap))})
    o += 16 + cap
  }
  return out
}

function parseFixture(): {frames: Frame[]; skipped: number} {
  const frames: Frame[] = []
  const p = new HexFrameParser((f) => frames.push(f))
  for (const l of readFileSync(fixturePath('watch', 'nicdown-v2-xx.txt'), 'utf8').split('\n')) p.line(l)
  p.flush()
  return {frames, skipped: p.skipped}
}

describe('watch: pcap slices of incidents', () => {
  const original = readFileSync(fixturePath('capture', 'nicdown-v2.pcap'))
  const want = records(original)

  it('tcpdump -xx text of a real capture → the same 41 frames, byte for byte, with their µs timestamps', () => {
    const {frames, skipped} = parseFixture()
    assert.equal(want.length, 41)
    assert.equal(frames.length, want.length)
    assert.equal(skipped, 1, 'the trailing empty line only')
    for (let i = 0; i < want.length; i++) {
      assert.equal(frames[i]?.t, want[i]?.t, `frame ${i} time`)
      assert.deepEqual(Buffer.from(frames[i]?.data ?? []), Buffer.from(want[i]?.data ?? []), `frame ${i} bytes`)
    }
    // the records we write are the original's records exactly (only the header's snaplen differs)
    assert.deepEqual(pcapBytes(frames).subarray(24), original.subarray(24))
  })

  it('a slice [t1, t2] is read back by our pcap reader and by tcpdump -r, with the VRRP adverts around the takeover', async () => {
    const {frames} = parseFixture()
    const ring = new FrameRing()
    for (const f of frames) ring.push(f)
    const t0 = (frames[0] as Frame).t
    const from = t0 + 2_000_000
    const to = t0 + 8_000_000
    const slice = ring.slice(from, to)
    const expected = frames.filter((f) => f.t >= from && f.t <= to)
    assert.ok(expected.length > 5)
    assert.equal(slice.length, expected.length)
    const dir = mkdtempSync(join(tmpdir(), 'hachaos-frames-'))
    try {
      const path = join(dir, 'slice.pcap')
      await writePcapSlice(path, slice)
      const back = await readPcap(path, 'client')
      assert.equal(back.total, slice.length)
      assert.equal(back.snaplen, SNAPLEN)
      const adverts = back.events.filter((e) => e.type === 'vrrp.advert')
      assert.ok(adverts.length > 0)
      if (existsSync('/usr/bin/tcpdump') || existsSync('/usr/sbin/tcpdump')) {
        const r = spawnSync('tcpdump', ['-r', path, '-n', '-tt'], {encoding: 'utf8'})
        assert.equal(r.status, 0, r.stderr)
        const lines = r.stdout.split('\n').filter((l) => l !== '')
        assert.equal(lines.length, slice.length)
        assert.ok(lines.every((l) => Number(l.split(' ')[0]) * 1e6 >= from - 1 && Number(l.split(' ')[0]) * 1e6 <= to + 1))
        assert.ok(lines.some((l) => /VRRPv2, Advertisement/.test(l)))
      }
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('the ring never holds more than its bound (frames and bytes), counted at every one of 100,000 pushes', () => {
    const maxFrames = 1000
    const maxBytes = 50_000
    const ring = new FrameRing(maxFrames, maxBytes)
    let peakFrames = 0
    let peakBytes = 0
    for (let i = 0; i < 100_000; i++) {
      ring.push({t: i * 1000, data: new Uint8Array(40 + (i % 200))})
      assert.ok(ring.size <= maxFrames && ring.bytes <= maxBytes)
      peakFrames = Math.max(peakFrames, ring.size)
      peakBytes = Math.max(peakBytes, ring.bytes)
    }
    // the bytes bound bites first with frames of 40–239 bytes; the newest frames are the ones kept
    assert.ok(peakBytes > maxBytes - 240 && peakFrames <= maxFrames, `${peakFrames} frames, ${peakBytes} bytes`)
    const kept = ring.slice(0, Number.MAX_SAFE_INTEGER)
    assert.equal(kept.length, ring.size)
    assert.equal(kept[kept.length - 1]?.t, 99_999_000)
    assert.equal(ring.dropped, 100_000 - ring.size)
    // a frames bound with small frames
    const small = new FrameRing(100, 1 << 20)
    for (let i = 0; i < 10_000; i++) {
      small.push({t: i, data: new Uint8Array(60)})
      assert.ok(small.size <= 100)
    }
    assert.equal(small.size, 100)
    assert.equal(small.bytes, 6000)
    assert.equal(small.oldestUs(), 9900)
  })
})
