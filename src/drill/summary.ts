/**
 * The moments a reader wants to see, relative to the fault: last advert of the old master, takeover, GARP,
 * service back, revert, failback. Pure: used by the failover command's text output and the reports.
 */
import type {DrillRun, TimelineEvent} from '../store/run-types.js'

export interface Phase {
  /** ms relative to the fault (negative: before it). */
  atMs: number
  what: string
}

/** `labels`: how to say the stacks' own figures (keys of metrics.extra), from src/stacks/registry.ts. */
export function phases(run: DrillRun, labels: Readonly<Record<string, (run: DrillRun) => string>> = {}): Phase[] {
  const m = run.metrics
  const f = m.faultAtUs
  const rel = (t: number): number => Math.round((t - f) / 10) / 100
  const out: Phase[] = []
  const byIp = new Map(run.hosts.filter((h) => h.ip !== undefined).map((h) => [h.ip as string, h.name]))
  const adverts = run.events.filter((e): e is Extract<TimelineEvent, {type: 'vrrp.advert'}> => e.type === 'vrrp.advert')
  const nameOf = (ip: string): string => byIp.get(ip) ?? ip
  const lastOld = [...adverts].reverse().find((a) => a.t < f && nameOf(a.src) === m.oldOwner)
  if (lastOld !== undefined) out.push({atMs: rel(lastOld.t), what: `last advert from ${m.oldOwner ?? lastOld.src} before the fault (prio ${lastOld.prio})`})
  out.push({atMs: 0, what: `fault: ${run.fault.kind} on ${run.target}`})
  const prio0 = adverts.find((a) => a.t >= f && a.prio === 0)
  if (prio0 !== undefined) out.push({atMs: rel(prio0.t), what: `priority-0 advert from ${nameOf(prio0.src)} (graceful leave)`})
  if (m.takeoverMs !== null) out.push({atMs: m.takeoverMs, what: `${m.newOwner ?? 'the backup'} takes over (first advert as master)`})
  if (m.garpMs !== null) out.push({atMs: m.garpMs, what: `first gratuitous ARP for ${run.vip ?? 'the VIP'} from the new master`})
  for (const [k, v] of Object.entries(m.extra)) {
    if (v === null) continue
    const label = labels[k]
    if (label !== undefined) out.push({atMs: v, what: label(run)})
  }
  const probes = run.events.filter((e): e is Extract<TimelineEvent, {type: 'probe'}> => e.type === 'probe')
  const firstFail = probes.find((p) => p.t >= f && !p.ok)
  if (firstFail !== undefined) out.push({atMs: rel(firstFail.t), what: `first failed probe (${firstFail.error ?? 'error'})`})
  if (firstFail !== undefined) {
    const back = probes.find((p) => p.t > firstFail.t && p.ok)
    if (back !== undefined) out.push({atMs: rel(back.t + back.latencyMs * 1000), what: 'the service answers again'})
  }
  if (m.revertAtUs !== null) out.push({atMs: rel(m.revertAtUs), what: 'fault reverted'})
  if (m.failbackMs !== null && m.revertAtUs !== null) out.push({atMs: rel(m.revertAtUs) + m.failbackMs, what: `${m.oldOwner ?? 'the old master'} is master again (failback)`})
  return out.sort((a, b) => a.atMs - b.atMs)
}
