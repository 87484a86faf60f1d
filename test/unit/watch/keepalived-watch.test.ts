/**
 * The keepalived watch hook's prediction for a change of master seen with no fault, against the protocol's
 * own formulas (src/stacks/keepalived/timing.ts), and the watch's running figures and --listen parsing.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {masterDownIntervalMs, skewTimeMs} from '../../../src/stacks/keepalived/timing.js'
import {predictChange, type LbModel} from '../../../src/stacks/keepalived/watch.js'
import {parseListen} from '../../../src/watch/metrics.js'
import {WatchStats, WINDOW_S} from '../../../src/watch/stats.js'
import {allowedDowntimeMs} from '../../../src/sla/nines.js'

const LBS: LbModel[] = [
  {name: 'lb1', priority: 150, advertIntS: 1, version: 2, preempt: true},
  {name: 'lb2', priority: 100, advertIntS: 1, version: 2, preempt: true},
]

describe('keepalived watch: the prediction of a change', () => {
  it('lb1 silent → lb2: Master_Down_Interval of lb2; graceful: Skew_Time; lb1 back: preemption within one advert interval', () => {
    const lost = predictChange(LBS, {from: 'lb1', to: 'lb2', graceful: false})
    assert.equal(lost.metric, 'takeoverFromLastAdvertMs')
    assert.equal(lost.takeoverMs, Math.round(masterDownIntervalMs(100, 1, 2) * 1000) / 1000)
    assert.equal(lost.takeoverMs, 3609.375)
    const term = predictChange(LBS, {from: 'lb1', to: 'lb2', graceful: true})
    assert.ok(Math.abs((term.takeoverMs ?? 0) - skewTimeMs(100, 1, 2)) < 0.001)
    const back = predictChange(LBS, {from: 'lb2', to: 'lb1', graceful: false})
    assert.deepEqual([back.minMs, back.maxMs], [0, 1000])
    assert.match(back.formula, /preempts/)
    // nopreempt on lb1: a silent lb2 is a node loss again (lb1's own Master_Down_Interval)
    const noPre = predictChange([{...(LBS[0] as LbModel), preempt: false}, LBS[1] as LbModel], {from: 'lb2', to: 'lb1', graceful: false})
    assert.ok(Math.abs((noPre.takeoverMs ?? 0) - masterDownIntervalMs(150, 1, 2)) < 0.001)
    assert.equal(predictChange(LBS, {from: 'lb1', to: 'lbX', graceful: false}).takeoverMs, null)
  })
})

describe('watch: running figures', () => {
  it('the probe success ratio is over the last 60 s only; the budget is the month\'s less recorded downtime', () => {
    const s = new WatchStats(0.9999, 60_000)
    const t0 = 1_800_000_000_000_000
    for (let i = 0; i < 10; i++) s.probe({type: 'probe', t: t0 + i * 200_000, host: 'c', ok: i % 2 === 0, latencyMs: 1, backend: null, error: null})
    assert.equal(s.successRatio(t0 + 2_000_000), 0.5)
    assert.equal(s.successRatio(t0 + (WINDOW_S + 5) * 1_000_000), null)
    for (let i = 0; i < 1_000_000; i++) s.probe({type: 'probe', t: t0 + 100_000_000 + i * 1000, host: 'c', ok: true, latencyMs: 1, backend: null, error: null})
    assert.equal(s.successRatio(t0 + 1_100_000_000), 1)
    assert.equal(s.probesOk + s.probesFailed, 1_000_010)
    assert.equal(s.budgetRemainingMs(), allowedDowntimeMs(0.9999, 'month') - 60_000)
  })

  it('--listen forms', () => {
    assert.deepEqual(parseListen(':9464'), {host: undefined, port: 9464})
    assert.deepEqual(parseListen('127.0.0.1:9464'), {host: '127.0.0.1', port: 9464})
    assert.deepEqual(parseListen('[::1]:9464'), {host: '::1', port: 9464})
    assert.deepEqual(parseListen('9464'), {host: undefined, port: 9464})
    assert.throws(() => parseListen('localhost'), /expected \[HOST\]:PORT/)
    assert.throws(() => parseListen(':99999'), /expected/)
  })
})
