/**
 * Capture reader speed: a pcap of N frames (default 1,000,000) made from the real frames of
 * test/fixtures/capture/nicdown-v2.pcap repeated with advancing timestamps, read
 * - by `tcpdump -r FILE -n -tt -e > /dev/null` (the peer tool),
 * - by openCapture() event by event (`for await … of events`) and a buffer-full at a time (`batches`),
 * - and the same capture as tcpdump's text, by openCapture() (text is slower: one regex pass per line),
 * each read in a fresh node process (its own peak RSS and CPU time), printed as ratios to tcpdump in the same run.
 *   npm run build && node dist/test/bench/capture-read.js [FRAMES]
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {closeSync, mkdtempSync, openSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {openCapture} from '../../src/capture/file.js'
import {pcapFile, readPcapFrames} from '../helpers/capture-writer.js'
import {ROOT} from '../helpers/cli.js'

const SELF = fileURLToPath(import.meta.url)

function make(N: number, pcap: string, txt: string): void {
  const {frames} = readPcapFrames(join(ROOT, 'test', 'fixtures', 'capture', 'nicdown-v2.pcap'))
  const t0 = (frames[0] as {sec: number}).sec
  const span = (frames[frames.length - 1] as {sec: number}).sec - t0 + 1
  const out: Array<{sec: number; frac: number; data: Buffer}> = []
  for (let i = 0; i < N; i++) {
    const f = frames[i % frames.length] as {sec: number; frac: number; data: Buffer}
    out.push({sec: f.sec + Math.floor(i / frames.length) * span, frac: f.frac, data: f.data})
  }
  writeFileSync(pcap, pcapFile(out))
  const fd = openSync(txt, 'w')
  const input = openSync(pcap, 'r')
  spawnSync('tcpdump', ['-r', '-', '-n', '-tt', '-e'], {stdio: [input, fd, 'ignore']})
  closeSync(input)
  closeSync(fd)
}

const secs = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9

/** One read in this process (a child of the bench): prints {wall, cpu, n, rssMb} as JSON. */
async function childRead(mode: string, path: string): Promise<void> {
  const t0 = process.hrtime.bigint()
  const c = await openCapture(path)
  let n = 0
  if (mode === 'batches') for await (const b of c.batches) n += b.length
  else for await (const _ of c.events) n += 1
  const cu = process.cpuUsage()
  console.log(JSON.stringify({wall: secs(t0), cpu: (cu.user + cu.system) / 1e6, n, rssMb: process.resourceUsage().maxRSS / 1024}))
}

/** A read in a fresh node process: its own peak RSS, its CPU including start-up (module loading). */
function read(mode: string, path: string): {wall: number; cpu: number; n: number; rssMb: number} {
  const r = spawnSync(process.execPath, [SELF, '--read', mode, path], {encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`read ${mode} ${path}: ${r.stderr}`)
  return JSON.parse(r.stdout) as {wall: number; cpu: number; n: number; rssMb: number}
}

export interface CaptureReadRow {
  what: string
  wallS: number
  cpuS: number
  /** CPU time relative to tcpdump's in the same run. */
  cpuRatio: number
  rssMb: number
  events: number
}

/** Make the N-frame pcap and its text, time tcpdump and the readers (each in a fresh node process). */
export function benchCaptureRead(N = 1_000_000): {frames: number; tcpdumpWallS: number; tcpdumpCpuS: number; rows: CaptureReadRow[]} {
  const dir = mkdtempSync(join(tmpdir(), 'hachaos-bench-cap-'))
  try {
    const pcap = join(dir, 'big.pcap')
    const txt = join(dir, 'big.txt')
    make(N, pcap, txt)
    const t = process.hrtime.bigint()
    // bash's `times`: the CPU time of its children (tcpdump), user and system, "0m0.712s 0m0.071s" on line 2
    const times = execFileSync('bash', ['-c', `tcpdump -r - -n -tt -e < '${pcap}' > /dev/null 2>&1; times`]).toString()
    const tcpdumpWallS = secs(t)
    const cpuOf = (line: string): number => [...line.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0)
    const tcpdumpCpuS = cpuOf(times.trim().split('\n')[1] ?? '')
    const rows: CaptureReadRow[] = []
    for (const [name, mode, path] of [
      ['pcap, for await events', 'events', pcap],
      ['pcap, for await batches', 'batches', pcap],
      ['tcpdump text, for await events', 'events', txt],
    ] as const) {
      const r = read(mode, path)
      rows.push({what: name, wallS: r.wall, cpuS: r.cpu, cpuRatio: r.cpu / tcpdumpCpuS, rssMb: r.rssMb, events: r.n})
    }
    return {frames: N, tcpdumpWallS, tcpdumpCpuS, rows}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

function main(): void {
  const N = Number(process.argv[2] ?? 1_000_000)
  const r = benchCaptureRead(N)
  // CPU time too: on a shared machine the wall time says as much about the neighbours as about the reader
  console.log(`${N} frames; tcpdump -r -n -tt -e: ${r.tcpdumpWallS.toFixed(2)} s, CPU ${r.tcpdumpCpuS.toFixed(2)} s`)
  for (const x of r.rows) {
    console.log(
      `openCapture ${x.what}: ${x.wallS.toFixed(2)} s (${(x.wallS / r.tcpdumpWallS).toFixed(2)} × tcpdump), CPU ${x.cpuS.toFixed(2)} s ` +
        `(${x.cpuRatio.toFixed(2)} ×, node start-up included), peak RSS ${x.rssMb.toFixed(0)} MB, ${x.events} events`,
    )
  }
}

if (process.argv[1] === SELF) {
  if (process.argv[2] === '--read') await childRead(process.argv[3] as string, process.argv[4] as string)
  else main()
}
