/**
 * `capture analyze` at scale (issue 11): a pcap of N frames made from a real lab capture (nicdown-v2.pcap, a
 * keepalived NIC-down failover and failback, repeated with advancing timestamps), then in one run:
 *
 *   tcpdump -r FILE -n -tt -e > /dev/null             the peer tool reading and printing every frame
 *   hachaos capture analyze FILE --json > /dev/null   goal ≤ 0.5 × tcpdump's time, peak RSS < 150 MB
 *   … without --json (text), and --events ndjson
 *
 * BENCH_CAPTURE_REPS rounds (default 5; tcpdump then each output, the ratios taken within each round, their
 * median printed with the range: the machine is shared) of wall time and, with GNU time installed, CPU time
 * (the fairer figure under load), and, in this process, the
 * timeline machine alone on the decoded events (goal ≥ 10^6 events/s) and the
 * reader alone, so that the time of each part is known. No root needed: `HACHAOS_BENCH_ONLY='capture analyze' npm run bench`.
 * Frames: BENCH_CAPTURE_FRAMES (default 1,000,000); BENCH_CAPTURE_10M=1 adds a 10,000,000-frame file.
 */
import {spawn} from 'node:child_process'
import {closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {readCaptureFile} from '../../src/capture/file.js'
import {TimelineMachine} from '../../src/timeline/machine.js'
import {BIN, ROOT} from '../helpers/cli.js'
import {writeRepeatedPcap} from '../helpers/pcap-repeat.js'

export interface CaptureLine {
  name: string
  value: string
  goal: string
  note: string
}

interface Timed {
  wallMs: number
  peakRssMb: number
  code: number | null
  /** CPU seconds (user + system) from GNU time (Debian package `time`), null without it. */
  cpuS: number | null
}

const GNU_TIME = '/usr/bin/time'

/**
 * Run argv with stdout to /dev/null; wall time, peak RSS (VmHWM from /proc, read every 20 ms) and, through GNU
 * time when installed, its CPU time (user + system): on a shared machine the wall time says as much about the
 * neighbours as about the program, so both ratios are printed.
 */
async function timed(argv: string[]): Promise<Timed> {
  const devnull = openSync('/dev/null', 'w')
  const tfile = join(tmpdir(), `hachaos-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`)
  const useTime = existsSync(GNU_TIME)
  const full = useTime ? [GNU_TIME, '-f', '%U %S', '-o', tfile, ...argv] : argv
  const t0 = performance.now()
  const child = spawn(full[0] as string, full.slice(1), {stdio: ['ignore', devnull, 'ignore']})
  let hwmKb = 0
  const poll = (): void => {
    try {
      // under GNU time, the measured program is its child
      const pid = useTime ? readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0] : String(child.pid)
      if (pid === undefined || pid === '') return
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (m !== null) hwmKb = Math.max(hwmKb, Number(m[1]))
    } catch {
      // gone
    }
  }
  const timer = setInterval(poll, 20)
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
  const wallMs = performance.now() - t0
  clearInterval(timer)
  closeSync(devnull)
  let cpuS: number | null = null
  if (useTime) {
    try {
      const [u, sy] = readFileSync(tfile, 'utf8').trim().split('\n').pop()?.split(' ').map(Number) ?? []
      if (u !== undefined && sy !== undefined) cpuS = u + sy
    } catch {
      // no figure
    }
    rmSync(tfile, {force: true})
  }
  return {wallMs, peakRssMb: hwmKb / 1024, code, cpuS}
}

