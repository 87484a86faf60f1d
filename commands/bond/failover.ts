import {Args, Flags} from '@oclif/core'

import {faultDefinition} from '../../chaos/registry.js'
import {qemuFacts} from '../../chaos/member-down.js'
import {checkBondName} from '../../src/bond/snapshot.js'
import {HachaosError} from '../../src/errors.js'
import {hostsWithRole} from '../../src/inventory/inventory.js'
import {runBondTrial, toleranceMs, type TrialResult as LibTrial} from '../../src/lab/bond/trial.js'
import {drillLocks, hostLockKey} from '../../src/drill/drill-lock.js'
import {isoFromUs, parseDuration} from '../../src/time.js'
import {HachaosCommand} from '../_base.js'
import {inventoryFlag, pickBondHost, resolveInventory} from '../_bond.js'

export {toleranceMs}

/** One trial as printed and returned (--json): the library's, without the run record (it is in the store). */
export type TrialResult = Omit<LibTrial, 'run'>

export interface BondFailoverResult {
  host: string
  bond: string
  trials: TrialResult[]
  summary: {min: number | null; mean: number | null; max: number | null; predictedMaxMs: number | null; toleranceMs: number; allWithin: boolean}
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
    if (qemuFacts(host.facts) === null) throw new HachaosError(`${host.name} is not a bond-lab guest: bond failover pulls cables through QEMU`, {code: 'E_NOT_A_VM', exit: 'USAGE', suggestions: ['hachaos lab up --topology bond']})
    let holdMs: number | undefined
    if (flags.hold !== undefined) {
      try {
        holdMs = parseDuration(flags.hold)
      } catch (e) {
        throw new HachaosError(`--hold: ${(e as Error).message}`, {code: 'E_USAGE', exit: 'USAGE'})
      }
    }
    const probeHost = flags['probe-from'] === 'none' ? null : flags['probe-from'] !== undefined ? inv.hosts.find((h) => h.name === flags['probe-from']) ?? null : (hostsWithRole(inv, 'client')[0] ?? null)
    if (flags['probe-from'] !== undefined && flags['probe-from'] !== 'none' && probeHost === null) throw new HachaosError(`no host "${flags['probe-from']}"`, {code: 'E_UNKNOWN_HOST', exit: 'USAGE'})
    if (probeHost !== null && probeHost.via !== 'netns' && probeHost.via !== 'local') this.progress(`warning: ${probeHost.name} is reached via ${probeHost.via}: its ping timestamps must share this machine's clock`)
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
        const t = await runBondTrial({
          inventory: inv,
          host,
          bond,
          ...(flags.member === undefined ? {} : {member: flags.member}),
          ...(holdMs === undefined ? {} : {holdMs}),
          pollMs: flags.poll,
          probeHost,
          planFault: (kind, params, env) => faultDefinition(kind).plan(params, env),
          lockKeys: locks.keys,
          trial: i,
          signal: ac.signal,
          progress: this.progress,
        })
        const {run: _run, ...shown} = t
        void _run
        trials.push(shown)
        this.printTrial(shown, flags.trials)
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
