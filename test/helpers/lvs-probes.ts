/**
 * The client probes of a real-server drill, split by error kind around the table's removal and the revert.
 * A killed web server answers its SYNs with RST ('refused'): such a failure after the removal means the
 * director still sent to it. A 'timeout' is the fault's signature when rs1 is blackholed, but after the
 * removal it is the other real server (busybox httpd forking per request in a one-CPU TCG guest, now taking
 * every request) or the guest's own load: reported, told apart from the director's mistakes. And the checks
 * every real-server drill test makes of its run (checkRealServerRun).
 */
import assert from 'node:assert/strict'

import {RS_TOLERANCE_MS} from '../../src/stacks/lvs/real-server.js'
import type {DrillRun} from '../../src/store/run-types.js'

export interface ProbeSplit {
  /** Failures sent after the removal (+ tolerance), by error kind. */
  afterRemoval: Record<string, number>
  /** Failures sent after the revert began, by error kind. */
  afterRevert: Record<string, number>
  /** Send time (ms from the fault in effect) of the last 'refused' failure; null: none. */
  lastRefusedMs: number | null
  /** One line of what failed when, for the log. */
  text: string
}

export function splitProbes(run: DrillRun, removedMs: number, toleranceMs: number): ProbeSplit {
  const f = run.metrics.faultAtUs
  const injected = f + Number(run.metrics.extra['injectMs'] ?? 0) * 1000
  const revertAt = run.metrics.revertAtUs ?? Number.POSITIVE_INFINITY
  const afterRemoval: Record<string, number> = {}
  const afterRevert: Record<string, number> = {}
  let lastRefusedMs: number | null = null
  const seen: string[] = []
  for (const e of run.events) {
    if (e.type !== 'probe' || e.ok || e.t < f) continue
    const kind = e.error ?? 'other'
    const at = (e.t - injected) / 1000
    if (e.t >= revertAt) afterRevert[kind] = (afterRevert[kind] ?? 0) + 1
    else if (at > removedMs + toleranceMs) afterRemoval[kind] = (afterRemoval[kind] ?? 0) + 1
    if (kind === 'refused' && e.t < revertAt && (lastRefusedMs === null || at > lastRefusedMs)) lastRefusedMs = at
    if (at > removedMs) seen.push(`${at.toFixed(0)} ${kind}${e.t >= revertAt ? ' (after the revert)' : ''}`)
  }
  return {afterRemoval, afterRevert, lastRefusedMs, text: seen.length === 0 ? 'none after the removal' : seen.join(', ')}
}

export interface RealServerExpect {
  /** For the log lines (e.g. "rs1 refused", "HTTP_GET"). */
  what: string
  minMs: number
  maxMs: number
  readdMaxMs: number
  /** How rs1 fails (the prediction's input `mode`): a refused port must see no refused request after the removal. */
  mode: 'refused' | 'blackhole'
}

/**
 * A real-server drill's run: the checker's removal (from the end of the inject) within [minMs, maxMs] ±
 * RS_TOLERANCE_MS, requests failed before it, no request refused after it (nor after the revert), the re-add
 * within its bound.
 */
export function checkRealServerRun(run: DrillRun, e: RealServerExpect): void {
  assert.equal(run.stack, 'lvs')
  assert.equal(run.reverted, true, run.revertError ?? '')
  assert.equal(run.prediction.metric, 'checkerRemovalMs')
  assert.deepEqual([run.prediction.minMs, run.prediction.maxMs, run.prediction.inputs['mode'], run.prediction.inputs['readdMaxMs']], [e.minMs, e.maxMs, e.mode, e.readdMaxMs])
  const x = run.metrics.extra
  process.stdout.write(`# ${e.what}: removed ${x['checkerRemovalMs']} ms (predicted ${e.minMs}–${e.maxMs}), inject ${x['injectMs']} ms, ${x['failedRequests']} failed requests, last sent at ${x['lastFailedRequestMs']} ms, re-added ${x['realServerReaddMs']} ms after the revert (bound ${e.readdMaxMs})\n`)
  const removed = x['checkerRemovalMs']
  assert.ok(typeof removed === 'number' && removed >= e.minMs - RS_TOLERANCE_MS && removed <= e.maxMs + RS_TOLERANCE_MS, `removal ${String(removed)} ms, formula ${e.minMs}–${e.maxMs} ± ${RS_TOLERANCE_MS}`)
  assert.ok((x['failedRequests'] ?? 0) > 0, 'requests scheduled to rs1 failed until it was removed')
  const split = splitProbes(run, removed, RS_TOLERANCE_MS)
  process.stdout.write(`# ${e.what}: failures after the removal: ${split.text}\n`)
  if (e.mode === 'refused') {
    assert.ok(split.lastRefusedMs !== null && split.lastRefusedMs <= removed + RS_TOLERANCE_MS, `the last refused request (${String(split.lastRefusedMs)} ms) was sent before the removal (${removed} ms)`)
  }
  assert.equal(split.afterRevert['refused'] ?? 0, 0, 'no request refused after the revert')
  const readd = x['realServerReaddMs']
  assert.ok(typeof readd === 'number' && readd <= e.readdMaxMs + RS_TOLERANCE_MS, `re-added ${String(readd)} ms after the revert, bound ${e.readdMaxMs} ± ${RS_TOLERANCE_MS}`)
}
