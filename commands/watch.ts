import {mkdirSync} from 'node:fs'
import {join} from 'node:path'

import {Flags} from '@oclif/core'

import {ExitCode, HachaosError} from '../src/errors.js'
import {onStdoutClosed} from '../src/util/stdio.js'
import {resolveInventory} from '../src/inventory/resolve.js'
import {MAX_RATE} from '../src/probe/http.js'
import {parseObjective} from '../src/sla/nines.js'
import {watchStackFor} from '../src/stacks/registry.js'
import {runsDir} from '../src/store/paths.js'
import {saveRun} from '../src/store/runs.js'
import {storeWrite} from '../src/store/store-error.js'
import {formatMs, nowUs, parseDuration, sleep} from '../src/time.js'
import {FailoverBoard} from '../src/tui/failover-board.js'
import {monthBudgetUse, startFailoverMonitor, type FailoverMonitor} from '../src/tui/failover-monitor.js'
import {createFailoverDashboard} from '../src/tui/failover-screen.js'
import type {Incident} from '../src/watch/incidents.js'
import {serveMetrics, watchRegistry, type MetricsServer} from '../src/watch/metrics.js'
import {Watch} from '../src/watch/watcher.js'
import {HachaosCommand} from './_base.js'

/** Incidents listed in the result (all are counted and saved; a watch of months keeps its output bounded). */
const LISTED = 100

export interface WatchedIncident {
  id: string
  /** The saved record (null with --no-save). */
  file: string | null
  change: string
  /** What the stack saw cause it (Pacemaker: standby, node-loss, node-lost-seen, unknown); null for VRRP. */
  cause: string | null
  /** What takeoverMs measures: 'takeover' (VRRP: after the old master's last advert) or 'relocation' (Pacemaker: the VIP on another node after the cause). */
  figure: 'takeover' | 'relocation'
  startedAt: string
  takeoverMs: number | null
  predictedMs: number | null
  formula: string
  outageMs: number | null
  lostProbes: number
  splitBrainMs: number
  verdict: string
  /** The pcap slice of the incident (null: not saved, or no capture host). */
  pcap: string | null
}

export interface WatchResult {
  stack: string
  vip: string | null
  vrid: number | null
  nodes: Array<{name: string; state: number; adverts: number; ownsVip: boolean}>
  startedAt: string
  endedAt: string
  durationS: number
  stoppedBy: 'duration' | 'signal' | 'key'
  listen: {host: string; port: number} | null
  events: number
  probes: {ok: number; failed: number}
  incidentsTotal: number
  /** The first LISTED incidents (incidentsTotal counts all). */
  incidents: WatchedIncident[]
  outageMsTotal: number
  splitBrainMsTotal: number
  budgetRemainingMs: number
  slo: string
  warnings: string[]
}

const dur = (flag: string, v: string): number => {
  try {
    return parseDuration(v)
  } catch (e) {
    throw new HachaosError(`--${flag}: ${(e as Error).message}`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['e.g. 500ms, 5s, 1m, 0 (until stopped)']})
  }
}

export default class WatchCommand extends HachaosCommand {
  static override summary = 'Watch an HA pair with no fault: record every real failover and split brain as an incident; serve Prometheus metrics.'
  static override description = `Observes the pair (keepalived load balancers, role lb; or a Pacemaker cluster, role cluster-node: crm_mon,
corosync's liveness and the VIP owner) for as long as it runs: VRRP adverts and ARP
captured on the client, HTTP probes to the VIP at a low rate, the VIP owner polled on every node. Every real
change of master, VIP move or loss, or split brain becomes an incident, saved in the run store as a run of
kind "incident" with its timeline, the takeover (counted from the old master's last advert, next to what the
configuration predicts: Master_Down_Interval, Skew_Time, preemption), the client outage and the split-brain
intervals; \`hachaos report\` counts incidents next to drills. With --listen it serves /metrics for Prometheus.
--duration 0 (the default) runs until SIGINT/SIGTERM; it stops every observer it started and exits 0.
Each saved incident also gets a pcap of its VRRP/ARP frames, [start − 5 s, end + 5 s] (--pcap-margin), next
to its record (runs/<id>.pcap), from a ring of the last frames.
Memory stays flat: the incident tracker keeps at most 2 × 50,000 events, the capture keeps nothing, the
frame ring at most 16,384 frames and 4 MiB.`

