/**
 * The incremental TimelineMachine against the batch analysis it replaced (./oracle.ts, a frozen copy):
 * identical analyses on every real capture and drill run in test/fixtures, on random event lists, fed in one
 * piece or in any arrival order within the reorder window; and its state bounded by counts over 10^6 events.
 */
import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {Writable} from 'node:stream'
import {describe, it} from 'node:test'

import fc from 'fast-check'

import {readCaptureFile} from '../../../src/capture/file.js'
import type {TimelineEvent} from '../../../src/store/run-types.js'
import {type AnalyzeContext, TimelineMachine, analyzeTimeline} from '../../../src/timeline/analyze.js'
import {advertGapJson, GarpText, garpJson, masterJson, spliceAdvertGaps, spliceMasters} from '../../../src/timeline/json-lines.js'
import {type Splice, StreamOut, spliceInto, spliceOf} from '../../../src/util/json-out.js'
import {ROOT} from '../../helpers/cli.js'
import {analyzeTimeline as oracle} from './oracle.js'

const FIX = join(ROOT, 'test', 'fixtures')
const CAP = join(FIX, 'capture')

function moments(): Record<string, {fault?: number; revert?: number}> {
  const out: Record<string, {fault?: number; revert?: number}> = {}
  for (const line of readFileSync(join(CAP, 'moments.txt'), 'utf8').trim().split('\n')) {
    const [name, kind, at] = line.split(' ') as [string, 'fault' | 'revert', string]
    const [s, f] = at.split('.') as [string, string]
    ;(out[name] ??= {})[kind] = Number(s) * 1_000_000 + Number(f.padEnd(6, '0'))
  }
  return out
}

const HOSTS: AnalyzeContext['hosts'] = [
  {name: 'lb1', ip: '10.66.0.11', mac: '02:48:43:00:00:0b'},
  {name: 'lb2', ip: '10.66.0.12'},
]

/** The machine fed in arrival order through its reorder buffer (window W µs). */
function streamed(events: TimelineEvent[], ctx: AnalyzeContext, windowUs: number, chunks: number[] = []): ReturnType<typeof analyzeTimeline> {
  const m = new TimelineMachine(ctx, {reorderWindowUs: windowUs})
  // chunk boundaries change nothing but are exercised: the caller may feed slices as they are read
  let at = 0
  for (const c of [...chunks, events.length]) {
    for (const e of events.slice(at, Math.max(at, c))) m.push(e)
    at = Math.max(at, c)
  }
  return m.finish()
}

/** The machine with keep 'all' and its lists spilled to sorted runs of `runSize` (tiny: many runs), read back. */
function spilled(events: TimelineEvent[], ctx: AnalyzeContext, windowUs: number, runSize: number): ReturnType<typeof analyzeTimeline> {
  const m = new TimelineMachine(ctx, {reorderWindowUs: windowUs, spill: {runSize}})
  try {
    for (const e of events) m.push(e)
    const a = m.finish()
    const l = m.spooled()
    assert.ok(l !== null)
    assert.deepEqual([a.masters, a.garps, a.priorityChanges, a.advertGaps], [[], [], [], []])
    return {...a, masters: [...l.masters], garps: [...l.garps], priorityChanges: [...l.priorityChanges], advertGaps: [...l.advertGaps]}
  } finally {
    m.removeSpool()
  }
}

/**
 * As `capture analyze --json` spills: master spans and advert gaps as their JSON text, GARPs as (text pair,
 * time) (PartsSpool). Read back as entries, and as text (a second run: each list is read once): the text is
 * the entries' JSON when no source got its name late (else null, and the entries are renamed).
 */
