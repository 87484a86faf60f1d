/**
 * JSON written as it goes, for outputs too large to build as one string (`capture analyze` on millions of
 * frames): a buffered writer that waits for the stream to drain, and a JSON writer that writes big arrays
 * element by element (one compact element per line) and everything else as JSON.stringify would.
 */
import {once} from 'node:events'
import type {Writable} from 'node:stream'

import {outputClosed} from '../errors.js'
import {type Around, writeAround, writeUint} from './digits.js'

/**
 * Buffered output with backpressure: `write` encodes into a 1 MiB buffer (no string concatenation: the
 * strings die young); `await flush()` whenever `pending` is large. A full buffer is handed to the stream and
 * another taken; the stream gives it back when it has written it (its write callback), so a few buffers serve
 * any length of output: a new 1 MiB buffer per MiB written was memory outside the JS heap that the garbage
 * collector returned only late (capture analyze --json: about 60 MB of the peak RSS at 10^6 frames).
 */
export class StreamOut {
  private static readonly SIZE = 1 << 20
  /** Buffers written out and given back, at most POOL of them. */
  private static readonly POOL = 4
  private buf: Buffer = Buffer.allocUnsafe(StreamOut.SIZE)
  private pos = 0
  /** Chunks to write; `own`: the pool buffer the chunk is a view of (null: the caller's or a one-off). */
  private readonly full: Array<{c: Buffer; own: Buffer | null}> = []
  private readonly free: Buffer[] = []
  private acc = ''

  constructor(private readonly out: NodeJS.WritableStream) {}

  /**
   * The stream failed with EPIPE, its reader gone (`| head`): read from the stream's own `errored`, not from a
   * listener of ours (one per StreamOut on a shared stdout would pile up); bin/run.js's guardStdio keeps the
   * error event itself from ending the process.
   */
  private get closed(): boolean {
    return ((this.out as Writable).errored as NodeJS.ErrnoException | null | undefined)?.code === 'EPIPE'
  }

  /** Bytes buffered. */
  get pending(): number {
    return this.acc.length + this.pos + this.full.length * StreamOut.SIZE
  }

  write(s: string): void {
    // small strings are joined first and encoded 16 KiB at a time: one Buffer.write per line cost about twice
    // as much (its argument checks), and the joined string is short-lived
    if (s.length < ACC) {
      this.acc += s
      if (this.acc.length >= ACC) this.encode()
      return
    }
    this.encode()
    this.put(s)
  }

  /** Encode the joined small strings. */
  private encode(): void {
    if (this.acc.length === 0) return
    const s = this.acc
    this.acc = ''
    this.put(s)
  }

  private put(s: string): void {
    // at most 3 bytes per UTF-16 unit
    if (s.length * 3 > StreamOut.SIZE - this.pos) {
      if (s.length * 3 > StreamOut.SIZE) {
        this.spill()
        this.full.push({c: Buffer.from(s, 'utf8'), own: null})
        return
      }
      this.spill()
    }
    this.pos += this.buf.write(s, this.pos, 'utf8')
  }

  /** Copy bytes in (`b` may be reused by the caller as soon as this returns). */
  copy(b: Buffer): void {
    this.encode()
    for (let at = 0; at < b.length; ) {
      if (this.pos === StreamOut.SIZE) this.spill()
      const n = b.copy(this.buf, this.pos, at, Math.min(b.length, at + StreamOut.SIZE - this.pos))
      this.pos += n
      at += n
    }
  }

  /**
   * Short bytes in, copied (e.g. the cached JSON text around a value: no string per line). `b` may be reused
   * by the caller as soon as this returns.
   */
  raw(b: Uint8Array): void {
    if (this.acc.length > 0) this.encode()
    if (b.length > StreamOut.SIZE - this.pos) {
      this.copy(b as Buffer)
      return
    }
    this.buf.set(b, this.pos)
    this.pos += b.length
  }

  /** A non-negative safe integer as its decimal digits (what String() writes for it), with no string made. */
  uint(x: number): void {
    if (this.acc.length > 0) this.encode()
    if (StreamOut.SIZE - this.pos < 16) this.spill()
    this.pos = writeUint(this.buf, this.pos, x)
  }

  /** a.head, the digits of the non-negative safe integer `x` (as uint), a.tail: one line of NDJSON around its time. */
  around(a: Around, x: number): void {
    if (this.acc.length > 0) this.encode()
    if (a.line.length > StreamOut.SIZE - this.pos) {
      if (a.line.length > StreamOut.SIZE) {
        this.raw(a.head)
        this.uint(x)
        this.raw(a.tail)
        return
      }
      this.spill()
    }
    this.pos = writeAround(this.buf, this.pos, a, x)
  }

  /**
   * Room for `n` bytes (at most 64 KiB) written straight into the output buffer: returns the position in
   * `target` to write at; then `commit(end)` with the position after what was written. Nothing else may be
   * written in between.
   */
  reserve(n: number): number {
    if (this.acc.length > 0) this.encode()
    if (StreamOut.SIZE - this.pos < n) this.spill()
    return this.pos
  }

  /** The buffer `reserve` made room in. */
  get target(): Buffer {
    return this.buf
  }

  /** The end of what was written after `reserve`. */
  commit(end: number): void {
    this.pos = end
  }

  bytes(b: Buffer): void {
    this.encode()
    this.spill()
    this.full.push({c: b, own: null})
  }

  /** One JSON value per line (NDJSON). */
  line(v: unknown): void {
    this.write(`${JSON.stringify(v)}\n`)
  }

