/**
 * Drills of an LVS real server (role lvs-real-server): its web daemon killed (the port answers RST: the
 * checker's connection is refused) or its NIC down (a blackhole: the checker waits connect_timeout).
 * Measured: when the master director's IPVS table loses the real server (polled `ipvsadm -Ln`, the entry
 * gone or at weight 0), the client requests that failed meanwhile and when the last of them was sent (after
 * it, no request fails), and after the revert when the real server is back in the table. Predicted: the
 * checker's formula (predict.ts) with the timers read from the master's keepalived.conf (checker.ts).
 *
 * Memory: the poller keeps one status per (service, real server) of the VIP's table; the hooks keep the
 * target's last status and two times — O(1) per event, bounded by the table, never by the run length.
 */
import {HachaosError} from '../../errors.js'
import {clockOffsetsOf} from '../../drill/clock.js'
import {EventLog, type DrillSpec, type StackHooks} from '../../drill/engine.js'
import {clientObservers} from '../../drill/observers.js'
import type {DrillOptions, PreparedDrill} from '../../drill/options.js'
import {hostHasAddress} from '../../drill/pollers.js'
import {vipUrl} from '../../drill/probe-session.js'
import {commonSpec, display, faultEnv} from '../../drill/setup-kit.js'
import type {Executor, Spawned} from '../../exec/types.js'
import type {Action, FaultPlan} from '../../fault/types.js'
import {executorFor, hostsWithRole, type InventoryHost} from '../../inventory/inventory.js'
import type {FailoverMetrics, Prediction, TimelineEvent} from '../../store/run-types.js'
import type {EpochMicros} from '../../time.js'
import type {Poller} from '../../util/poll-loop.js'
import {readLbVrrp, type LbVrrp} from '../keepalived/config.js'
import {parseLdirectordCf} from '../../config/ldirectord.js'
import {catFile} from '../../exec/run-ok.js'
import {checkerFor} from './checker.js'
import {predictLdirectordReadd, predictLdirectordRemoval, type LdLoopCosts} from './ldirectord/predict.js'
import {predictCheckerRemoval, predictReadd, type FailMode} from './predict.js'
import {parseIpvsList} from './readers.js'

/** How often the master director's table is read (ms). */
export const IPVS_POLL_MS = 100
/**
 * The tolerance the lab's tests hold the checker's figures to (ms): one poll period, the console's round
 * trip under TCG (≤ 100 ms) and keepalived's own scheduling (its timers fire up to ~100 ms late in the guest).
 */
export const RS_TOLERANCE_MS = 300
/** Facts of a director whose IPVS table ldirectord manages: its ldirectord.cf and the loop's measured costs (ms: check_ms, cycle_overhead_ms, remove_ms). */
export const LDIRECTORD_CF_FACT = 'ldirectord_cf'
export const LDIRECTORD_LOOP_FACT = 'ldirectord_loop'

/** The loop costs a director's facts state (each a number or a [low, high] pair of ms), else undefined. */
export function ldLoopFact(v: unknown): LdLoopCosts | undefined {
  if (v === null || typeof v !== 'object') return undefined
  const o = v as Record<string, unknown>
  const ok = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0
  const range = (k: string): readonly [number, number] | null => {
    const x = o[k]
    if (ok(x)) return [x, x]
    return Array.isArray(x) && x.length === 2 && ok(x[0]) && ok(x[1]) && x[0] <= x[1] ? [x[0], x[1]] : null
  }
  const c = range('check_ms')
  const ov = range('cycle_overhead_ms')
  const r = range('remove_ms')
  return c === null || ov === null || r === null ? undefined : {checkMs: c, cycleOverheadMs: ov, removeMs: r}
}

/**
 * The prediction for a director whose table ldirectord manages (fact ldirectord_cf): its file read on the
 * director, the virtual for VIP:PORT and predictLdirectordRemoval with the loop's measured costs (fact
 * ldirectord_loop); null when the file has no such virtual with the target. The metric is the drill's
 * checkerRemovalMs (the same table reading measures both keepalived's and ldirectord's removal).
 */