const cpu = (t: Timed): string => (t.cpuS === null ? '' : `, CPU ${t.cpuS.toFixed(2)} s`)

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`

async function oneSize(dir: string, frames: number): Promise<CaptureLine[]> {
  const file = join(dir, `nicdown-x${frames}.pcap`)
  const g0 = performance.now()
  await writeRepeatedPcap(join(ROOT, 'test', 'fixtures', 'capture', 'nicdown-v2.pcap'), file, frames)
  const mb = statSync(file).size / 1024 / 1024
  const out: CaptureLine[] = []
  const label = frames.toLocaleString('en')
  process.stderr.write(`bench: ${label} frames, ${mb.toFixed(0)} MB written in ${s(performance.now() - g0)}\n`)

  // REPS rounds of tcpdump then each output, side by side: on a shared machine each ratio is taken within its
  // round (the neighbours' load changes between rounds) and the median of the rounds is printed
  const reps = Math.max(1, Number(process.env.BENCH_CAPTURE_REPS ?? 5))
  const modes: Array<[string, string[]]> = [
    ['(text)', []],
    ['--json', ['--json']],
    ['--events ndjson', ['--events', 'ndjson']],
  ]
  const tcp: Timed[] = []
  const runs = new Map<string, Timed[]>(modes.map(([w]) => [w, []]))
  for (let i = 0; i < reps; i++) {
    tcp.push(await timed(['tcpdump', '-r', file, '-n', '-tt', '-e']))
    for (const [what, extra] of modes) runs.get(what)?.push(await timed([process.execPath, BIN, 'capture', 'analyze', file, '-q', ...extra]))
  }
  const med = (xs: number[]): number => {
    const v = [...xs].sort((x, y) => x - y)
    return v.length % 2 === 1 ? (v[(v.length - 1) / 2] as number) : ((v[v.length / 2 - 1] as number) + (v[v.length / 2] as number)) / 2
  }
  const range = (xs: number[]): string => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`
  const tcpCpu = tcp.map((t) => t.cpuS).filter((c): c is number => c !== null)
  out.push({
    name: `${label} frames: tcpdump -r -n -tt -e > /dev/null (median of ${reps})`,
    value: s(med(tcp.map((t) => t.wallMs))),
    goal: '',
    note: `peak RSS ${Math.max(...tcp.map((t) => t.peakRssMb)).toFixed(0)} MB${tcpCpu.length > 0 ? `, CPU ${med(tcpCpu).toFixed(2)} s (${range(tcpCpu)})` : ''}`,
  })
  for (const [what] of modes) {
    const rs = runs.get(what) ?? []
    const wallRatios = rs.map((r, i) => r.wallMs / (tcp[i] as Timed).wallMs)
    const cpuRatios = rs.flatMap((r, i) => {
      const t = (tcp[i] as Timed).cpuS
      return r.cpuS !== null && t !== null && t > 0 ? [r.cpuS / t] : []
    })
    const cpus = rs.map((r) => r.cpuS).filter((c): c is number => c !== null)
    const bad = rs.filter((r) => r.code !== 0 && r.code !== 7)
    out.push({
      name: `${label} frames: hachaos capture analyze ${what} > /dev/null (median of ${reps})`,
      value: s(med(rs.map((r) => r.wallMs))),
      goal: '≤ 0.5 × tcpdump, < 150 MB',
      note:
        (cpuRatios.length > 0 ? `CPU ${med(cpus).toFixed(2)} s: ${med(cpuRatios).toFixed(2)} × tcpdump (rounds ${range(cpuRatios)}); ` : '') +
        `wall ${med(wallRatios).toFixed(2)} ×; peak RSS ${Math.max(...rs.map((r) => r.peakRssMb)).toFixed(0)} MB${bad.length === 0 ? '' : `; exit ${bad[0]?.code}`}`,
    })
  }

  // the parts, in this process: the reader (whole file into events), then the machine alone
  const r0 = performance.now()
  const cap = await readCaptureFile(file, 'client')
  const readMs = performance.now() - r0
  const m0 = performance.now()
  const m = new TimelineMachine({vip: '10.66.0.100', vrid: null, faultAtUs: null, revertAtUs: null, hosts: []}, {reorderWindowUs: 2_000_000, keep: 20})
  for (const e of cap.events) m.push(e)
  const a = m.finish()
  const machineMs = performance.now() - m0
  const rate = cap.events.length / (machineMs / 1000)
  out.push({name: `${label} frames: the reader alone (src/capture/file.ts, whole file)`, value: s(readMs), goal: '', note: `${(cap.events.length / (readMs / 1000) / 1e6).toFixed(2)} M events/s`})
  out.push({
    name: `${label} frames: the timeline machine alone`,
    value: s(machineMs),
    goal: '≥ 1 M events/s',
    note: `${(rate / 1e6).toFixed(2)} M events/s; ${a.listed?.totals.masters ?? a.masters.length} master spans, ${a.counts.garps} GARPs; state ${m.stateSize()} entries`,
  })
  rmSync(file, {force: true})
  return out
}

/**
 * The machine alone on 10^7 events streamed (the lab capture's decoded events repeated, made one at a time,
 * never held): time, and this process's RSS after each 10^6 (it must not grow).
 */
async function machineStream(n: number): Promise<CaptureLine[]> {
  const cap = await readCaptureFile(join(ROOT, 'test', 'fixtures', 'capture', 'nicdown-v2.pcap'), 'client')
  const base = cap.events
  const first = base[0]?.t ?? 0
  const span = (base[base.length - 1]?.t ?? 0) - first + 1_000_000
  const m = new TimelineMachine({vip: '10.66.0.100', vrid: null, faultAtUs: first + 2_000_000, revertAtUs: first + 10_000_000, hosts: []}, {reorderWindowUs: 2_000_000, keep: 20})
  const rss: number[] = []
  const t0 = performance.now()
  for (let i = 0, rep = 0; i < n; rep++) {
    for (const e of base) {
      if (i++ >= n) break
      m.push({...e, t: e.t + rep * span})
      if (i % 1_000_000 === 0) rss.push(process.memoryUsage().rss / 1024 / 1024)
    }
  }
  m.finish()
  const ms = performance.now() - t0
  return [
    {
      name: `the timeline machine alone, ${(n / 1e6).toFixed(0)} M events streamed`,
      value: s(ms),
      goal: 'RSS flat',
      note: `${(n / (ms / 1000) / 1e6).toFixed(2)} M events/s; RSS per 10^6 events ${rss.map((r) => r.toFixed(0)).join(' ')} MB; state ${m.stateSize()} entries`,
    },
  ]
}

export async function benchCapture(): Promise<CaptureLine[]> {
  const dir = mkdtempSync(join(tmpdir(), 'hachaos-bench-capture-'))
  try {
    const frames = Number(process.env.BENCH_CAPTURE_FRAMES ?? 1_000_000)
    const out = await machineStream(10_000_000)
    out.push(...(await oneSize(dir, frames)))
    if (process.env.BENCH_CAPTURE_10M === '1') out.push(...(await oneSize(dir, 10_000_000)))
    return out
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
