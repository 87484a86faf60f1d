/** Heartbeat readers, prediction and figures, on the files and outputs of the real lab (test/fixtures/heartbeat). */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {activeAuthMethod, haCfTimers, hbTimeMs, parseAuthkeys, parseHaCf, parseHaresources, resourceVip} from '../../../src/config/heartbeat.js'
import {isHachaosError} from '../../../src/errors.js'
import {parseHbStatus, parseNodeStatus, parseRscStatus} from '../../../src/stacks/heartbeat/cl-status.js'
import {acquisitionSpansMs, haLogEvents, parseHaLogLine, releaseSpansMs} from '../../../src/stacks/heartbeat/ha-log.js'
import {HeartbeatLive} from '../../../src/stacks/heartbeat/live.js'
import {heartbeatFigures} from '../../../src/stacks/heartbeat/metrics.js'
import {nodeRole} from '../../../src/stacks/heartbeat/observe.js'
import {predictHeartbeat} from '../../../src/stacks/heartbeat/predict.js'
import type {TimelineEvent} from '../../../src/store/run-types.js'
import {readFixture} from '../../fixture.js'

const haCf = (): ReturnType<typeof parseHaCf> => parseHaCf(readFixture('heartbeat', 'ha.cf'), {file: 'ha.cf'})

describe('ha.cf reader', () => {
  it('reads the lab ha.cf: timers, ucast media, nodes, auto_failback, crm', () => {
    const c = haCf()
    assert.deepEqual(haCfTimers(c), {keepaliveMs: 200, warntimeMs: 600, deadtimeMs: 1000, initdeadMs: 2000})
    assert.equal(c.keepalive?.line, 7)
    assert.equal(c.udpport, 694)
    assert.deepEqual(c.media.map((m) => [m.type, m.dev, m.args.join(' ')]), [['ucast', 'eth0', '10.71.0.11'], ['ucast', 'eth0', '10.71.0.12']])
    assert.deepEqual(c.nodes.map((n) => n.name), ['hb1', 'hb2'])
    assert.equal(c.autoFailback?.value, 'off')
    assert.equal(c.crm?.value, 'no')
    assert.equal(c.stonith.length, 0)
  })

  it('reads the package sample (all commented out): Heartbeat defaults apply (config.c: keepalive 1 s, deadtime 30 s, warntime deadtime/2, initdead deadtime)', () => {
    const c = parseHaCf(readFixture('heartbeat', 'ha.cf.debian-sample'), {file: 'sample'})
    assert.equal(c.media.length, 0)
    assert.deepEqual(haCfTimers(c), {keepaliveMs: 1000, warntimeMs: 15_000, deadtimeMs: 30_000, initdeadMs: 30_000})
  })

  it('time values: bare seconds, fractions, ms, us', () => {
    assert.equal(hbTimeMs('5'), 5000)
    assert.equal(hbTimeMs('0.5'), 500)
    assert.equal(hbTimeMs('200ms'), 200)
    assert.equal(hbTimeMs('1500000us'), 1500)
    assert.equal(hbTimeMs('5 s'), undefined)
    assert.equal(hbTimeMs('fast'), undefined)
  })

  it('bcast and mcast lines; a bad time is BAD_INPUT at file:line', () => {
    const c = parseHaCf('bcast eth0 eth1\nmcast eth2 225.0.0.1 694 1 0\nserial /dev/ttyS0\n', {file: 'x'})
    assert.deepEqual(c.media.map((m) => `${m.type} ${m.dev}`), ['bcast eth0', 'bcast eth1', 'mcast eth2', 'serial /dev/ttyS0'])
    assert.throws(() => parseHaCf('node a\ndeadtime soon\n', {file: 'ha.cf'}), (e: unknown) => isHachaosError(e) && e.exitName === 'BAD_INPUT' && /ha\.cf:2/.test(e.message))
    assert.throws(() => parseHaCf('ucast eth0\n', {file: 'ha.cf'}), /ha\.cf:1/)
  })
})

