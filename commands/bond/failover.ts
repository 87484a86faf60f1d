import {Args, Flags} from '@oclif/core'

import {faultDefinition} from '../../chaos/registry.js'
import {qemuFacts} from '../../chaos/member-down.js'
import {measureFailover, type FailoverMeasurement} from '../../src/bond/failover.js'
import {checkBondName} from '../../src/bond/snapshot.js'
import {HachaosError} from '../../src/errors.js'
import {runRevert} from '../../src/fault/actions.js'
import type {FaultEnv, FaultPlan, HostRef} from '../../src/fault/types.js'
import {executorFor, hostsWithRole, type InventoryHost} from '../../src/inventory/inventory.js'
import {setLink} from '../../src/lab/bond/qemu.js'
import {drillLocks, hostLockKey} from '../../src/drill/drill-lock.js'
import {closeJournal, openJournal, recordHelpers, updateJournal} from '../../src/store/journal.js'
import {pidStartOf} from '../../src/util/proc.js'
import {newRunId, saveRun} from '../../src/store/runs.js'
import {RUN_SCHEMA, type DrillRun, type TimelineEvent} from '../../src/store/run-types.js'
import {isoFromUs, parseDuration} from '../../src/time.js'
import {HachaosCommand} from '../_base.js'
import {inventoryFlag, pickBondHost, resolveInventory} from '../_bond.js'

/** Watcher poll + 2 jiffies (HZ 250: the miimon work is queued in jiffies) + 25 ms scheduling slack under TCG. */
export function toleranceMs(pollMs: number): number {
  return 2 * pollMs + 8 + 25
}

export interface TrialResult {
  trial: number
  runId: string
  runFile: string
  measurement: Omit<FailoverMeasurement, 'watch' | 'procBefore' | 'procAfter'>
  /** The number compared with the prediction: carrier drop → active change (or → MII down without an active member). */
  measuredMs: number | null
  predictedMaxMs: number | null
  toleranceMs: number
  within: boolean | null
}

export interface BondFailoverResult {
  host: string
  bond: string
  trials: TrialResult[]
  summary: {min: number | null; mean: number | null; max: number | null; predictedMaxMs: number | null; toleranceMs: number; allWithin: boolean}
}

function refOf(h: InventoryHost): HostRef {
  const {name, ...entry} = h
  return {name, entry}
}

export default class BondFailover extends HachaosCommand {
  static override summary = 'Pull a bond member\'s cable and measure the failover: detection, active member change, traffic back.'
  static override description = `Uses the member-down fault (QEMU set_link off on the bond lab's guest; journalled, reverted with
set_link on even after Ctrl-C) while a watcher on the guest logs carrier, MII status and the active member
every few ms on the guest's monotonic clock, and a client pings the bond every 10 ms. Reports
carrier drop → MII down → active member change (guest clock), inject → traffic flowing again (client
view), and compares them with the bonding driver's own bound: miimon + downdelay (MII monitor) or
(arp_missed_max + 1.5) × arp_interval (ARP monitor). Each trial is saved in the run store.`

  static override examples = [
    '<%= config.bin %> bond failover',
    '<%= config.bin %> bond failover --member eth0 --hold 2s',
    '<%= config.bin %> bond failover --trials 5 --json',
  ]

  static override args = {bond: Args.string({description: 'Bond interface (default: facts.bond).', required: false, ignoreStdin: true})}

  static override flags = {
    inventory: inventoryFlag,
    host: Flags.string({char: 'H', description: 'Inventory host (default: the bond host).'}),
    member: Flags.string({char: 'm', description: 'Member to take down (default: the active one at each trial).'}),
    hold: Flags.string({description: 'How long the member stays down (default: 3 × the predicted detection, at least 1.5 s).'}),
    trials: Flags.integer({char: 'n', description: 'Repeat (the active member is taken down each time).', default: 1, min: 1, max: 50}),
    'probe-from': Flags.string({description: 'Client host that pings the bond (default: the first client; "none" for no probe).'}),
    poll: Flags.integer({description: 'Watcher poll period on the guest (ms).', default: 2, min: 1, max: 100}),
  }

