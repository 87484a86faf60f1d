/**
 * The drill: steady state → journal → inject → hold → revert → failback → analysis.
 * Observers (packet capture, client probes, pollers) run from before the fault until after the failback, each
 * on its own timer; this engine only orchestrates and never decides a figure by itself: the numbers come from
 * the timeline analysis over what the observers recorded (src/timeline/analyze.ts).
 * A fault is always reverted: in `finally`, when the signal aborts (SIGINT/SIGTERM), and — after a crash —
 * from the journal by `hachaos recover`.
 */
import {hostname} from 'node:os'

import {HachaosError, errorMessage} from '../errors.js'
import {runInject, runRevert} from '../fault/actions.js'
import type {FaultPlan} from '../fault/types.js'
import type {DrillRun, FailoverMetrics, Prediction, SplitBrainFinding, Stack, TimelineEvent} from '../store/run-types.js'
import {RUN_SCHEMA} from '../store/run-types.js'
import {emptyMetrics} from '../store/run-metrics.js'
import {judge as judgeDrill} from '../store/verdict.js'
import {analyzeTimeline, type TimelineAnalysis} from '../timeline/analyze.js'
import {nowUs, sleep, type EpochMicros} from '../time.js'
import type {Poller} from '../util/poll-loop.js'
import {DrillJournal} from './drill-journal.js'
import {sshMasters} from '../exec/ssh.js'
import {ProbeRun} from './live-state.js'
import type {ProbeSession} from './probe-session.js'

/** A packet capture on some host, streaming events into the drill (src/capture adapts tcpdump to this). */
export interface CaptureSource {
  readonly host: string
  readonly pid: number | undefined
  /** Resolves once the capture is really listening. */
  start(): Promise<void>
  stop(): Promise<{unparsed: {count: number; sample: string[]}; rawLines: string[]; pcap: string | null}>
}

/**
 * Where every observer writes its events. The events are kept for the analysis at the end of the run; every
 * event is also handed once, as it arrives, to the taps (the engine's live state and the stack's hooks).
 */
export class EventLog {
  readonly events: TimelineEvent[] = []
  private readonly taps: Array<(e: TimelineEvent) => void> = []
  readonly emit = (e: TimelineEvent): void => {
    this.events.push(e)
    for (const f of this.taps) f(e)
  }

  /** Follow every event from now on (the ones already logged are handed over first, once). */
  tap(f: (e: TimelineEvent) => void): void {
    for (const e of this.events) f(e)
    this.taps.push(f)
  }
}

export interface DrillSpec {
  runId: string
  log: EventLog
  stack: Stack
  target: string
  plan: FaultPlan
  prediction: Prediction
  vip: string | null
  /** The VRRP instance the timeline analysis follows (set by stacks that have one; null: none). */
  vrid: number | null
  /** Names for advert sources and MACs in the capture. */
  hosts: Array<{name: string; ip?: string; mac?: string}>
  /** Who held the service before the fault (by name: the VRRP master, the node with the VIP), when known. */
  oldMaster: string | null
  capture: CaptureSource | null
  probe: ProbeSession | null
  probeInfo: DrillRun['probe']
  pollers: Poller[]
  /** Exact hold before the revert; null: until recovered (bounded by the prediction). */
  holdMs: number | null
  /** Tolerance for the verdict, ms. */
  toleranceMs: number
  /** A client-observed outage above this fails the verdict (ms). */
  maxOutageMs: number | null
  inventoryFile: string | null
  lab: DrillRun['lab']
  clockOffsets: DrillRun['hosts']
  warnings: string[]
  /** Observer processes started from this process (journaled: `recover` ends them after a crash). */
  helperPids: () => Array<{host: string; pid: number; argv: string[]}>
  /** How this stack is followed live and what figures it adds (made by its src/stacks/<name>/). */
  hooks: StackHooks
}

/**
 * How the engine follows a stack during a drill, made by the stack's prepare() (src/stacks/<name>/); the
 * engine knows no stack by name. Incremental: every event is handed to observe() once, as it arrives; the
 * stack folds it into state bounded by its sources (advert sources, servers, resources — never by the number
 * of events) and answers steady/reacted/settled in O(1).
 */
