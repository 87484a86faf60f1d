/**
 * `hachaos watch` for an hour, in compressed time (issue 14: "memory flat over days"): the watcher's pipeline
 * with no I/O — the incident tracker (src/watch/incidents.ts), the running figures (src/watch/stats.ts), the
 * frame ring of the pcap slices fed from tcpdump -xx text (src/watch/frames.ts) and the node views /metrics
 * reads — fed one simulated hour of the keepalived lab's events at the lab's rate: 5 probes/s, lb's adverts
 * once a second (each also a frame, 4 hex lines), the VIP owner poll, and a real failover every 10 minutes
 * (the master silent for Master_Down_Interval, probes failing meanwhile, GARP, the VIP moving), so incidents
 * open, close and are handed out (and dropped, as the command does once saved). The tracker is ticked every
 * simulated second as the watcher's timer does. RSS and heap (after a full GC) sampled every simulated 5 min;
 * the goal: flat, max/min < 1.2 for both. No root, no lab; takes a few seconds.
 */
import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'

import type {Prediction, TimelineEvent} from '../../src/store/run-types.js'
import {FrameRing, HexFrameParser} from '../../src/watch/frames.js'
import {IncidentTracker, type IncidentContext} from '../../src/watch/incidents.js'
import {WatchStats} from '../../src/watch/stats.js'
import {sliceReachMs} from '../../src/watch/watcher.js'

export interface WatchFlatFigures {
  minutes: number
  events: number
  frames: number
  incidents: number
  samples: Array<{min: number; rssMb: number; heapMb: number}>
  rssRatio: number
  heapRatio: number
  maxRing: number
  cpuMs: number
  /** CPU ms per simulated minute, mean over the first and the last 10 sampled minutes (the goal: within 10 %). */
  cpuFirst10Ms: number
  cpuLast10Ms: number
}

function gcFn(): () => void {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as (() => void) | undefined
  return typeof gc === 'function' ? gc : () => undefined
}

/** "\t0x0000:  0100 5e00 …" lines of a 60-byte VRRP frame from `src` (its last byte varied with the seq). */
function hexLines(seq: number, src: number): string[] {
  const bytes = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x12, 0x02, 0x48, 0x43, 0x00, 0x00, src, 0x08, 0x00, 0x45, 0xc0, 0x00, 0x28, seq & 0xff, (seq >> 8) & 0xff]
  while (bytes.length < 60) bytes.push(bytes.length)
  const out: string[] = []
  for (let o = 0; o < bytes.length; o += 16) {
    const chunk = bytes.slice(o, o + 16)
    const words: string[] = []
    for (let i = 0; i < chunk.length; i += 2) words.push(chunk.slice(i, i + 2).map((b) => b.toString(16).padStart(2, '0')).join(''))
    out.push(`\t0x${o.toString(16).padStart(4, '0')}:  ${words.join(' ')}`)
  }
  return out
}