  async run(): Promise<BondFailoverResult> {
    const {args, flags} = await this.parse(BondFailover)
    const inv = await resolveInventory(flags.inventory)
    const host = pickBondHost(inv, flags.host)
    const bond = checkBondName(args.bond ?? (typeof host.facts.bond === 'string' ? host.facts.bond : 'bond0'))
    const q = qemuFacts(host.facts)
    if (q === null) throw new HachaosError(`${host.name} is not a bond-lab guest: bond failover pulls cables through QEMU`, {code: 'E_NOT_A_VM', exit: 'USAGE', suggestions: ['hachaos lab up --topology bond']})
    let holdMs: number | undefined
    if (flags.hold !== undefined) {
      try {
        holdMs = parseDuration(flags.hold)
      } catch (e) {
        throw new HachaosError(`--hold: ${(e as Error).message}`, {code: 'E_USAGE', exit: 'USAGE'})
      }
    }
    const exec = executorFor(host)
    const probeHost = flags['probe-from'] === 'none' ? null : flags['probe-from'] !== undefined ? inv.hosts.find((h) => h.name === flags['probe-from']) ?? null : (hostsWithRole(inv, 'client')[0] ?? null)
    if (flags['probe-from'] !== undefined && flags['probe-from'] !== 'none' && probeHost === null) throw new HachaosError(`no host "${flags['probe-from']}"`, {code: 'E_UNKNOWN_HOST', exit: 'USAGE'})
    if (probeHost !== null && probeHost.via !== 'netns' && probeHost.via !== 'local') this.progress(`warning: ${probeHost.name} is reached via ${probeHost.via}: its ping timestamps must share this machine's clock`)
    const env: FaultEnv = {inventory: inv, target: host, exec, ref: refOf(host), executorFor, refFor: refOf, force: false}
    const tol = toleranceMs(flags.poll)
    const ac = new AbortController()
    const onSig = (): void => ac.abort()
    process.once('SIGINT', onSig)
    process.once('SIGTERM', onSig)
    const trials: TrialResult[] = []
    // One drill per target: the bond's host, for every trial (src/drill/drill-lock.ts).
    const locks = drillLocks(`bond-${process.pid}`, `bond failover ${host.name} ${bond}`, (m) => this.warn(m))
    locks.acquire([hostLockKey(inv, host)])
    try {
      for (let i = 1; i <= flags.trials && !ac.signal.aborted; i++) {
        const plan: FaultPlan = await faultDefinition('member-down').plan({...(flags.member === undefined ? {} : {member: flags.member}), bond}, env)
        const member = String(plan.params['member'])
        const netdev = String(plan.params['netdev'])
        const runId = newRunId(host.name, 'member-down')
        const journal = openJournal(runId, plan, undefined, locks.keys)
        const startedAt = new Date().toISOString()
        let revertError: string | null = null
        let m: FailoverMeasurement
        try {
          m = await measureFailover({
            exec,
            host: host.name,
            bond,
            member,
            pollMs: flags.poll,
            ...(holdMs === undefined ? {} : {holdMs}),
            signal: ac.signal,
            onProgress: this.progress,
            // the guest watcher and the client's ping, journaled as they start (`hachaos recover` ends them)
            onHelper: (h) => recordHelpers(journal, [{...h, pidStart: pidStartOf(h.pid)}]),
            ...(probeHost === null ? {} : {probe: {exec: executorFor(probeHost), address: host.address}}),
            inject: async () => {
              updateJournal(journal, 'injecting')
              // The plan's own argv does the same through a child process; in-process, QEMU's answer gives
              // the inject moment to the µs.
              const r = await setLink(q.monitor, netdev, false)
              updateJournal(journal, 'injected')
              return {sentAt: r.sentAt, answeredAt: r.answeredAt}
            },
            revert: async () => {
              updateJournal(journal, 'reverting')
              const rv = await runRevert(plan.revert)
              if (!rv.ok) {
                revertError = rv.errors.join('; ')
                updateJournal(journal, 'revert-failed', rv.errors)
              } else closeJournal(journal)
              return rv.results[0]?.t0 ?? 0
            },
          })
        } catch (e) {
          // measureFailover reverts in its finally once injected; never injected → nothing to undo
          if (journal.state === 'planned') closeJournal(journal, undefined, 'not-injected')
          if (ac.signal.aborted) throw new HachaosError(`interrupted${journal.state === 'not-injected' ? ' before the cable pull: nothing was broken' : ': the member was plugged back in'}`, {code: 'E_INTERRUPTED', exit: 'INTERRUPTED'})
          throw e
        }
        if (revertError !== null) {
          throw new HachaosError(`could not plug ${member} back in: ${String(revertError)}`, {code: 'E_REVERT', exit: 'REVERT_FAILED', suggestions: ['hachaos recover', `or by hand: ${plan.revert.map((a) => (a.type === 'exec' ? a.argv.join(' ') : a.what)).join('; ')}`]})
        }
        const activeMode = m.activeBefore !== null
        const measured = activeMode ? m.timing.carrierDownToActiveChangeMs : m.timing.carrierDownToMiiDownMs
        const within = measured === null || m.prediction.maxDetectMs === null ? null : measured <= m.prediction.maxDetectMs + tol
        const run = toRun(runId, startedAt, host, inv.file, m, plan, measured, tol, within, revertError, probeHost?.name ?? null)
        const file = saveRun(run)
        const {watch: _w, procBefore: _b, procAfter: _a, ...rest} = m
        void _w
        void _b
        void _a
        trials.push({trial: i, runId, runFile: file, measurement: rest, measuredMs: measured, predictedMaxMs: m.prediction.maxDetectMs, toleranceMs: tol, within})
        this.printTrial(trials.at(-1) as TrialResult, flags.trials)
      }
    } finally {
      locks.release()
      process.off('SIGINT', onSig)
      process.off('SIGTERM', onSig)
    }
    const ms = trials.map((t) => t.measuredMs).filter((x): x is number => x !== null)
    const summary = {
      min: ms.length === 0 ? null : Math.min(...ms),
      mean: ms.length === 0 ? null : ms.reduce((a, b) => a + b, 0) / ms.length,
      max: ms.length === 0 ? null : Math.max(...ms),
      predictedMaxMs: trials[0]?.predictedMaxMs ?? null,
      toleranceMs: tol,
      allWithin: trials.every((t) => t.within !== false),
    }
    if (trials.length > 1) this.log(`\n${trials.length} trials: min ${summary.min?.toFixed(1) ?? '—'} ms, mean ${summary.mean?.toFixed(1) ?? '—'} ms, max ${summary.max?.toFixed(1) ?? '—'} ms (bound ${summary.predictedMaxMs ?? '—'} ms + ${tol} ms tolerance)`)
    if (ac.signal.aborted) throw new HachaosError('interrupted: the member was plugged back in', {code: 'E_INTERRUPTED', exit: 'INTERRUPTED'})
    if (!summary.allWithin) process.exitCode = 7
    return {host: host.name, bond, trials, summary}
  }

