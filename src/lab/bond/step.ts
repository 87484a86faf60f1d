/**
 * The game day's `bond:` step (src/drill/step-kind.ts): `hachaos bond failover` as a plan step, through the same
 * trial (src/lab/bond/trial.ts: journal, QEMU cable pull, the guest watcher, the client's ping, revert, run
 * store), and the bond's soak catalogue: every member of the guest's bond and the active one, pulled or
 * flapped, drawn by the seeded soak as a stack's catalogue is.
 *
 *   - bond: {host: guest, bond: bond0, member: eth0, trials: 1, hold: 2s, gate: {max_outage: 1s}}
 *   - bond: {host: guest, action: flap}
 */
import {predictDetection, readProc} from '../../bond/failover.js'
import {checkBondName} from '../../bond/snapshot.js'
import {drillLocks, hostLockKey} from '../../drill/drill-lock.js'
import type {LabSoakEntry, LabStepContext, LabStepKind, LabStepOutcome, LabStepPlan, LabStepSpec} from '../../drill/step-kind.js'
import {HachaosError} from '../../errors.js'
import {showPlan} from '../../fault/display.js'
import type {FaultEnv} from '../../fault/types.js'
import {executorFor, findHost, hostsWithRole, type Inventory, type InventoryHost} from '../../inventory/inventory.js'
import {guestMembers, guestQemuFacts, refOf, runBondTrial, type TrialResult} from './trial.js'


/** A flap's pull → plug back → pull spacing when the step gives none: 3 × miimon 100 (each edge is seen). */
export const DEFAULT_FLAP_MS = 300
const ACTIONS = ['member-down', 'flap'] as const

function bondOf(host: InventoryHost, spec: LabStepSpec): string {
  return checkBondName(spec.params['bond'] ?? (typeof host.facts.bond === 'string' ? host.facts.bond : 'bond0'))
}

function intParam(spec: LabStepSpec, key: string, dflt: number, min: number, max: number): number {
  const v = spec.params[key]
  if (v === undefined) return dflt
  const n = Number(v)
  if (!Number.isInteger(n) || n < min || n > max) throw new HachaosError(`bond step: ${key} ${v} is not a whole number of ms between ${min} and ${max}`, {code: 'E_USAGE', exit: 'USAGE', where: spec.host})
  return n
}

function probeHostOf(inv: Inventory, spec: LabStepSpec): InventoryHost | null {
  const p = spec.params['probe_from']
  if (p === 'none') return null
  if (p !== undefined) return findHost(inv, p)
  return hostsWithRole(inv, 'client')[0] ?? null
}

function checkSpec(spec: LabStepSpec, host: InventoryHost): void {
  if (!(ACTIONS as readonly string[]).includes(spec.action)) throw new HachaosError(`bond step: no action "${spec.action}"`, {code: 'E_USAGE', exit: 'USAGE', where: spec.host, suggestions: [`actions: ${ACTIONS.join(', ')}`]})
  if (guestQemuFacts(host.facts) === null) throw new HachaosError(`${host.name} is not a bond-lab guest: a bond step pulls cables through QEMU`, {code: 'E_NOT_A_VM', exit: 'USAGE', where: host.name, suggestions: ['hachaos lab up --topology bond (its guest is "guest")']})
}

/** What the gate reads of a trial (a TrialResult, or one rebuilt from its run record). */
export interface TrialFigures {
  runId: string
  measuredMs: number | null
  predictedMaxMs: number | null
  toleranceMs: number
  within: boolean | null
  measurement: {member: string; activeBefore: string | null; activeAfter: string | null; traffic: {outageMs: number | null} | null; warnings: string[]}
}

/** Worst of the trials: the gate is about the worst one (a step of 3 trials passes when all 3 do). */
export function outcomeOf(trials: readonly TrialFigures[], maxOutageMs: number | null, action: string): LabStepOutcome {
  const max = (xs: (number | null)[]): number | null => {
    const v = xs.filter((x): x is number => x !== null)
    return v.length === 0 ? null : Math.max(...v)
  }
  const measuredMs = max(trials.map((t) => t.measuredMs))
  const outageMs = max(trials.map((t) => t.measurement.traffic?.outageMs ?? null))
  const reasons: string[] = []
  let verdict: LabStepOutcome['verdict'] = 'pass'
  for (const [i, t] of trials.entries()) {
    const m = t.measurement
    const what = m.activeBefore === m.member ? `${m.member} (active) pulled: carrier down → active ${m.activeBefore ?? '—'}→${m.activeAfter ?? '—'}` : `${m.member} (backup) pulled: carrier down → MII down`
    reasons.push(`trial ${i + 1}: ${action === 'flap' ? 'flap, ' : ''}${what} ${t.measuredMs === null ? '—' : `${t.measuredMs.toFixed(1)} ms`} vs ${t.predictedMaxMs ?? '—'} ms + ${t.toleranceMs} ms; client outage ${m.traffic?.outageMs == null ? '—' : `${m.traffic.outageMs.toFixed(1)} ms`}`)
    if (t.within === false) verdict = 'fail'
    else if (t.within === null && verdict === 'pass') verdict = 'warn'
  }
  if (maxOutageMs !== null && outageMs !== null && outageMs > maxOutageMs) {
    verdict = 'fail'
    reasons.push(`client outage ${outageMs.toFixed(1)} ms over the gate's max_outage ${maxOutageMs} ms`)
  }
  return {
    runIds: trials.map((t) => t.runId),
    verdict,
    reasons,
    metric: 'bondFailoverMs',
    measuredMs,
    predictedMs: trials[0]?.predictedMaxMs ?? null,
    predictedMaxMs: trials[0] === undefined || trials[0].predictedMaxMs === null ? null : trials[0].predictedMaxMs + trials[0].toleranceMs,
    outageMs,
    burnMs: trials.reduce((a, t) => a + Math.max(0, t.measurement.traffic?.outageMs ?? 0), 0),
    reverted: true,
    warnings: trials.flatMap((t) => t.measurement.warnings),
  }
}

