/**
 * The LVS stack: a director pair (role lvs-director) sharing a VIP by keepalived's VRRP, each with an IPVS
 * virtual_server in front of real servers (role lvs-real-server). Its prepare() is the keepalived stack's
 * VRRP model and hooks (the directors' keepalived.conf, Master_Down_Interval, adverts captured on the client)
 * plus what only LVS has: the new-connection gap (the client's probes open a new TCP connection each) and
 * the survival of established connections (N long-lived streams through the VIP, opened before the fault,
 * ./streams.ts), with and without the connection sync daemon; and the directors' IPVS state before the fault
 * (connection table sizes, sync daemons: sync completeness). A real-server target is drilled by
 * ./real-server.ts (the checker's removal from the IPVS table, against its formula).
 */
import {HachaosError} from '../../errors.js'
import {clockOffsetsOf} from '../../drill/clock.js'
import {EventLog, INJECT_STEP_NOTE, type DrillSpec, type StackHooks} from '../../drill/engine.js'
import {clientObservers} from '../../drill/observers.js'
import type {DrillOptions, PreparedDrill} from '../../drill/options.js'
import {VipOwnerPoller, hostHasAddress} from '../../drill/pollers.js'
import {vipUrl} from '../../drill/probe-session.js'
import {extraPhases} from '../../drill/summary.js'
import {commonSpec, display, faultEnv} from '../../drill/setup-kit.js'
import {executorFor, findHost, hostsWithRole} from '../../inventory/inventory.js'
import {nowUs, type EpochMicros} from '../../time.js'
import type {FailoverMetrics, Prediction, TimelineEvent} from '../../store/run-types.js'
import type {Poller} from '../../util/poll-loop.js'
import type {StackModule} from '../types.js'
import {soakFaultsByRole, type SoakFault} from '../types.js'
import {readLbVrrp, type LbVrrp} from '../keepalived/config.js'
import {KeepalivedLive} from '../keepalived/live.js'
import {pairTakeover, pairView} from '../keepalived/pair.js'
import {parseIpvsConns, parseIpvsDaemon} from './readers.js'
import {prepareRealServer, withLabStart} from './real-server.js'
import {LDIRECTORD_RULES} from './ldirectord/rules.js'
import {LVS_RULES} from './rules.js'
import {StreamsObserver} from './streams.js'
import {SyncCompleteness} from './sync-complete.js'
import {syncGroupOf, syncGroupTakeoverMs} from './sync-group.js'
import {DROP_STREAMS, SYNCED_AFTER_MS, SyncDropObserver, syncDivergence} from './sync-drop.js'

export const DIRECTOR_ROLE = 'lvs-director'
export const REAL_SERVER_ROLE = 'lvs-real-server'
/** Long-lived streams: how many, and one byte every … ms (the protocol). */
export const STREAMS = 20
export const STREAM_INTERVAL_MS = 100

/**
 * The drop-sync drill's part (sync-drop.ts): its observer, and whether the fault fails the master over too.
 * Without the failover nothing moves: the drill has reacted once both tables are read.
 */
interface SyncDropDrill {
  observer: SyncDropObserver
  failover: boolean
  /** The inject steps that make the drop (before the failover's sleep): the drop is in effect when the last has run. */
  dropSteps: number
}

/** Linux's minimum retransmission timeout (TCP_RTO_MIN, 200 ms), and a margin for the streams' hold after a takeover. */
export const TCP_RTO_MIN_MS = 200
export const STREAMS_HOLD_MARGIN_MS = 500

/** The VRRP hooks of keepalived, plus the streams: steady only once they are all open; LVS figures added. */
class LvsLive implements StackHooks {
  /** When the inject's last step returned (µs; 0: not yet). */
  private injectedAt: number
  readonly holdAfterReactMs: number
  readonly settleWaitMs: number
  readonly mustObserve: boolean

