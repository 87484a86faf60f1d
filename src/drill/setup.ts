/**
 * From an inventory and a target to a ready DrillSpec for the keepalived/HAProxy stack: which hosts are the
 * load balancers and which one is master, what the configs predict, where to capture and probe from.
 * Everything is read from the hosts through their executors (the lab's namespaces, or ssh).
 */
import {parseHaproxyCfg, splitAddrPort} from '../config/haproxy.js'
import {HachaosError} from '../errors.js'
import type {Executor} from '../exec/types.js'
import type {FaultEnv, FaultPlan, HostRef} from '../fault/types.js'
import {executorFor, findHost, hostsWithRole, type Inventory, type InventoryHost} from '../inventory/inventory.js'
import type {DrillRun, Prediction, Stack} from '../store/run-types.js'
import {parseDuration} from '../time.js'
import {predictBackendEject, predictVrrp} from '../vrrp/predict.js'
import {clockOffsetsOf} from './clock.js'
import {EventLog, type CaptureSource, type DrillSpec} from './engine.js'
import {HaproxyServerPoller, VipOwnerPoller, hostHasAddress} from './pollers.js'
import {clientObservers} from './observers.js'
import {vipUrl} from './probe-session.js'
import {readLbVrrp, type LbVrrp} from './vrrp-setup.js'
import {preparePacemakerDrill} from './pacemaker-setup.js'
import type {Poller} from '../util/poll-loop.js'

export interface DrillOptions {
  inventory: Inventory
  target: string
  /** Builds the fault's plan (the command wires the fault registry in here). */
  planFault: (env: FaultEnv) => Promise<FaultPlan>
  holdMs: number | null
  ratePerS: number
  probeTimeoutMs: number
  captureOn?: string
  vip?: string
  url?: string
  force: boolean
  toleranceMs: number
  maxOutageMs: number | null
  /** argv that starts hachaos on the probe host. */
  hachaosArgv: (host: InventoryHost) => string[]
  /** Starts a packet capture on a host (src/capture). */
  makeCapture: (exec: Executor, iface: string, emit: (e: DrillRun['events'][number]) => void, pcapPath?: string) => CaptureSource
  /** Where to keep the capture's packets when the capture host shares our file system (local, lab). */
  pcapPath?: string
  runId: string
  /** HAProxy server name of a backend-loss target (default: the server whose address is the target's). */
  lbServer?: string
}

export interface PreparedDrill {
  spec: DrillSpec
  plan: FaultPlan
  prediction: Prediction
  stack: Stack
  /** Commands in the order they would run, as they would run (for --dry-run). */
  commands: {inject: string[]; revert: string[]}
}

export function hostRef(inv: Inventory, h: InventoryHost): HostRef {
  const {name, ...entry} = h
  return {name, entry, ...(inv.lab === undefined ? {} : {labState: inv.lab.state})}
}

function display(plan: FaultPlan, inv: Inventory): {inject: string[]; revert: string[]} {
  const show = (a: FaultPlan['inject'][number]): string => {
    if (a.type === 'exec') return `${executorFor(findHost(inv, a.host.name)).command(a.argv).join(' ')}${a.input === undefined ? '' : `  <<< ${JSON.stringify(a.input)}`}`
    if (a.type === 'signal') return `${a.host.name}: kill -s ${a.signal.replace(/^SIG/, '')} $(pids of ${a.comm} on ${a.host.name})`
    if (a.type === 'service') return `${a.host.name}: ${a.op} ${a.service} (${findHost(inv, a.host.name).services} service control)`
    return `sleep ${a.ms / 1000}`
  }
  return {inject: plan.inject.map(show), revert: plan.revert.map(show)}
}

