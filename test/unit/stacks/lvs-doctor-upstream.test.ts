/**
 * keepalived's LVS doctor rules on configurations we did not write: keepalived's own samples
 * (test/fixtures/keepalived-upstream/, verbatim from upstream's doc/samples), and on the LVS lab's rendered
 * configs (test/fixtures/lvs/). Every LVS rule that fires is listed, with the numbers the new ones give.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {addSource, collectHost} from '../../../src/doctor/collect.js'
import {runDoctor} from '../../../src/doctor/index.js'
import {type DoctorInput, type Finding, type HostConfigs, emptyHost} from '../../../src/doctor/types.js'
import {RecordingExecutor} from '../../../src/exec/recording.js'
import {parseInventory} from '../../../src/inventory/inventory.js'
import {slowestFailover} from '../../../src/stacks/lvs/failover.js'
import {doctorRules} from '../../../src/stacks/registry.js'
import {readFixture} from '../../fixture.js'

const upstream = (name: string): string => readFixture('keepalived-upstream', `keepalived.conf.${name}`)
const lab = (name: string): string => readFixture('lvs', name)

function director(name: string, conf: string, file: string, sysctl?: string): HostConfigs {
  const h = emptyHost(name)
  addSource(h, 'keepalived', file, conf)
  if (sysctl !== undefined) addSource(h, 'sysctl', `${name}/sysctl`, sysctl)
  return h
}

function run(...hosts: HostConfigs[]): Finding[] {
  const input: DoctorInput = {hosts}
  return runDoctor(input, {rules: doctorRules()}).findings
}

/** "rule: message" of every finding, sorted. */
const all = (f: Finding[]): string[] => f.map((x) => `${x.rule}: ${x.message}`).sort()
const at = (f: Finding | undefined): string[] => (f?.evidence ?? []).map((e) => `${e.file ?? ''}:${e.line ?? ''}`)
const one = (f: Finding[], rule: string): Finding => {
  const m = f.filter((x) => x.rule === rule)
  assert.equal(m.length, 1, `${rule}: ${m.map((x) => x.message).join(' | ')}`)
  return m[0] as Finding
}

