/**
 * ORACLE — NOT PRODUCT CODE. A frozen copy of src/timeline/analyze.ts as it was before the incremental
 * TimelineMachine (commit 3c5f8b8): the quadratic batch analysis, kept only so that the unit tests can check
 * that the machine gives exactly the same analysis (test/unit/timeline/machine.test.ts). Do not change it.
 */
/**
 * Timeline analysis: pure functions over TimelineEvent[] (VRRP adverts, ARP, probes, fault.inject/revert,
 * vip.owner). Used live by the drill engine and by `hachaos capture analyze` on a saved capture.
 *
 * All times are epoch µs; every duration in the result is in ms (µs / 1000, not rounded).
 *
 * Metric definitions (also in the README, "hachaos capture analyze"):
 * - oldOwner: the source of the last advert with priority > 0 for the vrid before the fault.
 * - newOwner: the first source other than oldOwner advertising with priority > 0 after the fault
 *   (any source when there was no advert before the fault).
 * - takeoverMs = newOwner's first advert after the fault − faultAt.
 * - takeoverFromLastAdvertMs = newOwner's first advert − oldOwner's last advert (any priority) before it.
 *   For a node loss this is Master_Down_Interval; after a graceful stop the last one is the priority-0 advert,
 *   so it is Skew_Time.
 * - garpMs = first gratuitous ARP for the VIP whose sender MAC is newOwner's MAC (from its adverts), at or
 *   after the fault − faultAt. Without a VIP: the first GARP from that MAC for an address other than its own.
 * - outageMs (client view, from probe events: t = send time, latencyMs): the largest gap between consecutive
 *   successful probe completions (t + latency) among the gaps that end after the fault and, when there is a
 *   revert, start before it. lostProbes = failed probes sent inside that gap. probesTotal/probesFailed count
 *   the whole run. With no failures the largest gap still stands (about one probe interval): it is reported,
 *   the reader decides. failbackOutageMs/failbackLostProbes: the same over the gaps that end after the revert.
 * - failbackMs = oldOwner's first advert with priority > 0 after the revert − revertAt (preempt).
 * - splitBrain:
 *   'dual-master': two sources advertise with priority > 0 for one vrid while both are alive. A source is
 *     alive from each advert until 3 × its interval later, or until its priority-0 advert. Where two alive
 *     intervals overlap and EACH source sent at least two adverts inside the overlap, that is a finding, from
 *     the first moment both had advertised to the last moment both were still advertising (observed: the
 *     true overlap can be up to one advert interval longer). The "two adverts each" rule keeps a normal
 *     failover (the old master is silent before the new one speaks) and a preempting failback (the backup
 *     stops as soon as it hears the master) out.
 *   'dual-arp': ARP replies or GARPs for the VIP from two (or more) MACs interleaved: the sender MAC changes
 *     at least twice (A, B, A …) with each change within dualArpWindowMs (default 2000 ms) of the previous.
 *     A failover changes the MAC once; a failover and a failback change it twice, but Master_Down_Interval
 *     (≥ 3 advert intervals) apart.
 *   'dual-vip': vip.owner events that list two or more owners.
 */
import type {FailoverMetrics, SplitBrainFinding, TimelineEvent} from '../../../src/store/run-types.js'

// The result types are the product's own (src/timeline/types.ts): the oracle differs in how it computes, not in what.
import type {Advert, AdvertGap, AnalyzeContext, Arp, GarpEntry, MasterSpan, PriorityChange, Probe, TimelineAnalysis, VipOwner} from '../../../src/timeline/types.js'
export type {AnalyzeContext, TimelineAnalysis}

const ms = (us: number): number => us / 1000

class Namer {
  private readonly byIp = new Map<string, string>()
  private readonly byMac = new Map<string, string>()

  constructor(hosts: AnalyzeContext['hosts']) {
    for (const h of hosts) {
      if (h.ip !== undefined) this.byIp.set(h.ip, h.name)
      if (h.mac !== undefined) this.byMac.set(h.mac.toLowerCase(), h.name)
    }
  }

  /** A VRRP source: its host name by IP, else by MAC, else the IP. */
  source(ip: string, mac: string): string {
    return this.byIp.get(ip) ?? this.byMac.get(mac) ?? ip
  }

  /** An ARP sender: its host name by MAC, else the MAC. */
  mac(mac: string): string {
    return this.byMac.get(mac) ?? mac
  }

