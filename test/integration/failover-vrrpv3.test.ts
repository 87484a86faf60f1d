/**
 * VRRPv3 with sub-second adverts (advert_int 0.5 s, centisecond timers): the lab rebuilt with
 * `--vrrp-version 3 --advert-int 0.5`, and the takeover checked against RFC 5798's own formula.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {LabUpResult} from '../../src/lab/driver.js'
import type {DrillRun} from '../../src/store/run-types.js'
import {masterDownIntervalMs, skewTimeMs} from '../../src/stacks/keepalived/timing.js'
import {runCli} from '../helpers/cli.js'

const HOME = mkdtempSync(join(tmpdir(), 'hachaos-v3-'))
const env = {HACHAOS_HOME: HOME}
const TOL_MS = 50
const MDI = masterDownIntervalMs(100, 0.5, 3) // 3 × 50 cs + 156 × 50/256 cs = 1.805 s
const SKEW = skewTimeMs(100, 0.5, 3) // 0.305 s

describe('VRRPv3, advert_int 0.5 s', () => {
  before(async () => {
    await runCli(['lab', 'down'])
    const r = await runCli(['lab', 'up', '--vrrp-version', '3', '--advert-int', '0.5', '--json'], {timeoutMs: 90_000})
    assert.equal(r.code, 0, r.stderr)
    const up = r.json as LabUpResult
    assert.equal(up.details['vrrpVersion'], 3)
    assert.match(readFileSync(join(up.inventory, '..', 'lb2', 'keepalived.conf'), 'utf8'), /vrrp_version 3[\s\S]*advert_int 0\.5/)
  })
  after(async () => {
    await runCli(['lab', 'down'])
    rmSync(HOME, {recursive: true, force: true})
  })

  it(`NIC down: the adverts are VRRPv3 at 50 cs, and lb2 takes over ${MDI.toFixed(1)} ms after lb1's last advert ±${TOL_MS} ms`, async () => {
    const r = await runCli(['failover', '--target', 'lb1', '--json'], {env, timeoutMs: 120_000})
    assert.equal(r.code, 0, r.stdout.slice(0, 2000))
    const run = r.json as DrillRun
    const adverts = run.events.filter((e) => e.type === 'vrrp.advert')
    assert.ok(adverts.length > 0 && adverts.every((a) => a.ver === 3 && a.intvl === 0.5), 'v3 adverts at 0.5 s')
    assert.ok(Math.abs((run.prediction.takeoverMs ?? 0) - MDI) < 0.01, `predicted ${run.prediction.takeoverMs}`)
    assert.ok(run.metrics.takeoverFromLastAdvertMs !== null && Math.abs(run.metrics.takeoverFromLastAdvertMs - MDI) <= TOL_MS, `${run.metrics.takeoverFromLastAdvertMs}`)
  })

  it(`keepalived SIGTERM: Skew_Time scales with the interval in v3: ${SKEW.toFixed(1)} ms ±${TOL_MS} ms`, async () => {
    const r = await runCli(['failover', '--target', 'lb1', '--fault', 'kill', '--process', 'keepalived', '--signal', 'TERM', '--json'], {env, timeoutMs: 120_000})
    assert.equal(r.code, 0, r.stdout.slice(0, 2000))
    const run = r.json as DrillRun
    assert.ok(run.metrics.takeoverFromLastAdvertMs !== null && Math.abs(run.metrics.takeoverFromLastAdvertMs - SKEW) <= TOL_MS, `${run.metrics.takeoverFromLastAdvertMs}`)
  })
})
