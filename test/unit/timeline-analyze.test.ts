import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {readCaptureFile} from '../../src/capture/file.js'
import type {TimelineEvent} from '../../src/store/run-types.js'
import {type AnalyzeContext, analyzeTimeline} from '../../src/timeline/analyze.js'
import {ROOT} from '../helpers/cli.js'

const FIX = join(ROOT, 'test', 'fixtures', 'capture')

/** Fault and revert moments recorded when the fixtures were captured (README.md, moments.txt). */
function moments(): Record<string, {fault?: number; revert?: number}> {
  const out: Record<string, {fault?: number; revert?: number}> = {}
  for (const line of readFileSync(join(FIX, 'moments.txt'), 'utf8').trim().split('\n')) {
    const [name, kind, at] = line.split(' ') as [string, 'fault' | 'revert', string]
    const [s, f] = at.split('.') as [string, string]
    ;(out[name] ??= {})[kind] = Number(s) * 1_000_000 + Number(f.padEnd(6, '0'))
  }
  return out
}
const M = moments()

const HOSTS: AnalyzeContext['hosts'] = [
  {name: 'lb1', ip: '10.66.0.11', mac: '02:48:43:00:00:0b'},
  {name: 'lb2', ip: '10.66.0.12', mac: '02:48:43:00:00:0c'},
  {name: 'client', ip: '10.66.0.50', mac: '02:48:43:00:00:32'},
]

async function analyzeFixture(name: string, file = `${name}.pcap`, vip = '10.66.0.100') {
  const cap = await readCaptureFile(join(FIX, file), 'client')
  return analyzeTimeline(cap.events, {vip, vrid: null, faultAtUs: M[name]?.fault ?? null, revertAtUs: M[name]?.revert ?? null, hosts: HOSTS})
}

/** VRRP timing (RFC 3768 / 5798), in ms. */
const masterDownMs = (advertS: number, prio: number): number => 3 * advertS * 1000 + ((256 - prio) / 256) * advertS * 1000
const skewMs = (advertS: number, prio: number): number => ((256 - prio) / 256) * advertS * 1000
/** Tolerance for measured VRRP timings against the formula. */
const TOL_MS = 50

