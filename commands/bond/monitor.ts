import {Args, Flags} from '@oclif/core'

import {bondFsFor} from '../../src/bond/fs.js'
import {BondReader, checkBondName} from '../../src/bond/snapshot.js'
import {ExitCode, HachaosError} from '../../src/errors.js'
import {onStdoutClosed} from '../../src/util/stdio.js'
import {executorFor} from '../../src/inventory/inventory.js'
import {planLoad} from '../../src/iperf/plan.js'
import {parseDuration} from '../../src/time.js'
import type {MonitorSample} from '../../src/tui/collector.js'
import {loadControl, type LoadControlHandle} from '../../src/tui/load-control.js'
import {runMonitor, type MonitorSummary} from '../../src/tui/monitor.js'
import {viewModel} from '../../src/tui/view.js'
import {HachaosCommand} from '../_base.js'
import {inventoryFlag, pickBondHost, resolveInventory} from '../_bond.js'

export interface BondMonitorResult extends MonitorSummary {
  load: LoadControlHandle['results']
}

function duration(flag: string, v: string): number {
  try {
    return parseDuration(v)
  } catch (e) {
    throw new HachaosError(`--${flag}: ${(e as Error).message}`, {code: 'E_USAGE', exit: 'USAGE'})
  }
}

export default class BondMonitor extends HachaosCommand {
  static override summary = 'Watch a bond live: per-member traffic, member states, events, imbalance.'
  static override description = `A terminal dashboard (blessed + blessed-contrib): a rx/tx chart per member, a member table (MII,
carrier, speed/duplex, link failures, active marker, aggregator, LACP partner), the bond header (mode, hash
policy, miimon/updelay/downdelay, lacp_rate, ARP monitor), an event log (active member changed, MII
down/up, link failures, aggregator changes, LACP churn) and an imbalance indicator.
Keys: q / Esc / Ctrl-C quit, p pause, l start/stop an iperf3 load (the inventory's clients against the
bond host, as \`hachaos load\` does).
Without a terminal, or with --json, it prints one JSON sample per line (NDJSON) and a summary line.
It reads /proc/net/bonding/BOND and /sys/class/net through the host's executor (local files, ssh, the bond
lab's VM console), or an offline copy of the tree with --root.`

  static override examples = [
    '<%= config.bin %> bond monitor',
    '<%= config.bin %> bond monitor --load',
    '<%= config.bin %> bond monitor bond0 --host guest --interval 500ms',
    '<%= config.bin %> bond monitor --json --quit-after 10s > samples.ndjson',
    '<%= config.bin %> bond monitor --once',
    '<%= config.bin %> bond monitor bond0 --root ./captured-tree --once --json',
  ]

  static override args = {
    bond: Args.string({description: 'Bond interface (default: the host\'s facts.bond, else bond0).', required: false, ignoreStdin: true}),
  }

  static override flags = {
    inventory: inventoryFlag,
    host: Flags.string({char: 'H', description: 'Inventory host to watch (default: the first bond-host).'}),
    root: Flags.string({description: 'Read an offline copy of the tree (DIR/proc/net/bonding/…, DIR/sys/class/net/…) instead of a host.'}),
    interval: Flags.string({description: 'Time between readings.', default: '1s'}),
    once: Flags.boolean({description: 'Two readings one interval apart, print one sample (with rates), exit.', default: false}),
    'quit-after': Flags.string({description: 'Stop after this long (e.g. 30s).'}),
    'no-tui': Flags.boolean({description: 'NDJSON even on a terminal.', default: false}),
    load: Flags.boolean({description: 'Start an iperf3 load at once (also: key l).', default: false}),
    'load-time': Flags.string({description: 'Duration of a load run.', default: '10s'}),
    parallel: Flags.integer({char: 'P', description: 'iperf3 streams per client for the load.', default: 1, min: 1, max: 128}),
    reverse: Flags.boolean({char: 'R', description: 'Load in reverse (the bond host sends).', default: false}),
    chart: Flags.string({description: 'Member charts: sparklines (cheap) or braille line charts (prettier, about 3× the CPU).', options: ['spark', 'line'], default: 'spark'}),
  }

