/**
 * The game day runner (`hachaos run`): the plan's steps in order, each drill through the same path as
 * `hachaos failover` — the drill's locks (src/drill/drill-lock.ts), the stack's prepareDrill
 * (src/stacks/registry.ts), the drill engine (src/drill/engine.ts: steady state, journal, inject, hold,
 * revert in `finally`, failback) and the run store, where the record carries the game day's id. Around the
 * steps, as Pacemaker's CTS audits its cluster after every test: the lab audit (src/lab/audit.ts, the one the
 * crash-safety tests use) before the first step and after every step. A failed audit stops the plan unless the
 * step says `continue_on: audit`. The stop conditions (src/gameday/stop.ts) are evaluated after every drill
 * and, for the time limit and the external check, during the steps too: hitting one aborts the open drill
 * (its fault is reverted at once by the engine) and ends the plan with the reason. Progress is journaled in
 * $HACHAOS_HOME/plans (src/gameday/record.ts) for `recover` and `run --resume`.
 */
import {mkdirSync} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'

import {makeTcpdumpCapture} from '../drill/capture-source.js'
import {drillLocks, hostLockKey} from '../drill/drill-lock.js'
import {runDrill} from '../drill/engine.js'
import type {DrillOptions} from '../drill/options.js'
import {ExitCode, HachaosError, errorMessage, isHachaosError} from '../errors.js'
import {LocalExecutor} from '../exec/local.js'
import type {Executor} from '../exec/types.js'
import type {LabStepContext, LabStepSpec} from '../drill/step-kind.js'
import {showPlan, type ShownAction} from '../fault/display.js'
import type {FaultEnv, FaultPlan} from '../fault/types.js'
import {executorFor, findHost, hostsWithRole, loadInventory, type Inventory, type InventoryHost} from '../inventory/inventory.js'
import {resolveInventory} from '../inventory/resolve.js'
import {auditLab} from '../lab/audit.js'
import {labStepKind} from '../lab/registry.js'
import {parseObjective} from '../sla/nines.js'
import {drillLockKeys, prepareDrill} from '../stacks/registry.js'
import {openEntries} from '../store/journal.js'
import {runsDir} from '../store/paths.js'
import {measuredFor} from '../store/run-metrics.js'
import type {DrillRun} from '../store/run-types.js'
import {newRunId, saveRun} from '../store/runs.js'
import {storeWrite} from '../store/store-error.js'
import {sleep} from '../time.js'
import type {CheckStep, DrillStep, GameDayPlan, LabStep, PlanStep} from './plan.js'
import {stepText} from './plan.js'
import {emptyResult, GAMEDAY_SCHEMA, loadRecord, newGameDayId, ownerAlive, recordFile, resumable, resumeFrom, saveRecord, type AuditSummary, type GameDayRecord, type StepResult} from './record.js'
import {drawSoak, freshSeed, type FaultInfo} from './soak.js'
import {burnOf, budgetSharePct, monthlyBudgetMs, stopAfterDrill, timeLimitHit, type StopReason} from './stop.js'
import {scoreOf, soakSummary, type GameDayScore, type SoakFaultSummary} from './summary.js'

/** What the command wires in (the fault registry lives in chaos/, which src never imports). */
export interface GameDayDeps {
  planFault: (kind: string, params: Record<string, unknown>, env: FaultEnv) => Promise<FaultPlan>
  faults: readonly FaultInfo[]
  hachaosArgv: (h: InventoryHost) => string[]
  progress: (m: string) => void
  warn: (m: string) => void
  /** SIGINT/SIGTERM: the open drill reverts at once, the game day ends as interrupted (resumable). */
  signal: AbortSignal
}

export interface GameDayRunOptions {
  plan: GameDayPlan
  /** --inventory (over the plan's). */
  inventory?: string
  dryRun: boolean
  /** --seed when the plan's soak has none. */
  seed?: number
  /** --resume ID: continue that game day (the plan is the recorded one). */
  resume?: string
}

export interface DryRunStep {
  index: number
  text: string
  kind: PlanStep['kind']
  summary: string | null
  prediction: string | null
  inject: ShownAction[]
  revert: ShownAction[]
  warnings: string[]
  /** Dry run: why this step could not be planned from the hosts' state now (earlier steps change it), else null. */
  error: string | null
}