  static override examples = [
    {description: 'Watch the keepalived lab for 10 s (hachaos lab up).', command: '<%= config.bin %> watch --duration 10s'},
    {description: 'Until stopped, with Prometheus metrics on port 9464 (keepalived lab).', command: '<%= config.bin %> watch --listen :9464'},
    {description: 'As JSON at the end, metrics on loopback, 10 probes/s (keepalived lab).', command: '<%= config.bin %> watch --listen 127.0.0.1:9464 --rate 10 --duration 5s --json'},
    {description: 'The failover dashboard over the watch (needs a terminal; keepalived lab).', command: '<%= config.bin %> watch --tui'},
    {description: 'Real hosts from an inventory file (see README: Inventory).', command: '<%= config.bin %> watch --inventory prod.yaml --listen :9464'},
  ]

  static override flags = {
    inventory: Flags.string({char: 'i', description: 'Inventory file (default: $HACHAOS_INVENTORY, else the lab\'s).'}),
    vip: Flags.string({description: 'Service address (default: the inventory\'s vip, else the keepalived.conf\'s).'}),
    url: Flags.string({char: 'u', description: 'URL to probe (default: http://VIP/).'}),
    'capture-on': Flags.string({description: 'Host that captures and probes (default: the host with role client).'}),
    rate: Flags.integer({char: 'r', description: 'Client probes per second (1–200).', default: 5}),
    'probe-timeout': Flags.string({description: 'Timeout of one probe.', default: '1s'}),
    poll: Flags.string({description: 'VIP owner poll period (with --vip-owner poll; with monitor a full reading every max(5s, this)).', default: '200ms'}),
    'vip-owner': Flags.string({description: 'How the VIP owner is followed: monitor (one `ip monitor address` per node, events as the kernel reports them) or poll (`ip addr` on every node every --poll).', options: ['monitor', 'poll'], default: 'monitor'}),
    duration: Flags.string({description: 'How long to watch (0: until SIGINT/SIGTERM).', default: '0'}),
    settle: Flags.string({description: 'Quiet time after the last change that closes an incident.', default: '5s'}),
    listen: Flags.string({description: 'Serve Prometheus /metrics on [HOST]:PORT (e.g. :9464).'}),
    tolerance: Flags.string({description: 'Measured vs predicted tolerance for an incident\'s verdict.', default: '100ms'}),
    slo: Flags.string({description: 'Objective of the budget gauge (99.99, 99.99%, 0.9999, or a count of nines).', default: '99.99'}),
    'no-save': Flags.boolean({description: 'Do not save incidents in the run store.'}),
    'pcap-margin': Flags.string({description: 'Each saved incident gets a pcap of its frames from start − this to end + this (0: no pcap).', default: '5s'}),
    tui: Flags.boolean({description: 'The failover dashboard over the watch (keys: q stop, p pause). Needs a terminal; not with --json.'}),
  }