/** HAProxy's health-check timing of the server at `address`, from each lb's haproxy.cfg. */
async function httpCheckFor(lbs: InventoryHost[], target: InventoryHost, lbServer: string | undefined): Promise<{server: string; interMs: number; fall: number; timeoutMs: number} | null> {
  for (const lb of lbs) {
    const path = lb.facts.haproxy_cfg ?? '/etc/haproxy/haproxy.cfg'
    let text: string
    try {
      text = await executorFor(lb).readFile(path)
    } catch {
      continue
    }
    const cfg = parseHaproxyCfg(text, {file: `${lb.name}:${path}`})
    for (const s of cfg.sections) {
      for (const srv of s.servers) {
        const {address} = splitAddrPort(`${srv.address}${srv.port === undefined ? '' : `:${srv.port}`}`)
        if (srv.name !== lbServer && address !== target.address && srv.name !== target.name) continue
        if (!srv.check) return {server: srv.name, interMs: -1, fall: 0, timeoutMs: 0}
        const ms = (v: string | true | undefined, dflt: number): number => (typeof v === 'string' ? parseDuration(/^\d+$/.test(v) ? `${v}ms` : v) : dflt)
        return {server: srv.name, interMs: ms(srv.effective['inter'], 2000), fall: Number(srv.effective['fall'] ?? 3), timeoutMs: 0}
      }
    }
  }
  return null
}

