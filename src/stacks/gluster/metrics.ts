/**
 * Gluster figures from a drill's timeline (pure, one pass, O(1) state): from the storage probe's operations
 * (`probe` events with backend "fs", stamped at their completion, latencyMs back to their start) the longest
 * write stall around the fault, the failed operations and their first error (ENOTCONN, EROFS …), the client's
 * outage (longest gap between two good completions after the fault); from the server watcher (`cluster`
 * events: @brick:HOST:PATH online|offline, @heal-backlog N, @heal triggered) the heal backlog's peak and the
 * time after the revert until it is 0 again.
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
    healTriggeredMs: triggered === null || o.revertAtUs === null ? null : ms(o.revertAtUs, triggered),
    brickOfflineMs: offline === null ? null : ms(o.faultAtUs, offline),
    splitBrainEntries: sbEntries,
    splitBrainFiles: sbFiles,
    splitBrainAtUs: sbAt,
  }
}
