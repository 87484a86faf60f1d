/**
 * Drives the Pacemaker pieces directly (faults from chaos/, observers, prediction, split-brain detection)
 * against the pacemaker lab: plan → observers → inject → hold → revert → wait healthy → metrics.
 * Used by test/integration/pacemaker.test.ts and test/bench/pacemaker-failover.ts. Not a test file.
 */
import {faultDefinition} from '../../chaos/registry.js'
import {clusterHealth, placementOf, type ClusterState} from '../../src/cluster/crm-mon.js'
import {nodeLostMs, resourceRelocationMs, vipRelocation, type VipRelocation} from '../../src/cluster/metrics.js'
import {ArpProber, ClusterWatcher, VipWatcher, type WatchedNode} from '../../src/cluster/observe.js'
import {predictPacemaker, modelInputFrom} from '../../src/cluster/predict.js'
import {readClusterSnapshot} from '../../src/cluster/snapshot.js'
import {detectDualArp, detectDualVip} from '../../src/cluster/split-brain.js'
import {clusterHosts} from '../../src/cluster/targets.js'
import {runInject, runRevert} from '../../src/fault/actions.js'
import type {FaultEnv, FaultPlan, HostRef} from '../../src/fault/types.js'
import {executorFor, findHost, loadInventory, type Inventory, type InventoryHost} from '../../src/inventory/inventory.js'
import {inventoryFile} from '../../src/lab/paths.js'
import {clientGet} from '../../src/lab/pacemaker/lab.js'
import type {Prediction, SplitBrainFinding, TimelineEvent} from '../../src/store/run-types.js'
import {nowUs, sleep, type EpochMicros} from '../../src/time.js'

export interface LabCtx {
  inv: Inventory
  nodes: InventoryHost[]
  client: InventoryHost
  vip: string
  group: string
  dev: string
}

export async function labContext(prefix: string): Promise<LabCtx> {
  const inv = await loadInventory(inventoryFile(prefix, 'pacemaker'))
  const nodes = clusterHosts(inv)
  const first = nodes[0]
  if (first === undefined) throw new Error('no cluster nodes in the lab inventory')
  return {
    inv,
    nodes,
    client: findHost(inv, 'client'),
    vip: inv.vip ?? '',
    group: String(first.facts['cluster_group'] ?? 'g_web'),
    dev: first.facts.interface ?? 'eth0',
  }
}

export function refFor(inv: Inventory, h: InventoryHost): HostRef {
  const {name, ...entry} = h
  return {name, entry, ...(inv.lab === undefined ? {} : {labState: inv.lab.state})}
}

export function faultEnv(ctx: LabCtx, target: string): FaultEnv {
  const t = findHost(ctx.inv, target)
  return {inventory: ctx.inv, target: t, exec: executorFor(t), ref: refFor(ctx.inv, t), executorFor, refFor: (h) => refFor(ctx.inv, h), force: false}
}

export const watched = (ctx: LabCtx): WatchedNode[] => ctx.nodes.map((n) => ({name: n.name, exec: executorFor(n)}))

export interface Health {
  healthy: boolean
  problems: string[]
  owners: string[]
  servedBy: string | null
  state: ClusterState | null
}

/** Healthy = every node online, DC with quorum, the group started exactly once, the VIP on exactly that node, HTTP answered by it. */
export async function health(ctx: LabCtx): Promise<Health> {
  const w = new ClusterWatcher({nodes: watched(ctx), emit: () => undefined})
  const r = await w.read()
  const owners = (await new VipWatcher({nodes: watched(ctx), vip: ctx.vip, dev: ctx.dev, emit: () => undefined}).read()).owners
  const servedBy = await clientGet(String(ctx.client.netns), `http://${ctx.vip}/`, 1)
  const problems: string[] = []
  if (r === null) problems.push('no node answers crm_mon')
  else {
    problems.push(...clusterHealth(r.state, {group: ctx.group}).problems)
    const on = placementOf(r.state, ctx.group)?.nodes ?? []
    if (owners.length !== 1 || on[0] !== owners[0]) problems.push(`VIP on [${owners.join(', ')}], ${ctx.group} on [${on.join(', ')}]`)
  }
  if (servedBy === null || servedBy !== owners[0]) problems.push(`HTTP through the VIP answered by ${servedBy ?? 'nobody'}`)
  return {healthy: problems.length === 0, problems, owners, servedBy, state: r?.state ?? null}
}

export async function waitHealthy(ctx: LabCtx, timeoutMs: number, stableChecks = 2): Promise<{ok: boolean; afterMs: number; last: Health}> {
  const t0 = Date.now()
  let ok = 0
  let last = await health(ctx)
  for (;;) {
    ok = last.healthy ? ok + 1 : 0
    if (ok >= stableChecks) return {ok: true, afterMs: Date.now() - t0, last}
    if (Date.now() - t0 > timeoutMs) return {ok: false, afterMs: Date.now() - t0, last}
    await sleep(500)
    last = await health(ctx)
  }
}

