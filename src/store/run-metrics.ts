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
  backendReturnMs: 'backend UP again after the revert',
  checkerRemovalMs: 'real server out of the IPVS table',
  realServerReaddMs: 'real server back in the IPVS table after the revert',
  lastFailedRequestMs: 'last failed request sent',
  clientAffectedMs: 'clients affected until',
  clientAffectedProbes: 'probes failed or slowed',
  stallMs: 'longest client write stall',
  healDrainedMs: 'heal backlog 0 after the revert',
}

/** A fault in words: "SIGKILL to every apache2 on web1", "nic-down (eth1) on lb1". */
export function faultText(run: Pick<DrillRun, 'fault' | 'target'>): string {
  const p = run.fault.params
  const str = (k: string): string | undefined => (typeof p[k] === 'string' ? (p[k] as string) : undefined)
  if (run.fault.kind === 'kill' && str('process') !== undefined) return `kill: SIG${str('signal') ?? 'KILL'} to every ${str('process') ?? ''} on ${run.target}`
  if (run.fault.kind === 'cluster-kill' && str('daemon') !== undefined) return `cluster-kill: SIGKILL to ${str('daemon') ?? ''} on ${run.target}`
  const detail = ['interface', 'service', 'daemon'].map(str).filter((x): x is string => x !== undefined)
  return `${run.fault.kind}${detail.length > 0 ? ` (${detail.join(', ')})` : ''} on ${run.target}`
}

/** A predicted range as text, one value when both ends agree: "3609.4 ms", "2000.0–3000.0 ms". */
export function rangeText(lo: number, hi: number, digits = 1): string {
  return lo.toFixed(digits) === hi.toFixed(digits) ? `${lo.toFixed(digits)} ms` : `${lo.toFixed(digits)}–${hi.toFixed(digits)} ms`
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
