/**
 * `hachaos watch` on a Pacemaker cluster (StackModule.watch): the cluster nodes (role cluster-node), the group
 * with the IPaddr2 VIP, the client's capture and probes, and three pollers: the VIP owner on every node, crm_mon
 * (ClusterWatcher: node conditions, where the group runs) and corosync's liveness on every node (CorosyncLiveness:
 * `corosync-cmapctl` answers or not). No fault is injected: an incident opens when the VIP leaves its node
 * (src/watch/incidents.ts); this file says when the change began and what the model predicts for it:
 *   - the old node was seen put in standby (crm_mon "@node:N standby") before the VIP left it: a graceful move,
 *     predicted as Σ stop(members) + start(VIP) + Pacemaker's latency (predict.ts), measured from that reading;
 *   - corosync stopped answering on the old node (CorosyncLiveness "@corosync:N down": killed, stopped, node
 *     gone or unreachable) before the VIP left it: a node loss, predicted as token + consensus − rotation [+ fence]
 *     + start(VIP) + latency, measured from that reading;
 *   - only crm_mon's "offline/unclean" was seen (a NIC down keeps corosync answering locally): the detection
 *     is before that reading, so no model ('node-lost-seen': the relocation is reported, not judged);
 *   - nothing: no model ('unknown').
 * The measured figure is the drill's: relocationMs = the VIP polled on another node − the anchor
 * (src/stacks/pacemaker/metrics.ts), with the client outage and GARP from the same timeline analysis.
 * The anchor is a poll reading (t at the read's end), so it is late by at most one poll period plus the read:
 * measured relocation ∈ [true − (period + read), true + VIP poll period] (the integration test's tolerance).
 */
import {HachaosError} from '../../errors.js'
import {clockOffsetsOf} from '../../drill/clock.js'
import {clientObservers} from '../../drill/observers.js'
import {confirmedHolders, vipHolders, vipOwnerObserver} from '../../drill/pollers.js'
import {vipUrl} from '../../drill/probe-session.js'
import type {Executor} from '../../exec/types.js'
import type {FaultPlan} from '../../fault/types.js'
import {executorFor, type Inventory, type InventoryHost} from '../../inventory/inventory.js'
import type {FailoverMetrics, Prediction, TimelineEvent} from '../../store/run-types.js'
import {PollLoop} from '../../util/poll-loop.js'
import type {IncidentModel, MasterChange, WatchHook, WatchOptions, WatchTarget} from '../../watch/types.js'
import {pacemakerFigures} from './metrics.js'
import {ClusterWatcher, type Emit} from './observe.js'
import {modelInputFrom, predictPacemaker} from './predict.js'
import {readClusterSnapshot, type ClusterSnapshot} from './snapshot.js'
import {clusterHosts, clusterNodeName, corosyncConfPath, defaultGroup, macOf} from './targets.js'

/** crm_mon is polled no faster than this (one crm_mon per round on the first node that answers). */
export const WATCH_CRM_MON_MIN_MS = 200

/** The cluster event of corosync's liveness on one node (a ClusterWatcher-style "@" resource). */
export const corosyncResource = (node: string): string => `@corosync:${node}`

/**
 * Corosync's liveness on every node: `corosync-cmapctl -g runtime.config.totem.token` exits 0 while corosync
 * runs and answers its IPC;
 * a failure (corosync stopped or killed, the node unreachable) is "down". Emits a cluster event on each change
 * only. State: one flag per node (O(nodes)).
 */
export class CorosyncLiveness extends PollLoop {
  private readonly last = new Map<string, string>()

  constructor(
    private readonly nodes: Array<{name: string; exec: Executor}>,
    private readonly emit: Emit,
    intervalMs: number,
  ) {
    super(intervalMs)
  }

  protected async round(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (n) => {
        let up: boolean
        let t: number
        try {
          // a runtime key every running corosync has (corosync-cfgtool -s also fails on a faulty link to a peer)
          const r = await n.exec.run(['corosync-cmapctl', '-g', 'runtime.config.totem.token'], {timeoutMs: 2000})
          up = r.code === 0 && !r.timedOut
          t = r.t1
        } catch {
          up = false
          t = Math.round((performance.timeOrigin + performance.now()) * 1000)
        }
        const role = up ? 'up' : 'down'
        if (this.last.get(n.name) !== role) {
          this.last.set(n.name, role)
          this.emit({type: 'cluster', t, host: n.name, resource: corosyncResource(n.name), node: n.name, role})
        }
      }),
    )
  }
}

/** What caused a relocation, as the anchor found it. */
export type PacemakerCause = 'standby' | 'node-loss' | 'node-lost-seen' | 'unknown'

const CAUSE_OF: Record<string, PacemakerCause> = {standby: 'standby', down: 'node-loss', offline: 'node-lost-seen', unclean: 'node-lost-seen'}
const HEALTHY = new Set(['online', 'up'])

