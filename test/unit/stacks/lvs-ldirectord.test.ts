/**
 * ldirectord.cf reader and removal prediction. Fixtures: Debian's shipped example
 * (/usr/share/doc/ldirectord/examples/ldirectord.cf), the field manual's config (seed 002) and our own; every
 * fixture was run through the real ldirectord 4.12 (`ldirectord FILE status`), whose verdicts are in
 * test/fixtures/ldirectord/ldirectord-4.12-status.txt: the reader must accept what it accepts and refuse
 * what it refuses, at the same line.
 */
import assert from 'node:assert/strict'
import {readdirSync} from 'node:fs'
import {describe, it} from 'node:test'

import {type LdirectordConfig, LD_DEFAULTS, ldFallback, ldRealCount, ldTimers, parseLdirectordCf} from '../../../src/config/ldirectord.js'
import {detectKind} from '../../../src/doctor/collect.js'
import {isHachaosError} from '../../../src/errors.js'
import {predictLdirectordReadd, predictLdirectordRemoval} from '../../../src/stacks/lvs/ldirectord/predict.js'
import {fixturePath, readFixture} from '../../fixture.js'

const parse = (name: string): LdirectordConfig => parseLdirectordCf(readFixture('ldirectord', name), {file: name})
const parseText = (text: string, file = 'ldirectord.cf'): LdirectordConfig => parseLdirectordCf(text, {file})

function refusal(text: string, file = 'ldirectord.cf'): {where: string; message: string; exit: string; suggestions: string[]} {
  try {
    parseText(text, file)
  } catch (e) {
    assert.ok(isHachaosError(e), String(e))
    return {where: e.where ?? '', message: e.message, exit: e.exitName, suggestions: e.suggestions}
  }
  assert.fail(`accepted: ${text}`)
}

