/**
 * The Gluster stack as the drill engine follows it (its StackHooks), one event at a time:
 *   steady    the storage probe wrote and read back a file, and every brick the watcher knows is online
 *   reacted   the client got a write through again after the fault (an operation that started after it
 *             completed), or — with a quorum loss — it got its first error
 *   settled   after the revert: every brick online, the heal backlog 0, the probe's last operation good, for
 *             `stableMs` — a backlog that is never healed (no trigger) leaves it unsettled until settleWaitMs
 * State: the brick roles (one per brick), the backlog, a few timestamps: O(bricks), observe() O(1).
 */
import type {StackHooks} from '../../drill/engine.js'
import type {FaultEffect} from '../../fault/types.js'
import type {FailoverMetrics, SplitBrainFinding, TimelineEvent} from '../../store/run-types.js'
import type {EpochMicros} from '../../time.js'
import {BRICK_PREFIX, FS_BACKEND, HEAL_RESOURCE, SPLIT_FILE_PREFIX, glusterFigures} from './metrics.js'
import type {WatcherShared} from './observe.js'

const MUST_OBSERVE: ReadonlySet<FaultEffect> = new Set<FaultEffect>(['node-loss', 'service-loss', 'backend-loss', 'cluster-partition'])

export interface GlusterLiveOptions {
  effect: FaultEffect
  settleWaitMs: number
  stableMs: number
  shared: WatcherShared
}

export class GlusterLive implements StackHooks {
  private readonly bricks = new Map<string, string>()
  private backlog: number | null = null
  private backlogAt: EpochMicros = 0
  private lastOpOk = false
  private okOps = 0
  private writesAgainAt = Number.NEGATIVE_INFINITY
  private firstErrorAt = Number.NEGATIVE_INFINITY
  private okSince: EpochMicros | null = null
  readonly holdAfterReactMs = 1000
  readonly settleWaitMs: number
  readonly mustObserve: boolean

  constructor(private readonly o: GlusterLiveOptions) {
    this.settleWaitMs = o.settleWaitMs
    this.mustObserve = MUST_OBSERVE.has(o.effect)
  }

  observe(e: TimelineEvent): void {
    if (e.type === 'fault.revert' && e.phase === 'after') {
      this.o.shared.revertedAt ??= e.t
      return
    }
    if (e.type === 'probe' && e.backend === FS_BACKEND) {
      this.lastOpOk = e.ok
      if (e.ok) {
        this.okOps++
        const start = e.t - Math.round(e.latencyMs * 1000)
        if (start > this.writesAgainAt) this.writesAgainAt = start
      } else if (this.firstErrorAt === Number.NEGATIVE_INFINITY) this.firstErrorAt = e.t
    } else if (e.type === 'cluster' && e.resource.startsWith(BRICK_PREFIX)) {
      this.bricks.set(e.resource, e.role)
    } else if (e.type === 'cluster' && e.resource === HEAL_RESOURCE) {
      this.backlog = Number(e.role)
      this.backlogAt = e.t
    } else {
      return
    }
    const ok = this.lastOpOk && this.bricks.size > 0 && [...this.bricks.values()].every((r) => r === 'online') && this.backlog === 0
    if (!ok) this.okSince = null
    else this.okSince ??= e.t
  }

  private allOnline(): boolean {
    return this.bricks.size > 0 && [...this.bricks.values()].every((r) => r === 'online')
  }

  steady(): boolean {
    return this.okOps > 0 && this.lastOpOk && this.allOnline()
  }

  notSteady(): string {
    if (this.okOps === 0) return 'the storage probe wrote no file on the mount yet'
    if (!this.lastOpOk) return 'the storage probe\'s last write failed'
    return this.bricks.size === 0 ? 'no brick status read yet (gluster volume status)' : `bricks offline: ${[...this.bricks].filter(([, r]) => r !== 'online').map(([b]) => b.slice(BRICK_PREFIX.length)).join(', ')}`
  }

  reacted(faultAt: EpochMicros): boolean {
    return this.writesAgainAt > faultAt || this.firstErrorAt > faultAt
  }

  settled(revertAt: EpochMicros): boolean {
    // the backlog must have been read after the revert (the watcher says it once then, even when unchanged)
    if (this.okSince === null || this.backlogAt < revertAt) return false
    const now = Math.round((performance.timeOrigin + performance.now()) * 1000)
    return now - Math.max(this.okSince, revertAt) >= this.o.stableMs * 1000
  }

  metrics(events: readonly TimelineEvent[], base: FailoverMetrics, faultAt: EpochMicros | null, revertAt: EpochMicros | null): FailoverMetrics {
    if (faultAt === null) return base
    const f = glusterFigures(events, {faultAtUs: faultAt, revertAtUs: revertAt})
    const errs = events.filter((e) => e.type === 'probe' && e.backend === FS_BACKEND && !e.ok && e.t >= faultAt)
    return {
      ...base,
      outageMs: base.outageMs ?? f.clientOutageMs,
      extra: {
        ...base.extra,
        stallMs: f.stallMs,
        clientOutageMs: f.clientOutageMs,
        failedOps: f.failedOps,
        enotconnOps: errs.filter((e) => e.type === 'probe' && e.error === 'ENOTCONN').length,
        erofsOps: errs.filter((e) => e.type === 'probe' && e.error === 'EROFS').length,
        firstErrorMs: f.firstErrorMs,
        healPeak: f.healPeak,
        healDrainedMs: f.healDrainedMs,
        healTriggeredMs: f.healTriggeredMs,
        healIndexPeak: f.healIndexPeak,
        healIndexDrainedMs: f.healIndexDrainedMs,
        brickOfflineMs: f.brickOfflineMs,
        splitBrainEntries: f.splitBrainEntries,
        splitBrainFiles: f.splitBrainFiles.length,
      },
    }
  }

  /**
   * Files `heal info split-brain` listed after the fault: one finding (kind split-files) from the first
   * listing to the end of the run, parties the bricks that list them. The verdict judges it as any split brain
   * the fault was not meant to cause: FAIL (a partition cuts, the volume's lack of quorum diverges the copies).
   */
  splitBrain(events: readonly TimelineEvent[], faultAt: EpochMicros | null): SplitBrainFinding[] {
    if (faultAt === null) return []
    const f = glusterFigures(events, {faultAtUs: faultAt, revertAtUs: null})
    if (f.splitBrainFiles.length === 0 && (f.splitBrainEntries ?? 0) === 0) return []
    const parties = new Set<string>()
    let end = f.splitBrainAtUs ?? faultAt
    for (const e of events) {
      end = Math.max(end, e.t)
      if (e.type === 'cluster' && e.resource.startsWith(SPLIT_FILE_PREFIX) && e.t >= faultAt) for (const b of e.role.split(',')) if (b !== '') parties.add(b)
    }
    const start = f.splitBrainAtUs ?? end
    const files = f.splitBrainFiles.length === 0 ? `${f.splitBrainEntries ?? 0} entries (not listed)` : f.splitBrainFiles.join(', ')
    return [{kind: 'split-files', parties: parties.size === 0 ? ['the bricks of a replica set'] : [...parties], startUs: start, endUs: end, durationMs: Math.round((end - start) / 1000), evidence: `gluster volume heal info split-brain lists ${files}: the copies diverged while the bricks were cut apart; heal cannot pick one (reads give EIO) — resolve with \`gluster volume heal VOL split-brain latest-mtime|bigger-file|source-brick …\` or cluster.favorite-child-policy`}]
  }

  size(): number {
    return this.bricks.size + 4
  }
}
