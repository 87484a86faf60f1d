/**
 * `hachaos report` over a store of 5,000 drill runs (issue 11 item 3; no root, no lab).
 *
 * The store is generated from the real runs recorded in the keepalived lab (test/fixtures/runs-lab: drop-vrrp,
 * nic-down, kill keepalived TERM, each with all its events): every copy is moved in time (events, metrics and
 * dates shifted together, one drill every 30 minutes back from now), its figures varied by up to ±15 %, and one
 * in a hundred marked "not reverted" (a failing drill). The records are written as an older hachaos wrote them:
 * without summaries, so the first report also builds them ("cold"), the second reads them ("warm").
 *
 * Measured per run of the CLI (a child process): wall time, peak RSS (VmHWM of the child, read at its exit by a
 * preloaded hook: no /usr/bin/time needed), output size. Goals: text < 2 s, HTML < 4 s and < 5 MB.
 *   HACHAOS_BENCH_ONLY=report node dist/test/bench/index.js   (this section only)
 *   node dist/test/bench/report.js [N]          (the same, with N runs)
 */
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {DrillRun, FailoverMetrics} from '../../src/store/run-types.js'
import {BIN} from '../helpers/cli.js'
import {rng} from '../helpers/rng.js'

export const LAB_RUNS = fileURLToPath(new URL('../../../test/fixtures/runs-lab', import.meta.url))

import type {BenchLine} from './bond.js'

export type {BenchLine}


export function labRuns(): DrillRun[] {
  return readdirSync(LAB_RUNS)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(LAB_RUNS, f), 'utf8')) as DrillRun)
}

/** `n` runs in `dir` (hachaos.run/1 records without summaries), the last one starting about now. */
export function generateStore(dir: string, n: number, nowMs = Date.now()): {bytes: number; failing: number} {
  mkdirSync(dir, {recursive: true})
  const bases = labRuns().filter((r) => r.reverted) // the failing ones are made below, one in a hundred
  const rand = rng(11)
  let bytes = 0
  let failing = 0
  for (let i = 0; i < n; i++) {
    const base = bases[i % bases.length] as DrillRun
    const startMs = nowMs - (n - i) * 30 * 60_000
    const shiftUs = (startMs - Date.parse(base.startedAt)) * 1000
    const k = 0.85 + 0.3 * rand()
    const vary = (v: number | null): number | null => (v === null ? null : Math.round(v * k * 1000) / 1000)
    const m: FailoverMetrics = {
      ...base.metrics,
      faultAtUs: base.metrics.faultAtUs + shiftUs,
      revertAtUs: base.metrics.revertAtUs === null ? null : base.metrics.revertAtUs + shiftUs,
      takeoverMs: vary(base.metrics.takeoverMs),
      takeoverFromLastAdvertMs: vary(base.metrics.takeoverFromLastAdvertMs),
      garpMs: vary(base.metrics.garpMs),
      outageMs: vary(base.metrics.outageMs),
      failbackMs: vary(base.metrics.failbackMs),
      failbackOutageMs: vary(base.metrics.failbackOutageMs),
    }
    const notReverted = i % 100 === 57
    if (notReverted) failing++
    const ts = new Date(startMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
    const run: DrillRun = {
      ...base,
      id: `${ts}-${base.target}-${base.fault.kind}-${i.toString(16).padStart(4, '0')}`,
      startedAt: new Date(startMs).toISOString(),
      endedAt: new Date(startMs + Date.parse(base.endedAt) - Date.parse(base.startedAt)).toISOString(),
      metrics: m,
      splitBrain: base.splitBrain.map((s) => ({...s, startUs: s.startUs + shiftUs, endUs: s.endUs + shiftUs})),
      reverted: !notReverted,
      revertError: notReverted ? 'ssh: connect to host lb1 port 22: Connection timed out (generated)' : null,
      events: base.events.map((e) => ({...e, t: e.t + shiftUs})),
    }
    delete run.judgedBy // as an older hachaos wrote it: the report infers what the verdict needs
    const text = `${JSON.stringify(run)}\n`
    bytes += Buffer.byteLength(text)
    writeFileSync(join(dir, `${run.id}.json`), text)
  }
  return {bytes, failing}
}

/** Prints the child's peak RSS (VmHWM, kB) on stderr when it exits. */
const HWM_HOOK = `process.on('exit', () => { try { const s = require('fs').readFileSync('/proc/self/status', 'utf8'); const m = /VmHWM:\\s+(\\d+)/.exec(s); const c = process.cpuUsage(); process.stderr.write('\\nBENCH_VMHWM_KB ' + (m ? m[1] : '0') + ' BENCH_CPU_US ' + (c.user + c.system) + '\\n') } catch {} })\n`

function timeReport(hook: string, args: string[]): {wallMs: number; cpuMs: number; rssMb: number; code: number | null; stderr: string} {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, ['--require', hook, BIN, 'report', ...args], {encoding: 'utf8', maxBuffer: 256 * 1024 * 1024})
  const wallMs = performance.now() - t0
  const kb = Number(/BENCH_VMHWM_KB (\d+)/.exec(r.stderr)?.[1] ?? 0)
  const cpuUs = Number(/BENCH_CPU_US (\d+)/.exec(r.stderr)?.[1] ?? 0)
  return {wallMs, cpuMs: cpuUs / 1000, rssMb: kb / 1024, code: r.status, stderr: r.stderr}
}

