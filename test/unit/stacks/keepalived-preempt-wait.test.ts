/**
 * A drill on the preempting master that does not hold the VIP yet (it is taking it back after an earlier fault)
 * waits for it instead of breaking a backup: how long, from the lab's own keepalived.conf files (lb1 priority
 * 150 with preempt, lb2 100; advert_int 1, VRRPv2): Master_Down_Interval 3 × 1 s + (256 − 150)/256 s = 3414 ms,
 * plus one advert, no preempt_delay.
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {effectiveVrrp, parseKeepalivedConf} from '../../../src/config/keepalived.js'
import {preemptWaitMs} from '../../../src/stacks/keepalived/stack.js'

const FIX = join(import.meta.dirname, '..', '..', '..', '..', 'test', 'fixtures', 'keepalived')

function lb(name: string, file: string, edit: (t: string) => string = (t) => t): Parameters<typeof preemptWaitMs>[1][number] {
  const cfg = parseKeepalivedConf(edit(readFileSync(join(FIX, file), 'utf8')), {file})
  const instance = cfg.vrrpInstances[0]
  assert.ok(instance !== undefined)
  return {host: {name}, instance, effective: effectiveVrrp(instance, cfg)}
}

describe('keepalived drill: waiting for the master to preempt back', () => {
  const lbs = [lb('lb1', 'lab-lb1.conf'), lb('lb2', 'lab-lb2.conf')]

  it('lb1 outranks lb2 and preempts: while lb2 holds the VIP, wait Master_Down_Interval + one advert', () => {
    assert.equal(preemptWaitMs('lb1', lbs, ['lb2']), 3000 + ((256 - 150) / 256) * 1000 + 1000)
  })
  it('no wait when the target holds the VIP, when nobody does, or for the lower-priority peer', () => {
    assert.equal(preemptWaitMs('lb1', lbs, ['lb1']), null)
    assert.equal(preemptWaitMs('lb1', lbs, []), null)
    assert.equal(preemptWaitMs('lb2', lbs, ['lb1']), null)
  })
  it('nopreempt (with state BACKUP) never takes the VIP back: no wait; preempt_delay adds to it', () => {
    const nopre = [lb('lb1', 'lab-lb1.conf', (t) => t.replace(/state MASTER/, 'state BACKUP').replace(/(priority 150)/, '$1\n    nopreempt')), lbs[1] as Parameters<typeof preemptWaitMs>[1][number]]
    assert.equal(nopre[0]?.effective.preempt, false)
    assert.equal(preemptWaitMs('lb1', nopre, ['lb2']), null)
    const delayed = [lb('lb1', 'lab-lb1.conf', (t) => t.replace(/state MASTER/, 'state BACKUP').replace(/(priority 150)/, '$1\n    preempt_delay 5')), lbs[1] as Parameters<typeof preemptWaitMs>[1][number]]
    assert.equal(preemptWaitMs('lb1', delayed, ['lb2']), 5000 + 3000 + ((256 - 150) / 256) * 1000 + 1000)
  })
})