async function ldirectordPrediction(master: LbVrrp, vip: string, port: number, target: InventoryHost, mode: FailMode | null, plan: FaultPlan): Promise<{prediction: Prediction; delayLoopS: number} | null> {
  const path = master.host.facts[LDIRECTORD_CF_FACT]
  if (typeof path !== 'string') return null
  const text = await catFile(master.exec, path, {where: `on ${master.host.name}`, suggestion: `the director's fact ${LDIRECTORD_CF_FACT} names its ldirectord.cf`})
  const cfg = parseLdirectordCf(text, {file: `${master.host.name}:${path}`})
  const virtual = cfg.virtuals.find((v) => v.kind === 'address' && v.address === vip && v.port === String(port) && v.reals.some((x) => x.address === target.address))
  if (virtual === undefined) return null
  const loop = ldLoopFact(master.host.facts[LDIRECTORD_LOOP_FACT])
  const delayLoopS = Number(cfg.globals['checkinterval']?.value ?? 10) || 10
  if (mode === null) {
    return {prediction: {metric: 'checkerRemovalMs', takeoverMs: null, minMs: null, maxMs: null, formula: `a ${plan.kind} fault (${plan.summary}) leaves the port accepting connections: ldirectord's check does not fail`, inputs: {}}, delayLoopS}
  }
  // nic-down blackholes the whole host: its other checks in ldirectord's loop time out as well
  const hostAddress = plan.kind === 'nic-down' && target.address !== undefined ? {hostAddress: target.address} : {}
  const p = predictLdirectordRemoval({cfg, virtual, failure: mode, real: target.name, ...hostAddress, ...(loop === undefined ? {} : {loop})})
  const readd = predictLdirectordReadd({cfg, virtual, ...(loop === undefined ? {} : {loop})})
  p.formula += `; ldirectord ${path} on ${master.host.name}; back in the table ${readd.formula.replace(/^the next check after the revert succeeds: /, '')} after the revert`
  Object.assign(p.inputs, {checker: 'ldirectord', director: master.host.name, mode, readdMaxMs: readd.maxMs ?? 0, config: `${path}:${virtual.line}`})
  return {prediction: {...p, metric: 'checkerRemovalMs'}, delayLoopS}
}

/** Fact of a lab host: how to start a daemon again when it has no service control (`services: none`). */
export const LAB_START_FACT = 'lab_start'

export type RealStatus = 'UP' | 'DOWN weight 0' | 'DOWN absent'

export const ipvsServiceName = (protocol: string, vip: string, port: number): string => `${protocol} ${vip}:${port}`

/** The line that ends one table in the watcher's output. */
export const TABLE_END = '@hx-end'

/**
 * Emits `lb.server` (backend: "TCP VIP:PORT", server: "IP:PORT", status UP | DOWN weight 0 | DOWN absent) on
 * every change of a real server of the VIP's services in one director's IPVS table. One long-running loop
 * on the director reads the table every `everyMs` (`ipvsadm -Ln` then an end line): in the lab's guest a
 * command through the console costs several forks in the guest's command server, a loop only ipvsadm and
 * sleep — at 10 reads a second that is the difference between a guest that keeps up and one that lags by
 * seconds under TCG. The event's time is when the table's end line reached this host (host "hachaos": no
 * guest clock offset applies). Memory: one table's lines (at most MAX_TABLE_LINES) and one status per
 * (service, real server) of the VIP.
 */
export class IpvsRealPoller implements Poller {
  static readonly MAX_TABLE_LINES = 2000
  private readonly last = new Map<string, {backend: string; server: string; status: RealStatus}>()
  private buf: string[] = []
  private proc: Spawned | null = null
  tables = 0

  constructor(
    private readonly exec: Executor,
    private readonly vip: string,
    private readonly emit: (e: TimelineEvent) => void,
    private readonly everyMs = IPVS_POLL_MS,
  ) {}

  argv(): string[] {
    // fixed script; the period is a positional parameter
    return ['sh', '-c', `while :; do ipvsadm -Ln; echo ${TABLE_END}; sleep "$1"; done`, 'sh', (this.everyMs / 1000).toFixed(3)]
  }

  start(): void {
    if (this.proc !== null) return
    this.proc = this.exec.spawn(this.argv(), {onLine: (l) => this.line(l.stream, l.text, l.t)})
  }