  private spill(): void {
    if (this.pos === 0) return
    this.full.push({c: this.buf.subarray(0, this.pos), own: this.buf})
    this.buf = this.free.pop() ?? Buffer.allocUnsafe(StreamOut.SIZE)
    this.pos = 0
  }

  /** Hand the buffered bytes to the stream; throws outputClosed() once the stream's reader has gone (EPIPE). */
  async flush(): Promise<void> {
    this.encode()
    this.spill()
    const chunks = this.full.splice(0)
    for (const {c, own} of chunks) {
      if (this.closed) throw outputClosed()
      const done =
        own === null
          ? undefined
          : (): void => {
              if (this.free.length < StreamOut.POOL) this.free.push(own)
            }
      if (!this.out.write(c, done)) {
        try {
          await once(this.out, 'drain')
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EPIPE') throw outputClosed()
          throw error
        }
      }
    }
    // let the stream's write callbacks run (a stream that writes synchronously, e.g. to a file or /dev/null,
    // calls them on the next tick, which a loop of resolved awaits never reaches): the buffers come back
    if (chunks.length > 0) await new Promise<void>((resolve) => setImmediate(resolve))
    if (this.closed) throw outputClosed()
  }
}

/** StreamOut joins strings shorter than this before encoding them. */
const ACC = 16 * 1024

/** Flush when this much is buffered. */
export const FLUSH_AT = 1 << 20

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as {toJSON?: unknown}).toJSON !== 'function'

/**
 * Writes one array itself (e.g. read back from a spool file) instead of that array's (empty) placeholder,
 * brackets included; `indent` is the indentation of the line the array starts on.
 */
export type Splice = (out: StreamOut, indent: string) => Promise<void>

/**
 * A Splice writing the entries of `items` as writeJson writes an array of objects (one compact entry per
 * line, `[]` when there is none), each entry's JSON text made by `json` (e.g. a template that writes what
 * JSON.stringify would, faster).
 */
export function spliceOf<T>(items: Iterable<T>, json: (x: T) => string): Splice {
  return async (out, indent) => {
    let first = true
    for (const x of items) {
      out.write(first ? `[\n${indent}  ${json(x)}` : `,\n${indent}  ${json(x)}`)
      first = false
      if (out.pending > FLUSH_AT) await out.flush()
    }
    out.write(first ? '[]' : `\n${indent}]`)
  }
}

/**
 * A Splice copying entries whose JSON text comes ready-made as bytes, already joined by ",\n" and the
 * indentation `elementIndent` (the layout spliceOf writes); `count` entries (0: `[]`).
 */
export function spliceBytes(chunks: Iterable<Buffer>, count: number, elementIndent: string): Splice {
  return async (out, indent) => {
    if (count === 0) {
      out.write('[]')
      return
    }
    if (`${indent}  ` !== elementIndent) throw new Error(`spliceBytes: entries laid out at ${elementIndent.length} spaces, the array's at ${indent.length + 2}`)
    out.write(`[\n${elementIndent}`)
    for (const c of chunks) {
      out.copy(c)
      if (out.pending > FLUSH_AT) await out.flush()
    }
    out.write(`\n${indent}]`)
  }
}

/**
 * A Splice as spliceBytes, the entries' bytes written straight into the output by `write` (e.g.
 * PartsSpool.bytesInto: it yields now and then, and the output is flushed then when full).
 */
export function spliceInto(write: (out: StreamOut) => Iterable<void>, count: number, elementIndent: string): Splice {
  return async (out, indent) => {
    if (count === 0) {
      out.write('[]')
      return
    }
    if (`${indent}  ` !== elementIndent) throw new Error(`spliceInto: entries laid out at ${elementIndent.length} spaces, the array's at ${indent.length + 2}`)
    out.write(`[\n${elementIndent}`)
    for (const _ of write(out)) if (out.pending > FLUSH_AT) await out.flush()
    out.write(`\n${indent}]`)
  }
}

/**
 * Write `v` as indented JSON; arrays of objects one element per line. `splices`: arrays (by identity)
 * whose elements are written by a Splice.
 */
export async function writeJson(v: unknown, out: StreamOut, indent = '', splices: Map<unknown, Splice> = new Map()): Promise<void> {
  const splice = splices.get(v)
  if (splice !== undefined) {
    await splice(out, indent)
    return
  }
  if (Array.isArray(v)) {
    if (v.every((x) => x === null || typeof x !== 'object')) {
      out.write(JSON.stringify(v))
      return
    }
    out.write('[\n')
    for (let i = 0; i < v.length; i++) {
      out.write(`${indent}  ${JSON.stringify(v[i]) ?? 'null'}${i < v.length - 1 ? ',' : ''}\n`)
      if (out.pending > FLUSH_AT) await out.flush()
    }
    out.write(`${indent}]`)
    return
  }
  if (isPlainObject(v)) {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined && typeof x !== 'function')
    if (entries.length === 0) {
      out.write('{}')
      return
    }
    out.write('{\n')
    for (let i = 0; i < entries.length; i++) {
      const [k, x] = entries[i] as [string, unknown]
      out.write(`${indent}  ${JSON.stringify(k)}: `)
      await writeJson(x, out, `${indent}  `, splices)
      out.write(i < entries.length - 1 ? ',\n' : '\n')
    }
    out.write(`${indent}}`)
    return
  }
  out.write(JSON.stringify(v) ?? 'null')
}