/**
 * The incident's anchor (pure): the VIP's first departure from its single holder P (vip.owner), and the
 * earliest cause seen on P since P was last seen healthy, before that departure. `names` maps Pacemaker node
 * names to inventory host names (the VIP owner poll uses the latter).
 *
 * `openedUs`: when the incident opened. Its record starts up to the watch's pre-trigger window (15 s) earlier,
 * so a second incident soon after a first one holds the first one's move too; a move that was over (the VIP on
 * one other node) before the incident opened is history, and the holder it left is where this one starts. It
 * took the first move before: the second incident was anchored on the first one's node and cause (a standby
 * where corosync had been killed: seen once in test/integration/watch-pacemaker.test.ts).
 */
export function pacemakerAnchor(events: readonly TimelineEvent[], names: ReadonlyMap<string, string>, openedUs = Number.NEGATIVE_INFINITY): {atUs: number; change: MasterChange} | null {
  let holder: string | null = null
  let left: {t: number; from: string} | null = null
  let to: string | null = null
  for (const e of events) {
    if (e.type !== 'vip.owner') continue
    if (left === null) {
      // gone from its holder, or on another node too (a node whose corosync died keeps it: split brain)
      if (holder !== null && (e.owners.length !== 1 || e.owners[0] !== holder)) left = {t: e.t, from: holder}
      else if (e.owners.length === 1) holder = e.owners[0] ?? null
    }
    if (left !== null) {
      const other = e.owners.find((o) => o !== left?.from)
      if (other !== undefined) {
        if (e.t < openedUs && e.owners.length === 1) {
          // an earlier incident's move, over before this one opened
          holder = other
          left = null
          continue
        }
        to = other
        break
      }
    }
  }
  if (left === null) return null
  const from = left.from
  let cause: {t: number; kind: PacemakerCause} | null = null
  for (const e of events) {
    if (e.t > left.t) break
    if (e.type !== 'cluster') continue
    const m = /^@(node|corosync):(.+)$/.exec(e.resource)
    if (m === null || (names.get(m[2] as string) ?? m[2]) !== from) continue
    if (HEALTHY.has(e.role)) {
      // corosync "up" does not clear a standby (the node stays up in standby)
      if (m[1] === 'node' || cause?.kind !== 'standby') cause = null
      continue
    }
    const kind = CAUSE_OF[e.role]
    if (kind !== undefined && cause === null) cause = {t: e.t, kind}
  }
  const c = cause ?? {t: left.t, kind: 'unknown' as const}
  return {atUs: c.t, change: {from, to, graceful: c.kind === 'standby', cause: c.kind}}
}

/**
 * The incident model of a cluster (pure): the anchor above, and the drills' Pacemaker figures (relocationMs …,
 * src/stacks/pacemaker/metrics.ts) from it. `names`: Pacemaker node name → inventory host name.
 */
export function pacemakerIncidentModel(o: {names: ReadonlyMap<string, string>; vip: string | null; macs: Record<string, string>; firstMember: string}): IncidentModel {
  const clusterName = (host: string | null): string => [...o.names].find(([, h]) => h === host)?.[0] ?? host ?? ''
  return {
    anchor: (events, openedUs) => pacemakerAnchor(events, o.names, openedUs),
    metrics(events: readonly TimelineEvent[], base: FailoverMetrics, faultAtUs: number, c: MasterChange): FailoverMetrics {
      const f = pacemakerFigures(events, {faultAtUs, revertAtUs: null, oldOwner: c.from, vip: o.vip, macs: o.macs, firstMember: o.firstMember, targetNode: clusterName(c.from)})
      return {...base, oldOwner: f.oldOwner, newOwner: f.newOwner ?? c.to, garpMs: base.garpMs ?? f.garpMs, extra: {...base.extra, ...f.extra}}
    },
  }
}

/** The model's fault plan for a cause (predict.ts reads kind, effect and params). */
function planFor(cause: PacemakerCause, target: string): FaultPlan | null {
  const base = {target, summary: '', inject: [], revert: [], warnings: []}
  if (cause === 'standby') return {...base, kind: 'cluster-standby', effect: 'cluster-standby', params: {}}
  if (cause === 'node-loss') return {...base, kind: 'cluster-kill', effect: 'node-loss', params: {daemon: 'corosync'}}
  return null
}

/** The prediction for an incident's change (pure, given the snapshot read when the watch began). */
export function predictIncident(snapshot: ClusterSnapshot, hosts: readonly InventoryHost[], group: string, c: MasterChange): Prediction {
  // no cause given (the dashboard's prediction before any incident): the node-loss model
  const cause = (c.cause ?? 'node-loss') as PacemakerCause
  const from = hosts.find((h) => h.name === c.from)
  const plan = from === undefined ? null : planFor(cause, from.name)
  if (from === undefined || plan === null) {
    const why =
      cause === 'node-lost-seen'
        ? `crm_mon saw ${c.from ?? 'the node'} lost, but corosync on it kept answering (a NIC or network cut?): the detection began before any reading, so the relocation is reported, not judged`
        : `the VIP left ${c.from ?? 'its node'} with no standby and no loss of corosync seen on it: no model`
    return {metric: 'relocationMs', takeoverMs: null, minMs: null, maxMs: null, formula: why, inputs: {cause}}
  }
  const input = modelInputFrom(snapshot, plan, from, group)
  // the incident is about the node that held the VIP, whatever held it when the snapshot was read
  input.targetHoldsGroup = true
  const p = predictPacemaker(input)
  p.inputs['cause'] = cause
  return p
}

