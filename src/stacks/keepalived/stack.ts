/**
 * The keepalived + HAProxy stack: load balancers (role lb) sharing a VIP by VRRP, HAProxy in front of web
 * servers (role web). From an inventory and a target to a ready drill: which hosts are the load balancers
 * and which one is master (their keepalived.conf, read through their executors: the lab's namespaces or
 * ssh), what the configs predict (Master_Down_Interval, Skew_Time, track_script, HAProxy inter × fall),
 * where to capture and probe from, and the pollers of the VIP owner and of HAProxy's servers.
 */
import {HachaosError} from '../../errors.js'
import {sleep} from '../../time.js'
import {clockOffsetsOf} from '../../drill/clock.js'
import {EventLog, type DrillSpec} from '../../drill/engine.js'
import {clientObservers} from '../../drill/observers.js'
import type {DrillOptions, PreparedDrill} from '../../drill/options.js'
import {VipOwnerPoller, hostHasAddress} from '../../drill/pollers.js'
import {vipUrl} from '../../drill/probe-session.js'
import {extraPhases, relMs, type Phase} from '../../drill/summary.js'
import {commonSpec, display, faultEnv} from '../../drill/setup-kit.js'
import {executorFor, findHost, hostsWithRole} from '../../inventory/inventory.js'
import type {DrillRun, Prediction, Stack, TimelineEvent} from '../../store/run-types.js'
import type {Poller} from '../../util/poll-loop.js'
import type {StackModule} from '../types.js'
import {soakFaultsByRole} from '../types.js'
import {KEEPALIVED_SOAK} from './soak.js'
import {readLbVrrp, type LbVrrp} from './config.js'
import {keepalivedRules} from './doctor.js'
import {crossRules} from './doctor-cross.js'
import {haproxyRules} from './doctor-haproxy.js'
import {HaproxyServerPoller, httpCheckFor} from './haproxy.js'
import {KeepalivedLive} from './live.js'
import {predictBackendEject} from './predict.js'
import {masterDownIntervalMs} from './timing.js'
import {pairTakeover, pairView} from './pair.js'
import {keepalivedWatch} from './watch.js'

/**
 * A target that outranks every peer of its VRRP instance and preempts, but does not hold the VIP, is taking it
 * back after an earlier fault (keepalived restarted, link up again): drilling it now would break a backup and
 * wait for a takeover that cannot come. How long to wait for it to preempt (its preempt_delay, one
 * Master_Down_Interval and one advert), or null when it will not (it does not outrank, nopreempt, nobody holds
 * the VIP, or it holds it already). The drill polls the owners every 200 ms for at most that long, then goes on
 * (with the "not the current VRRP master" warning if it still is not).
 */
export function preemptWaitMs(target: string, lbs: ReadonlyArray<Pick<LbVrrp, 'effective'> & {host: {name: string}; instance: {virtualRouterId?: number | null}}>, owners: readonly string[]): number | null {
  const t = lbs.find((l) => l.host.name === target)
  if (t === undefined || !t.effective.preempt || owners.length === 0 || owners.includes(target)) return null
  const peers = lbs.filter((l) => l.host.name !== target && l.instance.virtualRouterId === t.instance.virtualRouterId)
  if (peers.length === 0 || !peers.every((l) => l.effective.priority < t.effective.priority)) return null
  const e = t.effective
  return e.preemptDelayS * 1000 + masterDownIntervalMs(e.priority, e.advertIntS, e.version) + e.advertIntS * 1000
}

