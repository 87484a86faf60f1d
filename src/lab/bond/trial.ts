/**
 * One bond failover trial, shared by `hachaos bond failover` (commands/bond/failover.ts) and the game day's
 * `bond:` step (src/lab/bond/step.ts): the member-down fault planned through the fault registry (wired in by
 * the caller, chaos/ is not src's), journaled, the cable pulled in-process through QEMU's monitor (its answer
 * gives the inject moment to the µs), measured by src/bond/failover.ts, plugged back in `finally`, and saved
 * in the run store. A `flap` pulls the cable, plugs it back and pulls it again (flapMs apart) before the hold.
 */
import {measureFailover, type FailoverMeasurement} from '../../bond/failover.js'
import {HachaosError} from '../../errors.js'
import {runRevert} from '../../fault/actions.js'
import type {FaultEnv, FaultPlan, HostRef} from '../../fault/types.js'
import {executorFor, type Inventory, type InventoryHost} from '../../inventory/inventory.js'
import {closeJournal, openJournal, recordHelpers, updateJournal} from '../../store/journal.js'
import {RUN_SCHEMA, type DrillRun, type TimelineEvent} from '../../store/run-types.js'
import {newRunId, saveRun} from '../../store/runs.js'
import {sleep} from '../../time.js'
import {pidStartOf} from '../../util/proc.js'
import {setLink} from './qemu.js'

/** Watcher poll + 2 jiffies (HZ 250: the miimon work is queued in jiffies) + 25 ms scheduling slack under TCG. */
export function toleranceMs(pollMs: number): number {
  return 2 * pollMs + 8 + 25
}

export interface QemuLinkFacts {
  monitor: string
  netdevs: Record<string, string>
}

/** QEMU facts of a bond-lab guest (facts.qemu_monitor, facts.qemu_netdevs); null for other hosts. */
export function guestQemuFacts(facts: Record<string, unknown>): QemuLinkFacts | null {
  const monitor = facts['qemu_monitor']
  const netdevs = facts['qemu_netdevs']
  if (typeof monitor !== 'string' || typeof netdevs !== 'object' || netdevs === null) return null
  const nd: Record<string, string> = {}
  for (const [k, v] of Object.entries(netdevs)) if (typeof v === 'string') nd[k] = v
  return {monitor, netdevs: nd}
}

export function refOf(h: InventoryHost): HostRef {
  const {name, ...entry} = h
  return {name, entry}
}

export interface TrialResult {
  trial: number
  runId: string
  runFile: string
  measurement: Omit<FailoverMeasurement, 'watch' | 'procBefore' | 'procAfter'>
  /** The number compared with the prediction: carrier drop → active change (the active member pulled), else → MII down. */
  measuredMs: number | null
  predictedMaxMs: number | null
  toleranceMs: number
  within: boolean | null
  run: DrillRun
}

export interface BondTrialOptions {
  inventory: Inventory
  host: InventoryHost
  bond: string
  /** Default: the active member at the trial's start. */
  member?: string
  holdMs?: number
  pollMs: number
  /** Over toleranceMs(pollMs), when given. */
  toleranceMs?: number
  /** Pull, plug back, pull again (this many ms apart) before the hold; absent: one pull. */
  flapMs?: number
  probeHost: InventoryHost | null
  planFault: (kind: string, params: Record<string, unknown>, env: FaultEnv) => Promise<FaultPlan>
  lockKeys: string[]
  trial: number
  signal: AbortSignal
  progress: (m: string) => void
  /** The game day's tag on the run record. */
  tag?: {id: string; step: number; name: string}
}

