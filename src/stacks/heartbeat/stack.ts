/**
 * The Heartbeat stack (targets with role heartbeat-node): Heartbeat 3 in v1 style (`crm no`, haresources).
 * From an inventory and a target to a ready DrillSpec: ha.cf (timers, media, auto_failback) and the ha-log
 * (how long the resource group took to start last time) feed the prediction (./predict.ts); observers poll
 * the VIP owner on every node (the split brain shows as two owners) and cl_status on every node, and the
 * client captures (gratuitous ARP from IPaddr's send_arp) and probes like any drill.
 */
import {parseHaCf, parseHaresources, resourceVip, crmEnabled} from '../../config/heartbeat.js'
import {HachaosError, errorMessage} from '../../errors.js'
import {clockOffsetsOf} from '../../drill/clock.js'
import {EventLog, type DrillSpec} from '../../drill/engine.js'
import {clientObservers} from '../../drill/observers.js'
import type {DrillOptions, PreparedDrill} from '../../drill/options.js'
import {VipOwnerPoller, vipHolders} from '../../drill/pollers.js'
import {vipUrl} from '../../drill/probe-session.js'
import {extraPhases} from '../../drill/summary.js'
import {commonSpec, display, faultEnv} from '../../drill/setup-kit.js'
import {catFile} from '../../exec/run-ok.js'
import type {Executor} from '../../exec/types.js'
import {executorFor, findHost, hostsWithRole, type InventoryHost} from '../../inventory/inventory.js'
import type {Poller} from '../../util/poll-loop.js'
import type {StackModule} from '../types.js'
import {soakFaultsByRole, type SoakFault} from '../types.js'
import {acquisitionSpansMs, haLogEvents, releaseSpansMs} from './ha-log.js'
import {HeartbeatLive} from './live.js'
import {HeartbeatWatcher} from './observe.js'
import {predictHeartbeat} from './predict.js'
import {HEARTBEAT_RULES} from './rules.js'

export const HEARTBEAT_ROLE = 'heartbeat-node'
export const DEFAULT_HA_CF = '/etc/ha.d/ha.cf'
export const DEFAULT_HA_LOG = '/var/log/ha-log'
export const VIP_POLL_MS = 100
export const CL_STATUS_POLL_MS = 500

function fact(h: InventoryHost, key: string, dflt: string): string {
  const v = h.facts[key]
  return typeof v === 'string' && v !== '' ? v : dflt
}

/** Heartbeat node name (uname -n) of an inventory host: fact heartbeat_node, else the host name. */
export function heartbeatNodeName(h: InventoryHost): string {
  return fact(h, 'heartbeat_node', h.name)
}

async function macOf(exec: Executor, dev: string): Promise<string | null> {
  try {
    const r = await exec.run(['cat', `/sys/class/net/${dev}/address`], {timeoutMs: 3000})
    const m = /^([0-9a-f]{2}(:[0-9a-f]{2}){5})$/i.exec(r.stdout.trim())
    return r.code === 0 && m !== null ? (m[1] as string).toLowerCase() : null
  } catch {
    return null
  }
}

