/**
 * The failover dashboard's board and view model on a real drill's event stream: `hachaos failover --target
 * lb1 --json` on the keepalived lab (NIC down on lb1, VRRPv2, advert 1 s, lb2 priority 100, 20 probes/s),
 * committed as test/fixtures/failover-tui/nic-down-lb1.json. Events are handed over in the order the live
 * drill knew them (probes when they completed), with a display tick every 100 ms as the monitor does.
 */
import assert from 'node:assert/strict'
import {Writable, PassThrough} from 'node:stream'
import {describe, it} from 'node:test'

import {allowedDowntimeMs, failoversAffordable} from '../../../src/sla/nines.js'
import type {DrillRun, TimelineEvent} from '../../../src/store/run-types.js'
import {FailoverBoard, MAX_NODES, SlotRing} from '../../../src/tui/failover-board.js'
import {arrivalOrder, boardConfigForRun, monthStartMs, startFailoverMonitor} from '../../../src/tui/failover-monitor.js'
import {createFailoverDashboard} from '../../../src/tui/failover-screen.js'
import {advertStrip, budgetFigures, failoverViewModel, GLYPH, predictionClock, probeStrips, type FailoverUi} from '../../../src/tui/failover-view.js'
import {readFixture} from '../../fixture.js'

const run = JSON.parse(readFixture('failover-tui', 'nic-down-lb1.json')) as DrillRun
const m = run.metrics
const F = m.faultAtUs
const R = m.revertAtUs as number
const UI: FailoverUi = {paused: false, nodeCells: 60, probeCells: 120, message: null, live: true}

function board(consumedMs = 0, runs = 0): FailoverBoard {
  return new FailoverBoard(boardConfigForRun(run, {availability: 0.9999, sloLabel: '99.99 %', monthConsumedMs: consumedMs, monthRuns: runs, vrid: 51}))
}

/**
 * Feeds the run to a board in arrival order up to a given instant, ticking every 100 ms as the monitor does;
 * each call goes on from where the last one stopped.
 */
class Replayer {
  private i = 0
  private nextTick: number
  constructor(
    readonly b: FailoverBoard,
    private readonly shiftUs = 0,
    private readonly events = arrivalOrder(run.events),
  ) {
    this.nextTick = (events[0]?.atUs ?? 0) + shiftUs
  }

  to(untilUs: number): FailoverBoard {
    for (; this.i < this.events.length; this.i++) {
      const x = this.events[this.i]
      if (x === undefined) break
      const at = x.atUs + this.shiftUs
      if (at > untilUs) break
      while (this.nextTick <= at) {
        this.b.tick(this.nextTick)
        this.nextTick += 100_000
      }
      this.b.observe(this.shiftUs === 0 ? x.e : ({...x.e, t: x.e.t + this.shiftUs} as TimelineEvent))
    }
    while (this.nextTick <= untilUs) {
      this.b.tick(this.nextTick)
      this.nextTick += 100_000
    }
    return this.b
  }
}

function replay(b: FailoverBoard, untilUs: number): FailoverBoard {
  return new Replayer(b).to(untilUs)
}

const stateOf = (b: FailoverBoard, name: string, now: number): string => {
  const n = b.nodes.find((x) => x.name === name)
  assert.ok(n !== undefined, name)
  return b.stateOf(n, now)
}

