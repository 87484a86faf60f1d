/** ldirectord doctor rules: each with a failing and a passing case (good.cf as the base), and the doctor wiring. */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync, mkdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {parseHaCf} from '../../../src/config/heartbeat.js'
import {parseKeepalivedConf} from '../../../src/config/keepalived.js'
import {parseLdirectordCf} from '../../../src/config/ldirectord.js'
import {collectDir, collectFiles} from '../../../src/doctor/collect.js'
import {runDoctor} from '../../../src/doctor/index.js'
import {emptyHost, type DoctorInput, type FindingDraft} from '../../../src/doctor/types.js'
import {doctorRules} from '../../../src/stacks/registry.js'
import {LDIRECTORD_RULES} from '../../../src/stacks/lvs/ldirectord/rules.js'
import {runCli} from '../../helpers/cli.js'
import {fixturePath, readFixture} from '../../fixture.js'

const GOOD = readFixture('ldirectord', 'good.cf')
const SEED = readFixture('ldirectord', 'seed-pacemaker.cf')

function input(text: string, extra: (h: ReturnType<typeof emptyHost>) => void = () => {}): DoctorInput {
  const h = emptyHost('dir1')
  h.ldirectord.push(parseLdirectordCf(text, {file: 'ldirectord.cf'}))
  extra(h)
  return {hosts: [h]}
}

function run(id: string, i: DoctorInput): FindingDraft[] {
  const r = LDIRECTORD_RULES.find((x) => x.id === id)
  assert.ok(r !== undefined, id)
  return r.check(i)
}

const KA = (advert: number, prio: number): string => `vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 51\n  priority ${prio}\n  advert_int ${advert}\n  virtual_ipaddress {\n    10.70.0.100\n  }\n}\n`