describe('haresources and authkeys readers', () => {
  it('haresources of the lab: hb1 prefers IPaddr VIP then nginx', () => {
    const h = parseHaresources(readFixture('heartbeat', 'haresources'), {file: 'haresources'})
    assert.equal(h.groups.length, 1)
    const g = h.groups[0]
    assert.equal(g?.node, 'hb1')
    assert.equal(g?.line, 2)
    assert.deepEqual(g?.resources.map((r) => r.agent), ['IPaddr', 'nginx'])
    assert.equal(resourceVip(g?.resources[0] ?? {text: '', agent: '', args: []}), '10.71.0.100')
  })

  it('the package sample haresources (comments only) has no group; continuation lines join', () => {
    assert.equal(parseHaresources(readFixture('heartbeat', 'haresources.debian-sample'), {file: 's'}).groups.length, 0)
    const h = parseHaresources('n1 IPaddr::10.0.0.5 \\\n  httpd\n', {file: 'x'})
    assert.deepEqual(h.groups[0]?.resources.map((r) => r.text), ['IPaddr::10.0.0.5', 'httpd'])
  })

  it('authkeys: method read, secret never kept', () => {
    const text = readFixture('heartbeat', 'authkeys')
    const secret = (/^1 sha1 (\S+)/m.exec(text) ?? [])[1] ?? ''
    assert.ok(secret.length >= 20)
    const a = parseAuthkeys(text, {file: 'authkeys', mode: 0o600})
    assert.equal(activeAuthMethod(a), 'sha1')
    assert.equal(a.mode, 0o600)
    assert.ok(!JSON.stringify(a).includes(secret), 'the secret is redacted')
    // an error on a line with a secret does not show it
    assert.throws(
      () => parseAuthkeys(`auth 1\n1 bogus ${secret}\n`, {file: 'authkeys'}),
      (e: unknown) => isHachaosError(e) && !e.message.includes(secret) && /authkeys:2/.test(e.message),
    )
    assert.equal(parseAuthkeys(readFixture('heartbeat', 'authkeys.debian-sample'), {file: 's'}).keys.length, 0)
  })
})

describe('cl_status readers (real outputs)', () => {
  it('hbstatus, nodestatus, rscstatus', () => {
    assert.equal(parseHbStatus(readFixture('heartbeat', 'cl_status-hbstatus-running.txt')), true)
    assert.equal(parseHbStatus('Heartbeat is stopped on this machine.\n'), false)
    assert.throws(() => parseHbStatus('garbage'), /hbstatus/)
    assert.equal(parseNodeStatus(readFixture('heartbeat', 'cl_status-nodestatus-active.txt')), 'active')
    assert.equal(parseNodeStatus(readFixture('heartbeat', 'cl_status-nodestatus-dead.txt')), 'dead')
    assert.equal(parseRscStatus(readFixture('heartbeat', 'cl_status-rscstatus-hb1.txt')), 'local')
    assert.throws(() => parseRscStatus('maybe'), /rscstatus/)
  })

  it('a node role from its own view', () => {
    assert.equal(nodeRole('hb1', null), 'unreachable')
    assert.equal(nodeRole('hb1', {running: false, nodes: {}, resources: null}), 'stopped')
    assert.equal(nodeRole('hb1', {running: true, nodes: {hb1: 'active', hb2: 'active'}, resources: 'local'}), 'active')
    assert.equal(nodeRole('hb1', {running: true, nodes: {hb1: 'active', hb2: 'dead'}, resources: 'all'}), 'sees-hb2-dead')
  })
})

