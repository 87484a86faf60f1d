/**
 * The drill's live state over a long hold (issue 11, item 4): 2 hours of simulated time at 200 probes/s plus
 * the VRRP adverts of two load balancers, fed event by event into what a drill runs — the event log (kept for
 * the final analysis), the probe run state (src/drill/live-state.ts) and the keepalived stack's hooks
 * (src/stacks/keepalived/live.ts) — with the hold loop's checks every 50 ms of simulated time. CPU time
 * (process.cpuUsage) per simulated minute over the first and the last 10 minutes (after 3 minutes of JIT
 * warm-up, not counted): the goal is a flat cost, the last 10 minutes within 10 % of the first. For scale, the
 * cost of one re-filter of the whole log at the end, which every 50 ms check paid before. No root, no lab.
 */
import {EventLog} from '../../src/drill/engine.js'
import {ProbeRun} from '../../src/drill/live-state.js'
import {KeepalivedLive} from '../../src/stacks/keepalived/live.js'
import type {TimelineEvent} from '../../src/store/run-types.js'

export interface DrillLiveFigures {
  minutes: number
  events: number
  ticks: number
  /** CPU ms per simulated minute, mean over the first and the last 10 minutes. */
  firstMs: number
  lastMs: number
  ratio: number
  /** Largest live state seen (entries). */
  maxLiveEntries: number
  /** CPU ms of one re-filter of the whole event list at the end (what every 50 ms check cost before issue 11). */
  batchCheckMsAtEnd: number
}

export function benchDrillLive(o: {minutes?: number; ratePerS?: number; warmupMinutes?: number} = {}): DrillLiveFigures {
  // the first simulated minutes warm the JIT up and are not counted
  const warmup = o.warmupMinutes ?? 3
  const minutes = (o.minutes ?? 120) + warmup
  const rate = o.ratePerS ?? 200
  const t0 = 1_800_000_000_000_000
  const faultAt = t0 + 60_000_000 // the fault a minute in; the hold runs on for the rest
  const hosts = [
    {name: 'lb1', ip: '10.66.0.11'},
    {name: 'lb2', ip: '10.66.0.12'},
  ]
  const log = new EventLog()
  const probes = new ProbeRun(1_000_000 + 2_000_000)
  const hooks = new KeepalivedLive({effect: 'node-loss', vrid: 51, hosts, oldMaster: 'lb1', capturing: true, preempt: true, lbServer: null, target: 'lb1', failbackMdiMs: 3609})
  log.tap((e) => {
    if (e.type === 'probe') probes.observe(e)
    hooks.observe(e)
  })
  probes.mark(faultAt)
  const probeStepUs = 1e6 / rate
  let nextProbe = t0
  let probeNo = 0
  let nextAdvert = t0
  let ticks = 0
  let maxLive = 0
  let sink = 0
  const perMinute: number[] = []
  for (let m = 0; m < minutes; m++) {
    const cpu0 = process.cpuUsage()
    const end = t0 + (m + 1) * 60_000_000
    // simulated time advances by the hold loop's 50 ms ticks; every event due before a tick arrives first
    for (let tick = t0 + m * 60_000_000 + 50_000; tick <= end; tick += 50_000) {
      while (nextProbe < tick) {
        // one probe in 500 fails (a timeout reports late: it arrives with the probes a second younger)
        const ok = probeNo % 500 !== 0
        const e: TimelineEvent = {type: 'probe', t: Math.round(ok ? nextProbe : nextProbe - 1_000_000), host: 'client', ok, latencyMs: 1.2, backend: probeNo % 2 === 0 ? 'web1' : 'web2', error: ok ? null : 'timeout'}
        log.emit(e)
        probeNo++
        nextProbe += probeStepUs
      }
      while (nextAdvert < tick) {
        const src = nextAdvert < faultAt ? '10.66.0.11' : '10.66.0.12'
        log.emit({type: 'vrrp.advert', t: nextAdvert, host: 'client', src, smac: '02:00:00:00:00:01', vrid: 51, prio: src === '10.66.0.11' ? 150 : 100, intvl: 1, ver: 2})
        nextAdvert += 1_000_000
      }
      // the hold loop's checks
      if (hooks.reacted(faultAt)) sink++
      if (probes.okRunUs() >= 1_000_000) sink++
      ticks++
    }
    const d = process.cpuUsage(cpu0)
    perMinute.push((d.user + d.system) / 1000)
    maxLive = Math.max(maxLive, probes.size() + hooks.size())
  }
  // the batch check of before, once, over everything the log holds at the end
  const c0 = process.cpuUsage()
  const adverts = log.events.filter((e) => e.type === 'vrrp.advert' && e.t >= faultAt && e.prio > 0)
  const ps = log.events.filter((e): e is Extract<TimelineEvent, {type: 'probe'}> => e.type === 'probe' && e.t >= faultAt).sort((a, b) => a.t - b.t)
  sink += adverts.length + ps.length
  const c = process.cpuUsage(c0)
  if (sink < 0) throw new Error('unreachable')
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
  const counted = perMinute.slice(warmup)
  const window = Math.min(10, Math.floor(counted.length / 2))
  const firstMs = mean(counted.slice(0, window))
  const lastMs = mean(counted.slice(-window))
  return {minutes: counted.length, events: log.events.length, ticks, firstMs, lastMs, ratio: lastMs / firstMs, maxLiveEntries: maxLive, batchCheckMsAtEnd: (c.user + c.system) / 1000}
}
