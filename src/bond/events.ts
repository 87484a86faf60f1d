/**
 * Events from two successive readings of a bond: what changed, stamped with the time of the reading that
 * saw it. Pure.
 */
import type {EpochMicros} from '../time.js'
import type {RateSample} from './sampler.js'
import type {BondSnapshot} from './snapshot.js'

interface Base {
  t: EpochMicros
  host: string
  bond: string
  message: string
}

export type BondEvent = Base &
  (
    | {type: 'active-changed'; from: string | null; to: string | null}
    | {type: 'mii'; member: string; from: string; to: string}
    | {type: 'carrier'; member: string; up: boolean}
    | {type: 'link-failure'; member: string; from: number; to: number}
    | {type: 'aggregator-changed'; member: string | null; from: number | null; to: number | null}
    | {type: 'lacp-churn'; member: string; side: 'actor' | 'partner'; from: string | null; to: string | null; count: number | null}
    | {type: 'member-added' | 'member-removed'; member: string}
    | {type: 'bond-mii'; from: string | null; to: string | null}
    | {type: 'counter-reset'; member: string; counters: string[]}
  )

export type BondEventType = BondEvent['type']

export function detectEvents(prev: BondSnapshot | null, cur: BondSnapshot, rates?: RateSample): BondEvent[] {
  if (prev === null) return []
  const out: BondEvent[] = []
  const base = {t: cur.t, host: cur.host, bond: cur.bond}
  const p = prev.proc
  const c = cur.proc
  if (p.activeSlave !== c.activeSlave) {
    out.push({...base, type: 'active-changed', from: p.activeSlave, to: c.activeSlave, message: `active member ${p.activeSlave ?? 'none'} → ${c.activeSlave ?? 'none'}`})
  }
  if (p.miiStatus !== c.miiStatus) out.push({...base, type: 'bond-mii', from: p.miiStatus, to: c.miiStatus, message: `${cur.bond} MII ${p.miiStatus ?? '?'} → ${c.miiStatus ?? '?'}`})
  const pa = p.ad?.activeAggregator?.id ?? null
  const ca = c.ad?.activeAggregator?.id ?? null
  if (p.ad !== null && c.ad !== null && pa !== ca) {
    out.push({...base, type: 'aggregator-changed', member: null, from: pa, to: ca, message: `active aggregator ${pa ?? 'none'} → ${ca ?? 'none'}`})
  }
  const before = new Map(p.members.map((m) => [m.name, m]))
  const after = new Map(c.members.map((m) => [m.name, m]))
  for (const name of after.keys()) if (!before.has(name)) out.push({...base, type: 'member-added', member: name, message: `${name} joined ${cur.bond}`})
  for (const name of before.keys()) if (!after.has(name)) out.push({...base, type: 'member-removed', member: name, message: `${name} left ${cur.bond}`})
  for (const [name, m] of after) {
    const o = before.get(name)
    if (o === undefined) continue
    if (o.miiStatus !== m.miiStatus) out.push({...base, type: 'mii', member: name, from: o.miiStatus, to: m.miiStatus, message: `${name} MII ${o.miiStatus} → ${m.miiStatus}`})
    if (o.linkFailureCount !== null && m.linkFailureCount !== null && m.linkFailureCount > o.linkFailureCount) {
      out.push({...base, type: 'link-failure', member: name, from: o.linkFailureCount, to: m.linkFailureCount, message: `${name} link failures ${o.linkFailureCount} → ${m.linkFailureCount}`})
    }
    if (o.aggregatorId !== m.aggregatorId && (o.aggregatorId !== null || m.aggregatorId !== null)) {
      out.push({...base, type: 'aggregator-changed', member: name, from: o.aggregatorId, to: m.aggregatorId, message: `${name} aggregator ${o.aggregatorId ?? 'N/A'} → ${m.aggregatorId ?? 'N/A'}`})
    }
    for (const side of ['actor', 'partner'] as const) {
      const sk = side === 'actor' ? 'actorChurnState' : 'partnerChurnState'
      const ck = side === 'actor' ? 'actorChurnedCount' : 'partnerChurnedCount'
      const stateChanged = o[sk] !== m[sk] && m[sk] !== null
      const countUp = o[ck] !== null && m[ck] !== null && (m[ck] ?? 0) > (o[ck] ?? 0)
      if (stateChanged || countUp) {
        out.push({...base, type: 'lacp-churn', member: name, side, from: o[sk], to: m[sk], count: m[ck], message: `${name} ${side} churn ${o[sk] ?? '?'} → ${m[sk] ?? '?'}${countUp ? ` (churned ${m[ck] ?? '?'}×)` : ''}`})
      }
    }
  }
  const pc = new Map(prev.members.map((m) => [m.name, m.carrier]))
  for (const m of cur.members) {
    const was = pc.get(m.name)
    if (was !== undefined && was !== null && m.carrier !== null && was !== m.carrier) {
      out.push({...base, type: 'carrier', member: m.name, up: m.carrier, message: `${m.name} carrier ${m.carrier ? 'up' : 'down'}`})
    }
  }
  for (const r of rates?.members ?? []) {
    if (r.reset.length > 0) out.push({...base, type: 'counter-reset', member: r.name, counters: r.reset, message: `${r.name} counters reset (${r.reset.join(', ')}): no rate for this interval`})
  }
  return out
}
