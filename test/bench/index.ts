/**
 * `npm run bench`: the speed and precision goals of the issues, printed as figures and ratios to their goals
 * (never asserted: timings depend on the machine). Needs root (it builds the labs);
 * without root only the sections that need none run.
 *
 *   lab up until the VIP answers          goal ≤ 5 s; floor: lb1's Master_Down_Interval (VRRP's own election)
 *   takeover figure vs the pcap            goal ≤ 5 ms between hachaos's live figure and the packet timestamps
 *   drill wall time beyond hold+failback   goal < 2 s
 *   10-drill soak vs the same 10 drills as separate `hachaos failover` commands   goal ≤ 1.10 × (test/bench/gameday.ts)
 *
 *   lvs: lab up --sync with a warm cache    goal ≤ 15 s, next to the guest's boot; nic-down dir1 takeover vs
 *        Master_Down_Interval ± 50 ms, rs1 httpd killed vs the TCP_CHECK formula ± 300 ms (test/bench/lvs.ts)
 *
 *   bond dashboard CPU at 10 refreshes/s, 4 members, next to bmon   goal ≤ 2 % of a core
 *   failover dashboard CPU at 10 refreshes/s, a replayed drill       goal ≤ 2 % of a core (no root)
 *   hachaos load vs bare iperf3 on the same path                     goal ≥ 95 %
 *   report over 5,000 runs: text < 2 s; HTML < 4 s and < 5 MB (test/bench/report.ts)     (no root)
 *
 *   drill live state over a 2 h hold at 200 probes/s: CPU per simulated minute, last 10 min vs first 10
 *                                                                    goal ≤ 1.10 (no root: runs without it)
 *   watch pipeline for 1 simulated hour at the lab's rate: RSS and heap every 5 min, max/min  goal < 1.2 (no root)
 *   capture readers: 1,000,000 frames, CPU vs tcpdump -r -n -tt -e    goal < 1 × (no root)
 *   capture analyze on 1,000,000 frames vs tcpdump -r -n -tt -e     goal ≤ 0.5 × tcpdump, peak RSS < 150 MB
 *   the timeline machine alone                                       goal ≥ 10^6 events/s (no root)
 * (Pacemaker failover timings per fault: test/bench/pacemaker-failover.ts, on a running pacemaker lab.)
 *
 * HACHAOS_BENCH_ONLY=WORD runs only the sections whose name contains WORD (e.g. `capture`, `report`).
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {readPcap} from '../../src/capture/pcap.js'
import type {LabUpResult} from '../../src/lab/driver.js'
import type {DrillRun} from '../../src/store/run-types.js'
import {masterDownIntervalMs} from '../../src/stacks/keepalived/timing.js'
import {benchBond} from './bond.js'
import {benchCapture} from './capture.js'
import {benchCaptureRead} from './capture-read.js'
import {benchDrillLive} from './drill-live.js'
import {benchFailoverTui} from './failover-tui.js'
import {benchGameDay} from './gameday.js'
import {benchLvs} from './lvs.js'
import {benchReport} from './report.js'
import {benchWatchFlat} from './watch-flat.js'
import {cli} from './cli.js'

interface Row {
  what: string
  value: string
  goal: string
  ratio: string
}


const fmt = (ms: number): string => `${(ms / 1000).toFixed(3)} s`
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

async function keepalivedSection(): Promise<Row[]> {
  const rows: Row[] = []
  const ups: number[] = []
  for (let i = 0; i < 3; i++) {
    cli(['lab', 'down', '-q'])
    const r = cli(['lab', 'up', '--json', '-q'])
    if (r.code !== 0) throw new Error(`lab up failed (exit ${r.code})`)
    ups.push((r.json as LabUpResult).timings.readyMs)
  }
  const floor = masterDownIntervalMs(150, 1, 2)
  rows.push({what: `lab up until the VIP answers (median of ${ups.length}: ${ups.map(fmt).join(', ')})`, value: fmt(median(ups)), goal: '≤ 5 s', ratio: `${(median(ups) / 5000).toFixed(2)} of the goal; ${(median(ups) / floor).toFixed(2)} × the VRRP floor ${fmt(floor)}`})

  const home = mkdtempSync(join(tmpdir(), 'hachaos-bench-'))
  try {
    const diffs: number[] = []
    const overheads: number[] = []
    for (let i = 0; i < 3; i++) {
      const r = cli(['failover', '--target', 'lb1', '--json', '-q'], {HACHAOS_HOME: home})
      const run = r.json as DrillRun
      if (r.code !== 0 || run.pcap === undefined) throw new Error(`drill failed (exit ${r.code})`)
      // Independent of the live path: the pcap of the same capture, read frame by frame.
      const p = await readPcap(run.pcap, 'client')
      const byIp = new Map((run.hosts ?? []).filter((h) => h.ip !== undefined).map((h) => [h.ip as string, h.name]))
      const adverts = p.events.filter((e) => e.type === 'vrrp.advert' && e.prio > 0)
      const first = adverts.find((a) => a.t > run.metrics.faultAtUs && byIp.get(a.type === 'vrrp.advert' ? a.src : '') === 'lb2')
      const last = [...adverts].reverse().find((a) => first !== undefined && a.t < first.t && a.type === 'vrrp.advert' && byIp.get(a.src) === 'lb1')
      if (first !== undefined && last !== undefined && run.metrics.takeoverFromLastAdvertMs !== null) {
        diffs.push(Math.abs(run.metrics.takeoverFromLastAdvertMs - (first.t - last.t) / 1000))
      }
      const failback = run.metrics.failbackMs ?? 0
      overheads.push(r.wallMs - run.holdMs - failback)
    }
    const worst = Math.max(...diffs)
    rows.push({what: `takeover: hachaos's figure vs the pcap's timestamps (worst of ${diffs.length})`, value: `${worst.toFixed(3)} ms`, goal: '≤ 5 ms', ratio: `${(worst / 5).toFixed(3)} of the goal`})
    const oh = median(overheads)
    rows.push({what: `drill wall time beyond the hold and the failback (median of ${overheads.length}: ${overheads.map(fmt).join(', ')})`, value: fmt(oh), goal: '< 2 s', ratio: `${(oh / 2000).toFixed(2)} of the goal`})
  } finally {
    rmSync(home, {recursive: true, force: true})
    cli(['lab', 'down', '-q'])
  }
  return rows
}

/** A 10-drill seeded soak's wall time over the same drills run as separate commands (test/bench/gameday.ts). */
async function gameDaySection(): Promise<Row[]> {
  const b = await benchGameDay()
  const sum = b.separateWallMs.reduce((a, x) => a + x, 0)
  return [
    {
      what: `game day: soak of ${b.drills} (seed ${b.seed}, lb1/web1; ${b.soakState}, ${b.audits} audits; its steps ${fmt(b.soakStepsMs)})`,
      value: fmt(b.soakWallMs),
      goal: '',
      ratio: '',
    },
    {what: `the same ${b.separateWallMs.length} drills as separate \`hachaos failover\` (exits ${b.separateCodes.join(',')})`, value: fmt(sum), goal: '', ratio: b.separateWallMs.map(fmt).join(', ')},
    {what: 'soak wall time / the drills\' own', value: `${b.ratio.toFixed(3)} ×`, goal: '≤ 1.10 ×', ratio: b.ratio <= 1.1 ? 'met' : 'NOT met'},
  ]
}

