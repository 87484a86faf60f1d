/**
 * One verdict model for a drill: PASS / WARN / FAIL with reasons. The drill (`hachaos failover`, via judge() in
 * src/drill/engine.ts), the report (per drill and overall), JUnit (a testcase fails exactly when its drill's
 * verdict is FAIL) and the exit codes all use these functions; nothing else decides a verdict.
 *
 * Rules (README "Verdicts"):
 *   FAIL  the fault was not reverted; a split brain that the fault was not meant to cause (every fault except
 *         drop-vrrp, whose point is to show the split brain); the client outage (or the failback's) over
 *         --max-outage, or not measured while --max-outage is set; the figure the prediction is about was not
 *         observed at all for a fault that must move the VIP (VRRP faults, a backend loss).
 *   WARN  the measured figure is outside the prediction ± tolerance; the figure was not observed for other
 *         faults; the split brain of a drop-vrrp drill; the drill was interrupted; no client outage measured.
 *   PASS  otherwise.
 * Exit codes: PASS 0, WARN 0 (a result to read, not a gate: the verdict is printed and in --json), FAIL 7;
 * a fault not reverted is 8 for the drill itself. One table: exitCodeFor() / drillExitCode().
 */
import {ExitCode} from '../errors.js'
import {measuredFor, metricLabel} from './run-metrics.js'
import type {DrillRun, FailoverMetrics, Prediction, SplitBrainFinding} from './run-types.js'

export type Verdict = 'pass' | 'warn' | 'fail'

export type ReasonCode =
  | 'revert-failed'
  | 'interrupted'
  | 'not-observed'
  | 'off-prediction'
  | 'as-predicted'
  | 'split-brain'
  | 'split-brain-expected'
  | 'max-outage'
  | 'outage-unmeasured'

export interface VerdictReason {
  /** fail and warn reasons decide the verdict; info reasons only explain it. */
  level: 'fail' | 'warn' | 'info'
  code: ReasonCode
  text: string
}

export interface Judgement {
  verdict: Verdict
  /** Worst first: fail, then warn, then info. */
  reasons: VerdictReason[]
}

/** Measured vs predicted tolerance when a record does not say (the default of `failover --tolerance`). */
export const DEFAULT_TOLERANCE_MS = 100

/** Fault effects after which the VIP must move (the VRRP ones) or a backend must be ejected. */
const MUST_MOVE = new Set(['node-loss', 'graceful-stop', 'service-loss', 'advert-loss', 'backend-loss'])

export interface VerdictInput {
  prediction: Prediction
  metrics: FailoverMetrics
  splitBrain: readonly SplitBrainFinding[]
  reverted: boolean
  revertError: string | null
  interrupted: boolean
  /** The fault's effect (src/fault/types.ts FaultEffect), null when unknown. */
  effect: string | null
  /**
   * The stack says the predicted figure must be seen after this fault (StackHooks.mustObserve): not seeing it is
   * a FAIL, else a WARN. Absent (older records): the VIP-moving and backend-loss effects must be seen.
   */
  mustObserve?: boolean
  toleranceMs: number
  /** Per-event allowance for the client outage (ms), null: none. */
  maxOutageMs: number | null
}

const s3 = (ms: number): string => `${(ms / 1000).toFixed(3)} s`
const ms1 = (ms: number): string => `${ms.toFixed(1)} ms`

/** "3609.4 ms" or "2609.4–3609.4 ms" (never a degenerate "x–x" range). */
function range(lo: number, hi: number): string {
  return Math.abs(hi - lo) < 0.05 ? ms1(hi) : `${lo.toFixed(1)}–${ms1(hi)}`
}

const RANK: Record<VerdictReason['level'], number> = {fail: 0, warn: 1, info: 2}

/** The worst level among the reasons (info counts as pass). */
export function verdictOf(reasons: readonly VerdictReason[]): Verdict {
  if (reasons.some((r) => r.level === 'fail')) return 'fail'
  if (reasons.some((r) => r.level === 'warn')) return 'warn'
  return 'pass'
}