describe('ldirectord.cf reader', () => {
  it('Debian\'s example: globals, one virtual with 3 real servers, fallback, negotiate check; the commented-out samples are not read', () => {
    const c = parse('debian-example.cf')
    assert.deepEqual(Object.fromEntries(Object.entries(c.globals).map(([k, v]) => [k, [v.value, v.line]])), {checktimeout: ['3', 12], checkinterval: ['1', 13], autoreload: ['yes', 16], quiescent: ['no', 22]})
    assert.equal(c.virtuals.length, 1)
    const v = c.virtuals[0]
    assert.ok(v !== undefined)
    assert.deepEqual([v.text, v.kind, v.address, v.port, v.line, v.endLine], ['192.168.6.240:80', 'address', '192.168.6.240', '80', 25, 41])
    assert.deepEqual(v.reals.map((r) => [r.address, r.port, r.forward, r.weight, r.line]), [
      ['192.168.6.2', '80', 'gate', 1, 28],
      ['192.168.6.3', '80', 'gate', 1, 29],
      ['192.168.6.6', '80', 'gate', 1, 30],
    ])
    assert.equal(ldFallback(c, v)?.value, '127.0.0.1:80 gate')
    assert.deepEqual(
      ['servicename', 'service', 'scheduler', 'protocol', 'checktype', 'checkport', 'request', 'receive', 'virtualhost'].map((k) => v.directives[k]?.value),
      ['Web Site', 'http', 'rr', 'tcp', 'negotiate', '80', 'index.html', 'Test Page', 'www.x.y.z'],
    )
    assert.equal(v.directives['persistent'], undefined, '#persistent=600 is a comment')
  })

  it('the field manual\'s config (seed 002, indentation restored)', () => {
    const c = parse('seed-pacemaker.cf')
    assert.equal(c.globals['logfile']?.value, '/var/log/ldirectord.log', 'quotes removed')
    const v = c.virtuals[0]
    assert.ok(v !== undefined)
    assert.equal(ldRealCount(v), 3)
    assert.equal(v.directives['receive']?.value, 'HTTP/1.1 200 OK')
    const t = ldTimers(c, v)
    assert.deepEqual(
      [t.checkintervalS.value, t.checktimeoutS.value, t.negotiatetimeoutS.value, t.failurecount.value, t.quiescent.value, t.checktype.value, t.activeTimeoutS.value],
      [2, 10, 10, 1, true, 'negotiate', 10],
    )
    assert.deepEqual(t.negotiatetimeoutS.at, {file: 'seed-pacemaker.cf', line: 3, name: 'checktimeout'}, 'negotiatetimeout falls back to checktimeout')
    assert.equal(t.failurecount.at, undefined, 'failurecount: the default 1')
  })

  it('timer resolution follows ldirectord 4.12: defaults, mutual defaults, per-virtual overrides, checkinterval per virtual only with fork=yes', () => {
    const d = parseText('virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n')
    const v0 = d.virtuals[0]
    assert.ok(v0 !== undefined)
    const t0 = ldTimers(d, v0)
    assert.deepEqual([t0.checkintervalS.value, t0.checktimeoutS.value, t0.negotiatetimeoutS.value, t0.failurecount.value, t0.quiescent.value, t0.checktype.value], [
      LD_DEFAULTS.checkintervalS, 5, 30, 1, false, 'negotiate',
    ])
    const n = parseText('negotiatetimeout=4\ncheckinterval=3\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tchecktype=connect\n\tfailurecount=3\n\tcheckinterval=1\n\tquiescent=yes\n')
    const v1 = n.virtuals[0]
    assert.ok(v1 !== undefined)
    const t1 = ldTimers(n, v1)
    assert.deepEqual([t1.checktimeoutS.value, t1.negotiatetimeoutS.value, t1.failurecount.value, t1.quiescent.value, t1.checkintervalS.value, t1.activeTimeoutS.value], [4, 4, 3, true, 3, 4], 'fork=no: the global checkinterval')
    const f = parseText('fork=yes\ncheckinterval=3\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tcheckinterval=1\n\tchecktype=5\n')
    const v2 = f.virtuals[0]
    assert.ok(v2 !== undefined)
    assert.deepEqual([ldTimers(f, v2).checkintervalS.value, ldTimers(f, v2).checktype.value], [1, 'combined'])
  })

  it('real= forms: ranges, weights, masq/ipip, per-real request/receive, fwmark, IPv6, blank-separated blocks', () => {
    const c = parseText(
      [
        'virtual = 192.168.10.74:3306',
        '\treal=192.168.6.2->192.168.6.7:3306 masq 10',
        '\treal=sql01:3306 ipip 0 "/check", "ok"',
        '',
        'virtual=1',
        '\treal=192.168.6.2 gate',
        '\tprotocol=fwm',
        '# a comment between blocks',
        'virtual6=[2001:db8::5]:119',
        '\treal6=[2001:db8:0:1::4]:119 masq',
        '\tfallback6=[::1]:119',
      ].join('\n'),
    )
    const [a, b, v6] = c.virtuals
    assert.ok(a !== undefined && b !== undefined && v6 !== undefined)
    assert.deepEqual(a.reals.map((r) => [r.address, r.rangeEnd, r.count, r.port, r.forward, r.weight, r.request, r.receive]), [
      ['192.168.6.2', '192.168.6.7', 6, '3306', 'masq', 10, undefined, undefined],
      ['sql01', undefined, 1, '3306', 'ipip', 0, '/check', 'ok'],
    ])
    assert.equal(ldRealCount(a), 7)
    assert.deepEqual([b.kind, b.address, b.reals[0]?.port], ['fwmark', '1', undefined])
    assert.deepEqual([v6.ipv6, v6.address, v6.port, v6.reals[0]?.address, ldFallback(c, v6)?.value], [true, '2001:db8::5', '119', '2001:db8:0:1::4', '[::1]:119'])
  })

  it('refuses what ldirectord 4.12 refuses, at the same line (its verdicts on every fixture)', () => {
    const verdicts = readFixture('ldirectord', 'ldirectord-4.12-status.txt')
      .split('\n')
      .filter((l) => /^[\w.-]+\.cf: /.test(l))
    const files = readdirSync(fixturePath('ldirectord')).filter((f) => f.endsWith('.cf'))
    assert.equal(verdicts.length, files.length, 'every fixture has its verdict')
    let refused = 0
    for (const l of verdicts) {
      const [name, verdict] = [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]
      const text = readFixture('ldirectord', name)
      const m = / at line (\d+): (.*)$/.exec(verdict)
      if (verdict === 'accepted') {
        assert.doesNotThrow(() => parseText(text, name), name)
      } else if (name === 'connecttimeout.cf') {
        // kept by the reader (older ldirectord had it), reported by the ldirectord-connecttimeout-removed rule at that line
        assert.equal(m?.[1], '2')
        assert.equal(parseText(text, name).globals['connecttimeout']?.line, 2)
      } else {
        assert.ok(m !== null, l)
        const r = refusal(text, name)
        assert.equal(r.where, `${name}:${m[1]}`, `${name}: ldirectord says line ${m[1]} (${m[2]}); we said ${r.message}`)
        assert.equal(r.exit, 'BAD_INPUT')
        refused++
      }
    }
    assert.equal(refused, 10)
  })

  it('bad input names file:line, what is wrong and what to do', () => {
    const blank = refusal(readFixture('ldirectord', 'bad-blank-line.cf'), '/etc/ha.d/ldirectord.cf')
    assert.equal(blank.where, '/etc/ha.d/ldirectord.cf:6')
    assert.match(blank.message, /^ldirectord\.cf \/etc\/ha\.d\/ldirectord\.cf:6: "real=10\.0\.0\.3:80 gate" is indented but belongs to no virtual= block/)
    assert.match(blank.suggestions.join(' '), /a blank line .* ends a virtual= block/)
    const flat = refusal(readFixture('ldirectord', 'seed-flat.cf'), 'seed-flat.cf')
    assert.equal(flat.where, 'seed-flat.cf:8')
    assert.match(flat.message, /"real=192\.168\.1\.2:80 gate" is a virtual= block directive but is not indented/)
    assert.match(flat.suggestions.join(' '), /under virtual=192\.168\.1\.100:80 \(line 7\)/)
    assert.equal(refusal('checkinterval=1\nchecktimout=3\n').where, 'ldirectord.cf:2')
    assert.match(refusal('checkinterval=1\nchecktimout=3\n').message, /unknown global directive "checktimout"/)
    assert.match(refusal('virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\trequest=index.html\n').message, /:3: request needs a quoted string/)
    assert.match(refusal('virtual=10.0.0.1:80\n\treal=10.0.0.2:80 drop\n').message, /:2: invalid real server option "drop"/)
    assert.match(refusal('virtual=10.0.0.1\n').message, /:1: invalid virtual service "10\.0\.0\.1"/)
    assert.match(refusal('virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tprotocol=fwm\n').message, /:3: protocol must be tcp or udp/)
    assert.match(refusal('virtual=10.0.0.1:80\n\treal=10.0.0.9->10.0.0.2:80\n').message, /:2: real server range .* runs backwards/)
    assert.match(refusal('failurecount=none\n').message, /:1: invalid failurecount value "none"/)
    assert.match(refusal('virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tscheduler=WRR\n').message, /:3: invalid scheduler "WRR"/)
  })

  it('doctor detects ldirectord.cf by name and by content', () => {
    assert.equal(detectKind('/etc/ha.d/ldirectord.cf', ''), 'ldirectord')
    assert.equal(detectKind('lb/lvs.conf', readFixture('ldirectord', 'good.cf')), 'ldirectord')
    assert.equal(detectKind('lb/lvs.conf', readFixture('ldirectord', 'debian-example.cf')), 'ldirectord')
    assert.equal(detectKind('lb/keepalived.conf', 'virtual_server 10.0.0.1 80 {\n  real_server 10.0.0.2 80 {\n  }\n}\n'), 'keepalived')
  })
})

