import assert from 'node:assert/strict'
import {PassThrough, Writable} from 'node:stream'
import {describe, it} from 'node:test'

import {LocalBondFs} from '../../../src/bond/fs.js'
import {BondReader, type BondSnapshot} from '../../../src/bond/snapshot.js'
import {Collector} from '../../../src/tui/collector.js'
import {createDashboard, sparkText} from '../../../src/tui/screen.js'
import {ACTIVE_MARK, viewModel} from '../../../src/tui/view.js'
import {fixtureDir} from '../bond/fixtures.js'

/** A terminal that is only memory: blessed writes escape sequences into it; we read the screen buffer. */
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
  const input = new PassThrough()
  return {input, output, written: () => bytes}
}

async function snap(name: string, t: number, monoNs: bigint): Promise<BondSnapshot> {
  const s = await new BondReader(new LocalBondFs(fixtureDir(name)), 'bond0', 'guest').read()
  return {...s, t, monoNs}
}

/** Two real readings 4 s apart: active-backup before and after eth0's cable was pulled (iperf3 in between). */
async function collector(): Promise<Collector> {
  const c = new Collector()
  c.push(await snap('active-backup', 1_795_000_000_000_000, 10_000_000_000n))
  c.push(await snap('active-backup-one-down', 1_795_000_004_000_000, 14_000_000_000n))
  return c
}

describe('view model (pure)', () => {
  it('marks the active member, shows rates in Mbit/s and the events', async () => {
    const vm = viewModel((await collector()).state(), {paused: false, load: 'idle', message: null, intervalMs: 1000})
    const rows = vm.table.rows
    assert.deepEqual(rows.map((r) => [r[0], r[1], r[2]]), [[' ', 'eth0', 'down'], [ACTIVE_MARK, 'eth1', 'up']])
    const rx1 = Number(rows[1]?.[9])
    assert.ok(rx1 > 100, `eth1 rx ${rx1} Mbit/s after iperf3 over it`)
    assert.ok(vm.log.some((l) => /active member eth0 → eth1/.test(l)))
    assert.ok(vm.log.some((l) => /eth0 MII up → down/.test(l)))
    assert.match(vm.header[0] ?? '', /mode active-backup .* active eth1/)
    assert.equal(vm.charts.length, 2)
    assert.match(vm.charts[1]?.title ?? '', /^\* eth1 up/)
    assert.match(vm.footer, /q quit/)
  })

  it('charts show completed seconds only; the table shows every reading', async () => {
    const c = new Collector()
    const base = await snap('active-backup', 1_795_000_000_000_000, 10_000_000_000n)
    // readings 100 ms apart with the same counters: the third starts a new second, so the first is complete
    for (const dtMs of [0, 100, 200, 1100, 1200]) c.push({...base, t: base.t + dtMs * 1000, monoNs: base.monoNs === null ? null : base.monoNs + BigInt(dtMs) * 1_000_000n} as BondSnapshot)
    const vm = viewModel(c.state(), {paused: false, load: null, message: null, intervalMs: 100, chartLabels: true})
    assert.equal(c.state().times.length, 2, 'two history steps: one complete, one being filled')
    assert.equal(vm.charts[0]?.series[0].y.length, 1)
    assert.equal(vm.charts[0]?.series[0].x.length, 1)
    assert.equal(vm.table.rows.length, 2)
    assert.doesNotMatch(vm.charts[0]?.title ?? '', /Mbit/, 'no live rate in the chart title (it is in the table)')
  })
})

describe('dashboard rendered headless (blessed on in-memory streams)', () => {
  it('shows member names, the active marker, rates, events; survives a resize; keys reach the handler', async () => {
    const term = memoryTerminal(140, 44)
    const d = createDashboard({input: term.input, output: term.output, terminal: 'xterm-256color'})
    try {
      const st = (await collector()).state()
      const vm = viewModel(st, {paused: false, load: 'idle', message: null, intervalMs: 1000})
      d.show(vm)
      d.render()
      await new Promise((r) => setImmediate(r))
      const text = d.text().join('\n')
      assert.ok(term.written() > 0, 'blessed wrote to the terminal')
      assert.match(text, /eth0/)
      assert.match(text, /\* eth1 up/, 'chart title with the active marker')
      assert.match(text, new RegExp(`\\*\\s*eth1\\s+up\\s+up\\s+1000/full`), 'table row of the active member')
      assert.match(text, new RegExp(`eth1 .*${vm.table.rows[1]?.[9] ?? 'x'}`), 'eth1 rx rate in the table')
      assert.match(text, /active member eth0 → eth1/)
      assert.match(text, /mode active-backup/)
      // resize: the widgets are rebuilt at the new size and show the same data
      term.output.columns = 100
      term.output.rows = 36
      term.output.emit('resize')
      await new Promise((r) => setTimeout(r, 50))
      assert.equal(d.cols, 100)
      const after = d.text().join('\n')
      assert.match(after, /\* eth1 up/)
      assert.match(after, /active member eth0 → eth1/)
      // keys
      const keys: string[] = []
      d.onKey((k) => keys.push(k))
      term.input.write('p')
      term.input.write('l')
      term.input.write('q')
      await new Promise((r) => setTimeout(r, 50))
      assert.deepEqual(keys, ['pause', 'load', 'quit'])
    } finally {
      d.destroy()
    }
  })
})

describe('sparkText', () => {
  it('scales each series between its own min and max, including spans under 1 Mbit/s', () => {
    const t = sparkText([0.1, 0.5, 0.9], [400, 400, 400])
    const lines = t.split('\n')
    assert.equal(lines[2], '▁▅█')
    // a flat series is the lowest bar throughout (contrib draws it so)
    assert.equal(lines[5], '▁▁▁')
    assert.match(lines[1] ?? '', /rx 0\.9 Mbit\/s \(max 0\.9\)/)
    assert.match(lines[4] ?? '', /tx 400\.0 Mbit\/s \(max 400\.0\)/)
  })
})