describe('timeline analysis on real drill captures', () => {
  it('NIC down on lb1 (VRRPv2): takeover from the last advert = Master_Down_Interval 3.609 s ± 50 ms, failback by preempt', async () => {
    const r = await analyzeFixture('nicdown-v2')
    const m = r.metrics
    assert.ok(m !== null)
    assert.equal(m.oldOwner, 'lb1')
    assert.equal(m.newOwner, 'lb2')
    const predicted = masterDownMs(1, 100) // 3609.375
    assert.ok(Math.abs((m.takeoverFromLastAdvertMs ?? 0) - predicted) <= TOL_MS, `${m.takeoverFromLastAdvertMs} vs ${predicted}`)
    // straight from the packet timestamps: lb2's first advert 1795388401.870139, the fault 1795388398.646432
    assert.equal(m.takeoverMs, 3223.707)
    assert.equal(m.takeoverFromLastAdvertMs, 3610.045)
    assert.equal(m.garpMs, 3223.829) // lb2's first GARP, 122 µs after its first advert
    // failback: lb1 waits its own Master_Down_Interval after link up (prio 150)
    assert.ok(Math.abs((m.failbackMs ?? 0) - masterDownMs(1, 150)) <= TOL_MS, `${m.failbackMs}`)
    assert.deepEqual(
      r.masters.map((x) => [x.source, x.prio]),
      [
        ['lb1', 150],
        ['lb2', 100],
        ['lb1', 150],
      ],
    )
    assert.deepEqual(r.splitBrain, [])
    assert.equal(r.advertGaps.length, 1)
    assert.equal(r.advertGaps[0]?.source, 'lb1')
    assert.equal(r.garps.filter((g) => g.forVip).length, 20)
  })

  it('NIC down on lb1 (VRRPv3): the same Master_Down_Interval in centiseconds', async () => {
    const r = await analyzeFixture('nicdown-v3')
    const m = r.metrics
    assert.ok(m !== null)
    assert.ok(Math.abs((m.takeoverFromLastAdvertMs ?? 0) - masterDownMs(1, 100)) <= TOL_MS, `${m.takeoverFromLastAdvertMs}`)
    assert.deepEqual([m.oldOwner, m.newOwner], ['lb1', 'lb2'])
    assert.deepEqual(r.splitBrain, [])
  })

  it('graceful keepalived stop: priority 0, takeover from it = Skew_Time 0.609 s ± 50 ms', async () => {
    const r = await analyzeFixture('graceful-v2')
    const m = r.metrics
    assert.ok(m !== null)
    assert.ok(Math.abs((m.takeoverFromLastAdvertMs ?? 0) - skewMs(1, 100)) <= TOL_MS, `${m.takeoverFromLastAdvertMs}`)
    assert.equal(m.takeoverFromLastAdvertMs, 611.101)
    assert.equal(r.masters[0]?.resigned, true)
    assert.deepEqual(
      r.priorityChanges.map((c) => [c.source, c.from, c.to]),
      [
        ['lb1', 150, 0],
        ['lb1', 0, 150],
      ],
    )
    assert.deepEqual(r.splitBrain, [])
  })

  it('802.1Q capture, VRRPv3 at 50 cs: Skew_Time (256 − 100) × 0.5 s / 256 = 0.305 s ± 50 ms', async () => {
    const r = await analyzeFixture('vlan', 'vlan.pcap', '10.66.10.100')
    const m = r.metrics
    assert.ok(m !== null)
    assert.equal(r.vrid, 77)
    assert.ok(Math.abs((m.takeoverFromLastAdvertMs ?? 0) - skewMs(0.5, 100)) <= TOL_MS, `${m.takeoverFromLastAdvertMs}`)
    assert.ok(m.garpMs !== null && m.garpMs >= (m.takeoverMs ?? 0))
    assert.deepEqual(r.splitBrain, [])
  })

  it('VRRP dropped on lb2 input: dual-master (both advertise on the wire) and dual-ARP for the VIP', async () => {
    const r = await analyzeFixture('splitbrain-in-v2')
    const dm = r.splitBrain.filter((s) => s.kind === 'dual-master')
    const da = r.splitBrain.filter((s) => s.kind === 'dual-arp')
    assert.equal(dm.length, 1)
    assert.equal(da.length, 1)
    const f = dm[0]
    assert.ok(f !== undefined)
    assert.deepEqual([...f.parties].sort(), ['lb1', 'lb2'])
    const fault = M['splitbrain-in-v2']?.fault as number
    const revert = M['splitbrain-in-v2']?.revert as number
    // it starts when lb2 stopped hearing lb1 long enough (its Master_Down_Interval after the fault at most)
    assert.ok(f.startUs > fault && f.startUs <= fault + (masterDownMs(1, 100) + 1000 + TOL_MS) * 1000)
    // and lasts until about the revert (lb2 steps down at lb1's next advert after the nft rule is gone)
    assert.ok(f.endUs <= revert + 1_000_000 && f.endUs >= revert - 1_000_000, `${f.endUs} vs revert ${revert}`)
    assert.ok(f.durationMs > 3000 && f.durationMs < 5000, `${f.durationMs}`)
    assert.match(da[0]?.evidence ?? '', /10\.66\.0\.100 answered from 2 MACs/)
  })

  it('VRRP dropped on lb1 output: the client sees no dual advert, but the dual ARP answers give the split brain away', async () => {
    const r = await analyzeFixture('splitbrain-v2')
    assert.deepEqual(
      r.splitBrain.map((s) => s.kind),
      ['dual-arp'],
    )
    const f = r.splitBrain[0]
    assert.ok(f !== undefined)
    assert.deepEqual([...f.parties].sort(), ['lb1', 'lb2'])
    // lb1's adverts never reach the wire: in adverts it looks like an ordinary takeover
    assert.ok(Math.abs((r.metrics?.takeoverFromLastAdvertMs ?? 0) - masterDownMs(1, 100)) <= TOL_MS)
  })

  it('steady state, GARP-only and truncated captures: no split brain, no metrics without a fault', async () => {
    for (const name of ['steady-v2', 'steady-v3', 'garp', 'truncated-s40']) {
      const r = await analyzeFixture(name)
      assert.equal(r.metrics, null, name)
      assert.deepEqual(r.splitBrain, [], name)
      assert.equal(r.masters.length, 1, name)
      assert.equal(r.masters[0]?.source, 'lb1', name)
    }
  })

  it('text and pcap of one capture give the same analysis', async () => {
    for (const name of ['nicdown-v2', 'graceful-v2', 'splitbrain-in-v2']) {
      const p = await analyzeFixture(name, `${name}.pcap`)
      const t = await analyzeFixture(name, `${name}.txt`)
      assert.deepEqual(t.metrics, p.metrics, name)
      assert.deepEqual(t.masters, p.masters, name)
      assert.deepEqual(t.splitBrain, p.splitBrain, name)
    }
  })
})