  /** One output line (public for tests on captured tables). */
  line(stream: 'stdout' | 'stderr', text: string, t: EpochMicros): void {
    if (stream !== 'stdout') return
    if (text.trim() === TABLE_END) {
      this.tables++
      this.fold(this.buf.join('\n'), t)
      this.buf = []
    } else if (this.buf.length < IpvsRealPoller.MAX_TABLE_LINES) this.buf.push(text)
  }

  async stop(): Promise<void> {
    if (this.proc === null) return
    await this.proc.stop({signal: 'SIGTERM', graceMs: 2000})
  }

  /** One table read at `t`: events for what changed. */
  fold(text: string, t: EpochMicros): void {
    const seen = new Set<string>()
    for (const svc of parseIpvsList(text)) {
      if (svc.address !== this.vip) continue
      const backend = ipvsServiceName(svc.protocol, svc.address, svc.port)
      for (const real of svc.reals) {
        const server = `${real.address}:${real.port}`
        const key = `${backend} ${server}`
        seen.add(key)
        this.set(key, backend, server, real.weight > 0 ? 'UP' : 'DOWN weight 0', t)
      }
    }
    for (const [key, v] of this.last) if (!seen.has(key)) this.set(key, v.backend, v.server, 'DOWN absent', t)
  }

  private set(key: string, backend: string, server: string, status: RealStatus, t: EpochMicros): void {
    if (this.last.get(key)?.status === status) return
    this.last.set(key, {backend, server, status})
    this.emit({type: 'lb.server', t, host: 'hachaos', backend, server, status})
  }

  size(): number {
    return this.last.size + this.buf.length
  }
}

export interface RealServerLiveOptions {
  /** "TCP VIP:PORT" and "IP:PORT" of the target as the poller names them. */
  backend: string
  server: string
  delayLoopMs: number
}

/** The engine's view of a real-server drill: steady while the target is in the table, reacted when it left, settled when it is back. */
export class RealServerLive implements StackHooks {
  readonly holdAfterReactMs = 1000
  readonly settleWaitMs: number
  readonly mustObserve = true
  private status: string | null = null
  private downAt = 0
  private upAt = 0

  constructor(private readonly o: RealServerLiveOptions) {
    this.settleWaitMs = o.delayLoopMs + 10_000
  }

  private mine(e: TimelineEvent): e is Extract<TimelineEvent, {type: 'lb.server'}> {
    return e.type === 'lb.server' && e.backend === this.o.backend && e.server === this.o.server
  }

  observe(e: TimelineEvent): void {
    if (!this.mine(e)) return
    if (e.status === 'UP' && this.status !== 'UP') this.upAt = e.t
    if (e.status.startsWith('DOWN') && (this.status === null || this.status === 'UP')) this.downAt = e.t
    this.status = e.status
  }

  steady(): boolean {
    return this.status === 'UP'
  }

  notSteady(): string {
    return this.status === null ? `the director's IPVS table has no ${this.o.server} in ${this.o.backend} (not read yet?)` : `${this.o.server} is ${this.status} in ${this.o.backend} before the fault`
  }

  reacted(faultAt: EpochMicros): boolean {
    return this.status !== 'UP' && this.downAt >= faultAt
  }

  settled(revertAt: EpochMicros): boolean {
    return this.status === 'UP' && this.upAt >= revertAt
  }

