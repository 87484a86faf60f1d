/**
 * A game day in figures: the score (the share of scored steps whose gate passed, with its rule printed
 * beside it) and, per fault of a soak, count, pass/warn/fail, min/p50/p95/max of the measured figure and of the
 * client outage next to the prediction, and the drills that did not match it.
 */
import type {PlanStep} from './plan.js'
import type {StepResult} from './record.js'

export const SCORE_RULE =
  'score = steps whose gate passed / steps scored; a drill\'s gate: its verdict is not FAIL (same rules as `failover`, with the step\'s tolerance and max_outage), a split brain only where the step expects one, the audit after it clean; a check\'s gate: the expected HTTP status; pauses are not scored'

export interface GameDayScore {
  passed: number
  scored: number
  /** passed / scored (0..1), null when nothing was scored. */
  share: number | null
  rule: string
}

export function scoreOf(steps: readonly PlanStep[], results: readonly StepResult[]): GameDayScore {
  let passed = 0
  let scored = 0
  for (const [i, s] of steps.entries()) {
    const r = results[i]
    if (s.kind === 'pause' || r === undefined || r.status === 'pending' || r.gatePassed === null) continue
    scored++
    if (r.gatePassed) passed++
  }
  return {passed, scored, share: scored === 0 ? null : passed / scored, rule: SCORE_RULE}
}

export interface Stats {
  n: number
  min: number | null
  p50: number | null
  p95: number | null
  max: number | null
}

/** Nearest-rank percentiles over a small array (a soak's drills of one fault: sorting is fine). */
export function stats(xs: readonly number[]): Stats {
  const v = [...xs].sort((a, b) => a - b)
  const at = (p: number): number | null => (v.length === 0 ? null : (v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))] as number))
  return {n: v.length, min: v[0] ?? null, p50: at(50), p95: at(95), max: v[v.length - 1] ?? null}
}

export interface SoakFaultSummary {
  fault: string
  count: number
  pass: number
  warn: number
  fail: number
  metric: string | null
  measured: Stats
  outage: Stats
  predictedMinMs: number | null
  predictedMaxMs: number | null
  /** Steps (1-based) whose measured figure was missing or outside the prediction ± the step's tolerance. */
  offPrediction: number[]
}

/** Per fault (a soak's catalogue name, else the step's fault and parameters), over the drills that ran. */
export function soakSummary(steps: readonly PlanStep[], results: readonly StepResult[]): SoakFaultSummary[] {
  const groups = new Map<string, Array<{i: number; tol: number; r: StepResult}>>()
  for (const [i, s] of steps.entries()) {
    const r = results[i]
    if ((s.kind !== 'drill' && s.kind !== 'lab') || r === undefined || r.verdict === null) continue
    const what = s.kind === 'drill' ? s.fault : `${s.key} ${s.action}`
    const key = s.soak ?? `${what}${Object.keys(s.params).length === 0 ? '' : ` ${Object.values(s.params).map(String).join(' ')}`}`
    const g = groups.get(key) ?? []
    // a lab step's predicted maximum already holds its own tolerance (src/drill/step-kind.ts)
    g.push({i, tol: s.kind === 'drill' ? s.toleranceMs : (s.toleranceMs ?? 0), r})
    groups.set(key, g)
  }
  return [...groups.entries()].map(([fault, g]) => {
    const lo = g.map((x) => x.r.predictedMinMs ?? x.r.predictedMs).filter((x): x is number => x !== null)
    const hi = g.map((x) => x.r.predictedMaxMs ?? x.r.predictedMs).filter((x): x is number => x !== null)
    return {
      fault,
      count: g.length,
      pass: g.filter((x) => x.r.verdict === 'pass').length,
      warn: g.filter((x) => x.r.verdict === 'warn').length,
      fail: g.filter((x) => x.r.verdict === 'fail').length,
      metric: g[0]?.r.metric ?? null,
      measured: stats(g.flatMap((x) => (x.r.measuredMs === null ? [] : [x.r.measuredMs]))),
      outage: stats(g.flatMap((x) => (x.r.outageMs === null ? [] : [x.r.outageMs]))),
      predictedMinMs: lo.length === 0 ? null : Math.min(...lo),
      predictedMaxMs: hi.length === 0 ? null : Math.max(...hi),
      offPrediction: g.filter((x) => !matches(x.r, x.tol)).map((x) => x.i + 1),
    }
  })
}

/** The measured figure within the prediction (or its range) ± tolerance; no prediction: nothing to miss. */
export function matches(r: Pick<StepResult, 'measuredMs' | 'predictedMs' | 'predictedMinMs' | 'predictedMaxMs'>, toleranceMs: number): boolean {
  const lo = r.predictedMinMs ?? r.predictedMs
  const hi = r.predictedMaxMs ?? r.predictedMs
  if (lo === null || hi === null) return true
  if (r.measuredMs === null) return false
  return r.measuredMs >= lo - toleranceMs && r.measuredMs <= hi + toleranceMs
}