describe('ldirectord doctor rules', () => {
  it('rule ids are unique and do not clash with the registered ones', () => {
    const ids = doctorRules().map((r) => r.id)
    assert.equal(new Set(ids).size, ids.length)
    // registered through the LVS stack
    for (const r of LDIRECTORD_RULES) assert.ok(ids.includes(r.id), r.id)
    assert.equal(LDIRECTORD_RULES.length, 10)
  })

  it('good.cf passes every rule; Debian\'s example and the field manual\'s config fire what they should', () => {
    for (const r of LDIRECTORD_RULES) assert.deepEqual(r.check(input(GOOD)), [], r.id)
    const fired = (t: string): string[] => LDIRECTORD_RULES.filter((r) => r.check(input(t)).length > 0).map((r) => r.id)
    assert.deepEqual(fired(SEED), ['ldirectord-checktimeout-not-below-interval', 'ldirectord-quiescent-no-expire-template', 'ldirectord-receive-status-line'])
    assert.deepEqual(fired(readFixture('ldirectord', 'debian-example.cf')), ['ldirectord-checktimeout-not-below-interval'], 'checktimeout 3 ≥ checkinterval 1; it has request, receive and a fallback')
  })

  it('checktimeout not below checkinterval (negotiatetimeout for negotiate checks)', () => {
    const f = run('ldirectord-checktimeout-not-below-interval', input(SEED))
    assert.equal(f.length, 1)
    assert.equal(f[0]?.message, 'virtual=192.168.1.100:80: negotiate checks wait up to negotiatetimeout 10 s, checkinterval is 2 s: a blackholed real server is removed after up to 12 s')
    assert.deepEqual(f[0]?.evidence.map((e) => [e.line, e.state]), [[3, 'negotiatetimeout 10 s (from checktimeout=)'], [4, 'checkinterval 2 s']])
    assert.equal(run('ldirectord-checktimeout-not-below-interval', input(GOOD.replace('negotiatetimeout=1', 'negotiatetimeout=2'))).length, 1)
    assert.equal(run('ldirectord-checktimeout-not-below-interval', input(GOOD.replace('checktimeout=1', 'checktimeout=5'))).length, 0, 'negotiate checks: checktimeout does not bound them')
    assert.equal(run('ldirectord-checktimeout-not-below-interval', input(GOOD)).length, 0)
  })

  it('quiescent=yes without expire_quiescent_template: note when unknown, warning when 0 or persistent, nothing when 1', () => {
    const q = GOOD.replace('quiescent=no', 'quiescent=yes')
    assert.equal(run('ldirectord-quiescent-no-expire-template', input(q))[0]?.severity, 'note')
    const zero = run('ldirectord-quiescent-no-expire-template', input(q, (h) => (h.sysctl['net.ipv4.vs.expire_quiescent_template'] = {value: '0', file: 'sysctl.conf', line: 4})))
    assert.deepEqual([zero.length, zero[0]?.severity, zero[0]?.evidence[1]?.line], [1, undefined, 4])
    assert.equal(run('ldirectord-quiescent-no-expire-template', input(q.replace('\tservice=http', '\tpersistent=300\n\tservice=http')))[0]?.severity, undefined, 'persistent: warning')
    assert.equal(run('ldirectord-quiescent-no-expire-template', input(q, (h) => (h.sysctl['net.ipv4.vs.expire_quiescent_template'] = {value: '1', file: 'sysctl.conf', line: 4}))).length, 0)
    assert.equal(run('ldirectord-quiescent-no-expire-template', input(GOOD)).length, 0)
    assert.equal(run('ldirectord-quiescent-no-expire-template', input(GOOD.replace('quiescent=no\n', ''))).length, 0, '4.12 default: quiescent=no')
  })

  it('no fallback server (global, per virtual, or fallbackcommand)', () => {
    const none = GOOD.replace('fallback=127.0.0.1:80 gate\n', '')
    assert.equal(run('ldirectord-no-fallback', input(none))[0]?.message, 'virtual=10.70.0.100:80: no fallback server (2 real servers)')
    assert.equal(run('ldirectord-no-fallback', input(none.replace('\tservice=http', '\tfallback=127.0.0.1:80\n\tservice=http'))).length, 0)
    assert.equal(run('ldirectord-no-fallback', input(`fallbackcommand="/usr/local/bin/sorry"\n${none}`)).length, 0)
    assert.equal(run('ldirectord-no-fallback', input(GOOD)).length, 0)
  })

  it('removal slower than the director failover (keepalived Master_Down_Interval, Heartbeat deadtime); nothing without such a config', () => {
    // good.cf: blackhole removal up to 2 × (2 + 1) = 6 s
    const ka = (advert: number): DoctorInput => input(GOOD, (h) => h.keepalived.push(parseKeepalivedConf(KA(advert, 100), {file: 'keepalived.conf'})))
    const f = run('ldirectord-removal-slower-than-failover', ka(1))
    assert.equal(f.length, 1)
    assert.equal(f[0]?.message, 'virtual=10.70.0.100:80: a blackholed real server is removed after up to 6 s (failurecount 2 × (checkinterval 2 s + 1 s)), longer than VRRP VI_1 Master_Down_Interval 3.609 s on dir1')
    assert.equal(f[0]?.evidence[1]?.file, 'keepalived.conf')
    assert.equal(run('ldirectord-removal-slower-than-failover', ka(2)).length, 0, '3 × 2 + 0.609 = 6.609 s ≥ 6 s')
    const hb = (deadtime: number): DoctorInput => input(GOOD, (h) => h.haCf.push(parseHaCf(`keepalive 1\ndeadtime ${deadtime}\nucast eth0 10.0.0.2\nnode a\nnode b\n`, {file: 'ha.cf'})))
    assert.equal(run('ldirectord-removal-slower-than-failover', hb(5)).length, 1)
    assert.equal(run('ldirectord-removal-slower-than-failover', hb(10)).length, 0)
    assert.equal(run('ldirectord-removal-slower-than-failover', input(GOOD)).length, 0)
  })

  it('a dead host fails all its checks in the loop: the LVS lab\'s ldirectord.cf (rs1 on VIP:80 and VIP:7) is 2 × (1 + 1 + 1) = 6 s, not 2 × (1 + 1) = 4 s', () => {
    const lab = readFixture('lvs', 'dir1-ldirectord.cf')
    const f = run('ldirectord-removal-slower-than-failover', input(lab, (h) => h.keepalived.push(parseKeepalivedConf(KA(1, 100), {file: 'keepalived.conf'}))))
    assert.deepEqual(f.map((x) => x.message), [
      "virtual=10.98.0.100:80: a blackholed real server is removed after up to 6 s (failurecount 2 × (checkinterval 1 s + 1 s + its host's 1 other check timing out, 1 s)), longer than VRRP VI_1 Master_Down_Interval 3.609 s on dir1",
      "virtual=10.98.0.100:7: a blackholed real server is removed after up to 6 s (failurecount 2 × (checkinterval 1 s + 1 s + its host's 1 other check timing out, 1 s)), longer than VRRP VI_1 Master_Down_Interval 3.609 s on dir1",
    ])
  })

  it('HTTP negotiate check without request/receive (per-real strings count)', () => {
    const noRecv = GOOD.replace('\treceive="ok"\n', '')
    assert.equal(run('ldirectord-negotiate-no-receive', input(noRecv))[0]?.message, 'virtual=10.70.0.100:80: http negotiate check without receive=')
    assert.equal(run('ldirectord-negotiate-no-receive', input(noRecv.replace('\trequest="health"\n', '')))[0]?.message, 'virtual=10.70.0.100:80: http negotiate check without request= and receive=')
    assert.equal(run('ldirectord-negotiate-no-receive', input(noRecv.replace(/real=(10\.70\.1\.1\d:80) gate/g, 'real=$1 gate "/health", "ok"'))).length, 0)
    assert.equal(run('ldirectord-negotiate-no-receive', input(noRecv.replace('checktype=negotiate', 'checktype=connect'))).length, 0)
    assert.equal(run('ldirectord-negotiate-no-receive', input(GOOD)).length, 0)
  })

  it('receive= is an HTTP status line (the field manual\'s mistake)', () => {
    const f = run('ldirectord-receive-status-line', input(SEED))
    assert.deepEqual([f.length, f[0]?.evidence[0]?.line], [1, 16])
    assert.equal(run('ldirectord-receive-status-line', input(GOOD.replace('receive="ok"', 'receive="HTTP/1.0 200"'))).length, 1)
    assert.equal(run('ldirectord-receive-status-line', input(GOOD)).length, 0)
  })

  it('persistent without a sync daemon (note); persistent=0 is none', () => {
    const p = GOOD.replace('\tservice=http', '\tpersistent=600\n\tservice=http')
    assert.deepEqual(run('ldirectord-persistent-no-sync', input(p)).map((x) => x.evidence[0]?.line), [14])
    assert.equal(run('ldirectord-persistent-no-sync', input(p.replace('persistent=600', 'persistent=0'))).length, 0)
    assert.equal(run('ldirectord-persistent-no-sync', input(GOOD)).length, 0)
  })

  it('a single real server (a range counts each address)', () => {
    const one = GOOD.replace('\treal=10.70.1.12:80 gate\n', '')
    assert.equal(run('ldirectord-single-real-server', input(one))[0]?.message, 'virtual=10.70.0.100:80: 1 real server')
    assert.equal(run('ldirectord-single-real-server', input(one.replace('real=10.70.1.11:80', 'real=10.70.1.11->10.70.1.12:80'))).length, 0)
    assert.equal(run('ldirectord-single-real-server', input(GOOD)).length, 0)
  })

  it('connecttimeout (ldirectord 4 refuses to start), global and per virtual', () => {
    const f = run('ldirectord-connecttimeout-removed', input(readFixture('ldirectord', 'connecttimeout.cf')))
    assert.deepEqual(f.map((x) => x.evidence[0]?.line), [2])
    assert.equal(run('ldirectord-connecttimeout-removed', input(GOOD.replace('\tservice=http', '\tconnecttimeout=2\n\tservice=http'))).length, 1)
    assert.equal(run('ldirectord-connecttimeout-removed', input(GOOD)).length, 0)
  })

  it('checkinterval in a virtual block without fork=yes', () => {
    const v = GOOD.replace('\tservice=http', '\tcheckinterval=1\n\tservice=http')
    assert.equal(run('ldirectord-checkinterval-ignored', input(v))[0]?.message, 'virtual=10.70.0.100:80: checkinterval=1 is ignored (fork=no); the global 2 s applies')
    assert.equal(run('ldirectord-checkinterval-ignored', input(`fork=yes\n${v}`)).length, 0)
    assert.equal(run('ldirectord-checkinterval-ignored', input(GOOD)).length, 0)
  })

  it('the same ldirectord.cf on both directors is reported once', () => {
    const i: DoctorInput = {hosts: ['dir1', 'dir2'].map((n) => {
      const h = emptyHost(n)
      h.ldirectord.push(parseLdirectordCf(SEED, {file: `${n}/ldirectord.cf`}))
      return h
    })}
    assert.equal(run('ldirectord-receive-status-line', i).length, 1)
  })
})

