/**
 * What a fault should do to a Pacemaker cluster's VIP, and when (the Prediction of a drill).
 *
 * Node loss (corosync killed, NIC down, the target cut off in a partition):
 *   the peers declare the node lost after the token timeout and form a new membership after consensus
 *   (corosync.conf(5): token + (nodes − 2) × token_coefficient with ≥ 3 nodes; consensus = 1.2 × token),
 *   then [fence it, when stonith is enabled], then the DC starts the group elsewhere: the VIP first.
 *     VIP elsewhere ≈ token + consensus − rotation/2 [+ fence] + start(VIP) + Pacemaker's own latency
 * Graceful move (standby, crm_resource --move): no timer; the group stops in reverse order, then starts:
 *     VIP elsewhere ≈ Σ stop(members) + start(VIP) + Pacemaker's own latency
 * A resource that dies in place is only seen by its monitor: detection within one monitor interval.
 * Start/stop durations come from the cluster's own operation history (crm_mon exec-time); monitor intervals
 * from the same history. The token timers of the peers started when they last saw the token, up to one
 * rotation of the ring (nodes × hold) before the fault: detection falls in [token + consensus − rotation,
 * token + consensus]. Pacemaker's own latency (CPG messages, the scheduler run) is not a protocol timer:
 * the model carries it as a stated allowance (PACEMAKER_LATENCY), measured on the lab (README).
 */
import {effectiveTimers} from '../../config/corosync.js'
import type {FaultEffect, FaultPlan} from '../../fault/types.js'
import type {InventoryHost} from '../../inventory/inventory.js'
import type {Prediction} from '../../store/run-types.js'
import {placementOf} from './crm-mon.js'
import type {ClusterSnapshot} from './snapshot.js'
import {clusterNodeName} from './targets.js'

/**
 * Pacemaker's own work (ms), from the membership or CIB change to the first start on the new node (the DC's
 * scheduler run and the transition), measured on the 3-node lab (README, Pacemaker / Corosync):
 *   after a node loss ~0.1 s in most runs and ~1.1 s in about a third (the DC's scheduler then runs a second
 *   after the node failure), whether or not the DC itself was lost: the model uses the mean;
 *   in a graceful move (standby, crm_resource --move) ~0.1 s between the VIP's stop and its start elsewhere.
 * The upper bound adds the tolerance.
 */
export const PACEMAKER_LATENCY = {
  nodeLossMs: 500,
  gracefulMs: 150,
  toleranceMs: 1500,
} as const

/**
 * The figure a Pacemaker prediction is about (FailoverMetrics.extra): the VIP configured on another node
 * than the one that had it, after the fault (polled addresses).
 */
export const RELOCATION_METRIC = 'relocationMs'

/** The lab fence agent's own time (request → power off → 0.5 s → power on, not the boot: a BMC reports "on" when power is applied), measured: ~0.75 s. */
export const LAB_FENCE_MS = 800

export interface GroupMember {
  id: string
  agent: string
  startMs: number | null
  stopMs: number | null
  monitorMs: number | null
}

export interface PacemakerModelInput {
  kind: string
  effect: FaultEffect
  params: Record<string, unknown>
  nodeCount: number
  tokenMs: number
  consensusMs: number
  /** Where the timers came from: runtime (corosync-cmapctl), corosync.conf, or corosync's defaults. */
  timerSource: 'runtime' | 'corosync.conf' | 'default'
  tokenFormula: string
  /** Token hold of an idle node (runtime, else corosync's own formula): the ring turns in ≈ nodes × hold. */
  holdMs: number
  stonithEnabled: boolean
  /** Expected fence duration (null: unknown agent; only the upper bound uses stonith-timeout). */
  fenceMs: number | null
  stonithTimeoutMs: number | null
  targetIsDc: boolean
  targetHoldsGroup: boolean
  /** For partitions: how many nodes are on the target's side. */
  targetSide: number | null
  group: string
  members: GroupMember[]
}

function lastOp(s: ClusterSnapshot, resource: string, task: string, node?: string): number | null {
  const ops = s.crmMon.history
    .filter((h) => h.resource === resource && (node === undefined || h.node === node))
    .flatMap((h) => h.operations)
    .filter((o) => o.task === task && o.rc === 0 && o.execMs !== null)
    .sort((a, b) => b.call - a.call)
  return ops[0]?.execMs ?? null
}

function monitorInterval(s: ClusterSnapshot, resource: string): number | null {
  const op = s.crmMon.history
    .filter((h) => h.resource === resource)
    .flatMap((h) => h.operations)
    .find((o) => o.task === 'monitor' && o.interval > 0)
  return op?.interval ?? null
}

