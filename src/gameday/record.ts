/**
 * The game day's journal and record: $HACHAOS_HOME/plans/<id>.json (hachaos.gameday/1), written atomically
 * (src/util/atomic.ts) before the first step and after every change of a step. It holds the resolved steps (a
 * soak's drawn series included), so that after a crash `hachaos recover` reverts the open drill (from the fault
 * journal) and `hachaos run --resume ID` continues from the first step not done, with the same steps. It is
 * also what `hachaos report --plan ID` reads: one result per step, the audits, the stop reason, the budget burn.
 */
import {mkdirSync, readdirSync, readFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'

import {HachaosError} from '../errors.js'
import type {AuditFinding} from '../lab/audit.js'
import {hachaosHome} from '../store/paths.js'
import {storeWrite} from '../store/store-error.js'
import {writeFileAtomic} from '../util/atomic.js'
import type {GameDayPlan, PlanStep} from './plan.js'
import type {StopReason} from './stop.js'

export const GAMEDAY_SCHEMA = 'hachaos.gameday/1' as const

export const plansDir = (): string => join(hachaosHome(), 'plans')

/**
 * running: steps are being run (or the process died: resumable once its PID is gone);
 * interrupted: SIGINT/SIGTERM, the open fault reverted (resumable); stopped: a stop condition or a failed audit
 * ended it (final); done: every step ran; failed: an error outside a step (final).
 */
export type GameDayState = 'running' | 'interrupted' | 'stopped' | 'done' | 'failed'

export interface AuditSummary {
  /** Before step N (1-based): 0 is the audit before the first step; N the audit after step N. */
  after: number
  clean: boolean
  skipped: string | null
  findings: AuditFinding[]
  waitedMs: number
}

export interface StepResult {
  index: number
  status: 'pending' | 'running' | 'done' | 'error' | 'interrupted'
  startedAt: string | null
  endedAt: string | null
  /** The drill's run id in the run store (drill steps). */
  runId: string | null
  /** The drill's verdict (same rules as `failover`), or the check's outcome. */
  verdict: 'pass' | 'warn' | 'fail' | null
  /** The step's gate: verdict not FAIL, split brain as the step expects, the audit after it clean; a check: its status. */
  gatePassed: boolean | null
  reasons: string[]
  /** Measured vs predicted (ms): the figure the prediction is about. */
  measuredMs: number | null
  predictedMs: number | null
  predictedMinMs: number | null
  predictedMaxMs: number | null
  metric: string | null
  outageMs: number | null
  failbackOutageMs: number | null
  splitBrains: number
  reverted: boolean | null
  error: string | null
}

export interface GameDayRecord {
  schema: typeof GAMEDAY_SCHEMA
  id: string
  name: string
  planFile: string | null
  pid: number
  machine: string
  startedAt: string
  updatedAt: string
  endedAt: string | null
  state: GameDayState
  inventory: string | null
  lab: {topology: string; prefix: string} | null
  slo: string
  availability: number
  seed: number | null
  plan: GameDayPlan
  /** The steps as run (the plan's, then the soak's drawn ones). */
  steps: PlanStep[]
  results: StepResult[]
  audits: AuditSummary[]
  stopReason: StopReason | null
  /** Client downtime caused so far (every drill's outage + failback outage), ms, and the monthly budget. */
  burnMs: number
  budgetMs: number
  /** How often it was resumed. */
  resumes: number
}

export function emptyResult(index: number): StepResult {
  return {
    index,
    status: 'pending',
    startedAt: null,
    endedAt: null,
    runId: null,
    verdict: null,
    gatePassed: null,
    reasons: [],
    measuredMs: null,
    predictedMs: null,
    predictedMinMs: null,
    predictedMaxMs: null,
    metric: null,
    outageMs: null,
    failbackOutageMs: null,
    splitBrains: 0,
    reverted: null,
    error: null,
  }
}

/** A file-name safe game day id: gd-20261205T081500Z-keepalived_game_day-3f2a */
export function newGameDayId(name: string, at = new Date()): string {
  const ts = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  return `gd-${ts}-${name.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 30)}-${Math.random().toString(16).slice(2, 6)}`
}

export function recordFile(id: string, dir = plansDir()): string {
  return join(dir, `${id}.json`)
}

export function saveRecord(r: GameDayRecord, dir = plansDir()): void {
  r.updatedAt = new Date().toISOString()
  storeWrite(dir, 'the game day directory', () => mkdirSync(dir, {recursive: true}))
  const file = recordFile(r.id, dir)
  storeWrite(file, 'the game day journal', () => writeFileAtomic(file, `${JSON.stringify(r, null, 2)}\n`, 0o600))
}

export function loadRecord(id: string, dir = plansDir()): GameDayRecord {
  const file = id.endsWith('.json') ? id : recordFile(id, dir)
  let v: Partial<GameDayRecord>
  try {
    v = JSON.parse(readFileSync(file, 'utf8')) as Partial<GameDayRecord>
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT'
    throw new HachaosError(missing ? `no game day ${id} (${file})` : `the game day record ${file} cannot be read: ${(e as Error).message}`, {
      code: missing ? 'E_NO_GAMEDAY' : 'E_PARSE',
      exit: missing ? 'USAGE' : 'BAD_INPUT',
      where: file,
      suggestions: [`the game days: ls ${dir}`, 'hachaos recover lists the resumable ones'],
    })
  }
  if (v.schema !== GAMEDAY_SCHEMA || !Array.isArray(v.steps) || !Array.isArray(v.results)) {
    throw new HachaosError(`${file} is not a ${GAMEDAY_SCHEMA} record`, {code: 'E_PARSE', exit: 'BAD_INPUT', where: file, suggestions: [`move it out of ${dir} if it is not hachaos's`]})
  }
  return v as GameDayRecord
}

/** Is the process that runs this game day still alive (on this machine)? */
export function ownerAlive(r: Pick<GameDayRecord, 'pid' | 'machine'>): boolean {
  if (r.machine !== hostname()) return false
  if (r.pid === process.pid) return true
  try {
    process.kill(r.pid, 0)
    const cmd = readFileSync(`/proc/${r.pid}/cmdline`, 'utf8')
    return cmd.includes('hachaos') || cmd.includes('run.js') || cmd.includes('node')
  } catch {
    return false
  }
}

/** May `run --resume` continue it? Interrupted, or running with its process gone; with steps left. */
export function resumable(r: GameDayRecord): boolean {
  const left = r.results.some((x) => x.status !== 'done')
  return left && (r.state === 'interrupted' || (r.state === 'running' && !ownerAlive(r)))
}

/** The first step to run on resume (0-based): the first not done (a step cut short runs again). */
export function resumeFrom(r: Pick<GameDayRecord, 'results'>): number {
  const i = r.results.findIndex((x) => x.status !== 'done')
  return i < 0 ? r.results.length : i
}

export interface ResumableGameDay {
  id: string
  name: string
  state: GameDayState
  done: number
  steps: number
  next: number
  command: string
}

/** The game days `run --resume` can continue (for `hachaos recover`). Unreadable files are skipped. */
export function resumableGameDays(dir = plansDir()): ResumableGameDay[] {
  let names: string[] = []
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'))
  } catch {
    return []
  }
  const out: ResumableGameDay[] = []
  for (const n of names.sort()) {
    let r: GameDayRecord
    try {
      r = loadRecord(join(dir, n))
    } catch {
      continue
    }
    if (!resumable(r)) continue
    const next = resumeFrom(r)
    out.push({id: r.id, name: r.name, state: r.state, done: r.results.filter((x) => x.status === 'done').length, steps: r.steps.length, next: next + 1, command: `hachaos run --resume ${r.id}`})
  }
  return out
}