export async function runBondTrial(o: BondTrialOptions): Promise<TrialResult> {
  const {host, bond, inventory: inv} = o
  const q = guestQemuFacts(host.facts)
  if (q === null) throw new HachaosError(`${host.name} is not a bond-lab guest: bond failover pulls cables through QEMU`, {code: 'E_NOT_A_VM', exit: 'USAGE', where: host.name, suggestions: ['hachaos lab up --topology bond']})
  const exec = executorFor(host)
  const env: FaultEnv = {inventory: inv, target: host, exec, ref: refOf(host), executorFor, refFor: refOf, force: false}
  const tol = o.toleranceMs ?? toleranceMs(o.pollMs)
  const plan = await o.planFault('member-down', {...(o.member === undefined ? {} : {member: o.member}), bond}, env)
  const member = String(plan.params['member'])
  const netdev = String(plan.params['netdev'])
  const runId = newRunId(host.name, 'member-down')
  const journal = openJournal(runId, plan, undefined, o.lockKeys)
  const startedAt = new Date().toISOString()
  let revertError: string | null = null
  let m: FailoverMeasurement
  try {
    m = await measureFailover({
      exec,
      host: host.name,
      bond,
      member,
      pollMs: o.pollMs,
      ...(o.holdMs === undefined ? {} : {holdMs: o.holdMs}),
      signal: o.signal,
      onProgress: o.progress,
      // the guest watcher and the client's ping, journaled as they start (`hachaos recover` ends them)
      onHelper: (h) => recordHelpers(journal, [{...h, pidStart: pidStartOf(h.pid)}]),
      ...(o.probeHost === null ? {} : {probe: {exec: executorFor(o.probeHost), address: host.address}}),
      inject: async () => {
        updateJournal(journal, 'injecting')
        // The plan's own argv does the same through a child process; in-process, QEMU's answer gives the
        // inject moment to the µs.
        const r = await setLink(q.monitor, netdev, false)
        updateJournal(journal, 'injected')
        if (o.flapMs !== undefined) {
          // The flap: back in, out again; the journal stays `injected` (its revert, set_link on, undoes any state).
          await sleep(o.flapMs)
          await setLink(q.monitor, netdev, true)
          await sleep(o.flapMs)
          await setLink(q.monitor, netdev, false)
        }
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
    if (o.signal.aborted) throw new HachaosError(`interrupted${journal.state === 'not-injected' ? ' before the cable pull: nothing was broken' : ': the member was plugged back in'}`, {code: 'E_INTERRUPTED', exit: 'INTERRUPTED'})
    throw e
  }
  if (revertError !== null) {
    throw new HachaosError(`could not plug ${member} back in: ${String(revertError)}`, {code: 'E_REVERT', exit: 'REVERT_FAILED', suggestions: ['hachaos recover', `or by hand: ${plan.revert.map((a) => (a.type === 'exec' ? a.argv.join(' ') : a.what)).join('; ')}`]})
  }
  // The active member pulled: carrier drop → active change; a backup member (or no active one): → MII down.
  const activePulled = m.activeBefore !== null && m.activeBefore === member
  const measured = activePulled ? m.timing.carrierDownToActiveChangeMs : m.timing.carrierDownToMiiDownMs
  const within = measured === null || m.prediction.maxDetectMs === null ? null : measured <= m.prediction.maxDetectMs + tol
  const run = toRun(runId, startedAt, host, inv.file, m, plan, measured, tol, within, revertError, o.probeHost?.name ?? null, o.flapMs === undefined ? 'member-down' : 'flap')
  if (o.tag !== undefined) run.plan = o.tag
  const file = saveRun(run)
  const {watch: _w, procBefore: _b, procAfter: _a, ...rest} = m
  void _w
  void _b
  void _a
  return {trial: o.trial, runId, runFile: file, measurement: rest, measuredMs: measured, predictedMaxMs: m.prediction.maxDetectMs, toleranceMs: tol, within, run}
}

function toRun(id: string, startedAt: string, host: InventoryHost, inventory: string, m: FailoverMeasurement, plan: FaultPlan, measured: number | null, tol: number, within: boolean | null, revertError: string | null, probeHost: string | null, action: string): DrillRun {
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
    fault: {kind: 'member-down', params: action === 'flap' ? {...plan.params, flap: 'true'} : plan.params, inject: plan.inject.map((a) => (a.type === 'exec' ? a.argv : [a.what])), revert: plan.revert.map((a) => (a.type === 'exec' ? a.argv : [a.what]))},
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
      // bondFailoverMs: what the prediction bounds (carrier down → active change, or → MII down when a backup member or no active one is pulled).
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

/** The bond's members as the inventory knows them (facts.qemu_netdevs of a lab guest), in name order. */
export function guestMembers(host: InventoryHost): string[] {
  return Object.keys(guestQemuFacts(host.facts)?.netdevs ?? {}).sort()
}