  constructor(
    private readonly inner: KeepalivedLive,
    private readonly streams: StreamsObserver | null,
    private readonly before: Record<string, number | null>,
    private readonly syncDrop: SyncDropDrill | null = null,
    /** The VIP's vrrp_sync_group (LVS-NAT: with the gateway's instance): its vrids and each director's advert source. */
    private readonly group: {vrids: number[]; ips: Record<string, string>} | null = null,
    /** With a sync daemon: both tables compared once the streams have been open SYNCED_AFTER_MS, before the fault. */
    private readonly complete: SyncCompleteness | null = null,
    /** The predicted takeover (Master_Down_Interval), for how long the streams need after it. */
    predictedTakeoverMs: number | null = null,
  ) {
    this.injectedAt = 0
    // Hold after the takeover until every stream has sent to the new director: during the outage a stream's
    // unacknowledged byte is retransmitted at RTO, 3·RTO, 7·RTO … (doubling, RTO ≥ 200 ms), so its first
    // transmission after an outage of D comes before 2·D + RTO from the fault, i.e. within D + RTO of the
    // takeover. Shorter, a stream still backing off would not reach the new director before the revert, and
    // would count as surviving on the old one after the failback (measured: 4/20 "survived" without sync).
    // A sync drop without failover has nothing to wait for once the tables are read.
    const streamsHold = streams === null || predictedTakeoverMs === null ? 0 : predictedTakeoverMs + TCP_RTO_MIN_MS + STREAMS_HOLD_MARGIN_MS
    this.holdAfterReactMs = syncDrop !== null && !syncDrop.failover ? 0 : Math.max(inner.holdAfterReactMs, 2500, streamsHold)
    this.settleWaitMs = inner.settleWaitMs
    this.mustObserve = inner.mustObserve
  }

  observe(e: TimelineEvent): void {
    if (e.type === 'fault.inject' && e.phase === 'after' && e.t > this.injectedAt) this.injectedAt = e.t
    if (this.syncDrop !== null) {
      // the drop is in effect when its last inject step has returned (the engine's step notes); 'after' as a fallback
      const m = e.type === 'note' && e.text.startsWith(INJECT_STEP_NOTE) ? /^(\d+)\//.exec(e.text.slice(INJECT_STEP_NOTE.length)) : null
      if ((m !== null && Number(m[1]) >= this.syncDrop.dropSteps) || (e.type === 'fault.inject' && e.phase === 'after')) this.syncDrop.observer.onDrop(e.t)
    }
    this.inner.observe(e)
  }

  /** drop-sync: the streams opened for the drill have been open long enough for their sync to have left. */
  private streamsSynced(): boolean {
    if (this.syncDrop === null || this.streams === null) return true
    const last = this.streams.fold.lastOpenT
    return last > 0 && nowUs() - last >= SYNCED_AFTER_MS * 1000
  }

  /** The sync-completeness reading is done (or failed, or out of time); it starts once the streams have been open long enough. */
  private completeDone(): boolean {
    if (this.complete === null) return true
    this.complete.poke()
    return this.complete.done
  }

  steady(since: EpochMicros): boolean {
    return this.inner.steady(since) && (this.streams === null || this.streams.fold.survival(null, null).opened >= this.streams.count) && this.streamsSynced() && this.completeDone()
  }

  notSteady(): string {
    const s = this.streams?.fold.survival(null, null)
    if (s !== undefined && this.streams !== null && s.opened < this.streams.count) return `only ${s.opened} of ${this.streams.count} streams through the VIP are open`
    if (!this.streamsSynced()) return `the streams through the VIP have not been open ${SYNCED_AFTER_MS} ms (their sync to the backup)`
    if (this.complete !== null && !this.complete.done) return `the directors' connection tables were not read (sync completeness: the streams open ${SYNCED_AFTER_MS} ms, then ipvsadm -Lnc on both)`
    return this.inner.notSteady()
  }

  reacted(faultAt: EpochMicros): boolean {
    if (this.syncDrop !== null && !this.syncDrop.failover) return this.syncDrop.observer.done
    // drop-sync's failover is its inject's last step: a new master before it (a loaded guest's late advert) is no reaction to it
    if (this.syncDrop !== null) return this.injectedAt >= faultAt && this.inner.reacted(this.injectedAt)
    return this.inner.reacted(faultAt)
  }

  settled(revertAt: EpochMicros): boolean {
    return this.inner.settled(revertAt)
  }

