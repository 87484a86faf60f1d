/**
 * VRRP and ARP events from pcapng files (Wireshark's and dumpcap's default format; draft-ietf-opsawg-pcapng),
 * read as a stream over a fixed-size buffer, frames decoded by pcap.ts's decodeFrame.
 *
 * Hand-written: npm has no maintained pure-JavaScript pcapng reader (npm.tsv lists only pcap-parser, classic
 * pcap only, and node_pcap, a native libpcap binding); the parts we need are a few fixed layouts:
 * - Section Header Block (0x0A0D0D0A): its byte-order magic 0x1A2B3C4D sets the byte order of the section
 *   (both orders are read); a new section forgets the interfaces of the last one.
 * - Interface Description Block (1): link type (low 16 bits, as libpcap), snaplen, options if_name (2),
 *   if_tsresol (9: 10^-n or, with the top bit, 2^-n seconds; default µs) and if_tsoffset (14: seconds added).
 * - Enhanced Packet Block (6): interface id, 64-bit timestamp in that interface's units, captured and
 *   original length, the frame. Obsolete Packet Block (2) likewise with a 16-bit interface id.
 * - Simple Packet Block (3): interface 0, no timestamp: its events take the time of the packet before it
 *   (0 if none; said in the README).
 * - Any other block (name resolution, statistics, custom, decryption secrets …) is skipped by its length,
 *   even one larger than the buffer.
 * Corruption (a block length that is not a multiple of 4 or below 12, a trailing length that differs, a
 * packet larger than its block, an unknown interface id, an interface of another link type than Ethernet
 * carrying packets) stops the read with a BAD_INPUT error naming the block and its byte offset.
 * Events carry `iface`: the interface's if_name, else "#ID".
 */
import type {CaptureEvent} from './events.js'
import {type CaptureTally, hexPreview} from './events.js'
import {captureError, corruptError, decoded, decodeShared, EventCache, eventsOf, type FrameBatch, frameBatches, LINKTYPE_ETHERNET, linkTypeOf, type SharedEvent} from './pcap.js'
import {BATCH, type ByteSource, framed} from './source.js'

const SHB = 0x0a0d0d0a
const IDB = 1
const OPB = 2
const SPB = 3
const EPB = 6
const BYTE_ORDER_MAGIC = 0x1a2b3c4d
/** Work buffer; a packet block must fit in it (a frame of libpcap's largest snapshot length, 262144, does). */
const WORK = 4 << 20
/** Largest packet-carrying or header block read (larger ones of those kinds are corruption). */
const MAX_BLOCK = 2 << 20

interface Iface {
  name: string
  linkType: number
  snaplen: number
  /** Timestamp units → µs: divide by `div` (10^n, n > 6), multiply by `mul` (n < 6), or shift (binary). */
  div: number
  mul: number
  binShift: number
  offsetUs: number
  /** Its frames' shared events (they carry its name). */
  cache: EventCache
}

const TWO32 = 4294967296

/** Epoch µs from a 64-bit timestamp (hi, lo) in an interface's units (exact: BigInt where a Number would round). */
function toUs(i: Iface, hi: number, lo: number): number {
  if (i.binShift >= 0) return Number((((BigInt(hi) << 32n) | BigInt(lo)) * 1_000_000n) >> BigInt(i.binShift)) + i.offsetUs
  if (i.div === 1) return (hi * TWO32 + lo) * i.mul + i.offsetUs
  if (i.div <= 1_000_000) {
    // (hi·2³² + lo) / div without leaving the safe integers: hi = q·div + r, r·2³² + lo < 2⁵³
    const q = Math.floor(hi / i.div)
    const r = hi - q * i.div
    return q * TWO32 + Math.floor((r * TWO32 + lo) / i.div) + i.offsetUs
  }
  return Number(((BigInt(hi) << 32n) | BigInt(lo)) / BigInt(i.div)) + i.offsetUs
}

/** The pcapng block loop: yields the events of each buffer-full; counts the rest in `tally`. */
export async function* pcapngEvents(src: ByteSource, host: string, tally: CaptureTally): AsyncGenerator<CaptureEvent[]> {
  for await (const fb of pcapngFrames(src, host, tally)) yield eventsOf(fb)
}