export interface StackHooks {
  observe(e: TimelineEvent): void
  /** Before the fault, since `since`: the stack shows its steady state (e.g. the master advertises). */
  steady(since: EpochMicros): boolean
  /** What is missing when steady() stays false (for the error). */
  notSteady(): string
  /** The stack visibly reacted to the fault (e.g. another master advertises; the VIP is on another node). */
  reacted(faultAt: EpochMicros): boolean
  /** How long to keep holding after the reaction before the hold may end (ms). */
  holdAfterReactMs: number
  /** After the revert: back to a steady state (e.g. the old master advertises again, every node online). */
  settled(revertAt: EpochMicros): boolean
  /** Longest wait for `settled` after the revert (ms). */
  settleWaitMs: number
  /** A figure the prediction is about that was not observed fails the verdict (else: a warning). */
  mustObserve: boolean
  /** The stack's own figures, from the generic ones, over all events (once, at the end of the run). */
  metrics(events: readonly TimelineEvent[], base: FailoverMetrics, faultAt: EpochMicros | null, revertAt: EpochMicros | null): FailoverMetrics
  /** Entries of live state held now (the memory bound, for tests). */
  size(): number
  /** Split brains the stack itself saw after the fault (once, at the end of the run), besides the timeline's VRRP/VIP ones. */
  splitBrain?(events: readonly TimelineEvent[], faultAt: EpochMicros | null): SplitBrainFinding[]
}

export interface DrillHooks {
  onProgress?: (message: string) => void
  /** Aborting skips the rest of the hold and reverts at once. */
  signal?: AbortSignal
  /**
   * Aborting ends the hold now (a dashboard's "revert now"): the fault is reverted and the failback observed
   * as after any hold — unlike `signal`, which also skips the failback. Stack-neutral: only the hold reads it.
   */
  endHold?: AbortSignal
  /** Lock keys the caller holds for this drill (src/drill/drill-lock.ts), journaled for `recover`. */
  locks?: string[]
}

/**
 * The text of the `note` event the engine emits when an inject step has run (then `N/M what`): a stack that
 * must act once part of a multi-step fault is in effect (drop-sync: its streams after the drop, before the
 * failover) follows these.
 */
export const INJECT_STEP_NOTE = 'inject step done: '

/** How late a probe may report after a newer one, beyond its timeout (µs): the live probe state's horizon. */
const PROBE_LATENESS_US = 2_000_000