describe('ha-log reader (the lab log of a nic-down on hb1 and the reconnect)', () => {
  const hb2 = haLogEvents(readFixture('heartbeat', 'ha-log-nic-down-hb2.txt'), 2026)
  const hb1 = haLogEvents(readFixture('heartbeat', 'ha-log-nic-down-hb1.txt'), 2026)

  it('both line shapes, with their times', () => {
    const a = parseHaLogLine('Dec 04 20:21:07 hb2 heartbeat: [133]: WARN: node hb1: is dead', 2026)
    assert.equal(a?.kind, 'node-dead')
    assert.equal(a?.node, 'hb1')
    assert.equal(a?.level, 'warn')
    assert.equal(a?.atMs, new Date(2026, 11, 4, 20, 21, 7).getTime())
    const b = parseHaLogLine('2026/12/04_20:21:08  mach_down(default)[217]:    info: Taking over resource group IPaddr::10.71.0.100/24/eth0')
    assert.equal(b?.kind, 'takeover')
    assert.equal(b?.source, 'mach_down')
    assert.equal(parseHaLogLine('heartbeat: udpport setting must precede media statements'), null)
  })

  it('the takeover on hb2: dead → taking over → group started within the same few seconds', () => {
    const dead = hb2.find((e) => e.kind === 'node-dead' && e.node === 'hb1')
    const take = hb2.find((e) => e.kind === 'takeover')
    const done = hb2.find((e) => e.kind === 'takeover-complete')
    assert.ok(dead !== undefined && take !== undefined && done !== undefined)
    assert.ok(take.atMs - dead.atMs <= 2000)
    assert.ok(done.atMs >= take.atMs)
  })

  it('split brain on reconnect: both log "returning after partition", give up and restart', () => {
    for (const [log, peer] of [[hb1, 'hb2'], [hb2, 'hb1']] as const) {
      assert.ok(log.some((e) => e.kind === 'partition-return' && e.node === peer), `returning after partition of ${peer}`)
      assert.ok(log.some((e) => e.kind === 'giving-up'))
    }
    assert.ok(hb2.some((e) => e.kind === 'restart'))
    const late = hb2.find((e) => e.kind === 'late-heartbeat')
    assert.equal(late?.intervalMs, 8420)
    assert.ok(hb2.some((e) => e.kind === 'no-stonith'))
  })

  it('resource start spans (1 s resolution): the lab start and the takeover', () => {
    const spans = acquisitionSpansMs(hb2)
    assert.ok(spans.length >= 1)
    for (const s of spans) assert.ok(s >= 0 && s <= 10_000, `span ${s}`)
    // hb2's takeover: Acquiring 20:21:09 → nginx start 20:21:13
    assert.equal(spans[0], 4000)
  })

  it('apache2 as the resource (lab --resource apache2, nic-down on hb1): hb2 takes over, the start span ends at /etc/init.d/apache2 start', () => {
    const log = haLogEvents(readFixture('heartbeat', 'ha-log-nic-down-hb2-apache2.txt'))
    const dead = log.find((e) => e.kind === 'node-dead' && e.node === 'hb1')
    const take = log.find((e) => e.kind === 'takeover')
    assert.ok(dead !== undefined && take !== undefined && take.atMs >= dead.atMs)
    // Acquiring 03:33:58 → Running /etc/init.d/apache2 start 03:34:02 (the initial acquisition has no "Acquiring" line on hb2)
    assert.deepEqual(acquisitionSpansMs(log), [4000])
    assert.ok(log.some((e) => e.kind === 'partition-return' && e.node === 'hb1'))
    // the reconnect's give-up: Giving up … apache2 stop, IPaddr stop … relinquished
    assert.ok(releaseSpansMs(log).length >= 1)
  })

  it('release spans: hb1 gives up on reconnect (Giving up 20:21:19 → relinquished 20:21:22)', () => {
    assert.deepEqual(releaseSpansMs(hb1), [3000])
  })
})

describe('prediction', () => {
  it('node loss: deadtime + resource start, range deadtime − keepalive … + allowance', () => {
    const p = predictHeartbeat({haCf: haCf(), effect: 'node-loss', resourceStartMs: 4000})
    assert.equal(p.metric, 'relocationMs')
    assert.equal(p.takeoverMs, 5000)
    assert.equal(p.minMs, 800)
    assert.equal(p.maxMs, 5000 + 200 + 1300 + 1000)
    assert.match(p.formula, /deadtime 1 s \+ resource start 4\.0 s/)
  })
  it('graceful stop with the release in the ha-log: release + start, allowance over it', () => {
    const p = predictHeartbeat({haCf: haCf(), effect: 'graceful-stop', resourceStartMs: 2000, releaseMs: 3000})
    assert.equal(p.takeoverMs, 5000)
    assert.equal(p.maxMs, 5000 + 200 + 1300 + 2000)
    assert.equal(p.inputs['releaseMs'], 3000)
    assert.match(p.formula, /release 3\.0 s \(ha-log\) \+ resource start 2\.0 s/)
  })

  it('graceful stop: no deadtime; nginx loss: no relocation (v1 watches nodes only)', () => {
    assert.equal(predictHeartbeat({haCf: haCf(), effect: 'graceful-stop', resourceStartMs: 2000}).takeoverMs, 2000)
    assert.equal(predictHeartbeat({haCf: haCf(), effect: 'backend-loss', resourceStartMs: 2000}).takeoverMs, null)
    assert.equal(predictHeartbeat({haCf: haCf(), effect: 'node-loss', resourceStartMs: null}).takeoverMs, 2000)
  })
})

