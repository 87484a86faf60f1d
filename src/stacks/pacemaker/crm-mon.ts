/**
 * The live cluster as crm_mon shows it: a node's condition, where a group runs, the cluster's health, and
 * readCrmMon (crm_mon through a node's executor). The XML reader is src/config/crm-mon.ts.
 */
import {failedActionText, maintenanceReasons, parseCrmMonXml, type ClusterNode, type ClusterResource, type ClusterState, type ResourceCollection} from '../../config/crm-mon.js'
import {HachaosError} from '../../errors.js'
import type {Executor} from '../../exec/types.js'
import type {EpochMicros} from '../../time.js'

export {failedActionText}

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

/**
 * A bundle replica's guest node (crm_mon lists it among the nodes, type remote, with id_as_resource naming
 * its container): it is "offline" whenever the replica is not running, which is a resource's state, not a
 * lost cluster node.
 */
export function isBundleNode(s: ClusterState, n: ClusterNode): boolean {
  if (n.type === 'member') return false
  const bundles = s.collections.filter((c) => c.kind === 'bundle')
  return bundles.some((b) => b.replicas.some((r) => r.resources.includes(n.name) || (n.idAsResource !== null && r.resources.includes(n.idAsResource))))
}

/** A clone or bundle in one line: how many instances run where (a large cluster would scroll otherwise). */
export function collectionSummary(s: ClusterState, c: ResourceCollection): {running: number; total: number; nodes: string[]; text: string} {
  if (c.kind === 'bundle') {
    const running = c.replicas.filter((r) => r.running)
    const nodes = [...new Set(running.flatMap((r) => r.nodes))].sort()
    const stopped = c.replicas.filter((r) => !r.running).map((r) => r.id)
    const text = `bundle ${c.id}${c.child === null ? '' : ` (${c.child})`}: ${running.length} of ${c.replicas.length} replicas running${nodes.length > 0 ? ` on ${nodes.join(', ')}` : ''}${stopped.length > 0 ? `; replica ${stopped.join(', ')} stopped` : ''}${c.disabled ? ' (disabled)' : ''}${c.managed ? '' : ' (unmanaged)'}`
    return {running: running.length, total: c.replicas.length, nodes, text}
  }
  const members = s.resources.filter((r) => r.clone === c.id)
  // instances: one per node the clone's resources run on (a cloned group counts once per node)
  const perNode = new Map<string, number>()
  for (const r of members) for (const n of r.active ? r.nodes : []) perNode.set(n, (perNode.get(n) ?? 0) + 1)
  const ids = [...new Set(members.map((r) => r.id))]
  const complete = [...perNode].filter(([, k]) => k >= ids.length).map(([n]) => n).sort()
  const partial = [...perNode].filter(([, k]) => k < ids.length).map(([n]) => n).sort()
  const roles = [...new Set(members.filter((r) => r.active).map((r) => r.role))]
  const failed = members.filter((r) => r.failed).length
  const total = Math.max(complete.length + partial.length, Math.round(members.length / Math.max(ids.length, 1)))
  const text = `clone ${c.id}${c.child === null ? '' : ` (${c.child})`}: ${roles.length > 0 ? roles.join('/') : 'Started'} on ${complete.length > 0 ? complete.join(', ') : 'no node'}${partial.length > 0 ? `; partly on ${partial.join(', ')}` : ''} (${complete.length} of ${total} instances)${failed > 0 ? `, ${failed} FAILED` : ''}${c.disabled ? ' (disabled)' : ''}${c.managed ? '' : ' (unmanaged)'}`
  return {running: complete.length, total, nodes: complete, text}
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
    if (isBundleNode(s, n)) continue // a stopped bundle replica, reported with its bundle below
    const c = nodeCondition(n)
    if (c !== 'online') problems.push(`node ${n.name} is ${c === 'maintenance' || c === 'standby' ? `in ${c}` : c}`)
  }
  for (const r of s.resources) if (r.failed) problems.push(`resource ${r.id} failed`)
  for (const c of s.collections) {
    if (c.kind !== 'bundle' || c.disabled || c.replicas.length === 0) continue
    const running = c.replicas.filter((r) => r.running).length
    if (running === 0) problems.push(`bundle ${c.id}: none of its ${c.replicas.length} replicas runs`)
  }
  if (opts.group !== undefined) {
    const p = placementOf(s, opts.group)
    if (p === null) problems.push(`no resource or group ${opts.group}`)
    else if (!p.startedOnce) {
      const where = p.members.map((m) => `${m.id}: ${m.role}${m.nodes.length > 0 ? ` on ${m.nodes.join('+')}` : ''}`).join(', ')
      problems.push(`${opts.group} is not started exactly once (${where})`)
    }
  }
  const warnings = [
    ...maintenanceReasons(s).map((m) => `maintenance: ${m}`),
    ...s.collections
      .filter((c) => c.kind === 'bundle' && !c.disabled && c.replicas.some((r) => r.running) && c.replicas.some((r) => !r.running))
      .map((c) => `bundle ${c.id}: ${c.replicas.filter((r) => r.running).length} of ${c.replicas.length} replicas running`),
    ...s.failures.map((f) => `failed action: ${failedActionText(f)}`),
  ]
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
