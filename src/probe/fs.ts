/**
 * The storage probe: the client-side observer for file systems, as ./http.ts is for services. At a fixed
 * interval it writes a small file in DIR (open with O_CREAT|O_TRUNC, write, optionally fsync, close), reads it
 * back and compares, timing the whole operation. One operation is in flight at a time (a write stuck on a
 * vanished brick is the stall we measure; starting more behind it would only queue in the FUSE client): ticks
 * are on absolute times, and ticks that pass while an operation hangs are skipped and counted.
 * Files rotate over RING names (.hachaos-fsprobe-PID/fN), so a run leaves at most RING small files (removed at
 * the end when the file system lets us) and memory is O(1): the summary keeps counters and maxima only.
 */
import {mkdir, open, readFile, rm} from 'node:fs/promises'
import {hostname} from 'node:os'
import {join} from 'node:path'

import {nowUs, type EpochMicros} from '../time.js'

/** How many file names the probe rotates over (the bound on files it leaves behind). */
export const RING = 64
export const MIN_INTERVAL_MS = 10

export interface FsProbeResult {
  type: 'fsprobe'
  seq: number
  /** Start time of the operation, epoch µs. */
  t: EpochMicros
  ok: boolean
  /** Whole operation: write (+ fsync) + read back, ms. */
  latencyMs: number
  /** errno code (ENOTCONN, EROFS, EIO, ENOENT …) or "mismatch" (read back other bytes); null when ok. */
  error: string | null
  /** Which step failed: open, write, fsync, close, read. */
  step: string | null
  /** Ticks skipped while this operation was in flight. */
  skipped: number
}

export interface FsProbeSummary {
  type: 'fsprobe.summary'
  dir: string
  intervalMs: number
  fsync: boolean
  sent: number
  ok: number
  failed: number
  skipped: number
  /** The longest single operation (the stall), ms. */
  maxLatencyMs: number
  /** Its start time (epoch µs), null when nothing ran. */
  maxLatencyAt: EpochMicros | null
  byError: Record<string, number>
}

export interface FsProbeOptions {
  dir: string
  intervalMs: number
  fsync: boolean
  /** Stop after this long (ms); undefined: until the signal aborts. */
  durationMs?: number
  signal?: AbortSignal
  onResult: (r: FsProbeResult) => void
}

/** One timed operation on `file`. */
export async function fsProbeOnce(file: string, seq: number, fsync: boolean): Promise<Omit<FsProbeResult, 'skipped'>> {
  const body = `hachaos fs probe ${hostname()} ${process.pid} seq ${seq}\n`
  const t = nowUs()
  const t0 = performance.now()
  let step = 'open'
  const done = (error: string | null): Omit<FsProbeResult, 'skipped'> => ({type: 'fsprobe', seq, t, ok: error === null, latencyMs: Math.round((performance.now() - t0) * 10) / 10, error, step: error === null ? null : step})
  try {
    const fh = await open(file, 'w')
    try {
      step = 'write'
      await fh.writeFile(body)
      if (fsync) {
        step = 'fsync'
        await fh.sync()
      }
      step = 'close'
    } finally {
      await fh.close()
    }
    step = 'read'
    const back = await readFile(file, 'utf8')
    return done(back === body ? null : 'mismatch')
  } catch (e) {
    return done((e as NodeJS.ErrnoException).code ?? 'other')
  }
}

export async function runFsProbes(o: FsProbeOptions): Promise<FsProbeSummary> {
  const interval = Math.max(MIN_INTERVAL_MS, o.intervalMs)
  const sub = join(o.dir, `.hachaos-fsprobe-${process.pid}`)
  const s: FsProbeSummary = {type: 'fsprobe.summary', dir: o.dir, intervalMs: interval, fsync: o.fsync, sent: 0, ok: 0, failed: 0, skipped: 0, maxLatencyMs: 0, maxLatencyAt: null, byError: {}}
  const start = performance.now()
  const end = o.durationMs === undefined ? Number.POSITIVE_INFINITY : start + o.durationMs
  const stopped = (): boolean => o.signal?.aborted === true || performance.now() >= end
  let madeDir = false
  let tick = 0
  while (!stopped()) {
    // DIR itself must exist (it is the mount point under test: never created here); our sub-directory may
    // already exist after a stall, and a failed mkdir is retried on the next tick (the write then fails too)
    if (!madeDir) madeDir = await mkdir(sub).then(() => true, (e: NodeJS.ErrnoException) => e.code === 'EEXIST')
    const seq = s.sent++
    const before = tick
    const r = await fsProbeOnce(join(sub, `f${seq % RING}`), seq, o.fsync)
    // the next tick after now; those that passed while the operation hung are skipped
    tick = Math.max(tick + 1, Math.ceil((performance.now() - start) / interval))
    const skipped = tick - before - 1
    s.skipped += skipped
    if (r.ok) s.ok++
    else {
      s.failed++
      const k = r.error ?? 'other'
      s.byError[k] = (s.byError[k] ?? 0) + 1
    }
    if (r.latencyMs > s.maxLatencyMs) {
      s.maxLatencyMs = r.latencyMs
      s.maxLatencyAt = r.t
    }
    o.onResult({...r, skipped})
    const wait = start + tick * interval - performance.now()
    if (wait > 0 && !stopped()) await sleepUnless(Math.min(wait, end - performance.now()), o.signal)
  }
  if (madeDir) await rm(sub, {recursive: true, force: true}).catch(() => undefined)
  return s
}

function sleepUnless(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted === true) return resolve()
    const t = setTimeout(done, ms)
    function done(): void {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, {once: true})
  })
}