export async function prepareDrill(o: DrillOptions): Promise<PreparedDrill> {
  const inv = o.inventory
  const target = findHost(inv, o.target)
  if (target.roles.includes('cluster-node')) return preparePacemakerDrill(o, {hostRef, display})
  const exec = executorFor(target)
  const ref = hostRef(inv, target)
  const env: FaultEnv = {inventory: inv, target, exec, ref, executorFor, refFor: (h) => hostRef(inv, h), force: o.force}
  const lbHosts = hostsWithRole(inv, 'lb')
  const isLb = target.roles.includes('lb')
  const isWeb = target.roles.includes('web')
  if (!isLb && !isWeb) {
    throw new HachaosError(`${target.name} is neither a load balancer (role lb) nor a web server (role web)`, {
      code: 'E_TARGET_ROLE',
      exit: 'USAGE',
      where: target.name,
      suggestions: ['cluster nodes: hachaos failover works on Pacemaker targets when the inventory gives them role cluster-node', `roles of ${target.name}: ${target.roles.join(', ') || 'none'}`],
    })
  }
  const stack: Stack = isLb ? 'keepalived' : 'haproxy'
  const warnings: string[] = []

  // The load balancers' VRRP, from their own keepalived.conf.
  const vipHint = o.vip ?? inv.vip ?? target.facts.vip ?? null
  const lbs: LbVrrp[] = await Promise.all(lbHosts.map((h) => readLbVrrp(h, executorFor(h), vipHint)))
  const vip = vipHint ?? lbs[0]?.instance.virtualIpaddresses[0]?.address ?? null
  const owners = vip === null ? [] : (await Promise.all(lbs.map(async (l) => ((await hostHasAddress(l.exec, vip)) ? l.host.name : null)))).filter((x): x is string => x !== null)
  const oldMaster = owners[0] ?? null
  if (owners.length > 1) warnings.push(`the VIP ${vip ?? ''} is on ${owners.join(' and ')} already before the fault`)
  if (isLb && oldMaster !== target.name) {
    warnings.push(`${target.name} is not the current VRRP master (the VIP is on ${oldMaster ?? 'no node'}): the VIP will not move`)
  }

  const plan = await o.planFault(env)

  // Prediction.
  let prediction: Prediction
  const t = lbs.find((l) => l.host.name === target.name)
  if (isLb && t !== undefined) {
    const peers = lbs.filter((l) => l !== t && l.instance.virtualRouterId === t.instance.virtualRouterId)
    const backup = peers.sort((a, b) => b.effective.priority - a.effective.priority)[0]
    const ts = t.effective.trackScripts.find((s) => s.weight === 0) ?? t.effective.trackScripts[0]
    if (backup === undefined) {
      prediction = {metric: 'takeoverMs', takeoverMs: null, minMs: null, maxMs: null, formula: `no other keepalived node has vrid ${t.instance.virtualRouterId ?? '?'}: nobody can take over`, inputs: {}}
      warnings.push('no backup node shares the VRRP instance: a single point of failure')
    } else {
      prediction = predictVrrp(plan.effect, {
        version: t.effective.version,
        advertIntS: backup.effective.advertIntS,
        backupPriority: backup.effective.priority,
        masterPriority: t.effective.priority,
        backupName: backup.host.name,
        masterName: t.host.name,
        preempt: t.effective.preempt,
        ...(ts === undefined ? {} : {trackScript: {name: ts.name, intervalS: ts.intervalS, fall: ts.fall, timeoutS: ts.timeoutS ?? ts.intervalS, weight: ts.weight}}),
      })
    }
  } else if (plan.effect === 'backend-loss') {
    const hc = await httpCheckFor(lbHosts, target, o.lbServer)
    if (hc === null) {
      prediction = {metric: 'backendEjectMs', takeoverMs: null, minMs: null, maxMs: null, formula: `no HAProxy server for ${target.name} (${target.address}) in the load balancers' haproxy.cfg`, inputs: {}}
    } else if (hc.interMs < 0) {
      prediction = {metric: 'backendEjectMs', takeoverMs: null, minMs: null, maxMs: null, formula: `server ${hc.server} has no "check": HAProxy never ejects it, clients get errors until it returns`, inputs: {server: hc.server}}
      warnings.push(`HAProxy server ${hc.server} has no health check`)
    } else {
      prediction = predictBackendEject(hc)
    }
  } else {
    prediction = {metric: 'outageMs', takeoverMs: null, minMs: null, maxMs: null, formula: `no model for a ${plan.effect} fault on ${target.name}`, inputs: {}}
  }
  const lbServer = plan.effect === 'backend-loss' ? (o.lbServer ?? (prediction.inputs['server'] as string | undefined) ?? target.name) : null

  // Observers: capture and probes from the client.
  const log = new EventLog()
  const emit = log.emit
  const client = clientObservers(o, inv, o.url ?? (vip === null ? null : vipUrl(vip)), emit, warnings, 'no packet capture and no probes')
  const clientHost = client?.host ?? null
  const capture = client?.capture ?? null
  const probe = client?.probe ?? null
  const probeInfo = client?.probeInfo ?? null
  const pollers: Poller[] = []
  if (vip !== null && lbs.length > 0) pollers.push(new VipOwnerPoller(lbs.map((l) => ({name: l.host.name, exec: l.exec})), vip, 'hachaos', emit))
  for (const lb of lbHosts) {
    const sock = lb.facts['haproxy_socket']
    if (typeof sock === 'string') pollers.push(new HaproxyServerPoller(executorFor(lb), sock, emit))
  }

  // Clocks of the observing hosts.
  const clockOffsets = await clockOffsetsOf([target, ...(clientHost === null ? [] : [clientHost]), ...lbHosts])

  const spec: DrillSpec = {
    runId: o.runId,
    log,
    stack,
    target: target.name,
    plan,
    prediction,
    vip,
    vrid: lbs.find((l) => l.host.name === (oldMaster ?? target.name))?.instance.virtualRouterId ?? lbs[0]?.instance.virtualRouterId ?? null,
    hosts: lbs.map((l) => ({name: l.host.name, ...(l.ip === null ? {} : {ip: l.ip}), ...(l.mac === null ? {} : {mac: l.mac})})),
    oldMaster,
    capture,
    probe,
    probeInfo,
    pollers,
    holdMs: o.holdMs,
    toleranceMs: o.toleranceMs,
    maxOutageMs: o.maxOutageMs,
    lbServer,
    inventoryFile: inv.file,
    lab: inv.lab === undefined ? null : {topology: inv.lab.topology, prefix: inv.lab.prefix},
    clockOffsets,
    warnings,
    helperPids: () => [
      ...(capture?.pid === undefined ? [] : [{host: capture.host, pid: capture.pid, argv: ['tcpdump']}]),
      ...(probe?.pid === undefined || clientHost === null ? [] : [{host: clientHost.name, pid: probe.pid, argv: probe.argv}]),
    ],
  }
  return {spec, plan, prediction, stack, commands: display(plan, inv)}
}
