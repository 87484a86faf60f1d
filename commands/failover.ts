import {mkdirSync} from 'node:fs'
import {join} from 'node:path'

import {Flags} from '@oclif/core'

import {FAULTS, faultDefinition} from '../chaos/registry.js'
import {HachaosError} from '../src/errors.js'
import {showPlan, STOP_BEFORE_KILL, type ShownAction} from '../src/fault/display.js'
import type {FaultPlan} from '../src/fault/types.js'
import {runDrill} from '../src/drill/engine.js'
import {makeTcpdumpCapture} from '../src/drill/capture-source.js'
import {drillLocks, hostLockKey} from '../src/drill/drill-lock.js'
import {findHost} from '../src/inventory/inventory.js'
import {drillLockKeys, drillPhases, prepareDrill, stackLabel} from '../src/stacks/registry.js'
import {resolveInventory} from '../src/inventory/resolve.js'
import {MAX_RATE} from '../src/probe/http.js'
import {budgetLine, parseObjective} from '../src/sla/nines.js'
import {faultText, measuredFor, metricLabel} from '../src/store/run-metrics.js'
import {runsDir} from '../src/store/paths.js'
import {newRunId, saveRun} from '../src/store/runs.js'
import {storeWrite} from '../src/store/store-error.js'
import {drillExitCode} from '../src/store/verdict.js'
import type {DrillRun, Prediction} from '../src/store/run-types.js'
import {formatMs, nowUs, parseDuration} from '../src/time.js'
import {FailoverBoard} from '../src/tui/failover-board.js'
import {boardConfigForDrill, monthBudgetUse, startFailoverMonitor, type FailoverMonitor} from '../src/tui/failover-monitor.js'
import {createFailoverDashboard, type FailoverDashboard} from '../src/tui/failover-screen.js'
import {HachaosCommand, type BaseFlags} from './_base.js'

export interface FailoverDryRun {
  dryRun: true
  target: string
  fault: FaultPlan
  prediction: Prediction
  /** The real command lines (as started from this machine), one per step. */
  commands: {inject: string[]; revert: string[]}
  /** Each step: what it does, its command line, how that was found (PIDs looked up now …). */
  steps: {inject: ShownAction[]; revert: ShownAction[]}
  warnings: string[]
}

export type FailoverResult = DrillRun | FailoverDryRun

const dur = (flag: string, v: string | undefined, o: {positive?: boolean} = {}): number | null => {
  if (v === undefined) return null
  let ms: number
  try {
    ms = parseDuration(v)
  } catch (e) {
    throw new HachaosError(`--${flag}: ${(e as Error).message}`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['e.g. 500ms, 5s, 1m']})
  }
  if (o.positive === true && ms <= 0) throw new HachaosError(`--${flag} ${v}: must be longer than 0 (every probe would fail)`, {code: 'E_USAGE', exit: 'USAGE', suggestions: [`e.g. --${flag} 1s`]})
  return ms
}

/** The duration flags, checked before any host is read. */
interface DrillDurations {
  holdMs: number | null
  probeTimeoutMs: number
  toleranceMs: number
  maxOutageMs: number | null
}

export default class Failover extends HachaosCommand {
  static override summary = 'Break a node on purpose and measure the failover from real packets and client probes.'
  static override description = `Captures VRRP adverts and ARP on the client (tcpdump), probes the VIP over HTTP at a fixed rate (a new TCP
connection each), checks the steady state, journals the revert, injects the fault, holds it until the
takeover is seen and the service answers again (or for --hold), reverts it, waits for the failback, and
reports: takeover after the fault and after the old master's last advert, the first gratuitous ARP, the
client-observed outage and lost probes, the failback — each next to what the keepalived/HAProxy
configuration predicts (Master_Down_Interval, Skew_Time, track_script interval × fall, HAProxy inter × fall)
— split-brain findings, and what such an outage costs against an uptime objective. The run is saved for
\`hachaos report\`. The fault is reverted on any error, on SIGINT/SIGTERM, and after a crash by \`hachaos recover\`.

On a Pacemaker cluster node (role cluster-node) the drill polls the VIP on every node and crm_mon, asks the
client's ARP for the VIP every second, and reports the VIP relocation (next to token + consensus [+ fence] +
the resources' own start/stop times), crm_mon's view, and a split brain (VIP on two nodes, two MACs
answering ARP) with its duration.

Faults: ${FAULTS.map((f) => `${f.kind} (${f.summary})`).join('; ')}.`

