/**
 * The drill's live state (issue 11: the hold and failback loops read state, never the event list): the
 * incremental answers equal the batch ones they replace, and the state stays bounded and linear in cost —
 * checked with counts (entries held, elementary steps), not with time.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {ProbeRun} from '../../../src/drill/live-state.js'
import {KeepalivedLive} from '../../../src/stacks/keepalived/live.js'
import {PacemakerLive} from '../../../src/stacks/pacemaker/live.js'
import {clusterSettled, vipMoved} from '../../../src/stacks/pacemaker/metrics.js'
import type {TimelineEvent} from '../../../src/store/run-types.js'

type Probe = Extract<TimelineEvent, {type: 'probe'}>
const probe = (t: number, ok: boolean, backend: string | null = null): Probe => ({type: 'probe', t, host: 'client', ok, latencyMs: 1, backend, error: ok ? null : 'timeout'})
const advert = (t: number, src: string, prio = 100): TimelineEvent => ({type: 'vrrp.advert', t, host: 'client', src, smac: '02:00:00:00:00:01', vrid: 51, prio, intvl: 1, ver: 2})

/** The batch answer the engine's view() gave: newest run of good probes among those with t ≥ since, sorted by t. */
function batchOkRunUs(probes: Probe[], since: number): number {
  const ps = probes.filter((p) => p.t >= since).sort((a, b) => a.t - b.t)
  const last = ps[ps.length - 1]
  if (last === undefined) return 0
  let first: number | null = null
  for (let i = ps.length - 1; i >= 0; i--) {
    const p = ps[i] as Probe
    if (!p.ok) break
    first = p.t
  }
  return first === null ? 0 : last.t - first
}

/** A deterministic generator (LCG), so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

/**
 * Probes at `ratePerS` from t0, each reporting when it is done: good ones after a few ms, failed ones after
 * the timeout (so they arrive out of order, later than the good probes started after them).
 */
function probeStream(n: number, o: {ratePerS: number; timeoutUs: number; failP: number; seed: number; t0?: number}): Probe[] {
  const r = rng(o.seed)
  const step = 1e6 / o.ratePerS
  const out: Array<{p: Probe; at: number}> = []
  // outage windows: failures cluster like a real failover
  for (let i = 0; i < n; i++) {
    const t = (o.t0 ?? 1_000_000_000) + Math.round(i * step)
    const ok = r() >= o.failP
    out.push({p: probe(t, ok), at: t + (ok ? Math.round(r() * 5000) : o.timeoutUs)})
  }
  return out.sort((a, b) => a.at - b.at).map((x) => x.p)
}