/** The pcapng block loop as frame batches (see pcap.ts FrameBatch). */
export async function* pcapngFrames(src: ByteSource, host: string, tally: CaptureTally): AsyncGenerator<FrameBatch> {
  let times: number[] = []
  const path = src.path
  let le = true
  let section = -1
  let ifaces: Iface[] = []
  let block = 0
  let lastT = 0
  const rd = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o))
  const rd16 = (b: Buffer, o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o))
  const where = (base: number, p: number): string => `block ${block} (at byte offset ${base + p})`

  const idb = (b: Buffer, p: number, len: number, at: string): Iface => {
    const lt = linkTypeOf(rd16(b, p + 8))
    const id = ifaces.length
    const iface: Iface = {
      name: section === 0 ? `#${id}` : `#${section}.${id}`,
      linkType: lt.linkType,
      snaplen: rd(b, p + 12),
      div: 1,
      mul: 1,
      binShift: -1,
      offsetUs: 0,
      cache: new EventCache(host, undefined),
    }
    let o = p + 16
    const endOpts = p + len - 4
    while (o + 4 <= endOpts) {
      const code = rd16(b, o)
      const olen = rd16(b, o + 2)
      if (code === 0) break
      if (o + 4 + olen > endOpts) throw corruptError(path, `${path}: ${at}: interface option ${code} runs past the end of its block`)
      const v = o + 4
      if (code === 2) iface.name = b.toString('utf8', v, v + olen).replace(/\0+$/, '')
      else if (code === 9 && olen >= 1) {
        const r = b[v] as number
        const n = r & 0x7f
        if ((r & 0x80) !== 0) {
          if (n > 63) throw corruptError(path, `${path}: ${at}: timestamp resolution 2^-${n}`)
          iface.binShift = n
        } else {
          if (n > 18) throw corruptError(path, `${path}: ${at}: timestamp resolution 10^-${n}`)
          if (n >= 6) iface.div = 10 ** (n - 6)
          else iface.mul = 10 ** (6 - n)
        }
      } else if (code === 14 && olen >= 8) {
        const off = le ? b.readBigInt64LE(v) : b.readBigInt64BE(v)
        iface.offsetUs = Number(off) * 1_000_000
      }
      o = v + olen + ((4 - (olen % 4)) % 4)
    }
    iface.cache = new EventCache(host, iface.name)
    return iface
  }

  const packet = (b: Buffer, fs: number, fe: number, t: number | null, iface: Iface, out: SharedEvent[]): void => {
    tally.frames += 1
    if (t !== null) lastT = t
    if (iface.linkType !== LINKTYPE_ETHERNET) {
      tally.addUnparsed({n: tally.frames, text: hexPreview(b.subarray(fs, fe)), reason: `interface ${iface.name} has link type ${iface.linkType}; hachaos decodes Ethernet (1) only`})
      return
    }
    const ev = decodeShared(b, fs, fe, iface.cache)
    if (decoded.tagged) tally.vlanTagged += 1
    if (ev !== null) {
      out.push(ev)
      times.push(lastT)
    }
    else if (decoded.reason === '') tally.ignored += 1
    else tally.addUnparsed({n: tally.frames, text: hexPreview(b.subarray(fs, fe)), reason: decoded.reason})
  }

  const gen = framed<SharedEvent>(src.chunks(), WORK, (b, start, end, base) => {
    let p = start
    const out: SharedEvent[] = []
    times = []
    try {
      while (end - p >= 12) {
        if (out.length >= BATCH) return {used: p - start, out, more: true}
        block += 1 // 1-based number of this block (taken back below if it is not all here yet)
        let type = rd(b, p)
        if (type === SHB) {
          const magic = b.readUInt32LE(p + 8)
          if (magic === BYTE_ORDER_MAGIC) le = true
          else if (magic === 0x4d3c2b1a) le = false
          else throw corruptError(path, `${path}: ${where(base, p)}: section header with byte-order magic ${b.toString('hex', p + 8, p + 12)}`)
          type = SHB
        } else if (section < 0) {
          throw captureError(path, `${path} does not start with a pcapng section header block`)
        }
        const len = rd(b, p + 4)
        if (len < 12 || len % 4 !== 0) throw corruptError(path, `${path}: ${where(base, p)}: block length ${len} (a multiple of 4, at least 12): the file is corrupt from there`)
        const known = type === SHB || type === IDB || type === EPB || type === SPB || type === OPB
        if (known && len > MAX_BLOCK) {
          throw corruptError(path, `${path}: ${where(base, p)}: a block of type ${type} claims ${len} bytes (more than ${MAX_BLOCK}): the file is corrupt from there`)
        }
        if (!known && end - p < len) {
          // skipped without being read: framed() drops the rest of it as it arrives
          return {used: p - start + len, out}
        }
        if (end - p < len) {
          block -= 1
          break
        }
        if (rd(b, p + len - 4) !== len) {
          throw corruptError(path, `${path}: ${where(base, p)}: its trailing length ${rd(b, p + len - 4)} differs from its length ${len}: the file is corrupt from there`)
        }
        if (type === SHB) {
          if (len < 28) throw corruptError(path, `${path}: ${where(base, p)}: section header of ${len} bytes (at least 28)`)
          const major = rd16(b, p + 12)
          if (major !== 1) throw captureError(path, `${path}: ${where(base, p)}: pcapng version ${major}.${rd16(b, p + 14)}; hachaos reads version 1`)
          section += 1
          ifaces = []
        } else if (type === IDB) {
          if (len < 20) throw corruptError(path, `${path}: ${where(base, p)}: interface description of ${len} bytes (at least 20)`)
          ifaces.push(idb(b, p, len, where(base, p)))
        } else if (type === EPB || type === OPB) {
          if (len < 32) throw corruptError(path, `${path}: ${where(base, p)}: packet block of ${len} bytes (at least 32)`)
          const id = type === EPB ? rd(b, p + 8) : rd16(b, p + 8)
          const iface = ifaces[id]
          if (iface === undefined) throw corruptError(path, `${path}: ${where(base, p)}: a packet on interface ${id}, which no interface description block declared`)
          const caplen = rd(b, p + 20)
          if (caplen > len - 32) throw corruptError(path, `${path}: ${where(base, p)}: a packet of ${caplen} captured bytes in a block of ${len}: the file is corrupt from there`)
          const orig = rd(b, p + 24)
          if (orig < caplen) {
            // as tcpdump: "[Invalid header: len(…) < caplen(…)]", nothing decoded
            tally.frames += 1
            tally.addUnparsed({n: tally.frames, text: hexPreview(b.subarray(p + 28, p + 28 + caplen)), reason: `invalid packet header: len(${orig}) < caplen(${caplen})`})
          } else packet(b, p + 28, p + 28 + caplen, toUs(iface, rd(b, p + 12), rd(b, p + 16)), iface, out)
        } else if (type === SPB) {
          if (len < 16) throw corruptError(path, `${path}: ${where(base, p)}: simple packet block of ${len} bytes (at least 16)`)
          const iface = ifaces[0]
          if (iface === undefined) throw corruptError(path, `${path}: ${where(base, p)}: a simple packet block before any interface description block`)
          const orig = rd(b, p + 8)
          let caplen = Math.min(orig, len - 16)
          if (iface.snaplen > 0) caplen = Math.min(caplen, iface.snaplen)
          packet(b, p + 12, p + 12 + caplen, null, iface, out)
        }
        p += len
      }
    } catch (error) {
      return {used: p - start, out, error: error as Error}
    }
    return {used: p - start, out}
  })
  const {left} = yield* frameBatches(gen, () => times)
  if (section < 0) throw captureError(path, `${path} ends inside its pcapng section header (${left.length} bytes)`)
  if (left.length > 0) {
    tally.addUnparsed({n: tally.frames + 1, text: hexPreview(left), reason: `the file ends inside a block (${left.length} bytes left over): cut short?`})
  }
}