function spilledText(events: TimelineEvent[], ctx: AnalyzeContext, windowUs: number, runSize: number): ReturnType<typeof analyzeTimeline> {
  const run = <T>(read: (l: NonNullable<ReturnType<TimelineMachine['spooled']>>, a: ReturnType<typeof analyzeTimeline>) => T): T => {
    const texts = new GarpText()
    const m = new TimelineMachine(ctx, {
      reorderWindowUs: windowUs,
      spill: {runSize, entryJson: {master: masterJson, advertGap: advertGapJson}, garpJson: {json: garpJson, sep: ',\n', parts: (from, source, forVip) => texts.get(from, source, forVip)}},
    })
    try {
      for (const e of events) m.push(e)
      const a = m.finish()
      const l = m.spooled()
      assert.ok(l !== null)
      return read(l, a)
    } finally {
      m.removeSpool()
    }
  }
  const got = run((l, a) => ({...a, masters: [...l.masters], garps: [...l.garps], priorityChanges: [...l.priorityChanges], advertGaps: [...l.advertGaps]}))
  run((l) => {
    if (l.mastersJson !== null) assert.deepEqual([...l.mastersJson], got.masters.map(masterJson))
    if (l.advertGapsJson !== null) assert.deepEqual([...l.advertGapsJson], got.advertGaps.map(advertGapJson))
    if (l.garpsJson !== null) assert.equal(Buffer.concat([...l.garpsJson].map((b) => Buffer.from(b))).toString('utf8'), got.garps.map(garpJson).join(',\n'))
  })
  return got
}

describe('TimelineMachine equals the batch analysis on real captures and runs', () => {
  const M = moments()
  const files = readdirSync(CAP).filter((f) => /\.(pcap|txt)$/.test(f) && !f.startsWith('stderr-') && f !== 'moments.txt')
  it(`every capture in test/fixtures/capture (${files.length} files), with and without VIP, names and fault`, async () => {
    let compared = 0
    for (const f of files) {
      let cap
      try {
        cap = await readCaptureFile(join(CAP, f), 'client')
      } catch {
        continue // garbage files are refused by the reader, not analysed
      }
      const name = f.replace(/\.(pcap|txt)$/, '')
      const fault = M[name]?.fault ?? null
      const revert = M[name]?.revert ?? null
      for (const vip of ['10.66.0.100', '10.66.10.100', null]) {
        for (const hosts of [HOSTS, []]) {
          for (const [faultAtUs, revertAtUs] of [[fault, revert], [fault, null], [null, null]] as Array<[number | null, number | null]>) {
            const ctx: AnalyzeContext = {vip, vrid: null, faultAtUs, revertAtUs, hosts}
            const want = oracle(cap.events, ctx)
            assert.deepEqual(analyzeTimeline(cap.events, ctx), want, `${f} ${JSON.stringify(ctx)}`)
            // as `capture analyze` feeds it: capture order, through a 2 s reorder window
            assert.deepEqual(streamed(cap.events, ctx, 2_000_000), want, `${f} streamed`)
            // as `capture analyze --json` keeps it: spilled to sorted runs (of 7 entries) and merged
            assert.deepEqual(spilled(cap.events, ctx, 2_000_000, 7), want, `${f} spilled`)
            assert.deepEqual(spilledText(cap.events, ctx, 2_000_000, 7), want, `${f} spilled as text`)
            compared += 1
          }
        }
      }
    }
    assert.ok(compared >= 25 * 18, `${compared} comparisons`)
  })

  it('every drill run with events in test/fixtures (probes, VIP owners, cluster events)', () => {
    const runs: string[] = []
    for (const dir of ['runs', 'cluster']) for (const f of readdirSync(join(FIX, dir))) if (f.endsWith('.json')) runs.push(join(FIX, dir, f))
    let compared = 0
    for (const path of runs) {
      const run = JSON.parse(readFileSync(path, 'utf8')) as {events?: TimelineEvent[]; vip?: string | null; hosts?: AnalyzeContext['hosts']; metrics?: {faultAtUs: number; revertAtUs: number | null}}
      if (!Array.isArray(run.events) || run.events.length === 0) continue
      for (const probeIntervalMs of [undefined, 50]) {
        const ctx: AnalyzeContext = {
          vip: run.vip ?? null,
          vrid: null,
          faultAtUs: run.metrics?.faultAtUs ?? null,
          revertAtUs: run.metrics?.revertAtUs ?? null,
          hosts: run.hosts ?? [],
          ...(probeIntervalMs === undefined ? {} : {probeIntervalMs}),
        }
        const want = oracle(run.events, ctx)
        assert.deepEqual(analyzeTimeline(run.events, ctx), want, path)
        // a live drill records probes when they complete: a window of the probe timeout puts them in order
        assert.deepEqual(streamed(run.events, ctx, 10_000_000), want, `${path} streamed`)
        compared += 1
      }
    }
    assert.ok(compared >= 10, `${compared} runs compared`)
  })
})