export async function benchReport(n = 5000): Promise<BenchLine[]> {
  const work = mkdtempSync(join(tmpdir(), 'hachaos-bench-report-'))
  const out: BenchLine[] = []
  try {
    const store = join(work, 'runs')
    const hook = join(work, 'hwm.cjs')
    writeFileSync(hook, HWM_HOOK)
    const t0 = performance.now()
    const g = generateStore(store, n)
    process.stderr.write(`bench report: ${n} runs, ${(g.bytes / 1e6).toFixed(0)} MB, ${g.failing} failing, generated in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`)
    const run = (label: string, format: string, goalS: number | null): void => {
      const file = join(work, `report.${format}`)
      const r = timeReport(hook, ['--store', store, '--format', format, '-o', file, '--exit-zero', '-q'])
      if (r.code !== 0) throw new Error(`report ${format} exited ${r.code}: ${r.stderr.slice(-500)}`)
      const size = statSync(file).size
      const s = r.wallMs / 1000
      out.push({name: `report ${label}, ${n} runs: wall time`, value: s, unit: 's', ...(goalS === null ? {note: 'builds the summaries of an old store once'} : {goal: `< ${goalS} s`, ok: s < goalS})})
      out.push({name: `report ${label}, ${n} runs: CPU time (user + system)`, value: r.cpuMs / 1000, unit: 's', note: 'less sensitive than wall time to other load on the machine'})
      out.push({name: `report ${label}, ${n} runs: peak RSS`, value: r.rssMb, unit: 'MB'})
      if (format === 'html') out.push({name: `report ${label}, ${n} runs: HTML size`, value: size / 1e6, unit: 'MB', goal: '< 5 MB', ok: size < 5e6})
      else out.push({name: `report ${label}, ${n} runs: output size`, value: size / 1e6, unit: 'MB'})
    }
    run('text (cold: old store, no summaries)', 'text', null)
    run('text (warm)', 'text', 2)
    run('html (warm)', 'html', 4)
  } finally {
    rmSync(work, {recursive: true, force: true})
  }
  return out
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const n = Number(process.argv[2] ?? 5000)
  for (const l of await benchReport(n)) {
    process.stdout.write(`${l.name.padEnd(58)} ${l.value.toFixed(3).padStart(9)} ${l.unit.padEnd(3)} ${l.goal ?? ''} ${l.ok === undefined ? (l.note ?? '') : l.ok ? 'met' : 'NOT met'}\n`)
  }
}