  async run(): Promise<WatchResult> {
    const {flags} = await this.parse(WatchCommand)
    const objective = parseObjective(flags.slo)
    if (flags.tui) {
      if (this.jsonEnabled()) throw new HachaosError('--tui and --json do not go together: the dashboard is for a person, --json for a script', {code: 'E_USAGE', exit: 'USAGE', suggestions: ['drop --tui to get the watch as JSON', 'drop --json to see the dashboard']})
      if (process.stdout.isTTY !== true || process.stdin.isTTY !== true) {
        throw new HachaosError('--tui needs a terminal: standard input and output must be a TTY', {code: 'E_USAGE', exit: 'USAGE', suggestions: ['run it in a terminal (or tmux)', 'to script a watch use --json, or --listen for Prometheus']})
      }
    }
    if (flags.rate < 1 || flags.rate > MAX_RATE) throw new HachaosError(`--rate ${flags.rate} is out of range`, {code: 'E_USAGE', exit: 'USAGE', suggestions: [`use 1–${MAX_RATE} probes per second`]})
    const durationMs = dur('duration', flags.duration)
    const probeTimeoutMs = dur('probe-timeout', flags['probe-timeout'])
    const pollMs = dur('poll', flags.poll)
    const settleMs = dur('settle', flags.settle)
    const toleranceMs = dur('tolerance', flags.tolerance)
    const pcapMarginMs = dur('pcap-margin', flags['pcap-margin'])
    if (probeTimeoutMs <= 0 || pollMs <= 0) throw new HachaosError('--probe-timeout and --poll must be longer than 0', {code: 'E_USAGE', exit: 'USAGE', suggestions: ['e.g. --probe-timeout 1s --poll 200ms']})

    const inventory = await resolveInventory(flags.inventory)
    const stack = watchStackFor(inventory)
    const bin = join(this.config.root, 'bin', 'run.js')
    if (!flags['no-save']) storeWrite(runsDir(), 'the run store directory', () => mkdirSync(runsDir(), {recursive: true}))
    const month = monthBudgetUse()
    const warnings: string[] = []
    if (month.note !== null) warnings.push(month.note)

    // Signals from the start: a second one while stopping is ignored, a third gives up.
    const stop = new AbortController()
    let stoppedBy: WatchResult['stoppedBy'] = 'duration'
    let signals = 0
    const onSignal = (sig: NodeJS.Signals): void => {
      signals++
      if (signals === 1) this.progress(`${sig}: stopping the watch`)
      stoppedBy = 'signal'
      stop.abort()
      if (signals >= 3) process.exit(130)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    if (flags.tui) process.on('SIGHUP', onSignal)
    // `hachaos watch | head`: stop as on SIGTERM once the reader has gone, exit 141 (src/util/stdio.ts)
    const offPipe = onStdoutClosed(() => {
      process.exitCode = ExitCode.OUTPUT_CLOSED
      stoppedBy = 'signal'
      stop.abort()
    })

    const incidents: WatchedIncident[] = []
    let board: FailoverBoard | null = null
    const onIncident = (i: Incident): void => {
      let file: string | null = null
      if (!flags['no-save']) {
        try {
          file = storeWrite(join(runsDir(), `${i.run.id}.json`), 'the incident record', () => saveRun(i.run))
        } catch (e) {
          warnings.push((e as Error).message)
        }
      }
      const m = i.run.metrics
      const w: WatchedIncident = {
        id: i.run.id,
        file,
        change: String(i.run.fault.params['change'] ?? ''),
        cause: typeof i.run.fault.params['cause'] === 'string' ? i.run.fault.params['cause'] : null,
        figure: i.run.prediction.metric === 'relocationMs' ? 'relocation' : 'takeover',
        startedAt: i.run.startedAt,
        takeoverMs: i.measuredMs,
        predictedMs: i.predictedMs,
        formula: i.run.prediction.formula,
        outageMs: m.outageMs,
        lostProbes: m.lostProbes,
        splitBrainMs: i.splitBrainMs,
        verdict: i.run.verdict,
        pcap: file === null ? null : (i.run.pcap ?? null),
      }
      if (incidents.length < LISTED) incidents.push(w)
      const line = `incident ${w.change}${w.cause === null ? '' : ` (${w.cause})`}: ${w.figure} ${formatMs(w.takeoverMs, 1)} (predicted ${formatMs(w.predictedMs, 1)}), client outage ${formatMs(w.outageMs, 1)} (${w.lostProbes} probes lost)${w.splitBrainMs > 0 ? `, SPLIT BRAIN ${formatMs(w.splitBrainMs, 0)}` : ''}, ${w.verdict.toUpperCase()}${file === null ? '' : `; saved ${i.run.id}`}`
      if (board !== null) board.note(line, nowUs())
      else this.progress(line)
    }

    let watch: Watch | null = null
    let server: MetricsServer | null = null
    let tui: {monitor: FailoverMonitor; close(): void} | null = null
    try {
      this.progress(`preparing the ${stack.name} watch of ${inventory.file}`)
      watch = await Watch.start({
        hook: stack.watch,
        inventory,
        ...(flags.vip === undefined ? {} : {vip: flags.vip}),
        ...(flags.url === undefined ? {} : {url: flags.url}),
        ...(flags['capture-on'] === undefined ? {} : {captureOn: flags['capture-on']}),
        hachaosArgv: (h) => (h.via === 'ssh' ? ['hachaos'] : [process.execPath, bin]),
        ratePerS: flags.rate,
        probeTimeoutMs,
        pollMs,
        vipOwner: flags['vip-owner'] === 'poll' ? 'poll' : 'monitor',
        toleranceMs,
        availability: objective.availability,
        monthConsumedMs: month.consumedMs,
        tracker: {settleMs},
        ...(flags['no-save'] || pcapMarginMs <= 0 ? {} : {slice: {dir: runsDir(), marginMs: pcapMarginMs}}),
        onIncident,
        onEvent: (e) => board?.observe(e),
        onWarning: (m) => warnings.length < 100 && warnings.push(m),
      })
      const w = watch
      warnings.push(...w.target.warnings)
      for (const x of w.target.warnings) this.warn(x)
      if (flags.listen !== undefined) {
        server = await serveMetrics(watchRegistry(w, {sloLabel: objective.label}), flags.listen)
        this.progress(`metrics: http://${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}/metrics`)
      }
      const t = w.target
      this.progress(`watching ${t.hosts.map((h) => h.name).join(', ')} (VIP ${t.vip ?? '—'}, vrid ${t.vrid ?? '—'}, master ${t.master ?? 'none'}); probes ${flags.rate}/s from ${t.client?.host.name ?? 'nowhere'}; ${durationMs > 0 ? `for ${formatMs(durationMs)}` : 'until SIGINT/SIGTERM'}`)
      if (flags.tui) {
        const other = t.hosts.find((h) => h.name !== t.master)?.name ?? null
        const b = new FailoverBoard({
          vip: t.vip,
          vrid: t.vrid,
          hosts: t.hosts,
          target: t.master ?? '',
          fault: 'recording real incidents',
          watch: true,
          oldMaster: t.master,
          prediction: t.predict({from: t.master, to: other, graceful: false}),
          toleranceMs,
          priorities: t.priorities,
          availability: objective.availability,
          sloLabel: objective.label,
          monthConsumedMs: month.consumedMs,
          monthRuns: month.runs,
        })
        for (const x of warnings) b.note(`warning: ${x}`, nowUs())
        board = b
        const dashboard = createFailoverDashboard()
        const monitor = startFailoverMonitor({
          board: b,
          dashboard,
          onAbort: () => {
            stoppedBy = 'key'
            stop.abort()
          },
          onEndHold: () => undefined,
        })
        tui = {
          monitor,
          close() {
            monitor.stop()
            dashboard.destroy()
          },
        }
      }
      await (durationMs > 0 ? sleep(durationMs, stop.signal).catch(() => undefined) : new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), {once: true})))
    } finally {
      tui?.close()
      await server?.close()
      await watch?.stop()
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      process.off('SIGHUP', onSignal)
      offPipe()
    }
    const w = watch
    const endUs = nowUs()
    const result: WatchResult = {
      stack: w.target.stack,
      vip: w.target.vip,
      vrid: w.target.vrid,
      nodes: w.nodes().map((n) => ({name: n.name, state: n.state, adverts: n.adverts, ownsVip: n.ownsVip})),
      startedAt: new Date(w.startedAtUs / 1000).toISOString(),
      endedAt: new Date(endUs / 1000).toISOString(),
      durationS: Math.round((endUs - w.startedAtUs) / 1000) / 1000,
      stoppedBy,
      listen: server === null ? null : {host: server.host, port: server.port},
      events: w.events,
      probes: {ok: w.stats.probesOk, failed: w.stats.probesFailed},
      incidentsTotal: w.stats.incidents,
      incidents,
      outageMsTotal: w.stats.outageMsTotal,
      splitBrainMsTotal: w.stats.splitBrainMsTotal,
      budgetRemainingMs: w.stats.budgetRemainingMs(),
      slo: objective.label,
      warnings,
    }
    if (!this.jsonEnabled()) this.print(result)
    return result
  }

  private print(r: WatchResult): void {
    this.log(`watch of ${r.stack} (VIP ${r.vip ?? '—'}, vrid ${r.vrid ?? '—'}) for ${r.durationS.toFixed(1)} s, stopped by ${r.stoppedBy}`)
    this.log(`  nodes: ${r.nodes.map((n) => `${n.name} ${['unknown', 'BACKUP', 'MASTER'][n.state] ?? '?'}${n.ownsVip ? ' (VIP)' : ''}, ${n.adverts} adverts`).join('; ')}`)
    this.log(`  probes: ${r.probes.ok} ok, ${r.probes.failed} failed; ${r.events} events`)
    this.log(`  incidents: ${r.incidentsTotal}`)
    for (const i of r.incidents) {
      this.log(`    ${i.startedAt}  ${i.change}${i.cause === null ? '' : ` (${i.cause})`}  ${i.figure} ${formatMs(i.takeoverMs, 1)} (predicted ${formatMs(i.predictedMs, 1)})  outage ${formatMs(i.outageMs, 1)}, ${i.lostProbes} lost${i.splitBrainMs > 0 ? `  split brain ${formatMs(i.splitBrainMs, 0)}` : ''}  ${i.verdict.toUpperCase()}`)
    }
    this.log(`  outage ${formatMs(r.outageMsTotal, 1)} in all, split brain ${formatMs(r.splitBrainMsTotal, 0)}; ${r.slo} budget left this month: ${formatMs(r.budgetRemainingMs, 0)}`)
    for (const x of r.warnings) this.log(`  ! ${x}`)
  }
}