  metrics(events: readonly TimelineEvent[], base: FailoverMetrics, faultAt: EpochMicros | null, revertAt: EpochMicros | null): FailoverMetrics {
    if (faultAt === null) return base
    const end = revertAt ?? Number.POSITIVE_INFINITY
    const round = (us: number): number => Math.round(us / 100) / 10
    // The checker's clock starts when the fault is in effect: when the inject's last command returned (the
    // signal was sent, the link is down). From the engine's fault moment (before the inject) that is
    // injectMs later — tens of ms on an idle machine, seconds when the guest is starved of CPU; likewise
    // the re-add counts from the end of the revert (the daemon started, the link up).
    const injected = events.find((e) => e.type === 'fault.inject' && e.phase === 'after' && e.t >= faultAt)?.t ?? faultAt
    const restored = revertAt === null ? null : (events.find((e) => e.type === 'fault.revert' && e.phase === 'after' && e.t >= revertAt)?.t ?? revertAt)
    const mine = events.filter((e): e is Extract<TimelineEvent, {type: 'lb.server'}> => this.mine(e))
    const down = mine.find((e) => e.t >= faultAt && e.t < end && e.status.startsWith('DOWN'))
    // (an UP read while the revert's command was still returning counts: it can only be after the revert took effect)
    const up = revertAt === null ? undefined : mine.find((e) => e.t >= revertAt && e.status === 'UP')
    let failed = 0
    let failedAfterRemoval = 0
    let lastFailed: number | null = null
    let failedAfterRevert = 0
    for (const e of events) {
      if (e.type !== 'probe' || e.ok) continue
      if (e.t >= faultAt && e.t < end) {
        failed++
        if (down !== undefined && e.t > down.t) failedAfterRemoval++
        if (lastFailed === null || e.t > lastFailed) lastFailed = e.t
      } else if (revertAt !== null && e.t >= revertAt) failedAfterRevert++
    }
    const extra: Record<string, number | null> = {
      ...base.extra,
      injectMs: round(injected - faultAt),
      revertMs: restored === null || revertAt === null ? null : round(restored - revertAt),
      checkerRemovalMs: down === undefined ? null : round(down.t - injected),
      realServerReaddMs: up === undefined || restored === null ? null : round(Math.max(0, up.t - restored)),
      failedRequests: failed,
      /** Send time of the last request that failed, from the fault in effect: after it, every request was answered. */
      lastFailedRequestMs: lastFailed === null ? null : round(lastFailed - injected),
      failedRequestsAfterRemoval: failedAfterRemoval,
      failedRequestsAfterRevert: failedAfterRevert,
    }
    return {...base, extra}
  }

  size(): number {
    return 1
  }
}

/**
 * How a fault makes the checker fail: RST (the daemon is gone) or silence (the NIC is down, or the checked
 * port's replies dropped: drop-port on `port`, the service the drill follows); null: no model.
 */
export function failModeOf(plan: FaultPlan, port?: number): FailMode | null {
  if (plan.kind === 'nic-down') return 'blackhole'
  if (plan.kind === 'drop-port') return port === undefined || Number(plan.params['port']) === port ? 'blackhole' : null
  if (plan.kind === 'kill' || plan.kind === 'service-stop') return plan.params['signal'] === 'STOP' ? null : 'refused'
  return null
}

/**
 * The plan as a real-server drill runs it: its effect is a backend loss (whatever the fault guessed from
 * the roles), and a daemon on a host without service control (`services: none`, the LVS lab's real servers
 * in the guest) is started again by the host's own command (fact lab_start: {SERVICE: argv}).
 */
export function realServerPlan(plan: FaultPlan, target: InventoryHost): FaultPlan {
  return {...withLabStart(plan, target), effect: 'backend-loss'}
}

/** The plan's service starts on a host without service control replaced by the host's `lab_start` command (directors and real servers alike). */
export function withLabStart(plan: FaultPlan, target: InventoryHost): FaultPlan {
  const starts = target.facts[LAB_START_FACT]
  const startOf = (service: string): string[] | null => {
    if (target.services !== 'none' || starts === null || typeof starts !== 'object') return null
    const argv = (starts as Record<string, unknown>)[service]
    return Array.isArray(argv) && argv.length > 0 && argv.every((x) => typeof x === 'string') ? (argv as string[]) : null
  }
  const revert = plan.revert.map((a): Action => {
    if (a.type !== 'service' || a.op !== 'start') return a
    const argv = startOf(a.service)
    return argv === null ? a : {type: 'exec', host: a.host, argv, what: `start ${a.service} on ${a.host.name} (${argv.join(' ')})`}
  })
  return {...plan, revert}
}

async function masterDirector(lbs: LbVrrp[], vip: string): Promise<{master: LbVrrp; warnings: string[]}> {
  const owners: LbVrrp[] = []
  for (const l of lbs) if (await hostHasAddress(l.exec, vip)) owners.push(l)
  const warnings: string[] = []
  if (owners.length > 1) warnings.push(`the VIP ${vip} is on ${owners.map((l) => l.host.name).join(' and ')}: following ${owners[0]?.host.name ?? '?'}`)
  const master = owners[0] ?? lbs[0]
  if (master === undefined) throw new HachaosError('no LVS director in the inventory', {code: 'E_INVENTORY', exit: 'BAD_INPUT', suggestions: ['give the directors the role lvs-director']})
  if (owners.length === 0) warnings.push(`no director holds the VIP ${vip}: following ${master.host.name}'s table`)
  return {master, warnings}
}