/** The one verdict function: pure, a drill's facts in, {verdict, reasons} out. */
export function judge(i: VerdictInput): Judgement {
  const reasons: VerdictReason[] = []
  const add = (level: VerdictReason['level'], code: ReasonCode, text: string): void => {
    reasons.push({level, code, text})
  }
  const m = i.metrics
  if (!i.reverted) add('fail', 'revert-failed', `the fault was not reverted: ${i.revertError ?? 'unknown'} — run hachaos recover`)
  if (i.interrupted) add('warn', 'interrupted', 'interrupted: the fault was reverted early')
  const p = i.prediction
  if (p.takeoverMs !== null) {
    const label = metricLabel(typeof p.metric === 'string' && p.metric !== '' ? p.metric : 'takeoverMs')
    const measured = measuredFor({prediction: p, metrics: m})
    const lo = p.minMs ?? p.takeoverMs
    const hi = p.maxMs ?? p.takeoverMs
    if (measured === null) {
      add((i.mustObserve ?? (i.effect !== null && MUST_MOVE.has(i.effect))) ? 'fail' : 'warn', 'not-observed', `${label} was not observed (predicted ${range(lo, hi)})`)
    } else if (measured < lo - i.toleranceMs || measured > hi + i.toleranceMs) {
      add('warn', 'off-prediction', `${label} ${ms1(measured)} is outside the prediction ${range(lo, hi)} ± ${i.toleranceMs} ms`)
    } else {
      add('info', 'as-predicted', `${label} ${ms1(measured)} matches the prediction ${range(lo, hi)} ± ${i.toleranceMs} ms`)
    }
  }
  for (const s of i.splitBrain) {
    const text = `split brain (${s.kind}) for ${(s.durationMs / 1000).toFixed(2)} s: ${s.parties.join(' and ')}`
    if (i.effect === 'advert-loss') add('warn', 'split-brain-expected', `${text} (expected: dropping the adverts makes both nodes master)`)
    else add('fail', 'split-brain', text)
  }
  if (i.maxOutageMs !== null) {
    if (m.outageMs === null) add('fail', 'max-outage', `client outage not measured (no probes): cannot be checked against --max-outage ${s3(i.maxOutageMs)}`)
    else if (m.outageMs > i.maxOutageMs) add('fail', 'max-outage', `client outage ${s3(m.outageMs)} exceeds --max-outage ${s3(i.maxOutageMs)}`)
    if (m.failbackOutageMs !== null && m.failbackOutageMs > i.maxOutageMs) add('fail', 'max-outage', `failback client outage ${s3(m.failbackOutageMs)} exceeds --max-outage ${s3(i.maxOutageMs)}`)
  } else if (m.outageMs === null) {
    add('warn', 'outage-unmeasured', 'client outage not measured (no probes)')
  }
  reasons.sort((a, b) => RANK[a.level] - RANK[b.level])
  return {verdict: verdictOf(reasons), reasons}
}

/** What a stored run was judged against; records written before `judgedBy` existed get it inferred. */
export type JudgedBy = NonNullable<DrillRun['judgedBy']>

/**
 * The fault effect of an older record, from its kind and parameters (newer records store it in judgedBy).
 * Only what the rules need: advert-loss, and whether the VIP or a backend must move.
 */
export function inferEffect(run: Pick<DrillRun, 'fault' | 'metrics'>): string | null {
  const kind = run.fault.kind
  const p = run.fault.params
  const proc = typeof p['process'] === 'string' ? p['process'] : typeof p['service'] === 'string' ? p['service'] : ''
  if (kind === 'drop-vrrp' || kind === 'vrrp-drop') return 'advert-loss'
  if (kind === 'nic-down') return 'backendEjectMs' in (run.metrics.extra ?? {}) ? 'backend-loss' : 'node-loss'
  if (kind === 'kill' || kind === 'service-stop') {
    if (proc === 'keepalived') return kind === 'service-stop' || /TERM|INT/.test(String(p['signal'] ?? 'TERM')) ? 'graceful-stop' : 'node-loss'
    if (proc === 'haproxy') return 'service-loss'
    if (['apache2', 'httpd', 'nginx'].includes(proc)) return 'backend-loss'
  }
  if (kind === 'member-down') return 'member-down'
  return null
}

export function judgedBy(run: Pick<DrillRun, 'judgedBy' | 'fault' | 'metrics' | 'verdictReasons'>): JudgedBy {
  if (run.judgedBy !== undefined) return run.judgedBy
  return {
    effect: inferEffect(run),
    toleranceMs: DEFAULT_TOLERANCE_MS,
    maxOutageMs: null,
    interrupted: (run.verdictReasons ?? []).some((r) => r.startsWith('interrupted')),
  }
}

export type JudgeableRun = Pick<DrillRun, 'prediction' | 'metrics' | 'splitBrain' | 'reverted' | 'revertError' | 'fault' | 'verdictReasons' | 'judgedBy'>

/**
 * A stored run judged again by the current rules (the report does this for every record, so that old and new
 * records are judged alike). `maxOutageMs` (report --max-outage) replaces the drill's own allowance when given.
 */
export function judgeRun(run: JudgeableRun, over: {maxOutageMs?: number | null} = {}): Judgement {
  const b = judgedBy(run)
  return judge({
    prediction: run.prediction,
    metrics: run.metrics,
    splitBrain: run.splitBrain,
    reverted: run.reverted,
    revertError: run.revertError,
    interrupted: b.interrupted,
    effect: b.effect,
    ...(b.mustObserve === undefined ? {} : {mustObserve: b.mustObserve}),
    toleranceMs: b.toleranceMs,
    maxOutageMs: over.maxOutageMs ?? b.maxOutageMs,
  })
}

/** The exit code of a verdict (drill or report): PASS 0, WARN 0, FAIL 7 (FINDINGS); 'none' (empty report) 0. */
export function exitCodeFor(verdict: Verdict | 'none'): number {
  return verdict === 'fail' ? ExitCode.FINDINGS : ExitCode.OK
}

/** The exit code of `hachaos failover`: a fault not reverted 8 (run `hachaos recover`), else by its verdict. */
export function drillExitCode(run: Pick<DrillRun, 'reverted' | 'verdict'>): number {
  if (!run.reverted) return ExitCode.REVERT_FAILED
  return exitCodeFor(run.verdict)
}
