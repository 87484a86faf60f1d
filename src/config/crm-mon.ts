/**
 * The one reader of `crm_mon --output-as=xml` (Pacemaker 2.x, api-version 2.x; the root `<crm_mon>` of older
 * versions too): nodes, resources, groups, DC, quorum, fail counts, failed actions, the operation history
 * and the fence history, with the line of each node, resource and failure for file:line evidence (`doctor`).
 * The live-cluster code (src/stacks/pacemaker/) reads the same model through parseCrmMonXml. The XML is parsed by
 * fast-xml-parser (src/config/xml.ts, which keeps line numbers); this file only maps elements to records.
 */
import {HachaosError} from '../errors.js'
import {type Loc, configError} from './common.js'
import {type XmlEl, kid, kids, parseXml} from './xml.js'

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
  /** Guest and bundle nodes: the resource that is the node (a bundle replica's container). */
  idAsResource: string | null
}

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
  /** `maintenance="true"` on the resource (Pacemaker 2.1+ writes it), else false. */
  maintenance: boolean
  /** The bundle replica it belongs to ("0", "1", …); null outside bundles. */
  replica: string | null
}

/** A clone, promotable clone or bundle as crm_mon shows it: its instances, for a grouped view. */
export interface ResourceCollection {
  id: string
  kind: 'clone' | 'bundle'
  /** The resource or group cloned, or the bundle's image. */
  child: string | null
  disabled: boolean
  managed: boolean
  /** Bundle replicas (empty for clones): their resources and the node the replica runs on. */
  replicas: Array<{id: string; resources: string[]; nodes: string[]; running: boolean}>
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
  collections: ResourceCollection[]
}

/** Lines (1-based, in CrmMon.file) of the elements behind a ClusterState; arrays run parallel to its lists. */
export interface CrmMonLines {
  /** `<summary>`, else the root element. */
  summary: number
  /** `<current_dc>`; null when crm_mon wrote none. */
  dc: number | null
  nodes: number[]
  resources: number[]
  failures: number[]
}

export interface CrmMon {
  file: string
  state: ClusterState
  lines: CrmMonLines
  /** Why crm_mon could not read the cluster (no `<summary>`: its errors, or its status); null when it could. */
  unreadable: string | null
}

const MON = 'crm_mon XML'

const bool = (v: string | undefined): boolean => v === 'true'
const boolOrNull = (v: string | undefined): boolean | null => (v === undefined ? null : bool(v))
const str = (v: string | undefined): string | null => v ?? null
const num = (v: string | undefined): number | null => {
  if (v === undefined || v === '') return null
  const n = Number(v)
  return Number.isFinite(n) ? n : null
}

/** "1046ms" → 1046; "0ms" → 0. */
export function parseMsAttr(v: string | undefined): number | null {
  if (v === undefined) return null
  const m = /^(\d+(?:\.\d+)?)\s*ms$/.exec(v.trim())
  if (m !== null) return Number(m[1])
  return num(v)
}

/**
 * Parse `crm_mon --output-as=xml` (or the older `crm_mon --as-xml`). Throws HachaosError (BAD_INPUT,
 * file:line) when it is not crm_mon XML; a crm_mon that could not read the cluster is a CrmMon with
 * `unreadable` set.
 */