/** prepare() of a real-server drill (the LVS stack's, for a target with role lvs-real-server). */
export async function prepareRealServer(o: DrillOptions, target: InventoryHost, directorRole: string): Promise<PreparedDrill> {
  const inv = o.inventory
  const env = faultEnv(o, target)
  const directors = hostsWithRole(inv, directorRole)
  if (directors.length === 0) throw new HachaosError(`no host with role ${directorRole}: whose IPVS table should lose ${target.name}?`, {code: 'E_INVENTORY', exit: 'BAD_INPUT', where: target.name, suggestions: [`give the directors the role ${directorRole}`]})
  const vipHint = o.vip ?? inv.vip ?? null
  const lbs = await Promise.all(directors.map((h) => readLbVrrp(h, executorFor(h), vipHint)))
  const vip = vipHint ?? lbs[0]?.instance.virtualIpaddresses[0]?.address ?? null
  if (vip === null) throw new HachaosError('which VIP? no vrrp_instance of the directors names one', {code: 'E_USAGE', exit: 'USAGE', suggestions: ['pass --vip ADDRESS, or add "vip:" to the inventory']})
  const {master, warnings} = await masterDirector(lbs, vip)
  const url = o.url ?? vipUrl(vip)
  const port = Number(new URL(url).port || (url.startsWith('https:') ? 443 : 80))

  const plan = realServerPlan(await o.planFault(env), target)
  const mode = failModeOf(plan, port)
  const checker = checkerFor(master.config, vip, port, target.address)
  const ld = checker === null ? await ldirectordPrediction(master, vip, port, target, mode, plan) : null
  let prediction: Prediction
  if (ld !== null) {
    prediction = ld.prediction
  } else if (checker === null) {
    prediction = {metric: 'checkerRemovalMs', takeoverMs: null, minMs: null, maxMs: null, formula: `no checker for real_server ${target.address} in virtual_server ${vip} ${port} of ${master.host.name}:${master.confPath}: keepalived never removes it, requests to it fail until it returns`, inputs: {}}
    warnings.push(`${target.name} has no health checker on ${master.host.name}`)
  } else if (mode === null) {
    prediction = {metric: 'checkerRemovalMs', takeoverMs: null, minMs: null, maxMs: null, formula: plan.kind === 'drop-port' ? `${plan.summary}: port ${port}, which ${checker.kind} checks, still answers` : `a ${plan.kind} fault (${plan.summary}) leaves the port accepting connections (a stopped daemon's backlog still completes the handshake): ${checker.kind} does not fail`, inputs: {}}
  } else {
    prediction = predictCheckerRemoval(checker, mode, target.name)
    const r = predictReadd(checker, mode)
    prediction.formula += `; ${checker.kind} ${checker.where} on ${master.host.name}; back in the table ${r.formula} after the revert`
    Object.assign(prediction.inputs, {checker: checker.kind, director: master.host.name, readdMaxMs: r.maxMs, config: checker.where})
  }

  const log = new EventLog()
  const emit = log.emit
  const client = clientObservers(o, inv, url, emit, warnings, 'no packet capture and no probes')
  const poller = new IpvsRealPoller(master.exec, vip, emit)
  const clockOffsets = await clockOffsetsOf([...(client === null ? [] : [client.host]), master.host])
  const hosts = lbs.map((l) => ({name: l.host.name, ...(l.ip === null ? {} : {ip: l.ip}), ...(l.mac === null ? {} : {mac: l.mac})}))
  const spec: DrillSpec = {
    ...commonSpec(o, inv, client),
    log,
    stack: 'lvs',
    target: target.name,
    plan,
    prediction,
    vip,
    vrid: null,
    hosts,
    oldMaster: master.host.name,
    pollers: [poller],
    clockOffsets,
    warnings,
    hooks: new RealServerLive({backend: ipvsServiceName('TCP', vip, port), server: `${target.address}:${port}`, delayLoopMs: (checker?.delayLoopS ?? ld?.delayLoopS ?? 60) * 1000}),
  }
  return {spec, plan, prediction, stack: 'lvs', commands: display(plan, inv)}
}
