/**
 * A list too long to hold, wanted sorted at the end: entries are added in any order, held in memory up to
 * `runSize`, then sorted and written to a temporary file as one sorted run; `sorted()` merges the runs and what
 * is still in memory (a k-way merge over a small heap) and hands the entries out in order, reading each run
 * through a small fixed buffer.
 *
 * Memory: at most `runSize` entries in memory while adding; while merging, one read buffer (READ bytes) and one
 * decoded entry per run, plus the last run's entries. Disk: one line per entry. Nothing in memory grows with the
 * number of entries but the merge's runs × READ (a run is `runSize` entries: 10^7 entries in runs of 16,384
 * are 611 runs, 20 MB of read buffers), and not even that when the entries were added in order (runs that
 * follow each other, e.g. GARPs: read one after the other through one buffer).
 *
 * Hand-written (an external merge sort in ~100 lines) because the npm external-sort packages sort whole files of
 * text lines by a comparator over strings, whereas here the entries are records with a numeric key and the
 * caller encodes them to one line itself (the cheapest format for its fields); synchronous file I/O keeps the
 * merge a plain generator (the caller is a batch command that waits on it anyway).
 *
 * Order: by `key` (a number), ties by `tie` (a number: e.g. an insertion or group order); entries equal on both
 * come out in no particular order.
 */