/** The model's inputs, from a snapshot of the cluster taken before the fault and the fault's plan. */
export function modelInputFrom(s: ClusterSnapshot, plan: FaultPlan, target: InventoryHost, group: string): PacemakerModelInput {
  const node = clusterNodeName(target)
  const nodeCount = s.crmMon.nodes.length
  let tokenMs: number
  let consensusMs: number
  let timerSource: PacemakerModelInput['timerSource']
  let tokenFormula: string
  if (s.runtime !== null) {
    tokenMs = s.runtime.tokenMs
    consensusMs = s.runtime.consensusMs
    timerSource = 'runtime'
    tokenFormula = s.corosync?.effective.tokenFormula ?? `${tokenMs} ms`
  } else {
    const eff = s.corosync?.effective ?? effectiveTimers(null, null, null, nodeCount)
    tokenMs = eff.tokenMs
    consensusMs = eff.consensusMs
    timerSource = s.corosync === null ? 'default' : 'corosync.conf'
    tokenFormula = eff.tokenFormula
  }
  // corosync (totemconfig.c): token_retransmit = token / (retransmits_before_loss + 0.2); hold = 0.8 × that − 10
  const holdMs = s.runtime?.holdMs ?? Math.floor((tokenMs / 4.2) * 0.8 - 10)
  const g = s.crmMon.groups.find((x) => x.id === group)
  const ids = g?.resources ?? [group]
  const members = ids.map((id) => ({
    id,
    agent: s.crmMon.resources.find((r) => r.id === id)?.agent ?? '',
    startMs: lastOp(s, id, 'start'),
    stopMs: lastOp(s, id, 'stop'),
    monitorMs: monitorInterval(s, id),
  }))
  const fenceAgent = s.crmMon.resources.find((r) => r.agent.startsWith('stonith:'))?.agent ?? null
  const sides = plan.params['sides']
  const targetSide = Array.isArray(sides) && Array.isArray(sides[0]) ? sides[0].length : null
  return {
    kind: plan.kind,
    effect: plan.effect,
    params: plan.params,
    nodeCount,
    tokenMs,
    consensusMs,
    timerSource,
    tokenFormula,
    holdMs,
    stonithEnabled: s.crmMon.stonithEnabled === true,
    fenceMs: fenceAgent === 'stonith:fence_hachaos_lab' ? LAB_FENCE_MS : null,
    stonithTimeoutMs: null,
    targetIsDc: s.crmMon.dc === node,
    targetHoldsGroup: placementOf(s.crmMon, group)?.nodes.includes(node) ?? false,
    targetSide,
    group,
    members,
  }
}

const sec = (ms: number): string => `${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')} s`

function none(formula: string, inputs: Prediction['inputs']): Prediction {
  return {metric: RELOCATION_METRIC, takeoverMs: null, minMs: null, maxMs: null, formula, inputs}
}

/**
 * What an agent's start/stop takes when the cluster's history has no record of it yet (a stop, before the
 * first move): from the agent's code. ocf:heartbeat:apache stops gracefully (SIGWINCH) and checks once a
 * second until the parent is gone: two checks on the lab (2.0 s measured); IPaddr2 is a few ip commands.
 */
export const AGENT_OP_FALLBACK_MS: Record<string, {startMs: number; stopMs: number}> = {
  'ocf:heartbeat:apache': {startMs: 1100, stopMs: 2000},
  'ocf:heartbeat:IPaddr2': {startMs: 100, stopMs: 100},
}

const opMs = (m: GroupMember, which: 'startMs' | 'stopMs'): number => m[which] ?? AGENT_OP_FALLBACK_MS[m.agent]?.[which] ?? 0