describe('failover board on a real nic-down drill', () => {
  it('the fixture is what it says', () => {
    assert.equal(run.target, 'lb1')
    assert.equal(m.oldOwner, 'lb1')
    assert.equal(m.newOwner, 'lb2')
    assert.ok(m.outageMs !== null && m.outageMs > 3000)
  })

  it('node states: lb1 MASTER before the fault, FAULT while it holds, lb2 MASTER after the takeover, back after the failback', () => {
    const rp = new Replayer(board())
    const b = rp.b
    const before = F - 1000
    rp.to(before)
    assert.equal(stateOf(b, 'lb1', before), 'MASTER')
    assert.equal(stateOf(b, 'lb2', before), 'BACKUP')
    assert.deepEqual(b.nodes.map((n) => [n.name, n.lastPrio]), [['lb1', 150], ['lb2', 100]])
    // 2 s into the fault: lb1's last advert is more than 1.5 intervals + 0.2 s old → no longer master
    rp.to(F + 2_000_000)
    assert.equal(stateOf(b, 'lb1', F + 2_000_000), 'FAULT')
    assert.equal(stateOf(b, 'lb2', F + 2_000_000), 'BACKUP')
    const tk = F + Math.round((m.takeoverMs as number) * 1000)
    rp.to(tk + 100_000)
    assert.equal(stateOf(b, 'lb2', tk + 100_000), 'MASTER')
    assert.equal(b.newMaster, 'lb2')
    assert.equal(b.takeoverUs, tk)
    // the log says who changed, once each
    const log = b.logLines().join('\n')
    assert.match(log, /lb1: MASTER → FAULT/)
    assert.match(log, /lb2: BACKUP → MASTER/)
    // after the whole run (failback done): lb1 master again, lb2 silent → backup
    const end = (run.events.at(-1)?.t ?? 0) + 1_000
    replay(board(), end)
    const fb = F + Math.round(((m.revertAtUs as number) - F) + (m.failbackMs as number) * 1000)
    const b2 = replay(board(), fb + 2_500_000)
    assert.equal(stateOf(b2, 'lb1', fb + 2_500_000), 'MASTER')
    assert.equal(stateOf(b2, 'lb2', fb + 2_500_000), 'BACKUP')
  })

  it('the outage clock runs while probes fail and freezes at the analysis figure', () => {
    const rp = new Replayer(board())
    const b = rp.b
    const mid = F + 2_000_000
    rp.to(mid)
    const running = b.clockUs(mid)
    assert.ok(running !== null && running.running, 'running at +2 s')
    // it counts from the last good completion before the failures: at +2 s that is ≈ 2 s (+ the time before the fault)
    assert.ok(running.us >= 2_000_000 - 100_000 && running.us <= 2_000_000 + 200_000, `clock at +2 s: ${running.us} µs`)
    const vm = failoverViewModel(b, UI, mid)
    assert.match(vm.clock.lines[0] ?? '', /RUNNING\s+\d\.\d s\s+\d+ probes failed/)
    assert.equal(vm.clock.tone, 'running')
    rp.to(R)
    const frozen = b.clockUs(R)
    assert.ok(frozen !== null && !frozen.running)
    // same completions, same rule (largest gap between good completions after the fault): exact to the µs
    assert.equal(frozen.us / 1000, m.outageMs)
    assert.equal(frozen.failed, m.lostProbes)
    const vm2 = failoverViewModel(b, UI, R)
    assert.match(vm2.clock.lines[0] ?? '', /client outage 3\.391 s\s+67 probes failed\s+\(frozen\)/)
  })

  it('watch mode (no fault in the stream): the clock runs while probes fail and freezes on the last outage, the same figure', () => {
    const cfg = {...boardConfigForRun(run, {availability: 0.9999, sloLabel: '99.99 %', monthConsumedMs: 0, monthRuns: 0, vrid: 51}), watch: true}
    const noFault = arrivalOrder(run.events).filter((x) => x.e.type !== 'fault.inject' && x.e.type !== 'fault.revert')
    const rp = new Replayer(new FailoverBoard(cfg), 0, noFault)
    const b = rp.b
    assert.equal(failoverViewModel(b, UI, F).clock.lines[0], 'client outage: none since the start of the watch')
    const mid = F + 2_000_000
    rp.to(mid)
    const running = b.clockUs(mid)
    assert.ok(running !== null && running.running, 'running at +2 s with no fault event')
    rp.to(R)
    const frozen = b.clockUs(R)
    assert.ok(frozen !== null && !frozen.running)
    assert.equal(frozen.us / 1000, m.outageMs)
    assert.equal(frozen.failed, m.lostProbes)
    assert.match(failoverViewModel(b, UI, R).clock.lines[0] ?? '', /^last client outage 3\.391 s\s+67 probes failed\s+\(frozen\)/)
    assert.equal(b.faultAtUs, null)
  })

  it('the prediction clock: "x s of predicted 3.609 s" from lb1\'s last advert, frozen at the takeover with its verdict', () => {
    const rp = new Replayer(board())
    const b = rp.b
    rp.to(F + 3_000_000)
    const p1 = predictionClock(b, F + 3_000_000)
    assert.equal(p1.tone, 'running')
    assert.match(p1.text, /from lb1's last advert:\n\s+3\.\d s of predicted 3\.609 s …/)
    rp.to(R)
    const p2 = predictionClock(b, R)
    assert.equal(p2.measuredUs, Math.round((m.takeoverFromLastAdvertMs as number) * 1000))
    assert.match(p2.text, /3\.615 s of predicted 3\.609 s: within ±100 ms ✓/)
    assert.equal(p2.tone, 'ok')
  })

  it('phases in order, each at the analysis\'s instant', () => {
    const b = replay(board(), (run.events.at(-1)?.t ?? 0) + 2_000_000)
    assert.deepEqual(
      b.phases.map((p) => p.kind),
      ['steady', 'inject', 'first-failure', 'takeover', 'garp', 'service-back', 'revert', 'failback'],
    )
    const at = (k: string): number => ((b.phases.find((p) => p.kind === k)?.atUs ?? NaN) - F) / 1000
    assert.equal(at('inject'), 0)
    assert.equal(at('takeover'), m.takeoverMs)
    assert.equal(at('garp'), m.garpMs)
    assert.equal(at('revert'), (R - F) / 1000)
    assert.equal(Math.round(at('failback') - (R - F) / 1000), Math.round(m.failbackMs as number))
    assert.equal(b.split, null, 'no split brain in a nic-down')
    assert.deepEqual(b.splits, [], 'the failback (lb1 preempting lb2) is no split brain')
    // the failback outage, the analysis's figure
    assert.ok(b.failbackOutage !== null)
    assert.equal(((b.failbackOutage.endUs as number) - b.failbackOutage.startUs) / 1000, m.failbackOutageMs)
  })

  it('strips: lb1\'s adverts stop at the fault (a visible gap), lb2\'s start at the takeover; failed probes are ✗', () => {
    const b = board()
    const now = R
    replay(b, now)
    // 0.5 s cells: the last 20 cells end before the revert; lb1's gap is 4.7 s = 9 cells at least
    const lb1 = advertStrip(b, 'lb1', now, 20)
    const lb2 = advertStrip(b, 'lb2', now, 20)
    assert.equal(lb1.length, 20)
    assert.match(lb1, new RegExp(`${GLYPH.advert}${GLYPH.none}{8,}$`), lb1)
    assert.match(lb2, new RegExp(`^${GLYPH.none}{8,}${GLYPH.advert}`), lb2)
    const {probes, backends} = probeStrips(b, now, 40)
    assert.equal(probes.length, 40)
    const fails = [...probes].filter((c) => c === GLYPH.failed).length
    // 3.39 s of failures in 0.5 s cells: 5–7 cells all failed (the edges can be mixed)
    assert.ok(fails >= 5 && fails <= 7, `${fails} failed cells: ${probes}`)
    assert.match(backends, /[12]/)
    assert.deepEqual(b.backends.sort(), ['web1', 'web2'])
  })

  it('budget: exact against src/sla (share of the monthly budget, allowed, still affordable after this month\'s runs)', () => {
    const consumed = 60_000
    const b = replay(board(consumed, 3), R)
    const o = m.outageMs as number
    const x = budgetFigures(b, o)
    const budget = allowedDowntimeMs(0.9999, 'month')
    assert.equal(x.budgetMs, budget)
    assert.equal(x.sharePct, (o / budget) * 100)
    assert.equal(x.allows, failoversAffordable(o, 0.9999, 'month'))
    assert.equal(x.stillAffords, Math.floor((budget - consumed - o) / o))
    const vm = failoverViewModel(b, UI, R)
    assert.match(vm.budget.lines.join('\n'), /this outage 3\.391 s = 1\.290 % of it; the month allows 77 of these/)
    assert.match(vm.budget.lines.join('\n'), /1m 0s used by 3 recorded runs/)
    assert.equal(monthStartMs(Date.UTC(2026, 11, 5, 8)), Date.UTC(2026, 11, 1))
  })

  it('bounded memory: the same drill fed 40 times over (shifted in time) holds at most its bound of entries', () => {
    const b = board()
    const events = arrivalOrder(run.events)
    const span = (events.at(-1)?.atUs ?? 0) - (events[0]?.atUs ?? 0) + 1_000_000
    new Replayer(b, 0, events).to((events.at(-1)?.atUs ?? 0) + 1)
    const size1 = b.size()
    for (let i = 1; i <= 40; i++) new Replayer(b, i * span, events).to((events.at(-1)?.atUs ?? 0) + i * span + 1)
    assert.equal(b.events, run.events.length * 41)
    // nodes × (1 + 60 advert cells) + 160 probe cells + 100 log lines + ≤ 9 phases + backends + ≤ 8 split brains
    assert.ok(b.size() <= size1 + 8, `entries ${b.size()} after 41 drills, ${size1} after one`)
    assert.ok(b.splits.length <= 8)
    assert.equal(b.logLines().length, 100)
    assert.equal(b.nodes.length, 2)
  })

  it('a split brain (two nodes advertising as master) is an alert, logged once, with its end', () => {
    const b = new FailoverBoard(boardConfigForRun(run, {availability: 0.9999, sloLabel: '99.99 %', monthConsumedMs: 0, monthRuns: 0}))
    const adv = (t: number, src: string, prio: number): TimelineEvent => ({type: 'vrrp.advert', t, host: 'client', src, smac: '00:00:00:00:00:00', vrid: 51, prio, intvl: 1, ver: 2})
    for (let s = 0; s < 5; s++) {
      b.observe(adv(s * 1e6, '10.66.0.11', 150))
      b.observe(adv(s * 1e6 + 10, '10.66.0.12', 100))
      b.tick(s * 1e6 + 500_000)
    }
    assert.deepEqual(b.split?.parties, ['lb1', 'lb2'])
    assert.match(failoverViewModel(b, UI, 4.6e6).alert ?? '', /SPLIT BRAIN: lb1 \+ lb2 advertise as master/)
    b.tick(9e6)
    assert.equal(b.split, null)
    assert.equal(b.logLines().filter((l) => l.includes('SPLIT BRAIN')).length, 1)
    assert.match(b.logLines().join('\n'), /split brain over after/)
    // a preemption: lb2 master until 14 s, lb1 (higher priority) from 14.3 s, lb2 silent after → no split brain
    const c = new FailoverBoard(boardConfigForRun(run, {availability: 0.9999, sloLabel: '99.99 %', monthConsumedMs: 0, monthRuns: 0}))
    for (let s = 10; s <= 14; s++) {
      c.observe(adv(s * 1e6, '10.66.0.12', 100))
      c.tick(s * 1e6 + 100_000)
    }
    for (let s = 14.3; s < 17; s += 1) {
      c.observe(adv(s * 1e6, '10.66.0.11', 150))
      c.tick(s * 1e6 + 100_000)
    }
    assert.deepEqual(c.splits, [])
  })

  it('a cluster node shows crm_mon\'s view (condition, where resources run) instead of adverts', () => {
    const b = new FailoverBoard({...boardConfigForRun(run, {availability: 0.9999, sloLabel: '99.99 %', monthConsumedMs: 0, monthRuns: 0}), hosts: [{name: 'n1', ip: '10.77.0.11'}, {name: 'n2', ip: '10.77.0.12'}]})
    const ev = (t: number, resource: string, node: string | null, role: string): TimelineEvent => ({type: 'cluster', t, host: 'n1', resource, node, role})
    b.observe(ev(1, '@node:n1', 'n1', 'online'))
    b.observe(ev(1, '@node:n2', 'n2', 'online'))
    b.observe(ev(1, 'vip', 'n1', 'Started'))
    b.observe(ev(1, 'apache', 'n1', 'Started'))
    b.observe(ev(2, '@node:n1', 'n1', 'standby'))
    b.observe(ev(3, 'vip', 'n2', 'Started'))
    const vm = failoverViewModel(b, UI, 4)
    assert.deepEqual(vm.nodes.map((n) => n.lines[0]?.split(/\s+/)[0]), ['STANDBY', 'ONLINE'])
    assert.equal(vm.nodes[0]?.lines[1], 'runs apache')
    assert.equal(vm.nodes[1]?.lines[1], 'runs vip')
    assert.match(b.logLines().join('\n'), /n1: standby/)
  })

  it('advert sources beyond MAX_NODES are counted, not shown', () => {
    const b = board()
    for (let i = 0; i < MAX_NODES + 5; i++) b.observe({type: 'vrrp.advert', t: i, host: 'c', src: `10.9.0.${i}`, smac: `00:00:00:00:01:${i.toString(16).padStart(2, '0')}`, vrid: 51, prio: 100, intvl: 1, ver: 2})
    assert.equal(b.nodes.length, MAX_NODES)
    assert.equal(b.unknownSources, 7)
  })

  it('SlotRing: fixed size, old slots forgotten, gaps stay zero', () => {
    const r = new SlotRing(4, 10)
    r.update(5, (c) => c + 1)
    r.update(35, (c) => c + 1)
    assert.deepEqual(r.read(3, 4), [1, 0, 0, 1])
    r.update(75, (c) => c + 1)
    assert.deepEqual(r.read(7, 4), [0, 0, 0, 1])
    r.update(5, (c) => c + 1) // too old: ignored
    assert.deepEqual(r.read(7, 4), [0, 0, 0, 1])
    assert.equal(r.cells.length, 4)
  })
})

/** A terminal that is only memory: blessed writes escape sequences into it; we count the bytes. */
function memoryTerminal(cols: number, rows: number): {input: PassThrough; output: Writable & {columns: number; rows: number; isTTY: boolean}; written: () => number} {
  let bytes = 0
  const output = new Writable({
    write(chunk: Buffer, _enc, cb) {
      bytes += chunk.length
      cb()
    },
  }) as Writable & {columns: number; rows: number; isTTY: boolean}
  output.columns = cols
  output.rows = rows
  output.isTTY = true
  return {input: new PassThrough(), output, written: () => bytes}
}

describe('failover screen (blessed on memory streams)', () => {
  it('draws the boxes; a tick with nothing new writes nothing; keys map to abort / end-hold / pause', async () => {
    const term = memoryTerminal(160, 48)
    const d = createFailoverDashboard({input: term.input, output: term.output, terminal: 'xterm-256color'})
    try {
      const b = board()
      replay(b, R)
      const cells = d.cells(b.nodes.length)
      assert.equal(cells.probeCells, 157)
      const vm = failoverViewModel(b, {...UI, ...cells}, R)
      d.show(vm)
      d.render()
      const flush = (): Promise<unknown> => new Promise((r) => setImmediate(r))
      await flush()
      const text = d.text().join('\n')
      assert.match(text, /lb2/)
      assert.match(text, /MASTER\s+priority 100/)
      assert.match(text, /client outage 3\.391 s/)
      const w0 = term.written()
      d.show(failoverViewModel(b, {...UI, ...cells}, R))
      d.render()
      await flush()
      assert.equal(term.written(), w0, 'same view model: no bytes written')
      // one box changes (the footer): only that is written, a small fraction of a full frame
      d.show(failoverViewModel(b, {...UI, ...cells, message: 'hello'}, R))
      d.render()
      await flush()
      const delta = term.written() - w0
      assert.ok(delta > 0 && delta < w0 / 10, `footer change wrote ${delta} bytes (full frame ${w0})`)
      const keys: string[] = []
      d.onKey((k) => keys.push(k))
      term.input.write('r')
      term.input.write('p')
      term.input.write('q')
      assert.deepEqual(keys, ['end-hold', 'pause', 'abort'])
    } finally {
      d.destroy()
    }
  })

  it('the monitor: r ends the hold only while the fault holds, q aborts once, p pauses; after the drill q exits', async () => {
    const term = memoryTerminal(160, 48)
    const d = createFailoverDashboard({input: term.input, output: term.output, terminal: 'xterm-256color'})
    const calls: string[] = []
    const b = board()
    const rp = new Replayer(b)
    let now = F - 500_000
    const mon = startFailoverMonitor({board: b, dashboard: d, intervalMs: 10_000, now: () => now, onAbort: () => calls.push('abort'), onEndHold: () => calls.push('end-hold')})
    try {
      rp.to(now)
      term.input.write('r') // before the fault: nothing to end
      now = F + 1_000_000
      rp.to(now)
      term.input.write('r')
      term.input.write('q')
      term.input.write('q') // once
      assert.deepEqual(calls, ['end-hold', 'abort'])
      term.input.write('p')
      assert.match(d.text().join('\n'), /PAUSED/)
      const done = mon.finish({outageMs: m.outageMs, measuredMs: m.takeoverFromLastAdvertMs, verdict: 'pass', reasons: [], interrupted: false, savedAs: null}, true)
      assert.match(d.text().join('\n'), /run verdict: PASS/)
      term.input.write('q')
      await done
      assert.deepEqual(calls, ['end-hold', 'abort'], 'q after the drill exits, it aborts nothing')
    } finally {
      mon.stop()
      d.destroy()
    }
  })
})