describe('drill live state', () => {
  it('probe run: the incremental answer equals the batch one after every probe, out of order and across marks', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const stream = probeStream(2000, {ratePerS: 200, timeoutUs: 1_000_000, failP: 0.02 * seed, seed})
      const live = new ProbeRun(1_000_000 + 2_000_000)
      const seen: Probe[] = []
      const t0 = stream[0]?.t ?? 0
      const marks = [t0, t0 + 3_000_000, t0 + 6_000_000]
      let since = Number.NEGATIVE_INFINITY
      for (const [i, p] of stream.entries()) {
        // the engine marks at "now": the newest probe start seen
        const due = marks.find((m) => m > since && m <= p.t)
        if (due !== undefined) {
          since = due
          live.mark(due)
        }
        live.observe(p)
        seen.push(p)
        if (i % 7 === 0 || i === stream.length - 1) assert.equal(live.okRunUs(), batchOkRunUs(seen, since), `seed ${seed}, probe ${i}`)
      }
    }
  })

  it('10^6 probes: the probe state holds at most rate × horizon entries, and the work is linear (counted steps)', () => {
    const feed = (n: number): {ops: number; maxSize: number} => {
      const live = new ProbeRun(3_000_000)
      live.mark(0)
      let maxSize = 0
      const stream = probeStream(n, {ratePerS: 200, timeoutUs: 1_000_000, failP: 0.01, seed: 7})
      for (const p of stream) {
        live.observe(p)
        if (live.size() > maxSize) maxSize = live.size()
      }
      return {ops: live.ops, maxSize}
    }
    const small = feed(100_000)
    const big = feed(1_000_000)
    // bound: the first of the run + the probes within the 3 s horizon, both ends included: 2 + 200/s × 3 s
    assert.ok(big.maxSize <= 602, `max entries ${big.maxSize}`)
    assert.ok(small.maxSize <= 602, `max entries ${small.maxSize}`)
    // linear: ten times the probes, at most ~ten times the steps (and a few steps per probe)
    assert.ok(big.ops / small.ops < 10.5, `steps ${small.ops} → ${big.ops}`)
    assert.ok(big.ops / 1_000_000 < 8, `steps per probe ${big.ops / 1_000_000}`)
  })

  it('keepalived hooks: 10^6 adverts, probes and server states hold a state bounded by the sources', () => {
    const hooks = new KeepalivedLive({effect: 'node-loss', vrid: 51, hosts: [{name: 'lb1', ip: '10.0.0.2'}, {name: 'lb2', ip: '10.0.0.3'}], oldMaster: 'lb1', capturing: true, preempt: true, lbServer: 'web1', target: 'web1', failbackMdiMs: 3609})
    const live = new ProbeRun(3_000_000)
    let maxSize = 0
    const faultAt = 1_000_000_000 + 250_000 * 1_000_000
    for (let i = 0; i < 1_000_000; i++) {
      const t = 1_000_000_000 + i * 500_000
      const e: TimelineEvent =
        i % 4 === 0 ? advert(t, t < faultAt ? '10.0.0.2' : '10.0.0.3') : i % 4 === 1 ? probe(t, i % 1000 !== 1, i % 8 === 1 ? 'web1' : 'web2') : i % 4 === 2 ? {type: 'lb.server', t, host: 'lb1', backend: 'be', server: i % 3 === 0 ? 'web1' : 'web2', status: i % 5 === 0 ? 'DOWN' : 'UP'} : advert(t, '10.0.0.9', 0)
      hooks.observe(e)
      if (e.type === 'probe') live.observe(e)
      if (i % 1000 === 0) maxSize = Math.max(maxSize, hooks.size() + live.size())
    }
    // two named sources (lb1, lb2) + the watched server and backend state; the probe run within its horizon
    assert.ok(hooks.size() <= 2 + 5, `hooks hold ${hooks.size()}`)
    assert.ok(maxSize <= 7 + 602, `live state held ${maxSize}`)
    assert.equal(hooks.steady(1_000_000_000), true)
    assert.equal(hooks.reacted(faultAt), true)
    assert.equal(hooks.settled(faultAt), false, 'lb1 never advertised after the fault')
  })

  it('keepalived hooks answer what the batch view answered (adverts by name since a mark, the other master)', () => {
    const hooks = new KeepalivedLive({effect: 'node-loss', vrid: 51, hosts: [{name: 'lb1', ip: '10.0.0.2'}, {name: 'lb2', ip: '10.0.0.3'}], oldMaster: 'lb1', capturing: true, preempt: true, lbServer: null, target: 'lb1', failbackMdiMs: 3609})
    hooks.observe(advert(100, '10.0.0.2'))
    assert.equal(hooks.steady(50), true)
    assert.equal(hooks.steady(150), false)
    assert.equal(hooks.reacted(150), false)
    hooks.observe(advert(300, '10.0.0.3'))
    hooks.observe({...advert(400, '10.0.0.3'), vrid: 52} as TimelineEvent)
    assert.equal(hooks.reacted(150), true)
    assert.equal(hooks.reacted(350), false, 'the advert of another VRRP instance does not count')
    hooks.observe(advert(500, '10.0.0.2', 0))
    assert.equal(hooks.settled(450), false, 'a priority-0 advert is no master')
    hooks.observe(advert(600, '10.0.0.2'))
    assert.equal(hooks.settled(450), true)
  })

  it('pacemaker hooks: settled and reacted equal clusterSettled and vipMoved over the same events', () => {
    const r = rng(11)
    const nodes = ['n1', 'n2', 'n3']
    const members = ['vip', 'web']
    const hooks = new PacemakerLive({effect: 'node-loss', predicted: true, oldOwner: 'n1', nodes, members, settleWaitMs: 60_000, figures: {vip: '10.0.0.100', macs: {}, firstMember: 'vip', targetNode: 'n1'}})
    const events: TimelineEvent[] = []
    for (let i = 0; i < 3000; i++) {
      const t = 1_000_000 + Math.round(r() * 1_000_000)
      const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)] as T
      const e: TimelineEvent =
        r() < 0.4
          ? {type: 'vip.owner', t, host: 'hachaos', owners: r() < 0.2 ? [] : r() < 0.8 ? [pick(nodes)] : ['n1', 'n2']}
          : r() < 0.5
            ? {type: 'cluster', t, host: 'n2', resource: `@node:${pick(nodes)}`, node: null, role: r() < 0.8 ? 'online' : 'offline'}
            : {type: 'cluster', t, host: 'n2', resource: pick([...members, '@dc', 'other']), node: pick(nodes), role: r() < 0.8 ? 'Started' : 'Stopped'}
      events.push(e)
      hooks.observe(e)
      if (i % 13 === 0) {
        assert.equal(hooks.settled(), clusterSettled(events, {nodes, members}), `event ${i}`)
        const at = 1_000_000 + Math.round(r() * 1_000_000)
        assert.equal(hooks.reacted(at), vipMoved(events, at, 'n1'), `event ${i}, fault at ${at}`)
      }
    }
    assert.ok(hooks.size() <= nodes.length + members.length + 2)
  })
})