export async function runDrill(spec: DrillSpec, hooks: DrillHooks = {}): Promise<DrillRun> {
  const progress = hooks.onProgress ?? ((): void => undefined)
  const events = spec.log.events
  const emit = spec.log.emit
  const startedAt = new Date()
  const warnings = [...spec.warnings, ...spec.plan.warnings]
  const aborted = (): boolean => hooks.signal?.aborted === true
  // The journal entry opens before the first side effect: a drill killed at any moment from here on leaves
  // an entry naming its helper processes (and, once injected, its fault) for `hachaos recover`.
  // Helpers: the stack's observers and every ssh ControlMaster this process opened (src/exec/ssh.ts) — the
  // masters of the discovery are recorded at the first look, later ones as they appear.
  const journal = DrillJournal.open(spec.runId, spec.plan, () => [...spec.helperPids(), ...sshMasters()], hooks.locks ?? [])
  let faultAt: EpochMicros | null = null
  let revertAt: EpochMicros | null = null
  let reverted = false
  let revertError: string | null = null
  let injected = false
  let unparsed = {count: 0, sample: [] as string[]}
  let interrupted = false
  // The live state the loops read: generic probe state here, the stack's own in its hooks; both fed once per event.
  const probes = new ProbeRun((spec.probeInfo?.timeoutMs ?? 1000) * 1000 + PROBE_LATENESS_US)
  spec.log.tap((e) => {
    if (e.type === 'probe') probes.observe(e)
    spec.hooks.observe(e)
  })

  try {
    // 1. Observers (each helper PID journaled as it appears).
    journal.watchHelpers()
    if (spec.capture !== null) {
      progress(`capturing packets on ${spec.capture.host}`)
      await spec.capture.start()
    }
    spec.probe?.start()
    journal.recordNow()
    for (const p of spec.pollers) p.start()

    // 2. Steady state: the service answers (half a second of good probes) and the master advertises (one
    // advert in the capture), before anything is broken.
    progress('checking the steady state before the fault')
    const steadyDeadline = Date.now() + 15_000
    const t0 = nowUs()
    probes.mark(t0)
    for (;;) {
      if (aborted()) throw interruptedError()
      const probesOk = spec.probe === null || probes.okRunUs() >= 500_000
      const stackOk = spec.hooks.steady(t0)
      if (probesOk && stackOk) break
      if (Date.now() > steadyDeadline) {
        throw new HachaosError(
          `steady state not reached: ${!probesOk ? `the service did not answer for half a second (${spec.probeInfo?.url ?? ''})` : spec.hooks.notSteady()}; nothing was broken`,
          {code: 'E_STEADY_STATE', exit: 'TIMEOUT', where: spec.target, suggestions: ['hachaos lab status (or check the service by hand) and run the drill again']},
        )
      }
      await sleep(50)
    }

    // 3. Journal, then inject.
    journal.state('injecting')
    progress(`fault: ${spec.plan.summary}`)
    faultAt = nowUs()
    probes.mark(faultAt)
    emit({type: 'fault.inject', t: faultAt, host: hostname(), phase: 'before', fault: spec.plan.kind})
    injected = true
    const steps = spec.plan.inject.length
    await runInject(spec.plan.inject, hooks.signal, (i, r) => emit({type: 'note', t: r.t1, host: hostname(), text: `${INJECT_STEP_NOTE}${i + 1}/${steps} ${r.what}`}))
    emit({type: 'fault.inject', t: nowUs(), host: hostname(), phase: 'after', fault: spec.plan.kind})
    journal.state('injected')

    // 4. Hold.
    await hold(spec, probes, faultAt, hooks, progress)
    if (aborted()) interrupted = true
  } catch (e) {
    if (aborted()) interrupted = true
    if (!injected) {
      await stopObservers(spec).catch(() => undefined)
      closeNotInjected(journal)
      throw e
    }
    warnings.push(`drill error: ${errorMessage(e)}`)
  } finally {
    if (injected) {
      // 5. Revert, always, under fresh timeouts.
      progress('reverting the fault')
      journal.tryState('reverting', warnings)
      revertAt = nowUs()
      probes.mark(revertAt)
      emit({type: 'fault.revert', t: revertAt, host: hostname(), phase: 'before', fault: spec.plan.kind, ok: true})
      const out = await runRevert(spec.plan.revert)
      emit({type: 'fault.revert', t: nowUs(), host: hostname(), phase: 'after', fault: spec.plan.kind, ok: out.ok})
      reverted = out.ok
      if (out.ok) {
        // Closed once the observers are stopped (after the failback): until then `recover` ends them.
        journal.tryState('failback', warnings)
      } else {
        revertError = out.errors.join('; ')
        journal.tryState('revert-failed', warnings, out.errors)
      }
    }
  }

  // 6. Failback (not after an interruption: the user wants out).
  if (reverted && !interrupted && revertAt !== null) await failback(spec, probes, revertAt, hooks, progress)
  const stopped = await stopObservers(spec)
  journal.stopWatching()
  if (reverted) {
    try {
      journal.close('reverted')
    } catch (e) {
      warnings.push(`the journal entry could not be closed (${(e as Error).message}): \`hachaos recover\` will close it`)
    }
  }
  unparsed = stopped.unparsed
  const pcap = stopped.pcap
  if (interrupted && !injected) {
    closeNotInjected(journal)
    throw interruptedError()
  }

  // 7. Analysis.
  const offsets = new Map(spec.clockOffsets.map((h) => [h.name, h.clockOffsetUs]))
  const corrected = events.map((e) => {
    const off = offsets.get(e.host) ?? 0
    return off === 0 ? e : {...e, t: e.t - off}
  })
  corrected.sort((a, b) => a.t - b.t)
  const analysis = analyzeTimeline(corrected, {vip: spec.vip, vrid: spec.vrid, faultAtUs: faultAt, revertAtUs: revertAt, hosts: spec.hosts, probeIntervalMs: spec.probeInfo === null ? undefined : 1000 / spec.probeInfo.ratePerS})
  const metrics = withExtras(analysis, corrected, spec, faultAt, revertAt)
  // a stack may see a split brain of its own (Gluster: files in split-brain after the heal), judged as any other
  const splitBrain = [...analysis.splitBrain, ...(spec.hooks.splitBrain?.(corrected, faultAt) ?? [])]
  const {verdict, reasons} = judge(spec, metrics, splitBrain, reverted, revertError, interrupted)
  const run: DrillRun = {
    schema: RUN_SCHEMA,
    id: spec.runId,
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    stack: spec.stack,
    target: spec.target,
    fault: {kind: spec.plan.kind, params: spec.plan.params, inject: spec.plan.inject.map(describeAction), revert: spec.plan.revert.map(describeAction)},
    inventory: spec.inventoryFile,
    lab: spec.lab,
    vip: spec.vip,
    captureHost: spec.capture?.host ?? null,
    probe: spec.probeInfo,
    hosts: spec.clockOffsets.map((h) => ({...h, ...spec.hosts.find((x) => x.name === h.name)})),
    holdMs: faultAt !== null && revertAt !== null ? Math.round((revertAt - faultAt) / 1000) : 0,
    prediction: spec.prediction,
    metrics,
    splitBrain,
    reverted,
    revertError,
    warnings,
    verdict,
    verdictReasons: reasons,
    judgedBy: {effect: spec.plan.effect, mustObserve: spec.hooks.mustObserve, toleranceMs: spec.toleranceMs, maxOutageMs: spec.maxOutageMs, interrupted},
    events: corrected,
    unparsed,
    ...(pcap === null ? {} : {pcap}),
  }
  return run
}