import {closeSync, mkdtempSync, openSync, readSync, writeSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {StringDecoder} from 'node:string_decoder'

import {MinHeap} from './heap.js'
import {writeUint} from './digits.js'
import {removeSpoolDir} from './spool-dir.js'

export interface SpoolCodec<T> {
  /** One line, no newline in it. */
  encode(x: T): string
  decode(line: string): T
  key(x: T): number
  tie(x: T): number
}

/** The open run's write buffer. */
const STREAM_BUF = 256 * 1024
/** LineSpool encodes its joined lines when they are this long (well under STREAM_BUF / 3). */
const ACC_AT = 16 * 1024
/** Bytes read from a run at a time while merging. */
const READ = 32 * 1024

/** A sorted run on disk, read a line at a time through a READ-byte buffer. */
class RunReader {
  private readonly buf = Buffer.allocUnsafe(READ)
  // a chunk may end inside a multi-byte character: the decoder keeps its first bytes for the next chunk
  private readonly dec = new StringDecoder('utf8')
  private text = ''
  private pos = 0
  private eof = false

  constructor(
    private readonly fd: number,
    private offset: number,
    private readonly end: number,
  ) {}

  next(): string | null {
    for (;;) {
      const nl = this.text.indexOf('\n', this.pos)
      if (nl >= 0) {
        const line = this.text.slice(this.pos, nl)
        this.pos = nl + 1
        return line
      }
      if (this.eof) return null
      const n = this.offset < this.end ? readSync(this.fd, this.buf, 0, Math.min(READ, this.end - this.offset), this.offset) : 0
      this.offset += n
      if (n === 0) {
        this.eof = true
        this.text = this.text.slice(this.pos) + this.dec.end()
      } else this.text = this.text.slice(this.pos) + this.dec.write(this.buf.subarray(0, n))
      this.pos = 0
    }
  }
}

export class SortedSpool<T> {
  private mem: T[] = []
  /** Byte ranges [start, end) of the sorted runs in the file. */
  private readonly runs: Array<[number, number]> = []
  private fd: number | null = null
  private dir: string | null = null
  private written = 0
  private total = 0
  /** Every run starts at or after the end of the one before (entries added in order): read them one by one. */
  private ordered = true
  /** The last entry of the last run (written or being streamed). */
  private last: T | null = null
  /**
   * The open run: entries that arrive in order (none held in memory, none out of order since this run began)
   * are encoded at once into this buffer, written out when full: no object per entry is kept (GARPs).
   */
  private readonly sbuf = Buffer.allocUnsafe(STREAM_BUF)
  private spos = 0
  private streamStart = -1
  private streamed = 0

  constructor(
    private readonly codec: SpoolCodec<T>,
    private readonly runSize = 16_384,
    private readonly tmp = tmpdir(),
  ) {}

  /** Entries added. */
  get count(): number {
    return this.total
  }

  /** Entries held in memory now (at most runSize). */
  get inMemory(): number {
    return this.mem.length
  }

  /** Runs written to disk so far (the open one included). */
  get runCount(): number {
    return this.runs.length + (this.streamStart >= 0 ? 1 : 0)
  }

  add(x: T): void {
    this.total += 1
    if (this.mem.length === 0 && (this.last === null || this.cmp(x, this.last) >= 0)) {
      this.stream(x)
      return
    }
    this.mem.push(x)
    if (this.mem.length >= this.runSize) this.spill()
  }

  private readonly cmp = (x: T, y: T): number => this.codec.key(x) - this.codec.key(y) || this.codec.tie(x) - this.codec.tie(y)

  private file(): number {
    if (this.fd === null) {
      this.dir = mkdtempSync(join(this.tmp, 'hachaos-spool-'))
      this.fd = openSync(join(this.dir, 'runs'), 'w+')
    }
    return this.fd
  }

  private stream(x: T): void {
    if (this.streamStart < 0) {
      this.encodeStream()
      this.streamStart = this.written + this.spos
    }
    // lines are joined and encoded ACC_AT characters at a time: one Buffer.write per line cost about as much as
    // making the line (capture analyze --json: its master spans and advert gaps)
    this.sacc += `${this.codec.encode(x)}\n`
    if (this.sacc.length >= ACC_AT) this.encodeStream()
    this.last = x
    this.streamed += 1
  }

  /** Lines of the open run joined, not yet encoded into sbuf. */
  private sacc = ''

  private encodeStream(): void {
    if (this.sacc.length === 0) return
    const text = this.sacc
    this.sacc = ''
    if (text.length * 3 > STREAM_BUF - this.spos) {
      this.flushBuf()
      if (text.length * 3 > STREAM_BUF) {
        this.written += writeSync(this.file(), text, this.written, 'utf8')
        return
      }
    }
    this.spos += this.sbuf.write(text, this.spos, 'utf8')
  }

  private flushBuf(): void {
    if (this.spos === 0) return
    this.written += writeSync(this.file(), this.sbuf, 0, this.spos, this.written)
    this.spos = 0
  }

  private flushStream(): void {
    this.encodeStream()
    this.flushBuf()
  }

  /** Close the open run (its range joins the runs). */
  private closeStream(): void {
    if (this.streamStart < 0) return
    this.flushStream()
    this.runs.push([this.streamStart, this.written])
    this.streamStart = -1
  }

  private spill(): void {
    if (this.mem.length === 0) return
    this.closeStream()
    const fd = this.file()
    const sorted = this.mem.sort(this.cmp)
    this.mem = []
    // an out-of-order entry started this run: it begins before the last one ended
    this.ordered = false
    this.last = sorted[sorted.length - 1] as T
    const start = this.written
    // written in pieces of ~1 MiB (one string per piece: few syscalls, no giant string)
    let piece = ''
    for (const x of sorted) {
      piece += `${this.codec.encode(x)}\n`
      if (piece.length >= 1 << 20) {
        this.written += writeSync(fd, piece, this.written, 'utf8')
        piece = ''
      }
    }
    if (piece.length > 0) this.written += writeSync(fd, piece, this.written, 'utf8')
    this.runs.push([start, this.written])
  }

  /** Every entry, in order. The spool can be read once; remove() afterwards. */
  *sorted(): Generator<T> {
    this.closeStream()
    const mem = this.mem.sort(this.cmp)
    this.mem = []
    if (this.runs.length === 0 || this.fd === null) {
      yield* mem
      return
    }
    const fd = this.fd
    const codec = this.codec
    // (mem holds entries only when one came out of order: then the runs are merged)
    if (this.ordered && mem.length === 0) {
      // in order already (e.g. GARPs, kept in arrival order): one run after the other, one read buffer
      for (const [s, e] of this.runs) {
        const r = new RunReader(fd, s, e)
        for (let line = r.next(); line !== null; line = r.next()) yield codec.decode(line)
      }
      yield* mem
      return
    }
    interface Head {
      x: T
      src: number
    }
    const readers = this.runs.map(([s, e]) => new RunReader(fd, s, e))
    let memAt = 0
    const heap = new MinHeap<Head>((a, b) => this.cmp(a.x, b.x) < 0 || (this.cmp(a.x, b.x) === 0 && a.src < b.src))
    const pull = (src: number): void => {
      if (src === readers.length) {
        if (memAt < mem.length) heap.push({x: mem[memAt++] as T, src})
        return
      }
      const line = (readers[src] as RunReader).next()
      if (line !== null) heap.push({x: codec.decode(line), src})
    }
    for (let i = 0; i <= readers.length; i++) pull(i)
    while (heap.size > 0) {
      const h = heap.pop() as Head
      yield h.x
      pull(h.src)
    }
  }

  /** Delete the temporary file (idempotent). */
  remove(): void {
    if (this.fd !== null) closeSync(this.fd)
    this.fd = null
    if (this.dir !== null) removeSpoolDir(this.dir, 'runs')
    this.dir = null
  }
}

/**
 * Lines already in their final order and form (e.g. the JSON text of GARPs, which close in arrival order),
 * joined by `sep` (e.g. ",\n" and an indentation: the layout of the output they go to): appended to a
 * temporary file through a fixed buffer and read back as raw bytes, so that the caller copies them out without
 * decoding any. Memory: the write buffer, then one read buffer.
 */
export class LineSpool {
  private readonly buf = Buffer.allocUnsafe(STREAM_BUF)
  private pos = 0
  private fd: number | null = null
  private dir: string | null = null
  private written = 0
  private n = 0

  constructor(
    readonly sep = '\n',
    private readonly tmp = tmpdir(),
  ) {}

  /** Lines appended. */
  get count(): number {
    return this.n
  }

  /** Lines joined here first, encoded ACC_AT characters at a time (one Buffer.write per line cost more). */
  private acc = ''

  /** Append one line (`sep` not in it). */
  append(line: string): void {
    this.acc += this.n++ === 0 ? line : `${this.sep}${line}`
    if (this.acc.length >= ACC_AT) this.encode()
  }

  /**
   * Append one line as bytes, the digits of a non-negative safe integer, bytes (e.g. an entry's cached JSON
   * text around its time: no string per line).
   */
  appendAround(head: Uint8Array, x: number, tail: Uint8Array): void {
    this.encode()
    const sep = (this.sepBytes ??= Buffer.from(this.sep, 'utf8'))
    const sepLen = this.n++ === 0 ? 0 : sep.length
    if (sepLen + head.length + 16 + tail.length > STREAM_BUF - this.pos) {
      this.flush()
      if (sepLen + head.length + 16 + tail.length > STREAM_BUF) {
        this.n -= 1
        this.append(`${Buffer.from(head).toString('utf8')}${x}${Buffer.from(tail).toString('utf8')}`)
        return
      }
    }
    if (sepLen > 0) {
      this.buf.set(sep, this.pos)
      this.pos += sepLen
    }
    this.buf.set(head, this.pos)
    this.pos = writeUint(this.buf, this.pos + head.length, x)
    this.buf.set(tail, this.pos)
    this.pos += tail.length
  }

  private sepBytes: Buffer | null = null

  private encode(): void {
    if (this.acc.length === 0) return
    const text = this.acc
    this.acc = ''
    if (text.length * 3 > STREAM_BUF - this.pos) {
      this.flush()
      if (text.length * 3 > STREAM_BUF) {
        this.written += writeSync(this.file(), text, this.written, 'utf8')
        return
      }
    }
    this.pos += this.buf.write(text, this.pos, 'utf8')
  }

  private file(): number {
    if (this.fd === null) {
      this.dir = mkdtempSync(join(this.tmp, 'hachaos-spool-'))
      this.fd = openSync(join(this.dir, 'lines'), 'w+')
    }
    return this.fd
  }

  private flush(): void {
    this.encode()
    if (this.pos === 0) return
    this.written += writeSync(this.file(), this.buf, 0, this.pos, this.written)
    this.pos = 0
  }

  /** The lines joined by `sep`, as raw bytes: views of one read buffer, each valid until the next is asked for. */
  *bytes(): Generator<Buffer> {
    this.flush()
    if (this.fd === null) return
    for (let off = 0; off < this.written; ) {
      const n = readSync(this.fd, this.buf, 0, Math.min(STREAM_BUF, this.written - off), off)
      if (n === 0) break
      off += n
      yield this.buf.subarray(0, n)
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
    if (this.dir !== null) removeSpoolDir(this.dir, 'lines')
    this.dir = null
  }
}

/** UTF-8 text split at `sep`, from byte chunks (a character may straddle two chunks): the spools' lines. */
export function* linesOf(chunks: Iterable<Uint8Array>, sep: string): Generator<string> {
  const dec = new StringDecoder('utf8')
  let rest = ''
  for (const b of chunks) {
    rest += dec.write(b)
    const parts = rest.split(sep)
    rest = parts.pop() as string
    yield* parts
  }
  yield rest + dec.end()
}
