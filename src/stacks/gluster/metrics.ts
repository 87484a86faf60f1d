/**
 * Gluster figures from a drill's timeline (pure, one pass, O(1) state): from the storage probe's operations
 * (`probe` events with backend "fs", stamped at their completion, latencyMs back to their start) the longest
 * write stall around the fault, the failed operations and their first error (ENOTCONN, EROFS …), the client's
 * outage (longest gap between two good completions after the fault); from the server watcher (`cluster`
 * events: @brick:HOST:PATH online|offline, @heal-backlog N, @heal triggered) the heal backlog's peak and the
 * time after the revert until it is 0 again; from `@heal-index N` (the entries pending in the watcher's own
 * brick's index, readable while `heal info` hangs on a silent peer) the same two figures.
 *
 * The drain model (healDrainModel): with `heal=trigger` the watcher runs `gluster volume heal VOL` as soon as
 * every brick is online after the revert — an index crawl at once: seconds. With `heal=wait` nothing is asked
 * for: the self-heal daemon crawls its indices every cluster.heal-timeout (default 600 s), and besides starts
 * a crawl of its own when a brick comes back up (afr_notify → afr_selfheal_childup on CHILD_UP, GlusterFS
 * xlators/cluster/afr/src/afr-self-heald.c): the drain is bounded by heal-timeout + one crawl, and is usually
 * as quick as a triggered heal.
 */
import type {TimelineEvent} from '../../store/run-types.js'
import type {EpochMicros} from '../../time.js'

export const FS_BACKEND = 'fs'
export const HEAL_RESOURCE = '@heal-backlog'
export const HEAL_TRIGGER_RESOURCE = '@heal'
export const BRICK_PREFIX = '@brick:'
/** The most entries in split-brain on one brick (heal info summary), said on change. */
export const SPLIT_BRAIN_RESOURCE = '@split-brain'
/** One event per file `heal VOL info split-brain` lists (role: the bricks listing it), at most SPLIT_FILES_MAX. */
export const SPLIT_FILE_PREFIX = '@split-brain-file:'
export const SPLIT_FILES_MAX = 20
/** Entries pending heal in the watcher's own brick index (xattrop), said on change. */
export const HEAL_INDEX_RESOURCE = '@heal-index'

export type HealMode = 'trigger' | 'wait'
export const HEAL_MODES: readonly HealMode[] = ['trigger', 'wait']

/**
 * The bound on the time from the revert until the backlog is 0 (see the header): trigger — the watcher's
 * poll (≤ 1 s) + the heal command + one crawl, `crawlMs`; wait — heal-timeout + one crawl.
 */
export function healDrainModel(mode: HealMode, healTimeoutS: number, crawlMs: number): {maxMs: number; formula: string} {
  if (mode === 'trigger') return {maxMs: crawlMs, formula: `heal=trigger: gluster volume heal right after the revert, an index crawl at once: ≤ ${crawlMs / 1000} s`}
  return {
    maxMs: healTimeoutS * 1000 + crawlMs,
    formula: `heal=wait: the self-heal daemon's next crawl — at once when the brick comes back up (CHILD_UP), else within cluster.heal-timeout ${healTimeoutS} s: ≤ ${healTimeoutS} s + ${crawlMs / 1000} s`,
  }
}

const ms = (from: EpochMicros, to: EpochMicros): number => Math.round((to - from) / 1000)

export interface GlusterFigures {
  /** Longest single storage operation that was in flight after the fault and started before the revert, ms. */
  stallMs: number | null
  /** Longest gap between two good completions after the fault (before the revert), ms. */
  clientOutageMs: number | null
  failedOps: number
  /** Operations that failed after the fault, by errno (first one only: the figure the manual cares about). */
  firstError: string | null
  /** Time from the fault until the first failed operation, ms. */
  firstErrorMs: number | null
  /** Peak of the heal backlog after the fault. */
  healPeak: number | null
  /** Time from the revert until the heal backlog read 0 (after being above 0), ms; null: never drained. */
  healDrainedMs: number | null
  /** Peak of the watcher's own brick index after the fault (null: never read). */
  healIndexPeak: number | null
  /** Time from the revert until the watcher's brick index read 0 (after being above 0 since the fault), ms. */
  healIndexDrainedMs: number | null
  /** Time from the revert until a heal was triggered (null: not triggered). */
  healTriggeredMs: number | null
  /** Time from the fault until the watcher saw a brick offline, ms. */
  brickOfflineMs: number | null
  /** Most entries in split-brain on one brick after the fault (null: never read). */
  splitBrainEntries: number | null
  /** Files listed by `heal info split-brain` after the fault (at most SPLIT_FILES_MAX), in order of listing. */
  splitBrainFiles: string[]
  /** When the first split-brain entry was seen (µs), null: none. */
  splitBrainAtUs: EpochMicros | null
}