  static override examples = [
    {description: 'NIC down on lb1, the VRRP master (keepalived lab: hachaos lab up).', command: '<%= config.bin %> failover --target lb1'},
    {description: 'keepalived leaves gracefully (priority-0 advert); keepalived lab.', command: '<%= config.bin %> failover --target lb1 --fault kill --process keepalived --signal TERM'},
    {description: 'HAProxy dies on lb1, the track_script moves the VIP; keepalived lab.', command: '<%= config.bin %> failover --target lb1 --fault kill --process haproxy'},
    {description: 'A web server dies, HAProxy\'s check ejects it; keepalived lab.', command: '<%= config.bin %> failover --target web1 --fault kill --process apache2'},
    {description: 'Drop lb1\'s adverts for 8 s: a split brain; keepalived lab.', command: '<%= config.bin %> failover --target lb1 --fault drop-vrrp --hold 8s'},
    {description: 'The exact commands and the prediction, nothing broken; keepalived lab.', command: '<%= config.bin %> failover --target lb1 --dry-run'},
    {description: 'SIGKILL corosync on n1 (Pacemaker lab: hachaos lab up --topology pacemaker).', command: '<%= config.bin %> failover --target n1 --fault cluster-kill --param daemon=corosync'},
    {description: 'Put n1 in standby (Pacemaker lab: hachaos lab up --topology pacemaker).', command: '<%= config.bin %> failover --target n1 --fault cluster-standby'},
    {description: 'Real hosts from an inventory file (see README: Inventory).', command: '<%= config.bin %> failover --inventory prod.yaml --target lb1 --capture-on client1 --rate 50 --json'},
  ]

  static override flags = {
    target: Flags.string({char: 't', description: 'Host to break (a name in the inventory).', required: true}),
    fault: Flags.string({char: 'f', description: 'Fault kind.', options: FAULTS.map((f) => f.kind), default: 'nic-down'}),
    process: Flags.string({description: 'kill: process name (keepalived, haproxy, apache2, …).'}),
    signal: Flags.string({description: 'kill: signal (KILL, TERM, STOP, …).'}),
    service: Flags.string({description: 'kill/service-stop: the service to stop or to restart on revert.'}),
    interface: Flags.string({description: 'nic-down/drop-vrrp: the interface.'}),
    param: Flags.string({char: 'p', description: 'Other fault (or stack) parameter as key=value (repeatable); a Gluster target takes heal=trigger|wait.', multiple: true}),
    hold: Flags.string({description: 'Keep the fault this long before reverting (default: until the takeover is seen and the service is back).'}),
    rate: Flags.integer({char: 'r', description: 'Client probes per second (1–200).', default: 20}),
    'probe-timeout': Flags.string({description: 'Timeout of one probe.', default: '1s'}),
    'capture-on': Flags.string({description: 'Host that captures and probes (default: the host with role client).'}),
    vip: Flags.string({description: 'Service address (default: the inventory\'s vip).'}),
    url: Flags.string({char: 'u', description: 'URL to probe (default: http://VIP/).'}),
    'lb-server': Flags.string({description: 'HAProxy server name of the target (backend faults; default: found by address).'}),
    inventory: Flags.string({char: 'i', description: 'Inventory file (default: $HACHAOS_INVENTORY, else the lab\'s).'}),
    'dry-run': Flags.boolean({description: 'Show the fault\'s exact commands and the prediction; break nothing.'}),
    force: Flags.boolean({description: 'Allow what is refused by default (downing the interface of our own ssh session).'}),
    tolerance: Flags.string({description: 'Measured vs predicted tolerance for the verdict.', default: '100ms'}),
    'max-outage': Flags.string({description: 'Fail the verdict when the client outage exceeds this.'}),
    slo: Flags.string({description: 'Objective for the budget line (99.99, 99.99%, 0.9999, or a count of nines).', default: '99.99'}),
    'no-save': Flags.boolean({description: 'Do not save the run in the run store.'}),
    tui: Flags.boolean({description: 'Full-screen dashboard of the drill (keys: q abort and revert, r end the hold, p pause). Needs a terminal; not with --json.'}),
  }

