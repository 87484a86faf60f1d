/**
 * CTS-style torture series (issue 12): drills on a lab, each ended by a seeded random signal (KILL, TERM, INT)
 * at a seeded random moment of a seeded random fault, then `hachaos recover`, then the lab audit
 * (src/lab/audit.ts). Shared by the integration tests (short series) and `npm run torture` (long ones).
 * Everything random comes from one seed, printed first: a failure names the seed and the try, and
 * `TORTURE_SEED=… npm run torture` replays it.
 */
import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {auditLab, findingsByKind, type AuditFinding} from '../../src/lab/audit.js'
import {sleep} from '../../src/time.js'
import {BIN, runCli} from './cli.js'
import {rng} from './rng.js'

export {rng}


export interface TortureFault {
  name: string
  /** argv after `hachaos` (without --json). */
  argv: string[]
}

export interface TortureOptions {
  topology: string
  prefix: string
  faults: TortureFault[]
  tries: number
  seed: number
  /** Signal moment range after the drill's start, ms (default 300–9000). */
  minMs?: number
  maxMs?: number
  /** How long the audit waits for the lab to settle after recover (default 45 s). */
  settleMs?: number
  /** Extra argv for `lab up` (a rebuilt lab after a dirty try). */
  labUpArgs?: string[]
  log?: (m: string) => void
}

export interface TortureTry {
  n: number
  fault: string
  signal: 'SIGKILL' | 'SIGTERM' | 'SIGINT'
  atMs: number
  /** The drill's exit (code or signal). */
  exit: string
  /** Whether the drill had already ended by itself before the signal. */
  endedBeforeSignal: boolean
  /**
   * Where the drill was when the signal came, from its journal: before-journal (starting, preparing),
   * planned (observers, steady state), injecting, injected (the fault in place), reverting, failback, ended.
   */
  phase: string
  recoverExit: number | null
  recoverActions: string[]
  clean: boolean
  findings: AuditFinding[]
  durationMs: number
}

export interface TortureSummary {
  topology: string
  seed: number
  tries: TortureTry[]
  clean: number
  /** Audit findings over all tries, by kind. */
  leftBehind: Record<string, number>
}

const SIGNALS = ['SIGKILL', 'SIGTERM', 'SIGINT'] as const

export function describeTry(seed: number, t: TortureTry): string {
  return `seed ${seed} try ${t.n}: ${t.fault}, ${t.signal} at ${(t.atMs / 1000).toFixed(2)} s (${t.phase}) → drill ${t.exit}${t.endedBeforeSignal ? ' (ended before the signal)' : ''}, recover ${t.recoverExit ?? '?'} [${t.recoverActions.join(', ') || 'nothing'}], ${t.clean ? 'clean' : `LEFT: ${t.findings.map((f) => `${f.kind}${f.host === null ? '' : `@${f.host}`}: ${f.detail}`).join('; ')}`}`
}

/** One drill, killed at `atMs` by `signal`; resolves with its exit once it is gone. */
function phaseOf(home: string): string {
  const dir = join(home, 'journal')
  let open: string[] = []
  try {
    open = readdirSync(dir).filter((n) => n.endsWith('.json'))
  } catch {
    return 'before-journal'
  }
  const states = open.flatMap((n) => {
    try {
      return [(JSON.parse(readFileSync(join(dir, n), 'utf8')) as {state: string}).state]
    } catch {
      return []
    }
  })
  if (states.length > 0) return states.join('+')
  return existsSync(join(dir, 'done')) && readdirSync(join(dir, 'done')).length > seenDone ? 'ended' : 'before-journal'
}
let seenDone = 0

function killedDrill(argv: string[], env: Record<string, string>, signal: NodeJS.Signals, atMs: number): Promise<{exit: string; endedBeforeSignal: boolean; phase: string}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...argv, '--json'], {env: {...process.env, ...env}, stdio: ['ignore', 'ignore', 'ignore']})
    let ended = false
    let signalled = false
    let phase = 'ended'
    const t = setTimeout(() => {
      if (ended) return
      phase = phaseOf(env['HACHAOS_HOME'] ?? '')
      signalled = true
      child.kill(signal)
    }, atMs)
    // A drill that ignores the signal must not hang the series: SIGKILL after 90 s.
    const hard = setTimeout(() => child.kill('SIGKILL'), atMs + 90_000)
    child.on('exit', (code, sig) => {
      ended = true
      clearTimeout(t)
      clearTimeout(hard)
      resolve({exit: code !== null ? `exit ${code}` : `killed by ${sig ?? '?'}`, endedBeforeSignal: !signalled, phase})
    })
  })
}

