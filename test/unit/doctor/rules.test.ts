/**
 * Every doctor rule: a failing input (the rule fires, with the right severity and place) and a passing one
 * (it stays quiet). Inputs are the captured fixtures where one exists, small realistic edits of them otherwise.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync, mkdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {addSource, collectDir} from '../../../src/doctor/collect.js'
import {findRule as findRuleIn, runDoctor as runDoctorWith} from '../../../src/doctor/index.js'
import {doctorRules} from '../../../src/stacks/registry.js'
import {HEARTBEAT_RULES} from '../../../src/stacks/heartbeat/rules.js'
import {GLUSTER_RULES} from '../../../src/stacks/gluster/rules.js'
import {LDIRECTORD_RULES} from '../../../src/stacks/lvs/ldirectord/rules.js'
import {LVS_RULES} from '../../../src/stacks/lvs/rules.js'
import {type DoctorInput, type Finding, type HostConfigs, type Severity, type SourceKind, emptyHost} from '../../../src/doctor/types.js'
import {isHachaosError} from '../../../src/errors.js'
import {readFixture} from '../../fixture.js'

/** Every rule the command runs: the shared ones and each stack's own (src/stacks/registry.ts). */
const ALL_RULES = doctorRules()
/** The rules with their cases here (Heartbeat's have theirs in test/unit/stacks/heartbeat-rules.test.ts, Gluster's in test/unit/stacks/gluster.test.ts, LVS's in test/unit/stacks/lvs.test.ts). */
const OWN_TESTS = [...HEARTBEAT_RULES, ...GLUSTER_RULES, ...LVS_RULES, ...LDIRECTORD_RULES]
const RULES = ALL_RULES.filter((r) => !OWN_TESTS.includes(r))
const findRule = (id: string): ReturnType<typeof findRuleIn> => findRuleIn(id, ALL_RULES)
const runDoctor = (input: DoctorInput, opts: {rules: typeof ALL_RULES} = {rules: ALL_RULES}): ReturnType<typeof runDoctorWith> => runDoctorWith(input, opts)

type Src = [SourceKind, string, string?]

function host(name: string, sources: Src[], extra: Partial<HostConfigs> = {}): HostConfigs {
  const h = {...emptyHost(name), ...extra}
  for (const [kind, text, file] of sources) addSource(h, kind, file ?? `${name}/${kind}`, text)
  return h
}

const fx = (dir: string, name: string): string => readFixture(dir, name)
const labLb1 = (): Src[] => [['keepalived', fx('keepalived', 'lab-lb1.conf'), 'lb1/keepalived.conf'], ['haproxy', fx('haproxy', 'lab-lb1.cfg'), 'lb1/haproxy.cfg']]
const labLb2 = (): Src[] => [['keepalived', fx('keepalived', 'lab-lb2.conf'), 'lb2/keepalived.conf'], ['haproxy', fx('haproxy', 'lab-lb2.cfg'), 'lb2/haproxy.cfg']]
const labPair = (): DoctorInput => ({hosts: [host('lb1', labLb1()), host('lb2', labLb2())]})

function ka(body: string, globals = ''): string {
  return `global_defs {\n  router_id t\n${globals}}\nvrrp_script chk {\n  script "/bin/true"\n}\nvrrp_instance VI_1 {\n${body}\n}\n`
}
const inst = (o: {state?: string; prio?: number; vrid?: number; adv?: string; extra?: string; vip?: string; track?: boolean}): string =>
  ka(
    [
      `  state ${o.state ?? 'BACKUP'}`,
      '  interface eth0',
      `  virtual_router_id ${o.vrid ?? 51}`,
      `  priority ${o.prio ?? 100}`,
      `  advert_int ${o.adv ?? '1'}`,
      `  virtual_ipaddress {\n    ${o.vip ?? '10.0.0.100/24 dev eth0'}\n  }`,
      o.track === false ? '' : '  track_script {\n    chk\n  }',
      o.extra ?? '',
    ].join('\n'),
  )

function findings(input: DoctorInput, rule: string): Finding[] {
  const r = findRule(rule)
  return runDoctor(input, {rules: [r]}).findings
}