export interface GameDayResult {
  id: string | null
  name: string
  dryRun: boolean
  state: GameDayRecord['state'] | 'dry-run'
  seed: number | null
  inventory: string | null
  steps: PlanStep[]
  results: StepResult[]
  audits: AuditSummary[]
  stopReason: StopReason | null
  score: GameDayScore
  budget: {slo: string; burnMs: number; budgetMs: number; sharePct: number}
  soak: SoakFaultSummary[]
  /** The record ($HACHAOS_HOME/plans/ID.json), null in a dry run. */
  record: string | null
  dryRunSteps: DryRunStep[]
  resumedFrom: number | null
}

function firstTarget(plan: GameDayPlan, steps: PlanStep[]): string | undefined {
  const d = steps.find((s): s is DrillStep | LabStep => s.kind === 'drill' || s.kind === 'lab')
  return d?.target ?? plan.soak?.targets?.[0]
}

async function inventoryFor(plan: GameDayPlan, steps: PlanStep[], flag: string | undefined): Promise<Inventory> {
  if (flag !== undefined) return loadInventory(flag)
  if (plan.inventory !== null && plan.inventory !== 'lab') return loadInventory(plan.inventory)
  // `lab` or nothing: as `failover` does ($HACHAOS_INVENTORY, else the lab that is up with the first target)
  return resolveInventory(undefined, firstTarget(plan, steps))
}

function drillOptions(step: DrillStep, inv: Inventory, runId: string, deps: GameDayDeps, pcapPath: string | undefined): DrillOptions {
  return {
    inventory: inv,
    target: step.target,
    planFault: (env) => deps.planFault(step.fault, step.params, env),
    holdMs: step.holdMs,
    ratePerS: step.rate,
    probeTimeoutMs: step.probeTimeoutMs,
    force: false,
    toleranceMs: step.toleranceMs,
    maxOutageMs: step.maxOutageMs,
    hachaosArgv: deps.hachaosArgv,
    makeCapture: makeTcpdumpCapture,
    ...(pcapPath === undefined ? {} : {pcapPath}),
    runId,
  }
}

/** The check's host: `from`, else the inventory's client, else this machine. */
function checkExecutor(inv: Inventory, from: string | null): Executor {
  if (from !== null) return executorFor(findHost(inv, from))
  const client = hostsWithRole(inv, 'client')[0]
  return client === undefined ? new LocalExecutor() : executorFor(client)
}

