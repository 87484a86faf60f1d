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
import {mkdtempSync, openSync, closeSync, rmSync, writeFileSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {openCapture} from '../../src/capture/file.js'
import {pcapFile, readPcapFrames} from '../helpers/capture-writer.js'
import {ROOT} from '../helpers/cli.js'

const N = Number(process.argv[2] === '--read' ? 0 : (process.argv[2] ?? 1_000_000))
const dir = process.argv[2] === '--read' ? '' : mkdtempSync(join(tmpdir(), 'hachaos-bench-cap-'))
const pcap = join(dir, 'big.pcap')
const txt = join(dir, 'big.txt')

function make(): void {
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
  spawnSync('tcpdump', ['-r', '-', '-n', '-tt', '-e'], {input: undefined, stdio: [openSync(pcap, 'r'), fd, 'ignore']})
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
  const r = spawnSync(process.execPath, [process.argv[1] as string, '--read', mode, path], {encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`read ${mode} ${path}: ${r.stderr}`)
  return JSON.parse(r.stdout) as {wall: number; cpu: number; n: number; rssMb: number}
}

async function main(): Promise<void> {
  make()
  console.log(`${N} frames: pcap ${(statSync(pcap).size / 1e6).toFixed(1)} MB, text ${(statSync(txt).size / 1e6).toFixed(1)} MB`)
  const t = process.hrtime.bigint()
  // bash's `times`: the CPU time of its children (tcpdump), user and system, "0m0.712s 0m0.071s" on line 2
  const times = execFileSync('bash', ['-c', `tcpdump -r - -n -tt -e < '${pcap}' > /dev/null 2>&1; times`]).toString()
  const tcpdump = secs(t)
  const cpuOf = (line: string): number => [...line.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0)
  const tcpdumpCpu = cpuOf(times.trim().split('\n')[1] ?? '')
  // CPU time too: on a shared machine the wall time says as much about the neighbours as about the reader
  console.log(`tcpdump -r -n -tt -e: ${tcpdump.toFixed(2)} s, CPU ${tcpdumpCpu.toFixed(2)} s`)
  for (const [name, mode, path] of [
    ['pcap, events', 'events', pcap],
    ['pcap, batches', 'batches', pcap],
    ['text, events', 'events', txt],
  ] as const) {
    const r = read(mode, path)
    console.log(
      `openCapture ${name}: ${r.wall.toFixed(2)} s (${(r.wall / tcpdump).toFixed(2)} × tcpdump), CPU ${r.cpu.toFixed(2)} s ` +
        `(${(r.cpu / tcpdumpCpu).toFixed(2)} ×, node start-up included), peak RSS ${r.rssMb.toFixed(0)} MB, ${r.n} events`,
    )
  }
  rmSync(dir, {recursive: true, force: true})
}

if (process.argv[2] === '--read') await childRead(process.argv[3] as string, process.argv[4] as string)
else await main()
