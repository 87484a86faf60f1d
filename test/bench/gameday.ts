/**
 * Issue 19's goal: a 10-drill soak on the keepalived lab costs at most 10 % more wall time than the 10 drills'
 * own holds and failovers, planning, audits and bookkeeping included. Measured as the wall time of
 * `hachaos run --soak 10 --seed S --targets lb1,web1` over the sum of the wall times of the same 10 drills (the
 * soak's dry run gives the series) run one by one as `hachaos failover` commands. Between two of those
 * commands the bench waits, off the clock, for the lab audit (src/lab/audit.ts) to be clean and the VIP to be
 * home on lb1 — what the soak's own audits do on its clock. Needs root and the keepalived lab (brought up here
 * and torn down after); run under `flock /work/lab.lock`.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {GameDayResult} from '../../src/gameday/runner.js'
import {auditLab} from '../../src/lab/audit.js'
import {sleep} from '../../src/time.js'
import {cli} from './cli.js'

export interface GameDayBench {
  seed: number
  drills: number
  soakWallMs: number
  soakState: string
  /** Sum of the soak's step durations (startedAt → endedAt): the drills as run inside the game day. */
  soakStepsMs: number
  audits: number
  separateWallMs: number[]
  separateCodes: Array<number | null>
  ratio: number
}



/** Off the clock: the audit clean (≤ 30 s) and lb1 holding the VIP again (≤ 30 s, it preempts). */
async function settled(env: Record<string, string>, prefix: string, journalDir: string): Promise<void> {
  await auditLab({topology: 'keepalived', prefix, journalDir, settleMs: 30_000})
  for (let i = 0; i < 60; i++) {
    const owners = (cli(['lab', 'status', '--json'], env).json as {vipOwners?: string[]} | null)?.vipOwners ?? []
    if (owners.length === 1 && owners[0] === 'lb1') return
    await sleep(500)
  }
}

export async function benchGameDay(seed = 42, count = 10): Promise<GameDayBench> {
  const home = mkdtempSync(join(tmpdir(), 'hachaos-bench-gameday-'))
  const env = {HACHAOS_HOME: home}
  const prefix = process.env['HACHAOS_LAB_PREFIX'] ?? 'hc'
  const soakArgs = ['--soak', String(count), '--seed', String(seed), '--targets', 'lb1,web1']
  try {
    cli(['lab', 'down', '-q'], {})
    const up = cli(['lab', 'up', '--json', '-q'], {})
    if (up.code !== 0) throw new Error(`lab up failed (exit ${String(up.code)}): ${up.stderr.slice(-500)}`)
    const dry = cli(['run', ...soakArgs, '--dry-run', '--json'], env)
    const series = (dry.json as GameDayResult | null)?.steps ?? []
    if (dry.code !== 0 || series.length !== count) throw new Error(`the soak's dry run failed (exit ${String(dry.code)}): ${dry.stderr.slice(-500)}`)

    await settled(env, prefix, join(home, 'journal'))
    const soak = cli(['run', ...soakArgs, '--json'], env)
    const g = soak.json as GameDayResult | null
    if (g === null || g.steps.length !== count) throw new Error(`the soak did not run (exit ${String(soak.code)}): ${soak.stderr.slice(-500)}`)
    const soakStepsMs = g.results.reduce((n, r) => n + (r.startedAt === null || r.endedAt === null ? 0 : Date.parse(r.endedAt) - Date.parse(r.startedAt)), 0)

    const separateWallMs: number[] = []
    const separateCodes: Array<number | null> = []
    for (const s of series) {
      if (s.kind !== 'drill') continue
      await settled(env, prefix, join(home, 'journal'))
      const args = ['failover', '--target', s.target, '--fault', s.fault, ...Object.entries(s.params).flatMap(([k, v]) => ['--param', `${k}=${String(v)}`])]
      if (s.holdMs !== null) args.push('--hold', `${s.holdMs}ms`)
      const r = cli([...args, '--json', '-q'], env)
      separateWallMs.push(r.wallMs)
      separateCodes.push(r.code)
    }
    const sum = separateWallMs.reduce((a, b) => a + b, 0)
    return {seed, drills: count, soakWallMs: soak.wallMs, soakState: g.state, soakStepsMs, audits: g.audits.length, separateWallMs, separateCodes, ratio: soak.wallMs / sum}
  } finally {
    cli(['lab', 'down', '-q'], {})
    rmSync(home, {recursive: true, force: true})
  }
}
