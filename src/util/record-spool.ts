/**
 * SortedSpool (sorted-spool.ts) for records of `width` numbers instead of text lines: a list too long to hold,
 * wanted sorted at the end, of records whose fields are all numbers (field 0 the order key, field 1 the tie;
 * strings are the caller's ids). Records are kept as float64s in memory and on disk, so a record costs no
 * string: `capture analyze --json` spooled its master spans and advert gaps as text lines (the entry's JSON
 * text, made when it closed, then encoded, written, read back, decoded and split), and that text was most of
 * what --json cost beyond the reading (issue 11); now the JSON is made once, as the output is written.
 *
 * Same scheme as SortedSpool: records arriving in order while none is held go straight to the open run
 * through a fixed write buffer; one out of order starts holding records in memory (at most `runSize`), sorted
 * and written as a run when full; `sorted()` reads the runs one after the other when they follow each other,
 * else merges them (and what is held) over a small heap, each run through a READ-record buffer.
 * Order: by field 0, ties by field 1, then in the order added (the sort is stable, the merge prefers the
 * earlier run).
 *
 * Memory: the write buffer (WRITE records), `runSize` records once one arrives out of order, and while
 * merging READ records per run.
 */
import {closeSync, mkdtempSync, openSync, readSync, writeSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {MinHeap} from './heap.js'
import {removeSpoolDir} from './spool-dir.js'

/** Records per write (the open run's buffer). */
const WRITE = 4096
/** Records read from a run at a time while merging. */
const READ = 1024

/** One sorted run being read: its current record is buf[at, at + width). */
class RunReader {
  readonly buf: Float64Array
  private readonly bytes: Buffer
  at = 0
  private n = 0
  private i = 0
  key = 0
  tie = 0

  constructor(
    private readonly fd: number,
    private readonly width: number,
    /** Record index in the file. */
    private rec: number,
    private readonly end: number,
    readonly src: number,
  ) {
    this.buf = new Float64Array(READ * width)
    this.bytes = Buffer.from(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength)
  }

  /** Move to the next record; false at the end of the run. */
  next(): boolean {
    if (this.i + 1 < this.n) {
      this.i += 1
    } else {
      const want = Math.min(READ, this.end - this.rec)
      if (want <= 0) return false
      const size = this.width * 8
      let got = 0
      while (got < want * size) {
        const k = readSync(this.fd, this.bytes, got, want * size - got, this.rec * size + got)
        if (k === 0) throw new Error('RecordSpool: the spool file is shorter than written')
        got += k
      }
      this.rec += want
      this.n = want
      this.i = 0
    }
    this.at = this.i * this.width
    this.key = this.buf[this.at] as number
    this.tie = this.buf[this.at + 1] as number
    return true
  }
}

export class RecordSpool {
  private mem: Float64Array | null = null
  private memN = 0
  private readonly sbuf: Float64Array
  private sn = 0
  /** Record ranges [start, end) of the sorted runs in the file. */
  private readonly runs: Array<[number, number]> = []
  private fd: number | null = null
  private dir: string | null = null
  /** Records written to the file. */
  private written = 0
  private total = 0
  /** Every run starts at or after the end of the one before: read them one by one. */
  private ordered = true
  private hasLast = false
  private lastKey = 0
  private lastTie = 0
  private streamStart = -1

  constructor(
    readonly width: number,
    private readonly runSize = 16_384,
    private readonly tmp = tmpdir(),
  ) {
    if (width < 2) throw new Error('RecordSpool: a record has at least a key and a tie')
    this.sbuf = new Float64Array(WRITE * width)
  }

  /** Records added. */
  get count(): number {
    return this.total
  }

  /** Records held in memory now (at most runSize). */
  get inMemory(): number {
    return this.memN
  }

  /** Add a record: its first `width` numbers are copied (`r` may be reused at once). */
  add(r: ArrayLike<number>): void {
    this.total += 1
    const w = this.width
    const key = r[0] as number
    const tie = r[1] as number
    if (this.memN === 0 && (!this.hasLast || key > this.lastKey || (key === this.lastKey && tie >= this.lastTie))) {
      if (this.streamStart < 0) this.streamStart = this.written + this.sn
      const at = this.sn * w
      for (let i = 0; i < w; i++) this.sbuf[at + i] = r[i] as number
      this.sn += 1
      if (this.sn === WRITE) this.flushBuf()
      this.hasLast = true
      this.lastKey = key
      this.lastTie = tie
      return
    }
    const mem = (this.mem ??= new Float64Array(this.runSize * w))
    const at = this.memN * w
    for (let i = 0; i < w; i++) mem[at + i] = r[i] as number
    this.memN += 1
    if (this.memN >= this.runSize) this.spill()
  }

  private file(): number {
    if (this.fd === null) {
      this.dir = mkdtempSync(join(this.tmp, 'hachaos-spool-'))
      this.fd = openSync(join(this.dir, 'records'), 'w+')
    }
    return this.fd
  }

  private writeRecords(a: Float64Array, n: number): void {
    const b = Buffer.from(a.buffer, a.byteOffset, n * this.width * 8)
    const fd = this.file()
    for (let off = 0; off < b.length; ) off += writeSync(fd, b, off, b.length - off, this.written * this.width * 8 + off)
    this.written += n
  }

  private flushBuf(): void {
    if (this.sn === 0) return
    this.writeRecords(this.sbuf, this.sn)
    this.sn = 0
  }

  private closeStream(): void {
    if (this.streamStart < 0) return
    this.flushBuf()
    this.runs.push([this.streamStart, this.written])
    this.streamStart = -1
  }

  /** The records held, sorted (stable), as a new array of records. */
  private sortedMem(): Float64Array {
    const w = this.width
    const mem = this.mem as Float64Array
    const idx = Array.from({length: this.memN}, (_, i) => i)
    idx.sort((x, y) => (mem[x * w] as number) - (mem[y * w] as number) || (mem[x * w + 1] as number) - (mem[y * w + 1] as number))
    const out = new Float64Array(this.memN * w)
    for (let k = 0; k < idx.length; k++) out.set(mem.subarray((idx[k] as number) * w, (idx[k] as number) * w + w), k * w)
    return out
  }

  private spill(): void {
    if (this.memN === 0) return
    this.closeStream()
    const sorted = this.sortedMem()
    const n = this.memN
    this.memN = 0
    // an out-of-order record started this run: it begins before the last one ended
    this.ordered = false
    this.hasLast = true
    this.lastKey = sorted[(n - 1) * this.width] as number
    this.lastTie = sorted[(n - 1) * this.width + 1] as number
    const start = this.written
    this.writeRecords(sorted, n)
    this.runs.push([start, this.written])
  }

  /**
   * Every record, in order, as `read(buf, at)` makes it from buf[at, at + width) (the buffer is reused: read
   * what you need). The spool can be read once; remove() afterwards.
   */
  *sorted<T>(read: (buf: Float64Array, at: number) => T): Generator<T> {
    this.closeStream()
    const w = this.width
    const mem = this.memN > 0 ? this.sortedMem() : new Float64Array(0)
    const memN = this.memN
    this.memN = 0
    if (this.runs.length === 0 || this.fd === null) {
      for (let k = 0; k < memN; k++) yield read(mem, k * w)
      return
    }
    const fd = this.fd
    if (this.ordered && memN === 0) {
      for (const [s, e] of this.runs) {
        const r = new RunReader(fd, w, s, e, 0)
        while (r.next()) yield read(r.buf, r.at)
      }
      return
    }
    // merge: the runs, and what is held as one more source (the last)
    const readers = this.runs.map(([s, e], i) => new RunReader(fd, w, s, e, i))
    const heap = new MinHeap<RunReader>((a, b) => a.key < b.key || (a.key === b.key && (a.tie < b.tie || (a.tie === b.tie && a.src < b.src))))
    for (const r of readers) if (r.next()) heap.push(r)
    let m = 0
    for (;;) {
      const h = heap.peek()
      const mk = m < memN ? (mem[m * w] as number) : 0
      const mt = m < memN ? (mem[m * w + 1] as number) : 0
      // the held records are the newest source: they go after a run's record equal on key and tie
      if (m < memN && (h === undefined || mk < h.key || (mk === h.key && mt < h.tie))) {
        yield read(mem, m * w)
        m += 1
        continue
      }
      if (h === undefined) break
      heap.pop()
      yield read(h.buf, h.at)
      if (h.next()) heap.push(h)
    }
  }

  /** Delete the temporary file (idempotent). */
  remove(): void {
    if (this.fd !== null) closeSync(this.fd)
    this.fd = null
    if (this.dir !== null) removeSpoolDir(this.dir, 'records')
    this.dir = null
  }
}