  async run(): Promise<FailoverResult> {
    const {flags} = await this.parse(Failover)
    const objective = parseObjective(flags.slo)
    if (flags.tui && !flags['dry-run']) {
      if (this.jsonEnabled()) throw new HachaosError('--tui and --json do not go together: the dashboard is for a person, --json for a script', {code: 'E_USAGE', exit: 'USAGE', suggestions: ['drop --tui to get the run as JSON', 'drop --json to watch the drill']})
      if (process.stdout.isTTY !== true || process.stdin.isTTY !== true) {
        throw new HachaosError('--tui needs a terminal: standard input and output must be a TTY', {code: 'E_USAGE', exit: 'USAGE', suggestions: ['run it in a terminal (or tmux)', 'to script a drill use --json (the whole run as JSON)']})
      }
    }
    if (flags.rate < 1 || flags.rate > MAX_RATE) {
      throw new HachaosError(`--rate ${flags.rate} is out of range`, {code: 'E_USAGE', exit: 'USAGE', suggestions: [`use 1–${MAX_RATE} probes per second`]})
    }
    const params: Record<string, unknown> = {}
    for (const kv of flags.param ?? []) {
      const i = kv.indexOf('=')
      if (i <= 0) throw new HachaosError(`--param ${kv}: expected key=value`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['e.g. --param interface=eth1']})
      params[kv.slice(0, i)] = kv.slice(i + 1)
    }
    for (const k of ['process', 'signal', 'service', 'interface'] as const) if (flags[k] !== undefined) params[k] = flags[k]
    // Every flag is checked before any host is read: a bad flag is a usage error wherever the lab is.
    const holdMs = dur('hold', flags.hold)
    const probeTimeoutMs = dur('probe-timeout', flags['probe-timeout'], {positive: true}) ?? 1000
    const toleranceMs = dur('tolerance', flags.tolerance) ?? 100
    const maxOutageMs = dur('max-outage', flags['max-outage'])
    const def = faultDefinition(flags.fault)
    // SIGINT/SIGTERM, from the start: before the fault, stop cleanly (nothing broken, locks released); after
    // it, revert at once (the engine reverts in `finally`). A third signal gives up and leaves the rest to
    // `hachaos recover`.
    const ac = new AbortController()
    let signals = 0
    const onSignal = (sig: NodeJS.Signals): void => {
      signals++
      if (signals === 1) this.progress(`${sig}: stopping (a fault already injected is reverted now)`)
      ac.abort()
      if (signals >= 3) {
        process.stderr.write('giving up: run `hachaos recover` to revert what is left\n')
        process.exit(130)
      }
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    // The dashboard's terminal may close under it (a window shut, an ssh session lost): revert as on SIGINT.
    if (flags.tui) process.on('SIGHUP', onSignal)
    try {
      return await this.guarded(flags, objective, params, def, ac, {holdMs, probeTimeoutMs, toleranceMs, maxOutageMs})
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      process.off('SIGHUP', onSignal)
    }
  }

  private async guarded(flags: BaseFlags<typeof Failover>, objective: ReturnType<typeof parseObjective>, params: Record<string, unknown>, def: ReturnType<typeof faultDefinition>, ac: AbortController, d: DrillDurations): Promise<FailoverResult> {
    const inventory = await resolveInventory(flags.inventory, flags.target)
    const runId = newRunId(flags.target, flags.fault)
    const bin = join(this.config.root, 'bin', 'run.js')
    if (!flags['no-save']) storeWrite(runsDir(), 'the run store directory', () => mkdirSync(runsDir(), {recursive: true}))
    // One drill per target: the target and its stack's hosts, at once (a second drill is refused at once); any
    // further host the drill turns out to observe is added once known.
    const locks = drillLocks(runId, `failover --target ${flags.target} --fault ${flags.fault}`, (m) => this.warn(m))
    if (!flags['dry-run']) locks.acquire(drillLockKeys(inventory, findHost(inventory, flags.target)))
    try {
      return await this.drill(flags, inventory, runId, bin, params, def, objective, locks, ac, d)
    } finally {
      locks.release()
    }
  }