/** The bond dashboard's CPU next to bmon, and iperf3 orchestration vs bare iperf3 (test/bench/bond.ts). */
async function bondSection(): Promise<Row[]> {
  return (await benchBond()).map((l) => ({
    what: l.name,
    value: `${Number.isFinite(l.value) ? l.value.toFixed(2) : '—'} ${l.unit}`,
    goal: l.goal ?? '',
    ratio: l.goal === undefined ? (l.note ?? '') : `${l.ok === true ? 'met' : 'NOT met'}${l.note === undefined ? '' : ` (${l.note})`}`,
  }))
}

/** The failover dashboard's CPU at 10 refreshes/s on a replayed drill (test/bench/failover-tui.ts). */
async function failoverTuiSection(): Promise<Row[]> {
  return (await benchFailoverTui()).map((l) => ({
    what: l.name,
    value: `${Number.isFinite(l.value) ? l.value.toFixed(2) : '—'} ${l.unit}`,
    goal: l.goal ?? '',
    ratio: l.goal === undefined ? (l.note ?? '') : `${l.ok === true ? 'met' : 'NOT met'}${l.note === undefined ? '' : ` (${l.note})`}`,
  }))
}

/** `hachaos report` over a generated store of 5,000 runs (test/bench/report.ts). */
async function reportSection(): Promise<Row[]> {
  return (await benchReport()).map((l) => ({
    what: l.name,
    value: `${l.value.toFixed(3)} ${l.unit}`,
    goal: l.goal ?? '',
    ratio: l.goal === undefined ? (l.note ?? '') : `${l.ok === true ? 'met' : 'NOT met'}${l.note === undefined ? '' : ` (${l.note})`}`,
  }))
}

/** The drill's hold loop over 2 simulated hours (test/bench/drill-live.ts): CPU per minute must stay flat. */
async function drillLiveSection(): Promise<Row[]> {
  const f = benchDrillLive()
  return [
    {
      what: `drill live state, ${f.minutes} min hold at 200 probes/s + adverts (${f.events.toLocaleString('en')} events, ${f.ticks.toLocaleString('en')} checks every 50 ms; live state ≤ ${f.maxLiveEntries} entries)`,
      value: `${f.firstMs.toFixed(1)} → ${f.lastMs.toFixed(1)} ms CPU/min`,
      goal: 'last ≤ 1.10 × first',
      ratio: `${f.ratio.toFixed(2)} (${f.ratio <= 1.1 ? 'met' : 'NOT met'})`,
    },
    {what: 'for scale: one re-filter of that event list (what every 50 ms check did before)', value: `${f.batchCheckMsAtEnd.toFixed(1)} ms CPU`, goal: '', ratio: ''},
  ]
}