/** An HTTP check (curl, from the check's host): null when it answered `expect`, else what went wrong. */
export async function httpCheck(inv: Inventory, url: string, expect: number, from: string | null, timeoutMs: number): Promise<{status: number | null; problem: string | null}> {
  const ex = checkExecutor(inv, from)
  try {
    const r = await ex.run(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-m', String(Math.max(0.1, timeoutMs / 1000)), url], {timeoutMs: timeoutMs + 3000})
    const status = Number(r.stdout.trim())
    if (Number.isFinite(status) && status === expect) return {status, problem: null}
    return {status: Number.isFinite(status) && status > 0 ? status : null, problem: `${url} answered ${r.stdout.trim() || `nothing (curl exit ${String(r.code ?? r.signal)})`} from ${ex.host}, expected ${expect}`}
  } catch (e) {
    return {status: null, problem: `${url} from ${ex.host}: ${errorMessage(e)}`}
  }
}

/** The plan's external check (stop_when http / command): null when it passes. */
async function externalCheck(plan: GameDayPlan, inv: Inventory): Promise<string | null> {
  const s = plan.stop
  if (s.http !== null) {
    const r = await httpCheck(inv, s.http.url, s.http.expect, s.http.from, s.checkTimeoutMs ?? 2000)
    if (r.problem !== null) return `external check: ${r.problem}`
  }
  if (s.command !== null) {
    try {
      const r = await new LocalExecutor().run(s.command, {timeoutMs: s.checkTimeoutMs ?? 10_000})
      if (r.code !== 0) return `external check: \`${s.command.join(' ')}\` exited ${String(r.code ?? r.signal)}${r.stderr.trim() === '' ? '' : ` (${r.stderr.trim().slice(0, 200)})`}`
    } catch (e) {
      return `external check: \`${s.command.join(' ')}\`: ${errorMessage(e)}`
    }
  }
  return null
}

export async function runGameDay(o: GameDayRunOptions, deps: GameDayDeps): Promise<GameDayResult> {
  const t0 = Date.now()
  let rec: GameDayRecord
  let inv: Inventory
  let start = 0
  let resumedFrom: number | null = null
  if (o.resume !== undefined) {
    rec = loadRecord(o.resume)
    if (!resumable(rec)) {
      const why = ownerAlive(rec) && rec.state === 'running' ? `it is running (PID ${rec.pid})` : rec.results.every((x) => x.status === 'done') ? 'every step has run' : `it ended as ${rec.state}${rec.stopReason === null ? '' : ` (${rec.stopReason.text})`}`
      throw new HachaosError(`game day ${rec.id} cannot be resumed: ${why}`, {code: 'E_NOT_RESUMABLE', exit: ownerAlive(rec) ? 'BUSY' : 'USAGE', suggestions: ['hachaos recover lists the resumable game days', `hachaos report --plan ${rec.id}`]})
    }
    const runIds = new Set(rec.results.flatMap((x) => (x.runId === null ? [] : [x.runId])))
    const open = openEntries().entries.filter((e) => runIds.has(e.runId))
    if (open.length > 0) {
      throw new HachaosError(`game day ${rec.id}: a drill it started is still open in the fault journal (${open.map((e) => e.plan.summary).join('; ')})`, {code: 'E_RECOVER_FIRST', exit: 'CONFLICT', suggestions: ['hachaos recover (reverts it), then hachaos run --resume again']})
    }
    inv = rec.inventory === null ? await inventoryFor(rec.plan, rec.steps, undefined) : await loadInventory(rec.inventory)
    start = resumeFrom(rec)
    resumedFrom = start + 1
    rec.pid = process.pid
    rec.machine = hostname()
    rec.state = 'running'
    rec.stopReason = null
    rec.endedAt = null
    rec.resumes += 1
    for (let i = start; i < rec.results.length; i++) rec.results[i] = emptyResult(i)
  } else {
    const plan = o.plan
    let steps: PlanStep[] = [...plan.steps]
    inv = await inventoryFor(plan, steps, o.inventory)
    let seed: number | null = null
    if (plan.soak !== null) {
      const drawn = drawSoak({
        spec: plan.soak,
        seed: o.seed ?? freshSeed(),
        inventory: inv,
        faults: deps.faults,
        defaultTargets: plan.steps.flatMap((s) => (s.kind === 'drill' || s.kind === 'lab' ? [s.target] : [])),
        defaults: plan.defaults,
      })
      seed = drawn.seed
      steps = [...steps, ...drawn.steps]
      deps.progress(`soak: ${plan.soak.count} drills drawn with seed ${seed} (replay: --seed ${seed})`)
    }
    const objective = parseObjective(plan.slo)
    const now = new Date().toISOString()
    rec = {
      schema: GAMEDAY_SCHEMA,
      id: newGameDayId(plan.name),
      name: plan.name,
      planFile: plan.file,
      pid: process.pid,
      machine: hostname(),
      startedAt: now,
      updatedAt: now,
      endedAt: null,
      state: 'running',
      inventory: inv.file === '<memory>' ? null : inv.file,
      lab: inv.lab === undefined ? null : {topology: inv.lab.topology, prefix: inv.lab.prefix},
      slo: plan.slo,
      availability: objective.availability,
      seed,
      plan,
      steps,
      results: steps.map((_, i) => emptyResult(i)),
      audits: [],
      stopReason: null,
      burnMs: 0,
      budgetMs: monthlyBudgetMs(objective.availability),
      resumes: 0,
    }
  }
  checkFaultKinds(rec.steps, deps.faults, rec.planFile)
  if (o.dryRun) return dryRun(rec, inv, deps)
  saveRecord(rec)
  const file = recordFile(rec.id)
  deps.progress(`game day ${rec.id}: ${rec.steps.length} step(s)${resumedFrom === null ? '' : `, resuming at step ${resumedFrom}`} (journal ${file})`)
  try {
    await runSteps(rec, inv, start, t0, deps)
  } catch (e) {
    rec.state = deps.signal.aborted ? 'interrupted' : 'failed'
    rec.stopReason ??= {condition: deps.signal.aborted ? 'interrupted' : 'error', step: null, text: errorMessage(e)}
    rec.endedAt = new Date().toISOString()
    saveRecord(rec)
    throw e
  }
  rec.endedAt = new Date().toISOString()
  saveRecord(rec)
  return resultOf(rec, file, [], resumedFrom)
}

/** The result (and report model) of a game day record; file null: a dry run. */
export function resultOf(rec: GameDayRecord, file: string | null, dry: DryRunStep[] = [], resumedFrom: number | null = null): GameDayResult {
  return {
    id: file === null ? null : rec.id,
    name: rec.name,
    dryRun: file === null,
    state: file === null ? 'dry-run' : rec.state,
    seed: rec.seed,
    inventory: rec.inventory,
    steps: rec.steps,
    results: rec.results,
    audits: rec.audits,
    stopReason: rec.stopReason,
    score: scoreOf(rec.steps, rec.results),
    budget: {slo: rec.slo, burnMs: rec.burnMs, budgetMs: rec.budgetMs, sharePct: budgetSharePct(rec.burnMs, rec.availability)},
    soak: soakSummary(rec.steps, rec.results),
    record: file,
    dryRunSteps: dry,
    resumedFrom,
  }
}

/**
 * Every step's exact plan (the fault's real command lines, the prediction), nothing touched. Each drill is
 * planned on the hosts' state now, but the drills before it change that state (a relocated group stays where
 * it went): a later step that cannot be planned now is shown with the reason (`error`, and a warning line),
 * not a failed dry run. The first drill's error, and any that is not a HachaosError, still fails it.
 */
async function dryRun(rec: GameDayRecord, inv: Inventory, deps: GameDayDeps): Promise<GameDayResult> {
  const out: DryRunStep[] = []
  let drills = 0
  for (const [i, s] of rec.steps.entries()) {
    if (s.kind === 'lab') {
      drills++
      try {
        const p = await labStepKind(s.key).plan(labSpec(s), labContext(inv, deps, null, deps.signal))
        out.push({index: i + 1, text: stepText(s), kind: 'lab', summary: p.summary, prediction: p.prediction, inject: p.inject, revert: p.revert, warnings: p.warnings, error: null})
      } catch (e) {
        if (drills === 1 || !isHachaosError(e)) throw e
        out.push({index: i + 1, text: stepText(s), kind: 'lab', summary: null, prediction: null, inject: [], revert: [], warnings: [`not planned from the hosts' state now (the steps before it change it): ${e.message}`], error: e.message})
      }
      continue
    }
    if (s.kind !== 'drill') {
      out.push({index: i + 1, text: stepText(s), kind: s.kind, summary: null, prediction: null, inject: [], revert: [], warnings: [], error: null})
      continue
    }
    drills++
    try {
      const prepared = await prepareDrill(drillOptions(s, inv, `dry-run-${i + 1}`, deps, undefined))
      const shown = await showPlan(prepared.plan)
      out.push({index: i + 1, text: stepText(s), kind: 'drill', summary: prepared.plan.summary, prediction: prepared.prediction.formula, inject: shown.inject, revert: shown.revert, warnings: [...prepared.spec.warnings, ...prepared.plan.warnings], error: null})
    } catch (e) {
      if (drills === 1 || !isHachaosError(e)) throw e
      const why = `not planned from the hosts' state now (the steps before it change it): ${e.message}`
      out.push({index: i + 1, text: stepText(s), kind: 'drill', summary: null, prediction: null, inject: [], revert: [], warnings: [why], error: e.message})
    }
  }
  return resultOf(rec, null, out, null)
}

/** Before anything runs (or is planned): every drill names a fault the registry has. */
function checkFaultKinds(steps: readonly PlanStep[], faults: readonly FaultInfo[], file: string | null): void {
  for (const [i, s] of steps.entries()) {
    if (s.kind === 'drill' && !faults.some((f) => f.kind === s.fault)) {
      throw new HachaosError(`step ${i + 1} (${s.name}): no fault "${s.fault}"`, {code: 'E_USAGE', exit: 'USAGE', where: file ?? '', suggestions: [`faults: ${faults.map((f) => f.kind).join(', ')}`]})
    }
  }
}

async function audit(rec: GameDayRecord, inv: Inventory, after: number, deps: GameDayDeps): Promise<AuditSummary> {
  if (!rec.plan.audit) return {after, clean: true, skipped: 'audit: false in the plan', findings: [], waitedMs: 0}
  if (inv.lab === undefined) return {after, clean: true, skipped: 'the audit checks a built-in lab; this inventory is not one', findings: [], waitedMs: 0}
  deps.progress(after === 0 ? 'audit before the first step' : `audit after step ${after}`)
  // A stale lock of some other, dead drill (not one of this game day's) is no leftover of ours, and the next
  // drill takes it over (src/drill/drill-lock.ts): not counted.
  const ours = new Set(rec.results.flatMap((x) => (x.runId === null ? [] : [x.runId])))
  const a = await auditLab({topology: inv.lab.topology, prefix: inv.lab.prefix, settleMs: rec.plan.auditSettleMs, ignoreStaleLock: (h) => !ours.has(h.runId)})
  const findings = a.findings
  return {after, clean: findings.length === 0, skipped: null, findings, waitedMs: a.waitedMs}
}

async function runSteps(rec: GameDayRecord, inv: Inventory, start: number, t0: number, deps: GameDayDeps): Promise<void> {
  const plan = rec.plan
  const n = rec.steps.length
  const stopWith = (r: StopReason): void => {
    rec.stopReason = r
    rec.state = r.condition === 'interrupted' ? 'interrupted' : 'stopped'
  }
  const before = await audit(rec, inv, start, deps)
  rec.audits.push(before)
  saveRecord(rec)
  if (!before.clean) {
    stopWith({condition: 'audit', step: start === 0 ? null : start, text: `the audit before ${start === 0 ? 'the first step' : `step ${start + 1}`} found: ${before.findings.map((f) => `${f.kind}${f.host === null ? '' : `@${f.host}`}: ${f.detail}`).join('; ')}`})
    return
  }
  for (let i = start; i < n; i++) {
    if (deps.signal.aborted) {
      stopWith({condition: 'interrupted', step: i, text: `interrupted before step ${i + 1}`})
      return
    }
    const limit = timeLimitHit(plan.stop, i, Date.now() - t0)
    if (limit !== null) return stopWith(limit)
    const ext = await externalCheck(plan, inv)
    if (ext !== null) return stopWith({condition: 'external_check', step: i === 0 ? null : i, text: ext})
    const step = rec.steps[i] as PlanStep
    const res = rec.results[i] as StepResult
    res.status = 'running'
    res.startedAt = new Date().toISOString()
    saveRecord(rec)
    deps.progress(`step ${i + 1}/${n}: ${stepText(step)}`)

    // The step's own abort: the user's signal, the time limit, or the external check failing meanwhile.
    const ac = new AbortController()
    let during: StopReason | null = null
    const onUser = (): void => ac.abort()
    deps.signal.addEventListener('abort', onUser, {once: true})
    const timers: NodeJS.Timeout[] = []
    if (plan.stop.timeLimitMs !== null) {
      timers.push(
        setTimeout(() => {
          during = timeLimitHit(plan.stop, i + 1, Date.now() - t0)
          ac.abort()
        }, Math.max(0, plan.stop.timeLimitMs - (Date.now() - t0) + 1)),
      )
    }
    let watching = plan.stop.http !== null || plan.stop.command !== null
    const watcher = (async (): Promise<void> => {
      while (watching && !ac.signal.aborted) {
        await sleep(plan.stop.checkEveryMs, ac.signal).catch(() => undefined)
        if (!watching || ac.signal.aborted) return
        const p = await externalCheck(plan, inv)
        if (p !== null && watching) {
          during = {condition: 'external_check', step: i + 1, text: `step ${i + 1}: ${p}`}
          ac.abort()
        }
      }
    })()
    try {
      if (step.kind === 'drill') await drillStep(rec, inv, step, i, res, ac.signal, deps)
      else if (step.kind === 'lab') await labStep(rec, inv, step, i, res, ac.signal, deps)
      else if (step.kind === 'pause') {
        await sleep(step.ms, ac.signal).catch(() => undefined)
        res.gatePassed = null
      } else await checkStep(inv, step, res)
      res.status = ac.signal.aborted ? 'interrupted' : 'done'
    } catch (e) {
      res.status = ac.signal.aborted ? 'interrupted' : 'error'
      res.error = errorMessage(e)
      if (isHachaosError(e) && e.exitName === 'REVERT_FAILED') res.reverted = false
      res.gatePassed = false
      deps.warn(`step ${i + 1}: ${res.error}`)
    } finally {
      watching = false
      for (const t of timers) clearTimeout(t)
      deps.signal.removeEventListener('abort', onUser)
      await watcher
    }
    res.endedAt = new Date().toISOString()
    saveRecord(rec)
    if (res.reverted === false) {
      stopWith({condition: 'error', step: i + 1, text: `step ${i + 1}: the fault could not be reverted (run hachaos recover)`})
      return
    }
    if (deps.signal.aborted) return stopWith({condition: 'interrupted', step: i + 1, text: `interrupted during step ${i + 1} (its fault was reverted)`})
    if (during !== null) return stopWith(during)

    const after = await audit(rec, inv, i + 1, deps)
    rec.audits.push(after)
    if (!after.clean && res.gatePassed !== null) {
      res.gatePassed = false
      res.reasons.push(`the audit after the step is not clean (${after.findings.length} finding(s))`)
    }
    saveRecord(rec)
    if (res.status === 'error') return stopWith({condition: 'error', step: i + 1, text: `step ${i + 1}: ${res.error ?? 'error'}`})
    if (!after.clean && !step.continueOnAudit) {
      return stopWith({condition: 'audit', step: i + 1, text: `the audit after step ${i + 1} found: ${after.findings.map((f) => `${f.kind}${f.host === null ? '' : `@${f.host}`}: ${f.detail}`).join('; ')}`})
    }
    if (step.kind === 'lab') {
      const hit = stopAfterDrill(plan.stop, i + 1, {outageMs: res.outageMs, failbackOutageMs: null, splitBrains: 0, splitBrainExpected: false}, rec.burnMs, rec.availability, Date.now() - t0)
      if (hit !== null) return stopWith(hit)
    }
    if (step.kind === 'drill') {
      const hit = stopAfterDrill(
        plan.stop,
        i + 1,
        {outageMs: res.outageMs, failbackOutageMs: res.failbackOutageMs, splitBrains: res.splitBrains, splitBrainExpected: step.splitBrain === true},
        rec.burnMs,
        rec.availability,
        Date.now() - t0,
      )
      if (hit !== null) return stopWith(hit)
    }
  }
  rec.state = 'done'
}

async function checkStep(inv: Inventory, step: CheckStep, res: StepResult): Promise<void> {
  const r = await httpCheck(inv, step.url, step.expect, step.from, step.timeoutMs)
  res.gatePassed = r.problem === null
  res.verdict = r.problem === null ? 'pass' : 'fail'
  res.reasons = [r.problem ?? `${step.url} answered ${step.expect}`]
}

/** One drill, exactly as `hachaos failover` runs it (locks, prepare, engine, run store), tagged with the game day. */
async function drillStep(rec: GameDayRecord, inv: Inventory, step: DrillStep, i: number, res: StepResult, signal: AbortSignal, deps: GameDayDeps): Promise<void> {
  const runId = newRunId(step.target, step.fault)
  res.runId = runId
  saveRecord(rec)
  storeWrite(runsDir(), 'the run store directory', () => mkdirSync(runsDir(), {recursive: true}))
  const locks = drillLocks(runId, `run (game day ${rec.id}) step ${i + 1}: ${stepText(step)}`, deps.warn)
  locks.acquire(drillLockKeys(inv, findHost(inv, step.target)))
  let run: DrillRun
  try {
    let prepared: Awaited<ReturnType<typeof prepareDrill>>
    try {
      prepared = await prepareDrill(drillOptions(step, inv, runId, deps, join(runsDir(), `${runId}.pcap`)))
    } catch (e) {
      // A soak draws before anything runs; a drill that its stack refuses on the state the steps before it left
      // (a move of a group the target no longer runs) is skipped, as CTS skips a test that is not applicable
      // now: nothing was broken, the step is not scored, the soak goes on. A plan's own step still fails.
      if (step.soak === null || !isHachaosError(e) || e.exitName !== 'USAGE') throw e
      res.runId = null
      res.gatePassed = null
      res.verdict = null
      res.reasons = [`skipped: not applicable on the state now (${e.message})`]
      deps.warn(`step ${i + 1}: ${res.reasons[0] ?? ''}`)
      return
    }
    for (const w of prepared.spec.warnings) deps.warn(w)
    const touched = new Set(prepared.spec.hosts.map((h) => h.name))
    locks.acquire(inv.hosts.filter((h) => touched.has(h.name)).map((h) => hostLockKey(inv, h)))
    if (signal.aborted) throw new HachaosError('interrupted before the drill started: nothing was broken', {code: 'E_INTERRUPTED', exit: 'INTERRUPTED'})
    run = await runDrill(prepared.spec, {onProgress: (m) => deps.progress(`  ${m}`), signal, locks: locks.keys})
  } finally {
    locks.release()
  }
  run.plan = {id: rec.id, step: i + 1, name: step.name}
  storeWrite(join(runsDir(), `${run.id}.json`), 'the run record', () => saveRun(run))
  const m = run.metrics
  res.verdict = run.verdict
  res.reasons = [...run.verdictReasons]
  res.metric = run.prediction.metric
  res.measuredMs = measuredFor(run)
  res.predictedMs = run.prediction.takeoverMs
  res.predictedMinMs = run.prediction.minMs
  res.predictedMaxMs = run.prediction.maxMs
  res.outageMs = m.outageMs
  res.failbackOutageMs = m.failbackOutageMs
  res.splitBrains = run.splitBrain.length
  res.reverted = run.reverted
  rec.burnMs += burnOf(m)
  let gate = run.verdict !== 'fail'
  if (step.splitBrain === true && run.splitBrain.length === 0) {
    gate = false
    res.reasons.push('the step expected a split brain and none was seen')
  }
  if (step.splitBrain === false && run.splitBrain.length > 0) {
    gate = false
    res.reasons.push(`the step expected no split brain and ${run.splitBrain.length} was seen`)
  }
  res.gatePassed = gate
}

function labSpec(s: LabStep): LabStepSpec {
  return {key: s.key, host: s.target, action: s.action, params: s.params, trials: s.trials, holdMs: s.holdMs, maxOutageMs: s.maxOutageMs, toleranceMs: s.toleranceMs}
}

function labContext(inv: Inventory, deps: GameDayDeps, tag: LabStepContext['tag'], signal: AbortSignal): LabStepContext {
  return {inventory: inv, planFault: deps.planFault, progress: (m) => deps.progress(`  ${m}`), warn: deps.warn, signal, tag}
}

/**
 * A step of a lab's own kind (src/drill/step-kind.ts: the bond's cable pull, the same trial as `hachaos bond
 * failover`): each trial journaled, reverted and saved in the run store with the game day's tag; the step's
 * figures are its worst trial's, its burn every trial's client outage.
 */
async function labStep(rec: GameDayRecord, inv: Inventory, step: LabStep, i: number, res: StepResult, signal: AbortSignal, deps: GameDayDeps): Promise<void> {
  const o = await labStepKind(step.key).run(labSpec(step), labContext(inv, deps, {id: rec.id, step: i + 1, name: step.name}, signal))
  res.runId = o.runIds[0] ?? null
  res.verdict = o.verdict
  res.reasons = [...o.reasons, ...(o.runIds.length > 1 ? [`runs: ${o.runIds.join(', ')}`] : [])]
  res.metric = o.metric
  res.measuredMs = o.measuredMs
  res.predictedMs = o.predictedMs
  res.predictedMinMs = 0
  res.predictedMaxMs = o.predictedMaxMs
  res.outageMs = o.outageMs
  res.failbackOutageMs = null
  res.splitBrains = 0
  res.reverted = o.reverted
  rec.burnMs += o.burnMs
  for (const w of o.warnings) deps.warn(`step ${i + 1}: ${w}`)
  res.gatePassed = o.verdict !== 'fail'
}

/** One table (src/errors.ts): 0 every gate passed; 7 (FINDINGS) a gate failed or a stop condition ended it; 8 a fault not reverted; 130 interrupted. */
export function gameDayExitCode(r: Pick<GameDayResult, 'dryRun' | 'results' | 'state'>): number {
  if (r.dryRun) return ExitCode.OK
  if (r.results.some((x) => x.reverted === false)) return ExitCode.REVERT_FAILED
  if (r.state === 'interrupted') return ExitCode.INTERRUPTED
  if (r.state === 'stopped' || r.state === 'failed' || r.results.some((x) => x.gatePassed === false)) return ExitCode.FINDINGS
  return ExitCode.OK
}