// ---- synthetic events -------------------------------------------------------------------------------

const T0 = 1_800_000_000_000_000
const S = 1_000_000
const A = {src: '10.0.0.1', smac: 'aa:00:00:00:00:01'}
const B = {src: '10.0.0.2', smac: 'aa:00:00:00:00:02'}

function advert(t: number, who: {src: string; smac: string}, prio: number, vrid = 1, intvl = 1): TimelineEvent {
  return {type: 'vrrp.advert', t, host: 'cap', src: who.src, smac: who.smac, vrid, prio, intvl, ver: 2, auth: 'none'}
}
function adverts(from: number, to: number, who: {src: string; smac: string}, prio: number): TimelineEvent[] {
  const out: TimelineEvent[] = []
  for (let t = from; t <= to; t += S) out.push(advert(t, who, prio))
  return out
}
function probe(t: number, ok: boolean, latencyMs = 2): TimelineEvent {
  return {type: 'probe', t, host: 'client', ok, latencyMs, backend: ok ? 'web1' : null, error: ok ? null : 'ECONNREFUSED'}
}
/** Probes every `everyMs` from `from` to `to` (µs), failing inside [failFrom, failTo). */
function probes(from: number, to: number, everyMs: number, fails: Array<[number, number]>): TimelineEvent[] {
  const out: TimelineEvent[] = []
  for (let t = from; t < to; t += everyMs * 1000) out.push(probe(t, !fails.some(([a, b]) => t >= a && t < b)))
  return out
}
const ctx = (over: Partial<AnalyzeContext> = {}): AnalyzeContext => ({vip: '10.0.0.100', vrid: 1, faultAtUs: null, revertAtUs: null, hosts: [], ...over})

