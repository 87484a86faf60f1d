/**
 * The Heartbeat readers and doctor rules on files we did not write: Heartbeat's own sample ha.cf, haresources
 * and authkeys (test/fixtures/heartbeat-upstream/, verbatim), the example lines of those samples and the
 * ha.cf(5) man page's examples (excerpt files, each saying so), checked against what heartbeat's config.c
 * does with them: its defaults, its booleans, its IPv6 media, its refusals.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {activeAuthMethod, haCfTimers, parseAuthkeys, parseHaCf, parseHaresources, resourceVip} from '../../../src/config/heartbeat.js'
import {addSource, notAConfig} from '../../../src/doctor/collect.js'
import {runDoctor} from '../../../src/doctor/index.js'
import {type Finding, type HostConfigs, emptyHost} from '../../../src/doctor/types.js'
import {isHachaosError} from '../../../src/errors.js'
import {acquisitionSpansMs, haLogEvents, parseHaLogLine, releaseSpansMs} from '../../../src/stacks/heartbeat/ha-log.js'
import {haresourcesServices} from '../../../src/stacks/heartbeat/lab/resource.js'
import {commPaths, HEARTBEAT_RULES} from '../../../src/stacks/heartbeat/rules.js'
import {renderDoctorText} from '../../../reports/doctor-text.js'
import {readFixture} from '../../fixture.js'

const up = (name: string): string => readFixture('heartbeat-upstream', name)

function host(files: {hacf?: string; haresources?: string; authkeys?: string}, authMode?: number): HostConfigs {
  const h = emptyHost('local')
  if (files.hacf !== undefined) addSource(h, 'hacf', files.hacf, up(files.hacf))
  if (files.haresources !== undefined) addSource(h, 'haresources', files.haresources, up(files.haresources))
  if (files.authkeys !== undefined) addSource(h, 'authkeys', files.authkeys, up(files.authkeys), authMode === undefined ? {} : {mode: authMode})
  return h
}

const run = (h: HostConfigs): Finding[] => runDoctor({hosts: [h]}, {rules: HEARTBEAT_RULES}).findings
/** "rule @file:line: message" of every finding, sorted. */
const all = (f: Finding[]): string[] => f.map((x) => `${x.rule} @${x.evidence.map((e) => `${e.file ?? ''}:${e.line ?? ''}`).join(',')}: ${x.message}`).sort()

describe('Heartbeat\'s sample files, verbatim (doc/ha.cf, doc/haresources, doc/authkeys)', () => {
  it('ha.cf: everything commented out but logfacility and auto_failback on; heartbeat\'s defaults apply (keepalive 1 s, deadtime 30 s, warntime 15 s, initdead 30 s)', () => {
    const c = parseHaCf(up('ha.cf'), {file: 'ha.cf'})
    assert.deepEqual(haCfTimers(c), {keepaliveMs: 1000, warntimeMs: 15_000, deadtimeMs: 30_000, initdeadMs: 30_000})
    assert.equal(c.media.length, 0)
    assert.equal(c.nodes.length, 0)
    assert.deepEqual([c.autoFailback?.value, c.autoFailback?.line], ['on', 157])
    assert.deepEqual(c.directives['logfacility']?.map((d) => [d.value, d.line]), [['local0', 34]])
  })

  it('haresources and authkeys are all comments: read as "nothing set" (not refused as not-a-config)', () => {
    assert.equal(notAConfig('haresources', 'haresources', up('haresources')), null)
    assert.equal(notAConfig('authkeys', 'authkeys', up('authkeys')), null)
    assert.equal(parseHaresources(up('haresources'), {file: 'haresources'}).groups.length, 0)
    const a = parseAuthkeys(up('authkeys'), {file: 'authkeys'})
    assert.equal(a.auth, undefined)
    assert.equal(a.keys.length, 0)
    // another kind given a comments-only file is still refused, and says so correctly (it was "the file is empty")
    const e = notAConfig('keepalived', 'authkeys', up('authkeys'))
    assert.equal(e?.where, 'authkeys:1')
    assert.match(e?.message ?? '', /found no global_defs, vrrp_instance.* \(only comments and blank lines\)$/)
    assert.match(notAConfig('haresources', 'h', '') ?.message ?? '', /h:1: not a Heartbeat haresources: found no "NODE RESOURCE…" line \(the file is empty\)$/)
  })

  it('doctor on the three: what heartbeat itself would say (no media, no auth) plus auto_failback on, no STONITH, initdead = deadtime', () => {
    assert.deepEqual(all(run(host({hacf: 'ha.cf', haresources: 'haresources', authkeys: 'authkeys'}, 0o600))), [
      'heartbeat-authkeys-weak @authkeys:1: authkeys has no "auth N" line',
      'heartbeat-auto-failback-on @ha.cf:157: auto_failback on: every return of the preferred node moves the resources back (one more outage)',
      'heartbeat-initdead-short @ha.cf:1: initdead 30 s (not set: heartbeat derives it from deadtime) < 2 × deadtime 30 s',
      'heartbeat-no-stonith @ha.cf:1: no stonith / stonith_host in ha.cf: a partition leaves the resources on both nodes',
      'heartbeat-single-path @ha.cf:1: no medium at all (no ucast, bcast, mcast, ucast6, mcast6 or serial line): heartbeat refuses to start ("No heartbeat media defined")',
    ])
  })

  it('the text report prints the heartbeat findings (they were counted in the summary but never listed)', () => {
    const report = runDoctor({hosts: [host({hacf: 'ha.cf'})]}, {rules: HEARTBEAT_RULES})
    const text = renderDoctorText(report, {color: false})
    assert.match(text, /^heartbeat$/m)
    assert.match(text, /^ {2}WARNING heartbeat-auto-failback-on /m)
    assert.match(text, /^ {8}at ha\.cf:157 {2}auto_failback on$/m)
  })
})

