/**
 * The Pacemaker stack as the drill engine follows it (its StackHooks), folded one event at a time:
 *   steady    nothing to wait for beyond the service answering (the cluster's health was read in prepare)
 *   reacted   the VIP is configured on a node other than the old owner (polled `vip.owner`), after the fault
 *   settled   every node online, each member of the group Started on one node, the VIP on exactly that node
 *             (the latest observation of each, whenever it was made — as clusterSettled in metrics.ts)
 * State: the newest "VIP elsewhere" time, the latest `vip.owner` reading, and the latest crm_mon reading of
 * each watched resource (the cluster's nodes and the group's members): memory O(nodes + members), never
 * O(events); observe() is O(1), settled() O(nodes + members).
 */
import type {StackHooks} from '../../drill/engine.js'
import type {FaultEffect} from '../../fault/types.js'
import type {FailoverMetrics, TimelineEvent} from '../../store/run-types.js'
import type {EpochMicros} from '../../time.js'
import {pacemakerFigures} from './metrics.js'

type ClusterEvent = Extract<TimelineEvent, {type: 'cluster'}>

/** Fault effects whose figure must be observed (a missing one fails the verdict; else a warning). */
const MUST_OBSERVE: ReadonlySet<FaultEffect> = new Set<FaultEffect>(['node-loss', 'graceful-stop', 'service-loss', 'advert-loss'])

export interface PacemakerLiveOptions {
  effect: FaultEffect
  /** Whether the model predicts a relocation at all (no prediction: nothing to wait for). */
  predicted: boolean
  oldOwner: string | null
  /** Pacemaker node names, and the members of the group. */
  nodes: string[]
  members: string[]
  settleWaitMs: number
  /** What the figures at the end need. */
  figures: {vip: string | null; macs: Record<string, string>; firstMember: string; targetNode: string}
}

export class PacemakerLive implements StackHooks {
  private movedAt = Number.NEGATIVE_INFINITY
  private owners: {t: EpochMicros; owners: string[]} | null = null
  private readonly watched: Set<string>
  private readonly latest = new Map<string, ClusterEvent>()
  readonly holdAfterReactMs = 0
  readonly settleWaitMs: number
  readonly mustObserve: boolean

  constructor(private readonly o: PacemakerLiveOptions) {
    this.watched = new Set([...o.nodes.map((n) => `@node:${n}`), ...o.members])
    this.settleWaitMs = o.settleWaitMs
    this.mustObserve = MUST_OBSERVE.has(o.effect)
  }

  observe(e: TimelineEvent): void {
    if (e.type === 'vip.owner') {
      if ((this.owners?.t ?? -1) <= e.t) this.owners = {t: e.t, owners: e.owners}
      if (e.t > this.movedAt && e.owners.some((x) => x !== this.o.oldOwner)) this.movedAt = e.t
    } else if (e.type === 'cluster' && this.watched.has(e.resource)) {
      if ((this.latest.get(e.resource)?.t ?? -1) <= e.t) this.latest.set(e.resource, e)
    }
  }

  steady(): boolean {
    return true
  }

  notSteady(): string {
    return 'the cluster is not steady'
  }

  reacted(faultAt: EpochMicros): boolean {
    return !this.o.predicted || this.movedAt >= faultAt
  }

  settled(): boolean {
    const owners = this.owners?.owners
    if (owners === undefined || owners.length !== 1) return false
    if (!this.o.nodes.every((n) => this.latest.get(`@node:${n}`)?.role === 'online')) return false
    return this.o.members.every((m) => {
      const e = this.latest.get(m)
      return e !== undefined && e.role === 'Started' && e.node === owners[0]
    })
  }

  metrics(events: readonly TimelineEvent[], base: FailoverMetrics, faultAt: EpochMicros | null, revertAt: EpochMicros | null): FailoverMetrics {
    if (faultAt === null) return base
    const f = pacemakerFigures(events, {faultAtUs: faultAt, revertAtUs: revertAt, oldOwner: this.o.oldOwner, ...this.o.figures})
    return {...base, oldOwner: f.oldOwner, newOwner: f.newOwner, garpMs: base.garpMs ?? f.garpMs, extra: {...base.extra, ...f.extra}}
  }

  size(): number {
    return this.latest.size + 2
  }
}
