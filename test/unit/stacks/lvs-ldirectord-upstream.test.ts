/**
 * The ldirectord reader, timers, prediction and rules on resource-agents' own sample ldirectord.cf
 * (test/fixtures/ldirectord-upstream/: the file verbatim, and its 18 commented example blocks made live),
 * checked against ldirectord.in's read_config, ld_setup and check_ping.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {type LdirectordConfig, ldFallback, ldRealCount, ldTimers, parseLdirectordCf} from '../../../src/config/ldirectord.js'
import {addSource} from '../../../src/doctor/collect.js'
import {runDoctor} from '../../../src/doctor/index.js'
import {type Finding, emptyHost} from '../../../src/doctor/types.js'
import {isHachaosError} from '../../../src/errors.js'
import {predictLdirectordRemoval} from '../../../src/stacks/lvs/ldirectord/predict.js'
import {doctorRules} from '../../../src/stacks/registry.js'
import {readFixture} from '../../fixture.js'

const SAMPLE = readFixture('ldirectord-upstream', 'ldirectord.cf')
const EXAMPLES = readFixture('ldirectord-upstream', 'ldirectord.cf.examples')

function doctor(file: string, text: string): Finding[] {
  const h = emptyHost('d')
  addSource(h, 'ldirectord', file, text)
  return runDoctor({hosts: [h]}, {rules: doctorRules()}).findings
}

/** Each example block with the global part (its lines kept at their numbers; every other line blanked). */
function blocks(text: string): Array<{line: number; text: string}> {
  const lines = text.split('\n')
  const first = lines.findIndex((l) => /^virtual6?\s*=/.test(l))
  const out: Array<{line: number; text: string}> = []
  for (let i = first; i < lines.length; i++) {
    if (!/^virtual6?\s*=/.test(lines[i] ?? '')) continue
    let j = i + 1
    while (j < lines.length && lines[j] !== '') j++
    out.push({line: i + 1, text: lines.map((l, k) => (k < first || (k >= i && k < j) ? l : '')).join('\n')})
    i = j
  }
  return out
}

describe('resource-agents ldirectord/ldirectord.cf, verbatim', () => {
  const c = parseLdirectordCf(SAMPLE, {file: 'ldirectord.cf'})

  it('globals and the one live virtual, as written', () => {
    assert.deepEqual(Object.values(c.globals).map((g) => `${g.name}=${g.value}@${g.line}`), ['checktimeout=3@12', 'checkinterval=1@13', 'autoreload=yes@16', 'quiescent=no@22'])
    assert.equal(c.virtuals.length, 1)
    const v = c.virtuals[0]
    assert.ok(v !== undefined)
    assert.deepEqual([v.text, v.kind, v.address, v.port, v.line, v.endLine], ['192.168.6.240:80', 'address', '192.168.6.240', '80', 25, 39])
    assert.deepEqual(v.reals.map((r) => `${r.address}:${r.port ?? ''} ${r.forward} ${r.weight}@${r.line}`), ['192.168.6.2:80 gate 1@26', '192.168.6.3:80 gate 1@27', '192.168.6.6:80 gate 1@28'])
    assert.deepEqual(Object.fromEntries(Object.values(v.directives).map((d) => [d.name, d.value])), {
      fallback: '127.0.0.1:80 gate', service: 'http', scheduler: 'rr', protocol: 'tcp', checktype: 'negotiate', checkport: '80', request: 'index.html', receive: 'Test Page', virtualhost: 'www.x.y.z',
    })
    assert.equal(ldFallback(c, v)?.line, 29)
  })

  it('timers as ld_setup resolves them: negotiatetimeout from the global checktimeout 3, checkinterval 1, failurecount 1, quiescent no', () => {
    const v = c.virtuals[0]
    assert.ok(v !== undefined)
    const t = ldTimers(c, v)
    assert.deepEqual(
      [t.checkintervalS.value, t.checktimeoutS.value, t.negotiatetimeoutS.value, t.negotiatetimeoutS.at?.name, t.negotiatetimeoutS.at?.line, t.failurecount.value, t.failurecount.at, t.checkcount.value, t.quiescent.value, t.quiescent.at?.line, t.fork, t.checktype.value, t.activeTimeoutS.value],
      [1, 3, 3, 'checktimeout', 12, 1, undefined, 1, false, 22, false, 'negotiate', 3],
    )
    const blackhole = predictLdirectordRemoval({cfg: c, virtual: v, failure: 'blackhole'})
    const refused = predictLdirectordRemoval({cfg: c, virtual: v, failure: 'refused'})
    assert.deepEqual([blackhole.minMs, blackhole.maxMs, refused.minMs, refused.maxMs], [3000, 4000, 0, 1000])
  })

  it('doctor: the one finding is the timeout (3 s) not below checkinterval (1 s), at lines 12 and 13', () => {
    const f = doctor('ldirectord.cf', SAMPLE)
    assert.deepEqual(f.map((x) => `${x.rule}: ${x.message}`), ['ldirectord-checktimeout-not-below-interval: virtual=192.168.6.240:80: negotiate checks wait up to negotiatetimeout 3 s, checkinterval is 1 s: a blackholed real server is removed after up to 4 s'])
    assert.deepEqual(f[0]?.evidence.map((e) => `${e.file ?? ''}:${e.line ?? ''} ${e.state ?? ''}`), ['ldirectord.cf:12 negotiatetimeout 3 s (from checktimeout=)', 'ldirectord.cf:13 checkinterval 1 s'])
  })
})