describe('the samples\' example lines and the ha.cf(5) examples (excerpt files)', () => {
  it('ha.cf.sample-examples: keepalive 2, deadtime 30, warntime 10, initdead 120; serial + bcast eth0/eth1/eth2 + mcast + ucast = 4 paths; 2 nodes; no timer finding', () => {
    const c = parseHaCf(up('ha.cf.sample-examples'), {file: 'x'})
    assert.deepEqual(haCfTimers(c), {keepaliveMs: 2000, warntimeMs: 10_000, deadtimeMs: 30_000, initdeadMs: 120_000})
    assert.deepEqual([c.keepalive?.line, c.deadtime?.line, c.warntime?.line, c.initdead?.line], [4, 5, 6, 7])
    assert.equal(c.udpport, 694)
    assert.deepEqual(c.media.map((m) => `${m.type} ${m.dev} ${m.args.join(' ')}`.trim()), ['serial /dev/ttyS0', 'bcast eth0', 'bcast eth1', 'bcast eth2', 'mcast eth0 225.0.0.1 694 1 0', 'ucast eth0 192.168.1.2'])
    assert.deepEqual(commPaths(c), ['/dev/ttyS0 (serial)', 'eth0 (bcast, mcast, ucast)', 'eth1 (bcast)', 'eth2 (bcast)'])
    assert.deepEqual(c.nodes.map((n) => `${n.name}@${n.line}`), ['ken3@18', 'kathy@19'])
    assert.deepEqual(c.stonith.map((s) => s.directive), ['stonith_host'])
    assert.deepEqual(all(run(host({hacf: 'ha.cf.sample-examples'}))), ['heartbeat-auto-failback-on @ha.cf.sample-examples:15: auto_failback on: every return of the preferred node moves the resources back (one more outage)'])
  })

  it('ha.cf.man-examples: ucast6 and mcast6 are media (two paths: eth0, eth1); warntime 10 and initdead 30 read, keepalive/deadtime defaults', () => {
    const c = parseHaCf(up('ha.cf.man-examples'), {file: 'm'})
    assert.deepEqual(c.media.map((m) => `${m.type} ${m.dev} ${m.args.join(' ')}`.trim()), ['bcast eth0', 'bcast eth1', 'mcast eth0 239.0.0.1 694 1 0', 'mcast6 eth0 ff12::1:2:3:4 694 1 0', 'ucast eth0 10.10.10.133', 'ucast6 eth1 fe80::5054:ff:fe29:3949'])
    assert.deepEqual(commPaths(c), ['eth0 (bcast, mcast, mcast6, ucast)', 'eth1 (bcast, ucast6)'])
    assert.deepEqual(haCfTimers(c), {keepaliveMs: 1000, warntimeMs: 10_000, deadtimeMs: 30_000, initdeadMs: 30_000})
    assert.deepEqual(all(run(host({hacf: 'ha.cf.man-examples'}))), [
      'heartbeat-auto-failback-on @ha.cf.man-examples:1: auto_failback not set: Heartbeat\'s default is legacy, which moves the resources back to the preferred node on every return (and heartbeat warns "Deprecated \'legacy\' auto_failback option selected")',
      'heartbeat-initdead-short @ha.cf.man-examples:5: initdead 30 s < 2 × deadtime 30 s',
      'heartbeat-no-stonith @ha.cf.man-examples:1: no stonith / stonith_host in ha.cf: a partition leaves the resources on both nodes',
    ])
  })

  it('haresources.examples: a bare address is an IPaddr resource (also with /28/eth0/broadcast); the VIP and the services of each line', () => {
    const h = parseHaresources(up('haresources.examples'), {file: 'h'})
    assert.deepEqual(h.groups.map((g) => [g.node, g.line, g.resources.map((r) => r.agent).join(' ')]), [
      ['just.linux-ha.org', 4, 'IPaddr'],
      ['just.linux-ha.org', 5, 'IPaddr http'],
      ['just.linux-ha.org', 6, 'IPaddr IPaddr IPaddr httpd'],
      ['just.linux-ha.org', 7, 'IPaddr httpd'],
      ['node1', 8, 'IPaddr Filesystem'],
    ])
    assert.deepEqual(h.groups.map((g) => g.resources.map(resourceVip).filter((v) => v !== null)), [['135.9.216.110'], ['135.9.216.110'], ['135.9.216.110', '135.9.215.111', '135.9.216.112'], ['135.9.216.3'], ['10.0.0.170']])
    assert.deepEqual(h.groups[4]?.resources[1]?.args, ['/dev/sda1', '/data1', 'ext2'])
    const line7 = up('haresources.examples').split('\n').slice(6, 7).join('\n')
    assert.deepEqual(haresourcesServices(line7, 'h').services, ['httpd'])
  })

  it('authkeys.example: auth 1 selects key 1, crc: no authentication (the secrets are never kept)', () => {
    const a = parseAuthkeys(up('authkeys.example'), {file: 'a'})
    assert.equal(activeAuthMethod(a), 'crc')
    assert.deepEqual(a.keys.map((k) => `${k.index} ${k.method} ${k.secret}`), ['1 crc <redacted>', '2 sha1 <redacted>', '3 md5 <redacted>'])
    assert.ok(!JSON.stringify(a).includes('HI!') && !JSON.stringify(a).includes('Hello!'))
    assert.deepEqual(all(run(host({authkeys: 'authkeys.example'}, 0o600))), ['heartbeat-authkeys-weak @authkeys.example:3: authkeys uses crc: no authentication'])
  })

  it('haresources preferring a node ha.cf does not list: heartbeat refuses to start ("Bad nodename in haresources")', () => {
    const f = run(host({hacf: 'ha.cf.sample-examples', haresources: 'haresources.examples'})).filter((x) => x.rule === 'heartbeat-haresources-unknown-node')
    assert.deepEqual(f.map((x) => x.evidence.map((e) => `${e.file ?? ''}:${e.line ?? ''}`).join(',')), ['haresources.examples:4,ha.cf.sample-examples:18', 'haresources.examples:5,ha.cf.sample-examples:18', 'haresources.examples:6,ha.cf.sample-examples:18', 'haresources.examples:7,ha.cf.sample-examples:18', 'haresources.examples:8,ha.cf.sample-examples:18'])
    assert.equal(f[4]?.message, 'haresources line 8 prefers node "node1", which is not a node of ha.cf.sample-examples (ken3, kathy): heartbeat refuses to start')
    assert.equal(f[0]?.severity, 'error')
    // node names are compared as heartbeat does (lower-cased); crm on: haresources is not read
    const h = emptyHost('x')
    addSource(h, 'hacf', 'ha.cf', 'node HB1\nnode hb2\nucast eth0 10.0.0.2\n')
    addSource(h, 'haresources', 'haresources', 'hb1 10.0.0.50 nginx\n')
    assert.equal(run(h).filter((x) => x.rule === 'heartbeat-haresources-unknown-node').length, 0)
    const p = emptyHost('y')
    addSource(p, 'hacf', 'ha.cf', 'node a\nnode b\nucast eth0 10.0.0.2\ncrm respawn\n')
    addSource(p, 'haresources', 'haresources', 'c 10.0.0.50\n')
    assert.equal(run(p).filter((x) => x.rule === 'heartbeat-haresources-unknown-node').length, 0)
  })
})

