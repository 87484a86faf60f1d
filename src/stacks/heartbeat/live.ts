/**
 * The Heartbeat stack as the drill engine follows it (its StackHooks), folded one event at a time:
 *   steady    nothing beyond the service answering (cl_status was read in prepare)
 *   reacted   the VIP is configured on a node other than the old owner (polled `vip.owner`), after the fault
 *   settled   after the revert: heartbeat active on every node as each sees it (cl_status), the VIP on exactly
 *             one node, and both for `stableMs` without a break — on reconnect after a partition both nodes
 *             hold the VIP, then give everything up and re-exec heartbeat, so a moment with one owner is not
 *             the end of it.
 * State: the newest "VIP elsewhere" time, the latest owners, the latest cl_status role of each node, the
 * time the settled condition last became true: O(nodes), observe() O(1).
 */
import type {StackHooks} from '../../drill/engine.js'
import type {FaultEffect} from '../../fault/types.js'
import type {FailoverMetrics, TimelineEvent} from '../../store/run-types.js'
import type {EpochMicros} from '../../time.js'
import {heartbeatFigures} from './metrics.js'

const MUST_OBSERVE: ReadonlySet<FaultEffect> = new Set<FaultEffect>(['node-loss', 'graceful-stop'])

export interface HeartbeatLiveOptions {
  effect: FaultEffect
  predicted: boolean
  oldOwner: string | null
  nodes: string[]
  settleWaitMs: number
  /** How long the settled condition must hold (ms). */
  stableMs: number
  figures: {vip: string | null; oldMac: string | null}
}

export class HeartbeatLive implements StackHooks {
  private movedAt = Number.NEGATIVE_INFINITY
  private owners: string[] | null = null
  private readonly roles = new Map<string, string>()
  private okSince: EpochMicros | null = null
  readonly holdAfterReactMs = 0
  readonly settleWaitMs: number
  readonly mustObserve: boolean

  constructor(private readonly o: HeartbeatLiveOptions) {
    this.settleWaitMs = o.settleWaitMs
    this.mustObserve = MUST_OBSERVE.has(o.effect)
  }

  observe(e: TimelineEvent): void {
    if (e.type === 'vip.owner') {
      this.owners = e.owners
      if (e.t > this.movedAt && e.owners.some((x) => x !== this.o.oldOwner)) this.movedAt = e.t
    } else if (e.type === 'cluster' && e.resource.startsWith('@node:')) {
      this.roles.set(e.resource.slice(6), e.role)
    } else {
      return
    }
    const ok = this.owners !== null && this.owners.length === 1 && this.o.nodes.every((n) => this.roles.get(n) === 'active')
    if (!ok) this.okSince = null
    else this.okSince ??= e.t
  }

  steady(): boolean {
    return true
  }

  notSteady(): string {
    return 'heartbeat is not steady'
  }

  reacted(faultAt: EpochMicros): boolean {
    return !this.o.predicted || this.movedAt >= faultAt
  }

  settled(revertAt: EpochMicros): boolean {
    if (this.okSince === null) return false
    const now = Math.round((performance.timeOrigin + performance.now()) * 1000)
    return now - Math.max(this.okSince, revertAt) >= this.o.stableMs * 1000
  }

  metrics(events: readonly TimelineEvent[], base: FailoverMetrics, faultAt: EpochMicros | null, revertAt: EpochMicros | null): FailoverMetrics {
    if (faultAt === null) return base
    const f = heartbeatFigures(events, {faultAtUs: faultAt, revertAtUs: revertAt, oldOwner: this.o.oldOwner, vip: this.o.figures.vip, oldMac: this.o.figures.oldMac})
    return {...base, oldOwner: f.oldOwner, newOwner: f.newOwner, garpMs: base.garpMs ?? f.garpMs, extra: {...base.extra, ...f.extra}}
  }

  size(): number {
    return this.roles.size + 3
  }
}