  private printTrial(t: TrialResult, n: number): void {
    const m = t.measurement
    const f = (x: number | null | undefined, d = 1): string => (x === null || x === undefined ? '—' : `${x.toFixed(d)} ms`)
    this.log(`${n > 1 ? `trial ${t.trial}: ` : ''}${m.member} of ${m.bond} on ${m.host} (${m.mode ?? '?'}) pulled at ${isoFromUs(m.injectAt).slice(11, 23)}`)
    this.log(`  predicted   ${m.prediction.formula}`)
    this.log(`  guest clock carrier down → MII down ${f(m.timing.carrierDownToMiiDownMs)}, → active ${m.activeBefore ?? '—'}→${m.activeAfter ?? '—'} ${f(m.timing.carrierDownToActiveChangeMs)}  (poll ${m.pollMs} ms)`)
    this.log(`  cable pull → guest carrier down ${f(m.timing.injectToCarrierDownMs)} (± ${f(m.timing.clockUncertaintyMs)} clock offset)`)
    if (m.traffic !== null) this.log(`  client      last reply before → first after: ${f(m.traffic.outageMs)} (${m.traffic.lostReplies} lost of ${m.traffic.replies}); traffic back ${f(m.traffic.resumeMs)} after the pull`)
    if (m.carrierUpToMiiUpMs !== null) this.log(`  plugged back: carrier up → MII up ${f(m.carrierUpToMiiUpMs)} (updelay ${m.updelayMs ?? 0} ms)`)
    this.log(`  verdict     ${t.within === null ? 'not measured' : t.within ? 'within' : 'OVER'} the bound (${f(t.measuredMs)} vs ${t.predictedMaxMs ?? '—'} ms + ${t.toleranceMs} ms)`)
    for (const w of m.warnings) this.log(`  ! ${w}`)
  }
}

