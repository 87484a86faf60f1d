/**
 * The keepalived + HAProxy stack as the drill engine follows it (its StackHooks): the VRRP and HAProxy rules
 * of the steady state, the reaction and the failback, folded one event at a time.
 *
 *   steady     the old master advertises (an advert with priority > 0 since the mark)
 *   reacted    a fault that moves the VIP: another node advertises as master after the fault;
 *              a backend loss: HAProxy marks the server DOWN after the fault
 *   settled    with preempt: the old master advertises again after the revert;
 *              a backend loss: HAProxy has the server UP again and a client request was answered by it
 *
 * Every question is "the newest such event is at or after the mark", so the state is one newest time per
 * advert source (sources named by the drill's hosts or by address), one per watched server state, one per
 * watched backend: memory O(advert sources), never O(events); observe() and every question are O(1).
 */
import type {StackHooks} from '../../drill/engine.js'
import type {FaultEffect} from '../../fault/types.js'
import type {FailoverMetrics, TimelineEvent} from '../../store/run-types.js'
import type {EpochMicros} from '../../time.js'

/** Fault effects that move the VRRP master (and so the VIP). */
export const VRRP_MOVES: ReadonlySet<FaultEffect> = new Set<FaultEffect>(['node-loss', 'graceful-stop', 'service-loss', 'advert-loss'])

export interface KeepalivedLiveOptions {
  effect: FaultEffect
  /** VRRP instance of the VIP (null: every advert counts). */
  vrid: number | null
  /** Advert sources by address → host name. */
  hosts: Array<{name: string; ip?: string}>
  oldMaster: string | null
  /** Whether adverts are captured at all (no capture: nothing to wait for). */
  capturing: boolean
  /** preempt of the old master (false: no failback to wait for). */
  preempt: boolean
  /** HAProxy server name of a backend-loss target, and the target's name (a client may see either). */
  lbServer: string | null
  target: string
  /** Master_Down_Interval of the failback (ms). */
  failbackMdiMs: number
}

const NEVER = Number.NEGATIVE_INFINITY

export class KeepalivedLive implements StackHooks {
  private readonly byIp: Map<string, string>
  /** Newest advert with priority > 0 per source (by name). */
  private readonly lastAdvert = new Map<string, EpochMicros>()
  /** Newest advert with priority > 0 from a source other than the old master. */
  private otherMasterAt = NEVER
  private serverDownAt = NEVER
  private serverUpAt = NEVER
  /** Whether the service names its backends at all (any probe with a backend). */
  private namesBackends = false
  /** Newest good probe answered by the lb server or the target. */
  private answeredAt = NEVER
  readonly holdAfterReactMs: number
  readonly settleWaitMs: number
  readonly mustObserve: boolean

  constructor(private readonly o: KeepalivedLiveOptions) {
    this.byIp = new Map(o.hosts.filter((h) => h.ip !== undefined).map((h) => [h.ip as string, h.name]))
    // A split brain needs a few advert intervals of overlap to be seen for what it is.
    this.holdAfterReactMs = o.effect === 'advert-loss' ? 3000 : 0
    this.settleWaitMs = o.failbackMdiMs + 10_000
    this.mustObserve = VRRP_MOVES.has(o.effect) || o.effect === 'backend-loss'
  }

  observe(e: TimelineEvent): void {
    switch (e.type) {
      case 'vrrp.advert': {
        if (e.prio <= 0 || (this.o.vrid !== null && e.vrid !== this.o.vrid)) return
        const name = this.byIp.get(e.src) ?? e.src
        if (e.t > (this.lastAdvert.get(name) ?? NEVER)) this.lastAdvert.set(name, e.t)
        if (name !== this.o.oldMaster && e.t > this.otherMasterAt) this.otherMasterAt = e.t
        return
      }
      case 'lb.server':
        if (e.server !== this.o.lbServer) return
        if (e.status.startsWith('DOWN') && e.t > this.serverDownAt) this.serverDownAt = e.t
        if (e.status === 'UP' && e.t > this.serverUpAt) this.serverUpAt = e.t
        return
      case 'probe':
        if (e.backend === null) return
        this.namesBackends = true
        if (e.ok && (e.backend === this.o.lbServer || e.backend === this.o.target) && e.t > this.answeredAt) this.answeredAt = e.t
        return
      default:
        return
    }
  }

  private advertisedSince(name: string, since: EpochMicros): boolean {
    return (this.lastAdvert.get(name) ?? NEVER) >= since
  }

  steady(since: EpochMicros): boolean {
    return this.o.oldMaster === null || !this.o.capturing || this.advertisedSince(this.o.oldMaster, since)
  }

  notSteady(): string {
    return `no adverts from ${this.o.oldMaster ?? '?'} (is it the VRRP master? is the capture on the right interface?)`
  }

  reacted(faultAt: EpochMicros): boolean {
    let reacted = true
    if (VRRP_MOVES.has(this.o.effect) && this.o.capturing) reacted = this.otherMasterAt >= faultAt
    if (this.o.effect === 'backend-loss' && this.o.lbServer !== null) reacted = this.serverDownAt >= faultAt
    return reacted
  }

  settled(revertAt: EpochMicros): boolean {
    let done = true
    if (VRRP_MOVES.has(this.o.effect) && this.o.capturing && this.o.oldMaster !== null && this.o.preempt) done = this.advertisedSince(this.o.oldMaster, revertAt)
    if (this.o.effect === 'backend-loss' && this.o.lbServer !== null) {
      // Back means HAProxy has it UP again and a client request was answered by it.
      done = done && this.serverUpAt >= revertAt && (!this.namesBackends || this.answeredAt >= revertAt)
    }
    return done
  }

  /** HAProxy's figures of a backend loss: when it ejected the server and took it back, and the client's view. */
  metrics(events: readonly TimelineEvent[], base: FailoverMetrics, faultAt: EpochMicros | null, revertAt: EpochMicros | null): FailoverMetrics {
    const lbServer = this.o.lbServer
    if (faultAt === null || lbServer === null) return base
    const extra = {...base.extra}
    const down = events.find((e) => e.type === 'lb.server' && e.server === lbServer && e.t >= faultAt && e.status.startsWith('DOWN'))
    extra['backendEjectMs'] = down === undefined ? null : round((down.t - faultAt) / 1000)
    if (revertAt !== null) {
      const up = events.find((e) => e.type === 'lb.server' && e.server === lbServer && e.t >= revertAt && e.status.startsWith('UP'))
      extra['backendReturnMs'] = up === undefined ? null : round((up.t - revertAt) / 1000)
    }
    // The client's view: the last probe after the fault that failed or was slowed by the dead server.
    const probes = events.filter((e): e is Extract<TimelineEvent, {type: 'probe'}> => e.type === 'probe')
    const before = probes.filter((p) => p.t < faultAt && p.ok).map((p) => p.latencyMs).sort((x, y) => x - y)
    const median = before[Math.floor(before.length / 2)] ?? 1
    const affected = probes.filter((p) => p.t >= faultAt && (revertAt === null || p.t < revertAt) && (!p.ok || p.latencyMs > Math.max(10 * median, 50)))
    const lastAffected = affected[affected.length - 1]
    extra['clientAffectedMs'] = lastAffected === undefined ? 0 : round((lastAffected.t - faultAt) / 1000)
    extra['clientAffectedProbes'] = affected.length
    return {...base, extra}
  }

  size(): number {
    return this.lastAdvert.size + 5
  }
}

const round = (x: number): number => Math.round(x * 1000) / 1000