describe('the sample\'s commented global directives (logfile, fallback6, emailalert…)', () => {
  it('uncommented they read; logfile and callback only in quotes, as read_config matches them', () => {
    const globals = SAMPLE.split('\n').slice(0, 22).map((l) => l.replace(/^#(?=[a-z])/, '')).join('\n')
    const c = parseLdirectordCf(globals, {file: 'g'})
    assert.deepEqual(Object.values(c.globals).map((g) => `${g.name}=${g.value}@${g.line}`), [
      'checktimeout=3@12', 'checkinterval=1@13', 'fallback=127.0.0.1:80@14', 'fallback6=[::1]:80@15', 'autoreload=yes@16', 'logfile=local0@18',
      'emailalert=admin@x.y.z@19', 'emailalertfreq=3600@20', 'emailalertstatus=all@21', 'quiescent=no@22',
    ])
    assert.throws(() => parseLdirectordCf('logfile=/var/log/ldirectord.log\n', {file: 'g'}), (e: unknown) => isHachaosError(e) && /g:1: logfile must be quoted/.test(e.message) && e.suggestions.includes('write logfile="/var/log/ldirectord.log"'))
    assert.throws(() => parseLdirectordCf('checkinterval=2\ncallback=/usr/local/bin/sync-cf\n', {file: 'g'}), /g:2: callback must be quoted/)
  })
})

describe('its 18 commented example blocks, each read on its own', () => {
  const bs = blocks(EXAMPLES)
  const read = (b: {line: number; text: string}): LdirectordConfig => parseLdirectordCf(b.text, {file: 'ldirectord.cf.examples'})

  it('every block but radius and sip reads: kind, address, real servers (ranges expanded), check type and the failing check\'s bound', () => {
    assert.equal(bs.length, 19, 'the live http block and 18 examples')
    const rows = bs
      .filter((b) => b.line !== 283 && b.line !== 302)
      .map((b) => {
        const c = read(b)
        const v = c.virtuals[0]
        assert.ok(v !== undefined && c.virtuals.length === 1, String(b.line))
        const t = ldTimers(c, v)
        return `${b.line} ${v.kind} ${v.ipv6 ? '6 ' : ''}${v.address}${v.port === undefined ? '' : `:${v.port}`} reals=${ldRealCount(v)} ${t.checktype.value} ${t.activeTimeoutS.value}s`
      })
    assert.deepEqual(rows, [
      '25 address 192.168.6.240:80 reals=3 negotiate 3s',
      '43 fwmark 1 reals=3 negotiate 3s',
      '61 address 192.168.6.240:80 reals=7 negotiate 3s',
      '78 address 192.168.6.240:443 reals=2 negotiate 3s',
      '95 address 192.168.6.240:21 reals=2 negotiate 3s',
      '114 address 192.168.6.240:25 reals=2 negotiate 3s',
      '128 address 192.168.6.240:110 reals=2 negotiate 3s',
      '144 address 192.168.6.240:143 reals=3 negotiate 3s',
      '161 address 192.168.84.5:389 reals=2 negotiate 3s',
      '179 address 192.168.84.5:119 reals=2 negotiate 3s',
      '193 address 192.168.84.5:53 reals=2 negotiate 3s',
      '208 address 192.168.10.74:3306 reals=2 negotiate 3s',
      '223 address 192.168.10.74:5432 reals=2 negotiate 3s',
      '238 address 192.168.10.74:1521 reals=2 negotiate 3s',
      '254 address 192.168.6.240:23 reals=2 on 3s',
      '268 address 192.168.6.240:53 reals=3 ping 9s',
      '317 address 6 2001:db8::5:119 reals=2 negotiate 3s',
    ])
  })

  it('fwmark virtual=1: protocol fwm, real servers without a port; IPv6: real6 and fallback6 in brackets', () => {
    const fw = read(bs.find((b) => b.line === 43) ?? {line: 0, text: ''}).virtuals[0]
    assert.deepEqual(fw?.reals.map((r) => [r.address, r.port]), [['192.168.6.2', undefined], ['192.168.6.3', undefined], ['192.168.6.6', undefined]])
    assert.equal(fw?.directives['protocol']?.value, 'fwm')
    const v6 = read(bs.find((b) => b.line === 317) ?? {line: 0, text: ''}).virtuals[0]
    assert.deepEqual(v6?.reals.map((r) => `${r.address} ${r.port ?? ''} ${r.forward}`), ['2001:db8:0:1::4 119 masq', '2001:db8:0:1::6 119 masq'])
    assert.deepEqual([v6?.fallback?.name, v6?.fallback?.value, v6?.fallback?.line], ['fallback6', '[::1]:119', 320])
    const range = read(bs.find((b) => b.line === 61) ?? {line: 0, text: ''}).virtuals[0]
    assert.deepEqual(range?.reals.map((r) => `${r.address}->${r.rangeEnd ?? ''} ×${r.count}`), ['192.168.6.2->192.168.6.7 ×6', '192.168.6.32-> ×1'])
  })

  it('the ping example: check_ping tries checkcount (3) times, each up to checktimeout (3 s): 9 s per failing check, not 3', () => {
    const b = bs.find((x) => x.line === 268)
    assert.ok(b !== undefined)
    const c = read(b)
    const v = c.virtuals[0]
    assert.ok(v !== undefined)
    const t = ldTimers(c, v)
    assert.deepEqual([t.checkcount.value, t.checkcount.at?.line, t.checktimeoutS.value, t.activeTimeoutS.value], [3, 278, 3, 9])
    const p = predictLdirectordRemoval({cfg: c, virtual: v, failure: 'blackhole'})
    assert.deepEqual([p.minMs, p.maxMs], [9000, 10_000])
    const f = doctor('ldirectord.cf.examples', b.text).filter((x) => x.rule === 'ldirectord-checktimeout-not-below-interval')
    assert.deepEqual(f.map((x) => x.message), ['virtual=192.168.6.240:53: ping checks wait up to 9 s (checkcount 3 × checktimeout 3 s), checkinterval is 1 s: a blackholed real server is removed after up to 10 s'])
    assert.deepEqual(f[0]?.evidence.map((e) => `${e.line ?? ''} ${e.state ?? ''}`), ['12 checktimeout 3 s', '278 checkcount 3', '13 checkinterval 1 s'])
    // a connect check makes one attempt whatever checkcount says (check_connect: one alarm of checktimeout)
    const connect = parseLdirectordCf(b.text.replace('checktype=ping', 'checktype=connect'), {file: 'x'})
    const cv = connect.virtuals[0]
    assert.ok(cv !== undefined)
    assert.equal(ldTimers(connect, cv).activeTimeoutS.value, 3)
  })

  it('radius and sip: refused at the line ldirectord refuses them — radius at its password= (an Unknown command to ldirectord), then both at real=192.168.6.2::PORT', () => {
    const radius = bs.find((x) => x.line === 283)
    const sip = bs.find((x) => x.line === 302)
    assert.ok(radius !== undefined && sip !== undefined)
    // ldirectord reads the block's directives first and the real= lines after it: password= (line 294) comes first
    assert.throws(() => read(radius), (e: unknown) => isHachaosError(e) && e.message.startsWith('ldirectord.cf ldirectord.cf.examples:294: unknown directive "password" in the virtual=192.168.6.240:1812 block (line 283)'))
    const noPassword = {line: 283, text: radius.text.replace('\tpassword="readuser"', '\t#password="readuser"')}
    for (const [b, line, port] of [[noPassword, 284, '1812'], [sip, 303, '5060']] as const) {
      assert.throws(
        () => read(b),
        (e: unknown) =>
          isHachaosError(e) &&
          e.message === `ldirectord.cf ldirectord.cf.examples:${line}: invalid real server "192.168.6.2::${port}": "::" is no port separator (ldirectord does not refuse it, but reads the address as "${port}" with port 0)` &&
          e.suggestions.includes(`write real=192.168.6.2:${port}`),
      )
      // with the separator fixed the block reads, and its own checktimeout=1 bounds the negotiate check
      const fixed = read({line: b.line, text: b.text.replaceAll(`::${port}`, `:${port}`)})
      const v = fixed.virtuals[0]
      assert.ok(v !== undefined)
      assert.deepEqual([ldRealCount(v), ldTimers(fixed, v).negotiatetimeoutS.value, ldTimers(fixed, v).negotiatetimeoutS.at?.line], [3, 1, b.line === 283 ? 297 : 313])
    }
  })

  it('doctor on each block: the timeout warning where a check can hang (not for checktype=on), persistence notes; no other finding', () => {
    const rows = bs
      .filter((b) => b.line !== 283 && b.line !== 302)
      .map((b) => `${b.line}: ${[...new Set(doctor('ldirectord.cf.examples', b.text).map((x) => x.rule))].sort().join(', ')}`)
    const timeout = 'ldirectord-checktimeout-not-below-interval'
    assert.deepEqual(rows, [
      `25: ${timeout}`,
      `43: ${timeout}`,
      `61: ${timeout}`,
      `78: ${timeout}`,
      `95: ${timeout}`,
      `114: ${timeout}, ldirectord-persistent-no-sync`,
      `128: ${timeout}, ldirectord-persistent-no-sync`,
      `144: ${timeout}`,
      `161: ${timeout}`,
      `179: ${timeout}`,
      `193: ${timeout}`,
      `208: ${timeout}`,
      `223: ${timeout}`,
      `238: ${timeout}`,
      '254: ldirectord-persistent-no-sync',
      `268: ${timeout}`,
      `317: ${timeout}`,
    ])
  })
})