function toRun(id: string, startedAt: string, host: InventoryHost, inventory: string, m: FailoverMeasurement, plan: FaultPlan, measured: number | null, tol: number, within: boolean | null, revertError: string | null, probeHost: string | null): DrillRun {
  const events: TimelineEvent[] = [{type: 'fault.inject', t: m.injectAt, host: 'localhost', phase: 'after', fault: 'member-down'}]
  if (m.revertAt !== null) events.push({type: 'fault.revert', t: m.revertAt, host: 'localhost', phase: 'before', fault: 'member-down', ok: revertError === null})
  let prev = m.watch[0]
  const c = m.timing
  // the watcher's changes, placed on this machine's clock through the measured offset
  const base = m.watch.find((s, i) => i > 0 && s.members[m.member]?.carrier === false)
  for (const s of m.watch.slice(1)) {
    const t = base !== undefined && c.injectToCarrierDownMs !== null ? m.injectAt + c.injectToCarrierDownMs * 1000 + Number(s.monoNs - base.monoNs) / 1000 : s.receivedAt
    for (const [name, st] of Object.entries(s.members)) {
      const was = prev?.members[name]
      if (was?.carrier !== st.carrier) events.push({type: 'bond', t, host: host.name, event: 'carrier', member: name, detail: st.carrier === true ? 'up' : 'down'})
      if (was?.mii !== st.mii) events.push({type: 'bond', t, host: host.name, event: 'mii', member: name, detail: st.mii})
    }
    if (prev?.active !== s.active) events.push({type: 'bond', t, host: host.name, event: 'active-changed', member: s.active, detail: `${prev?.active ?? '-'} → ${s.active ?? '-'}`})
    prev = s
  }
  const reasons = within === null ? ['nothing to compare'] : [`${measured?.toFixed(1) ?? '—'} ms vs bound ${m.prediction.maxDetectMs ?? '—'} ms + ${tol} ms tolerance`]
  return {
    schema: RUN_SCHEMA,
    id,
    startedAt,
    endedAt: new Date().toISOString(),
    stack: 'bond',
    target: host.name,
    fault: {kind: 'member-down', params: plan.params, inject: plan.inject.map((a) => (a.type === 'exec' ? a.argv : [a.what])), revert: plan.revert.map((a) => (a.type === 'exec' ? a.argv : [a.what]))},
    inventory,
    lab: null,
    vip: null,
    captureHost: null,
    probe: probeHost === null ? null : {url: `icmp://${host.address}`, ratePerS: 100, timeoutMs: 1000},
    hosts: [{name: host.name, clockOffsetUs: 0}],
    holdMs: m.revertAt === null ? 0 : Math.round((m.revertAt - m.injectAt) / 1000),
    prediction: {metric: 'bondFailoverMs', takeoverMs: m.prediction.maxDetectMs, minMs: 0, maxMs: m.prediction.maxDetectMs, formula: m.prediction.formula, inputs: {monitor: m.prediction.monitor, miimonMs: m.miimonMs ?? 0, downdelayMs: m.downdelayMs ?? 0, updelayMs: m.updelayMs ?? 0}},
    metrics: {
      faultAtUs: m.injectAt,
      revertAtUs: m.revertAt,
      oldOwner: m.activeBefore,
      newOwner: m.activeAfter,
      takeoverMs: c.injectToActiveChangeMs ?? measured,
      takeoverFromLastAdvertMs: null,
      garpMs: null,
      outageMs: m.traffic?.outageMs ?? null,
      lostProbes: m.traffic?.lostReplies ?? 0,
      probesTotal: m.traffic?.replies ?? 0,
      probesFailed: m.traffic?.lostReplies ?? 0,
      failbackMs: m.carrierUpToMiiUpMs,
      failbackOutageMs: null,
      failbackLostProbes: 0,
      // bondFailoverMs: what the prediction bounds (carrier down → active change, or → MII down outside active-backup).
      extra: {bondFailoverMs: measured ?? null, carrierDownToMiiDownMs: c.carrierDownToMiiDownMs, carrierDownToActiveChangeMs: c.carrierDownToActiveChangeMs, injectToCarrierDownMs: c.injectToCarrierDownMs, resumeMs: m.traffic?.resumeMs ?? null},
    },
    splitBrain: [],
    reverted: revertError === null,
    revertError,
    warnings: m.warnings,
    verdict: within === false ? 'fail' : within === null ? 'warn' : 'pass',
    verdictReasons: reasons,
    events: events.sort((a, b) => a.t - b.t),
    unparsed: {count: 0, sample: []},
  }
}