describe('timeline analysis, synthetic events', () => {
  it('outage: the largest gap between successful completions after the fault, lost probes inside it', () => {
    const evs = probes(T0, T0 + 10 * S, 50, [
      [T0 + 2 * S, T0 + 5.5 * S],
      [T0 + 7 * S, T0 + 7.2 * S],
    ])
    const r = analyzeTimeline(evs, ctx({faultAtUs: T0 + 2 * S, revertAtUs: T0 + 7 * S}))
    const m = r.metrics
    assert.ok(m !== null)
    // last good completion before: 1.950 s + 2 ms; first good after: 5.500 s + 2 ms
    assert.equal(m.outageMs, 3550)
    assert.equal(m.lostProbes, 70) // 2.00 … 5.45 s
    assert.equal(m.probesTotal, 200)
    assert.equal(m.probesFailed, 74)
    // failback: 6.950 + 2 ms → 7.200 + 2 ms, 4 probes lost (7.00, 7.05, 7.10, 7.15)
    assert.equal(m.failbackOutageMs, 250)
    assert.equal(m.failbackLostProbes, 4)
  })

  it('outage uses completions (send + latency): a slow answer ends the gap when it arrives', () => {
    const evs = [probe(T0, true, 1), probe(T0 + 100_000, false), probe(T0 + 200_000, true, 900), probe(T0 + 300_000, true, 1)]
    const m = analyzeTimeline(evs, ctx({faultAtUs: T0 + 50_000})).metrics
    // completions: 0.001, 1.100, 0.301 → sorted 0.001, 0.301, 1.100: largest gap 0.301 → 1.100
    assert.equal(m?.outageMs, 799)
    assert.equal(m?.lostProbes, 0)
  })

  it('without failures the largest gap still stands (about one probe interval), with a note', () => {
    const r = analyzeTimeline(probes(T0, T0 + 2 * S, 50, []), ctx({faultAtUs: T0 + S, probeIntervalMs: 50}))
    assert.equal(r.metrics?.outageMs, 50)
    assert.equal(r.metrics?.lostProbes, 0)
    assert.match(r.notes.join(' '), /no probe failed/)
  })

  it('a gap that starts after the revert is the failback outage, not the failover outage', () => {
    const evs = probes(T0, T0 + 10 * S, 100, [
      [T0 + 2 * S, T0 + 3 * S],
      [T0 + 6 * S, T0 + 8 * S],
    ])
    const m = analyzeTimeline(evs, ctx({faultAtUs: T0 + 2 * S, revertAtUs: T0 + 5 * S})).metrics
    assert.equal(m?.outageMs, 1100)
    assert.equal(m?.failbackOutageMs, 2100)
    assert.equal(m?.failbackLostProbes, 20)
  })

  it('no probe succeeds after the fault: outage null, with a note', () => {
    const r = analyzeTimeline(probes(T0, T0 + 3 * S, 100, [[T0 + S, T0 + 10 * S]]), ctx({faultAtUs: T0 + S}))
    assert.equal(r.metrics?.outageMs, null)
    assert.equal(r.metrics?.probesFailed, 20)
    assert.match(r.notes.join(' '), /no probe succeeded after the fault/)
  })

  it('no fault: no metrics; the timeline still stands', () => {
    const r = analyzeTimeline(adverts(T0, T0 + 5 * S, A, 150), ctx())
    assert.equal(r.metrics, null)
    assert.equal(r.masters.length, 1)
    assert.equal(r.masters[0]?.source, '10.0.0.1')
    assert.equal(r.masters[0]?.adverts, 6)
  })

  it('no adverts at all: empty timeline, metrics with nulls and a note', () => {
    const r = analyzeTimeline([], ctx({faultAtUs: T0}))
    assert.deepEqual([r.vrid, r.masters.length, r.firstUs], [1, 0, null])
    assert.deepEqual(
      [r.metrics?.oldOwner, r.metrics?.newOwner, r.metrics?.takeoverMs, r.metrics?.garpMs, r.metrics?.outageMs],
      [null, null, null, null, null],
    )
    assert.match(r.notes.join(' '), /no VRRP advert/)
  })

  it('one node only, or a fault with no takeover: newOwner null', () => {
    // the only node dies
    const dies = analyzeTimeline(adverts(T0, T0 + 3 * S, A, 150), ctx({faultAtUs: T0 + 3.5 * S}))
    assert.deepEqual([dies.metrics?.oldOwner, dies.metrics?.newOwner, dies.metrics?.takeoverMs], ['10.0.0.1', null, null])
    assert.match(dies.notes.join(' '), /no other source advertised after the fault/)
    // the fault does nothing: the master keeps advertising, the backup stays silent
    const nothing = analyzeTimeline(adverts(T0, T0 + 10 * S, A, 150), ctx({faultAtUs: T0 + 3.5 * S, revertAtUs: T0 + 6 * S}))
    assert.deepEqual([nothing.metrics?.newOwner, nothing.metrics?.takeoverFromLastAdvertMs], [null, null])
    assert.equal(nothing.metrics?.failbackMs, 0) // A's first advert at/after the revert: T0 + 6 s, the revert itself
  })

  it('names sources from the hosts list by IP, else by MAC; the vrid with the most adverts when none is given', () => {
    const evs = [...adverts(T0, T0 + 3 * S, A, 150), advert(T0, B, 100, 9)]
    const r = analyzeTimeline(evs, ctx({vrid: null, hosts: [{name: 'alpha', mac: A.smac}]}))
    assert.equal(r.vrid, 1)
    assert.deepEqual(r.vrids, [1, 9])
    assert.equal(r.masters.find((x) => x.vrid === 1)?.source, 'alpha')
    assert.equal(r.masters.find((x) => x.vrid === 9)?.source, '10.0.0.2')
  })

  it('advert gaps: missing for more than 1.5 × the interval', () => {
    const evs = [advert(T0, A, 150), advert(T0 + S, A, 150), advert(T0 + 2.4 * S, A, 150), advert(T0 + 4 * S, A, 150)]
    const r = analyzeTimeline(evs, ctx())
    assert.deepEqual(
      r.advertGaps.map((g) => g.gapMs),
      [1600],
    )
    assert.equal(r.masters.length, 1)
  })

  it('dual-master needs two adverts from each source while both are alive; a preempting failback is not one', () => {
    // B takes over 3.6 s after A's last advert; A comes back at +10 s and B stops at once
    const failover = [...adverts(T0, T0 + 2 * S, A, 150), ...adverts(T0 + 5.6 * S, T0 + 9.9 * S, B, 100), ...adverts(T0 + 10 * S, T0 + 14 * S, A, 150)]
    assert.deepEqual(analyzeTimeline(failover, ctx()).splitBrain, [])
    // B goes on advertising after A is back: a split brain from B's first advert in A's presence
    const split = [...adverts(T0, T0 + 2 * S, A, 150), ...adverts(T0 + 5.6 * S, T0 + 12.6 * S, B, 100), ...adverts(T0 + 10 * S, T0 + 14 * S, A, 150)]
    const sb = analyzeTimeline(split, ctx()).splitBrain
    assert.equal(sb.length, 1)
    assert.equal(sb[0]?.kind, 'dual-master')
    // from B's first advert after A is back (10.6 s) to B's last (12.6 s), while A advertises too
    assert.equal(sb[0]?.startUs, T0 + 10.6 * S)
    assert.equal(sb[0]?.endUs, T0 + 12.6 * S)
    assert.equal(sb[0]?.durationMs, 2000)
  })

  it('a priority-0 advert ends a source being alive at once', () => {
    const evs = [...adverts(T0, T0 + 2 * S, A, 150), advert(T0 + 2.5 * S, A, 0), ...adverts(T0 + 3.1 * S, T0 + 6.1 * S, B, 100)]
    const r = analyzeTimeline(evs, ctx({faultAtUs: T0 + 2.4 * S}))
    assert.deepEqual(r.splitBrain, [])
    assert.equal(r.metrics?.takeoverFromLastAdvertMs, 600)
    assert.equal(r.masters[0]?.resigned, true)
  })

  it('dual-arp: interleaved answers within the window are a finding, a failover then failback are not', () => {
    const arp = (t: number, smac: string): TimelineEvent => ({type: 'arp', t, host: 'c', op: 'request', sip: '10.0.0.100', smac, tip: '10.0.0.100', tmac: 'ff:ff:ff:ff:ff:ff', garp: true})
    const failoverBack = [arp(T0, A.smac), arp(T0 + 3.7 * S, B.smac), arp(T0 + 8 * S, A.smac)]
    assert.deepEqual(analyzeTimeline(failoverBack, ctx()).splitBrain, [])
    const interleaved = [arp(T0, A.smac), arp(T0 + 0.2 * S, B.smac), arp(T0 + S, A.smac), arp(T0 + 1.2 * S, B.smac)]
    const sb = analyzeTimeline(interleaved, ctx({hosts: [{name: 'lbA', mac: A.smac}]})).splitBrain
    assert.equal(sb.length, 1)
    assert.deepEqual(sb[0]?.parties, ['lbA', B.smac])
    assert.equal(sb[0]?.durationMs, 1200)
  })

  it('dual-vip from polled VIP owners', () => {
    const own = (t: number, owners: string[]): TimelineEvent => ({type: 'vip.owner', t, host: 'hachaos', owners})
    const sb = analyzeTimeline([own(T0, ['lb1']), own(T0 + S, ['lb1', 'lb2']), own(T0 + 2 * S, ['lb2', 'lb1']), own(T0 + 3 * S, ['lb2'])], ctx()).splitBrain
    assert.equal(sb.length, 1)
    // Owners are emitted on change: the dual ownership lasts until the event that lists one owner again.
    assert.deepEqual([sb[0]?.kind, sb[0]?.durationMs], ['dual-vip', 2000])
    // Still dual when the observation ends: it lasts until the last event seen.
    const open = analyzeTimeline([own(T0, ['lb1', 'lb2']), {type: 'note', t: T0 + 5 * S, host: 'x', text: 'end'}], ctx()).splitBrain
    assert.deepEqual([open[0]?.kind, open[0]?.durationMs], ['dual-vip', 5000])
  })

  it('passes the unparsed count through', () => {
    const r = analyzeTimeline([], ctx({unparsed: {count: 3, sample: ['x']}}))
    assert.deepEqual(r.unparsed, {count: 3, sample: ['x']})
  })
})