async function prepare(o: WatchOptions): Promise<WatchTarget> {
  const inv = o.inventory
  const nodes = clusterHosts(inv)
  const warnings: string[] = []
  let snapshot: ClusterSnapshot | null = null
  let readErr = ''
  for (const n of nodes) {
    try {
      snapshot = await readClusterSnapshot(executorFor(n), {corosyncConf: corosyncConfPath(n)})
      break
    } catch (e) {
      readErr = `${n.name}: ${(e as Error).message}`
    }
  }
  if (snapshot === null) {
    throw new HachaosError(`cannot read the cluster on any node (${readErr})`, {code: 'E_CLUSTER', exit: 'HOST', where: inv.file, suggestions: ['is the cluster stack running? hachaos cluster status']})
  }
  const snap = snapshot
  if (!snap.health.healthy) warnings.push(`the cluster is not healthy as the watch begins: ${snap.health.problems.join('; ')}`)
  const first = nodes[0] as InventoryHost
  const group = defaultGroup(first, snap.crmMon)
  if (group === null) throw new HachaosError('the cluster runs no IPaddr2 VIP and the inventory names no cluster_group', {code: 'E_CLUSTER', exit: 'USAGE', where: inv.file, suggestions: ['set facts.cluster_group on the cluster nodes']})
  const members = snap.crmMon.groups.find((g) => g.id === group)?.resources ?? [group]
  const vip = o.vip ?? inv.vip ?? first.facts.vip ?? null
  if (vip === null) throw new HachaosError('which VIP? the inventory has no vip', {code: 'E_USAGE', exit: 'USAGE', where: inv.file, suggestions: ['add "vip: ADDRESS" to the inventory, or pass --vip']})
  const vipHosts = nodes.map((n) => ({name: n.name, exec: executorFor(n)}))
  const holders = await confirmedHolders(() => vipHolders(vipHosts, vip))
  if (holders.length > 1) warnings.push(`the VIP ${vip} is on ${holders.join(' and ')} as the watch begins: a split brain already`)
  if (holders.length === 0) warnings.push(`no node holds the VIP ${vip} as the watch begins`)
  const client = clientObservers(o, inv, o.url ?? vipUrl(vip), o.emit, warnings, 'no packet capture and no probes: only the VIP owner, crm_mon and corosync polls')
  const hosts = await Promise.all(
    nodes.map(async (n) => {
      const mac = typeof n.facts['mac'] === 'string' ? n.facts['mac'].toLowerCase() : await macOf(executorFor(n), n.facts.interface ?? 'eth0')
      return {name: n.name, ip: n.address, ...(mac === null ? {} : {mac})}
    }),
  )
  const macs: Record<string, string> = {}
  for (const h of hosts) if (h.mac !== undefined) macs[h.mac] = h.name
  // Pacemaker node names → inventory names (the VIP owner poll uses the latter)
  const names = new Map(nodes.map((n) => [clusterNodeName(n), n.name]))
  const clusterNodes = nodes.map((n) => ({name: clusterNodeName(n), exec: executorFor(n)}))
  const model = pacemakerIncidentModel({names, vip, macs, firstMember: members[0] ?? group})
  const clockOffsets = await clockOffsetsOf([...nodes, ...(client === null ? [] : [client.host])])
  return {
    stack: 'pacemaker',
    vip,
    vrid: null,
    hosts,
    master: holders.length === 1 ? (holders[0] ?? null) : null,
    priorities: {},
    interfaces: Object.fromEntries(nodes.map((n) => [n.name, n.facts.interface ?? ''])),
    instance: group,
    client,
    pollers: [
      vipOwnerObserver(o.vipOwner ?? 'monitor', vipHosts, vip, 'hachaos', o.emit, o.pollMs),
      new ClusterWatcher({nodes: clusterNodes, intervalMs: Math.max(WATCH_CRM_MON_MIN_MS, o.pollMs), emit: o.emit}),
      new CorosyncLiveness(clusterNodes, o.emit, o.pollMs),
    ],
    clockOffsets,
    predict: (c) => predictIncident(snap, nodes, group, c),
    model,
    warnings,
  }
}

export const pacemakerWatch: WatchHook = {
  summary: 'pacemaker: two or more hosts with role cluster-node running a group with an IPaddr2 VIP',
  matches: (inv: Inventory) => clusterHosts(inv).length >= 2,
  prepare,
}