interface Case {
  fail: () => DoctorInput
  pass: () => DoctorInput
  /** Expected on the failing input: count, and optionally severity and the first evidence line. */
  expect: {count: number; severity?: Severity; line?: number; file?: string}
}

const haproxyHost = (name: string, cfg: string): HostConfigs => host(name, [['haproxy', cfg, `${name}/haproxy.cfg`]])
const ipvsFirstService = (): string => fx('ipvs', 'ipvsadm-Ln.txt').split('\n').slice(0, 6).join('\n')

const CASES: Record<string, Case> = {
  'keepalived-both-master-equal-priority': {
    fail: () => ({hosts: [host('a', [['keepalived', inst({state: 'MASTER'})]]), host('b', [['keepalived', inst({state: 'MASTER'})]])]}),
    pass: labPair,
    expect: {count: 1, severity: 'warning', line: 8},
  },
  'keepalived-priority-range': {
    fail: () => ({hosts: [host('a', [['keepalived', inst({prio: 300})]]), host('b', [['keepalived', inst({prio: 255, vrid: 52, vip: '10.0.0.101/24 dev eth0'})]])]}),
    pass: labPair,
    expect: {count: 2, severity: 'error', line: 11},
  },
  'keepalived-advert-int-fraction-v2': {
    fail: () => ({hosts: [host('a', [['keepalived', inst({adv: '0.5'})]])]}),
    pass: () => ({hosts: [host('a', [['keepalived', fx('keepalived', 'unicast-v3.conf')]])]}),
    expect: {count: 1, severity: 'warning', line: 12},
  },
  'keepalived-peer-vrid-mismatch': {
    fail: () => ({hosts: [host('a', [['keepalived', inst({state: 'MASTER', prio: 150})]]), host('b', [['keepalived', inst({vrid: 52})]])]}),
    pass: labPair,
    expect: {count: 1, severity: 'error', line: 10},
  },
  'keepalived-peer-advert-int-mismatch': {
    fail: () => ({hosts: [host('a', [['keepalived', inst({state: 'MASTER', prio: 150})]]), host('b', [['keepalived', inst({adv: '2'})]])]}),
    pass: labPair,
    expect: {count: 1, severity: 'error', line: 12},
  },
  'keepalived-nopreempt-with-master': {
    fail: () => ({hosts: [host('a', [['keepalived', inst({state: 'MASTER', extra: '  nopreempt'})]])]}),
    pass: () => ({hosts: [host('a', [['keepalived', fx('keepalived', 'unicast-v3.conf')]])]}),
    expect: {count: 1, severity: 'warning'},
  },
  'keepalived-auth-pass-long': {
    fail: () => ({hosts: [host('a', [['keepalived', inst({extra: '  authentication {\n    auth_type PASS\n    auth_pass 123456789abc\n  }'})]])]}),
    pass: labPair,
    expect: {count: 1, severity: 'warning', line: 21},
  },
  'keepalived-no-service-tracking': {
    // HAProxy on the same host binds the VIP: an error; without HAProxy: a warning
    fail: () => ({
      hosts: [
        host('lb1', [['keepalived', fx('keepalived', 'lab-lb1.conf').replace(/    track_script \{\n        chk_haproxy\n    \}\n/, '')], ['haproxy', fx('haproxy', 'lab-lb1.cfg')]]),
        host('x', [['keepalived', inst({track: false, vrid: 60, vip: '10.9.0.1/24 dev eth0'})]]),
      ],
    }),
    pass: () => ({hosts: [host('lb1', labLb1()), host('dir', [['keepalived', fx('keepalived', 'lvs-dr-master.conf')]])]}),
    expect: {count: 2, severity: 'error', line: 21},
  },
  'keepalived-track-script-undefined': {
    fail: () => ({hosts: [host('a', [['keepalived', inst({extra: '  track_script {\n    chk_hapoxy\n  }'})]])]}),
    pass: labPair,
    expect: {count: 1, severity: 'error', line: 20},
  },
  'keepalived-vip-subnets-no-dev': {
    fail: () => ({hosts: [host('a', [['keepalived', inst({vip: '10.0.0.100/24\n    192.168.50.10/24'})]])]}),
    pass: () => ({hosts: [host('a', [['keepalived', inst({vip: '10.0.0.100/24 dev eth0\n    192.168.50.10/24 dev eth1'})]])]}),
    expect: {count: 1, severity: 'warning', line: 14},
  },
  'keepalived-strict-with-unicast': {
    fail: () => ({hosts: [host('a', [['keepalived', inst({extra: '  unicast_src_ip 10.0.0.11\n  unicast_peer {\n    10.0.0.12\n  }'}).replace('router_id t\n', 'router_id t\n  vrrp_strict\n')]])]}),
    pass: () => ({hosts: [host('a', [['keepalived', fx('keepalived', 'unicast-v3.conf')]])]}),
    expect: {count: 1, severity: 'error', line: 3},
  },
  'haproxy-server-no-check': {
    fail: () => ({hosts: [haproxyHost('lb1', fx('haproxy', 'seed-lb1.cfg'))]}),
    pass: labPair,
    expect: {count: 1, severity: 'error', line: 77, file: 'lb1/haproxy.cfg'},
  },
  'haproxy-single-server-backend': {
    fail: () => ({hosts: [haproxyHost('lb1', 'defaults\n  mode http\nbackend app\n  server a1 10.0.0.21:80 check\n')]}),
    pass: () => ({hosts: [haproxyHost('lb1', 'defaults\n  mode http\nbackend app\n  server a1 10.0.0.21:80 check\n  server sorry 10.0.0.99:80 check backup\n'), host('p', [['haproxy', fx('haproxy', 'prod-tls.cfg')]])]}),
    expect: {count: 1, severity: 'warning', line: 3},
  },
  'haproxy-no-redispatch': {
    fail: () => ({hosts: [haproxyHost('edge', fx('haproxy', 'prod-tls.cfg')), haproxyHost('b', 'defaults\n  option redispatch\n  retries 0\nbackend app\n  server a1 10.0.0.21:80 check\n  server a2 10.0.0.22:80 check\n')]}),
    pass: labPair,
    expect: {count: 2, severity: 'warning'},
  },
  'haproxy-stats-no-auth': {
    fail: () => ({hosts: [haproxyHost('lb1', 'listen stats\n  bind 10.0.0.11:8404\n  stats enable\n  stats uri /stats\n')]}),
    pass: () => ({hosts: [haproxyHost('lb1', 'listen stats\n  bind 127.0.0.1:8404\n  stats enable\n'), host('lab', labLb1())]}),
    expect: {count: 1, severity: 'error', line: 3},
  },
  'haproxy-stats-default-credentials': {
    fail: () => ({hosts: [haproxyHost('lb1', fx('haproxy', 'seed-lb1.cfg'))]}),
    pass: labPair,
    expect: {count: 1, severity: 'error', line: 84},
  },
  'haproxy-missing-timeouts': {
    fail: () => ({hosts: [haproxyHost('lb1', 'defaults\n  mode http\n  timeout connect 5s\nfrontend www\n  bind :80\n  default_backend app\nbackend app\n  server a1 10.0.0.21:80 check\n  server a2 10.0.0.22:80 check\n')]}),
    pass: labPair,
    expect: {count: 2, severity: 'warning', line: 7},
  },
  'haproxy-vip-bind-nonlocal': {
    fail: () => ({hosts: [host('lb2', [...labLb2(), ['sysctl', 'net.ipv4.ip_nonlocal_bind = 0\n', 'lb2/sysctl']])]}),
    pass: () => ({hosts: [host('lb2', [...labLb2(), ['sysctl', fx('sysctl', 'lab-lb2-sysctl.txt'), 'lb2/sysctl']]), host('unknown', labLb1())]}),
    expect: {count: 1, severity: 'error', line: 21, file: 'lb2/haproxy.cfg'},
  },
  'corosync-two-node-missing': {
    fail: () => ({hosts: [host('n1', [['corosync', fx('corosync', 'lab-2node.conf').replace('  two_node: 1\n', '')]])]}),
    pass: () => ({hosts: [host('n1', [['corosync', fx('corosync', 'lab-2node.conf')]])]}),
    expect: {count: 1, severity: 'error', line: 16},
  },
  'corosync-even-nodes-no-qdevice': {
    fail: () => ({hosts: [host('db1', [['corosync', fx('corosync', 'c2-udpu-4node.conf')]])]}),
    pass: () => ({hosts: [host('st1', [['corosync', fx('corosync', 'qdevice-4node.conf')]]), host('w', [['corosync', fx('corosync', 'pcs-3node-2links.conf')]])]}),
    expect: {count: 1, severity: 'warning'},
  },
  'corosync-single-link': {
    fail: () => ({hosts: [host('n1', [['corosync', fx('corosync', 'lab-2node.conf')]]), host('n2', [['corosync', fx('corosync', 'lab-2node.conf')]])]}),
    pass: () => ({hosts: [host('w', [['corosync', fx('corosync', 'pcs-3node-2links.conf')]])]}),
    expect: {count: 1, severity: 'warning', line: 21},
  },
  'corosync-crypto-off': {
    fail: () => ({hosts: [host('deb', [['corosync', fx('corosync', 'debian-default.conf')]]), host('db1', [['corosync', fx('corosync', 'c2-udpu-4node.conf')]])]}),
    pass: () => ({hosts: [host('n1', [['corosync', fx('corosync', 'lab-2node.conf')]])]}),
    expect: {count: 2, severity: 'warning', line: 15},
  },
  'corosync-token-below-default': {
    fail: () => ({hosts: [host('n1', [['corosync', fx('corosync', 'lab-2node.conf')]])]}),
    pass: () => ({hosts: [host('w', [['corosync', fx('corosync', 'pcs-3node-2links.conf')]]), host('st', [['corosync', fx('corosync', 'qdevice-4node.conf')]])]}),
    expect: {count: 1, severity: 'warning', line: 7},
  },
  'pacemaker-stonith-disabled': {
    fail: () => ({hosts: [host('n1', [['cib', fx('pacemaker', 'lab-2node-cib.xml')]])]}),
    pass: () => ({hosts: [host('n1', [['cib', fencedCib()]])]}),
    expect: {count: 1, severity: 'error', line: 5},
  },
  'pacemaker-no-stonith-device': {
    fail: () => ({hosts: [host('n1', [['cib', fx('pacemaker', 'lab-2node-cib.xml').replace('name="stonith-enabled" value="false"', 'name="stonith-enabled" value="true"')]])]}),
    pass: () => ({hosts: [host('n1', [['cib', fencedCib()]]), host('n2', [['cib', fx('pacemaker', 'lab-2node-cib.xml')]])]}),
    expect: {count: 1, severity: 'error', line: 17},
  },
  'pacemaker-no-monitor-op': {
    fail: () => ({hosts: [host('n1', [['cib', fx('pacemaker', 'lab-2node-bad-cib.xml')]])]}),
    pass: () => ({hosts: [host('n1', [['cib', fx('pacemaker', 'lab-2node-cib.xml')]])]}),
    expect: {count: 2, severity: 'warning'},
  },
  'pacemaker-vip-not-colocated': {
    fail: () => ({hosts: [host('n1', [['cib', fx('pacemaker', 'lab-2node-bad-cib.xml')]])]}),
    pass: () => ({hosts: [host('n1', [['cib', fx('pacemaker', 'lab-2node-cib.xml')]])]}),
    expect: {count: 2, severity: 'warning'},
  },
  'pacemaker-node-not-online': {
    fail: () => ({hosts: [host('n1', [['crm_mon', fx('pacemaker', 'lab-2node-n2-killed-crm_mon.xml')]])]}),
    pass: () => ({hosts: [host('n1', [['crm_mon', fx('pacemaker', 'lab-2node-crm_mon.xml')]])]}),
    expect: {count: 1, severity: 'warning', line: 14},
  },
  'pacemaker-failed-actions': {
    fail: () => ({hosts: [host('n1', [['crm_mon', fx('pacemaker', 'lab-2node-bad-crm_mon.xml')]])]}),
    pass: () => ({hosts: [host('n1', [['crm_mon', fx('pacemaker', 'lab-2node-crm_mon.xml')]])]}),
    expect: {count: 1, severity: 'warning', line: 66},
  },
  'pacemaker-no-quorum': {
    fail: () => ({hosts: [host('n1', [['crm_mon', fx('pacemaker', 'lab-2node-crm_mon.xml').replace('with_quorum="true"', 'with_quorum="false"')]])]}),
    pass: () => ({hosts: [host('n1', [['crm_mon', fx('pacemaker', 'lab-2node-n2-killed-crm_mon.xml')]])]}),
    expect: {count: 1, severity: 'error', line: 5},
  },
  'bond-single-member': {
    fail: () => ({hosts: [host('h', [['bonding', fx('bonding', 'ab-single.txt')]])]}),
    pass: () => ({hosts: [host('h', [['bonding', fx('bonding', 'ab-miimon100.txt')]])]}),
    expect: {count: 1, severity: 'warning', line: 12},
  },
  'bond-no-link-monitor': {
    fail: () => ({hosts: [host('h', [['bonding', fx('bonding', 'ab-miimon0.txt')]]), host('g', [['bonding', fx('bonding', 'ab-arp-no-target.txt')]])]}),
    pass: () => ({hosts: [host('h', [['bonding', fx('bonding', 'ab-arpmon.txt')]]), host('g', [['bonding', fx('bonding', 'ab-miimon100.txt')]])]}),
    expect: {count: 2, severity: 'error', line: 7},
  },
  'bond-mixed-speeds': {
    fail: () => ({hosts: [host('h', [['bonding', fx('bonding', 'alb-mixed-speed.txt')]])]}),
    pass: () => ({hosts: [host('h', [['bonding', fx('bonding', 'ab-miimon100.txt')]])]}),
    expect: {count: 1, severity: 'warning', line: 12},
  },
  'bond-lacp-rate-slow': {
    fail: () => ({hosts: [host('h', [['bonding', fx('bonding', 'lacp-slow-unnegotiated.txt')]])]}),
    pass: () => ({hosts: [host('h', [['bonding', fx('bonding', 'lacp-fast-l34.txt')]])]}),
    expect: {count: 1, severity: 'warning', line: 13},
  },
  'bond-lacp-not-negotiated': {
    fail: () => ({hosts: [host('h', [['bonding', fx('bonding', 'lacp-fast-l34.txt')]])]}),
    pass: () => ({hosts: [host('h', [['bonding', fx('bonding', 'lacp-fast-negotiated-a.txt')]]), host('g', [['bonding', fx('bonding', 'ab-miimon100.txt')]])]}),
    expect: {count: 1, severity: 'error', line: 23},
  },
  'bond-layer2-hash': {
    fail: () => ({hosts: [host('h', [['bonding', fx('bonding', 'xor-layer2.txt')]])]}),
    pass: () => ({hosts: [host('h', [['bonding', fx('bonding', 'lacp-fast-l34.txt')]]), host('g', [['bonding', fx('bonding', 'ab-miimon100.txt')]])]}),
    expect: {count: 1, severity: 'note', line: 4},
  },
  'bond-member-down': {
    fail: () => ({hosts: [host('h', [['bonding', fx('bonding', 'ab-member-down.txt')]])]}),
    pass: () => ({hosts: [host('h', [['bonding', fx('bonding', 'ab-miimon100.txt')]])]}),
    expect: {count: 1, severity: 'error', line: 20},
  },
  'lvs-single-real-server': {
    fail: () => ({hosts: [host('d', [['ipvsadm', fx('ipvs', 'ipvsadm-save.txt')]])]}),
    pass: () => ({hosts: [host('d', [['ipvsadm', ipvsFirstService()]]), host('k', [['keepalived', fx('keepalived', 'lvs-dr-master.conf')]])]}),
    expect: {count: 4, severity: 'warning'},
  },
  'lvs-no-health-check': {
    fail: () => ({hosts: [host('d', [['keepalived', fx('keepalived', 'lvs-dr-master.conf').replace(/        TCP_CHECK \{\n(.*\n){3}        \}\n/, '')]])]}),
    pass: () => ({hosts: [host('d', [['keepalived', fx('keepalived', 'lvs-dr-master.conf')], ['ipvsadm', '-A -t 172.25.0.100:80 -s rr\n-a -t 172.25.0.100:80 -r 172.25.1.3:80 -g -w 1\n-a -t 172.25.0.100:80 -r 172.25.1.4:80 -g -w 1\n']])]}),
    expect: {count: 1, severity: 'error', line: 41},
  },
  'lvs-dr-arp': {
    // the real server 172.25.1.3 is a host of the inventory whose ARP settings are known (captured lab values: 0/0)
    fail: () => ({hosts: [host('d', [['keepalived', fx('keepalived', 'lvs-dr-master.conf')]]), host('rs1', [['sysctl', fx('sysctl', 'lab-lb2-sysctl.txt')]], {address: '172.25.1.3'})]}),
    pass: () => ({hosts: [host('d', [['ipvsadm', fx('ipvs', 'ipvsadm-Ln.txt').split('\n').slice(0, 3).concat(fx('ipvs', 'ipvsadm-Ln.txt').split('\n').slice(6, 8)).join('\n')]])]}),
    expect: {count: 1, severity: 'warning'},
  },
  'gluster-replica2-no-arbiter': {
    // captured on GlusterFS 10.3 (gv_web replica 2, gv_data arbiter); the same pool seen from two peers is one finding
    fail: () => ({hosts: [host('s1', [['gluster', fx('gluster', 'volume-info-gluster10.txt')]]), host('s2', [['gluster', fx('gluster', 'volume-info-gluster10.txt')]])]}),
    pass: () => ({hosts: [host('s1', [['gluster', fx('gluster', 'volume-info-one-gluster10.txt')]]), host('s2', [['gluster', fx('gluster', 'volume-info-mixed.txt').split('\n').slice(18).join('\n')]])]}),
    expect: {count: 1, severity: 'error', line: 25},
  },
  'cross-vip-in-two-groups': {
    fail: () => ({
      hosts: [
        host('lb1', [['keepalived', inst({state: 'MASTER', prio: 150})]]),
        host('lb2', [['keepalived', inst({})]]),
        host('lb3', [['keepalived', inst({vrid: 61, state: 'MASTER', prio: 150})]]),
        host('lb4', [['keepalived', inst({vrid: 61})]]),
        host('pcmk', [['cib', fx('pacemaker', 'lab-2node-cib.xml').replace('10.78.0.100', '10.0.0.100')]]),
      ],
    }),
    pass: labPair,
    expect: {count: 2, severity: 'error', line: 10},
  },
  'cross-peer-config-mismatch': {
    fail: () => ({
      hosts: [
        host('lb1', [['keepalived', fx('keepalived', 'lab-lb1.conf')]]),
        host('lb2', [['keepalived', fx('keepalived', 'lab-lb2.conf').replace(/auth_pass \S+/, 'auth_pass other123').replace('10.66.0.100/24 dev eth0', '10.66.0.100/24 dev eth0\n        10.66.0.101/24 dev eth0')]]),
      ],
    }),
    pass: labPair,
    expect: {count: 2, severity: 'error', line: 29},
  },
  'keepalived-parser-warning': {
    // keepalived -t: "(Line 19) Config files missing '/etc/keepalived/shop-extra.conf'"
    fail: () => ({hosts: [host('lb', [['keepalived', fx('field', 'keepalived-track-file.conf'), 'lb/keepalived.conf']])]}),
    pass: labPair,
    expect: {count: 1, severity: 'note', line: 19},
  },
  'keepalived-conditional-skipped': {
    fail: () => ({hosts: [host('lb', [['keepalived', fx('field', 'keepalived-conditional.conf'), 'lb/keepalived.conf']])]}),
    pass: labPair,
    expect: {count: 1, severity: 'note', line: 3},
  },
  'pacemaker-maintenance-mode': {
    fail: () => ({hosts: [host('n1', [['cib', fx('field', 'cib-maintenance.xml')]])]}),
    pass: () => ({hosts: [host('n1', [['cib', fx('pacemaker', 'lab-2node-cib.xml')], ['crm_mon', fx('pacemaker', 'lab-2node-crm_mon.xml')]])]}),
    expect: {count: 2, severity: 'warning', line: 13},
  },
  'doctor-source-unreadable': {
    fail: () => withDir({'lb1/keepalived.conf': 'vrrp_instance VI_1 {\n  priority\n}\n', 'lb1/haproxy.cfg': fx('haproxy', 'lab-lb1.cfg')}),
    pass: () => withDir({'lb1/keepalived.conf': fx('keepalived', 'lab-lb1.conf'), 'lb1/haproxy.cfg': fx('haproxy', 'lab-lb1.cfg')}),
    expect: {count: 1, severity: 'error', line: 2},
  },
}

