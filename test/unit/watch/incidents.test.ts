/**
 * The incident tracker on recorded event streams of real lab drills (test/fixtures/runs-lab: keepalived lab,
 * VRRPv2, advert_int 1, lb1 priority 150, lb2 100): the drill's own fault.inject/revert events removed, the
 * rest fed in the order a live watch receives them (a probe when it completes). Each real change of master
 * must come out as one incident whose takeover is the drill's own measurement of it.
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import type {DrillRun, Prediction, TimelineEvent} from '../../../src/store/run-types.js'
import {arrivalOrder} from '../../../src/tui/failover-monitor.js'
import {IncidentTracker, type Incident, type IncidentContext} from '../../../src/watch/incidents.js'
import type {MasterChange} from '../../../src/watch/types.js'
import {fixturePath} from '../../fixture.js'

const load = (f: string): DrillRun => JSON.parse(readFileSync(fixturePath('runs-lab', f), 'utf8')) as DrillRun

/** The lab's model: Master_Down_Interval of lb2 (priority 100) 3609.375 ms, Skew_Time 609.375 ms. */
const predict = (c: MasterChange): Prediction => {
  const ms = c.to === 'lb1' ? 1000 : c.graceful ? 609.375 : 3609.375
  return {metric: 'takeoverFromLastAdvertMs', takeoverMs: ms, minMs: c.to === 'lb1' ? 0 : ms, maxMs: ms, formula: 'test', inputs: {}}
}

function ctxOf(run: DrillRun): IncidentContext {
  return {
    stack: 'keepalived',
    vip: run.vip,
    vrid: null,
    hosts: run.hosts.filter((h) => h.ip !== undefined).map((h) => ({name: h.name, ...(h.ip === undefined ? {} : {ip: h.ip}), ...(h.mac === undefined ? {} : {mac: h.mac})})),
    captureHost: 'client',
    probe: run.probe,
    inventory: null,
    lab: null,
    clockOffsets: run.hosts.map((h) => ({name: h.name, clockOffsetUs: 0})),
    toleranceMs: 100,
    predict,
  }
}

/** Every event but the drill's own, in arrival order, then the clock run on by 10 s. */
function replay(run: DrillRun, opts: ConstructorParameters<typeof IncidentTracker>[1] = {}): {incidents: Incident[]; tracker: IncidentTracker} {
  const incidents: Incident[] = []
  const tracker = new IncidentTracker(ctxOf(run), opts, (i) => incidents.push(i))
  const events = run.events.filter((e) => e.type !== 'fault.inject' && e.type !== 'fault.revert')
  let last = 0
  for (const {atUs, e} of arrivalOrder(events)) {
    tracker.push(e)
    last = atUs
  }
  tracker.tick(last + 10_000_000)
  return {incidents, tracker}
}

describe('watch: incidents from recorded lab streams', () => {
  it('nic-down on lb1: the takeover and the failback, each one incident, measured as the drill measured them', () => {
    const run = load('20261204T171422Z-lb1-nic-down-bb80.json')
    const {incidents} = replay(run)
    assert.equal(incidents.length, 2, incidents.map((i) => i.run.fault.params['change']).join('; '))
    const [over, back] = incidents as [Incident, Incident]
    assert.equal(over.run.kind, 'incident')
    assert.equal(over.run.fault.kind, 'incident')
    assert.equal(over.run.metrics.oldOwner, 'lb1')
    assert.equal(over.run.metrics.newOwner, 'lb2')
    // the same figure as the drill (the same analysis, the same old master's last advert)
    assert.equal(over.measuredMs, run.metrics.takeoverFromLastAdvertMs)
    assert.ok(Math.abs((over.measuredMs ?? 0) - 3609.375) <= 50, `takeover ${over.measuredMs} vs MDI 3609.375 ± 50 ms`)
    assert.equal(over.run.metrics.outageMs, run.metrics.outageMs)
    assert.ok(over.run.metrics.lostProbes > 0 && over.outageMs === over.run.metrics.outageMs)
    assert.equal(over.run.verdict, 'pass', over.run.verdictReasons.join('; '))
    assert.deepEqual(over.run.splitBrain, [])
    assert.equal(back.run.metrics.oldOwner, 'lb2')
    assert.equal(back.run.metrics.newOwner, 'lb1')
    assert.equal(back.run.fault.params['change'], 'lb2 → lb1')
    assert.ok((back.measuredMs ?? Infinity) < 1000, `preemption: lb1's first advert within an advert interval of lb2's last (${back.measuredMs})`)
  })

  it('keepalived TERM on lb1: a graceful change (priority-0 advert), takeover = Skew_Time', () => {
    const run = load('20261204T163215Z-lb1-kill-1da0.json')
    const {incidents} = replay(run)
    assert.ok(incidents.length >= 1)
    const first = incidents[0] as Incident
    assert.equal(first.run.fault.params['graceful'], true)
    assert.equal(first.measuredMs, run.metrics.takeoverFromLastAdvertMs)
    assert.ok(Math.abs((first.measuredMs ?? 0) - 609.375) <= 50, `${first.measuredMs}`)
  })

  it('drop-vrrp on lb1: the split brain is one incident with its dual-VIP interval', () => {
    const run = load('20261204T171407Z-lb1-drop-vrrp-0249.json')
    const {incidents} = replay(run)
    const withSplit = incidents.filter((i) => i.run.splitBrain.length > 0)
    assert.equal(withSplit.length, 1, incidents.map((i) => `${String(i.run.fault.params['change'])} ${i.run.splitBrain.map((s) => s.kind).join(',')}`).join('; '))
    const s = withSplit[0] as Incident
    const dual = s.run.splitBrain.find((f) => f.kind === 'dual-vip')
    const drillDual = run.splitBrain.find((f) => f.kind === 'dual-vip')
    assert.ok(dual !== undefined && drillDual !== undefined)
    assert.equal(dual.durationMs, drillDual.durationMs)
    assert.equal(s.run.verdict, 'fail')
    assert.ok(s.splitBrainMs >= dual.durationMs)
  })

  it('no change, no incident: a steady stream (the nic-down run cut before its fault)', () => {
    const run = load('20261204T171422Z-lb1-nic-down-bb80.json')
    const fault = run.metrics.faultAtUs
    const {incidents} = replay({...run, events: run.events.filter((e) => e.t < fault - 200_000)})
    assert.deepEqual(incidents, [])
  })
})