export function parseCrmMon(text: string, opts: {file: string}): CrmMon {
  const file = opts.file
  const lines = text.split('\n')
  const first = lines.findIndex((l) => l.trim() !== '')
  if (first < 0 || !(lines[first] ?? '').trim().startsWith('<')) {
    const what = first < 0 ? ' (empty)' : `: ${(lines[first] ?? '').trim().slice(0, 120)}`
    throw configError(MON, {file, line: first < 0 ? 1 : first + 1}, `not crm_mon XML${what}`, 'capture it with: crm_mon -1 --output-as=xml > crm_mon.xml')
  }
  // the XML declaration must open the document: blank it (same length, same lines) so leading blank lines do not matter
  const body = text.replace(/^\s*<\?xml[^>]*\?>/, (m) => m.replace(/[^\n]/g, ' '))
  const roots = parseXml(body, file, MON)
  const root = roots.find((r) => r.name === 'pacemaker-result' || r.name === 'crm_mon')
  if (root === undefined) {
    throw configError(MON, roots[0] ?? {file, line: 1}, `not crm_mon XML: no <pacemaker-result> or <crm_mon> element (found ${roots.map((r) => `<${r.name}>`).join(', ') || 'nothing'})`, 'give the output of `crm_mon --output-as=xml` (Pacemaker 2)')
  }
  const summary = kid(root, 'summary')
  const dcEl = kid(summary, 'current_dc')
  const dcPresent = bool(dcEl?.attrs['present'])
  const options = kid(summary, 'cluster_options')?.attrs ?? {}
  const at: CrmMonLines = {summary: summary?.line ?? root.line, dc: dcEl?.line ?? null, nodes: [], resources: [], failures: []}

  let unreadable: string | null = null
  if (summary === undefined) {
    // Without a <summary> crm_mon could not read the CIB (it may still say code="0", with <errors>).
    const status = kid(root, 'status')
    const code = num(status?.attrs['code'])
    const errs = kids(kid(status, 'errors'), 'error').map((e) => e.text).filter((x) => x !== '')
    unreadable = errs.length > 0 ? errs.join('; ') : code !== null && code !== 0 ? (status?.attrs['message'] ?? `code ${code}`) : 'no cluster summary'
  }

  const nodeEls = kids(kid(root, 'nodes'), 'node')
  at.nodes = nodeEls.map((n) => n.line)
  const nodes: ClusterNode[] = nodeEls.map(({attrs: n}) => ({
    name: n['name'] ?? '?',
    id: n['id'] ?? '',
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
    type: n['type'] ?? 'member',
    idAsResource: str(n['id_as_resource']),
  }))

  const resources: ClusterResource[] = []
  const groups: ResourceGroup[] = []
  const addResource = (el: XmlEl, group: string | null, clone: string | null, replica: string | null = null): void => {
    const r = el.attrs
    at.resources.push(el.line)
    resources.push({
      id: r['id'] ?? '?',
      agent: r['resource_agent'] ?? '',
      role: r['role'] ?? 'Unknown',
      targetRole: str(r['target_role']),
      active: bool(r['active']),
      failed: bool(r['failed']),
      managed: r['managed'] === undefined ? true : bool(r['managed']),
      blocked: bool(r['blocked']),
      orphaned: bool(r['orphaned']),
      nodes: kids(el, 'node').map((n) => n.attrs['name'] ?? '?'),
      group,
      clone,
      maintenance: bool(r['maintenance']),
      replica,
    })
  }
  const walkGroup = (g: XmlEl, clone: string | null): void => {
    const id = g.attrs['id'] ?? '?'
    const members = kids(g, 'resource')
    // A cloned group repeats its id per instance ("g:0", "g:1"): one ResourceGroup per instance.
    groups.push({id, resources: members.map((m) => m.attrs['id'] ?? '?'), disabled: bool(g.attrs['disabled']), managed: g.attrs['managed'] === undefined ? true : bool(g.attrs['managed'])})
    for (const m of members) addResource(m, id, clone)
  }
  // Plain resources first, then groups, clones and bundles (the order `cluster status` has always listed them in).
  const res = kid(root, 'resources')
  for (const r of kids(res, 'resource')) addResource(r, null, null)
  for (const g of kids(res, 'group')) walkGroup(g, null)
  const collections: ResourceCollection[] = []
  const managedOf = (el: XmlEl): boolean => (el.attrs['managed'] === undefined ? true : bool(el.attrs['managed']))
  for (const c of kids(res, 'clone')) {
    const cid = str(c.attrs['id'])
    const inner = c.children.find((x) => x.name === 'resource' || x.name === 'group')
    collections.push({id: cid ?? '?', kind: 'clone', child: inner === undefined ? null : (inner.attrs['id'] ?? '?').replace(/:\d+$/, ''), disabled: bool(c.attrs['disabled']), managed: managedOf(c), replicas: []})
    for (const r of kids(c, 'resource')) addResource(r, null, cid)
    for (const g of kids(c, 'group')) walkGroup(g, cid)
  }
  for (const b of kids(res, 'bundle')) {
    const bid = str(b.attrs['id'])
    const col: ResourceCollection = {id: bid ?? '?', kind: 'bundle', child: str(b.attrs['image']), disabled: bool(b.attrs['disabled']), managed: managedOf(b), replicas: []}
    collections.push(col)
    for (const rep of kids(b, 'replica')) {
      const rid = rep.attrs['id'] ?? String(col.replicas.length)
      const members = kids(rep, 'resource')
      for (const r of members) addResource(r, null, bid, rid)
      const mine = resources.slice(resources.length - members.length)
      const nodes = [...new Set(mine.flatMap((r) => (r.active ? r.nodes : [])))]
      col.replicas.push({id: rid, resources: mine.map((r) => r.id), nodes, running: mine.length > 0 && mine.every((r) => r.active && !r.failed)})
    }
  }

  const history: ResourceHistory[] = []
  for (const n of kids(kid(root, 'node_history'), 'node')) {
    const node = n.attrs['name'] ?? '?'
    for (const h of kids(n, 'resource_history')) {
      const resource = h.attrs['id'] ?? '?'
      history.push({
        node,
        resource,
        failCount: num(h.attrs['fail-count']) ?? 0,
        migrationThreshold: num(h.attrs['migration-threshold']),
        lastFailure: str(h.attrs['last-failure']),
        operations: kids(h, 'operation_history').map(({attrs: o}) => ({
          node,
          resource,
          call: num(o['call']) ?? 0,
          task: o['task'] ?? '?',
          interval: parseMsAttr(o['interval']) ?? 0,
          rc: num(o['rc']) ?? 0,
          rcText: o['rc_text'] ?? '',
          lastRcChange: str(o['last-rc-change']),
          execMs: parseMsAttr(o['exec-time']),
          queueMs: parseMsAttr(o['queue-time']),
        })),
      })
    }
  }

  const failureEls = kids(kid(root, 'failures'), 'failure')
  at.failures = failureEls.map((f) => f.line)
  const failures: FailedAction[] = failureEls.map(({attrs: f}) => failureOf(f))

  const fencing: FenceEvent[] = kids(kid(root, 'fence_history'), 'fence_event').map(({attrs: e}) => ({
    target: e['target'] ?? '?',
    action: e['action'] ?? '?',
    delegate: str(e['delegate']),
    client: str(e['client']),
    origin: str(e['origin']),
    status: e['status'] ?? '?',
    completed: str(e['completed']),
  }))

  const state: ClusterState = {
    stack: str(kid(summary, 'stack')?.attrs['type']),
    dc: dcPresent ? str(dcEl?.attrs['name']) : null,
    dcVersion: dcPresent ? str(dcEl?.attrs['version']) : null,
    quorum: dcPresent ? bool(dcEl?.attrs['with_quorum']) : null,
    nodesConfigured: num(kid(summary, 'nodes_configured')?.attrs['number']),
    resourcesConfigured: num(kid(summary, 'resources_configured')?.attrs['number']),
    // Pacemaker 3 renamed stonith-enabled to fencing-enabled: the newer name wins, as Pacemaker reads it
    stonithEnabled: boolOrNull(options['fencing-enabled'] ?? options['stonith-enabled']),
    noQuorumPolicy: str(options['no-quorum-policy']),
    maintenanceMode: boolOrNull(options['maintenance-mode']),
    lastUpdate: str(kid(summary, 'last_update')?.attrs['time']),
    lastChange: str(kid(summary, 'last_change')?.attrs['time']),
    nodes,
    resources,
    groups,
    history,
    failures,
    fencing,
    collections,
  }
  return {file, state, lines: at, unreadable}
}