describe('doctor wiring for ldirectord.cf', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'hachaos-ldir-'))
  after(() => rmSync(tmp, {recursive: true, force: true}))
  const rules = doctorRules()

  it('--ldirectord files and --dir (detected by name): findings with file:line; a broken file is a doctor-source-unreadable finding at its line', () => {
    const r = runDoctor(collectFiles([{kind: 'ldirectord', path: fixturePath('ldirectord', 'seed-pacemaker.cf')}]), {rules})
    assert.deepEqual([r.summary.error, r.summary.warning, r.summary.note], [1, 1, 1])
    mkdirSync(join(tmp, 'dir1', 'etc', 'ha.d'), {recursive: true})
    writeFileSync(join(tmp, 'dir1', 'etc', 'ha.d', 'ldirectord.cf'), readFixture('ldirectord', 'bad-blank-line.cf'))
    const d = collectDir(tmp)
    const f = runDoctor(d.input, {rules}).findings
    assert.deepEqual(f.map((x) => [x.rule, x.evidence[0]?.line]), [['doctor-source-unreadable', 6]])
    assert.match(f[0]?.message ?? '', /ldirectord\.cf:6: "real=10\.0\.0\.3:80 gate" is indented but belongs to no virtual= block/)
  })

  it('hachaos doctor --ldirectord: reads the file (exit 0 on a clean one, 7 on a broken one), /etc/passwd is bad input (exit 3)', async () => {
    const ok = await runCli(['doctor', '--ldirectord', fixturePath('ldirectord', 'good.cf'), '--json'])
    assert.equal(ok.code, 0, ok.stderr)
    assert.deepEqual((ok.json as {hosts: Array<{sources: Array<{kind: string}>}>}).hosts[0]?.sources.map((s) => s.kind), ['ldirectord'])
    const bad = await runCli(['doctor', '--ldirectord', fixturePath('ldirectord', 'seed-flat.cf')])
    assert.equal(bad.code, 7, bad.stdout + bad.stderr)
    assert.match(bad.stdout, /seed-flat\.cf:8/)
    const passwd = join(tmp, 'passwd')
    writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/bash\n')
    const p = await runCli(['doctor', '--ldirectord', passwd])
    assert.equal(p.code, 3, p.stdout + p.stderr)
    assert.ok(p.stderr.includes(`${passwd}:1`), p.stderr)
  })
})
