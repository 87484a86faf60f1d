/**
 * What Heartbeat (v1, haresources) should do when a fault hits the node holding the resources, as a formula:
 *   node loss (link down, heartbeat killed, partition): the peer declares the node dead `deadtime` after the
 *     last heartbeat it heard, then runs the group's start (IPaddr, then the service):
 *       relocation ≈ deadtime + resource start,
 *     within [deadtime − keepalive, deadtime + resource start + allowance]. The allowance is measured, not
 *     derived: heartbeat checks for dead nodes on its own tick (up to ~1 keepalive late) and the log that
 *     gives the resource start has 1 s resolution; the spike on this machine measured deadtime + 0.1–1.3 s
 *     with a fast start (../shared/labs/heartbeat-gluster-notes.md).
 *   graceful stop (`heartbeat -k`, the init script's stop): the node gives its resources up (its own stops,
 *     "Giving up all HA resources" → "All HA resources relinquished" in its ha-log), then the peer takes them
 *     at once — no deadtime: relocation ≈ release + resource start (+ the same allowance; measured in the
 *     lab: release 3.2 s + acquisition 3.7 s with a 2 s start).
 * The partitioned node keeps its resources (no STONITH in v1 without `stonith_host`): a split brain for the
 * whole partition, and on reconnect both nodes give everything up and re-exec heartbeat (a second outage).
 */
import type {HaCf} from '../../config/heartbeat.js'
import {haCfTimers} from '../../config/heartbeat.js'
import type {FaultEffect} from '../../fault/types.js'
import type {Prediction} from '../../store/run-types.js'

/** Measured allowance over deadtime + resource start (ms): dead-node check tick + the log's 1 s resolution. */
export const LOG_RESOLUTION_MS = 1000
export const CHECK_ALLOWANCE_MS = 1300

export interface HbModelInput {
  haCf: HaCf
  effect: FaultEffect
  /** The resource group's start time from the ha-log (ms, 1 s resolution); null: unknown (then 1 s is assumed). */
  resourceStartMs: number | null
  /** How long the target's last give-up took (ms, ha-log, 1 s resolution); null: unknown (then 5 s are allowed). */
  releaseMs?: number | null
}

export function predictHeartbeat(i: HbModelInput): Prediction {
  const t = haCfTimers(i.haCf)
  const start = i.resourceStartMs ?? 1000
  const startText = i.resourceStartMs === null ? 'resource start ≈ 1 s (not in the log; assumed)' : `resource start ${(start / 1000).toFixed(1)} s (ha-log)`
  const inputs: Record<string, number | string | boolean> = {
    keepaliveMs: t.keepaliveMs,
    deadtimeMs: t.deadtimeMs,
    warntimeMs: t.warntimeMs,
    initdeadMs: t.initdeadMs,
    resourceStartMs: start,
    allowanceMs: t.keepaliveMs + CHECK_ALLOWANCE_MS + LOG_RESOLUTION_MS,
    autoFailback: i.haCf.autoFailback?.value ?? 'legacy',
    media: i.haCf.media.length,
  }
  if (i.effect === 'graceful-stop') {
    const allowance = t.keepaliveMs + CHECK_ALLOWANCE_MS + 2 * LOG_RESOLUTION_MS
    const release = i.releaseMs ?? null
    if (release === null) {
      return {
        metric: 'relocationMs',
        takeoverMs: start,
        minMs: 0,
        maxMs: start + 5000 + LOG_RESOLUTION_MS,
        formula: `graceful stop: the node releases its group (heartbeat -k) and the peer takes it at once, no deadtime: ≈ ${startText} (+ up to 5 s for the release: none in the ha-log)`,
        inputs,
      }
    }
    inputs['releaseMs'] = release
    return {
      metric: 'relocationMs',
      takeoverMs: release + start,
      minMs: 0,
      maxMs: release + start + allowance,
      formula: `graceful stop: release ${(release / 1000).toFixed(1)} s (ha-log) + ${startText} = ${((release + start) / 1000).toFixed(1)} s, no deadtime (up to + ${(allowance / 1000).toFixed(1)} s: keepalive ${t.keepaliveMs} ms + 1.3 s measured + two 1 s log resolutions)`,
      inputs,
    }
  }
  if (i.effect === 'node-loss' || i.effect === 'cluster-partition' || i.effect === 'advert-loss') {
    const expected = t.deadtimeMs + start
    const allowance = t.keepaliveMs + CHECK_ALLOWANCE_MS + LOG_RESOLUTION_MS
    return {
      metric: 'relocationMs',
      takeoverMs: expected,
      minMs: Math.max(0, t.deadtimeMs - t.keepaliveMs),
      maxMs: expected + allowance,
      formula: `deadtime ${t.deadtimeMs / 1000} s + ${startText} = ${(expected / 1000).toFixed(2)} s (range deadtime − keepalive … + allowance ${(allowance / 1000).toFixed(1)} s: keepalive ${t.keepaliveMs} ms check tick + 1.3 s measured + 1 s log resolution)`,
      inputs,
    }
  }
  return {metric: 'relocationMs', takeoverMs: null, minMs: null, maxMs: null, formula: `no relocation expected for ${i.effect}: Heartbeat v1 watches nodes, not the service`, inputs}
}