/**
 * One `<failure>`. crm_mon writes `op_key="RSC_TASK_INTERVAL"`, or, when the history entry has no operation
 * key, `id="RSC_last_failure_0"` (the lrm_rsc_op id) with the task and interval as attributes, if at all.
 */
function failureOf(f: Record<string, string>): FailedAction {
  const interval = num(f['interval']) ?? parseMsAttr(f['interval']) ?? 0
  const key = f['op_key'] ?? f['id'] ?? '?'
  let resource: string
  let task: string
  const last = f['op_key'] === undefined ? /^(.+)_last_(?:failure_)?\d+$/.exec(key) : null
  if (last !== null) {
    resource = last[1] ?? key
    task = f['task'] ?? '?'
  } else {
    task = f['task'] ?? key.split('_').slice(-2, -1)[0] ?? '?'
    // op_key = RESOURCE_TASK_INTERVAL; resource ids may contain "_"
    const suffix = `_${task}_${interval}`
    resource = key.endsWith(suffix) ? key.slice(0, -suffix.length) : key.replace(/_[a-z-]+_\d+$/, '')
  }
  return {
    opKey: key,
    resource,
    task,
    node: f['node'] ?? '?',
    interval,
    exitStatus: f['exitstatus'] ?? '',
    exitReason: f['exitreason'] ?? '',
    exitCode: num(f['exitcode']) ?? -1,
    call: num(f['call']) ?? 0,
    status: f['status'] ?? '',
    lastRcChange: str(f['last-rc-change']),
  }
}