export const bondStepKind: LabStepKind = {
  key: 'bond',
  summary: 'bond: {host, bond, member, action: member-down|flap, trials, hold, gate: {max_outage}} — hachaos bond failover on the bond lab\'s guest',
  actions: ACTIONS,
  matches: (host) => guestQemuFacts(host.facts) !== null && (host.roles.includes('bond-host') || host.facts.bond !== undefined),
  soakEntries(host): LabSoakEntry[] {
    // Fixed order (the seed replays the series): the active member, then every member by name, then a flap.
    return [
      {name: 'active-down', action: 'member-down', params: {}},
      ...guestMembers(host).map((m) => ({name: `member-down:${m}`, action: 'member-down', params: {member: m}})),
      {name: 'flap', action: 'flap', params: {}},
    ]
  },
  async plan(spec: LabStepSpec, ctx: LabStepContext): Promise<LabStepPlan> {
    const inv = ctx.inventory
    const host = findHost(inv, spec.host)
    checkSpec(spec, host)
    const bond = bondOf(host, spec)
    const exec = executorFor(host)
    const env: FaultEnv = {inventory: inv, target: host, exec, ref: refOf(host), executorFor, refFor: refOf, force: false}
    const fault = await ctx.planFault('member-down', {...(spec.params['member'] === undefined ? {} : {member: spec.params['member']}), bond}, env)
    const proc = await readProc(exec, bond)
    const pred = predictDetection(proc)
    const shown = await showPlan(fault)
    const flapMs = intParam(spec, 'flap_ms', DEFAULT_FLAP_MS, 10, 60_000)
    const active = proc.activeSlave
    const member = String(fault.params['member'])
    const detail = spec.action === 'flap' ? `, plug it back and pull it again (${flapMs} ms apart)` : ''
    return {
      summary: `${fault.summary}${detail}; ${spec.trials} trial(s)${active === null ? '' : ` (active now: ${active}${member === active ? '' : `; ${member} is a backup: no active change expected`})`}`,
      prediction: pred.formula,
      inject: shown.inject,
      revert: shown.revert,
      warnings: fault.warnings,
    }
  },
  async run(spec: LabStepSpec, ctx: LabStepContext): Promise<LabStepOutcome> {
    const inv = ctx.inventory
    const host = findHost(inv, spec.host)
    checkSpec(spec, host)
    const bond = bondOf(host, spec)
    const pollMs = intParam(spec, 'poll', 2, 1, 100)
    const flapMs = spec.action === 'flap' ? intParam(spec, 'flap_ms', DEFAULT_FLAP_MS, 10, 60_000) : undefined
    const probeHost = probeHostOf(inv, spec)
    // One drill per target (src/drill/drill-lock.ts), as `hachaos bond failover` takes it: the bond's host.
    const locks = drillLocks(`bond-${process.pid}-${Date.now()}`, `game day bond step on ${host.name} ${bond}`, ctx.warn)
    locks.acquire([hostLockKey(inv, host)])
    const trials: TrialResult[] = []
    try {
      for (let i = 1; i <= spec.trials && !ctx.signal.aborted; i++) {
        trials.push(
          await runBondTrial({
            inventory: inv,
            host,
            bond,
            ...(spec.params['member'] === undefined ? {} : {member: spec.params['member']}),
            ...(spec.holdMs === null ? {} : {holdMs: spec.holdMs}),
            ...(spec.toleranceMs === null ? {} : {toleranceMs: spec.toleranceMs}),
            ...(flapMs === undefined ? {} : {flapMs}),
            pollMs,
            probeHost,
            planFault: ctx.planFault,
            lockKeys: locks.keys,
            trial: i,
            signal: ctx.signal,
            progress: ctx.progress,
            ...(ctx.tag === null ? {} : {tag: ctx.tag}),
          }),
        )
      }
    } finally {
      locks.release()
    }
    return outcomeOf(trials, spec.maxOutageMs, spec.action)
  },
}