async function prepare(o: DrillOptions): Promise<PreparedDrill> {
  const inv = o.inventory
  const target = findHost(inv, o.target)
  const env = faultEnv(o, target)
  const lbHosts = hostsWithRole(inv, 'lb')
  const isLb = target.roles.includes('lb')
  const isWeb = target.roles.includes('web')
  if (!isLb && !isWeb) {
    throw new HachaosError(`${target.name} is neither a load balancer (role lb) nor a web server (role web)`, {code: 'E_TARGET_ROLE', exit: 'USAGE', where: target.name, suggestions: [`roles of ${target.name}: ${target.roles.join(', ') || 'none'}`]})
  }
  const stack: Stack = isLb ? 'keepalived' : 'haproxy'
  const warnings: string[] = []

  // The load balancers' VRRP, from their own keepalived.conf.
  const vipHint = o.vip ?? inv.vip ?? target.facts.vip ?? null
  const lbs: LbVrrp[] = await Promise.all(lbHosts.map((h) => readLbVrrp(h, executorFor(h), vipHint)))
  const vip = vipHint ?? lbs[0]?.instance.virtualIpaddresses[0]?.address ?? null
  const vipOwners = async (): Promise<string[]> =>
    vip === null ? [] : (await Promise.all(lbs.map(async (l) => ((await hostHasAddress(l.exec, vip)) ? l.host.name : null)))).filter((x): x is string => x !== null)
  let owners = await vipOwners()
  // A target taking the VIP back after an earlier fault: wait for it rather than drill a backup (preemptWaitMs).
  const waitMs = isLb ? preemptWaitMs(target.name, lbs, owners) : null
  if (waitMs !== null) {
    const end = Date.now() + waitMs
    while (Date.now() < end && !(owners.length === 1 && owners[0] === target.name)) {
      await sleep(200)
      owners = await vipOwners()
    }
  }
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
    const ts = t.effective.trackScripts.find((s) => s.weight === 0) ?? t.effective.trackScripts[0]
    const p = pairTakeover(plan.effect, t, lbs, ts === undefined ? undefined : {name: ts.name, intervalS: ts.intervalS, fall: ts.fall, timeoutS: ts.timeoutS ?? ts.intervalS, weight: ts.weight})
    if (p === null) {
      prediction = {metric: 'takeoverMs', takeoverMs: null, minMs: null, maxMs: null, formula: `no other keepalived node has vrid ${t.instance.virtualRouterId ?? '?'}: nobody can take over`, inputs: {}}
      warnings.push('no backup node shares the VRRP instance: a single point of failure')
    } else {
      prediction = p
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
  const pollers: Poller[] = []
  if (vip !== null && lbs.length > 0) pollers.push(new VipOwnerPoller(lbs.map((l) => ({name: l.host.name, exec: l.exec})), vip, 'hachaos', emit))
  for (const lb of lbHosts) {
    const sock = lb.facts['haproxy_socket']
    if (typeof sock === 'string') pollers.push(new HaproxyServerPoller(executorFor(lb), sock, emit))
  }

  // Clocks of the observing hosts.
  const clockOffsets = await clockOffsetsOf([target, ...(clientHost === null ? [] : [clientHost]), ...lbHosts])

  const {vrid, hosts} = pairView(lbs, oldMaster, target.name)
  const hooks = new KeepalivedLive({
    effect: plan.effect,
    vrid,
    hosts,
    oldMaster,
    capturing: capture !== null,
    preempt: prediction.inputs['preempt'] !== false,
    lbServer,
    target: target.name,
    failbackMdiMs: Number(prediction.inputs['failbackMasterDownIntervalMs'] ?? 4000),
  })

  const spec: DrillSpec = {
    ...commonSpec(o, inv, client),
    log,
    stack,
    target: target.name,
    plan,
    prediction,
    vip,
    vrid,
    hosts,
    oldMaster,
    pollers,
    clockOffsets,
    warnings,
    hooks,
  }
  return {spec, plan, prediction, stack, commands: display(plan, inv)}
}

export const keepalivedStack: StackModule = {
  name: 'keepalived',
  summary: 'keepalived (VRRP) load balancers with HAProxy in front of web servers: targets with role lb or web',
  matches: (target) => target.roles.includes('lb') || target.roles.includes('web'),
  prepare,
  records: ['keepalived', 'haproxy'],
  recordLabels: {keepalived: 'keepalived/VRRP in front of HAProxy', haproxy: 'a web server behind HAProxy'},
  phases,
  rules: [...keepalivedRules, ...haproxyRules, ...crossRules],
  // a backend's drill takes its server out of every HAProxy; an lb's moves the VIP between the peers
  lockRoles: ['lb'],
  watch: keepalivedWatch,
  soakCatalogue: KEEPALIVED_SOAK,
  soakFaults: (target) => soakFaultsByRole(KEEPALIVED_SOAK, target),
}

/** The VRRP and HAProxy moments of a run: the old master's last advert, a goodbye, takeover, eject, failback. */
function phases(run: DrillRun): Phase[] {
  const m = run.metrics
  const f = m.faultAtUs
  const out: Phase[] = []
  const byIp = new Map(run.hosts.filter((h) => h.ip !== undefined).map((h) => [h.ip as string, h.name]))
  const adverts = run.events.filter((e): e is Extract<TimelineEvent, {type: 'vrrp.advert'}> => e.type === 'vrrp.advert')
  const nameOf = (ip: string): string => byIp.get(ip) ?? ip
  const lastOld = [...adverts].reverse().find((a) => a.t < f && nameOf(a.src) === m.oldOwner)
  if (lastOld !== undefined) out.push({atMs: relMs(run, lastOld.t), what: `last advert from ${m.oldOwner ?? lastOld.src} before the fault (prio ${lastOld.prio})`})
  const prio0 = adverts.find((a) => a.t >= f && a.prio === 0)
  if (prio0 !== undefined) out.push({atMs: relMs(run, prio0.t), what: `priority-0 advert from ${nameOf(prio0.src)} (graceful leave)`})
  if (m.takeoverMs !== null) out.push({atMs: m.takeoverMs, what: `${m.newOwner ?? 'the backup'} takes over (first advert as master)`})
  out.push(...extraPhases(run, {backendEjectMs: () => 'HAProxy marks the server DOWN'}))
  if (m.failbackMs !== null && m.revertAtUs !== null) out.push({atMs: relMs(run, m.revertAtUs) + m.failbackMs, what: `${m.oldOwner ?? 'the old master'} is master again (failback)`})
  return out
}
