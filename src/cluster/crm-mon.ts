/**
 * Reader of `crm_mon --output-as=xml` (Pacemaker 2.x, api-version 2.x): nodes, resources, DC, quorum,
 * fail counts, failed actions and the operation history. Parsing by fast-xml-parser; this file only maps
 * the elements to typed records.
 */
import {XMLParser, XMLValidator} from 'fast-xml-parser'

import {HachaosError} from '../errors.js'
import type {Executor} from '../exec/types.js'
import type {EpochMicros} from '../time.js'

export interface ClusterNode {
  name: string
  id: string
  online: boolean
  standby: boolean
  /** Put in standby by Pacemaker itself because a resource failed (on-fail=standby). */
  standbyOnFail: boolean
  maintenance: boolean
  pending: boolean
  /** Lost without a clean shutdown and not (yet) fenced: its resources may still run there. */
  unclean: boolean
  shutdown: boolean
  expectedUp: boolean
  isDc: boolean
  resourcesRunning: number
  type: string
}

export type NodeCondition = 'online' | 'standby' | 'maintenance' | 'unclean' | 'pending' | 'offline'

export interface ClusterResource {
  id: string
  /** class:provider:type, e.g. ocf:heartbeat:IPaddr2 (stonith:fence_x for fence devices). */
  agent: string
  role: string
  targetRole: string | null
  active: boolean
  failed: boolean
  managed: boolean
  blocked: boolean
  orphaned: boolean
  /** Nodes it runs on (more than one: a clone, or a resource active on several nodes = trouble). */
  nodes: string[]
  group: string | null
  clone: string | null
}

export interface ResourceGroup {
  id: string
  resources: string[]
  disabled: boolean
  managed: boolean
}

export interface OperationRecord {
  node: string
  resource: string
  call: number
  task: string
  interval: number
  rc: number
  rcText: string
  lastRcChange: string | null
  execMs: number | null
  queueMs: number | null
}

export interface ResourceHistory {
  node: string
  resource: string
  failCount: number
  migrationThreshold: number | null
  lastFailure: string | null
  operations: OperationRecord[]
}

export interface FailedAction {
  opKey: string
  resource: string
  task: string
  node: string
  interval: number
  exitStatus: string
  exitReason: string
  exitCode: number
  call: number
  status: string
  lastRcChange: string | null
}

export interface FenceEvent {
  target: string
  action: string
  delegate: string | null
  client: string | null
  origin: string | null
  status: string
  completed: string | null
}

export interface ClusterState {
  stack: string | null
  dc: string | null
  dcVersion: string | null
  /** null when there is no DC (nobody to say). */
  quorum: boolean | null
  nodesConfigured: number | null
  resourcesConfigured: number | null
  stonithEnabled: boolean | null
  noQuorumPolicy: string | null
  maintenanceMode: boolean | null
  lastUpdate: string | null
  lastChange: string | null
  nodes: ClusterNode[]
  resources: ClusterResource[]
  groups: ResourceGroup[]
  history: ResourceHistory[]
  failures: FailedAction[]
  fencing: FenceEvent[]
}

type X = Record<string, unknown>

const ARRAYS = new Set([
  'node',
  'resource',
  'group',
  'clone',
  'bundle',
  'replica',
  'failure',
  'resource_history',
  'operation_history',
  'fence_event',
  'attribute',
  'ban',
])

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  isArray: (name, _path, _leaf, isAttribute) => isAttribute !== true && ARRAYS.has(name),
})

const obj = (v: unknown): X => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as X) : {})
const arr = (v: unknown): X[] => (Array.isArray(v) ? v.map(obj) : v === undefined ? [] : [obj(v)])
const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null)
const bool = (v: unknown): boolean => v === 'true' || v === true
const boolOrNull = (v: unknown): boolean | null => (v === undefined ? null : bool(v))
const num = (v: unknown): number | null => {
  const s = str(v)
  if (s === null || s === '') return null
  const n = Number(s)
  return Number.isFinite(n) ? n : null
}

/** "1046ms" → 1046; "0ms" → 0. */
export function parseMsAttr(v: unknown): number | null {
  const s = str(v)
  if (s === null) return null
  const m = /^(\d+(?:\.\d+)?)\s*ms$/.exec(s.trim())
  if (m !== null) return Number(m[1])
  return num(s)
}

