/**
 * The live cluster as crm_mon shows it: a node's condition, where a group runs, the cluster's health, and
 * readCrmMon (crm_mon through a node's executor). The XML reader is src/config/crm-mon.ts.
 */
import {parseCrmMonXml, type ClusterNode, type ClusterResource, type ClusterState} from '../../config/crm-mon.js'
import {HachaosError} from '../../errors.js'
import type {Executor} from '../../exec/types.js'
import type {EpochMicros} from '../../time.js'

export type NodeCondition = 'online' | 'standby' | 'maintenance' | 'unclean' | 'pending' | 'offline'

/** One word for a node, worst first: unclean > offline > pending > maintenance > standby > online. */
export function nodeCondition(n: ClusterNode): NodeCondition {
  if (n.unclean) return 'unclean'
  if (!n.online) return 'offline'
  if (n.pending) return 'pending'
  if (n.maintenance) return 'maintenance'
  if (n.standby || n.standbyOnFail) return 'standby'
  return 'online'
}

export interface Placement {
  /** Nodes on which every member of the group (or the resource) is active. */
  nodes: string[]
  /** Started exactly once: every member active, all on one node, none failed. */
  startedOnce: boolean
  /** Members and where each one is. */
  members: Array<{id: string; role: string; nodes: string[]; failed: boolean}>
}

/** Where a group (or a single resource) runs. */
export function placementOf(s: ClusterState, id: string): Placement | null {
  const g = s.groups.find((x) => x.id === id)
  const ids = g !== undefined ? g.resources : s.resources.some((r) => r.id === id) ? [id] : null
  if (ids === null) return null
  const members = ids.map((rid) => {
    const r = s.resources.find((x) => x.id === rid && (g === undefined || x.group === g.id))
    return {id: rid, role: r?.role ?? 'Unknown', nodes: r?.active === true ? r.nodes : [], failed: r?.failed ?? false}
  })
  const all = new Set(members.flatMap((m) => m.nodes))
  const nodes = [...all].filter((n) => members.every((m) => m.nodes.includes(n))).sort()
  const startedOnce = members.length > 0 && members.every((m) => m.nodes.length === 1 && m.role === 'Started' && !m.failed) && all.size === 1
  return {nodes, startedOnce, members}
}

/** Every group with an IPaddr2 (or IPaddr / IPsrcaddr) member whose `ip` is the VIP; null when unknown. */
export function vipResourceOf(s: ClusterState): ClusterResource | null {
  return s.resources.find((r) => /:IPaddr2?$/.test(r.agent)) ?? null
}

export interface ClusterHealth {
  healthy: boolean
  problems: string[]
  /** Not unhealthy now, but worth a look: failed actions and fail counts left from earlier failures. */
  warnings: string[]
}

/** All configured nodes online (not standby, not unclean), a DC with quorum, no failed resource. */
export function clusterHealth(s: ClusterState, opts: {group?: string} = {}): ClusterHealth {
  const problems: string[] = []
  if (s.dc === null) problems.push('no DC (designated controller)')
  else if (s.quorum === false) problems.push(`partition of ${s.dc} has no quorum`)
  for (const n of s.nodes) {
    const c = nodeCondition(n)
    if (c !== 'online') problems.push(`node ${n.name} is ${c}`)
  }
  for (const r of s.resources) if (r.failed) problems.push(`resource ${r.id} failed`)
  if (opts.group !== undefined) {
    const p = placementOf(s, opts.group)
    if (p === null) problems.push(`no resource or group ${opts.group}`)
    else if (!p.startedOnce) {
      const where = p.members.map((m) => `${m.id}: ${m.role}${m.nodes.length > 0 ? ` on ${m.nodes.join('+')}` : ''}`).join(', ')
      problems.push(`${opts.group} is not started exactly once (${where})`)
    }
  }
  const warnings = s.failures.map((f) => `failed action: ${f.resource} ${f.task} on ${f.node}: ${f.exitStatus}${f.exitReason ? ` (${f.exitReason})` : ''}`)
  return {healthy: problems.length === 0, problems, warnings}
}

export interface CrmMonReading {
  host: string
  t: EpochMicros
  state: ClusterState
  xml: string
}

/**
 * Run `crm_mon -1 --output-as=xml` on a cluster node through its executor. crm_mon exits non-zero with
 * XML still on stdout when the cluster is unreachable: the XML decides.
 */
export async function readCrmMon(exec: Executor, opts: {timeoutMs?: number; operations?: boolean} = {}): Promise<CrmMonReading> {
  const argv = ['crm_mon', '-1', '--output-as=xml']
  if (opts.operations === true) argv.push('--include=operations')
  const r = await exec.run(argv, {timeoutMs: opts.timeoutMs ?? 10_000})
  if (r.timedOut) {
    throw new HachaosError(`crm_mon timed out on ${exec.host}`, {code: 'E_TIMEOUT', exit: 'TIMEOUT', where: exec.host, suggestions: ['is pacemaker running there?']})
  }
  return {host: exec.host, t: r.t1, state: parseCrmMonXml(r.stdout.trim() === '' ? r.stderr : r.stdout, exec.host), xml: r.stdout}
}