describe('LVS doctor on keepalived\'s own samples (doc/samples)', () => {
  it('keepalived.conf.sample (VRRP priority 100 + HTTP_GET connect_timeout 3, retry 3, delay_before_retry 3, delay_loop 6): the checker is slower than the failover, 27.0 s against 3.609 s', () => {
    const f = run(director('d', upstream('sample'), 'keepalived.conf.sample'))
    assert.deepEqual(all(f), [
      'lvs-checker-slower-than-failover: d virtual_server 10.10.10.2 1358: a blackholed real server is removed after up to 27.0 s (HTTP_GET: U[0, delay_loop 6 s] + (retry 3 + 1) × connect_timeout 3 s + retry 3 × delay_before_retry 3 s), longer than VRRP VI_1 Master_Down_Interval 3.609 s on d',
      'lvs-pair-no-sync: d keepalived.conf.sample: VRRP director of 1 virtual_server without lvs_sync_daemon',
      'lvs-persistence-no-sync: d virtual_server 10.10.10.2 1358: persistence_timeout 50 without lvs_sync_daemon',
      'lvs-single-real-server: d virtual_server 10.10.10.2 1358: 1 real server with weight > 0 (of 1)',
    ])
    const slow = one(f, 'lvs-checker-slower-than-failover')
    assert.equal(slow.severity, 'warning')
    // the HTTP_GET block (line 39 with the 2-line header) and the vrrp_instance (line 15)
    assert.deepEqual(at(slow), ['keepalived.conf.sample:39', 'keepalived.conf.sample:15'])
    assert.match(slow.evidence[0]?.state ?? '', /= 21\.0–27\.0 s until keepalived removes real_server 192\.168\.200\.2 1358$/)
    assert.equal(slow.evidence[1]?.state, 'VRRP VI_1 Master_Down_Interval 3.609 s')
  })

  it('keepalived.conf.vrrp.lvs_syncd (TCP_CHECK connect_timeout 3, the rest keepalived\'s defaults): 20 + 2 × 3 + 1 × 1 = 27.0 s against VI_2\'s 3.609 s (VI_1 at priority 150: 3.414 s)', () => {
    const input = {hosts: [director('d', upstream('vrrp.lvs_syncd'), 'lvs_syncd.conf')]}
    assert.deepEqual(slowestFailover(input), {ms: 3609.375, what: 'VRRP VI_2 Master_Down_Interval', at: {file: 'lvs_syncd.conf', line: 28}, host: 'd'})
    const f = run(...input.hosts)
    const slow = one(f, 'lvs-checker-slower-than-failover')
    assert.equal(slow.message, 'd virtual_server 192.168.200.19 80: a blackholed real server is removed after up to 27.0 s (TCP_CHECK: U[0, delay_loop 20 s] + (retry 1 + 1) × connect_timeout 3 s + retry 1 × delay_before_retry 1 s), longer than VRRP VI_2 Master_Down_Interval 3.609 s on d')
    assert.deepEqual(at(slow), ['lvs_syncd.conf:61', 'lvs_syncd.conf:28'])
    // its sync daemon is the old syntax inside vrrp_instance VI_1 (lvs_sync_daemon_interface eth1): no sync rule fires
    assert.deepEqual(f.map((x) => x.rule).sort(), ['lvs-checker-slower-than-failover', 'lvs-single-real-server'])
  })

  it('keepalived.conf.inhibit (inhibit_on_failure, persistence_timeout 50): lvs-inhibit-no-expire-template, a warning (persistent) while the sysctl is unknown or 0, quiet at 1', () => {
    const f = run(director('d', upstream('inhibit'), 'keepalived.conf.inhibit'))
    assert.deepEqual(all(f), [
      'lvs-inhibit-no-expire-template: d virtual_server 10.10.10.2 1358: inhibit_on_failure on 1 of 1 real server with persistence_timeout 50, net.ipv4.vs.expire_quiescent_template not read',
      'lvs-single-real-server: d virtual_server 10.10.10.2 1358: 1 real server with weight > 0 (of 1)',
    ])
    const inh = one(f, 'lvs-inhibit-no-expire-template')
    assert.equal(inh.severity, 'warning')
    assert.deepEqual(at(inh), ['keepalived.conf.inhibit:24', 'keepalived.conf.inhibit:19'])
    assert.deepEqual(inh.evidence.map((e) => e.state), ['inhibit_on_failure', 'persistence_timeout 50'])
    const zero = one(run(director('d', upstream('inhibit'), 'k.conf', 'net.ipv4.vs.expire_quiescent_template = 0\n')), 'lvs-inhibit-no-expire-template')
    assert.match(zero.message, /, net\.ipv4\.vs\.expire_quiescent_template = 0$/)
    assert.equal(zero.evidence[1]?.state, 'expire_quiescent_template = 0')
    assert.deepEqual(run(director('d', upstream('inhibit'), 'k.conf', 'net.ipv4.vs.expire_quiescent_template = 1\n')).filter((x) => x.rule === 'lvs-inhibit-no-expire-template'), [])
    // no VRRP in the run: nothing to compare the checker with (27.0 s) — the rule stays quiet
    assert.equal(f.filter((x) => x.rule === 'lvs-checker-slower-than-failover').length, 0)
  })

  it('inhibit_on_failure at virtual_server level (keepalived 2.x: the default of its real servers); not persistent and the sysctl unread: a note', () => {
    const conf = upstream('inhibit').replace('    persistence_timeout 50\n', '    inhibit_on_failure\n').replace(/        inhibit_on_failure .*\n/, '')
    const inh = one(run(director('d', conf, 'k.conf')), 'lvs-inhibit-no-expire-template')
    assert.equal(inh.severity, 'note')
    assert.equal(inh.message, 'd virtual_server 10.10.10.2 1358: inhibit_on_failure on 1 of 1 real server, net.ipv4.vs.expire_quiescent_template not read')
    assert.deepEqual(at(inh), ['k.conf:19'])
    // with the sysctl known to be 0 it is a warning again
    assert.equal(one(run(director('d', conf, 'k.conf', 'net.ipv4.vs.expire_quiescent_template = 0\n')), 'lvs-inhibit-no-expire-template').severity, 'warning')
  })

  it('MISC_CHECK, SSL_GET with nb_get_retry: alone no failover to compare with; next to a VRRP director (lvs_syncd\'s 3.609 s) they fire with their own formulas', () => {
    const syncd = director('vrrp', upstream('vrrp.lvs_syncd'), 'lvs_syncd.conf')
    for (const name of ['misc_check', 'HTTP_GET.port', 'virtualhost']) {
      assert.deepEqual(run(director('d', upstream(name), name)).map((x) => x.rule), ['lvs-single-real-server'], name)
    }
    // MISC_CHECK without misc_timeout: keepalived kills the script after delay_loop 6 s; attempts start
    // max(delay_before_retry 1, 6) apart: U[0, 6] + 1 × 6 + 6 = 12–18 s
    const misc = one(run(director('d', upstream('misc_check'), 'misc_check'), syncd).filter((x) => x.host === 'd'), 'lvs-checker-slower-than-failover')
    assert.equal(misc.message, 'd virtual_server 10.10.10.2 1358: a blackholed real server is removed after up to 18.0 s (MISC_CHECK: U[0, delay_loop 6 s] + retry 1 × max(delay_before_retry 1 s, t_fail) + t_fail, t_fail = misc_timeout 6 s), longer than VRRP VI_2 Master_Down_Interval 3.609 s on vrrp')
    assert.deepEqual(at(misc), ['misc_check:25', 'lvs_syncd.conf:28'])
    // SSL_GET, nb_get_retry 3: U[0, 6] + 4 × 3 + 3 × 3 = 21–27 s
    for (const name of ['HTTP_GET.port', 'virtualhost']) {
      const ssl = one(run(director('d', upstream(name), name), syncd).filter((x) => x.host === 'd'), 'lvs-checker-slower-than-failover')
      assert.match(ssl.message, /: a blackholed real server is removed after up to 27\.0 s \(SSL_GET: U\[0, delay_loop 6 s\] \+ \(retry 3 \+ 1\) × connect_timeout 3 s \+ retry 3 × delay_before_retry 3 s\), longer than VRRP VI_2 Master_Down_Interval 3\.609 s on vrrp$/, name)
    }
  })
})