export interface DrillOptions {
  target: string
  kind: string
  params?: Record<string, unknown>
  /** After the VIP moved (or the fault took effect), keep the fault this long before reverting. */
  holdMs: number
  /** Give up waiting for the VIP to move after this long (then revert anyway). */
  maxWaitMs: number
  /** Wait this long for health after the revert. */
  healTimeoutMs?: number
  /** Stop waiting early once this returns true (e.g. "the fence happened"). */
  until?: (events: readonly TimelineEvent[], faultAtUs: EpochMicros) => boolean
}

export interface DrillOutcome {
  plan: FaultPlan
  prediction: Prediction
  faultAtUs: EpochMicros
  revertAtUs: EpochMicros
  oldOwner: string | null
  vip: VipRelocation
  resourceMs: number | null
  nodeLostMs: number | null
  splitBrain: SplitBrainFinding[]
  reverted: {ok: boolean; errors: string[]}
  healedAfterMs: number | null
  healthAfter: Health
  events: TimelineEvent[]
}

export async function drill(ctx: LabCtx, o: DrillOptions): Promise<DrillOutcome> {
  const env = faultEnv(ctx, o.target)
  const plan = await faultDefinition(o.kind).plan(o.params ?? {}, env)
  const before = await readClusterSnapshot(env.exec)
  const prediction = predictPacemaker(modelInputFrom(before, plan, env.target, ctx.group))
  const events: TimelineEvent[] = []
  const emit = (e: TimelineEvent): void => {
    events.push(e)
  }
  const vipW = new VipWatcher({nodes: watched(ctx), vip: ctx.vip, dev: ctx.dev, intervalMs: 100, emit})
  const clusterW = new ClusterWatcher({nodes: watched(ctx), avoid: [o.target], intervalMs: 300, emit})
  const arp = new ArpProber({exec: executorFor(ctx.client), vip: ctx.vip, dev: ctx.dev, clientIp: ctx.client.address, deadlineS: (o.maxWaitMs + o.holdMs + (o.healTimeoutMs ?? 60_000)) / 1000 + 10, emit})
  vipW.start()
  clusterW.start()
  arp.start()
  let faultAtUs = 0
  let revertAtUs = 0
  let reverted = {ok: false, errors: ['not reverted']}
  const oldOwner = (await vipW.read()).owners[0] ?? null
  try {
    await sleep(1200)
    faultAtUs = nowUs()
    events.push({type: 'fault.inject', t: faultAtUs, host: o.target, phase: 'before', fault: plan.kind})
    await runInject(plan.inject)
    events.push({type: 'fault.inject', t: nowUs(), host: o.target, phase: 'after', fault: plan.kind})
    const deadline = Date.now() + o.maxWaitMs
    let movedAt: number | null = null
    while (Date.now() < deadline) {
      if (movedAt === null && vipW.owners.some((x) => x !== oldOwner)) movedAt = Date.now()
      if (o.until?.(events, faultAtUs) === true) break
      if (movedAt !== null && o.until === undefined) break
      await sleep(50)
    }
    await sleep(o.holdMs)
  } finally {
    revertAtUs = nowUs()
    events.push({type: 'fault.revert', t: revertAtUs, host: o.target, phase: 'before', fault: plan.kind, ok: true})
    const r = await runRevert(plan.revert, 180_000)
    reverted = {ok: r.ok, errors: r.errors}
    events.push({type: 'fault.revert', t: nowUs(), host: o.target, phase: 'after', fault: plan.kind, ok: r.ok})
  }
  const healed = await waitHealthy(ctx, o.healTimeoutMs ?? 60_000)
  await Promise.all([vipW.stop(), clusterW.stop(), arp.stop()])
  const endUs = nowUs()
  const macNames: Record<string, string> = {}
  for (const n of ctx.nodes) if (typeof n.facts['mac'] === 'string') macNames[n.facts['mac'].toLowerCase()] = n.name
  return {
    plan,
    prediction,
    faultAtUs,
    revertAtUs,
    oldOwner,
    vip: vipRelocation(events, faultAtUs, oldOwner, revertAtUs),
    resourceMs: resourceRelocationMs(events, faultAtUs, before.crmMon.groups.find((g) => g.id === ctx.group)?.resources[0] ?? ctx.group, oldOwner),
    nodeLostMs: nodeLostMs(events, faultAtUs, o.target),
    splitBrain: [...detectDualVip(events, endUs), ...detectDualArp(events, ctx.vip, {macNames})],
    reverted,
    healedAfterMs: healed.ok ? healed.afterMs : null,
    healthAfter: healed.last,
    events,
  }
}

/** The node that holds the VIP now (the natural target of a drill). */
export async function vipOwner(ctx: LabCtx): Promise<string | null> {
  return (await new VipWatcher({nodes: watched(ctx), vip: ctx.vip, dev: ctx.dev, emit: () => undefined}).read()).owners[0] ?? null
}

export function fmt(ms: number | null): string {
  return ms === null ? '-' : `${(ms / 1000).toFixed(3)} s`
}