// ---- random timelines ------------------------------------------------------------------------------

const SRC = [
  {src: '10.0.0.1', smac: 'aa:00:00:00:00:01'},
  {src: '10.0.0.2', smac: 'aa:00:00:00:00:02'},
  {src: '10.0.0.3', smac: 'aa:00:00:00:00:03'},
]
const VIP = '10.0.0.100'

interface Op {
  /** ms since the previous event (distinct times: ties are ordered by arrival, which interleaving changes) */
  dtMs: number
  kind: number
  who: number
  prio: number
  vrid: number
  intvl: number
  ok: boolean
  latencyMs: number
  flag: boolean
}

const opArb = fc.record({
  dtMs: fc.oneof(fc.integer({min: 1, max: 400}), fc.integer({min: 1, max: 5000})),
  kind: fc.integer({min: 0, max: 9}),
  who: fc.integer({min: 0, max: 2}),
  prio: fc.constantFrom(0, 100, 150, 150, 100, 200),
  vrid: fc.constantFrom(1, 1, 1, 2),
  intvl: fc.constantFrom(1, 1, 1, 0, 2),
  ok: fc.boolean(),
  latencyMs: fc.oneof(fc.integer({min: 0, max: 5}), fc.integer({min: 0, max: 1500})),
  flag: fc.boolean(),
})

const T0 = 1_800_000_000_000_000

function build(ops: Op[]): TimelineEvent[] {
  const out: TimelineEvent[] = []
  let t = T0
  for (const o of ops) {
    t += o.dtMs * 1000
    const who = SRC[o.who] as (typeof SRC)[number]
    if (o.kind <= 3) out.push({type: 'vrrp.advert', t, host: 'c', src: who.src, smac: who.smac, vrid: o.vrid, prio: o.prio, intvl: o.intvl, ver: 2})
    else if (o.kind <= 5) {
      const sip = o.flag ? VIP : o.kind === 4 ? who.src : '10.0.0.9'
      out.push({type: 'arp', t, host: 'c', op: o.ok ? 'reply' : 'request', sip, smac: who.smac, tip: sip, garp: o.kind === 4 || o.flag})
    } else if (o.kind <= 8) out.push({type: 'probe', t, host: 'c', ok: o.ok, latencyMs: o.latencyMs, backend: null, error: null})
    else out.push({type: 'vip.owner', t, host: 'h', owners: o.flag ? ['lb1', 'lb2'] : o.ok ? ['lb2'] : []})
  }
  return out
}

const ctxArb = (n: number) =>
  fc.record({
    vip: fc.constantFrom(VIP, null),
    vrid: fc.constantFrom(null, null, 1, 2, 7),
    fault: fc.option(fc.integer({min: 0, max: Math.max(0, n - 1)}), {nil: null}),
    revertAfter: fc.option(fc.integer({min: 0, max: 60_000}), {nil: null}),
    named: fc.integer({min: 0, max: 3}),
    probeIntervalMs: fc.constantFrom(undefined, 100, 5000),
  })