  /** NDJSON: every line one JSON value, including the final summary (oclif would pretty-print it). */
  protected override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json)}\n`)
  }

  async run(): Promise<BondMonitorResult> {
    const {args, flags} = await this.parse(BondMonitor)
    const intervalMs = duration('interval', flags.interval)
    if (intervalMs < 50) throw new HachaosError('--interval must be at least 50ms', {code: 'E_USAGE', exit: 'USAGE'})
    const quitAfterMs = flags['quit-after'] === undefined ? undefined : duration('quit-after', flags['quit-after'])
    const loadS = Math.max(1, Math.round(duration('load-time', flags['load-time']) / 1000))

    let reader: BondReader
    let load: LoadControlHandle | undefined
    if (flags.root !== undefined) {
      reader = new BondReader(bondFsFor(null, flags.root), checkBondName(args.bond ?? 'bond0'), flags.root)
      if (flags.load) throw new HachaosError('--load needs a live host, not --root', {code: 'E_USAGE', exit: 'USAGE'})
    } else {
      const inv = await resolveInventory(flags.inventory)
      const host = pickBondHost(inv, flags.host)
      const bond = checkBondName(args.bond ?? (typeof host.facts.bond === 'string' ? host.facts.bond : 'bond0'))
      reader = new BondReader(bondFsFor(executorFor(host)), bond, host.name)
      try {
        const plan = planLoad(inv, {targets: [host.name]})
        load = loadControl(plan, {durationS: loadS, parallel: flags.parallel, reverse: flags.reverse, udp: false})
      } catch (e) {
        if (flags.load) throw e
      }
    }

    const tui = process.stdout.isTTY === true && !this.jsonEnabled() && !flags['no-tui'] && !flags.once
    const ac = new AbortController()
    const onSig = (): void => ac.abort()
    process.once('SIGINT', onSig)
    process.once('SIGTERM', onSig)
    // `bond monitor bond0 | head`: stop once the reader has gone, exit 141 (src/util/stdio.ts)
    const offPipe = onStdoutClosed(() => {
      process.exitCode = ExitCode.OUTPUT_CLOSED
      ac.abort()
    })
    try {
      if (flags.once) {
        const got: MonitorSample[] = []
        const summary = await runMonitor({reader, intervalMs, maxSamples: 1, signal: ac.signal, onSample: (x) => got.push(x)})
        const s = got.at(-1)
        if (s !== undefined) {
          if (this.jsonEnabled() || process.stdout.isTTY !== true) process.stdout.write(`${JSON.stringify(s)}\n`)
          else this.printText(s)
        }
        return {...summary, load: []}
      }
      if (!tui) {
        const summary = await runMonitor({
          reader,
          intervalMs,
          ...(quitAfterMs === undefined ? {} : {quitAfterMs}),
          signal: ac.signal,
          onSample: (s) => process.stdout.write(`${JSON.stringify(s)}\n`),
          ...(load === undefined ? {} : {load}),
          startLoad: flags.load,
        })
        const result = {...summary, load: load?.results ?? []}
        if (!this.jsonEnabled()) process.stdout.write(`${JSON.stringify(result)}\n`)
        return result
      }
      const {createDashboard} = await import('../../src/tui/screen.js')
      const dash = createDashboard({charts: flags.chart === 'line' ? 'line' : 'spark'})
      try {
        const summary = await runMonitor({
          reader,
          intervalMs,
          ...(quitAfterMs === undefined ? {} : {quitAfterMs}),
          signal: ac.signal,
          dashboard: dash,
          chartLabels: flags.chart === 'line',
          ...(load === undefined ? {} : {load}),
          startLoad: flags.load,
        })
        return {...summary, load: load?.results ?? []}
      } finally {
        dash.destroy()
      }
    } finally {
      process.off('SIGINT', onSig)
      process.off('SIGTERM', onSig)
      offPipe()
    }
  }

  private printText(s: MonitorSample): void {
    const vm = viewModel({latest: s, history: new Map(), times: [], events: s.events, samples: 1}, {paused: false, load: null, message: null, intervalMs: 0})
    for (const l of vm.header) this.log(l)
    this.log('')
    const widths = vm.table.headers.map((h, i) => Math.max(h.length, ...vm.table.rows.map((r) => (r[i] ?? '').length)))
    const fmt = (r: string[]): string => r.map((x, i) => x.padEnd(widths[i] ?? 0)).join('  ').trimEnd()
    this.log(fmt(vm.table.headers))
    for (const r of vm.table.rows) this.log(fmt(r))
    this.log('')
    this.log(`imbalance ${vm.imbalance.percent} % (${vm.imbalance.label}): ${vm.imbalance.lines.join('; ')}`)
  }
}
