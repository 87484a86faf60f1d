/**
 * Split brain in a drill's timeline:
 *   dual-vip  the VIP was on two (or more) nodes at once, from vip.owner events (polled addresses):
 *             one finding per interval, from the first reading with ≥ 2 owners to the first without
 *   dual-arp  two different MACs answered ARP for the VIP (replies, or gratuitous ARP) within `windowMs`
 *             (default 300 ms) of each other, i.e. the same request got two answers: the client's network
 *             sees two owners. A normal handover (old MAC, then the new one a probe later) is not one.
 * Pure functions of the events; the drill engine decides what a finding costs in its verdict.
 */
import type {SplitBrainFinding, TimelineEvent} from '../store/run-types.js'
import type {EpochMicros} from '../time.js'

/** Replies to one ARP request arrive within a round trip (µs to ms on a LAN); probes are ≥ 1 s apart. */
export const DUAL_ARP_WINDOW_MS = 300

type VipOwnerEvent = Extract<TimelineEvent, {type: 'vip.owner'}>
type ArpEvent = Extract<TimelineEvent, {type: 'arp'}>

/**
 * @param endUs when the observation stopped: an interval still open then ends there (and says so).
 */
export function detectDualVip(events: readonly TimelineEvent[], endUs?: EpochMicros): SplitBrainFinding[] {
  const owners = events.filter((e): e is VipOwnerEvent => e.type === 'vip.owner').sort((a, b) => a.t - b.t)
  const out: SplitBrainFinding[] = []
  let open: {start: EpochMicros; parties: Set<string>; max: number} | null = null
  for (const e of owners) {
    if (e.owners.length >= 2) {
      if (open === null) open = {start: e.t, parties: new Set(e.owners), max: e.owners.length}
      else {
        for (const p of e.owners) open.parties.add(p)
        open.max = Math.max(open.max, e.owners.length)
      }
    } else if (open !== null) {
      out.push(finding(open, e.t, `the VIP was configured on ${open.max} nodes at once (${[...open.parties].sort().join(', ')}); then only on ${e.owners.join(', ') || 'no node'}`))
      open = null
    }
  }
  if (open !== null) {
    const end = Math.max(endUs ?? open.start, open.start)
    out.push(finding(open, end, `the VIP was still on ${[...open.parties].sort().join(', ')} when observation stopped`))
  }
  return out
}

function finding(open: {start: EpochMicros; parties: Set<string>}, end: EpochMicros, evidence: string): SplitBrainFinding {
  return {kind: 'dual-vip', parties: [...open.parties].sort(), startUs: open.start, endUs: end, durationMs: Math.round((end - open.start) / 1000), evidence}
}

/** Claims of the VIP on the wire: ARP replies from it, and gratuitous ARPs announcing it. */
function claims(events: readonly TimelineEvent[], vip: string): ArpEvent[] {
  return events
    .filter((e): e is ArpEvent => e.type === 'arp' && e.sip === vip && (e.op === 'reply' || e.garp))
    .sort((a, b) => a.t - b.t)
}

/**
 * @param windowMs answers closer than this belong to the same request (default 300 ms)
 * @param mergeGapMs conflicts closer than this are one finding (default 3 s: the prober asks every second)
 * @param macNames optional MAC → node name, for readable parties.
 */
export function detectDualArp(events: readonly TimelineEvent[], vip: string, opts: {windowMs?: number; mergeGapMs?: number; macNames?: Record<string, string>} = {}): SplitBrainFinding[] {
  const windowUs = (opts.windowMs ?? DUAL_ARP_WINDOW_MS) * 1000
  const gapUs = (opts.mergeGapMs ?? 3000) * 1000
  const name = (mac: string): string => opts.macNames?.[mac.toLowerCase()] ?? mac.toLowerCase()
  const lastByMac = new Map<string, EpochMicros>()
  const out: SplitBrainFinding[] = []
  let open: {start: EpochMicros; end: EpochMicros; macs: Set<string>; count: number} | null = null
  for (const c of claims(events, vip)) {
    const mac = c.smac.toLowerCase()
    const rivals = [...lastByMac].filter(([m, t]) => m !== mac && c.t - t <= windowUs)
    if (rivals.length > 0) {
      const first = Math.min(...rivals.map(([, t]) => t))
      if (open !== null && first - open.end <= gapUs) {
        open.end = c.t
        open.macs.add(mac)
        for (const [m] of rivals) open.macs.add(m)
        open.count++
      } else {
        if (open !== null) out.push(arpFinding(open, vip, name))
        open = {start: first, end: c.t, macs: new Set([mac, ...rivals.map(([m]) => m)]), count: 1}
      }
    }
    lastByMac.set(mac, c.t)
  }
  if (open !== null) out.push(arpFinding(open, vip, name))
  return out
}

function arpFinding(open: {start: EpochMicros; end: EpochMicros; macs: Set<string>; count: number}, vip: string, name: (m: string) => string): SplitBrainFinding {
  const macs = [...open.macs].sort()
  return {
    kind: 'dual-arp',
    parties: macs.map(name),
    startUs: open.start,
    endUs: open.end,
    durationMs: Math.round((open.end - open.start) / 1000),
    evidence: `${macs.length} MACs answered ARP for ${vip} (${macs.join(', ')}), ${open.count} conflicting answer${open.count === 1 ? '' : 's'}`,
  }
}