function toCtx(c: {vip: string | null; vrid: number | null; fault: number | null; revertAfter: number | null; named: number; probeIntervalMs: number | undefined}, evs: TimelineEvent[]): AnalyzeContext {
  const faultAtUs = c.fault === null ? null : ((evs[c.fault]?.t ?? T0) + 500)
  const hosts: AnalyzeContext['hosts'] = [
    {name: 'one', ip: SRC[0]?.src as string},
    {name: 'two', mac: SRC[1]?.smac as string},
    {name: 'three', ip: SRC[2]?.src as string, mac: SRC[2]?.smac as string},
  ].slice(0, c.named)
  return {
    vip: c.vip,
    vrid: c.vrid,
    faultAtUs,
    revertAtUs: faultAtUs === null || c.revertAfter === null ? null : faultAtUs + c.revertAfter * 1000,
    hosts,
    dualArpWindowMs: 2000,
    ...(c.probeIntervalMs === undefined ? {} : {probeIntervalMs: c.probeIntervalMs}),
  }
}

describe('TimelineMachine, random timelines (fast-check)', () => {
  it('equals the batch analysis, fed in one piece, in slices, or in any arrival order within the window', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, {minLength: 0, maxLength: 160}).chain((ops) =>
          fc.tuple(
            fc.constant(ops),
            ctxArb(ops.length),
            fc.array(fc.integer({min: 0, max: 3_000_000}), {minLength: ops.length, maxLength: ops.length}),
            fc.array(fc.integer({min: 0, max: Math.max(0, ops.length)}), {maxLength: 5}),
          ),
        ),
        ([ops, c, delays, cuts]) => {
          const evs = build(ops)
          const ctx = toCtx(c, evs)
          const want = oracle(evs, ctx)
          assert.deepEqual(analyzeTimeline(evs, ctx), want)
          // one piece, time-ordered, no window
          assert.deepEqual(streamed(evs, ctx, 0, [...cuts].sort((a, b) => a - b)), want)
          // arrival order: each event up to W late (several hosts' streams interleaved, probes recorded
          // when they complete); a W reorder window puts them back in order
          const W = 3_000_000
          const arrival = evs.map((e, i) => ({e, k: e.t + (delays[i] ?? 0), i})).sort((a, b) => a.k - b.k || a.i - b.i).map((x) => x.e)
          assert.deepEqual(streamed(arrival, ctx, W, [...cuts].sort((a, b) => a - b)), want)
          // the lists spilled to disk in sorted runs of 1 to 4 entries and merged back: the same lists
          assert.deepEqual(spilled(arrival, ctx, W, 1 + (cuts.length % 4)), want)
          assert.deepEqual(spilledText(arrival, ctx, W, 1 + (cuts.length % 4)), want)
        },
      ),
      {numRuns: 400},
    )
  })
})

// ---- bounded state ---------------------------------------------------------------------------------

describe('TimelineMachine state is bounded by sources × open intervals, not by events', () => {
  it('10^6 synthetic events (adverts of 2 masters failing over, GARPs, ARP, probes): state and kept lists stay flat', () => {
    const sources = 2
    const m = new TimelineMachine({vip: VIP, vrid: null, faultAtUs: T0 + 60_000_000, revertAtUs: T0 + 120_000_000, hosts: []}, {reorderWindowUs: 2_000_000, keep: 10})
    const samples: number[] = []
    let t = T0
    const N = 1_000_000
    for (let i = 0; i < N; i++) {
      t += 10_000 // 100 events/s
      const cycle = Math.floor(i / 3000) // a failover every 30 s
      const who = SRC[cycle % sources] as (typeof SRC)[number]
      const k = i % 10
      let e: TimelineEvent
      if (k === 0) e = {type: 'vrrp.advert', t, host: 'c', src: who.src, smac: who.smac, vrid: 1, prio: 150, intvl: 1, ver: 2}
      else if (k === 1 && i % 3000 < 50) e = {type: 'arp', t, host: 'c', op: 'request', sip: VIP, smac: who.smac, tip: VIP, garp: true}
      else if (k === 2) e = {type: 'arp', t, host: 'c', op: 'reply', sip: '10.0.0.9', smac: 'aa:00:00:00:00:09', tip: '10.0.0.50', garp: false}
      else e = {type: 'probe', t, host: 'c', ok: i % 3000 > 300, latencyMs: (i % 7) + 0.5, backend: null, error: null}
      m.push(e)
      if (i % 100_000 === 99_999) samples.push(m.stateSize())
    }
    const a = m.finish()
    assert.equal(a.counts.adverts + a.counts.arps + a.counts.probes, N)
    // per source: its state, open span and alive interval; one pair; two ARP addresses (and one open run);
    // GARP senders after the fault; probes in flight; the 2 s reorder window at 100 events/s (200 events)
    const bound = 3 * sources + 1 + 2 + 4 + sources + 2 + 200 + 10
    assert.ok(Math.max(...samples) <= bound, `state ${samples.join(', ')} > ${bound}`)
    assert.ok((samples[samples.length - 1] as number) <= (samples[0] as number) + 5, `state grows: ${samples.join(', ')}`)
    // the lists: first and last 10 of each, with the totals
    assert.ok(m.keptSize() <= 5 * 2 * 10, String(m.keptSize()))
    assert.equal(a.listed?.totals.masters, Math.ceil(N / 3000))
    assert.equal(a.masters.length, 20)
    assert.ok((a.listed?.totals.garps ?? 0) > 1000)
    assert.equal(a.garps.length, 20)
  })
})

