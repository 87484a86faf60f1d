import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import fc from 'fast-check'

import {fsListInclude, fsReadInclude} from '../../../src/config/common.js'
import {effectiveVrrp, parseKeepalivedConf, type KeepalivedConfig} from '../../../src/config/keepalived.js'
import {HachaosError, isHachaosError} from '../../../src/errors.js'
import {CHECK, LB_PRIORITY, renderKeepalived} from '../../../src/stacks/keepalived/lab/render.js'
import {keepalivedTopology} from '../../../src/stacks/keepalived/lab/topology.js'
import {fixturePath, readFixture} from '../../fixture.js'

/** 1-based line of the first line containing `needle` (after `from`). */
function lineOf(text: string, needle: string, from = 0): number {
  const lines = text.split('\n')
  const i = lines.findIndex((l, n) => n >= from && l.includes(needle))
  assert.ok(i >= 0, `"${needle}" not in the text`)
  return i + 1
}

function parseFixture(...parts: string[]): {text: string; cfg: KeepalivedConfig; file: string} {
  const file = fixturePath('keepalived', ...parts)
  const text = readFixture('keepalived', ...parts)
  return {text, file, cfg: parseKeepalivedConf(text, {file, readInclude: fsReadInclude, listInclude: fsListInclude})}
}

function badInput(fn: () => unknown, where: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isHachaosError(e), `expected HachaosError, got ${String(e)}`)
    assert.equal(e.exitName, 'BAD_INPUT')
    assert.match(e.where ?? '', where)
    assert.ok(e.suggestions.length > 0)
    return true
  })
}

