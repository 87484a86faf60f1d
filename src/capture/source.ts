/**
 * The bytes of a capture, as a stream of chunks with a fixed-size read buffer: a file, or stdin for `-`.
 * The first bytes are read ahead (the format is told by them) and handed back as the first chunk, so stdin,
 * which cannot be read twice, works like a file. Memory: one CHUNK buffer, reused (a chunk is valid until
 * the next one is asked for) — nothing grows with the size of the capture.
 */
import {open, type FileHandle} from 'node:fs/promises'

import {fileErrorText, HachaosError} from '../errors.js'

/** Bytes per read. */
export const CHUNK = 1 << 20
/** Events per batch handed out (then the reader goes on where it stopped). */
export const BATCH = 1024
/** Bytes read ahead to tell the format. */
export const HEAD = 4096

export class ByteSource {
  private headGiven = false

  private constructor(
    /** The path as given ('-' for stdin). */
    readonly path: string,
    /** The first bytes (up to HEAD; fewer only at the end of the input). */
    readonly head: Buffer,
    private readonly fh: FileHandle | null,
    private readonly stdin: AsyncIterator<Buffer> | null,
  ) {}

  /** Open a file (or stdin for '-') and read its first bytes; clear BAD_INPUT errors for a missing file. */
  static async open(path: string): Promise<ByteSource> {
    if (path === '-') {
      const it = (process.stdin as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]() as AsyncIterator<Buffer>
      const parts: Buffer[] = []
      let got = 0
      while (got < HEAD) {
        const r = await it.next()
        if (r.done === true) break
        const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value
        parts.push(b)
        got += b.length
      }
      return new ByteSource(path, Buffer.concat(parts), null, it)
    }
    let fh: FileHandle
    try {
      fh = await open(path, 'r')
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      throw new HachaosError(code === 'ENOENT' ? `${path} does not exist` : `cannot read ${path}: ${fileErrorText(e)}`, {
        code: 'E_READ_FILE',
        exit: 'BAD_INPUT',
        where: path,
        suggestions: ['check the path of the capture file'],
      })
    }
    try {
      // reads at the file's own position (position null), never at an offset: a FIFO, `<(zcat day.pcap.gz)`
      // (/dev/fd/63, a pipe) or a character device cannot seek (pread: ESPIPE), and a pipe may give the head in
      // several short reads
      const head = Buffer.alloc(HEAD)
      let got = 0
      while (got < HEAD) {
        const {bytesRead} = await fh.read(head, got, HEAD - got, null)
        if (bytesRead === 0) break
        got += bytesRead
      }
      return new ByteSource(path, head.subarray(0, got), fh, null)
    } catch (e) {
      await fh.close()
      throw new HachaosError(`cannot read ${path}: ${fileErrorText(e)}`, {code: 'E_READ_FILE', exit: 'BAD_INPUT', where: path})
    }
  }

  /** The input from its first byte, in chunks (the head first). Closes the file at the end or on return(). */
  async *chunks(): AsyncGenerator<Buffer> {
    try {
      if (!this.headGiven) {
        this.headGiven = true
        if (this.head.length > 0) yield this.head
      }
      if (this.fh !== null) {
        if (this.head.length < HEAD) return
        const buf = Buffer.allocUnsafe(CHUNK)
        for (;;) {
          let n: number
          try {
            n = (await this.fh.read(buf, 0, CHUNK, null)).bytesRead
          } catch (e) {
            throw new HachaosError(`cannot read ${this.path}: ${fileErrorText(e)}`, {code: 'E_READ_FILE', exit: 'BAD_INPUT', where: this.path})
          }
          if (n === 0) return
          yield buf.subarray(0, n)
        }
      }
      if (this.stdin !== null) {
        for (;;) {
          const r = await this.stdin.next()
          if (r.done === true) return
          yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value
        }
      }
    } finally {
      await this.close()
    }
  }

  private closed = false

  /** Close the file (idempotent; stdin is left alone). */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.fh !== null) await this.fh.close().catch(() => undefined)
  }
}

/**
 * A fixed-size work buffer fed from chunks: `parse(buf, start, end)` consumes whole records from the window and
 * returns how many bytes it used (more than it was given = skip that many bytes, e.g. an unknown block too big
 * for the buffer) and the records' output; an `error` (corruption) is thrown after that output is yielded;
 * `more`: it stopped early (a batch is full: small batches die young, cheap for the garbage collector) and
 * wants to be called again from where it stopped. Bytes left over (a record cut by the chunk boundary) move to the front. `base` is the
 * input offset of buf[0], for error messages. Returns the bytes left over at the end of the input.
 */
export async function* framed<T>(
  chunks: AsyncIterable<Buffer>,
  size: number,
  parse: (buf: Buffer, start: number, end: number, base: number) => {used: number; out: T[] | null; error?: Error; more?: boolean},
): AsyncGenerator<T[], {left: Buffer; base: number}> {
  const work = Buffer.allocUnsafe(size)
  let len = 0 // valid bytes in work[0, len)
  let base = 0 // input offset of work[0]
  let skip = 0
  for await (const chunk of chunks) {
    let off = 0
    while (off < chunk.length) {
      if (skip > 0) {
        const s = Math.min(skip, chunk.length - off)
        skip -= s
        off += s
        base += s
        continue
      }
      const n = Math.min(size - len, chunk.length - off)
      chunk.copy(work, len, off, off + n)
      len += n
      off += n
      let start = 0
      for (;;) {
        const r = parse(work, start, len, base)
        if (r.out !== null && r.out.length > 0) yield r.out
        // corruption: the records before it were handed out above; the read stops here
        if (r.error !== undefined) throw r.error
        if (start + r.used > len) {
          skip = start + r.used - len
          base += len
          len = 0
          start = 0
          break
        }
        start += r.used
        if (r.more !== true) break
      }
      if (start > 0) {
        work.copyWithin(0, start, len)
        len -= start
        base += start
      } else if (len === size) {
        // parse() must take records that fit; a full buffer it cannot use is its own error to raise
        throw new Error(`framed(): a ${size}-byte buffer full and nothing parsed`)
      }
    }
  }
  return {left: Buffer.from(work.subarray(0, len)), base}
}

/**
 * Hand out every batch of a framed() generator and return what it left over; when the consumer stops early
 * (breaks off its loop), the framed generator is ended too, which closes the input.
 */
export async function* relay<T>(gen: AsyncGenerator<T[], {left: Buffer; base: number}>): AsyncGenerator<T[], {left: Buffer; base: number}> {
  let r = await gen.next()
  try {
    while (r.done !== true) {
      yield r.value
      r = await gen.next()
    }
  } finally {
    if (r.done !== true) await gen.return({left: Buffer.alloc(0), base: 0})
  }
  return r.value
}
