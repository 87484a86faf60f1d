/**
 * Test-side writers and a reader for capture files: classic pcap (µs/ns, either byte order, any link-type
 * field) and pcapng (sections in either byte order, interfaces with if_name/if_tsresol/if_tsoffset, enhanced,
 * simple and unknown blocks). Independent of src/capture (a reader checked by a writer it shares no code with).
 */
import {readFileSync} from 'node:fs'

export interface Frame {
  /** Epoch seconds and the fraction in the file's units (µs or ns). */
  sec: number
  frac: number
  data: Buffer
  /** Original length (default data.length). */
  orig?: number
}

/** The frames of a classic pcap file (µs or ns as stored). */
export function readPcapFrames(path: string): {frames: Frame[]; le: boolean; nano: boolean; snaplen: number; linkType: number} {
  const b = readFileSync(path)
  const le = b[0] === 0xd4 || b[0] === 0x4d
  const nano = b.toString('hex', 0, 4) === 'a1b23c4d' || b.toString('hex', 0, 4) === '4d3cb2a1'
  const rd = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o))
  const frames: Frame[] = []
  let p = 24
  while (p + 16 <= b.length) {
    const cap = rd(p + 8)
    if (p + 16 + cap > b.length) break
    frames.push({sec: rd(p), frac: rd(p + 4), orig: rd(p + 12), data: Buffer.from(b.subarray(p + 16, p + 16 + cap))})
    p += 16 + cap
  }
  return {frames, le, nano, snaplen: rd(16), linkType: rd(20)}
}

export function pcapFile(frames: Frame[], o: {nano?: boolean; le?: boolean; snaplen?: number; linkTypeField?: number} = {}): Buffer {
  const le = o.le ?? true
  const parts: Buffer[] = []
  const h = Buffer.alloc(24)
  const w32 = (b: Buffer, v: number, off: number): void => {
    if (le) b.writeUInt32LE(v >>> 0, off)
    else b.writeUInt32BE(v >>> 0, off)
  }
  const w16 = (b: Buffer, v: number, off: number): void => {
    if (le) b.writeUInt16LE(v, off)
    else b.writeUInt16BE(v, off)
  }
  w32(h, o.nano === true ? 0xa1b23c4d : 0xa1b2c3d4, 0)
  w16(h, 2, 4)
  w16(h, 4, 6)
  w32(h, o.snaplen ?? 262144, 16)
  w32(h, o.linkTypeField ?? 1, 20)
  parts.push(h)
  for (const f of frames) {
    const r = Buffer.alloc(16)
    w32(r, f.sec, 0)
    w32(r, f.frac, 4)
    w32(r, f.data.length, 8)
    w32(r, f.orig ?? f.data.length, 12)
    parts.push(r, f.data)
  }
  return Buffer.concat(parts)
}

/** A pcapng writer: call the block methods in file order, then bytes(). */
export class PcapngWriter {
  private readonly parts: Buffer[] = []
  private le = true

  private block(type: number, body: Buffer): this {
    const pad = (4 - (body.length % 4)) % 4
    const len = 12 + body.length + pad
    const b = Buffer.alloc(len)
    this.u32(b, type, 0)
    this.u32(b, len, 4)
    body.copy(b, 8)
    this.u32(b, len, len - 4)
    this.parts.push(b)
    return this
  }

  private u32(b: Buffer, v: number, o: number): void {
    if (this.le) b.writeUInt32LE(v >>> 0, o)
    else b.writeUInt32BE(v >>> 0, o)
  }

  private u16(b: Buffer, v: number, o: number): void {
    if (this.le) b.writeUInt16LE(v, o)
    else b.writeUInt16BE(v, o)
  }

  private options(opts: Array<[number, Buffer]>): Buffer {
    const out: Buffer[] = []
    for (const [code, v] of opts) {
      const h = Buffer.alloc(4)
      this.u16(h, code, 0)
      this.u16(h, v.length, 2)
      out.push(h, v, Buffer.alloc((4 - (v.length % 4)) % 4))
    }
    if (opts.length > 0) out.push(Buffer.alloc(4))
    return Buffer.concat(out)
  }

  section(le: boolean): this {
    this.le = le
    const body = Buffer.alloc(16)
    this.u32(body, 0x1a2b3c4d, 0)
    this.u16(body, 1, 4)
    this.u16(body, 0, 6)
    body.writeBigInt64LE(-1n, 8)
    return this.block(0x0a0d0d0a, body)
  }

  /** tsresol: the if_tsresol byte (6 = µs, 9 = ns, 0x80 | n = 2^-n); offset: if_tsoffset seconds. */
  iface(o: {linkType?: number; snaplen?: number; name?: string; tsresol?: number; tsoffset?: bigint} = {}): this {
    const h = Buffer.alloc(8)
    this.u16(h, o.linkType ?? 1, 0)
    this.u32(h, o.snaplen ?? 262144, 4)
    const opts: Array<[number, Buffer]> = []
    if (o.name !== undefined) opts.push([2, Buffer.from(o.name)])
    if (o.tsresol !== undefined) opts.push([9, Buffer.from([o.tsresol])])
    if (o.tsoffset !== undefined) {
      const v = Buffer.alloc(8)
      if (this.le) v.writeBigInt64LE(o.tsoffset)
      else v.writeBigInt64BE(o.tsoffset)
      opts.push([14, v])
    }
    return this.block(1, Buffer.concat([h, this.options(opts)]))
  }

  /** An enhanced packet block; ts: the 64-bit timestamp in its interface's units. */
  packet(ifaceId: number, ts: bigint, data: Buffer, orig = data.length): this {
    const h = Buffer.alloc(20)
    this.u32(h, ifaceId, 0)
    this.u32(h, Number(ts >> 32n), 4)
    this.u32(h, Number(ts & 0xffffffffn), 8)
    this.u32(h, data.length, 12)
    this.u32(h, orig, 16)
    return this.block(6, Buffer.concat([h, data, Buffer.alloc((4 - (data.length % 4)) % 4)]))
  }

  simple(data: Buffer): this {
    const h = Buffer.alloc(4)
    this.u32(h, data.length, 0)
    return this.block(3, Buffer.concat([h, data]))
  }

  unknown(type: number, size: number): this {
    return this.block(type, Buffer.alloc(size, 0x5a))
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts)
  }
}
