import type {DrillRun, FailoverMetrics} from './run-types.js'

/** Readable names of the figures a prediction can be about. */
export const METRIC_LABEL: Record<string, string> = {
  takeoverMs: 'takeover',
  takeoverFromLastAdvertMs: 'takeover after last advert',
  garpMs: 'first GARP',
  outageMs: 'client outage',
  failbackMs: 'failback',
  backendEjectMs: 'backend eject',
  relocationMs: 'relocation',
  vipRemovedMs: 'VIP off the old node',
  resourceRelocationMs: 'crm_mon relocation',
  nodeLostMs: 'node lost (crm_mon)',
  noOwnerMs: 'no VIP owner',
  bondFailoverMs: 'bond failover',
}

export function metricLabel(metric: string): string {
  return METRIC_LABEL[metric] ?? metric
}

/** The predicted figure's key (records written before `metric` existed compared takeoverMs). */
export function predictedMetric(run: Pick<DrillRun, 'prediction'>): string {
  return typeof run.prediction.metric === 'string' && run.prediction.metric !== '' ? run.prediction.metric : 'takeoverMs'
}

/** The measured value of the figure the prediction is about: a FailoverMetrics key, else an `extra` one. */
export function measuredFor(run: Pick<DrillRun, 'prediction' | 'metrics'>): number | null {
  const key = predictedMetric(run)
  const m = run.metrics
  if (key in m && key !== 'extra') {
    const v = (m as unknown as Record<string, unknown>)[key as keyof FailoverMetrics]
    return typeof v === 'number' ? v : null
  }
  const v = m.extra?.[key]
  return typeof v === 'number' ? v : null
}

/** Metrics of a drill in which nothing was observed yet: every figure unknown, no probe counted. */
export function emptyMetrics(faultAtUs: number, revertAtUs: number | null, oldOwner: string | null): FailoverMetrics {
  return {
    faultAtUs,
    revertAtUs,
    oldOwner,
    newOwner: null,
    takeoverMs: null,
    takeoverFromLastAdvertMs: null,
    garpMs: null,
    outageMs: null,
    lostProbes: 0,
    probesTotal: 0,
    probesFailed: 0,
    failbackMs: null,
    failbackOutageMs: null,
    failbackLostProbes: 0,
    extra: {},
  }
}