describe('keepalived.conf parser', () => {
  it('reads the lab master config (captured from hachaos lab up)', () => {
    const {text, cfg, file} = parseFixture('lab-lb1.conf')
    const g = cfg.globalDefs
    assert.equal(g.routerId, 'lb1')
    assert.equal(g.scriptUser, 'root')
    assert.equal(g.enableScriptSecurity, true)
    assert.equal(g.vrrpStrict, false)
    assert.equal(g.line, lineOf(text, 'global_defs'))
    assert.deepEqual(
      g.raw.map((d) => d.keyword),
      ['router_id', 'script_user', 'enable_script_security', 'vrrp_garp_master_delay', 'vrrp_garp_master_repeat'],
    )
    assert.equal(cfg.vrrpScripts.length, 1)
    const s = cfg.vrrpScripts[0]
    assert.ok(s !== undefined)
    assert.deepEqual(
      {name: s.name, interval: s.interval, timeout: s.timeout, fall: s.fall, rise: s.rise, weight: s.weight, line: s.line, file: s.file},
      {name: 'chk_haproxy', interval: 1, timeout: 1, fall: 2, rise: 2, weight: 0, line: lineOf(text, 'vrrp_script chk_haproxy'), file},
    )
    assert.match(s.script, /check_haproxy\.sh$/)
    const v = cfg.vrrpInstances[0]
    assert.ok(v !== undefined)
    assert.equal(v.name, 'VI_1')
    assert.equal(v.state, 'MASTER')
    assert.equal(v.interface, 'eth0')
    assert.equal(v.virtualRouterId, 51)
    assert.equal(v.priority, 150)
    assert.equal(v.lines.priority, lineOf(text, 'priority 150'))
    assert.equal(v.advertInt, 1)
    assert.equal(v.version, 2)
    assert.equal(v.nopreempt, false)
    assert.deepEqual(v.trackScripts, ['chk_haproxy'])
    assert.equal(v.authentication?.authType, 'PASS')
    assert.equal(v.authentication?.authPass?.length, 8)
    assert.equal(v.authentication?.authPassLine, lineOf(text, 'auth_pass'))
    assert.deepEqual(
      v.virtualIpaddresses.map(({address, prefixLen, dev, line}) => ({address, prefixLen, dev, line})),
      [{address: '10.66.0.100', prefixLen: 24, dev: 'eth0', line: lineOf(text, '10.66.0.100/24')}],
    )
    assert.equal(v.line, lineOf(text, 'vrrp_instance VI_1'))
    assert.equal(v.endLine, text.trimEnd().split('\n').length)
    assert.deepEqual(cfg.unknown, [])
    assert.deepEqual(cfg.warnings, [])
  })

  it('agrees with what the lab renders (priorities and check timing)', () => {
    const t = keepalivedTopology('hct')
    for (const node of t.nodes.filter((n) => n.role === 'lb')) {
      const conf = renderKeepalived(t, node, '/run/hachaos/labs/hct-keepalived', {vrrpPass: 'abcdefgh', statsPass: 'x'})[0]
      assert.ok(conf !== undefined)
      const cfg = parseKeepalivedConf(conf.content, {file: conf.path})
      const v = cfg.vrrpInstances[0]
      assert.ok(v !== undefined)
      const eff = effectiveVrrp(v, cfg)
      assert.equal(eff.priority, LB_PRIORITY[node.name])
      assert.equal(eff.advertIntS, 1)
      assert.equal(eff.version, 2)
      assert.equal(eff.downTimerAdverts, 3)
      assert.deepEqual(eff.trackScripts, [{name: 'chk_haproxy', intervalS: CHECK.interval, fall: CHECK.fall, rise: CHECK.rise, weight: 0, timeoutS: CHECK.timeout}])
      assert.deepEqual(eff.adjustments, [])
      assert.equal(v.state, node.name === 'lb1' ? 'MASTER' : 'BACKUP')
    }
  })

  it('reads the LVS/DR director from the field manual (virtual_server, real_server, checkers)', () => {
    const {text, cfg} = parseFixture('lvs-dr-master.conf')
    assert.equal(cfg.globalDefs.routerId, 'LVS_DEVEL')
    assert.equal(cfg.globalDefs.vrrpStrict, false, '#vrrp_strict is a comment')
    assert.ok(cfg.globalDefs.raw.some((d) => d.keyword === 'notification_email' && d.block?.[0]?.keyword === 'root@localhost'))
    const v = cfg.vrrpInstances[0]
    assert.ok(v !== undefined)
    assert.equal(v.state, 'MASTER', 'the trailing comment is not part of the value')
    assert.equal(v.authentication?.authPass, '1111')
    assert.deepEqual(v.virtualIpaddresses.map((x) => [x.address, x.prefixLen, x.dev]), [['172.25.0.100', undefined, undefined]])
    assert.equal(cfg.virtualServers.length, 1)
    const vs = cfg.virtualServers[0]
    assert.ok(vs !== undefined)
    assert.deepEqual(
      {kind: vs.kind, address: vs.address, port: vs.port, protocol: vs.protocol, lbAlgo: vs.lbAlgo, lbKind: vs.lbKind, delayLoop: vs.delayLoop, pt: vs.persistenceTimeout},
      {kind: 'ip', address: '172.25.0.100', port: 80, protocol: 'TCP', lbAlgo: 'rr', lbKind: 'DR', delayLoop: 6, pt: undefined},
    )
    assert.deepEqual(
      vs.realServers.map((r) => ({address: r.address, port: r.port, weight: r.weight, checkers: r.checkers, line: r.line})),
      [
        {address: '172.25.1.3', port: 80, weight: 1, checkers: ['TCP_CHECK'], line: lineOf(text, 'real_server 172.25.1.3')},
        {address: '172.25.1.4', port: 80, weight: 1, checkers: ['TCP_CHECK'], line: lineOf(text, 'real_server 172.25.1.4')},
      ],
    )
  })

  it('reads a unicast VRRPv3 pair: brace on the next line, quoted scripts, weights, notify, excluded VIPs', () => {
    const {text, cfg} = parseFixture('unicast-v3.conf')
    assert.equal(cfg.globalDefs.vrrpVersion, 3)
    const chk = cfg.vrrpScripts.find((s) => s.name === 'chk_haproxy')
    assert.equal(chk?.script, '/usr/bin/curl -fsS -o /dev/null --max-time 1 http://127.0.0.1:8405/healthz')
    assert.equal(chk?.weight, -60)
    assert.equal(cfg.vrrpScripts.find((s) => s.name === 'chk_maintenance')?.script, '/usr/bin/test ! -e /etc/keepalived/maintenance', '"!" inside quotes is not a comment')
    const v = cfg.vrrpInstances[0]
    assert.ok(v !== undefined)
    assert.equal(v.name, 'VI_WEB')
    assert.equal(v.line, lineOf(text, 'vrrp_instance VI_WEB'))
    assert.equal(v.version, 3, 'from global_defs vrrp_version')
    assert.equal(v.advertInt, 0.5)
    assert.equal(v.nopreempt, true)
    assert.equal(v.unicastSrcIp, '10.20.0.11')
    assert.deepEqual(v.unicastPeers, ['10.20.0.12', '10.20.0.13'])
    assert.deepEqual(v.trackInterfaces, ['ens224'])
    assert.equal(v.authentication, undefined)
    assert.deepEqual(v.virtualIpaddresses.map((x) => [x.address, x.prefixLen, x.dev, x.label]), [['10.20.0.100', 24, 'ens192', 'ens192:vip']])
    assert.deepEqual(v.virtualIpaddressesExcluded.map((x) => [x.address, x.family]), [['2001:db8::100', 6]])
    assert.deepEqual(v.notify, {
      notify_master: '/etc/keepalived/notify.sh MASTER',
      notify_backup: '/etc/keepalived/notify.sh BACKUP',
      notify_fault: '/etc/keepalived/notify.sh FAULT',
    })
    const eff = effectiveVrrp(v, cfg)
    assert.equal(eff.advertIntS, 0.5)
    assert.equal(eff.version, 3)
    assert.equal(eff.preempt, false)
    assert.deepEqual(
      eff.trackScripts.map((t) => [t.name, t.intervalS, t.fall, t.rise, t.weight]),
      [
        ['chk_haproxy', 2, 3, 2, -60],
        ['chk_maintenance', 5, 1, 1, 0],
      ],
    )
    assert.deepEqual(cfg.unknown, [])
  })

  it('follows include globs relative to the including file, in sorted order, and reports a missing one', () => {
    const {cfg, file} = parseFixture('with-includes', 'keepalived.conf')
    const d = fixturePath('keepalived', 'with-includes', 'conf.d')
    assert.deepEqual(cfg.files, [file, `${d}/10-scripts.conf`, `${d}/20-vip-web.conf`])
    assert.deepEqual(
      cfg.includes.map((i) => [i.pattern, i.files.length, i.line]),
      [
        ['conf.d/*.conf', 2, 9],
        ['/does/not/exist.conf', 0, 10],
      ],
    )
    assert.equal(cfg.warnings.length, 1)
    assert.match(cfg.warnings[0]?.message ?? '', /exist\.conf/)
    assert.equal(cfg.warnings[0]?.line, 10)
    const web = cfg.vrrpInstances.find((v) => v.name === 'VI_WEB')
    assert.ok(web !== undefined)
    assert.equal(web.file, `${d}/20-vip-web.conf`)
    assert.equal(web.line, 12)
    assert.deepEqual(web.trackProcesses, ['track_nginx'])
    assert.deepEqual(cfg.trackProcesses.map((p) => [p.name, p.process, p.weight, p.file]), [['track_nginx', 'nginx', -20, `${d}/10-scripts.conf`]])
    assert.deepEqual(cfg.syncGroups.map((g) => [g.name, g.group]), [['VG_EDGE', ['VI_WEB', 'VI_API']]])
    // The sync group's track_script applies to its members; global vrrp_down_timer_adverts too.
    const api = cfg.vrrpInstances.find((v) => v.name === 'VI_API')
    assert.ok(api !== undefined)
    const eff = effectiveVrrp(api, cfg)
    assert.deepEqual(eff.trackScripts.map((t) => t.name), ['chk_nginx_port'])
    assert.equal(eff.downTimerAdverts, 4)
    assert.equal(effectiveVrrp(web, cfg).advertIntS, 2)
  })

  it('without a reader, includes are listed but not followed', () => {
    const cfg = parseKeepalivedConf('include /etc/keepalived/conf.d/*.conf\n', {file: '/etc/keepalived/keepalived.conf'})
    assert.deepEqual(cfg.includes.map((i) => [i.pattern, i.files]), [['/etc/keepalived/conf.d/*.conf', []]])
    assert.equal(cfg.warnings.length, 1)
  })

  it('detects an include loop with file:line', () => {
    const files: Record<string, string> = {'/k/a.conf': 'include b.conf\n', '/k/b.conf': '\ninclude a.conf\n'}
    badInput(() => parseKeepalivedConf(files['/k/a.conf'] ?? '', {file: '/k/a.conf', readInclude: (p) => files[p] ?? null}), /^\/k\/b\.conf:2$/)
  })

  it('lexes like keepalived: # and ! anywhere outside quotes, braces glued to words, one-line blocks', () => {
    const text = [
      'vrrp_instance A{ ! comment after the brace',
      '  interface eth0',
      '  virtual_router_id 61',
      '  priority 120#c',
      '  authentication {',
      '    auth_type PASS',
      '    auth_pass ab#cd!e',
      '  }',
      '  virtual_ipaddress { 10.98.0.61 }',
      '  track_script { chk weight 10 }',
      '}',
      'vrrp_script chk { script "/bin/echo \\"x\\" #1"',
      '}',
    ].join('\n')
    const cfg = parseKeepalivedConf(text, {file: 'k.conf'})
    const v = cfg.vrrpInstances[0]
    assert.ok(v !== undefined)
    assert.equal(v.priority, 120)
    assert.equal(v.authentication?.authPass, 'ab')
    assert.deepEqual(v.virtualIpaddresses.map((x) => [x.address, x.line]), [['10.98.0.61', 9]])
    assert.deepEqual(v.trackScriptRefs.map((r) => [r.name, r.weight]), [['chk', 10]])
    assert.equal(cfg.vrrpScripts[0]?.script, '/bin/echo "x" #1')
  })

  it('applies $PARAM definitions, @conditional lines and continuation lines', () => {
    const text = ['$IFACE=ens3', '$VIP=192.0.2.5/24', 'vrrp_instance V {', '  interface $IFACE', '@lb1 priority 150', '@^lb1 priority 100', '  virtual_ipaddress {', '    ${VIP} \\', '      dev $IFACE', '  }', '}'].join('\n')
    const on = (id: string | undefined): KeepalivedConfig => parseKeepalivedConf(text, {file: 'k.conf', ...(id === undefined ? {} : {configId: id})})
    assert.equal(on('lb1').vrrpInstances[0]?.priority, 150)
    assert.equal(on('lb2').vrrpInstances[0]?.priority, 100)
    assert.equal(on('lb2').vrrpInstances[0]?.interface, 'ens3')
    assert.deepEqual(on('lb2').vrrpInstances[0]?.virtualIpaddresses.map((x) => [x.address, x.prefixLen, x.dev, x.line]), [['192.0.2.5', 24, 'ens3', 8]])
    const none = on(undefined)
    // no config id: no @ID line applies, every @^ID line does (as for an id matching none of them)
    assert.equal(none.vrrpInstances[0]?.priority, 100, '@^lb1 applies when there is no config id')
    assert.deepEqual(none.skippedConditionals.map((x) => x.line), [5])
    assert.deepEqual(on('lb1').skippedConditionals.map((x) => x.line), [6])
    assert.equal(none.warnings.length, 0)
  })

  it('keeps unknown directives with their place, never failing on them', () => {
    const text = 'frobnicate yes\nvrrp_instance V {\n  interface eth0\n  teleport_vip on\n  virtual_router_id 9\n}\nstatic_ipaddress {\n  192.0.2.1/24 dev eth0\n}\n'
    const cfg = parseKeepalivedConf(text, {file: 'k.conf'})
    assert.deepEqual(cfg.unknown, [
      {keyword: 'frobnicate', context: '', file: 'k.conf', line: 1},
      {keyword: 'teleport_vip', context: 'vrrp_instance V', file: 'k.conf', line: 4},
    ])
    assert.equal(cfg.vrrpInstances[0]?.virtualRouterId, 9)
  })

  it('skips a vrrp_script without a command with a warning, as keepalived does', () => {
    const cfg = parseKeepalivedConf('vrrp_script chk {\n  interval 2\n}\nvrrp_instance V {\n  track_script {\n    chk\n  }\n}\n', {file: 'k.conf'})
    assert.deepEqual(cfg.vrrpScripts, [])
    assert.deepEqual(cfg.warnings.map((w) => w.line), [1])
    const v = cfg.vrrpInstances[0]
    assert.ok(v !== undefined)
    assert.deepEqual(effectiveVrrp(v, cfg).missingScripts, ['chk'])
  })

  it('effectiveVrrp applies keepalived 2.2 adjustments (measured with keepalived -d)', () => {
    // Each case as keepalived -d printed it for the same instance.
    const cases: Array<[string, {advertIntS: number; priority: number; preempt: boolean}]> = [
      ['advert_int 1.4', {advertIntS: 1, priority: 100, preempt: true}],
      ['advert_int 2.5', {advertIntS: 3, priority: 100, preempt: true}],
      ['advert_int 0.5', {advertIntS: 1, priority: 100, preempt: true}],
      ['version 3\nadvert_int 0.333\npriority 300', {advertIntS: 0.33, priority: 100, preempt: true}],
      ['version 3\nadvert_int 0.005\npriority 0\nstate MASTER\nnopreempt', {advertIntS: 1, priority: 100, preempt: true}],
      ['state BACKUP\nnopreempt\npriority 90', {advertIntS: 1, priority: 90, preempt: false}],
    ]
    for (const [body, want] of cases) {
      const cfg = parseKeepalivedConf(`vrrp_instance X {\ninterface eth0\nvirtual_router_id 61\n${body}\n}\n`, {file: 'k.conf'})
      const v = cfg.vrrpInstances[0]
      assert.ok(v !== undefined)
      const eff = effectiveVrrp(v, cfg)
      assert.deepEqual({advertIntS: eff.advertIntS, priority: eff.priority, preempt: eff.preempt}, want, body)
    }
  })

  it('names file:line for malformed input', () => {
    const cases: Array<[string, RegExp]> = [
      ['vrrp_instance V {\n  priority 100\n', /^k\.conf:1$/], // never closed: where it opened
      ['global_defs {\n}\n}\n', /^k\.conf:3$/], // extra brace
      ['vrrp_instance V {\n  priority\n}\n', /^k\.conf:2$/], // missing value
      ['vrrp_instance V {\n  priority high\n}\n', /^k\.conf:2$/],
      ['vrrp_instance V {\n  advert_int\n}\n', /^k\.conf:2$/],
      ['vrrp_instance {\n}\n', /^k\.conf:1$/], // no name
      ['vrrp_instance V\nvrrp_script s {\n script x\n}\n', /^k\.conf:1$/], // no block
      ['vrrp_script s {\n  script "/bin/true\n}\n', /^k\.conf:2$/], // unterminated quote
      ['{\n}\n', /^k\.conf:1$/],
      ['virtual_server 10.0.0.1 {\n}\n', /^k\.conf:1$/],
      ['vrrp_instance A {\n}\nvrrp_instance A {\n}\n', /^k\.conf:3$/],
      ['include\n', /^k\.conf:1$/],
      ['global_defs {\n vrrp_version 4\n}\n', /^k\.conf:2$/],
    ]
    for (const [text, where] of cases) badInput(() => parseKeepalivedConf(text, {file: 'k.conf'}), where)
  })

  it('fuzzed input: returns a config or throws a HachaosError with file:line, nothing else', () => {
    const words = ['vrrp_instance', 'vrrp_script', 'global_defs', 'virtual_server', 'real_server', 'priority', 'state', 'MASTER', 'interface', 'eth0',
      'advert_int', '1', '0.5', 'x', '{', '}', '"', '#', '!', '\n', '\n', ' ', 'include', 'a.conf', 'track_script', 'virtual_ipaddress',
      '10.0.0.1/24', 'TCP_CHECK', 'authentication', 'auth_pass', '$V=1', '$V', '@lb1', '\\']
    const arb = fc.array(fc.oneof(fc.constantFrom(...words), fc.string({maxLength: 6})), {maxLength: 60}).map((a) => a.join(' '))
    fc.assert(
      fc.property(arb, (text) => {
        try {
          const cfg = parseKeepalivedConf(text, {file: 'f.conf', readInclude: () => text.slice(0, 40)})
          for (const v of cfg.vrrpInstances) {
            assert.ok(v.line >= 1)
            effectiveVrrp(v, cfg)
          }
        } catch (e) {
          if (!(e instanceof HachaosError)) throw e
          assert.equal(e.exitName, 'BAD_INPUT')
          assert.match(e.where ?? '', /^.+:\d+$/)
        }
      }),
      {numRuns: 2000},
    )
  })

  it('parses the samples shipped with keepalived (when installed) without throwing', (t) => {
    const dir = '/usr/share/doc/keepalived/samples'
    let names: string[]
    try {
      names = fsListInclude(`${dir}/keepalived.conf.*`)
    } catch {
      names = []
    }
    if (names.length === 0) {
      t.skip('keepalived samples not installed')
      return
    }
    let instances = 0
    for (const p of names) {
      const text = fsReadInclude(p)
      if (text === null) continue
      const cfg = parseKeepalivedConf(text, {file: p, configId: 'high'})
      instances += cfg.vrrpInstances.length + cfg.virtualServers.length
    }
    assert.ok(instances > 10, `only ${instances} instances/virtual servers in ${names.length} samples`)
  })
})
