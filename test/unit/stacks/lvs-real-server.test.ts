/**
 * The LVS real-server drill: the checker's timers read from the lab's keepalived.conf, the formulas of the
 * removal and the re-add, the IPVS watcher on real `ipvsadm -Ln` tables captured in the lab's guest (all
 * up, rs1 removed by TCP_CHECK, rs1 at weight 0), its memory bound, the drill's figures from a timeline, and
 * the plan a real-server drill runs (a backend loss; the lab's daemons restarted by their own command).
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseKeepalivedConf} from '../../../src/config/keepalived.js'
import type {FaultPlan, HostRef} from '../../../src/fault/types.js'
import type {InventoryHost} from '../../../src/inventory/inventory.js'
import type {FailoverMetrics, TimelineEvent} from '../../../src/store/run-types.js'
import {CHECKER_DEFAULTS, HTTP_DELAY_BEFORE_RETRY_S, checkerFor} from '../../../src/stacks/lvs/checker.js'
import {predictCheckerRemoval, predictReadd} from '../../../src/stacks/lvs/predict.js'
import {parseKeepalivedLine} from '../../../src/stacks/lvs/readers.js'
import {IpvsRealPoller, RealServerLive, TABLE_END, failModeOf, realServerPlan, withLabStart} from '../../../src/stacks/lvs/real-server.js'
import {readFixture} from '../../fixture.js'

const fx = (name: string): string => readFixture('lvs', name)
const VIP = '10.98.0.100'

function watcher(): {p: IpvsRealPoller; events: Array<Extract<TimelineEvent, {type: 'lb.server'}>>} {
  const events: Array<Extract<TimelineEvent, {type: 'lb.server'}>> = []
  const exec = {} as ConstructorParameters<typeof IpvsRealPoller>[0]
  const p = new IpvsRealPoller(exec, VIP, (e) => {
    if (e.type === 'lb.server') events.push(e)
  })
  return {p, events}
}

function feed(p: IpvsRealPoller, table: string, t: number): void {
  for (const l of table.split('\n')) p.line('stdout', l, t)
  p.line('stdout', TABLE_END, t)
}

describe('the checker of a real server, from keepalived.conf', () => {
  const cfg = parseKeepalivedConf(fx('dir1-keepalived-nosync.conf'), {file: 'dir1.conf'})

  it('the lab: TCP_CHECK with delay_loop 1, connect_timeout 1, retry 1, delay_before_retry 1', () => {
    const c = checkerFor(cfg, VIP, 80, '10.98.0.11')
    assert.ok(c !== null)
    assert.equal(c.kind, 'TCP_CHECK')
    assert.deepEqual([c.delayLoopS, c.connectTimeoutS, c.retry, c.delayBeforeRetryS], [1, 1, 1, 1])
    assert.match(c.where, /^dir1\.conf:\d+$/)
    assert.equal(checkerFor(cfg, VIP, 80, '10.98.0.99'), null)
    assert.equal(checkerFor(cfg, '10.98.0.200', 80, '10.98.0.11'), null)
  })

  it("keepalived's defaults, nb_get_retry and a checker's own delay_loop", () => {
    const text = [
      'virtual_server 10.0.0.100 80 {',
      '  delay_loop 6',
      '  real_server 10.0.0.21 80 {',
      '    HTTP_GET {',
      '      url {',
      '        path /',
      '        status_code 200',
      '      }',
      '      nb_get_retry 3',
      '    }',
      '  }',
      '  real_server 10.0.0.22 80 {',
      '    TCP_CHECK {',
      '      delay_loop 2',
      '    }',
      '  }',
      '  real_server 10.0.0.23 80 {',
      '  }',
      '}',
    ].join('\n')
    const c = parseKeepalivedConf(text, {file: 'k.conf'})
    const a = checkerFor(c, '10.0.0.100', 80, '10.0.0.21')
    // HTTP_GET's own default delay_before_retry is 3 s (keepalived check_http.c http_get_handler()), not the generic 1 s
    assert.deepEqual(a === null ? null : [a.kind, a.delayLoopS, a.connectTimeoutS, a.retry, a.delayBeforeRetryS], ['HTTP_GET', 6, CHECKER_DEFAULTS.connectTimeoutS, 3, HTTP_DELAY_BEFORE_RETRY_S])
    const b = checkerFor(c, '10.0.0.100', 80, '10.0.0.22')
    assert.deepEqual(b === null ? null : [b.delayLoopS, b.retry], [2, 1])
    assert.equal(checkerFor(c, '10.0.0.100', 80, '10.0.0.23'), null, 'no checker block: keepalived never removes it')
  })
})

describe('the formulas: removal and re-add', () => {
  const lab = {delayLoopS: 1, connectTimeoutS: 1, retry: 1, delayBeforeRetryS: 1}

  it('refused: U[0,1] + 2×0 + 1×1 = 1–2 s; blackhole: U[0,1] + 2×1 + 1×1 = 3–4 s (the lab measured 1.5–1.6 s and 4.09 s)', () => {
    const r = predictCheckerRemoval(lab, 'refused', 'rs1')
    assert.deepEqual([r.minMs, r.maxMs, r.metric], [1000, 2000, 'checkerRemovalMs'])
    const b = predictCheckerRemoval(lab, 'blackhole', 'rs1')
    assert.deepEqual([b.minMs, b.maxMs], [3000, 4000])
    assert.match(b.formula, /connect_timeout 1 s/)
  })

  it('re-add: U[0, delay_loop], plus a check in flight for a blackhole', () => {
    assert.deepEqual(predictReadd(lab, 'refused'), {minMs: 0, maxMs: 1000, formula: 'U[0, delay_loop 1 s] = 0–1.0 s'})
    assert.equal(predictReadd({delayLoopS: 6, connectTimeoutS: 3}, 'blackhole').maxMs, 9000)
  })
})

describe('the IPVS watcher on tables captured in the lab', () => {
  it('all up → rs1 removed by TCP_CHECK → rs1 at weight 0 → all up: one event per change', () => {
    const {p, events} = watcher()
    feed(p, fx('d1-ipvsadm-Ln-all-up.txt'), 1)
    assert.deepEqual(events.map((e) => `${e.backend} ${e.server} ${e.status}`), [
      'TCP 10.98.0.100:7 10.98.0.11:7 UP',
      'TCP 10.98.0.100:7 10.98.0.12:7 UP',
      'TCP 10.98.0.100:80 10.98.0.11:80 UP',
      'TCP 10.98.0.100:80 10.98.0.12:80 UP',
    ])
    feed(p, fx('d1-ipvsadm-Ln-all-up.txt'), 2)
    assert.equal(events.length, 4, 'an unchanged table emits nothing')
    feed(p, fx('d1-ipvsadm-Ln-rs1-down.txt'), 3)
    assert.deepEqual(events.slice(4).map((e) => [e.t, e.server, e.status]), [[3, '10.98.0.11:80', 'DOWN absent']])
    feed(p, fx('d2-ipvsadm-Ln-rs1-weight0.txt'), 4)
    assert.deepEqual(events.slice(5).map((e) => [e.t, e.server, e.status]), [[4, '10.98.0.11:80', 'DOWN weight 0']])
    feed(p, fx('d1-ipvsadm-Ln-all-up.txt'), 5)
    assert.deepEqual(events.slice(6).map((e) => [e.t, e.server, e.status]), [[5, '10.98.0.11:80', 'UP']])
    assert.equal(p.tables, 5)
  })

  it('memory: one status per (service, real server) and one table of lines, whatever the number of reads', () => {
    const {p, events} = watcher()
    const tables = [fx('d1-ipvsadm-Ln-all-up.txt'), fx('d1-ipvsadm-Ln-rs1-down.txt')]
    for (let i = 0; i < 2000; i++) feed(p, tables[i % 2] as string, i)
    assert.equal(p.tables, 2000)
    assert.equal(p.size(), 4)
    assert.equal(events.length, 4 + 1999)
    // a runaway output (no end line) is cut at MAX_TABLE_LINES
    for (let i = 0; i < 10_000; i++) p.line('stdout', 'x', 0)
    assert.equal(p.size(), 4 + IpvsRealPoller.MAX_TABLE_LINES)
  })

  it("keepalived's log of the same drills: removal and re-add lines", () => {
    const ev = fx('d1-keepalived-rs1-kill-nicdown.log')
      .split('\n')
      .map(parseKeepalivedLine)
      .filter((e) => e !== null)
    const kinds = ev.map((e) => `${e.kind} ${'real' in e ? e.real : ''}`)
    assert.ok(kinds.includes('rs-removed [10.98.0.11]:tcp:80'))
    assert.ok(kinds.includes('rs-added [10.98.0.11]:tcp:80'))
    assert.ok(kinds.includes('checker-failed [10.98.0.11]:tcp:80'))
  })
})

describe('the drill: figures from a timeline', () => {
  const base = {extra: {}} as unknown as FailoverMetrics
  const srv = {backend: 'TCP 10.98.0.100:80', server: '10.98.0.11:80'}
  const lb = (t: number, status: string): TimelineEvent => ({type: 'lb.server', t, host: 'hachaos', ...srv, status})
  const probe = (t: number, ok: boolean): TimelineEvent => ({type: 'probe', t, host: 'client', ok, latencyMs: 1, backend: null, error: ok ? null : 'refused'})
  const ms = 1000

  it('removal from the end of the inject, failed requests, the last one, and the re-add from the end of the revert', () => {
    const live = new RealServerLive({...srv, delayLoopMs: 1000})
    const events: TimelineEvent[] = [
      lb(0, 'UP'),
      {type: 'fault.inject', t: 1000 * ms, host: 'h', phase: 'before', fault: 'kill'},
      {type: 'fault.inject', t: 1100 * ms, host: 'h', phase: 'after', fault: 'kill'},
      probe(1200 * ms, false),
      probe(1300 * ms, true),
      probe(2400 * ms, false),
      lb(2700 * ms, 'DOWN absent'),
      probe(2800 * ms, true),
      {type: 'fault.revert', t: 5000 * ms, host: 'h', phase: 'before', fault: 'kill', ok: true},
      {type: 'fault.revert', t: 5200 * ms, host: 'h', phase: 'after', fault: 'kill', ok: true},
      lb(5900 * ms, 'UP'),
    ]
    assert.equal(live.steady(), false)
    for (const e of events.slice(0, 1)) live.observe(e)
    assert.equal(live.steady(), true)
    assert.equal(live.reacted(1000 * ms), false)
    for (const e of events.slice(1, 8)) live.observe(e)
    assert.equal(live.reacted(1000 * ms), true)
    assert.equal(live.settled(5000 * ms), false)
    for (const e of events.slice(8)) live.observe(e)
    assert.equal(live.settled(5000 * ms), true)
    assert.equal(live.size(), 1)
    const m = live.metrics(events, base, 1000 * ms, 5000 * ms)
    assert.deepEqual(m.extra, {
      injectMs: 100,
      revertMs: 200,
      checkerRemovalMs: 1600,
      realServerReaddMs: 700,
      failedRequests: 2,
      lastFailedRequestMs: 1300,
      failedRequestsAfterRemoval: 0,
      failedRequestsAfterRevert: 0,
    })
  })
})

describe('the plan of a real-server drill', () => {
  const host = (services: InventoryHost['services'], facts: Record<string, unknown>): InventoryHost =>
    ({name: 'rs1', address: '10.98.0.11', via: 'vm', vm_socket: '/x.sock', vm_netns: 'rs1', roles: ['lvs-real-server'], services, facts}) as InventoryHost
  const ref: HostRef = {name: 'rs1', entry: {address: '10.98.0.11', via: 'vm', roles: [], services: 'none', facts: {}}}
  const kill: FaultPlan = {
    kind: 'kill',
    target: 'rs1',
    summary: 'SIGKILL to httpd on rs1',
    effect: 'backend-loss',
    params: {process: 'httpd', signal: 'KILL', service: 'httpd'},
    inject: [{type: 'signal', host: ref, comm: 'httpd', signal: 'SIGKILL', what: 'SIGKILL to every httpd on rs1'}],
    revert: [{type: 'service', host: ref, service: 'httpd', op: 'start', what: 'start httpd on rs1'}],
    warnings: [],
  }

  it('no service control in the lab guest: the revert runs the lab_start command of the daemon', () => {
    const p = realServerPlan(kill, host('none', {lab_start: {httpd: ['httpd', '-p', '80', '-h', '/www/rs1']}}))
    assert.deepEqual(p.revert.map((a) => (a.type === 'exec' ? a.argv.join(' ') : a.type)), ['httpd -p 80 -h /www/rs1'])
    assert.equal(p.inject, kill.inject)
  })

  it("a director's keepalived: the lab's start command, the fault's own effect kept (a node loss)", () => {
    const ka: FaultPlan = {...kill, target: 'dir1', effect: 'node-loss', params: {process: 'keepalived', signal: 'KILL', service: 'keepalived'}, revert: [{type: 'service', host: ref, service: 'keepalived', op: 'start', what: 'start keepalived on dir1'}]}
    const p = withLabStart(ka, {...host('none', {lab_start: {keepalived: ['sh', '-c', 'x']}}), name: 'dir1'})
    assert.equal(p.effect, 'node-loss')
    assert.deepEqual(p.revert.map((a) => (a.type === 'exec' ? a.argv : a.type)), [['sh', '-c', 'x']])
  })

  it('systemd hosts keep their service start; a NIC fault is a backend loss too', () => {
    assert.deepEqual(realServerPlan(kill, host('systemd', {lab_start: {httpd: ['x']}})).revert, kill.revert)
    const nic = realServerPlan({...kill, kind: 'nic-down', effect: 'node-loss', params: {interface: 'eth0'}}, host('none', {}))
    assert.equal(nic.effect, 'backend-loss')
    assert.equal(failModeOf(nic), 'blackhole')
    assert.equal(failModeOf(kill), 'refused')
    assert.equal(failModeOf({...kill, params: {signal: 'STOP'}}), null, 'a stopped daemon still completes the handshake')
    // drop-port: a blackhole of the port the drill follows; another port's drop leaves the checked one answering
    assert.equal(failModeOf({...nic, kind: 'drop-port', params: {port: 80}}, 80), 'blackhole')
    assert.equal(failModeOf({...nic, kind: 'drop-port', params: {port: 7}}, 80), null)
  })
})
