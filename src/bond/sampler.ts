/**
 * Rates from counter deltas between two readings of a bond. Pure functions.
 *
 * Counters in /sys/class/net/IF/statistics are 64-bit in today's kernels, but drivers with 32-bit hardware
 * counters wrap at 2^32, and a counter that goes back to a small value is also what a driver reload or an
 * interface re-creation looks like. A decrease is taken as a wrap only when the wrapped delta is plausible
 * for the link (at most `maxPlausible` for the interval); otherwise it is a reset, and that interval has no
 * rate (rather than a made-up one).
 */
import type {BondSnapshot, MemberSnapshot} from './snapshot.js'
import type {Counters} from './sysfs.js'

export type DeltaKind = 'ok' | 'wrap32' | 'wrap64' | 'reset' | 'missing'

const TWO32 = 1n << 32n
const TWO64 = 1n << 64n

export function counterDelta(prev: bigint | undefined, cur: bigint | undefined, maxPlausible?: bigint): {delta: bigint | null; kind: DeltaKind} {
  if (prev === undefined || cur === undefined) return {delta: null, kind: 'missing'}
  if (cur >= prev) return {delta: cur - prev, kind: 'ok'}
  const limit = maxPlausible ?? TWO32 / 2n
  if (prev < TWO32) {
    const d = TWO32 - prev + cur
    if (d <= limit) return {delta: d, kind: 'wrap32'}
  }
  const d64 = TWO64 - prev + cur
  if (d64 <= limit) return {delta: d64, kind: 'wrap64'}
  return {delta: null, kind: 'reset'}
}

export interface InterfaceRates {
  name: string
  rxBytesPerS: number | null
  txBytesPerS: number | null
  rxPacketsPerS: number | null
  txPacketsPerS: number | null
  /** Counts in this interval. */
  rxErrors: number | null
  txErrors: number | null
  rxDropped: number | null
  txDropped: number | null
  /** Bytes in this interval (for totals). */
  rxBytes: number | null
  txBytes: number | null
  wrapped: string[]
  reset: string[]
}

export interface RateSample {
  t: number
  /** Seconds between the two readings. */
  dtS: number
  /** Which clock dt comes from: the read host's monotonic clock, or this machine's wall clock. */
  clock: 'monotonic' | 'wall'
  members: InterfaceRates[]
  bond: InterfaceRates | null
}

/** Seconds between two readings, by the read host's monotonic clock when both have it. */
export function intervalS(prev: BondSnapshot, cur: BondSnapshot): {dtS: number; clock: 'monotonic' | 'wall'} {
  if (prev.monoNs !== null && cur.monoNs !== null && cur.monoNs > prev.monoNs) return {dtS: Number(cur.monoNs - prev.monoNs) / 1e9, clock: 'monotonic'}
  return {dtS: (cur.t - prev.t) / 1e6, clock: 'wall'}
}

/** Most bytes a link of `speedMbps` can move in dtS (×4 slack); 100 Gbit/s when the speed is unknown. */
export function plausibleBytes(speedMbps: number | null, dtS: number): bigint {
  const bps = (speedMbps ?? 100_000) * 1e6
  return BigInt(Math.ceil((bps / 8) * Math.max(dtS, 0.001) * 4))
}

export function interfaceRates(name: string, prev: Counters | null, cur: Counters | null, dtS: number, speedMbps: number | null): InterfaceRates {
  const maxBytes = plausibleBytes(speedMbps, dtS)
  const maxPackets = maxBytes / 60n + 1n
  const wrapped: string[] = []
  const reset: string[] = []
  const d = (k: string, max: bigint): number | null => {
    const r = counterDelta(prev?.[k], cur?.[k], max)
    if (r.kind === 'wrap32' || r.kind === 'wrap64') wrapped.push(k)
    if (r.kind === 'reset') reset.push(k)
    return r.delta === null ? null : Number(r.delta)
  }
  const perS = (v: number | null): number | null => (v === null || dtS <= 0 ? null : v / dtS)
  const rxBytes = d('rx_bytes', maxBytes)
  const txBytes = d('tx_bytes', maxBytes)
  return {
    name,
    rxBytesPerS: perS(rxBytes),
    txBytesPerS: perS(txBytes),
    rxPacketsPerS: perS(d('rx_packets', maxPackets)),
    txPacketsPerS: perS(d('tx_packets', maxPackets)),
    rxErrors: d('rx_errors', maxPackets),
    txErrors: d('tx_errors', maxPackets),
    rxDropped: d('rx_dropped', maxPackets),
    txDropped: d('tx_dropped', maxPackets),
    rxBytes,
    txBytes,
    wrapped,
    reset,
  }
}