const S = 1_000_000
const owner = (t: number, owners: string[]): TimelineEvent => ({type: 'vip.owner', t: t * S, host: 'hachaos', owners})
const probe = (t: number, ok: boolean): TimelineEvent => ({type: 'probe', t: t * S, host: 'client', ok, latencyMs: 1, backend: null, error: ok ? null : 'timeout'})

describe('figures: relocation, split brain, second outage on reconnect', () => {
  // fault at 100, VIP also on hb2 at 105.5 (hb1 keeps it), revert at 110, both give up 112/114, hb1 again at 140
  const events: TimelineEvent[] = [
    owner(90, ['hb1']),
    probe(99, true),
    owner(105.5, ['hb1', 'hb2']),
    owner(112, ['hb1']),
    probe(113, true),
    owner(114, []),
    probe(114.5, false),
    probe(139, false),
    owner(140, ['hb1']),
    probe(140.5, true),
    {type: 'arp', t: 105.6 * S, host: 'client', op: 'request', sip: '10.71.0.100', smac: '02:48:42:71:00:0c', tip: '10.71.0.100', garp: true},
  ]
  it('computes each figure', () => {
    const f = heartbeatFigures(events, {faultAtUs: 100 * S, revertAtUs: 110 * S, oldOwner: 'hb1', vip: '10.71.0.100', oldMac: '02:48:42:71:00:0b'})
    assert.equal(f.newOwner, 'hb2')
    assert.equal(f.extra.relocationMs, 5500)
    assert.equal(f.extra.vipRemovedMs, null, 'the isolated node kept the VIP')
    assert.equal(f.extra.splitBrainMs, 6500)
    assert.equal(f.extra.reconnectNoOwnerMs, 26_000)
    assert.equal(f.extra.reconnectOutageMs, 26_000)
    assert.equal(f.extra.finalOwnerCount, 1)
    assert.equal(f.garpMs, 5600)
    // the VIP is on hb1 alone at 112 (2 s after the revert): that is the group back home
    assert.equal(f.extra.failbackMs, 2000)
  })

  it('failback: null when the group stays on the new node (auto_failback off), the time when it comes home', () => {
    const stay = [owner(90, ['hb1']), owner(104, ['hb2']), owner(112, ['hb2'])]
    assert.equal(heartbeatFigures(stay, {faultAtUs: 100 * S, revertAtUs: 110 * S, oldOwner: 'hb1', vip: null, oldMac: null}).extra.failbackMs, null)
    const home = [owner(90, ['hb1']), owner(104, ['hb2']), owner(111, ['hb2']), owner(113.5, []), owner(114.2, ['hb1'])]
    const f = heartbeatFigures(home, {faultAtUs: 100 * S, revertAtUs: 110 * S, oldOwner: 'hb1', vip: null, oldMac: null})
    assert.equal(f.extra.failbackMs, 4200)
    assert.equal(f.extra.reconnectNoOwnerMs, 700)
  })

  it('live hooks: reacted on the move; settled only after one owner and both active for stableMs', () => {
    const live = new HeartbeatLive({effect: 'node-loss', predicted: true, oldOwner: 'hb1', nodes: ['hb1', 'hb2'], settleWaitMs: 1000, stableMs: 0, figures: {vip: null, oldMac: null}})
    live.observe(owner(90, ['hb1']))
    assert.equal(live.reacted(100 * S), false)
    live.observe(owner(105.5, ['hb1', 'hb2']))
    assert.equal(live.reacted(100 * S), true)
    live.observe({type: 'cluster', t: 111 * S, host: 'hb1', resource: '@node:hb1', node: 'hb1', role: 'active'})
    live.observe({type: 'cluster', t: 111 * S, host: 'hb2', resource: '@node:hb2', node: 'hb2', role: 'active'})
    assert.equal(live.settled(110 * S), false, 'two owners')
    live.observe(owner(140, ['hb1']))
    assert.equal(live.settled(110 * S), true)
    live.observe({type: 'cluster', t: 141 * S, host: 'hb2', resource: '@node:hb2', node: 'hb2', role: 'stopped'})
    assert.equal(live.settled(110 * S), false)
    assert.ok(live.size() <= 5)
  })
})
