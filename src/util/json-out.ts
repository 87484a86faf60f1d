/**
 * JSON written as it goes, for outputs too large to build as one string (`capture analyze` on millions of
 * frames): a buffered writer that waits for the stream to drain, and a JSON writer that writes big arrays
 * element by element (one compact element per line) and everything else as JSON.stringify would.
 */
import {once} from 'node:events'

/** Buffered output with backpressure: `write` appends; `await flush()` whenever `pending` is large. */
export class StreamOut {
  private buf: string[] = []
  private len = 0

  constructor(private readonly out: NodeJS.WritableStream) {}

  get pending(): number {
    return this.len
  }

  write(s: string): void {
    this.buf.push(s)
    this.len += s.length
  }

  /** One JSON value per line (NDJSON). */
  line(v: unknown): void {
    this.write(`${JSON.stringify(v)}\n`)
  }

  async flush(): Promise<void> {
    if (this.len === 0) return
    const chunk = this.buf.join('')
    this.buf = []
    this.len = 0
    if (!this.out.write(chunk)) await once(this.out, 'drain')
  }
}

/** Flush when this much is buffered. */
export const FLUSH_AT = 1 << 16

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as {toJSON?: unknown}).toJSON !== 'function'

/** Write `v` as indented JSON; arrays of objects one element per line. */
export async function writeJson(v: unknown, out: StreamOut, indent = ''): Promise<void> {
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
      await writeJson(x, out, `${indent}  `)
      out.write(i < entries.length - 1 ? ',\n' : '\n')
    }
    out.write(`${indent}}`)
    return
  }
  out.write(JSON.stringify(v) ?? 'null')
}
