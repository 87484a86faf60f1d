/**
 * Drive iperf3: servers where they are missing, then every client at once (each against its own
 * server:port — an iperf3 server serves one test at a time), each with `--json`, parsed against the schema.
 * Servers hachaos started are stopped again; servers that were already there are left alone.
 */
import {HachaosError, errorMessage} from '../errors.js'
import type {Executor, Spawned} from '../exec/types.js'
import {nowUs, sleep, type EpochMicros} from '../time.js'
import {IperfError, parseIperfJsonText, summarizeIperf, type IperfResult} from './result.js'

export interface LoadTarget {
  address: string
  port: number
}

export interface LoadPair {
  client: {name: string; exec: Executor}
  target: LoadTarget
}

export interface LoadServer {
  name: string
  exec: Executor
  port: number
}

export interface LoadOptions {
  durationS: number
  parallel: number
  reverse: boolean
  udp: boolean
  /** iperf3 -b (e.g. 100M); required for UDP to mean something, optional for TCP. */
  bitrate?: string
  signal?: AbortSignal
  onProgress?: (msg: string) => void
  /** Retry a client once after this pause when the server was still busy or closing (iperf3's known race). */
  retryPauseMs?: number
}

export interface PairResult {
  client: string
  target: string
  argv: string[]
  attempts: number
  t0: EpochMicros
  t1: EpochMicros
  result: IperfResult | null
  error: string | null
  /** What to try about the error (from iperf3's own message). */
  hint: string | null
}

export interface LoadTotals {
  sentBps: number
  receivedBps: number
  sentBytes: number
  receivedBytes: number
  retransmits: number | null
  lostPackets: number | null
  packets: number | null
  lostPercent: number | null
  jitterMsMax: number | null
}

export interface LoadResult {
  pairs: PairResult[]
  totals: LoadTotals
  serversStarted: string[]
  serversFound: string[]
  t0: EpochMicros
  t1: EpochMicros
}

const RATE = /^\d+(\.\d+)?[KMGkmg]?$/

export function clientArgv(target: LoadTarget, o: LoadOptions): string[] {
  if (!Number.isInteger(o.parallel) || o.parallel < 1 || o.parallel > 128) throw new HachaosError('-P must be 1 to 128', {code: 'E_USAGE', exit: 'USAGE'})
  if (!(o.durationS > 0 && o.durationS <= 3600)) throw new HachaosError('the duration must be more than 0 and at most 1 hour', {code: 'E_USAGE', exit: 'USAGE'})
  if (o.bitrate !== undefined && !RATE.test(o.bitrate)) throw new HachaosError(`bitrate "${o.bitrate}" is not like 100M, 1G, 500K`, {code: 'E_USAGE', exit: 'USAGE'})
  return [
    'iperf3',
    '-c', target.address,
    '-p', String(target.port),
    '-t', String(o.durationS),
    '-P', String(o.parallel),
    ...(o.reverse ? ['-R'] : []),
    ...(o.udp ? ['-u', '-b', o.bitrate ?? '100M'] : o.bitrate !== undefined ? ['-b', o.bitrate] : []),
    '--json',
  ]
}

export interface ServerHandle {
  name: string
  port: number
  started: boolean
  proc: Spawned | null
}

function raceTimeout<T>(p: Promise<T>, ms: number): Promise<T | null> {
  return new Promise<T | null>((resolve, reject) => {
    const timer = setTimeout(() => resolve(null), ms)
    p.then(
      (v) => {
        clearTimeout(timer)
        resolve(v)
      },
      (e: unknown) => {
        clearTimeout(timer)
        reject(e instanceof Error ? e : new Error(String(e)))
      },
    )
  })
}

/** Start `iperf3 -s -p PORT` unless something already listens there; tell which is which. */
export async function ensureServer(s: LoadServer, timeoutMs = 8000): Promise<ServerHandle> {
  const proc = s.exec.spawn(['iperf3', '-s', '-p', String(s.port), '--forceflush'])
  const deadline = Date.now() + timeoutMs
  const it = proc.lines()[Symbol.asyncIterator]()
  for (;;) {
    const left = deadline - Date.now()
    if (left <= 0) {
      await proc.stop({graceMs: 500})
      throw new HachaosError(`iperf3 -s -p ${s.port} on ${s.name} did not say it listens within ${timeoutMs} ms`, {code: 'E_IPERF_SERVER', exit: 'TIMEOUT', where: s.name})
    }
    const next = await raceTimeout(it.next(), left)
    if (next === null) continue
    if (next.done === true) {
      const r = await proc.done
      if (/Address already in use/i.test(`${r.stdout}\n${r.stderr}`)) return {name: s.name, port: s.port, started: false, proc: null}
      throw new HachaosError(`iperf3 -s -p ${s.port} on ${s.name} exited: ${(r.stderr || r.stdout).trim().split('\n').pop() ?? ''}`, {code: 'E_IPERF_SERVER', exit: 'HOST', where: s.name, suggestions: ['is iperf3 installed there? apt-get install iperf3']})
    }
    if (/Server listening on/i.test(next.value.text)) return {name: s.name, port: s.port, started: true, proc}
    if (/Address already in use/i.test(next.value.text)) {
      await proc.stop({graceMs: 500})
      return {name: s.name, port: s.port, started: false, proc: null}
    }
  }
}