describe('heartbeat\'s own rules for values (config.c)', () => {
  const timers = (text: string): ReturnType<typeof haCfTimers> => haCfTimers(parseHaCf(text, {file: 'ha.cf'}))
  const fired = (id: string, text: string): string[] => {
    const h = emptyHost('n')
    addSource(h, 'hacf', 'ha.cf', text)
    return run(h).filter((x) => x.rule === id).map((x) => x.message)
  }

  it('warntime defaults to deadtime / 2, initdead to deadtime (> 10 s), 12 s (< 6 s) or 2 × deadtime', () => {
    assert.deepEqual(timers('deadtime 8\n'), {keepaliveMs: 1000, warntimeMs: 4000, deadtimeMs: 8000, initdeadMs: 16_000})
    assert.deepEqual(timers('deadtime 5\n'), {keepaliveMs: 1000, warntimeMs: 2500, deadtimeMs: 5000, initdeadMs: 12_000})
    assert.deepEqual(timers('deadtime 15\n'), {keepaliveMs: 1000, warntimeMs: 7500, deadtimeMs: 15_000, initdeadMs: 15_000})
    // false positive before: a fixed default warntime of 10 s was "≥ deadtime 8 s"
    assert.deepEqual(fired('heartbeat-warntime-not-below-deadtime', 'deadtime 8\n'), [])
    // missed before: a fixed default initdead of 30 s was "≥ 2 × 15 s"
    assert.deepEqual(fired('heartbeat-initdead-short', 'deadtime 15\n'), ['initdead 15 s (not set: heartbeat derives it from deadtime) < 2 × deadtime 15 s'])
    assert.deepEqual(fired('heartbeat-initdead-short', 'deadtime 10\ninitdead 8\n'), ['initdead 8 s < 2 × deadtime 10 s: below deadtime, heartbeat refuses to start ("Initial dead time … is smaller than deadtime")'])
  })

  it('deadtime ≤ 2 × keepalive is refused by heartbeat; keepalive defaults to 1 s', () => {
    assert.deepEqual(fired('heartbeat-deadtime-short', 'deadtime 3\n'), [], 'deadtime 3 s > 2 × the default keepalive 1 s (a false positive with the old 2 s default)')
    assert.deepEqual(fired('heartbeat-deadtime-short', 'deadtime 2\n'), ['deadtime 2 s ≤ 2 × keepalive 1 s (default): heartbeat refuses to start'])
    assert.deepEqual(fired('heartbeat-deadtime-short', 'keepalive 500ms\ndeadtime 1\n'), ['deadtime 1 s ≤ 2 × keepalive 0.5 s: heartbeat refuses to start'])
  })

  it('auto_failback takes any of heartbeat\'s booleans (true/on/yes/y/1, false/off/no/n/0, any case) or legacy; legacy and a missing line fail back', () => {
    const af = (v: string): string | undefined => parseHaCf(`auto_failback ${v}\n`, {file: 'ha.cf'}).autoFailback?.value
    assert.deepEqual(['y', '1', 'Yes', 'TRUE', 'on'].map(af), ['on', 'on', 'on', 'on', 'on'])
    assert.deepEqual(['n', '0', 'No', 'false', 'off'].map(af), ['off', 'off', 'off', 'off', 'off'])
    assert.equal(af('Legacy'), 'legacy')
    assert.throws(() => parseHaCf('node a\nauto_failback maybe\n', {file: 'ha.cf'}), (e: unknown) => isHachaosError(e) && /ha\.cf:2: .*auto_failback "maybe"/.test(e.message))
    assert.equal(fired('heartbeat-auto-failback-on', 'auto_failback legacy\n').length, 1)
    assert.equal(fired('heartbeat-auto-failback-on', 'auto_failback n\n').length, 0)
    assert.equal(fired('heartbeat-auto-failback-on', 'crm respawn\nnode a\n').length, 0, 'Pacemaker manages the resources: auto_failback unused')
  })

  it('the obsolete nice_failback: heartbeat reads "on" and "off" alike as auto_failback legacy (off after an auto_failback line)', () => {
    const af = (text: string): string => {
      const c = parseHaCf(text, {file: 'ha.cf'})
      return `${c.autoFailback?.value ?? ''}@${c.autoFailback?.line ?? ''}`
    }
    assert.equal(af('nice_failback on\n'), 'legacy@1')
    assert.equal(af('nice_failback off\n'), 'legacy@1')
    assert.equal(af('auto_failback on\nnice_failback on\n'), 'off@2')
    assert.deepEqual(fired('heartbeat-auto-failback-on', 'nice_failback on\n'), ['auto_failback legacy (heartbeat reads the obsolete nice_failback line so, on or off) moves the resources back to the preferred node on every return (and heartbeat warns "Deprecated \'legacy\' auto_failback option selected")'])
  })

  it('times: "5s" and a keepalive/warntime of 0 are refused at file:line, as heartbeat refuses them', () => {
    assert.throws(() => parseHaCf('node a\ndeadtime 5s\n', {file: 'ha.cf'}), (e: unknown) => isHachaosError(e) && /ha\.cf:2: .*no "s" unit/.test(e.message))
    assert.throws(() => parseHaCf('keepalive 0\n', {file: 'ha.cf'}), (e: unknown) => isHachaosError(e) && /ha\.cf:1: keepalive 0: must be above 0/.test(e.message))
    assert.equal(parseHaCf('deadtime 1500ms\ninitdead 0\n', {file: 'ha.cf'}).initdead?.ms, 0)
  })
})