  metrics(events: readonly TimelineEvent[], base: FailoverMetrics, faultAt: EpochMicros | null, revertAt: EpochMicros | null): FailoverMetrics {
    let m = this.inner.metrics(events, base, faultAt, revertAt)
    const extra: Record<string, number | null> = {...m.extra, ...this.before, newConnectionGapMs: m.outageMs}
    // a sync group goes MASTER once its last member's Master_Down timer ends (sync-group.ts): from that member's last advert
    const oldIp = m.oldOwner === null ? undefined : this.group?.ips[m.oldOwner]
    const newIp = m.newOwner === null ? undefined : this.group?.ips[m.newOwner]
    if (this.group !== null && faultAt !== null && oldIp !== undefined && newIp !== undefined) {
      const g = syncGroupTakeoverMs(events, this.group.vrids, oldIp, newIp, faultAt)
      extra['takeoverFromVipInstanceAdvertMs'] = m.takeoverFromLastAdvertMs
      if (g !== null) {
        extra['syncGroupLastAdvertVrid'] = g.lastAdvertVrid
        extra['syncGroupFirstAdvertVrid'] = g.newFirstVrid
        m = {...m, takeoverFromLastAdvertMs: g.takeoverMs}
      }
    }
    if (this.streams !== null) {
      const s = this.streams.fold.survival(faultAt, revertAt)
      Object.assign(extra, {
        streamsOpened: s.opened,
        streamsLostBeforeFault: s.lostBeforeFault,
        streamsSurvivedTakeover: s.survivedTakeover,
        streamsLostInTakeover: s.lostInTakeover,
        streamsSurvivedFailback: s.survivedFailback,
        streamsLostInFailback: s.lostInFailback,
      })
    }
    if (this.syncDrop !== null) Object.assign(extra, this.syncDrop.observer.figures(faultAt, revertAt))
    if (this.complete !== null) Object.assign(extra, this.complete.figures())
    return {...m, extra}
  }

  size(): number {
    return this.inner.size() + (this.streams?.fold.size() ?? 0) + (this.syncDrop?.observer.fold.size() ?? 0)
  }
}

/** Connection-table sizes and sync daemons of each director before the fault (sync completeness), and the tables. */
async function ipvsBefore(lbs: LbVrrp[]): Promise<{figures: Record<string, number | null>; sync: boolean; tables: Map<string, string>}> {
  const figures: Record<string, number | null> = {}
  const tables = new Map<string, string>()
  let sync = false
  for (const [i, l] of lbs.entries()) {
    const [c, d] = await Promise.all([l.exec.run(['ipvsadm', '-Lnc'], {timeoutMs: 10_000}), l.exec.run(['ipvsadm', '-Ln', '--daemon'], {timeoutMs: 10_000})])
    figures[`connTableBefore_${i + 1}`] = c.code === 0 ? parseIpvsConns(c.stdout).length : null
    if (c.code === 0) tables.set(l.host.name, c.stdout)
    if (d.code === 0 && parseIpvsDaemon(d.stdout).length > 0) sync = true
  }
  return {figures, sync, tables}
}