export function glusterFigures(events: readonly TimelineEvent[], o: {faultAtUs: EpochMicros; revertAtUs: EpochMicros | null}): GlusterFigures {
  const sorted = [...events].sort((a, b) => a.t - b.t)
  const revert = o.revertAtUs ?? Number.POSITIVE_INFINITY
  let stall: number | null = null
  let lastOk: EpochMicros | null = null
  let outage: number | null = null
  let failed = 0
  let firstError: string | null = null
  let firstErrorAt: EpochMicros | null = null
  let peak: number | null = null
  let backlog: number | null = null
  let drained: EpochMicros | null = null
  let triggered: EpochMicros | null = null
  let idxPeak: number | null = null
  let idxDrained: EpochMicros | null = null
  let offline: EpochMicros | null = null
  let sbEntries: number | null = null
  let sbAt: EpochMicros | null = null
  const sbFiles: string[] = []
  for (const e of sorted) {
    if (e.type === 'probe' && e.backend === FS_BACKEND) {
      const start = e.t - Math.round(e.latencyMs * 1000)
      if (e.t >= o.faultAtUs && start <= revert) {
        stall = Math.max(stall ?? 0, Math.round(e.latencyMs))
        if (!e.ok) {
          failed++
          if (firstError === null) {
            firstError = e.error
            firstErrorAt = e.t
          }
        }
      }
      if (e.ok) {
        if (e.t >= o.faultAtUs && start <= revert && lastOk !== null) outage = Math.max(outage ?? 0, ms(lastOk, e.t))
        lastOk = e.t
      }
    } else if (e.type === 'cluster') {
      if (e.resource === HEAL_RESOURCE) {
        const n = Number(e.role)
        if (!Number.isFinite(n)) continue
        backlog = n
        if (e.t >= o.faultAtUs) peak = Math.max(peak ?? 0, n)
        if (o.revertAtUs !== null && e.t >= o.revertAtUs && n === 0 && drained === null && (peak ?? 0) > 0) drained = e.t
      } else if (e.resource === HEAL_INDEX_RESOURCE) {
        const n = Number(e.role)
        if (!Number.isFinite(n)) continue
        if (e.t >= o.faultAtUs) idxPeak = Math.max(idxPeak ?? 0, n)
        if (o.revertAtUs !== null && e.t >= o.revertAtUs && n === 0 && idxDrained === null && (idxPeak ?? 0) > 0) idxDrained = e.t
      } else if (e.resource === HEAL_TRIGGER_RESOURCE) {
        if (o.revertAtUs !== null && e.t >= o.revertAtUs && triggered === null) triggered = e.t
      } else if (e.resource.startsWith(BRICK_PREFIX) && e.role === 'offline' && e.t >= o.faultAtUs && offline === null) {
        offline = e.t
      } else if (e.resource === SPLIT_BRAIN_RESOURCE && e.t >= o.faultAtUs) {
        const n = Number(e.role)
        if (!Number.isFinite(n)) continue
        sbEntries = Math.max(sbEntries ?? 0, n)
        if (n > 0) sbAt ??= e.t
      } else if (e.resource.startsWith(SPLIT_FILE_PREFIX) && e.t >= o.faultAtUs) {
        const f = e.resource.slice(SPLIT_FILE_PREFIX.length)
        if (!sbFiles.includes(f) && sbFiles.length < SPLIT_FILES_MAX) sbFiles.push(f)
        sbAt ??= e.t
      }
    }
  }
  void backlog
  return {
    stallMs: stall,
    clientOutageMs: outage,
    failedOps: failed,
    firstError,
    firstErrorMs: firstErrorAt === null ? null : ms(o.faultAtUs, firstErrorAt),
    healPeak: peak,
    healDrainedMs: drained === null || o.revertAtUs === null ? null : ms(o.revertAtUs, drained),
    healIndexPeak: idxPeak,
    healIndexDrainedMs: idxDrained === null || o.revertAtUs === null ? null : ms(o.revertAtUs, idxDrained),
    healTriggeredMs: triggered === null || o.revertAtUs === null ? null : ms(o.revertAtUs, triggered),
    brickOfflineMs: offline === null ? null : ms(o.faultAtUs, offline),
    splitBrainEntries: sbEntries,
    splitBrainFiles: sbFiles,
    splitBrainAtUs: sbAt,
  }
}
