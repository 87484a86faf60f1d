/**
 * From `iperf3 --json` to what a user reads: per-stream and total throughput, TCP retransmits, UDP loss and
 * jitter. iperf3's own `error` field becomes a HachaosError with what to do about it.
 */
import {HachaosError} from '../errors.js'
import {IperfJson, type IperfJsonT, type IperfRecordT} from './schema.js'

export interface IperfStreamResult {
  socket: number | null
  /** What the sender put on the wire and what the receiver got (bits/s). */
  sentBps: number | null
  receivedBps: number | null
  sentBytes: number | null
  receivedBytes: number | null
  retransmits: number | null
  jitterMs: number | null
  lostPackets: number | null
  packets: number | null
  lostPercent: number | null
}

export interface IperfResult {
  protocol: 'TCP' | 'UDP' | string
  reverse: boolean
  streams: IperfStreamResult[]
  seconds: number | null
  sentBytes: number | null
  receivedBytes: number | null
  sentBps: number | null
  /** Goodput: what arrived. */
  receivedBps: number | null
  retransmits: number | null
  jitterMs: number | null
  lostPackets: number | null
  packets: number | null
  lostPercent: number | null
  local: string | null
  remote: string | null
  version: string | null
}

/** Known iperf3 errors → what to try. */
export function iperfErrorHint(error: string): {kind: 'refused' | 'busy' | 'reset' | 'unreachable' | 'timeout' | 'other'; suggestion: string} {
  if (/Connection refused/i.test(error)) return {kind: 'refused', suggestion: 'no iperf3 server listens there: start one (iperf3 -s -p PORT) or let hachaos load start it (--server HOST)'}
  if (/server is busy/i.test(error)) return {kind: 'busy', suggestion: 'that server runs another test: iperf3 serves one client at a time; use another port per client'}
  if (/reset by peer|control message/i.test(error)) return {kind: 'reset', suggestion: 'the server was still closing its previous test; hachaos retries once — wait a second and run it again'}
  if (/No route to host|Network is unreachable|unable to connect/i.test(error)) return {kind: 'unreachable', suggestion: 'the client cannot reach the target: check the address and that the client is on its network'}
  if (/timed out|timeout/i.test(error)) return {kind: 'timeout', suggestion: 'the path dropped the test traffic: check links and firewalls'}
  return {kind: 'other', suggestion: 'run the same iperf3 command by hand to see more'}
}

export class IperfError extends HachaosError {
  readonly iperfError: string
  readonly kind: ReturnType<typeof iperfErrorHint>['kind']
  constructor(error: string, where: string) {
    const h = iperfErrorHint(error)
    super(`iperf3 on ${where}: ${error}`, {code: 'E_IPERF', exit: 'HOST', where, suggestions: [h.suggestion]})
    this.iperfError = error
    this.kind = h.kind
  }
}

export function parseIperfJsonText(text: string, where: string): IperfJsonT {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    const first = text.trim().split('\n')[0] ?? ''
    throw new HachaosError(`iperf3 on ${where} did not print JSON${first === '' ? '' : `: ${first.slice(0, 200)}`}`, {
      code: 'E_IPERF_OUTPUT',
      exit: 'HOST',
      where,
      suggestions: ['is it iperf3 3.x (iperf3 --version)?', `parse error: ${(e as Error).message}`],
    })
  }
  const r = IperfJson.safeParse(raw)
  if (!r.success) {
    const i = r.error.issues[0]
    // iperf3's own error may come with a half-empty document: report the error, not the schema.
    const err = typeof raw === 'object' && raw !== null && 'error' in raw && typeof (raw as {error: unknown}).error === 'string' ? (raw as {error: string}).error : null
    if (err !== null) throw new IperfError(err, where)
    throw new HachaosError(`iperf3 JSON from ${where} does not match the expected shape at ${i?.path.join('.') ?? '?'}: ${i?.message ?? ''}`, {code: 'E_IPERF_OUTPUT', exit: 'HOST', where, suggestions: ['is it iperf3 3.x (iperf3 --version)?']})
  }
  if (r.data.error !== undefined) throw new IperfError(r.data.error, where)
  return r.data
}

const v = (x: number | undefined): number | null => (x === undefined ? null : x)

export function summarizeIperf(j: IperfJsonT): IperfResult {
  const protocol = j.start.test_start?.protocol ?? (j.end.sum?.jitter_ms !== undefined ? 'UDP' : 'TCP')
  const reverse = (j.start.test_start?.reverse ?? 0) !== 0
  const udp = protocol === 'UDP'
  const streams: IperfStreamResult[] = (j.end.streams ?? []).map((s) => {
    const sender: IperfRecordT | undefined = s.sender ?? (udp ? s.udp : undefined)
    const receiver: IperfRecordT | undefined = s.receiver ?? (udp ? s.udp : undefined)
    return {
      socket: v(sender?.socket ?? receiver?.socket),
      sentBps: v(sender?.bits_per_second),
      receivedBps: udp ? (receiver !== undefined && receiver.lost_packets !== undefined && receiver.packets !== undefined && receiver.packets > 0 ? receiver.bits_per_second * (1 - receiver.lost_packets / receiver.packets) : null) : v(receiver?.bits_per_second),
      sentBytes: v(sender?.bytes),
      receivedBytes: udp ? null : v(receiver?.bytes),
      retransmits: v(sender?.retransmits),
      jitterMs: v(receiver?.jitter_ms),
      lostPackets: v(receiver?.lost_packets),
      packets: v(receiver?.packets),
      lostPercent: v(receiver?.lost_percent),
    }
  })
  const sent = j.end.sum_sent ?? (udp ? j.end.sum : undefined)
  const rcvd = j.end.sum_received ?? (udp ? j.end.sum : undefined)
  const c = j.start.connected[0]
  return {
    protocol,
    reverse,
    streams,
    seconds: v(rcvd?.seconds ?? sent?.seconds),
    sentBytes: v(sent?.bytes),
    receivedBytes: v(rcvd?.bytes),
    sentBps: v(sent?.bits_per_second),
    receivedBps: v(rcvd?.bits_per_second),
    retransmits: v(sent?.retransmits),
    jitterMs: udp ? v(rcvd?.jitter_ms) : null,
    lostPackets: udp ? v(rcvd?.lost_packets) : null,
    packets: udp ? v(rcvd?.packets) : null,
    lostPercent: udp ? v(rcvd?.lost_percent) : null,
    local: c === undefined ? null : `${c.local_host}:${c.local_port}`,
    remote: c === undefined ? null : `${c.remote_host}:${c.remote_port}`,
    version: j.start.version ?? null,
  }
}

export function formatBps(bps: number | null | undefined): string {
  if (bps === null || bps === undefined || !Number.isFinite(bps)) return '—'
  const u: Array<[number, string]> = [[1e9, 'Gbit/s'], [1e6, 'Mbit/s'], [1e3, 'kbit/s']]
  for (const [f, n] of u) if (Math.abs(bps) >= f) return `${(bps / f).toFixed(bps / f >= 100 ? 0 : 1)} ${n}`
  return `${bps.toFixed(0)} bit/s`
}