export function predictPacemaker(i: PacemakerModelInput): Prediction {
  const vip = i.members.find((m) => /:IPaddr2?$/.test(m.agent)) ?? i.members[0]
  const vipStart = vip === undefined ? 0 : opMs(vip, 'startMs')
  const inputs: Prediction['inputs'] = {
    tokenMs: i.tokenMs,
    consensusMs: i.consensusMs,
    timers: i.timerSource,
    nodes: i.nodeCount,
    stonith: i.stonithEnabled,
    targetIsDc: i.targetIsDc,
    targetHoldsGroup: i.targetHoldsGroup,
    vipStartMs: vipStart,
    pacemakerLatencyMs: PACEMAKER_LATENCY.nodeLossMs,
  }
  for (const m of i.members) if (m.monitorMs !== null) inputs[`${m.id}MonitorMs`] = m.monitorMs
  if (!i.targetHoldsGroup && i.kind !== 'cluster-move') {
    return none(`the target does not run ${i.group}: the VIP should not move`, inputs)
  }
  const daemon = i.params['daemon']
  if (i.kind === 'cluster-kill' && daemon === 'pacemakerd') {
    return none("pacemakerd's children (controller, executor …) keep running: nothing should move", inputs)
  }
  if (i.kind === 'cluster-kill' && daemon === 'pacemaker-controld') {
    return none('pacemakerd respawns the controller; whether the group moves is a race (without fencing the VIP may run twice): no timer model', inputs)
  }
  const graceful = i.effect === 'cluster-standby' || i.effect === 'cluster-move'
  const nodeLoss = i.effect === 'node-loss' || (i.effect === 'cluster-partition' && i.targetSide !== null && i.targetSide * 2 <= i.nodeCount)
  if (i.effect === 'cluster-partition' && !nodeLoss) {
    return none(`the target's side (${i.targetSide ?? '?'} of ${i.nodeCount}) keeps quorum: the group stays`, inputs)
  }
  if (graceful) {
    const stops = [...i.members].reverse().map((m) => ({id: m.id, ms: opMs(m, 'stopMs')}))
    const stopSum = stops.reduce((a, b) => a + b.ms, 0)
    const min = stopSum + vipStart
    const takeover = min + PACEMAKER_LATENCY.gracefulMs
    inputs['stopMs'] = stopSum
    inputs['pacemakerLatencyMs'] = PACEMAKER_LATENCY.gracefulMs
    return {
      metric: RELOCATION_METRIC,
      takeoverMs: takeover,
      minMs: min,
      maxMs: takeover + PACEMAKER_LATENCY.toleranceMs,
      formula: `stop ${stops.map((s) => `${s.id} ${sec(s.ms)}`).join(' + ')} + start ${vip?.id ?? 'VIP'} ${sec(vipStart)} + Pacemaker ${sec(PACEMAKER_LATENCY.gracefulMs)} = ${sec(takeover)} (${i.kind === 'cluster-move' ? 'crm_resource --move' : 'standby'}: graceful, no timer)`,
      inputs,
    }
  }
  if (nodeLoss) {
    // The peers' token timers started when they last saw the token: up to one rotation (nodes × hold)
    // before the fault. Then consensus (gather/commit without the lost node).
    const rotation = i.nodeCount * i.holdMs
    const detectMax = i.tokenMs + i.consensusMs
    const detectMin = Math.max(i.consensusMs, detectMax - rotation)
    const detectMid = Math.round((detectMin + detectMax) / 2)
    const fence = i.stonithEnabled ? (i.fenceMs ?? 0) : 0
    const takeover = detectMid + fence + vipStart + PACEMAKER_LATENCY.nodeLossMs
    inputs['holdMs'] = i.holdMs
    inputs['detectMinMs'] = detectMin
    inputs['detectMaxMs'] = detectMax
    inputs['fenceMs'] = fence
    const parts = [
      `token ${i.tokenMs} ms (${i.tokenFormula}) + consensus ${i.consensusMs} ms − up to one token rotation (${i.nodeCount} × hold ${i.holdMs} ms) = ${sec(detectMin)} … ${sec(detectMax)}`,
      ...(i.stonithEnabled ? [`fence ${i.fenceMs === null ? '?' : sec(fence)}`] : []),
      `start ${vip?.id ?? 'VIP'} ${sec(vipStart)}`,
      `Pacemaker ${sec(PACEMAKER_LATENCY.nodeLossMs)}`,
    ]
    const warn = i.stonithEnabled ? '' : '; stonith disabled: the old node may keep the VIP (split brain)'
    return {
      metric: RELOCATION_METRIC,
      takeoverMs: takeover,
      minMs: detectMin + fence + vipStart,
      maxMs: detectMax + fence + vipStart + PACEMAKER_LATENCY.nodeLossMs + PACEMAKER_LATENCY.toleranceMs,
      formula: `${parts.join(' + ')} ≈ ${sec(takeover)} (node loss${warn})`,
      inputs,
    }
  }
  if (i.effect === 'service-loss' || i.effect === 'backend-loss') {
    const mon = Math.max(0, ...i.members.map((m) => m.monitorMs ?? 0))
    const restart = i.members.reduce((a, m) => a + opMs(m, 'startMs'), 0)
    return {
      metric: 'outageMs',
      takeoverMs: Math.round(mon / 2) + restart,
      minMs: restart,
      maxMs: mon + restart + PACEMAKER_LATENCY.nodeLossMs + PACEMAKER_LATENCY.toleranceMs,
      formula: `monitor interval ${sec(mon)} (detection 0 … ${sec(mon)}) + restart ${sec(restart)}: recovery in place, the VIP stays`,
      inputs,
    }
  }
  return none(`no model for ${i.kind} (${i.effect})`, inputs)
}
