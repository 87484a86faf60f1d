/**
 * A seeded random soak, as Pacemaker's CTS draws its tests from a catalogue: N drills drawn from the faults
 * that apply to each target — its stack's soak catalogue (StackModule.soakFaults, asked through the registry
 * src/stacks/registry.ts; this file names no stack) — random holds within
 * bounds, all from one seed (src/util/rng.ts): the same seed replays the same series, and the seed is printed.
 */
import {HachaosError} from '../errors.js'
import type {LabSoakEntry, LabStepKind} from '../drill/step-kind.js'
import {findHost, type Inventory, type InventoryHost} from '../inventory/inventory.js'
import {LAB_STEP_KINDS} from '../lab/registry.js'
import {soakCatalogue, soakFaultsFor} from '../stacks/registry.js'
import type {SoakFault} from '../stacks/types.js'
import type {Stack} from '../store/run-types.js'
import {rng} from '../util/rng.js'
import type {DrillStep, GameDayPlan, LabStep, SoakSpec} from './plan.js'

/** One drill of a stack's soak catalogue (StackModule.soakFaults, src/stacks/types.ts). */
export type CatalogueEntry = SoakFault

/** What the fault registry (chaos/registry.ts) says of a fault: its kind and the stacks it makes sense on. */
export interface FaultInfo {
  kind: string
  stacks: readonly Stack[]
}

/**
 * Catalogue entries that apply to `target`: those its stack offers (src/stacks/registry.ts soakFaultsFor, in
 * the stack's order), whose fault the fault registry has for that stack, after the --faults filter.
 */
export function applicable(inv: Inventory, target: InventoryHost, faults: readonly FaultInfo[], only: readonly string[] | null): CatalogueEntry[] {
  const offered = soakFaultsFor(target, inv)
  return offered.faults.filter((c) => {
    const f = faults.find((x) => x.kind === c.fault)
    if (f === undefined || !f.stacks.some((s) => offered.records.includes(s))) return false
    return only === null || only.includes(c.name) || only.includes(c.fault)
  })
}

/**
 * What a lab's own step kind (src/drill/step-kind.ts, e.g. the bond's cable pull) offers `target`, after the
 * --faults filter (an entry's name or its action): the first kind that takes the host, else none.
 */
export function applicableLab(inv: Inventory, target: InventoryHost, only: readonly string[] | null, kinds: readonly LabStepKind[] = LAB_STEP_KINDS): {kind: LabStepKind; entries: LabSoakEntry[]} | null {
  const kind = kinds.find((k) => k.matches(target, inv))
  if (kind === undefined) return null
  return {kind, entries: kind.soakEntries(target, inv).filter((e) => only === null || only.includes(e.name) || only.includes(e.action) || only.includes(`${kind.key}:${e.name}`))}
}

/** The stacks' catalogues (and the labs' step kinds) in one line each, for errors and help. */
export function catalogueText(): string[] {
  return [
    ...soakCatalogue().map((c) => `${c.stack}: ${c.entries.map((e) => `${e.name} (${e.roles.join('/')})`).join(', ')}`),
    ...LAB_STEP_KINDS.map((k) => `${k.key} (a lab's own step): ${k.actions.join(', ')} per member (${k.summary})`),
  ]
}

export interface DrawOptions {
  spec: SoakSpec
  /** The seed to use when the spec has none (printed by the caller). */
  seed: number
  inventory: Inventory
  faults: readonly FaultInfo[]
  /** Targets when the spec names none: those of the plan's drill steps. */
  defaultTargets: string[]
  defaults: GameDayPlan['defaults']
  /** The labs' own step kinds (default: src/lab/registry.ts LAB_STEP_KINDS; tests give their own). */
  labKinds?: readonly LabStepKind[]
}

/** The drawn series: N drill steps, the same for the same seed, catalogue and targets. */
export function drawSoak(o: DrawOptions): {seed: number; steps: Array<DrillStep | LabStep>} {
  const seed = o.spec.seed ?? o.seed
  const names = o.spec.targets ?? o.defaultTargets
  if (names.length === 0) {
    throw new HachaosError('the soak has no targets', {code: 'E_USAGE', exit: 'USAGE', suggestions: ['name them: --targets lb1,web1 (or soak: {targets: [lb1, web1]} in the plan)']})
  }
  type Entry = {stack: CatalogueEntry; lab: null} | {stack: null; lab: {kind: LabStepKind; entry: LabSoakEntry}}
  const pool = [...new Set(names)].map((n) => {
    const h = findHost(o.inventory, n)
    // A host a lab's own step kind takes (the bond guest) draws from that kind's catalogue; any other from its stack's.
    const lab = applicableLab(o.inventory, h, o.spec.faults, o.labKinds ?? LAB_STEP_KINDS)
    const entries: Entry[] = lab !== null ? lab.entries.map((entry) => ({stack: null, lab: {kind: lab.kind, entry}})) : applicable(o.inventory, h, o.faults, o.spec.faults).map((c) => ({stack: c, lab: null}))
    return {host: h, entries}
  })
  const empty = pool.filter((p) => p.entries.length === 0)
  if (empty.length > 0) {
    throw new HachaosError(`no fault of the catalogue applies to ${empty.map((p) => `${p.host.name} (roles: ${p.host.roles.join(', ') || 'none'})`).join(', ')}`, {
      code: 'E_USAGE',
      exit: 'USAGE',
      where: empty[0]?.host.name ?? '',
      suggestions: [`the stacks' soak catalogues: ${catalogueText().join('; ')}`, 'drop that target, or widen --faults'],
    })
  }
  const r = rng(seed)
  const steps: Array<DrillStep | LabStep> = []
  for (let i = 0; i < o.spec.count; i++) {
    const p = pool[Math.floor(r() * pool.length)] as (typeof pool)[number]
    const e = p.entries[Math.floor(r() * p.entries.length)] as Entry
    const h = o.spec.hold
    // Always draw the hold, used or not: the series does not shift when an entry has a fixed hold.
    const u = r()
    const drawnHold = h === null ? null : Math.round((h.minMs + u * (h.maxMs - h.minMs)) / 100) * 100
    if (e.lab !== null) {
      steps.push({
        kind: 'lab',
        key: e.lab.kind.key,
        name: `soak ${i + 1}/${o.spec.count}`,
        target: p.host.name,
        action: e.lab.entry.action,
        params: {...e.lab.entry.params},
        trials: 1,
        holdMs: drawnHold,
        maxOutageMs: o.defaults.maxOutageMs,
        toleranceMs: null,
        continueOnAudit: false,
        soak: e.lab.entry.name,
      })
      continue
    }
    const c = e.stack
    const holdMs = c.holdMs ?? drawnHold
    steps.push({
      kind: 'drill',
      name: `soak ${i + 1}/${o.spec.count}`,
      target: p.host.name,
      fault: c.fault,
      params: {...c.params},
      holdMs,
      rate: o.defaults.rate,
      probeTimeoutMs: o.defaults.probeTimeoutMs,
      toleranceMs: o.defaults.toleranceMs,
      maxOutageMs: o.defaults.maxOutageMs,
      splitBrain: c.splitBrain ?? null,
      continueOnAudit: false,
      soak: c.name,
    })
  }
  return {seed, steps}
}

/** A fresh seed (32 bits), when neither the plan nor --seed gives one. */
export function freshSeed(): number {
  return Math.floor(Math.random() * 2 ** 32) >>> 0
}
