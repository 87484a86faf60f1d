/**
 * HTTP probes at a fixed rate, a new TCP connection for each (no keep-alive: a connection kept open to the
 * old master would hide the failover), each with its own timeout. Results are ProbeResult records that the
 * drill turns into `probe` timeline events.
 */
import {request} from 'node:http'

import {nowUs, type EpochMicros} from '../time.js'

export type ProbeErrorKind = 'timeout' | 'refused' | 'reset' | 'unreachable' | 'http-status' | 'dns' | 'other'

export interface ProbeResult {
  type: 'probe'
  seq: number
  /** Send time, epoch µs. */
  t: EpochMicros
  ok: boolean
  latencyMs: number
  /** Which backend answered: the X-Served-By header, else the body's "served by NAME", else null. */
  backend: string | null
  error: ProbeErrorKind | null
  detail: string | null
  status: number | null
}

export interface ProbeSummary {
  type: 'probe.summary'
  url: string
  ratePerS: number
  timeoutMs: number
  sent: number
  ok: number
  failed: number
  byBackend: Record<string, number>
  byError: Partial<Record<ProbeErrorKind, number>>
}

export interface ProbeOptions {
  url: string
  /** Probes per second (1–200). */
  ratePerS: number
  timeoutMs: number
  /** Stop after this long (ms); undefined: until the signal aborts. */
  durationMs?: number
  signal?: AbortSignal
  /** Status codes that count as ok (default 200–399). */
  okStatus?: (status: number) => boolean
  onResult: (r: ProbeResult) => void
}

export const MAX_RATE = 200

export function classifyError(e: NodeJS.ErrnoException): ProbeErrorKind {
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'refused'
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset'
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
      return 'unreachable'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'dns'
    case 'ETIMEDOUT':
      return 'timeout'
    default:
      return 'other'
  }
}

export function backendOf(headers: Record<string, string | string[] | undefined>, body: string): string | null {
  const h = headers['x-served-by']
  if (typeof h === 'string' && h !== '') return h.slice(0, 64)
  const m = /served by ([A-Za-z0-9_.-]{1,64})/.exec(body)
  return m?.[1] ?? null
}

/** One probe: connect, GET, read the body (≤ 64 KiB), close. Never throws. */
export function probeOnce(url: URL, seq: number, timeoutMs: number, okStatus: (s: number) => boolean): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const t = nowUs()
    const start = performance.now()
    let settled = false
    const finish = (r: Omit<ProbeResult, 'type' | 'seq' | 't' | 'latencyMs'>): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve({type: 'probe', seq, t, latencyMs: Math.round((performance.now() - start) * 1000) / 1000, ...r})
    }
    const req = request(url, {method: 'GET', agent: false, headers: {Connection: 'close', 'User-Agent': 'hachaos-probe'}}, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => {
        if (body.length < 65536) body += d
      })
      res.on('end', () => {
        const status = res.statusCode ?? 0
        const ok = okStatus(status)
        finish({ok, backend: backendOf(res.headers, body), error: ok ? null : 'http-status', detail: ok ? null : `HTTP ${status}`, status})
      })
      res.on('error', (e: NodeJS.ErrnoException) => finish({ok: false, backend: null, error: classifyError(e), detail: e.code ?? e.message, status: res.statusCode ?? null}))
    })
    const timer = setTimeout(() => {
      finish({ok: false, backend: null, error: 'timeout', detail: `no answer within ${timeoutMs} ms`, status: null})
      req.destroy()
    }, timeoutMs)
    req.on('error', (e: NodeJS.ErrnoException) => finish({ok: false, backend: null, error: classifyError(e), detail: e.code ?? e.message, status: null}))
    req.end()
  })
}

/**
 * Send probes at a fixed rate, scheduled on absolute times (t0 + i / rate) so the rate does not drift;
 * a slow probe never delays the next one. Resolves with the summary when the duration is over or the
 * signal aborts (probes still in flight are awaited, up to their timeout).
 */
export async function runProbes(o: ProbeOptions): Promise<ProbeSummary> {
  const url = new URL(o.url)
  const okStatus = o.okStatus ?? ((s: number): boolean => s >= 200 && s < 400)
  const interval = 1000 / o.ratePerS
  const summary: ProbeSummary = {type: 'probe.summary', url: o.url, ratePerS: o.ratePerS, timeoutMs: o.timeoutMs, sent: 0, ok: 0, failed: 0, byBackend: {}, byError: {}}
  const inflight = new Set<Promise<void>>()
  const t0 = performance.now()
  let seq = 0
  // A fixed count for a fixed duration: ceil(duration × rate) probes, whatever the timer jitter.
  const count = o.durationMs === undefined ? Number.POSITIVE_INFINITY : Math.ceil((o.durationMs * o.ratePerS) / 1000)
  await new Promise<void>((resolveLoop) => {
    let timer: NodeJS.Timeout | undefined
    const stop = (): void => {
      if (timer !== undefined) clearTimeout(timer)
      resolveLoop()
    }
    o.signal?.addEventListener('abort', stop, {once: true})
    if (o.signal?.aborted) {
      stop()
      return
    }
    const tick = (): void => {
      if (seq >= count || o.signal?.aborted) {
        o.signal?.removeEventListener('abort', stop)
        resolveLoop()
        return
      }
      const n = seq++
      summary.sent++
      const p = probeOnce(url, n, o.timeoutMs, okStatus).then((r) => {
        if (r.ok) {
          summary.ok++
          if (r.backend !== null) summary.byBackend[r.backend] = (summary.byBackend[r.backend] ?? 0) + 1
        } else {
          summary.failed++
          if (r.error !== null) summary.byError[r.error] = (summary.byError[r.error] ?? 0) + 1
        }
        o.onResult(r)
      })
      inflight.add(p)
      void p.finally(() => inflight.delete(p))
      const next = t0 + seq * interval
      timer = setTimeout(tick, Math.max(0, next - performance.now()))
    }
    tick()
  })
  await Promise.all([...inflight])
  return summary
}