async function prepare(o: DrillOptions): Promise<PreparedDrill> {
  const inv = o.inventory
  const target = findHost(inv, o.target)
  const env = faultEnv(o, target)
  const directors = hostsWithRole(inv, DIRECTOR_ROLE)
  if (!target.roles.includes(DIRECTOR_ROLE)) {
    if (target.roles.includes(REAL_SERVER_ROLE)) return prepareRealServer(o, target, DIRECTOR_ROLE)
    throw new HachaosError(`${target.name} is neither an LVS director (role ${DIRECTOR_ROLE}) nor a real server (role ${REAL_SERVER_ROLE})`, {code: 'E_TARGET_ROLE', exit: 'USAGE', where: target.name, suggestions: [`directors: ${directors.map((d) => d.name).join(', ') || 'none'}`]})
  }
  const warnings: string[] = []
  const vipHint = o.vip ?? inv.vip ?? target.facts.vip ?? null
  const lbs: LbVrrp[] = await Promise.all(directors.map((h) => readLbVrrp(h, executorFor(h), vipHint)))
  const vip = vipHint ?? lbs[0]?.instance.virtualIpaddresses[0]?.address ?? null
  if (vip === null) throw new HachaosError('which VIP? no vrrp_instance of the directors names one', {code: 'E_USAGE', exit: 'USAGE', suggestions: ['pass --vip ADDRESS, or add "vip:" to the inventory']})
  const owners = (await Promise.all(lbs.map(async (l) => ((await hostHasAddress(l.exec, vip)) ? l.host.name : null)))).filter((x): x is string => x !== null)
  const oldMaster = owners[0] ?? null
  if (owners.length > 1) warnings.push(`the VIP ${vip} is on ${owners.join(' and ')} already before the fault`)
  if (oldMaster !== target.name) warnings.push(`${target.name} is not the current VRRP master (the VIP is on ${oldMaster ?? 'no director'}): the VIP will not move`)

  // keepalived killed in the lab's guest (no service control there) comes back by the lab's own command
  const plan = withLabStart(await o.planFault(env), target)
  let prediction: Prediction
  const t = lbs.find((l) => l.host.name === target.name)
  const p = t === undefined ? null : pairTakeover(plan.effect, t, lbs)
  if (p === null) {
    prediction = {metric: 'takeoverMs', takeoverMs: null, minMs: null, maxMs: null, formula: 'no other director shares the VRRP instance: nobody can take over', inputs: {}}
    warnings.push('a single LVS director: a single point of failure')
  } else {
    prediction = p
  }
  const before = await ipvsBefore(lbs)
  const syncDrop = plan.kind === 'drop-sync'
  const failover = syncDrop && plan.params['failover'] === true
  const backup = lbs.find((l) => l.host.name !== target.name) ?? null
  if (syncDrop) {
    if (backup === null) throw new HachaosError('drop-sync needs a second director: whose table should diverge?', {code: 'E_USAGE', exit: 'USAGE', where: target.name, suggestions: [`give both directors the role ${DIRECTOR_ROLE}`]})
    const dropNote = `the sync daemon's datagrams are dropped on ${target.name}: each connection it opens from the fault on (${DROP_STREAMS} streams opened during the drop, the probes' connections) is missing from ${backup.host.name}'s table; those synced before stay`
    if (failover) {
      prediction.formula += `; ${dropNote}; then ${target.name}'s NIC goes down: the ${DROP_STREAMS} streams of the drop are expected lost on ${backup.host.name}, the ${STREAMS} synced before it to survive`
    } else {
      prediction = {metric: 'syncMissingOnBackup', takeoverMs: null, minMs: null, maxMs: null, formula: dropNote, inputs: {...prediction.inputs}}
    }
    prediction.inputs['dropStreams'] = DROP_STREAMS
    prediction.inputs['syncHoldMs'] = Number(plan.params['holdMs'] ?? 0)
  }
  const group = t === undefined ? null : syncGroupOf(t.config, t.instance.name)
  if (group !== null && p !== null) {
    prediction.formula += `; vrrp_sync_group ${group.name} (${group.instances.join(', ')}, vrids ${group.vrids.join(', ')}): the group goes MASTER when the last member's Master_Down timer ends, so the takeover counts from the latest of ${target.name}'s last adverts of those vrids`
    prediction.inputs['syncGroupVrids'] = group.vrids.join(',')
  }
  prediction.inputs['syncDaemon'] = before.sync
  prediction.formula += before.sync
    ? '; established connections: the backup holds synced entries (lvs_sync_daemon), they should survive'
    : '; established connections: no sync daemon, the new director does not know them (expect them lost)'
  // the two tables' divergence before the fault (what the sync had not carried over yet)
  const mt = before.tables.get(target.name)
  const bt = backup === null ? undefined : before.tables.get(backup.host.name)

  const log = new EventLog()
  const emit = log.emit
  const client = clientObservers(o, inv, o.url ?? vipUrl(vip), emit, warnings, 'no packet capture, no probes and no streams')
  const pollers: Poller[] = [new VipOwnerPoller(lbs.map((l) => ({name: l.host.name, exec: l.exec})), vip, 'hachaos', emit)]
  const portFact = directors.map((d) => d.facts['lvs_stream_port']).find((p) => typeof p === 'number' || typeof p === 'string')
  let streams: StreamsObserver | null = null
  if (client !== null && portFact !== undefined) {
    streams = new StreamsObserver(client.exec, vip, Number(portFact), STREAMS, STREAM_INTERVAL_MS, emit)
    pollers.push(streams)
  } else if (client !== null) {
    warnings.push('no fact lvs_stream_port (an echo service behind the VIP) on the directors: established-connection survival is not measured')
  }
  // with a sync daemon: how complete the backup's table is once the streams are synced, before the fault
  let complete: SyncCompleteness | null = null
  const masterLb = lbs.find((l) => l.host.name === oldMaster)
  const backupLb = lbs.find((l) => l.host.name !== oldMaster)
  if (!syncDrop && before.sync && streams !== null && portFact !== undefined && masterLb !== undefined && backupLb !== undefined) {
    complete = new SyncCompleteness(streams, {name: masterLb.host.name, exec: masterLb.exec}, {name: backupLb.host.name, exec: backupLb.exec}, Number(portFact), emit)
    pollers.push(complete)
  }
  let dropDrill: SyncDropDrill | null = null
  if (syncDrop && backup !== null) {
    if (client === null || portFact === undefined) {
      warnings.push('drop-sync without a client and an lvs_stream_port fact: no streams are opened during the drop, the tables are not compared')
    } else {
      const t = lbs.find((l) => l.host.name === target.name)
      const observer = new SyncDropObserver(client.exec, vip, Number(portFact), STREAM_INTERVAL_MS, {name: target.name, exec: t?.exec ?? env.exec}, {name: backup.host.name, exec: backup.exec}, Number(plan.params['holdMs'] ?? 0), emit)
      pollers.push(observer)
      const sleepAt = plan.inject.findIndex((a) => a.type === 'sleep')
      dropDrill = {observer, failover, dropSteps: sleepAt < 0 ? plan.inject.length : sleepAt}
    }
  }
  const beforeDivergence = mt === undefined || bt === undefined ? null : syncDivergence(mt, bt, portFact === undefined ? null : Number(portFact))
  const clockOffsets = await clockOffsetsOf([target, ...(client === null ? [] : [client.host]), ...directors])
  const {vrid, hosts} = pairView(lbs, oldMaster, target.name)
  const inner = new KeepalivedLive({
    effect: plan.effect,
    vrid,
    hosts,
    oldMaster,
    capturing: client !== null,
    preempt: prediction.inputs['preempt'] !== false,
    lbServer: null,
    target: target.name,
    failbackMdiMs: Number(prediction.inputs['failbackMasterDownIntervalMs'] ?? 4000),
  })
  const spec: DrillSpec = {
    ...commonSpec(o, inv, client),
    log,
    stack: 'lvs',
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
    hooks: new LvsLive(inner, streams, {syncDaemon: before.sync ? 1 : 0, ...before.figures, ...(syncDrop ? {syncMissingBefore: beforeDivergence?.missingOnBackup ?? null} : {})}, dropDrill, group === null ? null : {vrids: group.vrids, ips: Object.fromEntries(lbs.filter((l) => l.ip !== null).map((l) => [l.host.name, l.ip as string]))}, complete, prediction.takeoverMs),
  }
  return {spec, plan, prediction, stack: 'lvs', commands: display(plan, inv)}
}

/** The soak catalogue (src/gameday/soak.ts): the director pair's takeover (the drill the LVS stack measures). */
export const LVS_SOAK: readonly SoakFault[] = [{name: 'nic-down director', fault: 'nic-down', params: {}, roles: [DIRECTOR_ROLE]}]

export const lvsStack: StackModule = {
  name: 'lvs',
  summary: `LVS director pairs (IPVS + keepalived VRRP): targets with role ${DIRECTOR_ROLE} (VRRP takeover, streams) or ${REAL_SERVER_ROLE} (the checker's removal)`,
  matches: (target) => target.roles.includes(DIRECTOR_ROLE) || target.roles.includes(REAL_SERVER_ROLE),
  prepare,
  records: ['lvs'],
  recordLabels: {lvs: 'LVS'},
  phases: (run) => extraPhases(run, {}),
  rules: [...LVS_RULES, ...LDIRECTORD_RULES],
  lockRoles: [DIRECTOR_ROLE, REAL_SERVER_ROLE],
  soakCatalogue: LVS_SOAK,
  soakFaults: (target) => soakFaultsByRole(LVS_SOAK, target),
}