/** The drill ended before its fault: the entry closes as not injected (observers already stopped). */
function closeNotInjected(journal: DrillJournal): void {
  try {
    journal.close('not-injected')
  } catch {
    // the store failed (full?): the entry stays open as planned and `recover` closes it without a revert
  }
}

function interruptedError(): HachaosError {
  return new HachaosError('interrupted before the fault: nothing was broken', {code: 'E_INTERRUPTED', exit: 'INTERRUPTED'})
}

function describeAction(a: FaultPlan['inject'][number]): string[] {
  switch (a.type) {
    case 'exec':
      return [a.host.name, ...a.argv]
    case 'service':
      return [a.host.name, `service:${a.op}`, a.service]
    case 'signal':
      return [a.host.name, 'kill', '-s', a.signal.replace(/^SIG/, ''), `<${a.comm}>`]
    case 'sleep':
      return ['sleep', String(a.ms / 1000)]
  }
}

async function stopObservers(spec: DrillSpec): Promise<{unparsed: {count: number; sample: string[]}; pcap: string | null}> {
  await Promise.all(spec.pollers.map((p) => p.stop()))
  await spec.probe?.stop()
  const c = spec.capture === null ? null : await spec.capture.stop()
  return {unparsed: c?.unparsed ?? {count: 0, sample: []}, pcap: c?.pcap ?? null}
}

/** Wait after the fault: exactly --hold, or until the stack has visibly reacted and the service is back. */
async function hold(spec: DrillSpec, probes: ProbeRun, faultAt: EpochMicros, hooks: DrillHooks, progress: (m: string) => void): Promise<void> {
  const aborted = (): boolean => hooks.signal?.aborted === true || hooks.endHold?.aborted === true
  if (spec.holdMs !== null) {
    progress(`holding the fault for ${(spec.holdMs / 1000).toFixed(1)} s`)
    const end = Date.now() + spec.holdMs
    while (Date.now() < end && !aborted()) await sleep(Math.min(50, end - Date.now()))
    return
  }
  const predictedMax = spec.prediction.maxMs ?? spec.prediction.takeoverMs ?? 5000
  const minEnd = faultAt / 1000 + predictedMax + 500
  const cap = faultAt / 1000 + predictedMax + 15_000
  progress(`waiting for the takeover (predicted ${(predictedMax / 1000).toFixed(3)} s at most) and for the service to answer again`)
  let reactedAt: number | null = null
  while (!aborted()) {
    const now = Date.now()
    if (now > cap) {
      progress('no recovery seen within the prediction + 15 s: reverting')
      return
    }
    const reacted = spec.hooks.reacted(faultAt)
    if (reacted && reactedAt === null) reactedAt = now
    const back = spec.probe === null || probes.okRunUs() >= 1_000_000
    if (reacted && reactedAt !== null && now >= reactedAt + spec.hooks.holdAfterReactMs && back && now >= minEnd) return
    await sleep(50)
  }
}

async function failback(spec: DrillSpec, probes: ProbeRun, revertAt: EpochMicros, hooks: DrillHooks, progress: (m: string) => void): Promise<void> {
  const cap = revertAt / 1000 + spec.hooks.settleWaitMs
  progress('waiting for the failback')
  while (hooks.signal?.aborted !== true && Date.now() < cap) {
    const done = (spec.probe === null || probes.okRunUs() >= 500_000) && spec.hooks.settled(revertAt)
    if (done) return
    await sleep(50)
  }
}

/** Stack-specific figures the generic analysis does not compute (the stack's hooks, once over all events). */
function withExtras(a: TimelineAnalysis, events: TimelineEvent[], spec: DrillSpec, faultAt: EpochMicros | null, revertAt: EpochMicros | null): FailoverMetrics {
  const base: FailoverMetrics = a.metrics ?? emptyMetrics(faultAt ?? 0, revertAt, spec.oldMaster)
  const m = spec.hooks.metrics(events, {...base, extra: {...base.extra}}, faultAt, revertAt)
  // A failback is the VIP's return: when it never moved (a backend fault, a target that was no master) there is none.
  const moved = m.newOwner !== null && m.newOwner !== m.oldOwner
  return moved ? m : {...m, failbackMs: null}
}

// Verdict: one model for the drill, the report, JUnit and the exit code (src/store/verdict.ts). Adapter only.
function judge(spec: DrillSpec, m: FailoverMetrics, split: SplitBrainFinding[], reverted: boolean, revertError: string | null, interrupted: boolean): {verdict: DrillRun['verdict']; reasons: string[]} {
  const j = judgeDrill({prediction: spec.prediction, metrics: m, splitBrain: split, reverted, revertError, interrupted, effect: spec.plan.effect, mustObserve: spec.hooks.mustObserve, toleranceMs: spec.toleranceMs, maxOutageMs: spec.maxOutageMs})
  return {verdict: j.verdict, reasons: j.reasons.map((r) => r.text)}
}