/**
 * Why Pacemaker would not recover anything now: cluster-wide maintenance mode, nodes in maintenance,
 * resources in maintenance or unmanaged. Empty: nothing frozen. A drill must refuse to start (or only warn
 * with --force) when this is not empty: Pacemaker fails nothing over, so it would measure nothing.
 */
export function maintenanceReasons(s: ClusterState): string[] {
  const out: string[] = []
  if (s.maintenanceMode === true) out.push('the cluster is in maintenance mode (maintenance-mode=true): Pacemaker starts, stops and monitors nothing')
  for (const n of s.nodes) if (n.maintenance) out.push(`node ${n.name} is in maintenance: its resources are not monitored or moved`)
  const seen = new Set<string>()
  for (const r of s.resources) {
    if (seen.has(r.id)) continue
    if (r.maintenance) out.push(`resource ${r.id} is in maintenance (maintenance=true)`)
    else if (!r.managed && s.maintenanceMode !== true && !r.nodes.some((n) => s.nodes.some((x) => x.name === n && x.maintenance))) out.push(`resource ${r.id} is not managed (maintenance=true or is-managed=false): Pacemaker will not recover it`)
    else continue
    seen.add(r.id)
  }
  return out
}

/** A failed action in words; parts crm_mon did not write (task, time) are left out rather than shown as "?". */
export function failedActionText(f: FailedAction): string {
  const what = f.task === '?' ? `${f.resource} failed` : `${f.resource} ${f.task}${f.interval > 0 ? ` (every ${f.interval / 1000} s)` : ''} failed`
  const exit = [f.exitStatus, f.exitCode >= 0 ? `exit ${f.exitCode}` : ''].filter((x) => x !== '').join(', ')
  return `${what} on ${f.node}${exit === '' ? '' : `: ${exit}`}${f.exitReason === '' ? '' : ` (${f.exitReason})`}${f.lastRcChange === null ? '' : ` at ${f.lastRcChange}`}`
}

/** Where a record of a CrmMon stands (for evidence): its element's line, else the summary's. */
export function crmMonLoc(m: CrmMon, line: number | null | undefined): Loc {
  return {file: m.file, line: line ?? m.lines.summary}
}

/**
 * The cluster state in `crm_mon --output-as=xml` from a node or a saved file; `source` names it in errors
 * (file or host). A crm_mon that could not read the cluster is a HOST error with crm_mon's reason.
 */
export function parseCrmMonXml(text: string, source = '<crm_mon>'): ClusterState {
  const m = parseCrmMon(text, {file: source})
  if (m.unreadable !== null) {
    throw new HachaosError(`crm_mon on ${source} could not read the cluster: ${m.unreadable}`, {
      code: 'E_CRM_MON',
      exit: 'HOST',
      where: source,
      suggestions: ['is the cluster stack (corosync, pacemaker) running on that node?'],
    })
  }
  return m.state
}
