/**
 * JSON written as it goes, for outputs too large to build as one string (`capture analyze` on millions of
 * frames): a buffered writer that waits for the stream to drain, and a JSON writer that writes big arrays
 * element by element (one compact element per line) and everything else as JSON.stringify would.
 */
import {once} from 'node:events'

/**
 * Buffered output with backpressure: `write` encodes into a 1 MiB buffer (no string concatenation: the
 * strings die young); `await flush()` whenever `pending` is large. A full buffer is handed to the stream and a
 * new one taken (the stream may still hold the old one).
 */
export class StreamOut {
  private static readonly SIZE = 1 << 20
  private buf = Buffer.allocUnsafe(StreamOut.SIZE)
  private pos = 0
  private readonly full: Buffer[] = []

  constructor(private readonly out: NodeJS.WritableStream) {}

  /** Bytes buffered. */
  get pending(): number {
    return this.pos + this.full.length * StreamOut.SIZE
  }

  write(s: string): void {
    // at most 3 bytes per UTF-16 unit
    if (s.length * 3 > StreamOut.SIZE - this.pos) {
      if (s.length * 3 > StreamOut.SIZE) {
        this.spill()
        this.full.push(Buffer.from(s, 'utf8'))
        return
      }
      this.spill()
    }
    this.pos += this.buf.write(s, this.pos, 'utf8')
  }

  bytes(b: Buffer): void {
    this.spill()
    this.full.push(b)
  }

  /** One JSON value per line (NDJSON). */
  line(v: unknown): void {
    this.write(JSON.stringify(v))
    this.write('\n')
  }

  private spill(): void {
    if (this.pos === 0) return
    this.full.push(this.buf.subarray(0, this.pos))
    this.buf = Buffer.allocUnsafe(StreamOut.SIZE)
    this.pos = 0
  }

  async flush(): Promise<void> {
    this.spill()
    const chunks = this.full.splice(0)
    for (const c of chunks) if (!this.out.write(c)) await once(this.out, 'drain')
  }
}

/** Flush when this much is buffered. */
export const FLUSH_AT = 1 << 20

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as {toJSON?: unknown}).toJSON !== 'function'

/**
 * Writes the elements of one array itself (e.g. copied from a spool file), each on its own line after
 * `indent`, separated by ",\n"; it is called instead of writing that array's (empty) placeholder.
 */
export type Splice = (out: StreamOut, indent: string) => Promise<void>

/**
 * Write `v` as indented JSON; arrays of objects one element per line. `splices`: arrays (by identity)
 * whose elements are written by a Splice.
 */
export async function writeJson(v: unknown, out: StreamOut, indent = '', splices: Map<unknown, Splice> = new Map()): Promise<void> {
  const splice = splices.get(v)
  if (splice !== undefined) {
    out.write('[\n')
    await splice(out, `${indent}  `)
    out.write(`\n${indent}]`)
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
