/**
 * Plain-text rendering of a timeline analysis (src/timeline/analyze.ts): who was master when, GARPs,
 * priority changes, advert gaps, failover metrics and split-brain findings. Returns lines; printing is the
 * command's business.
 */
import {formatMs} from '../src/time.js'
import type {GarpEntry, TimelineAnalysis} from '../src/timeline/analyze.js'

export interface TimelineTextOptions {
  /** Times are shown relative to this (the fault, else the first event). */
  zeroUs: number | null
  zeroLabel: string
}

/** Epoch µs as "1795388398.646432" (exact, from the integer). */
export function epochString(us: number): string {
  const s = Math.floor(us / 1_000_000)
  return `${s}.${String(us - s * 1_000_000).padStart(6, '0')}`
}

function rel(us: number, zero: number | null): string {
  if (zero === null) return epochString(us)
  const d = (us - zero) / 1_000_000
  return `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(3)} s`
}

/** Consecutive GARPs from one MAC for one address within 1 s: one line ("5× …"). */
export function garpBursts(garps: GarpEntry[]): Array<{first: GarpEntry; count: number; ops: Set<string>}> {
  const out: Array<{first: GarpEntry; last: GarpEntry; count: number; ops: Set<string>}> = []
  for (const g of garps) {
    const cur = out[out.length - 1]
    if (cur !== undefined && cur.first.mac === g.mac && cur.first.ip === g.ip && g.t - cur.last.t <= 1_000_000) {
      cur.count += 1
      cur.last = g
      cur.ops.add(g.op)
    } else out.push({first: g, last: g, count: 1, ops: new Set([g.op])})
  }
  return out
}

const ms3 = (v: number | null): string => formatMs(v, 3)

/** A list cut to its first and last N (a streamed analysis, src/timeline/machine.ts): say how many there were. */
function cut(a: TimelineAnalysis, list: keyof NonNullable<TimelineAnalysis['listed']>['totals'], shown: number, what: string): string[] {
  const total = a.listed?.totals[list]
  if (total === undefined || total <= shown) return []
  return [`  … ${total - shown} more: ${total} ${what} in all, the first and last ${a.listed?.keep} shown (--json or --events ndjson lists all)`]
}

export function renderTimelineText(a: TimelineAnalysis, o: TimelineTextOptions): string[] {
  const L: string[] = []
  const z = o.zeroUs
  if (z !== null) L.push(`times relative to ${o.zeroLabel} (${epochString(z)})`)

  L.push('', `Who was master${a.vrid === null ? '' : ` (vrid ${a.vrid}${a.vrids.length > 1 ? `; also seen: ${a.vrids.filter((v) => v !== a.vrid).join(', ')}` : ''})`}`)
  const spans = a.masters.filter((m) => a.vrid === null || m.vrid === a.vrid)
  if (spans.length === 0) L.push('  no VRRP advert')
  let prevEnd: number | null = null
  let prevIntervalMs = 0
  for (const m of spans) {
    // a handover within one advert interval is not a gap worth a line
    if (prevEnd !== null && (m.startUs - prevEnd) / 1000 > 1.5 * prevIntervalMs) {
      L.push(`  … no master advertising for ${ms3((m.startUs - prevEnd) / 1000)}`)
    }
    prevIntervalMs = m.intervalMs
    // a source without a name is its IP: shown once
    const who = m.source === m.ip ? m.ip.padEnd(28) : `${m.source.padEnd(12)} ${m.ip.padEnd(15)}`
    L.push(
      `  ${who} prio ${String(m.prio).padStart(3)}  ${rel(m.startUs, z)} … ${rel(m.endUs, z)}  ` +
        `${m.adverts} advert${m.adverts === 1 ? '' : 's'}${m.resigned ? ', ended with priority 0' : ''}`,
    )
    prevEnd = prevEnd === null ? m.endUs : Math.max(prevEnd, m.endUs)
  }
  L.push(...cut(a, 'masters', a.masters.length, 'master spans'))

  L.push('', 'Gratuitous ARP')
  const bursts = garpBursts(a.garps)
  if (bursts.length === 0) L.push('  none')
  for (const b of bursts) {
    L.push(
      `  ${rel(b.first.t, z).padStart(10)}  ${b.count}× for ${b.first.ip}${b.first.forVip ? ' (VIP)' : ''} from ${b.first.source}` +
        `${b.first.source !== b.first.mac ? ` (${b.first.mac})` : ''}, ${[...b.ops].join('/')}`,
    )
  }
  L.push(...cut(a, 'garps', a.garps.length, 'gratuitous ARPs'))

  L.push('', 'Priority changes')
  if (a.priorityChanges.length === 0) L.push('  none')
  for (const c of a.priorityChanges) L.push(`  ${rel(c.t, z).padStart(10)}  ${c.source} vrid ${c.vrid}: ${c.from} → ${c.to}`)
  L.push(...cut(a, 'priorityChanges', a.priorityChanges.length, 'priority changes'))

  L.push('', 'Advert gaps (adverts missing for more than 1.5 × the interval)')
  if (a.advertGaps.length === 0) L.push('  none')
  for (const g of a.advertGaps) {
    L.push(`  ${g.source.padEnd(12)} vrid ${g.vrid}  ${rel(g.fromUs, z)} … ${rel(g.toUs, z)}  ${ms3(g.gapMs)} (interval ${ms3(g.intervalMs)})`)
  }
  L.push(...cut(a, 'advertGaps', a.advertGaps.length, 'advert gaps'))

  const m = a.metrics
  if (m !== null) {
    L.push('', `Failover (fault at ${epochString(m.faultAtUs)}${m.revertAtUs === null ? '' : `, revert at ${epochString(m.revertAtUs)}`})`)
    const row = (k: string, v: string, why: string): void => {
      L.push(`  ${k.padEnd(22)} ${v.padEnd(12)} ${why}`)
    }
    row('old master', m.oldOwner ?? '—', 'last advert with priority > 0 before the fault')
    row('new master', m.newOwner ?? '—', 'first other source advertising after the fault')
    row('takeover', ms3(m.takeoverMs), "new master's first advert − fault")
    row('  from last advert', ms3(m.takeoverFromLastAdvertMs), "new master's first advert − old master's last advert")
    row('first GARP', ms3(m.garpMs), 'first gratuitous ARP for the VIP from the new MAC − fault')
    if (m.probesTotal > 0) {
      row('client outage', ms3(m.outageMs), `largest gap between good probes; ${m.lostProbes} lost (${m.probesFailed}/${m.probesTotal} failed in all)`)
    }
    if (m.revertAtUs !== null) {
      row('failback', ms3(m.failbackMs), "old master's first advert after the revert − revert")
      if (m.probesTotal > 0) row('failback outage', ms3(m.failbackOutageMs), `${m.failbackLostProbes} probes lost`)
    }
  }

  L.push('', 'Split brain')
  if (a.splitBrain.length === 0) L.push('  none seen')
  for (const s of a.splitBrain) {
    L.push(`  ! ${s.kind}: ${s.parties.join(' and ')}, ${rel(s.startUs, z)} … ${rel(s.endUs, z)} (${ms3(s.durationMs)})`, `    ${s.evidence}`)
  }
  L.push(...cut(a, 'splitBrain', a.splitBrain.length, 'findings'))
  for (const n of a.notes) L.push('', `note: ${n}`)
  return L
}