describe('ha-log: every line shape cluster-glue\'s cl_log writes (heartbeat logs through it)', () => {
  it('the example line in cl_log.c, and the same message through syslog, in syslog_logfilefmt-off files and with no level', () => {
    // cl_log.c's own comment on its file format: "Jul 14 21:45:18 beam logd: [1056]: info: setting log file to /dev/null"
    const a = parseHaLogLine('Jul 14 21:45:18 beam logd: [1056]: info: setting log file to /dev/null', 2026)
    assert.deepEqual([a?.source, a?.level, a?.message, a?.atMs], ['logd', 'info', 'setting log file to /dev/null', new Date(2026, 6, 14, 21, 45, 18).getTime()])
    // print_logline (syslog_logfilefmt off, and Heartbeat 2.x's ha-log): "%s[%d]: %s " entity, pid, YYYY/MM/DD_HH:MM:SS, then "pri: msg"
    const b = parseHaLogLine('heartbeat[2872]: 2008/06/10_16:25:05 WARN: node node2: is dead')
    assert.deepEqual([b?.kind, b?.node, b?.source, b?.level, b?.atMs], ['node-dead', 'node2', 'heartbeat', 'warn', new Date(2008, 5, 10, 16, 25, 5).getTime()])
    // syslog (logfacility): the scripts' tag is PROG[PID]
    const c = parseHaLogLine('May  9 12:10:40 gw2 ResourceManager[26976]: info: Acquiring resource group: gw2 IPaddr2::1.2.3.4', 2026)
    assert.deepEqual([c?.kind, c?.node, c?.source, c?.atMs], ['acquiring', 'gw2', 'ResourceManager', new Date(2026, 4, 9, 12, 10, 40).getTime()])
    // cl_direct_log without a priority string: no "LEVEL: "
    assert.equal(parseHaLogLine('Dec 04 20:21:07 hb2 heartbeat: [133]: node hb1: is dead', 2026)?.kind, 'node-dead')
  })

  it('the lab\'s nic-down log rewritten into the syslog_logfilefmt-off and syslog shapes reads the same events and the same spans', () => {
    const text = readFixture('heartbeat', 'ha-log-nic-down-hb2.txt')
    const rewritten = text
      .split('\n')
      .map((l) => {
        const hb = /^([A-Z][a-z]{2}) (\d\d) (\d\d:\d\d:\d\d) \S+ (\S+): \[(\d+)\]: (.*)$/.exec(l)
        if (hb !== null) return `${hb[4] ?? ''}[${hb[5] ?? ''}]: 2026/12/${hb[2] ?? ''}_${hb[3] ?? ''} ${hb[6] ?? ''}`
        const ra = /^\d{4}\/\d\d\/(\d\d)_(\d\d:\d\d:\d\d)\s+(\S+\[\d+\]):\s+(.*)$/.exec(l)
        if (ra !== null) return `Dec ${ra[1] ?? ''} ${ra[2] ?? ''} hb2 ${ra[3] ?? ''}: ${ra[4] ?? ''}`
        return l
      })
      .join('\n')
    assert.notEqual(rewritten, text)
    const shape = (t: string): string[] => haLogEvents(t, 2026).map((e) => `${e.atMs} ${e.kind ?? ''} ${e.node ?? ''} ${e.message}`)
    const before = shape(text)
    assert.ok(before.length >= 10, `${before.length} events`)
    assert.deepEqual(shape(rewritten), before)
    const spans = (t: string): number[][] => [acquisitionSpansMs(haLogEvents(t, 2026)), releaseSpansMs(haLogEvents(t, 2026))]
    assert.deepEqual(spans(rewritten), spans(text))
    assert.ok((spans(text)[0] ?? []).length > 0)
  })
})
