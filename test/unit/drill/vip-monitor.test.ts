/**
 * The VIP owner monitor of a watch (src/drill/pollers.ts VipOwnerMonitor): `ip -o monitor address` lines
 * (a real capture of iproute2 on Debian 12, test/fixtures/ip-monitor/), one reading at start and every
 * reconcileMs, two holders only when they last confirmMs, a monitor that exits started again. The executor
 * is a stand-in (pure logic): its `ip addr` answers from a table, its monitors are fed by the test.
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import {VipOwnerMonitor, parseMonitorLine} from '../../../src/drill/pollers.js'
import type {ExecResult, Executor, OutputLine, Spawned, SpawnOptions} from '../../../src/exec/types.js'
import type {TimelineEvent} from '../../../src/store/run-types.js'
import {sleep} from '../../../src/time.js'

const fixture = readFileSync(new URL('../../../../test/fixtures/ip-monitor/address-o.txt', import.meta.url), 'utf8').split('\n').filter((l) => l !== '')

class FakeHost implements Executor {
  readonly kind = 'local' as const
  addrs = new Set<string>()
  monitors: Array<{onLine: (l: OutputLine) => void; exit: (code: number) => void}> = []
  spawns = 0
  constructor(readonly host: string) {}
  describe(): string {
    return this.host
  }
  command(argv: string[]): string[] {
    return argv
  }
  private result(argv: string[], stdout: string, code = 0): ExecResult {
    return {host: this.host, argv, code, signal: null, stdout, stderr: '', t0: 0, t1: 0, timedOut: false}
  }
  async run(argv: string[]): Promise<ExecResult> {
    const out = [...this.addrs].map((a) => `2: eth0    inet ${a}/32 scope global eth0\\       valid_lft forever preferred_lft forever`).join('\n')
    return this.result(argv, out)
  }
  spawn(argv: string[], opts: SpawnOptions = {}): Spawned {
    this.spawns++
    let resolve: (r: ExecResult) => void = () => undefined
    const done = new Promise<ExecResult>((r) => (resolve = r))
    const m = {onLine: (l: OutputLine) => opts.onLine?.(l), exit: (code: number) => resolve(this.result(argv, '', code))}
    this.monitors.push(m)
    return {host: this.host, argv, pid: 1, done, lines: () => ({[Symbol.asyncIterator]: () => ({next: async () => ({value: undefined, done: true as const})})}), stop: async () => {
      m.exit(143)
      return done
    }}
  }
  async pidsOf(): Promise<number[]> {
    return []
  }
  async readFile(): Promise<string> {
    return ''
  }
  /** The monitor reports a line now (the kernel's notification, read at `t`). */
  line(text: string, t: number): void {
    this.monitors.at(-1)?.onLine({stream: 'stdout', text, t})
  }
}

const VIP = '10.99.0.5'
const add = (dev: string): string => `3: ${dev}    inet ${VIP}/32 scope global ${dev}\\       valid_lft forever preferred_lft forever`
const del = (dev: string): string => `Deleted ${add(dev)}`

function setup(o: {confirmMs?: number; restartMs?: number} = {}): {lb1: FakeHost; lb2: FakeHost; events: Array<Extract<TimelineEvent, {type: 'vip.owner'}>>; m: VipOwnerMonitor} {
  const lb1 = new FakeHost('lb1')
  const lb2 = new FakeHost('lb2')
  lb1.addrs.add(VIP)
  const events: Array<Extract<TimelineEvent, {type: 'vip.owner'}>> = []
  const m = new VipOwnerMonitor([{name: 'lb1', exec: lb1}, {name: 'lb2', exec: lb2}], VIP, 'hachaos', (e) => e.type === 'vip.owner' && events.push(e), {reconcileMs: 60_000, confirmMs: o.confirmMs ?? 50, restartMs: o.restartMs ?? 30})
  return {lb1, lb2, events, m}
}

