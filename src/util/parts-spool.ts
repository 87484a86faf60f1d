/**
 * Lines in their final order (LineSpool's job: the GARPs of `capture analyze --json`, joined by `sep`), most of
 * them made of a few cached texts around a number — the JSON of a GARP around its time. Those are kept as
 * 12 bytes (the id of their text pair and the number) instead of their ~120 bytes of text: half a million GARPs
 * are 6 MB on disk instead of 60, written and read back once (the temporary file's write and read were a
 * large part of --json's system time). The text is made again as the bytes are read (bytes(): the same bytes
 * LineSpool gives); bytesInto() writes that text straight into the caller's buffer (no copy).
 *
 * Memory: one 256 KiB write buffer, then a read buffer of that size (and for bytes() the output chunks); the
 * table of text pairs, at most PAIRS (past that, and for lines given as text, the line's text itself is spooled).
 */
import {closeSync, mkdtempSync, openSync, readSync, writeSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {type Around, around, writeAround} from './digits.js'
import {linesOf} from './sorted-spool.js'
import {removeSpoolDir} from './spool-dir.js'

const BUF = 256 * 1024
/** Text pairs with an id (then lines are spooled as text). */
const PAIRS = 4096
/** A pair of texts larger than this is spooled as text. */
const PAIR_MAX = 4096
/** Record marks: a text record ([TEXT, byte length, bytes padded to 4]); else [pair id, low 32 bits, high bits]. */
const TEXT = 0xffffffff
const TWO32 = 4294967296
/** A line given as text is written out this much at a time. */
const CHUNK = 64 * 1024
/** bytesInto yields after about this many bytes. */
const YIELD_EVERY = 64 * 1024

/** Where bytesInto writes: room for `n` bytes (n ≤ 64 KiB) at target[reserve(n)], then commit(end). StreamOut is one. */
export interface ByteSink {
  reserve(n: number): number
  readonly target: Buffer
  commit(end: number): void
}

/** A text pair; `text`, `sepText`: it as an Around (digits.ts), without and with the separator before it (made when read back). */
interface Pair {
  head: Uint8Array
  tail: Uint8Array
  text?: Around
  sepText?: Around
}

export class PartsSpool {
  private readonly words = new Uint32Array(BUF / 4)
  private readonly buf = Buffer.from(this.words.buffer)
  /** Write position in words. */
  private at = 0
  private fd: number | null = null
  private dir: string | null = null
  private written = 0
  private n = 0
  private readonly ids = new Map<Uint8Array, number>()
  private readonly pairs: Pair[] = []
  private sepBytes: Buffer | null = null
  /** The last pair appended and its id (lines come in runs of the same pair: no Map lookup for those). */
  private lastTail: Uint8Array | null = null
  private lastHead: Uint8Array | null = null
  private lastId = 0

  constructor(
    readonly sep = '\n',
    private readonly tmp = tmpdir(),
  ) {}

  /** Lines appended. */
  get count(): number {
    return this.n
  }

  /**
   * Append the line head + the digits of `x` (a non-negative safe integer) + tail. The pair is known by the
   * identity of `tail` (and `head`): pass the same buffers for the same texts.
   */
  appendAround(head: Uint8Array, x: number, tail: Uint8Array): void {
    let id: number | undefined = tail === this.lastTail && head === this.lastHead ? this.lastId : this.ids.get(tail)
    if (id === undefined || this.pairs[id]?.head !== head) {
      if (this.pairs.length >= PAIRS || head.length + tail.length > PAIR_MAX || !Number.isSafeInteger(x) || x < 0) {
        this.append(`${Buffer.from(head).toString('utf8')}${x}${Buffer.from(tail).toString('utf8')}`)
        return
      }
      id = this.pairs.length
      this.pairs.push({head, tail})
      this.ids.set(tail, id)
    }
    this.lastTail = tail
    this.lastHead = head
    this.lastId = id
    if (this.at + 3 > this.words.length) this.flush()
    const hi = Math.floor(x / TWO32)
    this.words[this.at] = id
    this.words[this.at + 1] = x - hi * TWO32
    this.words[this.at + 2] = hi
    this.at += 3
    this.n += 1
  }

  /** Append one line as text (`sep` not in it). */
  append(line: string): void {
    const b = Buffer.from(line, 'utf8')
    if (this.at + 2 > this.words.length) this.flush()
    this.words[this.at] = TEXT
    this.words[this.at + 1] = b.length
    this.at += 2
    // the text, in as many buffer-fulls as it takes
    for (let off = 0; off < b.length; ) {
      if (this.at === this.words.length) this.flush()
      const room = (this.words.length - this.at) * 4
      const k = Math.min(room, b.length - off)
      b.copy(this.buf, this.at * 4, off, off + k)
      off += k
      this.at += Math.ceil(k / 4)
    }
    this.n += 1
  }

  private file(): number {
    if (this.fd === null) {
      this.dir = mkdtempSync(join(this.tmp, 'hachaos-spool-'))
      this.fd = openSync(join(this.dir, 'parts'), 'w+')
    }
    return this.fd
  }

  private flush(): void {
    if (this.at === 0) return
    this.written += writeSync(this.file(), this.buf, 0, this.at * 4, this.written)
    this.at = 0
  }

  /** The lines joined by `sep`, as raw bytes: chunks of at most BUF bytes (bytesInto a buffer of each's own). */
  *bytes(): Generator<Buffer> {
    let out = Buffer.allocUnsafe(BUF)
    let o = 0
    const ready: Buffer[] = []
    const sink: ByteSink = {
      reserve: (n) => {
        if (BUF - o < n) {
          ready.push(out.subarray(0, o))
          out = Buffer.allocUnsafe(Math.max(BUF, n))
          o = 0
        }
        return o
      },
      get target() {
        return out
      },
      commit: (end) => {
        o = end
      },
    }
    for (const _ of this.bytesInto(sink)) yield* ready.splice(0)
    yield* ready.splice(0)
    if (o > 0) yield out.subarray(0, o)
  }

  /**
   * The lines joined by `sep`, written straight into `sink` (capture analyze --json: into its output buffer,
   * no copy); yields every YIELD_EVERY bytes or so (the caller may flush then).
   */
  *bytesInto(sink: ByteSink): Generator<void> {
    this.flush()
    if (this.fd === null || this.n === 0) return
    const fd = this.fd
    const sep = (this.sepBytes ??= Buffer.from(this.sep, 'utf8'))
    const rb = Buffer.allocUnsafe(BUF)
    let rlen = 0 // valid bytes in rb
    let rpos = 0 // read position in rb
    let fileOff = 0
    /** At least `k` bytes (k ≤ BUF, a multiple of 4 or the file's end) from rpos in rb; false at the end. */
    const need = (k: number): boolean => {
      if (rlen - rpos >= k) return true
      rb.copyWithin(0, rpos, rlen)
      rlen -= rpos
      rpos = 0
      while (rlen < k && fileOff < this.written) {
        const got = readSync(fd, rb, rlen, Math.min(BUF - rlen, this.written - fileOff), fileOff)
        if (got === 0) break
        rlen += got
        fileOff += got
      }
      return rlen - rpos >= k
    }
    let first = true
    let since = 0
    while (need(8)) {
      const w0 = rb.readUInt32LE(rpos)
      if (w0 !== TEXT) {
        if (!need(12)) break
        const x = rb.readUInt32LE(rpos + 4) + rb.readUInt32LE(rpos + 8) * TWO32
        rpos += 12
        const p = this.pairs[w0] as Pair
        const a = first ? (p.text ??= around(p.head, p.tail)) : (p.sepText ??= around(Buffer.concat([sep, p.head]), p.tail))
        first = false
        const o = sink.reserve(a.line.length + 16)
        const end = writeAround(sink.target, o, a, x)
        sink.commit(end)
        since += end - o
        if (since >= YIELD_EVERY) {
          since = 0
          yield
        }
        continue
      }
      if (!first) {
        const o = sink.reserve(sep.length)
        sink.target.set(sep, o)
        sink.commit(o + sep.length)
      }
      first = false
      let left = rb.readUInt32LE(rpos + 4)
      const padded = Math.ceil(left / 4) * 4
      rpos += 8
      let skip = padded - left
      while (left > 0) {
        if (!need(Math.min(4, left))) break
        const k = Math.min(left, rlen - rpos, CHUNK)
        const o = sink.reserve(k)
        rb.copy(sink.target, o, rpos, rpos + k)
        sink.commit(o + k)
        rpos += k
        left -= k
        since = 0
        yield
      }
      // the padding (the record's words are whole)
      while (skip > 0 && need(1)) {
        const k = Math.min(skip, rlen - rpos)
        rpos += k
        skip -= k
      }
    }
  }

  /** The lines one by one. */
  *lines(): Generator<string> {
    if (this.n === 0) return
    yield* linesOf(this.bytes(), this.sep)
  }

  remove(): void {
    if (this.fd !== null) closeSync(this.fd)
    this.fd = null
    if (this.dir !== null) removeSpoolDir(this.dir, 'parts')
    this.dir = null
  }
}