export function benchWatchFlat(o: {minutes?: number; sampleEveryMin?: number; warmupMinutes?: number} = {}): WatchFlatFigures {
  const gc = gcFn()
  const warmup = o.warmupMinutes ?? 5
  const minutes = (o.minutes ?? 60) + warmup
  const every = o.sampleEveryMin ?? 5
  const t0 = 1_800_000_000_000_000
  const hosts = [
    {name: 'lb1', ip: '10.66.0.11', mac: '02:48:43:00:00:0b'},
    {name: 'lb2', ip: '10.66.0.12', mac: '02:48:43:00:00:0c'},
  ]
  const predict = (): Prediction => ({metric: 'takeoverFromLastAdvertMs', takeoverMs: 3609.375, minMs: 3609.375, maxMs: 3609.375, formula: 'bench', inputs: {}})
  const ctx: IncidentContext = {stack: 'keepalived', vip: '10.66.0.100', vrid: 51, hosts, captureHost: 'client', probe: {url: 'http://10.66.0.100/', ratePerS: 5, timeoutMs: 1000}, inventory: null, lab: null, clockOffsets: [], toleranceMs: 100, predict}
  const stats = new WatchStats(0.9999, 0)
  let incidents = 0
  const tracker = new IncidentTracker(ctx, {settleMs: 5000}, (i) => {
    incidents++
    stats.incident(i)
  })
  const ring = new FrameRing(undefined, undefined, sliceReachMs({settleMs: 5000}, 5000) * 1000)
  let frames = 0
  const parser = new HexFrameParser((f) => {
    frames++
    ring.push(f)
  })
  let events = 0
  const feed = (e: TimelineEvent): void => {
    events++
    if (e.type === 'probe') stats.probe(e)
    tracker.push(e)
  }
  const samples: WatchFlatFigures['samples'] = []
  let maxRing = 0
  let master = 0
  let seq = 0
  const cpu0 = process.cpuUsage()
  // CPU per simulated minute, the full-GC sampling left out (it is the bench's, not the watcher's).
  const perMinute: number[] = []
  let minuteCpu = 0
  let mark = process.cpuUsage()
  const cpuSince = (m: NodeJS.CpuUsage): number => {
    const d = process.cpuUsage(m)
    return (d.user + d.system) / 1000
  }
  for (let s = 0; s <= minutes * 60; s++) {
    const base = t0 + s * 1_000_000
    // a failover every 10 minutes: the master silent for 3.6 s, the other takes over
    const cycle = s % 600
    const silent = cycle >= 300 && cycle < 304
    if (cycle === 304) {
      master = 1 - master
      feed({type: 'arp', t: base + 609_000, host: 'client', op: 'request', sip: ctx.vip ?? '', smac: hosts[master]?.mac ?? '', tip: ctx.vip ?? '', garp: true})
      feed({type: 'vip.owner', t: base + 650_000, host: 'hachaos', owners: [hosts[master]?.name ?? '']})
    }
    if (!silent) {
      const h = hosts[master] as (typeof hosts)[number]
      const t = base + (cycle === 304 ? 609_375 : 0)
      feed({type: 'vrrp.advert', t, host: 'client', src: h.ip, smac: h.mac, vrid: 51, prio: master === 0 ? 150 : 100, intvl: 1, ver: 2})
      seq++
      parser.line(`${Math.floor(t / 1e6)}.${String(t % 1e6).padStart(6, '0')} IP ${h.ip} > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 150, authtype none, intvl 1s, length 20`)
      for (const l of hexLines(seq, master === 0 ? 0x0b : 0x0c)) parser.line(l)
    }
    for (let k = 0; k < 5; k++) {
      const ok = !(cycle >= 300 && cycle < 305)
      feed({type: 'probe', t: base + k * 200_000, host: 'client', ok, latencyMs: ok ? 0.4 : 1000, backend: ok ? 'web1' : null, error: ok ? null : 'timeout'})
    }
    tracker.tick(base + 999_999)
    maxRing = Math.max(maxRing, ring.size)
    if (s % 60 === 59) {
      minuteCpu += cpuSince(mark)
      if (s >= warmup * 60) perMinute.push(minuteCpu)
      minuteCpu = 0
      mark = process.cpuUsage()
    }
    if (s % (every * 60) === 0 && s >= warmup * 60) {
      minuteCpu += cpuSince(mark)
      gc()
      const m = process.memoryUsage()
      samples.push({min: s / 60 - warmup, rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20})
      mark = process.cpuUsage()
    }
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
  const cpu = process.cpuUsage(cpu0)
  const ratio = (xs: number[]): number => Math.max(...xs) / Math.min(...xs)
  return {
    minutes: minutes - warmup,
    events,
    frames,
    incidents,
    samples,
    rssRatio: ratio(samples.map((x) => x.rssMb)),
    heapRatio: ratio(samples.map((x) => x.heapMb)),
    maxRing,
    cpuMs: (cpu.user + cpu.system) / 1000,
    cpuFirst10Ms: mean(perMinute.slice(0, 10)),
    cpuLast10Ms: mean(perMinute.slice(-10)),
  }
}