describe('LVS doctor on the lab\'s rendered configs (keepalived 2.2.7 in the lab measured blackhole removals of 4.0–4.1 s)', () => {
  const CHECK = '(TCP_CHECK: U[0, delay_loop 1 s] + (retry 1 + 1) × connect_timeout 1 s + retry 1 × delay_before_retry 1 s)'

  it('dir1 alone (MASTER, priority 150): 4.0 s against its own Master_Down_Interval as a backup, 3 + 106/256 = 3.414 s, for both services', () => {
    const f = run(director('dir1', lab('dir1-keepalived-nosync.conf'), 'dir1.conf'))
    assert.deepEqual(all(f), [
      'lvs-checker-slower-than-failover: dir1 virtual_server 10.98.0.100 7: a blackholed real server is removed after up to 4.0 s ' + CHECK + ' (all 2 checkers), longer than VRRP VI_LVS Master_Down_Interval 3.414 s on dir1',
      'lvs-checker-slower-than-failover: dir1 virtual_server 10.98.0.100 80: a blackholed real server is removed after up to 4.0 s ' + CHECK + ' (all 2 checkers), longer than VRRP VI_LVS Master_Down_Interval 3.414 s on dir1',
      'lvs-dr-arp: dir1 virtual_server 10.98.0.100 7 uses direct routing: check ARP on its 2 real servers',
      'lvs-dr-arp: dir1 virtual_server 10.98.0.100 80 uses direct routing: check ARP on its 2 real servers',
      'lvs-pair-no-sync: dir1 dir1.conf: VRRP director of 2 virtual_servers without lvs_sync_daemon',
    ])
    const web = f.find((x) => x.rule === 'lvs-checker-slower-than-failover' && x.message.includes(' 80: '))
    // both real servers' TCP_CHECK blocks, then the vrrp_instance
    assert.deepEqual(at(web), ['dir1.conf:23', 'dir1.conf:31', 'dir1.conf:6'])
    assert.match(web?.evidence[0]?.state ?? '', /= 3\.0–4\.0 s until keepalived removes real_server 10\.98\.0\.11 80$/)
  })

  it('the pair dir1 + dir2: 4.0 s against dir2\'s Master_Down_Interval (BACKUP, priority 100), 3.609 s — four findings, one per director and service', () => {
    const f = run(director('dir1', lab('dir1-keepalived-sync.conf'), 'dir1.conf'), director('dir2', lab('dir2-keepalived-sync.conf'), 'dir2.conf'))
    const slow = f.filter((x) => x.rule === 'lvs-checker-slower-than-failover').map((x) => x.message).sort()
    assert.deepEqual(slow, ['dir1', 'dir2'].flatMap((d) => ['7', '80'].map((p) => `${d} virtual_server 10.98.0.100 ${p}: a blackholed real server is removed after up to 4.0 s ${CHECK} (all 2 checkers), longer than VRRP VI_LVS Master_Down_Interval 3.609 s on dir2`)))
    for (const x of f.filter((y) => y.rule === 'lvs-checker-slower-than-failover')) assert.deepEqual(x.evidence.at(-1), {file: 'dir2.conf', line: 7, host: 'dir2', state: 'VRRP VI_LVS Master_Down_Interval 3.609 s'})
    assert.deepEqual([...new Set(f.map((x) => x.rule))].sort(), ['lvs-checker-slower-than-failover', 'lvs-dr-arp'])
  })

  it('the MISC_CHECK variant: port 80\'s MISC_CHECK (timeout 1 in misc_path, misc_timeout 2) gives U[0, 1] + 1 × max(1, 1) + 1 = 3.0 s, within 3.414 s: only port 7\'s TCP_CHECK fires', () => {
    const f = run(director('dir1', lab('dir1-keepalived-misc.conf'), 'dir1.conf'))
    const slow = f.filter((x) => x.rule === 'lvs-checker-slower-than-failover')
    assert.deepEqual(slow.map((x) => x.message), ['dir1 virtual_server 10.98.0.100 7: a blackholed real server is removed after up to 4.0 s ' + CHECK + ' (all 2 checkers), longer than VRRP VI_LVS Master_Down_Interval 3.414 s on dir1'])
    // next to dir2 (3.609 s) likewise: 3.0 s is within it
    const pair = run(director('dir1', lab('dir1-keepalived-misc.conf'), 'dir1.conf'), director('dir2', lab('dir2-keepalived-sync.conf'), 'dir2.conf'))
    assert.equal(pair.filter((x) => x.rule === 'lvs-checker-slower-than-failover' && x.host === 'dir1').length, 1)
  })

  it('the HTTP_GET variant (delay_before_retry 1 written out): 4.0 s for port 80\'s HTTP_GET as for port 7\'s TCP_CHECK', () => {
    const f = run(director('dir1', lab('dir1-keepalived-http.conf'), 'dir1.conf'))
    const web = f.find((x) => x.rule === 'lvs-checker-slower-than-failover' && x.message.includes(' 80: '))
    assert.equal(web?.message, 'dir1 virtual_server 10.98.0.100 80: a blackholed real server is removed after up to 4.0 s (HTTP_GET: U[0, delay_loop 1 s] + (retry 1 + 1) × connect_timeout 1 s + retry 1 × delay_before_retry 1 s) (all 2 checkers), longer than VRRP VI_LVS Master_Down_Interval 3.414 s on dir1')
    assert.equal(f.filter((x) => x.rule === 'lvs-checker-slower-than-failover').length, 2)
  })

  it('timers inherited from the real_server and the virtual_server; faster checkers are quiet; no inhibit in the lab', () => {
    // port 80: connect_timeout and retry moved up to the virtual_server, delay_before_retry to the real_server: same 4.0 s;
    // port 7 (empty TCP_CHECKs, delay_before_retry in the real_server): keepalived's default connect_timeout 5 s, 1 + 2 × 5 + 1 = 12.0 s
    const moved = lab('dir1-keepalived-nosync.conf')
      .replace('virtual_server 10.98.0.100 80 {\n  delay_loop 1\n', 'virtual_server 10.98.0.100 80 {\n  delay_loop 1\n  connect_timeout 1\n  retry 1\n')
      .replaceAll('    TCP_CHECK {\n      connect_timeout 1\n      retry 1\n      delay_before_retry 1\n    }\n', '    delay_before_retry 1\n    TCP_CHECK {\n    }\n')
    const f = run(director('dir1', moved, 'dir1.conf'))
    assert.deepEqual(f.filter((x) => x.rule === 'lvs-checker-slower-than-failover').map((x) => x.message.replace(/ \(all 2.*/, '')), ['dir1 virtual_server 10.98.0.100 7: a blackholed real server is removed after up to 12.0 s ' + CHECK.replace('connect_timeout 1 s', 'connect_timeout 5 s'), 'dir1 virtual_server 10.98.0.100 80: a blackholed real server is removed after up to 4.0 s ' + CHECK])
    // retry 0 everywhere: U[0, 1] + 1 × 1 = 2.0 s, within 3.414 s
    const fast = lab('dir1-keepalived-nosync.conf').replaceAll('      retry 1\n', '      retry 0\n')
    assert.deepEqual(run(director('dir1', fast, 'dir1.conf')).filter((x) => x.rule === 'lvs-checker-slower-than-failover'), [])
    assert.deepEqual(run(director('dir1', lab('dir1-keepalived-nosync.conf'), 'dir1.conf')).filter((x) => x.rule === 'lvs-inhibit-no-expire-template'), [])
  })
})

describe('live: a host running keepalived (no lvs-director role, no ldirectord) has net.ipv4.vs.expire_quiescent_template read', () => {
  it('the sysctl is read when keepalived.conf has virtual_servers, and the inhibit rule uses it', async () => {
    const inv = parseInventory('[servers]\ndir1 ansible_host=192.0.2.21\n', '/nonexistent-lvs/hosts.ini')
    const h = inv.hosts[0]
    assert.ok(h !== undefined)
    const conf = lab('dir1-keepalived-nosync.conf').replace('  real_server 10.98.0.11 80 {\n', '  real_server 10.98.0.11 80 {\n    inhibit_on_failure\n')
    const exec = (text: string): RecordingExecutor =>
      new RecordingExecutor('dir1')
        .on(['cat'], {code: 1, stderr: 'No such file'})
        .on(['uname', '-n'], {stdout: 'dir1\n'})
        .on(['cat', '--', '/etc/keepalived/keepalived.conf'], {stdout: text})
        .on(['cat', '--', '/proc/sys/net/ipv4/vs/expire_quiescent_template'], {stdout: '0\n'})
        .on(['pgrep'], {code: 1})
        .on(['pgrep', '-x', 'keepalived'], {stdout: '321\n'})
    const live = await collectHost(h, exec(conf), inv)
    assert.equal(live.sysctl['net.ipv4.vs.expire_quiescent_template']?.value, '0')
    const inh = one(run(live), 'lvs-inhibit-no-expire-template')
    assert.equal(inh.severity, 'warning')
    assert.equal(inh.message, 'dir1 virtual_server 10.98.0.100 80: inhibit_on_failure on 1 of 2 real servers, net.ipv4.vs.expire_quiescent_template = 0')
    // a VRRP-only keepalived.conf: no IPVS, nothing to read
    const vrrpOnly = await collectHost(h, exec(lab('dir1-keepalived-vrrp-only.conf')), inv)
    assert.equal(vrrpOnly.sysctl['net.ipv4.vs.expire_quiescent_template'], undefined)
  })
})
