/**
 * From an inventory and a cluster-node target to a ready DrillSpec for a Pacemaker/Corosync cluster: the
 * cluster's state and timers (crm_mon, corosync-cmapctl, corosync.conf) feed the prediction (src/cluster/
 * predict.ts); observers poll the VIP owner on every node and crm_mon, ask the client's ARP for the VIP
 * (two MACs answering = split brain on the wire), capture and probe from the client like any drill.
 */
import {pacemakerFigures, clusterSettled, vipMoved} from '../cluster/metrics.js'
import {ArpProber, ClusterWatcher} from '../cluster/observe.js'
import {modelInputFrom, predictPacemaker} from '../cluster/predict.js'
import {readClusterSnapshot} from '../cluster/snapshot.js'
import {clusterHosts, clusterNodeName, corosyncConfPath, defaultGroup} from '../cluster/targets.js'
import {HachaosError, errorMessage} from '../errors.js'
import type {Executor} from '../exec/types.js'
import type {FaultEnv, FaultPlan, HostRef} from '../fault/types.js'
import {executorFor, findHost, type Inventory, type InventoryHost} from '../inventory/inventory.js'
import {clockOffsetsOf} from './clock.js'
import {EventLog, type DrillSpec, type StackHooks} from './engine.js'
import {VipOwnerPoller, vipHolders} from './pollers.js'
import {clientObservers} from './observers.js'
import {vipUrl} from './probe-session.js'
import type {DrillOptions, PreparedDrill} from './setup.js'
import type {Poller} from '../util/poll-loop.js'

export interface SetupHelpers {
  hostRef(inv: Inventory, h: InventoryHost): HostRef
  display(plan: FaultPlan, inv: Inventory): {inject: string[]; revert: string[]}
}

/** VIP owner poll interval: the relocation and dual-VIP figures are known to this resolution. */
export const VIP_POLL_MS = 100
export const CRM_MON_POLL_MS = 500

async function macOf(exec: Executor, dev: string): Promise<string | null> {
  try {
    const r = await exec.run(['cat', `/sys/class/net/${dev}/address`], {timeoutMs: 3000})
    const m = /^([0-9a-f]{2}(:[0-9a-f]{2}){5})$/i.exec(r.stdout.trim())
    return r.code === 0 && m !== null ? (m[1] as string).toLowerCase() : null
  } catch {
    return null
  }
}

