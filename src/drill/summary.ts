/**
 * The moments a reader wants to see, relative to the fault: the fault, GARP, the first failed probe, service
 * back, revert — and the stack's own moments (last advert, takeover, failback; relocation …), which its
 * folder gives (src/stacks/registry.ts drillPhases). Pure: used by the failover command's text output.
 */
import type {DrillRun, TimelineEvent} from '../store/run-types.js'

export interface Phase {
  /** ms relative to the fault (negative: before it). */
  atMs: number
  what: string
}

/** `stackPhases`: the moments of the run's own stack (src/stacks/<name>/, through the registry). */
export function phases(run: DrillRun, stackPhases: (run: DrillRun) => Phase[] = () => []): Phase[] {
  const m = run.metrics
  const f = m.faultAtUs
  const rel = (t: number): number => relMs(run, t)
  const out: Phase[] = [...stackPhases(run)]
  out.push({atMs: 0, what: `fault: ${run.fault.kind} on ${run.target}`})
  if (m.garpMs !== null) out.push({atMs: m.garpMs, what: `first gratuitous ARP for ${run.vip ?? 'the VIP'} from the new master`})
  const probes = run.events.filter((e): e is Extract<TimelineEvent, {type: 'probe'}> => e.type === 'probe')
  const firstFail = probes.find((p) => p.t >= f && !p.ok)
  if (firstFail !== undefined) out.push({atMs: rel(firstFail.t), what: `first failed probe (${firstFail.error ?? 'error'})`})
  if (firstFail !== undefined) {
    const back = probes.find((p) => p.t > firstFail.t && p.ok)
    if (back !== undefined) out.push({atMs: rel(back.t + back.latencyMs * 1000), what: 'the service answers again'})
  }
  if (m.revertAtUs !== null) out.push({atMs: rel(m.revertAtUs), what: 'fault reverted'})
  return out.sort((a, b) => a.atMs - b.atMs)
}

/** ms of `t` relative to the run's fault, to 10 µs. */
export function relMs(run: DrillRun, t: number): number {
  return Math.round((t - run.metrics.faultAtUs) / 10) / 100
}

/** Phases of the stack's own figures (keys of metrics.extra) with a label each. */
export function extraPhases(run: DrillRun, labels: Readonly<Record<string, (run: DrillRun) => string>>): Phase[] {
  const out: Phase[] = []
  for (const [k, v] of Object.entries(run.metrics.extra)) {
    const label = labels[k]
    if (v !== null && label !== undefined) out.push({atMs: v, what: label(run)})
  }
  return out
}