describe('TimelineMachine with its lists spilled (capture analyze --json)', () => {
  it('10^6 synthetic events with every list entry kept: at most runSize entries of each list in memory, all of them read back in order', () => {
    const runSize = 1000
    const m = new TimelineMachine({vip: VIP, vrid: null, faultAtUs: null, revertAtUs: null, hosts: []}, {reorderWindowUs: 2_000_000, spill: {runSize}})
    try {
      let t = T0
      const N = 1_000_000
      let maxKept = 0
      for (let i = 0; i < N; i++) {
        t += 10_000
        const who = SRC[Math.floor(i / 300) % 2] as (typeof SRC)[number] // a failover every 3 s: many spans and gaps
        const e: TimelineEvent =
          i % 2 === 0
            ? {type: 'vrrp.advert', t, host: 'c', src: who.src, smac: who.smac, vrid: 1, prio: 150, intvl: 1, ver: 2}
            : {type: 'arp', t, host: 'c', op: 'request', sip: VIP, smac: who.smac, tip: VIP, garp: true}
        m.push(e)
        if (i % 10_000 === 0) maxKept = Math.max(maxKept, m.keptSize())
      }
      const a = m.finish()
      // 4 spooled lists (findings: none here) of at most runSize entries each in memory
      assert.ok(maxKept <= 4 * runSize, String(maxKept))
      const l = m.spooled()
      assert.ok(l !== null)
      let n = 0
      let prev = -Infinity
      for (const g of l.garps) {
        assert.ok(g.t > prev)
        prev = g.t
        n += 1
      }
      assert.equal(n, N / 2)
      assert.equal(n, a.counts.garps)
      const masters = [...l.masters]
      assert.equal(masters.length, Math.ceil(N / 300))
      for (let i = 1; i < masters.length; i++) assert.ok((masters[i] as {startUs: number}).startUs > (masters[i - 1] as {startUs: number}).startUs)
      // each source comes back every 6 s: one gap per span but its first
      assert.equal([...l.advertGaps].length, masters.length - 2)
    } finally {
      m.removeSpool()
    }
  })
})

/** What a Splice writes (the array at indent '    ', as `capture analyze --json` lays its lists out). */
async function spliced(splice: Splice): Promise<string> {
  const chunks: Buffer[] = []
  const out = new StreamOut(
    new Writable({
      write(c: Buffer, _e, cb) {
        chunks.push(Buffer.from(c))
        cb()
      },
    }),
  )
  await splice(out, '    ')
  await out.flush()
  return Buffer.concat(chunks).toString('utf8')
}