export async function preparePacemakerDrill(o: DrillOptions, helpers: SetupHelpers): Promise<PreparedDrill> {
  const inv = o.inventory
  const target = findHost(inv, o.target)
  const exec = executorFor(target)
  const env: FaultEnv = {inventory: inv, target, exec, ref: helpers.hostRef(inv, target), executorFor, refFor: (h) => helpers.hostRef(inv, h), force: o.force}
  const nodes = clusterHosts(inv)
  const warnings: string[] = []

  let snapshot
  try {
    snapshot = await readClusterSnapshot(exec, {corosyncConf: corosyncConfPath(target)})
  } catch (e) {
    throw new HachaosError(`cannot read the cluster on ${target.name}: ${errorMessage(e)}`, {
      code: 'E_CLUSTER',
      exit: 'HOST',
      where: target.name,
      suggestions: ['is the cluster stack running there? hachaos cluster status', 'nothing was broken'],
    })
  }
  const health = snapshot.health
  if (!health.healthy) warnings.push(`the cluster is not healthy before the fault: ${health.problems.join('; ')}`)
  const group = defaultGroup(target, snapshot.crmMon)
  if (group === null) throw new HachaosError('the cluster runs no IPaddr2 VIP and the inventory names no cluster_group', {code: 'E_CLUSTER', exit: 'USAGE', suggestions: ['set facts.cluster_group on the cluster nodes']})
  const members = snapshot.crmMon.groups.find((g) => g.id === group)?.resources ?? [group]

  const vip = o.vip ?? inv.vip ?? target.facts.vip ?? null
  if (vip === null) throw new HachaosError('which VIP? the inventory has no vip', {code: 'E_USAGE', exit: 'USAGE', suggestions: ['add "vip: ADDRESS" to the inventory, or pass --vip']})
  const owners = await vipHolders(nodes.map((n) => ({name: n.name, exec: executorFor(n)})), vip)
  const oldOwner = owners[0] ?? null
  if (owners.length > 1) warnings.push(`the VIP ${vip} is on ${owners.join(' and ')} already before the fault`)
  if (oldOwner !== target.name) warnings.push(`${target.name} does not hold the VIP (it is on ${oldOwner ?? 'no node'})`)

  const plan = await o.planFault(env)
  const prediction = predictPacemaker(modelInputFrom(snapshot, plan, target, group))
  prediction.inputs['failbackWaitMs'] = 60_000

  // Observers.
  const log = new EventLog()
  const emit = log.emit
  const client = clientObservers(o, inv, o.url ?? vipUrl(vip), emit, warnings, 'no packet capture, no probes, no ARP probe')
  const clientHost = client?.host ?? null
  const capture = client?.capture ?? null
  const probe = client?.probe ?? null
  const probeInfo = client?.probeInfo ?? null
  const arp = client !== null && !vip.includes(':') ? new ArpProber({exec: client.exec, vip, dev: client.dev, clientIp: client.host.address, deadlineS: 600, emit}) : null
  const dev = target.facts.interface ?? 'eth0'
  const pollers: Poller[] = arp === null ? [] : [arp]
  pollers.push(new VipOwnerPoller(nodes.map((n) => ({name: n.name, exec: executorFor(n)})), vip, 'hachaos', emit, VIP_POLL_MS))
  pollers.push(new ClusterWatcher({nodes: nodes.map((n) => ({name: clusterNodeName(n), exec: executorFor(n)})), avoid: [clusterNodeName(target)], intervalMs: CRM_MON_POLL_MS, emit}))

  const hosts = await Promise.all(
    nodes.map(async (n) => {
      const mac = typeof n.facts['mac'] === 'string' ? n.facts['mac'].toLowerCase() : await macOf(executorFor(n), n.facts.interface ?? dev)
      return {name: n.name, ip: n.address, ...(mac === null ? {} : {mac})}
    }),
  )
  const macs: Record<string, string> = {}
  for (const h of hosts) if (h.mac !== undefined) macs[h.mac] = h.name
  const nodeNames = nodes.map(clusterNodeName)
  const hooks: StackHooks = {
    reacted: (events, faultAt) => vipMoved(events, faultAt, oldOwner),
    settled: (events) => clusterSettled(events, {nodes: nodeNames, members}),
    settleWaitMs: 60_000,
    metrics: (events, base, faultAt, revertAt) => {
      if (faultAt === null) return base
      const f = pacemakerFigures(events, {faultAtUs: faultAt, revertAtUs: revertAt, oldOwner, vip, macs, firstMember: members[0] ?? group, targetNode: clusterNodeName(target)})
      return {...base, oldOwner: f.oldOwner, newOwner: f.newOwner, garpMs: base.garpMs ?? f.garpMs, extra: {...base.extra, ...f.extra}}
    },
  }

  const clockOffsets = await clockOffsetsOf([target, ...(clientHost === null ? [] : [clientHost]), ...nodes])

  const spec: DrillSpec = {
    runId: o.runId,
    log,
    stack: 'pacemaker',
    target: target.name,
    plan,
    prediction,
    vip,
    vrid: null,
    hosts,
    oldMaster: oldOwner,
    capture,
    probe,
    probeInfo,
    pollers,
    holdMs: o.holdMs,
    toleranceMs: o.toleranceMs,
    maxOutageMs: o.maxOutageMs,
    lbServer: null,
    inventoryFile: inv.file,
    lab: inv.lab === undefined ? null : {topology: inv.lab.topology, prefix: inv.lab.prefix},
    clockOffsets,
    warnings,
    helperPids: () => [
      ...(capture?.pid === undefined ? [] : [{host: capture.host, pid: capture.pid, argv: ['tcpdump']}]),
      ...(probe?.pid === undefined || clientHost === null ? [] : [{host: clientHost.name, pid: probe.pid, argv: probe.argv}]),
      ...(arp?.pid === undefined || clientHost === null ? [] : [{host: clientHost.name, pid: arp.pid, argv: ['arping']}]),
    ],
    stackHooks: hooks,
  }
  return {spec, plan, prediction, stack: 'pacemaker', commands: helpers.display(plan, inv)}
}