/** Parse the text of `crm_mon --output-as=xml`. `source` names it in errors (file or host). */
export function parseCrmMonXml(text: string, source = '<crm_mon>'): ClusterState {
  const trimmed = text.trim()
  if (trimmed === '' || !trimmed.startsWith('<')) {
    throw new HachaosError(`${source}: not crm_mon XML${trimmed === '' ? ' (empty)' : `: ${trimmed.split('\n')[0]?.slice(0, 120) ?? ''}`}`, {
      code: 'E_CRM_MON',
      exit: 'BAD_INPUT',
      where: source,
      suggestions: ['capture it with: crm_mon -1 --output-as=xml > crm_mon.xml'],
    })
  }
  const valid = XMLValidator.validate(trimmed)
  if (valid !== true) {
    throw new HachaosError(`${source}:${valid.err.line}:${valid.err.col}: not well-formed XML: ${valid.err.msg}`, {
      code: 'E_CRM_MON',
      exit: 'BAD_INPUT',
      where: `${source}:${valid.err.line}`,
      suggestions: ['capture it again with: crm_mon -1 --output-as=xml > crm_mon.xml'],
    })
  }
  const doc = obj(parser.parse(trimmed))
  const root = obj(doc['pacemaker-result'] ?? doc['crm_mon'])
  if (Object.keys(root).length === 0) {
    throw new HachaosError(`${source}: no <pacemaker-result> element: is this crm_mon --output-as=xml (Pacemaker 2)?`, {
      code: 'E_CRM_MON',
      exit: 'BAD_INPUT',
      where: source,
      suggestions: ['Pacemaker 1.1 writes crm_mon --as-xml, which hachaos does not read; capture with Pacemaker 2: crm_mon -1 --output-as=xml'],
    })
  }
  const status = obj(root['status'])
  const code = num(status['code'])
  // Without a <summary> crm_mon could not read the CIB (it may still say code="0", with <errors>).
  if (root['summary'] === undefined) {
    const e = obj(status['errors'])['error']
    const errs = (Array.isArray(e) ? e : e === undefined ? [] : [e]).map((x) => str(x) ?? str(obj(x)['#text']) ?? '').filter((x) => x !== '')
    const what = errs.length > 0 ? errs.join('; ') : code !== null && code !== 0 ? (str(status['message']) ?? `code ${code}`) : 'no cluster summary'
    throw new HachaosError(`crm_mon on ${source} could not read the cluster: ${what}`, {
      code: 'E_CRM_MON',
      exit: 'HOST',
      where: source,
      suggestions: ['is the cluster stack (corosync, pacemaker) running on that node?'],
    })
  }

  const summary = obj(root['summary'])
  const dcEl = obj(summary['current_dc'])
  const dcPresent = bool(dcEl['present'])
  const opts = obj(summary['cluster_options'])

  const nodes: ClusterNode[] = arr(obj(root['nodes'])['node']).map((n) => ({
    name: str(n['name']) ?? '?',
    id: str(n['id']) ?? '',
    online: bool(n['online']),
    standby: bool(n['standby']),
    standbyOnFail: bool(n['standby_onfail']),
    maintenance: bool(n['maintenance']),
    pending: bool(n['pending']),
    unclean: bool(n['unclean']),
    shutdown: bool(n['shutdown']),
    expectedUp: bool(n['expected_up']),
    isDc: bool(n['is_dc']),
    resourcesRunning: num(n['resources_running']) ?? 0,
    type: str(n['type']) ?? 'member',
  }))

  const resources: ClusterResource[] = []
  const groups: ResourceGroup[] = []
  const addResource = (r: X, group: string | null, clone: string | null): void => {
    resources.push({
      id: str(r['id']) ?? '?',
      agent: str(r['resource_agent']) ?? '',
      role: str(r['role']) ?? 'Unknown',
      targetRole: str(r['target_role']),
      active: bool(r['active']),
      failed: bool(r['failed']),
      managed: r['managed'] === undefined ? true : bool(r['managed']),
      blocked: bool(r['blocked']),
      orphaned: bool(r['orphaned']),
      nodes: arr(r['node']).map((n) => str(n['name']) ?? '?'),
      group,
      clone,
    })
  }
  const walkGroup = (g: X, clone: string | null): void => {
    const id = str(g['id']) ?? '?'
    const members = arr(g['resource'])
    // A cloned group repeats its id per instance ("g:0", "g:1"): one ResourceGroup per instance.
    groups.push({id, resources: members.map((m) => str(m['id']) ?? '?'), disabled: bool(g['disabled']), managed: g['managed'] === undefined ? true : bool(g['managed'])})
    for (const m of members) addResource(m, id, clone)
  }
  const res = obj(root['resources'])
  for (const r of arr(res['resource'])) addResource(r, null, null)
  for (const g of arr(res['group'])) walkGroup(g, null)
  for (const c of arr(res['clone'])) {
    const cid = str(c['id'])
    for (const r of arr(c['resource'])) addResource(r, null, cid)
    for (const g of arr(c['group'])) walkGroup(g, cid)
  }
  for (const b of arr(res['bundle'])) {
    const bid = str(b['id'])
    for (const rep of arr(b['replica'])) for (const r of arr(rep['resource'])) addResource(r, null, bid)
  }

  const history: ResourceHistory[] = []
  for (const n of arr(obj(root['node_history'])['node'])) {
    const node = str(n['name']) ?? '?'
    for (const h of arr(n['resource_history'])) {
      const resource = str(h['id']) ?? '?'
      history.push({
        node,
        resource,
        failCount: num(h['fail-count']) ?? 0,
        migrationThreshold: num(h['migration-threshold']),
        lastFailure: str(h['last-failure']),
        operations: arr(h['operation_history']).map((o) => ({
          node,
          resource,
          call: num(o['call']) ?? 0,
          task: str(o['task']) ?? '?',
          interval: parseMsAttr(o['interval']) ?? 0,
          rc: num(o['rc']) ?? 0,
          rcText: str(o['rc_text']) ?? '',
          lastRcChange: str(o['last-rc-change']),
          execMs: parseMsAttr(o['exec-time']),
          queueMs: parseMsAttr(o['queue-time']),
        })),
      })
    }
  }

  const failures: FailedAction[] = arr(obj(root['failures'])['failure']).map((f) => {
    const opKey = str(f['op_key']) ?? '?'
    const interval = num(f['interval']) ?? 0
    const task = str(f['task']) ?? opKey.split('_').slice(-2, -1)[0] ?? '?'
    // op_key = RESOURCE_TASK_INTERVAL; resource ids may contain "_"
    const suffix = `_${task}_${interval}`
    return {
      opKey,
      resource: opKey.endsWith(suffix) ? opKey.slice(0, -suffix.length) : opKey.replace(/_[a-z-]+_\d+$/, ''),
      task,
      node: str(f['node']) ?? '?',
      interval,
      exitStatus: str(f['exitstatus']) ?? '',
      exitReason: str(f['exitreason']) ?? '',
      exitCode: num(f['exitcode']) ?? -1,
      call: num(f['call']) ?? 0,
      status: str(f['status']) ?? '',
      lastRcChange: str(f['last-rc-change']),
    }
  })

  const fencing: FenceEvent[] = arr(obj(root['fence_history'])['fence_event']).map((e) => ({
    target: str(e['target']) ?? '?',
    action: str(e['action']) ?? '?',
    delegate: str(e['delegate']),
    client: str(e['client']),
    origin: str(e['origin']),
    status: str(e['status']) ?? '?',
    completed: str(e['completed']),
  }))

  return {
    stack: str(obj(summary['stack'])['type']),
    dc: dcPresent ? str(dcEl['name']) : null,
    dcVersion: dcPresent ? str(dcEl['version']) : null,
    quorum: dcPresent ? bool(dcEl['with_quorum']) : null,
    nodesConfigured: num(obj(summary['nodes_configured'])['number']),
    resourcesConfigured: num(obj(summary['resources_configured'])['number']),
    stonithEnabled: boolOrNull(opts['stonith-enabled']),
    noQuorumPolicy: str(opts['no-quorum-policy']),
    maintenanceMode: boolOrNull(opts['maintenance-mode']),
    lastUpdate: str(obj(summary['last_update'])['time']),
    lastChange: str(obj(summary['last_change'])['time']),
    nodes,
    resources,
    groups,
    history,
    failures,
    fencing,
  }
}

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