describe('capture analyze --json: lists written straight into the output', () => {
  it('master spans, advert gaps (raw records) and GARPs (bytesInto) are the bytes spliceOf writes for the named entries, on every capture', async () => {
    const files = readdirSync(CAP).filter((f) => /\.(pcap|txt)$/.test(f) && !f.startsWith('stderr-') && f !== 'moments.txt')
    let compared = 0
    for (const f of files) {
      let cap
      try {
        cap = await readCaptureFile(join(CAP, f), 'client')
      } catch {
        continue
      }
      for (const vip of ['10.66.0.100', null]) {
        for (const hosts of [HOSTS, [{name: 'Ω-nœud "b"', ip: '10.66.0.12'}], []]) {
          const ctx: AnalyzeContext = {vip, vrid: null, faultAtUs: null, revertAtUs: null, hosts}
          const machine = (): TimelineMachine => {
            const texts = new GarpText()
            const m = new TimelineMachine(ctx, {
              reorderWindowUs: 2_000_000,
              spill: {runSize: 7, entryJson: {master: masterJson, advertGap: advertGapJson}, garpJson: {json: garpJson, sep: ',\n      ', parts: (from, source, forVip) => texts.get(from, source, forVip)}},
            })
            for (const e of cap.events) m.push(e)
            m.finish()
            return m
          }
          // each list is read once: the entries from one machine, the bytes from another
          const m1 = machine()
          const m2 = machine()
          try {
            const l1 = m1.spooled()
            const l2 = m2.spooled()
            assert.ok(l1 !== null && l2 !== null && l2.mastersRaw !== null && l2.advertGapsRaw !== null)
            assert.equal(await spliced(spliceMasters(l2.mastersRaw)), await spliced(spliceOf(l1.masters, masterJson)), `${f} masters`)
            assert.equal(await spliced(spliceAdvertGaps(l2.advertGapsRaw)), await spliced(spliceOf(l1.advertGaps, advertGapJson)), `${f} gaps`)
            const garps = [...l1.garps]
            if (l2.garpsInto !== null) assert.equal(await spliced(spliceInto(l2.garpsInto, garps.length, '      ')), await spliced(spliceOf(garps, garpJson)), `${f} GARPs`)
            compared += 1
          } finally {
            m1.removeSpool()
            m2.removeSpool()
          }
        }
      }
    }
    assert.ok(compared >= 25 * 6, `${compared} comparisons`)
  })
})

describe('TimelineMachine in a live drill', () => {
  it('takes the fault and revert from fault.inject/fault.revert events, as the drill emits them, and gives the same figures', () => {
    fc.assert(
      fc.property(fc.array(opArb, {minLength: 10, maxLength: 120}), fc.integer({min: 1, max: 8}), fc.integer({min: 0, max: 20_000}), (ops, at, holdMs) => {
        const evs = build(ops)
        const F = (evs[Math.min(at, evs.length - 1)]?.t ?? T0) + 1
        const R = F + holdMs * 1000 + 1
        const ctx: AnalyzeContext = {vip: VIP, vrid: null, faultAtUs: F, revertAtUs: R, hosts: []}
        const live: TimelineEvent[] = [
          ...evs,
          {type: 'fault.inject', t: F, host: 'h', phase: 'before', fault: 'nic-down'},
          {type: 'fault.revert', t: R, host: 'h', phase: 'before', fault: 'nic-down', ok: true},
        ]
        // the drill's final analysis: the batch over all its events (the fault events too), moments known
        const want = oracle(live, ctx)
        // the drill appends the fault events when they happen, probes when they complete: arrival order is
        // not time order; a window of the probe timeout (here 3 s) puts them back
        const arrival = live.map((e, i) => ({e, k: e.t + (e.type === 'probe' ? 1_500_000 : 0), i})).sort((a, b) => a.k - b.k || a.i - b.i).map((x) => x.e)
        const m = new TimelineMachine({...ctx, faultAtUs: null, revertAtUs: null}, {reorderWindowUs: 3_000_000, faultFromEvents: true})
        for (const e of arrival) m.push(e)
        assert.deepEqual(m.finish(), want)
      }),
      {numRuns: 200},
    )
  })
})