  learn(ip: string, mac: string): void {
    const name = this.byIp.get(ip)
    if (name !== undefined && !this.byMac.has(mac)) this.byMac.set(mac, name)
  }
}

/** Stable sort by time (events from several hosts/streams arrive interleaved). */
function byTime<T extends {t: number}>(xs: T[]): T[] {
  return xs.map((x, i) => ({x, i})).sort((a, b) => a.x.t - b.x.t || a.i - b.i).map((p) => p.x)
}

function groupBy<T, K>(xs: T[], key: (x: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>()
  for (const x of xs) {
    const k = key(x)
    const arr = m.get(k)
    if (arr === undefined) m.set(k, [x])
    else arr.push(x)
  }
  return m
}

/** Interval in µs of an advert (0 s would make every advert a gap: use 1 s then). */
const intvlUs = (a: Advert): number => (a.intvl > 0 ? a.intvl : 1) * 1_000_000

/** A VRRP instance: the vrid, and for tagged adverts the VLAN (vrid + 256 × (VLAN + 1)). */
const instNum = (a: Advert): number => (a.vlan === undefined ? a.vrid : a.vrid + 256 * (a.vlan + 1))
/** …and, in a pcapng that names it, the capture interface. */
const inst = (a: Advert): string => `${a.iface ?? ''}|${instNum(a)}`

export function analyzeTimeline(events: TimelineEvent[], ctx: AnalyzeContext): TimelineAnalysis {
  const sorted = byTime(events)
  const adverts = sorted.filter((e): e is Advert => e.type === 'vrrp.advert')
  const arps = sorted.filter((e): e is Arp => e.type === 'arp')
  const probes = sorted.filter((e): e is Probe => e.type === 'probe')
  const owners = sorted.filter((e): e is VipOwner => e.type === 'vip.owner')
  const namer = new Namer(ctx.hosts)
  for (const a of adverts) namer.learn(a.src, a.smac)

  // one VRRP instance per vrid and 802.1Q VLAN (untagged: the vrid alone)
  const instCounts = new Map<string, number>()
  for (const a of adverts) instCounts.set(inst(a), (instCounts.get(inst(a)) ?? 0) + 1)
  const vrids = [...new Set(adverts.map((a) => a.vrid))].sort((a, b) => a - b)
  const num = (k: string): number => Number(k.slice(k.lastIndexOf('|') + 1))
  const iface = (k: string): string => k.slice(0, k.lastIndexOf('|'))
  const chosen = [...instCounts.entries()].filter(([k]) => ctx.vrid === null || num(k) % 256 === ctx.vrid).sort((a, b) => b[1] - a[1] || num(a[0]) - num(b[0]) || (iface(a[0]) < iface(b[0]) ? -1 : iface(a[0]) > iface(b[0]) ? 1 : 0))[0]?.[0] ?? null
  const vrid = ctx.vrid ?? (chosen === null ? null : num(chosen) % 256)

  const notes: string[] = []
  if (ctx.vrid !== null && adverts.length > 0 && chosen === null) {
    notes.push(`no advert for vrid ${ctx.vrid} (seen: ${vrids.join(', ')})`)
  }

  const masters: MasterSpan[] = []
  const priorityChanges: PriorityChange[] = []
  const advertGaps: AdvertGap[] = []
  for (const list of groupBy(adverts, (a) => `${inst(a)}/${a.src}`).values()) collectSource(list, namer, masters, priorityChanges, advertGaps)
  masters.sort((a, b) => a.startUs - b.startUs)
  priorityChanges.sort((a, b) => a.t - b.t)
  advertGaps.sort((a, b) => a.fromUs - b.fromUs)

  const garps: GarpEntry[] = arps
    .filter((a) => a.garp)
    .map((a) => ({t: a.t, op: a.op, source: namer.mac(a.smac), mac: a.smac, ip: a.sip, forVip: ctx.vip !== null && a.sip === ctx.vip}))

  const splitBrain = [
    ...dualMaster(adverts, namer),
    ...dualArp(arps, ctx, namer),
    ...dualVip(owners, sorted[sorted.length - 1]?.t ?? null),
  ].sort((a, b) => a.startUs - b.startUs)

  const metrics = ctx.faultAtUs === null ? null : failoverMetrics(chosen === null ? [] : adverts.filter((a) => inst(a) === chosen), arps, probes, ctx, namer, notes)

  const firstUs = sorted[0]?.t ?? null
  const lastUs = sorted[sorted.length - 1]?.t ?? null
  return {
    vrid,
    vrids,
    firstUs,
    lastUs,
    counts: {adverts: adverts.length, arps: arps.length, garps: garps.length, probes: probes.length},
    masters,
    garps,
    priorityChanges,
    advertGaps,
    metrics,
    splitBrain,
    notes,
    ...(ctx.unparsed === undefined ? {} : {unparsed: ctx.unparsed}),
  }
}

/** Master stretches, priority changes and gaps of one source's adverts for one vrid (time-ordered). */
function collectSource(list: Advert[], namer: Namer, masters: MasterSpan[], changes: PriorityChange[], gaps: AdvertGap[]): void {
  let span: MasterSpan | null = null
  let prev: Advert | null = null
  for (const a of list) {
    const name = namer.source(a.src, a.smac)
    if (prev !== null) {
      if (a.prio !== prev.prio) changes.push({t: a.t, vrid: a.vrid, source: name, from: prev.prio, to: a.prio})
      const limit = 1.5 * intvlUs(prev)
      if (a.t - prev.t > limit) {
        gaps.push({vrid: a.vrid, source: name, fromUs: prev.t, toUs: a.t, gapMs: ms(a.t - prev.t), intervalMs: ms(intvlUs(prev))})
      }
    }
    if (span !== null && prev !== null && (a.t - prev.t > 3 * intvlUs(prev) || a.prio === 0)) {
      if (a.prio === 0 && a.t - prev.t <= 3 * intvlUs(prev)) {
        span.endUs = a.t
        span.resigned = true
      }
      masters.push(span)
      span = null
    }
    if (a.prio > 0) {
      if (span === null) {
        span = {vrid: a.vrid, source: name, ip: a.src, mac: a.smac, startUs: a.t, endUs: a.t, prio: a.prio, adverts: 0, intervalMs: ms(intvlUs(a)), resigned: false}
      }
      span.endUs = a.t
      span.adverts += 1
    }
    prev = a
  }
  if (span !== null) masters.push(span)
}

function failoverMetrics(adverts: Advert[], arps: Arp[], probes: Probe[], ctx: AnalyzeContext, namer: Namer, notes: string[]): FailoverMetrics {
  const fault = ctx.faultAtUs as number
  const revert = ctx.revertAtUs
  const before = adverts.filter((a) => a.t < fault && a.prio > 0)
  const oldMaster = before[before.length - 1] ?? null
  const newFirst = adverts.find((a) => a.t >= fault && a.prio > 0 && (oldMaster === null || a.src !== oldMaster.src)) ?? null
  let takeoverFromLast: number | null = null
  if (oldMaster !== null && newFirst !== null) {
    const oldAdverts = adverts.filter((a) => a.src === oldMaster.src && a.t <= newFirst.t)
    const last = oldAdverts[oldAdverts.length - 1]
    if (last !== undefined) takeoverFromLast = ms(newFirst.t - last.t)
  }
  if (adverts.length === 0) notes.push('no VRRP advert in the capture: no takeover can be measured')
  else if (oldMaster === null) notes.push('no advert before the fault: the old master is unknown')
  else if (newFirst === null) notes.push(`no other source advertised after the fault: no takeover seen (${namer.source(oldMaster.src, oldMaster.smac)} stayed master or the capture ended)`)

  let garpMs: number | null = null
  if (newFirst !== null) {
    const g = arps.find(
      (a) =>
        a.garp &&
        a.t >= fault &&
        a.smac === newFirst.smac &&
        (ctx.vip !== null ? a.sip === ctx.vip : a.sip !== newFirst.src),
    )
    if (g !== undefined) garpMs = ms(g.t - fault)
  }

  let failbackMs: number | null = null
  if (revert !== null && oldMaster !== null) {
    const back = adverts.find((a) => a.t >= revert && a.prio > 0 && a.src === oldMaster.src)
    if (back !== undefined) failbackMs = ms(back.t - revert)
  }

  const outage = largestGap(probes, (start, end) => end > fault && (revert === null || start < revert))
  const failback = revert === null ? null : largestGap(probes, (_start, end) => end > revert)
  const failed = probes.filter((p) => !p.ok).length
  if (probes.length > 0) {
    const okAfter = probes.some((p) => p.ok && p.t >= fault)
    if (!okAfter) notes.push('no probe succeeded after the fault: the outage did not end within the run')
    if (outage !== null && failed === 0 && ctx.probeIntervalMs !== undefined && outage.gapMs <= 1.5 * ctx.probeIntervalMs) {
      notes.push(`no probe failed: the largest gap after the fault (${outage.gapMs.toFixed(1)} ms) is about one probe interval`)
    }
  }

  return {
    faultAtUs: fault,
    revertAtUs: revert,
    oldOwner: oldMaster === null ? null : namer.source(oldMaster.src, oldMaster.smac),
    newOwner: newFirst === null ? null : namer.source(newFirst.src, newFirst.smac),
    takeoverMs: newFirst === null ? null : ms(newFirst.t - fault),
    takeoverFromLastAdvertMs: takeoverFromLast,
    garpMs,
    outageMs: outage?.gapMs ?? null,
    lostProbes: outage?.lost ?? 0,
    probesTotal: probes.length,
    probesFailed: failed,
    failbackMs,
    failbackOutageMs: failback?.gapMs ?? null,
    failbackLostProbes: failback?.lost ?? 0,
    extra: {},
  }
}

/**
 * The largest gap between consecutive successful probe completions (t + latency) among the gaps `keep`
 * accepts (start, end in µs); lost = failed probes sent inside it.
 */
function largestGap(probes: Probe[], keep: (startUs: number, endUs: number) => boolean): {gapMs: number; startUs: number; endUs: number; lost: number} | null {
  const done = probes
    .filter((p) => p.ok)
    .map((p) => p.t + Math.round(p.latencyMs * 1000))
    .sort((a, b) => a - b)
  let best: {startUs: number; endUs: number} | null = null
  for (let i = 1; i < done.length; i++) {
    const start = done[i - 1] as number
    const end = done[i] as number
    if (!keep(start, end)) continue
    if (best === null || end - start > best.endUs - best.startUs) best = {startUs: start, endUs: end}
  }
  if (best === null) return null
  const b = best
  const lost = probes.filter((p) => !p.ok && p.t > b.startUs && p.t < b.endUs).length
  return {gapMs: ms(b.endUs - b.startUs), startUs: b.startUs, endUs: b.endUs, lost}
}

interface Alive {
  startUs: number
  endUs: number
}

/** Union of a source's alive intervals: [advert, advert + 3 × interval], cut at its priority-0 advert. */
function aliveIntervals(list: Advert[]): Alive[] {
  // next priority-0 advert at or after each index, found in one backward pass (captures can be long)
  const nextResign: Array<number | null> = new Array<number | null>(list.length).fill(null)
  let next: number | null = null
  for (let i = list.length - 1; i >= 0; i--) {
    nextResign[i] = next
    if ((list[i] as Advert).prio === 0) next = (list[i] as Advert).t
  }
  const out: Alive[] = []
  for (let i = 0; i < list.length; i++) {
    const a = list[i] as Advert
    if (a.prio === 0) continue
    let end = a.t + 3 * intvlUs(a)
    const resign = nextResign[i] ?? null
    if (resign !== null && resign < end) end = resign
    const last = out[out.length - 1]
    if (last !== undefined && a.t <= last.endUs) last.endUs = Math.max(last.endUs, end)
    else out.push({startUs: a.t, endUs: end})
  }
  return out
}

function dualMaster(adverts: Advert[], namer: Namer): SplitBrainFinding[] {
  const out: SplitBrainFinding[] = []
  for (const list of groupBy(adverts, inst).values()) {
    const vrid = (list[0] as Advert).vrid
    const bySrc = [...groupBy(list, (a) => a.src).entries()]
    for (let i = 0; i < bySrc.length; i++) {
      for (let j = i + 1; j < bySrc.length; j++) {
        const [srcA, advA] = bySrc[i] as [string, Advert[]]
        const [srcB, advB] = bySrc[j] as [string, Advert[]]
        for (const x of aliveIntervals(advA)) {
          for (const y of aliveIntervals(advB)) {
            const lo = Math.max(x.startUs, y.startUs)
            const hi = Math.min(x.endUs, y.endUs)
            if (hi <= lo) continue
            const inA = advA.filter((a) => a.prio > 0 && a.t >= lo && a.t <= hi)
            const inB = advB.filter((a) => a.prio > 0 && a.t >= lo && a.t <= hi)
            if (inA.length < 2 || inB.length < 2) continue
            const startUs = Math.max((inA[0] as Advert).t, (inB[0] as Advert).t)
            const endUs = Math.min((inA[inA.length - 1] as Advert).t, (inB[inB.length - 1] as Advert).t)
            const a0 = inA[0] as Advert
            const b0 = inB[0] as Advert
            const nameA = namer.source(srcA, a0.smac)
            const nameB = namer.source(srcB, b0.smac)
            out.push({
              kind: 'dual-master',
              parties: [nameA, nameB],
              startUs,
              endUs,
              durationMs: ms(endUs - startUs),
              evidence:
                `${nameA} (${srcA}, prio ${a0.prio}) and ${nameB} (${srcB}, prio ${b0.prio}) both advertised as master ` +
                `for vrid ${vrid}: ${inA.length} and ${inB.length} adverts while both were alive`,
            })
          }
        }
      }
    }
  }
  return out
}

function dualArp(arps: Arp[], ctx: AnalyzeContext, namer: Namer): SplitBrainFinding[] {
  const window = (ctx.dualArpWindowMs ?? 2000) * 1000
  const answers = arps.filter((a) => a.garp || a.op === 'reply')
  const ips = ctx.vip !== null ? [ctx.vip] : [...new Set(answers.map((a) => a.sip))].filter((ip) => ip !== '0.0.0.0')
  const out: SplitBrainFinding[] = []
  for (const ip of ips) for (const seq of groupBy(answers.filter((a) => a.sip === ip), (a) => `${a.vlan ?? ''}%${a.iface ?? ''}`).values()) {
    // indices where the sender MAC changes
    const switches: number[] = []
    for (let i = 1; i < seq.length; i++) if ((seq[i] as Arp).smac !== (seq[i - 1] as Arp).smac) switches.push(i)
    let k = 0
    while (k < switches.length) {
      let end = k
      while (end + 1 < switches.length && (seq[switches[end + 1] as number] as Arp).t - (seq[switches[end] as number] as Arp).t <= window) end += 1
      if (end > k) {
        const first = seq[(switches[k] as number) - 1] as Arp
        const last = seq[switches[end] as number] as Arp
        const inside = seq.slice((switches[k] as number) - 1, (switches[end] as number) + 1)
        const macs = [...new Set(inside.map((a) => a.smac))]
        const replies = inside.filter((a) => a.op === 'reply' && !a.garp).length
        out.push({
          kind: 'dual-arp',
          parties: macs.map((m) => namer.mac(m)),
          startUs: first.t,
          endUs: last.t,
          durationMs: ms(last.t - first.t),
          evidence:
            `ARP for ${ip} answered from ${macs.length} MACs (${macs.map((m) => `${m}${namer.mac(m) !== m ? ` ${namer.mac(m)}` : ''}`).join(', ')}), ` +
            `the sender changing ${end - k + 1} times: ${inside.length} frames (${replies} replies, ${inside.length - replies} gratuitous)`,
        })
      }
      k = end + 1
    }
  }
  return out
}

/**
 * vip.owner events are emitted on change only: a dual ownership lasts from the event that lists two owners
 * until the next event that lists fewer (or, still dual at the end, until `endUs`, the last observation).
 */
function dualVip(owners: VipOwner[], endUs: number | null): SplitBrainFinding[] {
  const out: SplitBrainFinding[] = []
  let open: {start: VipOwner; parties: Set<string>} | null = null
  const close = (t: number): void => {
    if (open === null) return
    out.push({
      kind: 'dual-vip',
      parties: [...open.parties],
      startUs: open.start.t,
      endUs: t,
      durationMs: ms(t - open.start.t),
      evidence: `the VIP was configured on ${[...open.parties].join(' and ')} at once (polled)`,
    })
    open = null
  }
  for (const o of owners) {
    if (o.owners.length >= 2) {
      if (open === null) open = {start: o, parties: new Set(o.owners)}
      else for (const p of o.owners) open.parties.add(p)
    } else close(o.t)
  }
  if (open !== null) close(Math.max(endUs ?? open.start.t, open.start.t))
  return out
}