  private async drill(
    flags: BaseFlags<typeof Failover>,
    inventory: Awaited<ReturnType<typeof resolveInventory>>,
    runId: string,
    bin: string,
    params: Record<string, unknown>,
    def: ReturnType<typeof faultDefinition>,
    objective: ReturnType<typeof parseObjective>,
    locks: ReturnType<typeof drillLocks>,
    ac: AbortController,
    d: DrillDurations,
  ): Promise<FailoverResult> {
    const {holdMs, probeTimeoutMs, toleranceMs, maxOutageMs} = d
    const prepared = await prepareDrill({
      inventory,
      target: flags.target,
      planFault: (env, omit = []) => def.plan(Object.fromEntries(Object.entries(params).filter(([k]) => !omit.includes(k))), env),
      params,
      holdMs,
      ratePerS: flags.rate,
      probeTimeoutMs,
      ...(flags['capture-on'] === undefined ? {} : {captureOn: flags['capture-on']}),
      ...(flags.vip === undefined ? {} : {vip: flags.vip}),
      ...(flags.url === undefined ? {} : {url: flags.url}),
      ...(flags['lb-server'] === undefined ? {} : {lbServer: flags['lb-server']}),
      force: flags.force,
      toleranceMs,
      maxOutageMs,
      hachaosArgv: (h) => (h.via === 'ssh' ? ['hachaos'] : [process.execPath, bin]),
      makeCapture: makeTcpdumpCapture,
      ...(flags['no-save'] ? {} : {pcapPath: join(runsDir(), `${runId}.pcap`)}),
      runId,
    })
    for (const w of prepared.spec.warnings) this.warn(w)
    if (flags['dry-run']) {
      const steps = await showPlan(prepared.plan)
      const show = (xs: ShownAction[]): void => {
        for (const x of xs) {
          this.log(`    ${x.what}`)
          if (x.command !== null) this.log(`      ${x.command}`)
          if (x.note !== undefined) this.log(`      (${x.note})`)
        }
      }
      this.log(`dry run: ${prepared.plan.summary}`)
      this.log('  inject:')
      show(steps.inject)
      this.log('  revert:')
      show(steps.revert)
      if (prepared.plan.inject.some((a) => a.type === 'signal' && a.signal === 'SIGSTOP') && prepared.plan.params['signal'] === 'KILL') this.log(`  why STOP before KILL: ${STOP_BEFORE_KILL}`)
      this.log(`  prediction: ${prepared.prediction.formula}`)
      const commands = {inject: steps.inject.flatMap((x) => (x.command === null ? [] : [x.command])), revert: steps.revert.flatMap((x) => (x.command === null ? [] : [x.command]))}
      return {dryRun: true, target: flags.target, fault: prepared.plan, prediction: prepared.prediction, commands, steps, warnings: [...prepared.spec.warnings, ...prepared.plan.warnings]}
    }

    // The hosts the stack's reaction involves (VRRP peers, cluster nodes), as the configs say.
    const touched = new Set(prepared.spec.hosts.map((h) => h.name))
    locks.acquire(inventory.hosts.filter((h) => touched.has(h.name)).map((h) => hostLockKey(inventory, h)))

    if (ac.signal.aborted) throw new HachaosError('interrupted before the drill started: nothing was broken', {code: 'E_INTERRUPTED', exit: 'INTERRUPTED'})
    const endHold = new AbortController()
    const tui = flags.tui ? this.startTui(prepared.spec, prepared.plan.summary, objective, ac, endHold) : null
    let run: DrillRun
    try {
      run = await runDrill(prepared.spec, {onProgress: tui === null ? this.progress : (m) => tui.board.note(m, nowUs()), signal: ac.signal, endHold: endHold.signal, locks: locks.keys})
    } catch (e) {
      tui?.close()
      throw e
    }
    let file: string | null = null
    if (!flags['no-save']) {
      try {
        file = storeWrite(join(runsDir(), `${run.id}.json`), 'the run record', () => saveRun(run))
      } catch (e) {
        tui?.close()
        // The drill is over and reverted: show what it measured before saying the record could not be kept.
        this.print(run, objective.availability, objective.label, null)
        throw e
      }
    }
    if (tui !== null) {
      // The board keeps the last picture with the run's own figures until q (not after an abort: out at once).
      await tui.monitor.finish({outageMs: run.metrics.outageMs, measuredMs: measuredFor(run), verdict: run.verdict, reasons: run.verdictReasons, interrupted: run.judgedBy?.interrupted ?? ac.signal.aborted, savedAs: file}, !ac.signal.aborted)
      tui.close()
    }
    this.print(run, objective.availability, objective.label, file)
    if (ac.signal.aborted) process.exitCode = 130
    else process.exitCode = drillExitCode(run) // one table: src/store/verdict.ts
    return run
  }