export async function tortureSeries(o: TortureOptions): Promise<TortureSummary> {
  const log = o.log ?? ((m: string): void => void process.stderr.write(`${m}\n`))
  const rand = rng(o.seed)
  const minMs = o.minMs ?? 300
  const maxMs = o.maxMs ?? 9000
  const home = mkdtempSync(join(tmpdir(), `hachaos-torture-${o.topology}-`))
  const env = {HACHAOS_HOME: home}
  log(`torture ${o.topology}: seed ${o.seed}, ${o.tries} tries (replay: TORTURE_SEED=${o.seed})`)
  const tries: TortureTry[] = []
  for (let n = 1; n <= o.tries; n++) {
    const fault = o.faults[Math.floor(rand() * o.faults.length)] as TortureFault
    const signal = SIGNALS[Math.floor(rand() * SIGNALS.length)] as (typeof SIGNALS)[number]
    const atMs = Math.round(minMs + rand() * (maxMs - minMs))
    const t0 = Date.now()
    try {
      seenDone = readdirSync(join(home, 'journal', 'done')).length
    } catch {
      seenDone = 0
    }
    const d = await killedDrill(fault.argv, env, signal, atMs)
    const rec = await runCli(['recover', '--json'], {env, timeoutMs: 120_000})
    const actions = ((rec.json as {entries?: Array<{action: string}>} | undefined)?.entries ?? []).map((e) => e.action)
    const audit = await auditLab({topology: o.topology, prefix: o.prefix, journalDir: join(home, 'journal'), settleMs: o.settleMs ?? 45_000})
    const tr: TortureTry = {n, fault: fault.name, signal, atMs, exit: d.exit, endedBeforeSignal: d.endedBeforeSignal, phase: d.phase, recoverExit: rec.code, recoverActions: actions, clean: audit.clean, findings: audit.findings, durationMs: Date.now() - t0}
    tries.push(tr)
    log(describeTry(o.seed, tr))
    if (!audit.clean) {
      // Start the next try from a clean lab: recover whatever is left, rebuild the lab.
      await runCli(['recover', '--force'], {env, timeoutMs: 120_000})
      await runCli(['lab', 'down', '--topology', o.topology], {timeoutMs: 120_000})
      await runCli(['lab', 'up', '--topology', o.topology, ...(o.labUpArgs ?? [])], {timeoutMs: 240_000})
      await sleep(1000)
    }
  }
  const leftBehind = findingsByKind(tries.flatMap((t) => t.findings))
  const clean = tries.filter((t) => t.clean).length
  const phases: Record<string, number> = {}
  for (const t of tries) phases[t.phase] = (phases[t.phase] ?? 0) + 1
  log(`torture ${o.topology}: seed ${o.seed}: ${o.tries} tries, ${clean} clean, left behind by kind: ${JSON.stringify(leftBehind)}; signalled in phase: ${JSON.stringify(phases)}`)
  return {topology: o.topology, seed: o.seed, tries, clean, leftBehind}
}

/** The seed: $TORTURE_SEED, else a fresh one (printed by the series). */
export function tortureSeed(): number {
  const env = process.env['TORTURE_SEED']
  if (env !== undefined && /^\d+$/.test(env)) return Number(env)
  return Math.floor(Math.random() * 2 ** 31)
}

/** Every fault kind of the keepalived stack, including kill --signal STOP (its revert is SIGCONT). */
export const KEEPALIVED_FAULTS: TortureFault[] = [
  {name: 'nic-down lb1', argv: ['failover', '--target', 'lb1', '--fault', 'nic-down']},
  {name: 'kill keepalived TERM', argv: ['failover', '--target', 'lb1', '--fault', 'kill', '--process', 'keepalived', '--signal', 'TERM']},
  {name: 'kill keepalived KILL', argv: ['failover', '--target', 'lb1', '--fault', 'kill', '--process', 'keepalived', '--signal', 'KILL']},
  {name: 'kill keepalived STOP', argv: ['failover', '--target', 'lb1', '--fault', 'kill', '--process', 'keepalived', '--signal', 'STOP', '--hold', '6s']},
  {name: 'kill haproxy', argv: ['failover', '--target', 'lb1', '--fault', 'kill', '--process', 'haproxy']},
  {name: 'service-stop keepalived', argv: ['failover', '--target', 'lb1', '--fault', 'service-stop', '--service', 'keepalived']},
  {name: 'drop-vrrp lb1', argv: ['failover', '--target', 'lb1', '--fault', 'drop-vrrp', '--hold', '6s']},
  {name: 'kill apache2 web1', argv: ['failover', '--target', 'web1', '--fault', 'kill', '--process', 'apache2']},
]

export const PACEMAKER_FAULTS: TortureFault[] = [
  {name: 'cluster-standby n1', argv: ['failover', '--target', 'n1', '--fault', 'cluster-standby']},
  {name: 'cluster-move n1', argv: ['failover', '--target', 'n1', '--fault', 'cluster-move']},
  {name: 'cluster-kill corosync n1', argv: ['failover', '--target', 'n1', '--fault', 'cluster-kill', '--param', 'daemon=corosync']},
  {name: 'cluster-partition n1', argv: ['failover', '--target', 'n1', '--fault', 'cluster-partition', '--hold', '8s']},
]

export const BOND_FAULTS: TortureFault[] = [{name: 'member-down', argv: ['bond', 'failover', '--hold', '3s']}]