export async function stopServers(hs: ServerHandle[]): Promise<void> {
  await Promise.all(hs.filter((h) => h.proc !== null).map((h) => (h.proc as Spawned).stop({graceMs: 1000})))
}

async function runPair(p: LoadPair, o: LoadOptions): Promise<PairResult> {
  const argv = clientArgv(p.target, o)
  const target = `${p.target.address}:${p.target.port}`
  const t0 = nowUs()
  let attempts = 0
  for (;;) {
    attempts++
    try {
      const r = await p.client.exec.run(argv, {timeoutMs: (o.durationS + 20) * 1000, ...(o.signal === undefined ? {} : {signal: o.signal})})
      if (r.timedOut) return {client: p.client.name, target, argv, attempts, t0, t1: nowUs(), result: null, error: o.signal?.aborted === true ? 'stopped' : `no answer within ${o.durationS + 20} s`, hint: null}
      const where = `${p.client.name} → ${target}`
      const j = parseIperfJsonText(r.stdout.trim() === '' ? JSON.stringify({start: {}, intervals: [], end: {}, error: r.stderr.trim() || `exit ${r.code}`}) : r.stdout, where)
      return {client: p.client.name, target, argv, attempts, t0, t1: nowUs(), result: summarizeIperf(j), error: null, hint: null}
    } catch (e) {
      if (e instanceof IperfError && (e.kind === 'reset' || e.kind === 'busy') && attempts < 2 && o.signal?.aborted !== true) {
        o.onProgress?.(`${p.client.name} → ${target}: ${e.iperfError}; retrying`)
        await sleep(o.retryPauseMs ?? 1500)
        continue
      }
      if (e instanceof HachaosError && !(e instanceof IperfError)) throw e
      return {client: p.client.name, target, argv, attempts, t0, t1: nowUs(), result: null, error: errorMessage(e), hint: e instanceof IperfError ? (e.suggestions[0] ?? null) : null}
    }
  }
}

function sum(xs: Array<number | null>): number | null {
  const v = xs.filter((x): x is number => x !== null)
  return v.length === 0 ? null : v.reduce((a, b) => a + b, 0)
}

export function loadTotals(pairs: PairResult[]): LoadTotals {
  const rs = pairs.map((p) => p.result).filter((r): r is IperfResult => r !== null)
  const lost = sum(rs.map((r) => r.lostPackets))
  const packets = sum(rs.map((r) => r.packets))
  const jit = rs.map((r) => r.jitterMs).filter((x): x is number => x !== null)
  return {
    sentBps: sum(rs.map((r) => r.sentBps)) ?? 0,
    receivedBps: sum(rs.map((r) => r.receivedBps)) ?? 0,
    sentBytes: sum(rs.map((r) => r.sentBytes)) ?? 0,
    receivedBytes: sum(rs.map((r) => r.receivedBytes)) ?? 0,
    retransmits: sum(rs.map((r) => r.retransmits)),
    lostPackets: lost,
    packets,
    lostPercent: lost !== null && packets !== null && packets > 0 ? (100 * lost) / packets : null,
    jitterMsMax: jit.length === 0 ? null : Math.max(...jit),
  }
}

export async function runLoad(pairs: LoadPair[], servers: LoadServer[], o: LoadOptions): Promise<LoadResult> {
  if (pairs.length === 0) throw new HachaosError('no client → target pairs to run', {code: 'E_USAGE', exit: 'USAGE', suggestions: ['give --client and --target']})
  for (const p of pairs) clientArgv(p.target, o) // validate before starting anything
  const t0 = nowUs()
  const handles: ServerHandle[] = []
  try {
    for (const s of servers) {
      const h = await ensureServer(s)
      handles.push(h)
      o.onProgress?.(h.started ? `started iperf3 -s -p ${s.port} on ${s.name}` : `iperf3 already listens on ${s.name}:${s.port}`)
    }
    o.onProgress?.(`running ${pairs.length} iperf3 client${pairs.length > 1 ? 's' : ''} for ${o.durationS} s: ${pairs.map((p) => `${p.client.name} → ${p.target.address}:${p.target.port}`).join(', ')}`)
    const results = await Promise.all(pairs.map((p) => runPair(p, o)))
    return {
      pairs: results,
      totals: loadTotals(results),
      serversStarted: handles.filter((h) => h.started).map((h) => `${h.name}:${h.port}`),
      serversFound: handles.filter((h) => !h.started).map((h) => `${h.name}:${h.port}`),
      t0,
      t1: nowUs(),
    }
  } finally {
    await stopServers(handles)
  }
}