describe('ip -o monitor address lines', () => {
  it('parses the real capture: adds, a deletion, IPv6 (tentative, then settled); other lines are null', () => {
    assert.deepEqual(fixture.map(parseMonitorLine), [
      {deleted: false, dev: 'lo', address: '10.99.0.5'},
      {deleted: false, dev: 'd0', address: '10.99.0.6'},
      {deleted: true, dev: 'lo', address: '10.99.0.5'},
      {deleted: false, dev: 'lo', address: 'fd00::5'},
      {deleted: false, dev: 'lo', address: 'fd00::5'},
    ])
    assert.equal(parseMonitorLine('2: eth0    link/ether 52:54:00:12:34:56'), null)
    assert.equal(parseMonitorLine(''), null)
  })
})

describe('VipOwnerMonitor', () => {
  it('one monitor per host for the whole watch; the first reading names the holder; a move is two events stamped by the lines', async () => {
    const {lb1, lb2, events, m} = setup()
    m.start()
    await sleep(20)
    assert.equal(lb1.spawns + lb2.spawns, 2)
    assert.deepEqual(events.map((e) => e.owners), [['lb1']])
    lb1.line(del('eth0'), 1_000)
    lb2.line(add('eth0'), 1_200)
    await m.stop()
    assert.deepEqual(events.slice(1).map((e) => [e.t, e.owners]), [[1_000, []], [1_200, ['lb2']]])
    assert.equal(m.readings, 1)
    assert.equal(lb1.spawns + lb2.spawns, 2)
  })

  it('the new holder adding the VIP a few ms before the old one drops it is no dual VIP', async () => {
    const {lb1, lb2, events, m} = setup({confirmMs: 80})
    m.start()
    await sleep(20)
    lb2.line(add('eth0'), 2_000)
    await sleep(10)
    lb1.line(del('eth0'), 2_004)
    await sleep(120)
    await m.stop()
    assert.deepEqual(events.map((e) => e.owners), [['lb1'], ['lb2']])
    assert.equal(events[1]?.t, 2_004)
  })

  it('a dual VIP that lasts is emitted once confirmed, stamped when it began', async () => {
    const {lb1, lb2, events, m} = setup({confirmMs: 40})
    m.start()
    await sleep(20)
    lb2.line(add('eth0'), 3_000)
    await sleep(100)
    lb2.line(del('eth0'), 9_000)
    await m.stop()
    assert.deepEqual(events.map((e) => [e.t > 3_000 ? e.t : e.t === 3_000 ? 'began' : 'start', e.owners]).slice(1), [['began', ['lb1', 'lb2']], [9_000, ['lb1']]])
    void lb1
  })

  it('lines of other addresses, and repeated adds (IPv6 tentative → settled), change nothing', async () => {
    const {lb1, events, m} = setup()
    m.start()
    await sleep(20)
    lb1.line('3: eth0    inet 10.99.0.50/24 scope global eth0\\       valid_lft forever', 5)
    lb1.line(add('eth0'), 6)
    lb1.line(add('eth0'), 7)
    await m.stop()
    assert.equal(events.length, 1)
    assert.equal(m.lines, 3)
  })

  it('a monitor that exits is started again, and no monitor is left after stop()', async () => {
    const {lb1, lb2, events, m} = setup({restartMs: 20})
    m.start()
    await sleep(20)
    lb1.monitors[0]?.exit(1)
    await sleep(60)
    assert.equal(lb1.spawns, 2)
    assert.equal(m.starts, 3)
    assert.match(m.errors[0] ?? '', /lb1: ip monitor exited \(1\)/)
    lb1.line(del('eth0'), 50)
    await m.stop()
    await sleep(40)
    assert.equal(lb1.spawns, 2, 'not restarted after stop()')
    assert.deepEqual(events.map((e) => e.owners), [['lb1'], []])
    void lb2
  })
})
