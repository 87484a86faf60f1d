/**
 * A game-day step kind that is not the drill engine's (issue 19): a failover whose measurement is its own
 * command — the bond's `hachaos bond failover`, a QEMU cable pull timed on the guest's clock — brought by the
 * lab that knows it (src/lab/bond/step.ts) and listed in the lab registry (src/lab/registry.ts labStepKinds).
 * The game day (src/gameday/) plans, runs, gates, audits and reports such a step through this interface only,
 * and names no bond: the plan's `bond:` key is this kind's `key`.
 */
import type {FaultEnv, FaultPlan} from '../fault/types.js'
import type {ShownAction} from '../fault/display.js'
import type {Inventory, InventoryHost} from '../inventory/inventory.js'

/** What a plan step (or a soak draw) asks of a step kind. */
export interface LabStepSpec {
  /** The kind's key (`bond`). */
  key: string
  host: string
  /** What to do (`member-down`, `flap`; the kind lists them). */
  action: string
  /** The kind's own parameters (bond, member, …), strings only. */
  params: Record<string, string>
  trials: number
  holdMs: number | null
  /** The gate: the client outage may not exceed this (ms); null: no bound. */
  maxOutageMs: number | null
  /** Over the kind's own tolerance of its prediction, when given (ms). */
  toleranceMs: number | null
}

/** One entry of a kind's soak catalogue for a host (drawn as a stack's SoakFault is). */
export interface LabSoakEntry {
  /** Its name in the soak's summary and in --faults. */
  name: string
  action: string
  params: Record<string, string>
}

/** The dry run of a step: what it would do, nothing touched. */
export interface LabStepPlan {
  summary: string
  prediction: string | null
  inject: ShownAction[]
  revert: ShownAction[]
  warnings: string[]
}

/** What a step measured over its trials: the worst trial's figures (the gate is about the worst). */
export interface LabStepOutcome {
  runIds: string[]
  verdict: 'pass' | 'warn' | 'fail'
  reasons: string[]
  metric: string
  measuredMs: number | null
  predictedMs: number | null
  predictedMaxMs: number | null
  outageMs: number | null
  /** Client downtime over every trial (the game day's budget burn), ms. */
  burnMs: number
  /** Every trial's fault reverted. */
  reverted: boolean
  warnings: string[]
}

export interface LabStepContext {
  inventory: Inventory
  /** The fault registry (chaos/registry.ts), wired in by the command: src never imports chaos/. */
  planFault: (kind: string, params: Record<string, unknown>, env: FaultEnv) => Promise<FaultPlan>
  progress: (m: string) => void
  warn: (m: string) => void
  signal: AbortSignal
  /** The game day's tag for the run store's records. */
  tag: {id: string; step: number; name: string} | null
}

export interface LabStepKind {
  /** The plan's key for this kind (`bond:`). */
  readonly key: string
  /** One line for help and errors. */
  readonly summary: string
  /** The actions a step may name. */
  readonly actions: readonly string[]
  /** Whether this kind drills `host` (a soak draws from it for that host). */
  matches(host: InventoryHost, inventory: Inventory): boolean
  /** The soak catalogue for `host`, in a fixed order (the seed replays the series only if it is stable). */
  soakEntries(host: InventoryHost, inventory: Inventory): LabSoakEntry[]
  /** The step's plan from the host's state now (reads only). */
  plan(spec: LabStepSpec, ctx: LabStepContext): Promise<LabStepPlan>
  /** Run the step's trials (each journaled, reverted in `finally`, saved in the run store). */
  run(spec: LabStepSpec, ctx: LabStepContext): Promise<LabStepOutcome>
}