async function prepare(o: DrillOptions): Promise<PreparedDrill> {
  const inv = o.inventory
  const target = findHost(inv, o.target)
  const exec = executorFor(target)
  const env = faultEnv(o, target)
  const nodes = hostsWithRole(inv, HEARTBEAT_ROLE)
  const warnings: string[] = []

  const haCfPath = fact(target, 'ha_cf', DEFAULT_HA_CF)
  let haCf
  let haresources
  try {
    haCf = parseHaCf(await catFile(exec, haCfPath), {file: `${target.name}:${haCfPath}`})
    const hr = haCfPath.replace(/ha\.cf$/, 'haresources')
    haresources = crmEnabled(haCf) ? null : parseHaresources(await catFile(exec, hr), {file: `${target.name}:${hr}`})
  } catch (e) {
    throw new HachaosError(`cannot read Heartbeat's configuration on ${target.name}: ${errorMessage(e)}`, {
      code: 'E_CLUSTER',
      exit: 'HOST',
      where: target.name,
      suggestions: ['set facts.ha_cf on the heartbeat nodes if ha.cf is not in /etc/ha.d', 'nothing was broken'],
    })
  }
  if (crmEnabled(haCf)) warnings.push(`ha.cf says crm ${haCf.crm?.value ?? ''}: Pacemaker runs the resources, the v1 model below is about the messaging layer only`)

  // The group's start time, from the last acquisition in the ha-log (1 s resolution) of the node(s) that
  // will take the group over (the target's peers); the target's own log when no peer has one. The peers'
  // figure is the one the relocation is about: a node's IPaddr/nginx start differs from its peer's.
  const lastSpan = async (h: InventoryHost, spansOf: typeof acquisitionSpansMs): Promise<number | null> => {
    try {
      const r = await executorFor(h).run(['tail', '-n', '3000', fact(h, 'ha_log', DEFAULT_HA_LOG)], {timeoutMs: 5000})
      const spans = spansOf(haLogEvents(r.stdout))
      return spans.length > 0 ? (spans[spans.length - 1] as number) : null
    } catch {
      return null
    }
  }
  const peerSpans = (await Promise.all(nodes.filter((n) => n.name !== target.name).map((n) => lastSpan(n, acquisitionSpansMs)))).filter((x): x is number => x !== null)
  const resourceStartMs: number | null = peerSpans.length > 0 ? Math.max(...peerSpans) : await lastSpan(target, acquisitionSpansMs)
  if (resourceStartMs === null) warnings.push('no resource start in any node\'s ha-log: 1 s is assumed')
  // A graceful stop first runs the target's own stops: its last give-up, from its ha-log.
  const releaseMs = await lastSpan(target, releaseSpansMs)

  const vip = o.vip ?? inv.vip ?? target.facts.vip ?? haresources?.groups.flatMap((g) => g.resources.map(resourceVip)).find((x): x is string => x !== null) ?? null
  if (vip === null) throw new HachaosError('which VIP? the inventory has no vip and haresources names no IPaddr', {code: 'E_USAGE', exit: 'USAGE', suggestions: ['add "vip: ADDRESS" to the inventory, or pass --vip']})
  const holders = nodes.map((n) => ({name: n.name, exec: executorFor(n)}))
  const owners = await vipHolders(holders, vip)
  const oldOwner = owners[0] ?? null
  if (owners.length > 1) warnings.push(`the VIP ${vip} is on ${owners.join(' and ')} already before the fault`)
  if (oldOwner !== target.name) warnings.push(`${target.name} does not hold the VIP (it is on ${oldOwner ?? 'no node'})`)

  const plan = await o.planFault(env)
  const prediction = predictHeartbeat({haCf, effect: plan.effect, resourceStartMs, releaseMs})

  const log = new EventLog()
  const emit = log.emit
  const client = clientObservers(o, inv, o.url ?? vipUrl(vip), emit, warnings, 'no packet capture, no probes')
  const clientHost = client?.host ?? null
  const pollers: Poller[] = [new VipOwnerPoller(holders, vip, 'hachaos', emit, VIP_POLL_MS), new HeartbeatWatcher(nodes.map((n) => ({name: heartbeatNodeName(n), exec: executorFor(n)})), emit, CL_STATUS_POLL_MS)]

  const dev = target.facts.interface ?? 'eth0'
  const hosts = await Promise.all(
    nodes.map(async (n) => {
      const mac = typeof n.facts['mac'] === 'string' ? n.facts['mac'].toLowerCase() : await macOf(executorFor(n), n.facts.interface ?? dev)
      return {name: n.name, ip: n.address, ...(mac === null ? {} : {mac})}
    }),
  )
  const oldMac = hosts.find((h) => h.name === oldOwner)?.mac ?? null
  const t = prediction.inputs
  const stableMs = Math.max(5000, 2 * Number(t['deadtimeMs']) + Number(t['initdeadMs']))
  const hooks = new HeartbeatLive({
    effect: plan.effect,
    predicted: prediction.takeoverMs !== null,
    oldOwner,
    nodes: nodes.map(heartbeatNodeName),
    // on reconnect both nodes re-exec heartbeat: initdead, then the resource start, under a loaded machine
    settleWaitMs: 120_000,
    stableMs,
    figures: {vip, oldMac},
  })
  const clockOffsets = await clockOffsetsOf([target, ...(clientHost === null ? [] : [clientHost]), ...nodes])
  const spec: DrillSpec = {
    ...commonSpec(o, inv, client, () => []),
    log,
    stack: 'heartbeat',
    target: target.name,
    plan,
    prediction,
    vip,
    vrid: null,
    hosts,
    oldMaster: oldOwner,
    pollers,
    clockOffsets,
    warnings,
    hooks,
  }
  return {spec, plan, prediction, stack: 'heartbeat', commands: display(plan, inv)}
}

/**
 * The soak catalogue (src/gameday/soak.ts): node loss three ways, the graceful stop, and the partition — the v1
 * split brain, held a fixed 8 s (it lasts as long as the fault). Append, do not reorder (the seeded series).
 */
export const HEARTBEAT_SOAK: readonly SoakFault[] = [
  {name: 'nic-down', fault: 'nic-down', params: {}, roles: [HEARTBEAT_ROLE]},
  {name: 'kill heartbeat KILL', fault: 'kill', params: {process: 'heartbeat', signal: 'KILL'}, roles: [HEARTBEAT_ROLE]},
  {name: 'service-stop heartbeat', fault: 'service-stop', params: {service: 'heartbeat'}, roles: [HEARTBEAT_ROLE]},
  {name: 'partition', fault: 'partition', params: {}, roles: [HEARTBEAT_ROLE], holdMs: 8000, splitBrain: true},
]

export const heartbeatStack: StackModule = {
  name: 'heartbeat',
  summary: `Heartbeat 3 (v1, haresources) pairs with an IPaddr VIP: targets with role ${HEARTBEAT_ROLE}`,
  matches: (target) => target.roles.includes(HEARTBEAT_ROLE),
  prepare,
  records: ['heartbeat'],
  recordLabels: {heartbeat: 'Heartbeat (v1, haresources)'},
  phases: (run) =>
    extraPhases(run, {
      relocationMs: (r) => `the VIP is configured on ${r.metrics.newOwner ?? 'the other node'}`,
      vipRemovedMs: (r) => `the VIP is gone from ${r.metrics.oldOwner ?? 'the old node'}`,
    }),
  rules: HEARTBEAT_RULES,
  lockRoles: [HEARTBEAT_ROLE],
  soakCatalogue: HEARTBEAT_SOAK,
  soakFaults: (target) => soakFaultsByRole(HEARTBEAT_SOAK, target),
}