describe('watch: the tracker\'s memory is bounded (counts)', () => {
  it('a day of steady adverts and probes keeps at most maxEvents in its ring; a flapping pair keeps MAX_CHANGES changes', () => {
    const run = load('20261204T171422Z-lb1-nic-down-bb80.json')
    const incidents: Incident[] = []
    const t = new IncidentTracker(ctxOf(run), {maxEvents: 1000, preMs: 15_000, maxWindowMs: 60_000}, (i) => incidents.push(i))
    const t0 = 1_800_000_000_000_000
    let max = 0
    // 200,000 s of adverts from lb1 (1/s) and probes (5/s): 1.2 M events
    for (let s = 0; s < 200_000; s++) {
      const base = t0 + s * 1_000_000
      t.push({type: 'vrrp.advert', t: base, host: 'client', src: '10.91.0.11', smac: '02:48:43:00:00:0b', vrid: 51, prio: 150, intvl: 1, ver: 2})
      for (let k = 0; k < 5; k++) t.push({type: 'probe', t: base + k * 200_000, host: 'client', ok: true, latencyMs: 1, backend: 'web1', error: null})
      const z = t.stateSize()
      max = Math.max(max, z.ring + z.incidentEvents)
    }
    assert.equal(incidents.length, 0)
    assert.ok(max <= 1000, `ring ${max}`)
    // then lb1 and lb2 both advertise for 100 s (a flapping split brain): one incident, cut at maxWindowMs
    const t1 = t0 + 200_000 * 1_000_000
    for (let s = 0; s < 100; s++) {
      for (const [src, mac, prio] of [['10.91.0.11', '02:48:43:00:00:0b', 150], ['10.91.0.12', '02:48:43:00:00:0c', 100]] as const) {
        t.push({type: 'vrrp.advert', t: t1 + s * 1_000_000 + (prio === 100 ? 500_000 : 0), host: 'client', src, smac: mac, vrid: 51, prio, intvl: 1, ver: 2})
      }
      const z = t.stateSize()
      max = Math.max(max, z.ring + z.incidentEvents)
      assert.ok(z.changes <= 20)
    }
    t.tick(t1 + 200_000_000)
    assert.ok(max <= 2000, `ring + incident ${max}`)
    assert.equal(incidents.length, 2, 'cut at 60 s, then a second one for the rest')
    const first = incidents[0] as Incident
    assert.ok(first.changes > 20 && first.run.warnings.some((w) => /changes of master/.test(w)))
    assert.ok(first.run.warnings.some((w) => /still open/.test(w)))
    assert.ok(first.run.splitBrain.some((f) => f.kind === 'dual-master'))
    assert.equal(t.stateSize().sources, 2)
  })
})

void (null as unknown as TimelineEvent)

describe('watch: the stream `hachaos watch` recorded in the lab (test/fixtures/watch)', () => {
  it('fed again, it gives the same two incidents with the same figures', () => {
    const files = ['20261206T003953Z-lb1-incident-7d78.json', '20261206T004007Z-lb2-incident-caac.json']
    const runs = files.map((f) => JSON.parse(readFileSync(fixturePath('watch', f), 'utf8')) as DrillRun)
    const seen = new Set<string>()
    const events: TimelineEvent[] = []
    for (const r of runs) {
      for (const e of r.events) {
        const k = JSON.stringify(e)
        if (!seen.has(k)) {
          seen.add(k)
          events.push(e)
        }
      }
    }
    const [first, second] = runs as [DrillRun, DrillRun]
    const {incidents} = replay({...first, events})
    assert.equal(incidents.length, 2)
    const [over, back] = incidents as [Incident, Incident]
    assert.equal(over.run.fault.params['change'], 'lb1 → lb2')
    assert.equal(over.measuredMs, first.metrics.takeoverFromLastAdvertMs)
    assert.ok(Math.abs((over.measuredMs ?? 0) - 3609.375) <= 50)
    assert.equal(over.run.metrics.lostProbes, first.metrics.lostProbes)
    assert.equal(back.run.fault.params['change'], 'lb2 → lb1')
    assert.equal(back.measuredMs, second.metrics.takeoverFromLastAdvertMs)
  })
})
