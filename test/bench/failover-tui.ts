/**
 * CPU of the failover dashboard (`hachaos failover --tui`) at its 10 refreshes/s, in a real terminal (tmux
 * 160×48): a recorded nic-down drill (test/fixtures/failover-tui/nic-down-lb1.json: adverts, ARP, 20 probes/s,
 * VIP polls, HAProxy states) replayed at its own pace, over and over, through the real board, view and
 * screen (test/tools/replay-failover-tui.ts). This is the dashboard's own cost — what `--tui` adds to a
 * drill; the drill's observers are separate processes (tcpdump, `hachaos probe`) or are measured elsewhere
 * (test/bench/drill-live.ts). Goal: ≤ 2 % of a core, the bond dashboard's figure.
 * CPU is utime + stime from /proc/PID/stat over a window after V8's warm-up, as for the bond dashboard.
 * No root needed.
 *   node dist/test/bench/failover-tui.js
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {LocalExecutor} from '../../src/exec/local.js'
import {findBinary} from '../../src/exec/which.js'
import {sleep} from '../../src/time.js'
import type {BenchLine} from './bond.js'

const local = new LocalExecutor()
const ROOT = process.cwd()
const TOOL = join(ROOT, 'dist', 'test', 'tools', 'replay-failover-tui.js')
const FIXTURE = join(ROOT, 'test', 'fixtures', 'failover-tui', 'nic-down-lb1.json')
const TICK = 100 // USER_HZ

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ')
  return Number(rest[11]) + Number(rest[12]) // utime, stime (fields 14, 15)
}

async function cpuPercent(pid: number, warmupMs: number, windowMs: number): Promise<number> {
  await sleep(warmupMs)
  const a = cpuTicks(pid)
  const t0 = Date.now()
  await sleep(windowMs)
  const b = cpuTicks(pid)
  return ((b - a) / TICK / ((Date.now() - t0) / 1000)) * 100
}

const tsock = `hachaos-bench-ftui-${process.pid}`
const tmux = (...a: string[]): ReturnType<LocalExecutor['run']> => local.run(['tmux', '-L', tsock, ...a])

async function inTmux(name: string, cmd: string): Promise<number> {
  const r = await tmux('new-session', '-d', '-s', name, '-x', '160', '-y', '48', `exec ${cmd}`)
  if (r.code !== 0) throw new Error(`tmux: ${r.stderr}`)
  const p = await tmux('list-panes', '-t', name, '-F', '#{pane_pid}')
  return Number(p.stdout.trim())
}

export async function benchFailoverTui(): Promise<BenchLine[]> {
  if (findBinary('tmux') === null) return [{name: 'failover dashboard: skipped (no tmux)', value: NaN, unit: ''}]
  const out: BenchLine[] = []
  try {
    await inTmux('hold', 'sleep 900')
    const pid = await inTmux('dash', `env LANG=C.UTF-8 ${process.execPath} ${TOOL} ${FIXTURE} --loop --interval 100`)
    // 10–30 s: V8's warm-up (as for the bond dashboard); the goal is judged on the minute after it.
    const warm = await cpuPercent(pid, 10_000, 20_000)
    const cpu = await cpuPercent(pid, 0, 60_000)
    const screen = (await tmux('capture-pane', '-p', '-t', 'dash')).stdout
    const drawn = /lb1/.test(screen) && /lb2/.test(screen) && /outage clock/.test(screen)
    await tmux('kill-session', '-t', 'dash')
    out.push({name: 'failover dashboard, replayed nic-down drill, 10 refreshes/s, 10–30 s after start (warm-up)', value: warm, unit: '% of a core'})
    out.push({name: 'failover dashboard, replayed nic-down drill, 10 refreshes/s, 30–90 s (tmux 160×48)', value: cpu, unit: '% of a core', goal: '≤ 2 %', ok: cpu <= 2, note: drawn ? 'board on screen' : 'board NOT on screen'})
  } finally {
    await tmux('kill-server')
  }
  return out
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const l of await benchFailoverTui()) process.stdout.write(`${l.name}: ${Number.isFinite(l.value) ? l.value.toFixed(2) : '—'} ${l.unit}${l.goal === undefined ? '' : ` (goal ${l.goal}: ${l.ok === true ? 'met' : 'NOT met'})`}${l.note === undefined ? '' : ` — ${l.note}`}\n`)
}
