/** Heartbeat doctor rules: each with a failing and a passing ha.cf / authkeys (the lab's real files as the base). */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseAuthkeys, parseHaCf} from '../../../src/config/heartbeat.js'
import {detectKind} from '../../../src/doctor/collect.js'
import {emptyHost, type DoctorInput} from '../../../src/doctor/types.js'
import {doctorRules} from '../../../src/stacks/registry.js'
import {HEARTBEAT_RULES} from '../../../src/stacks/heartbeat/rules.js'
import {readFixture} from '../../fixture.js'

const LAB = readFixture('heartbeat', 'ha.cf')

function input(haCfText: string, authkeys?: {text: string; mode?: number}): DoctorInput {
  const h = emptyHost('hb1')
  h.haCf.push(parseHaCf(haCfText, {file: 'ha.cf'}))
  if (authkeys !== undefined) h.authkeys.push(parseAuthkeys(authkeys.text, {file: 'authkeys', ...(authkeys.mode === undefined ? {} : {mode: authkeys.mode})}))
  return {hosts: [h]}
}

function fired(id: string, i: DoctorInput): number {
  const r = HEARTBEAT_RULES.find((x) => x.id === id)
  assert.ok(r !== undefined, id)
  return r.check(i).length
}

/** A well-built ha.cf: two paths, sane timers, auto_failback off, a stonith_host. */
const GOOD = `keepalive 1
warntime 3
deadtime 5
initdead 10
udpport 694
ucast eth0 10.0.0.12
ucast eth1 192.168.9.2
auto_failback off
stonith_host hb1 external/ipmi hb2 10.0.9.2 admin secret lanplus
node hb1
node hb2
crm no
`

describe('heartbeat doctor rules', () => {
  it('are registered with the stack (doctorRules)', () => {
    const ids = new Set(doctorRules().map((r) => r.id))
    for (const r of HEARTBEAT_RULES) assert.ok(ids.has(r.id), r.id)
  })

  it('a good ha.cf passes every rule', () => {
    const i = input(GOOD, {text: 'auth 1\n1 sha1 0123456789abcdef\n', mode: 0o600})
    for (const r of HEARTBEAT_RULES) assert.equal(r.check(i).length, 0, r.id)
  })

  it('deadtime < 2 × keepalive', () => {
    assert.equal(fired('heartbeat-deadtime-short', input(GOOD.replace('deadtime 5', 'deadtime 1500ms'))), 1)
    const f = HEARTBEAT_RULES.find((x) => x.id === 'heartbeat-deadtime-short')?.check(input(GOOD.replace('deadtime 5', 'deadtime 1500ms')))[0]
    assert.equal(f?.evidence[0]?.line, 3)
    assert.equal(fired('heartbeat-deadtime-short', input(LAB)), 0, 'lab: 200 ms / 1 s is 5×')
  })

  it('warntime ≥ deadtime', () => {
    assert.equal(fired('heartbeat-warntime-not-below-deadtime', input(GOOD.replace('warntime 3', 'warntime 5'))), 1)
    assert.equal(fired('heartbeat-warntime-not-below-deadtime', input(LAB)), 0)
  })

  it('initdead < 2 × deadtime (defaults count when absent)', () => {
    assert.equal(fired('heartbeat-initdead-short', input(GOOD.replace('initdead 10', 'initdead 6'))), 1)
    assert.equal(fired('heartbeat-initdead-short', input(GOOD.replace('initdead 10\n', ''))), 0, 'no initdead with deadtime 5 s: heartbeat uses 12 s ≥ 10 s')
    assert.equal(fired('heartbeat-initdead-short', input(LAB)), 0, 'lab: initdead 2 = 2 × deadtime 1')
  })

  it('a single communication path: the lab (two ucast on eth0) has one', () => {
    assert.equal(fired('heartbeat-single-path', input(LAB)), 1)
    assert.equal(fired('heartbeat-single-path', input(GOOD)), 0)
    assert.equal(fired('heartbeat-single-path', input(GOOD.replace('ucast eth1 192.168.9.2', 'serial /dev/ttyS0'))), 0)
  })

  it('auto_failback on', () => {
    assert.equal(fired('heartbeat-auto-failback-on', input(GOOD.replace('auto_failback off', 'auto_failback on'))), 1)
    assert.equal(fired('heartbeat-auto-failback-on', input(LAB)), 0)
  })

  it('authkeys mode and crc; the lab authkeys (600, sha1) passes', () => {
    assert.equal(fired('heartbeat-authkeys-weak', input(GOOD, {text: readFixture('heartbeat', 'authkeys'), mode: 0o600})), 0)
    assert.equal(fired('heartbeat-authkeys-weak', input(GOOD, {text: readFixture('heartbeat', 'authkeys'), mode: 0o644})), 1)
    assert.equal(fired('heartbeat-authkeys-weak', input(GOOD, {text: 'auth 2\n2 crc\n', mode: 0o600})), 1)
  })

  it('no STONITH (the lab has none)', () => {
    assert.equal(fired('heartbeat-no-stonith', input(LAB)), 1)
    assert.equal(fired('heartbeat-no-stonith', input(GOOD)), 0)
  })

  it('doctor --dir recognises the three files by name', () => {
    assert.equal(detectKind('/c/hb1/etc/ha.d/ha.cf', LAB), 'hacf')
    assert.equal(detectKind('/c/hb1/etc/ha.d/haresources', 'hb1 IPaddr::10.0.0.5 nginx\n'), 'haresources')
    assert.equal(detectKind('/c/hb1/etc/ha.d/authkeys', 'auth 1\n1 sha1 x\n'), 'authkeys')
  })
})