describe('ldirectord removal prediction', () => {
  const one = (name: string): {cfg: LdirectordConfig; virtual: NonNullable<LdirectordConfig['virtuals'][number]>} => {
    const cfg = parse(name)
    const virtual = cfg.virtuals[0]
    assert.ok(virtual !== undefined)
    return {cfg, virtual}
  }

  it('field manual: refused 0 … 2 s, blackhole 10 … 12 s, then weight 0 (quiescent)', () => {
    const r = predictLdirectordRemoval({...one('seed-pacemaker.cf'), failure: 'refused', real: 'rs1'})
    assert.deepEqual([r.metric, r.minMs, r.takeoverMs, r.maxMs], ['realServerRemovalMs', 0, 1000, 2000])
    assert.equal(
      r.formula,
      'ldirectord negotiate check of rs1 (192.168.1.100:80): up to failurecount 1 × (checkinterval 2 s + check ≈ 0 s (refused)) = 2.000 s, at least 0.000 s (the first failing check starts 0 … checkinterval after the fault); then weight 0 (quiescent=yes: it stays in the table)',
    )
    const b = predictLdirectordRemoval({...one('seed-pacemaker.cf'), failure: 'blackhole'})
    assert.deepEqual([b.minMs, b.takeoverMs, b.maxMs], [10_000, 11_000, 12_000])
    assert.match(b.formula, /check 10 s \(negotiatetimeout, blackhole\)\) = 12\.000 s, at least 10\.000 s/)
    assert.deepEqual([b.inputs['checkintervalS'], b.inputs['negotiatetimeoutS'], b.inputs['failurecount'], b.inputs['quiescent'], b.inputs['checkDurationMs']], [2, 10, 1, true, 10_000])
  })

  it('failurecount multiplies the whole cycle: good.cf (2 × (2 s + d))', () => {
    const r = predictLdirectordRemoval({...one('good.cf'), failure: 'refused'})
    assert.deepEqual([r.minMs, r.maxMs], [2000, 4000])
    const b = predictLdirectordRemoval({...one('good.cf'), failure: 'blackhole'})
    assert.deepEqual([b.minMs, b.takeoverMs, b.maxMs], [4000, 5000, 6000])
    assert.match(b.formula, /then removed from the table \(quiescent=no\)$/)
  })

  it('Debian example (checkinterval 1, checktimeout 3): 0 … 1 s refused, 3 … 4 s blackholed', () => {
    assert.deepEqual([predictLdirectordRemoval({...one('debian-example.cf'), failure: 'refused'}).maxMs, predictLdirectordRemoval({...one('debian-example.cf'), failure: 'blackhole'}).minMs, predictLdirectordRemoval({...one('debian-example.cf'), failure: 'blackhole'}).maxMs], [1000, 3000, 4000])
  })

  it('connect checks wait checktimeout (default 5 s), negotiate checks negotiatetimeout (default 30 s); on/off: no removal', () => {
    const connect = parseText('checkinterval=3\nfailurecount=3\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tchecktype=connect\n')
    const vc = connect.virtuals[0]
    assert.ok(vc !== undefined)
    const pc = predictLdirectordRemoval({cfg: connect, virtual: vc, failure: 'blackhole'})
    assert.deepEqual([pc.minMs, pc.maxMs], [21_000, 24_000], '3 × (3 + 5) = 24 s')
    const dflt = parseText('virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n')
    const vd = dflt.virtuals[0]
    assert.ok(vd !== undefined)
    assert.deepEqual([predictLdirectordRemoval({cfg: dflt, virtual: vd, failure: 'blackhole'}).maxMs, predictLdirectordRemoval({cfg: dflt, virtual: vd, failure: 'refused'}).maxMs], [40_000, 10_000])
    const off = parseText('virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tchecktype=on\n')
    const vo = off.virtuals[0]
    assert.ok(vo !== undefined)
    const po = predictLdirectordRemoval({cfg: off, virtual: vo, failure: 'refused'})
    assert.deepEqual([po.takeoverMs, po.minMs, po.maxMs], [null, null, null])
    assert.match(po.formula, /checktype=on: ldirectord does not check/)
  })

  it('re-add after the revert: 0 … checkinterval (+ a running timeout)', () => {
    const r = predictLdirectordReadd(one('seed-pacemaker.cf'))
    assert.deepEqual([r.metric, r.minMs, r.takeoverMs, r.maxMs], ['realServerReaddMs', 0, 1000, 12_000])
  })
})