function speedOf(snap: BondSnapshot, m: MemberSnapshot): number | null {
  return snap.proc.members.find((x) => x.name === m.name)?.speedMbps ?? null
}

export function computeRates(prev: BondSnapshot, cur: BondSnapshot): RateSample {
  const {dtS, clock} = intervalS(prev, cur)
  const members = cur.members.map((m) => {
    const p = prev.members.find((x) => x.name === m.name)
    return interfaceRates(m.name, p?.counters ?? null, m.counters, dtS, speedOf(cur, m))
  })
  const total = cur.proc.members.reduce((s, m) => s + (m.speedMbps ?? 0), 0)
  return {
    t: cur.t,
    dtS,
    clock,
    members,
    bond: cur.bondCounters === null ? null : interfaceRates(cur.bond, prev.bondCounters, cur.bondCounters, dtS, total > 0 ? total : null),
  }
}

export interface Imbalance {
  /** 0 = evenly spread, 1 = one member carries everything; null when idle. */
  rx: number | null
  tx: number | null
  /** Share of each member (0..1) of the rx/tx bytes/s. */
  rxShare: Record<string, number>
  txShare: Record<string, number>
  verdict: 'idle' | 'balanced' | 'skewed' | 'one-member'
  /** Whether one member carrying everything is the mode's design (active-backup). */
  byDesign: boolean
  note: string
}

/** Below this many bytes/s per direction, spreading is not judged. */
export const IDLE_BYTES_PER_S = 20_000

function spread(values: Record<string, number>): {index: number | null; share: Record<string, number>} {
  const names = Object.keys(values)
  const total = names.reduce((s, n) => s + (values[n] ?? 0), 0)
  if (names.length < 2 || total < IDLE_BYTES_PER_S) return {index: null, share: Object.fromEntries(names.map((n) => [n, total > 0 ? (values[n] ?? 0) / total : 0]))}
  const share = Object.fromEntries(names.map((n) => [n, (values[n] ?? 0) / total]))
  const max = Math.max(...Object.values(share))
  const even = 1 / names.length
  return {index: (max - even) / (1 - even), share}
}

/**
 * How evenly traffic lands on the members that are up. The index is (largest share − 1/n) / (1 − 1/n).
 */
export function imbalance(rates: RateSample, mode: string | null, upMembers: string[]): Imbalance {
  const pick = (k: 'rxBytesPerS' | 'txBytesPerS'): Record<string, number> =>
    Object.fromEntries(rates.members.filter((m) => upMembers.includes(m.name)).map((m) => [m.name, m[k] ?? 0]))
  const rx = spread(pick('rxBytesPerS'))
  const tx = spread(pick('txBytesPerS'))
  const byDesign = mode === 'active-backup'
  if (upMembers.length === 1) {
    const busy = rates.members.some((m) => (m.rxBytesPerS ?? 0) + (m.txBytesPerS ?? 0) >= IDLE_BYTES_PER_S)
    return {rx: busy ? 1 : null, tx: busy ? 1 : null, rxShare: rx.share, txShare: tx.share, verdict: busy ? 'one-member' : 'idle', byDesign, note: `only ${upMembers[0] ?? '?'} is up: it carries everything`}
  }
  const worst = Math.max(rx.index ?? -1, tx.index ?? -1)
  const verdict: Imbalance['verdict'] = worst < 0 ? 'idle' : worst >= 0.95 ? 'one-member' : worst >= 0.3 ? 'skewed' : 'balanced'
  const note =
    verdict === 'idle'
      ? 'idle'
      : byDesign
        ? 'active-backup: one member carries the traffic by design'
        : verdict === 'one-member'
          ? 'one member carries everything'
          : verdict === 'skewed'
            ? 'traffic is skewed towards one member'
            : 'traffic is spread across the members'
  return {rx: rx.index, tx: tx.index, rxShare: rx.share, txShare: tx.share, verdict, byDesign, note}
}