function fencedCib(): string {
  return fx('pacemaker', 'lab-2node-cib.xml')
    .replace('name="stonith-enabled" value="false"', 'name="stonith-enabled" value="true"')
    .replace(
      '    <resources>\n',
      '    <resources>\n      <primitive id="fence-n1" class="stonith" type="fence_ipmilan">\n        <operations>\n          <op id="fence-n1-mon" name="monitor" interval="60s"/>\n        </operations>\n      </primitive>\n',
    )
}

function withDir(files: Record<string, string>): DoctorInput {
  const dir = mkdtempSync(join(tmpdir(), 'hachaos-doctor-'))
  try {
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(join(dir, rel, '..'), {recursive: true})
      writeFileSync(join(dir, rel), text)
    }
    return collectDir(dir).input
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

describe('doctor rules: every rule has a failing and a passing case', () => {
  it('covers every rule', () => {
    assert.deepEqual(RULES.map((r) => r.id).filter((id) => CASES[id] === undefined), [])
    assert.equal(new Set(RULES.map((r) => r.id)).size, RULES.length, 'rule ids are unique')
    for (const r of RULES) {
      assert.match(r.id, /^[a-z0-9]+(-[a-z0-9]+)+$/)
      for (const t of [r.title, r.why, r.fix, r.explain]) assert.ok(t.length > 10, `${r.id}: texts are written`)
    }
  })

  for (const [id, c] of Object.entries(CASES)) {
    it(id, () => {
      const bad = findings(c.fail(), id)
      assert.equal(bad.length, c.expect.count, `${id} fires ${c.expect.count}×: ${bad.map((f) => f.message).join(' | ')}`)
      const first = bad[0]
      assert.ok(first !== undefined)
      if (c.expect.severity !== undefined) assert.equal(first.severity, c.expect.severity)
      if (c.expect.line !== undefined) assert.equal(first.evidence[0]?.line, c.expect.line, JSON.stringify(first.evidence))
      if (c.expect.file !== undefined) assert.equal(first.evidence[0]?.file, c.expect.file)
      for (const f of bad) {
        assert.equal(f.rule, id)
        assert.ok(f.evidence.length > 0, 'every finding has evidence')
        assert.ok(f.why.length > 0 && f.fix.length > 0)
      }
      assert.deepEqual(findings(c.pass(), id).map((f) => f.message), [], `${id} stays quiet on the passing input`)
    })
  }

  it('the lab configs (both load balancers) give no findings at all', () => {
    const r = runDoctor(labPair())
    assert.deepEqual(r.findings.map((f) => `${f.rule}: ${f.message}`), [])
  })

  it('layer2 hash: a warning when the bond has one peer MAC, a note otherwise', () => {
    const h = host('h', [['bonding', fx('bonding', 'xor-layer2.txt'), '/proc/net/bonding/bond0']])
    h.bondPeers['bond0'] = 1
    assert.deepEqual(findings({hosts: [h]}, 'bond-layer2-hash').map((f) => f.severity), ['warning'])
    h.bondPeers['bond0'] = 5
    assert.deepEqual(findings({hosts: [h]}, 'bond-layer2-hash').map((f) => f.severity), ['note'])
  })

  it('priority 255 is a warning, 300 an error', () => {
    const f = findings(CASES['keepalived-priority-range']?.fail() ?? {hosts: []}, 'keepalived-priority-range')
    assert.deepEqual(f.map((x) => x.severity).sort(), ['error', 'warning'])
  })

  it('an unknown rule name is a usage error with suggestions', () => {
    assert.throws(
      () => findRule('haproxy-check'),
      (e: unknown) => isHachaosError(e) && e.exitName === 'USAGE' && e.suggestions.some((s) => s.includes('haproxy-server-no-check')),
    )
  })
})
