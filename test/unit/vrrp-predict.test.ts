import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import fc from 'fast-check'

import {predictBackendEject, predictVrrp} from '../../src/stacks/keepalived/predict.js'
import {masterDownIntervalMs, skewTimeMs} from '../../src/stacks/keepalived/timing.js'

describe('VRRP timers (RFC 3768 / RFC 5798 §6.1)', () => {
  it('VRRPv2, advert 1 s: the lab notes\' measured figures are the formula\'s', () => {
    assert.equal(skewTimeMs(100, 1, 2), 609.375)
    assert.equal(masterDownIntervalMs(100, 1, 2), 3609.375)
    assert.equal(masterDownIntervalMs(150, 1, 2), 3414.0625)
    assert.equal(skewTimeMs(255, 1, 2), 3.90625)
  })

  it('VRRPv3 scales Skew_Time with the advert interval (centiseconds); v2 does not', () => {
    assert.equal(skewTimeMs(100, 1, 3), 609.375)
    assert.equal(skewTimeMs(100, 2, 3), 1218.75)
    assert.equal(skewTimeMs(100, 2, 2), 609.375)
    assert.equal(masterDownIntervalMs(100, 0.5, 3), 1500 + 304.6875)
  })

  it('properties: higher priority takes over sooner; Master_Down_Interval is 3 adverts plus less than one', () => {
    fc.assert(
      fc.property(fc.integer({min: 1, max: 254}), fc.integer({min: 1, max: 254}), fc.integer({min: 1, max: 255}), fc.constantFrom<2 | 3>(2, 3), (a, b, adv, v) => {
        if (a < b) assert.ok(masterDownIntervalMs(a, adv, v) > masterDownIntervalMs(b, adv, v))
        const mdi = masterDownIntervalMs(a, adv, v)
        assert.ok(mdi > 3 * adv * 1000 && mdi < 4 * adv * 1000)
      }),
    )
  })
})

describe('prediction by fault effect', () => {
  const m = {version: 2 as const, advertIntS: 1, backupPriority: 100, masterPriority: 150, backupName: 'lb2', masterName: 'lb1', preempt: true, trackScript: {name: 'chk_haproxy', intervalS: 1, fall: 2, timeoutS: 1, weight: 0}}

  it('node loss: Master_Down_Interval of the backup, from the last advert', () => {
    const p = predictVrrp('node-loss', m)
    assert.equal(p.metric, 'takeoverFromLastAdvertMs')
    assert.equal(p.takeoverMs, 3609.375)
    assert.match(p.formula, /3 × 1 s \+ \(256 − 100\)\/256 s = 3\.609 s/)
    assert.equal(p.inputs['failbackMasterDownIntervalMs'], 3414.063)
  })

  it('graceful stop: Skew_Time after the priority-0 advert', () => {
    const p = predictVrrp('graceful-stop', m)
    assert.equal(p.takeoverMs, 609.375)
    assert.match(p.formula, /priority-0/)
  })

  it('service loss: (fall − 1) × interval … fall × interval + timeout, plus Skew_Time, from the fault', () => {
    const p = predictVrrp('service-loss', m)
    assert.equal(p.metric, 'takeoverMs')
    assert.equal(p.minMs, 1000 + 609.375)
    assert.equal(p.maxMs, 2000 + 1000 + 609.375)
    const none = predictVrrp('service-loss', {...m, trackScript: undefined})
    assert.equal(none.takeoverMs, null)
    assert.match(none.formula, /no track_script/)
  })

  it('adverts dropped: the backup takes over as for a node loss, and a split brain is announced', () => {
    const p = predictVrrp('advert-loss', m)
    assert.equal(p.takeoverMs, 3609.375)
    assert.match(p.formula, /split brain expected/)
  })

  it('backend loss: HAProxy inter × fall', () => {
    const p = predictBackendEject({server: 'web1', interMs: 1000, fall: 2, timeoutMs: 0})
    assert.equal(p.metric, 'backendEjectMs')
    assert.equal(p.minMs, 1000)
    assert.equal(p.maxMs, 2000)
  })
})
