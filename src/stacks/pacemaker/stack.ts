/**
 * The Pacemaker/Corosync stack (targets with role cluster-node; its readers and model are the other files of
 * this folder). From an inventory and a cluster-node target to a ready DrillSpec: the
 * cluster's state and timers (crm_mon, corosync-cmapctl, corosync.conf) feed the prediction (
 * ./predict.ts); observers poll the VIP owner on every node and crm_mon, ask the client's ARP for the VIP
 * (two MACs answering = split brain on the wire), capture and probe from the client like any drill.
 */
import {maintenanceReasons} from '../../config/crm-mon.js'
import {HachaosError, errorMessage} from '../../errors.js'
import {clockOffsetsOf} from '../../drill/clock.js'
import {EventLog, type DrillSpec} from '../../drill/engine.js'
import {clientObservers} from '../../drill/observers.js'
import type {DrillOptions, PreparedDrill} from '../../drill/options.js'
import {VipOwnerPoller, vipHolders} from '../../drill/pollers.js'
import {vipUrl} from '../../drill/probe-session.js'
import {extraPhases} from '../../drill/summary.js'
import {commonSpec, display, faultEnv} from '../../drill/setup-kit.js'
import type {Executor} from '../../exec/types.js'
import {executorFor, findHost, type InventoryHost} from '../../inventory/inventory.js'
import type {Poller} from '../../util/poll-loop.js'
import type {StackModule} from '../types.js'
import {soakFaultsByRole} from '../types.js'
import {PACEMAKER_SOAK} from './soak.js'
import {clusterRules} from './doctor.js'
import {PacemakerLive} from './live.js'
import {ArpProber, ClusterWatcher} from './observe.js'
import {modelInputFrom, predictPacemaker} from './predict.js'
import {readClusterSnapshot, type ClusterSnapshot} from './snapshot.js'
import {CLUSTER_ROLE, clusterHosts, clusterNodeName, corosyncConfPath, defaultGroup, macOf} from './targets.js'
import {pacemakerWatch} from './watch.js'

/** VIP owner poll interval: the relocation and dual-VIP figures are known to this resolution. */
export const VIP_POLL_MS = 100
export const CRM_MON_POLL_MS = 500

/**
 * prepare()'s first step, before anything is broken: the cluster's state read through `exec` (the target's
 * executor), a warning when it is not healthy, and the refusal (E_MAINTENANCE, exit CONFLICT) when Pacemaker is
 * in maintenance mode — cluster, node or resource — where it fails nothing over and a drill would measure
 * nothing (issue 13, item 10); with `force`, a warning instead. Separate so that it runs on a scripted executor.
 */
export async function clusterBeforeDrill(exec: Executor, target: InventoryHost, force: boolean): Promise<{snapshot: ClusterSnapshot; warnings: string[]}> {
  const warnings: string[] = []
  let snapshot: ClusterSnapshot
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
  // In maintenance mode Pacemaker fails nothing over: a drill would measure nothing (issue 13, item 10).
  const maintenance = maintenanceReasons(snapshot.crmMon)
  if (maintenance.length > 0) {
    if (!force) {
      throw new HachaosError(`refusing the drill on ${target.name}: ${maintenance.join('; ')}`, {
        code: 'E_MAINTENANCE',
        exit: 'CONFLICT',
        where: target.name,
        suggestions: ['take the cluster, node or resource out of maintenance first (crm configure property maintenance-mode=false)', 'or pass --force to drill anyway (nothing will fail over)', 'nothing was broken'],
      })
    }
    warnings.push(`maintenance mode (--force): ${maintenance.join('; ')}`)
  }
  return {snapshot, warnings}
}

async function prepare(o: DrillOptions): Promise<PreparedDrill> {
  const inv = o.inventory
  const target = findHost(inv, o.target)
  const exec = executorFor(target)
  const env = faultEnv(o, target)
  const nodes = clusterHosts(inv)

  const {snapshot, warnings} = await clusterBeforeDrill(exec, target, o.force)
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
  const hooks = new PacemakerLive({
    effect: plan.effect,
    predicted: prediction.takeoverMs !== null,
    oldOwner,
    nodes: nodeNames,
    members,
    settleWaitMs: 60_000,
    figures: {vip, macs, firstMember: members[0] ?? group, targetNode: clusterNodeName(target)},
  })

  const clockOffsets = await clockOffsetsOf([target, ...(clientHost === null ? [] : [clientHost]), ...nodes])

  const spec: DrillSpec = {
    ...commonSpec(o, inv, client, () => (arp?.pid === undefined || clientHost === null ? [] : [{host: clientHost.name, pid: arp.pid, argv: ['arping']}])),
    log,
    stack: 'pacemaker',
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
  return {spec, plan, prediction, stack: 'pacemaker', commands: display(plan, inv)}
}

export const pacemakerStack: StackModule = {
  name: 'pacemaker',
  summary: `Pacemaker/Corosync clusters with an IPaddr2 VIP: targets with role ${CLUSTER_ROLE}`,
  matches: (target) => target.roles.includes(CLUSTER_ROLE),
  prepare,
  records: ['pacemaker'],
  recordLabels: {pacemaker: 'Pacemaker/Corosync'},
  rules: clusterRules,
  lockRoles: [CLUSTER_ROLE],
  soakCatalogue: PACEMAKER_SOAK,
  soakFaults: (target) => soakFaultsByRole(PACEMAKER_SOAK, target),
  watch: pacemakerWatch,
  phases: (run) =>
    extraPhases(run, {
      relocationMs: (r) => `the VIP is configured on ${r.metrics.newOwner ?? 'another node'}`,
      vipRemovedMs: (r) => `the VIP is gone from ${r.metrics.oldOwner ?? 'the old node'}`,
      nodeLostMs: (r) => `crm_mon: ${r.target} lost (offline or unclean)`,
      resourceRelocationMs: () => 'crm_mon: the group is started on another node',
    }),
}