  /** The dashboard over the drill: the board taps the drill's event log; keys abort or end the hold. */
  private startTui(spec: Parameters<typeof runDrill>[0], fault: string, objective: ReturnType<typeof parseObjective>, ac: AbortController, endHold: AbortController): {board: FailoverBoard; monitor: FailoverMonitor; close(): void} {
    const month = monthBudgetUse()
    const board = new FailoverBoard(boardConfigForDrill(spec, {fault, availability: objective.availability, sloLabel: objective.label, monthConsumedMs: month.consumedMs, monthRuns: month.runs}))
    for (const w of spec.warnings) board.note(`warning: ${w}`, nowUs())
    if (month.note !== null) board.note(month.note, nowUs())
    spec.log.tap((e) => board.observe(e))
    const dashboard: FailoverDashboard = createFailoverDashboard()
    const monitor = startFailoverMonitor({board, dashboard, onAbort: () => ac.abort(), onEndHold: () => endHold.abort()})
    let closed = false
    return {
      board,
      monitor,
      close() {
        if (closed) return
        closed = true
        monitor.stop()
        dashboard.destroy()
      },
    }
  }

  private print(run: DrillRun, availability: number, label: string, file: string | null): void {
    const m = run.metrics
    const p = run.prediction
    this.log(`drill ${run.id}`)
    this.log(`  ${faultText(run)} (${stackLabel(run.stack)}); VIP ${run.vip ?? '—'}; probes ${run.probe === null ? 'none' : `${run.probe.ratePerS}/s to ${run.probe.url}`}`)
    this.log('')
    this.log('  phases, relative to the fault:')
    for (const ph of drillPhases(run)) this.log(`    ${`${ph.atMs >= 0 ? '+' : ''}${(ph.atMs / 1000).toFixed(3)} s`.padStart(10)}  ${ph.what}`)
    this.log('')
    this.log('  predicted vs measured:')
    const measured = measuredFor(run)
    const range = p.minMs !== null && p.maxMs !== null && formatMs(p.minMs, 0) !== formatMs(p.maxMs, 0) ? `${formatMs(p.minMs, 0)} … ${formatMs(p.maxMs, 0)}` : formatMs(p.takeoverMs, 1)
    this.log(`    ${metricLabel(p.metric).padEnd(26)} predicted ${range.padEnd(20)} measured ${formatMs(measured, 1)}`)
    this.log(`    ${''.padEnd(26)} (${p.formula})`)
    const row = (k: string, v: string): void => this.log(`    ${k.padEnd(26)} ${v}`)
    // The VRRP rows when the capture saw VRRP (a stack with adverts), whichever stack ran: the command names none.
    const vrrp = run.events.some((e) => e.type === 'vrrp.advert')
    if (vrrp && p.metric !== 'takeoverMs') row('takeover after the fault', formatMs(m.takeoverMs, 1))
    if (vrrp && p.metric !== 'takeoverFromLastAdvertMs') row('takeover after last advert', formatMs(m.takeoverFromLastAdvertMs, 1))
    row('first GARP', formatMs(m.garpMs, 1))
    row('client outage', `${formatMs(m.outageMs, 1)}, ${m.lostProbes} probes lost (${m.probesFailed} of ${m.probesTotal} failed in the run)`)
    for (const [k, v] of Object.entries(m.extra)) if (k !== p.metric) row(metricLabel(k), k.endsWith('Ms') ? `${formatMs(v, 1)}${k === 'clientAffectedMs' ? ' after the fault' : ''}` : String(v ?? '—'))
    // A failback only when the VIP moved (a backend fault, or a target that was no master, moves nothing).
    if (vrrp && m.failbackMs !== null) row('failback', `${formatMs(m.failbackMs, 1)}, client outage ${formatMs(m.failbackOutageMs, 1)}`)
    else if (m.revertAtUs !== null) row('after the revert', `client outage ${formatMs(m.failbackOutageMs, 1)}, ${m.failbackLostProbes} probes lost`)
    this.log('')
    if (m.outageMs !== null && m.outageMs > 0) this.log(`  budget: ${budgetLine(m.outageMs, availability, 'month')}`)
    else this.log(`  budget: no client-visible outage against ${label}`)
    this.log(`  split brain: ${run.splitBrain.length === 0 ? 'none' : run.splitBrain.map((s) => `${s.kind} ${s.parties.join('+')} for ${(s.durationMs / 1000).toFixed(2)} s`).join('; ')}`)
    this.log(`  reverted: ${run.reverted ? 'yes' : `NO — ${run.revertError ?? ''} (run hachaos recover)`}`)
    this.log(`  verdict: ${run.verdict.toUpperCase()}`)
    for (const r of run.verdictReasons) this.log(`    - ${r}`)
    for (const w of run.warnings) this.log(`  ! ${w}`)
    if (run.unparsed.count > 0) this.log(`  (${run.unparsed.count} capture lines not understood, kept in the run)`)
    if (file !== null) this.log(`  saved: ${file}`)
  }
}