/** `hachaos watch`'s pipeline over one simulated hour at the lab's rate (test/bench/watch-flat.ts): memory flat. */
async function watchFlatSection(): Promise<Row[]> {
  const f = benchWatchFlat()
  const fmt = (k: 'rssMb' | 'heapMb'): string => f.samples.map((x) => x[k].toFixed(1)).join(' ')
  return [
    {
      what: `watch pipeline, ${f.minutes} simulated min at 5 probes/s + adverts + frames (${f.events.toLocaleString('en')} events, ${f.frames.toLocaleString('en')} frames, ${f.incidents} incidents; frame ring ≤ ${f.maxRing}; ${f.cpuMs.toFixed(0)} ms CPU): RSS MB every 5 min ${fmt('rssMb')}`,
      value: `RSS max/min ${f.rssRatio.toFixed(3)}`,
      goal: '< 1.2',
      ratio: f.rssRatio < 1.2 ? 'met' : 'NOT met',
    },
    {what: `  heap used MB (after a full GC) every 5 min ${fmt('heapMb')}`, value: `heap max/min ${f.heapRatio.toFixed(3)}`, goal: '< 1.2', ratio: f.heapRatio < 1.2 ? 'met' : 'NOT met'},
    {
      what: `  CPU per simulated minute, first 10 min ${f.cpuFirst10Ms.toFixed(2)} ms, last 10 min ${f.cpuLast10Ms.toFixed(2)} ms`,
      value: `last/first ${(f.cpuLast10Ms / f.cpuFirst10Ms).toFixed(2)}`,
      goal: '≤ 1.10',
      ratio: f.cpuLast10Ms / f.cpuFirst10Ms <= 1.1 ? 'met' : 'NOT met',
    },
  ]
}

/** Capture readers on a 1,000,000-frame pcap of real lab frames and its tcpdump text (test/bench/capture-read.ts). */
async function captureReadSection(): Promise<Row[]> {
  const r = benchCaptureRead(1_000_000)
  return [
    {what: `tcpdump -r -n -tt -e, ${r.frames.toLocaleString('en')} frames (the peer)`, value: `${r.tcpdumpCpuS.toFixed(2)} s CPU`, goal: '', ratio: `${r.tcpdumpWallS.toFixed(2)} s wall`},
    ...r.rows.map((x) => ({
      what: `openCapture, ${x.what} (peak RSS ${x.rssMb.toFixed(0)} MB)`,
      value: `${x.cpuS.toFixed(2)} s CPU`,
      goal: x.what.startsWith('pcap') ? '< 1 × tcpdump' : '',
      ratio: `${x.cpuRatio.toFixed(2)} × tcpdump${x.what.startsWith('pcap') ? (x.cpuRatio < 1 ? ' (met)' : ' (NOT met)') : ''}; ${x.wallS.toFixed(2)} s wall`,
    })),
  ]
}

/** The LVS lab: lab up, director takeover and real-server removal against their formulas (test/bench/lvs.ts). */
async function lvsSection(): Promise<Row[]> {
  return (await benchLvs()).map((l) => ({what: l.what, value: l.value, goal: l.goal, ratio: l.note}))
}

/** capture analyze at scale next to tcpdump (test/bench/capture.ts). */
async function captureSection(): Promise<Row[]> {
  return (await benchCapture()).map((l) => ({what: l.name, value: l.value, goal: l.goal, ratio: l.note}))
}

/** `root: false`: the section needs no root (default: it does). */
export const SECTIONS: Array<{name: string; root?: boolean; run: () => Promise<Row[]>}> = [
  {name: 'drill live state over a long hold', root: false, run: drillLiveSection},
  {name: 'watch memory over an hour', root: false, run: watchFlatSection},
  {name: 'capture readers', root: false, run: captureReadSection},
  {name: 'keepalived lab and drills', run: keepalivedSection},
  {name: 'game day soak overhead', run: gameDaySection},
  {name: 'bond dashboard and iperf3 load', run: bondSection},
  {name: 'lvs lab and drills', run: lvsSection},
  {name: 'failover dashboard', run: failoverTuiSection, root: false},
  {name: 'report over 5,000 runs', run: reportSection, root: false},
  {name: 'capture analyze at scale', root: false, run: captureSection},
]

async function main(): Promise<void> {
  const root = typeof process.getuid !== 'function' || process.getuid() === 0
  const only = process.env['HACHAOS_BENCH_ONLY']
  const all: Row[] = []
  for (const s of SECTIONS) {
    if (only !== undefined && !s.name.includes(only)) continue
    if (s.root !== false && !root) {
      all.push({what: `${s.name}: skipped`, value: 'needs root', goal: '', ratio: ''})
      continue
    }
    process.stderr.write(`bench: ${s.name} …\n`)
    try {
      all.push(...(await s.run()))
    } catch (e) {
      all.push({what: `${s.name}: FAILED`, value: (e as Error).message, goal: '', ratio: ''})
    }
  }
  const w = Math.max(...all.map((r) => r.what.length))
  for (const r of all) process.stdout.write(`${r.what.padEnd(w)}  ${r.value.padStart(12)}  ${r.goal.padEnd(12)}  ${r.ratio}\n`)
}

await main()
