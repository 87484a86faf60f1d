/**
 * What a drill is prepared from (the failover command's flags and the inventory) and what preparing it
 * gives back. Every stack's prepare() (src/stacks/<name>/) takes DrillOptions and returns a PreparedDrill.
 */
import type {FaultEnv, FaultPlan} from '../fault/types.js'
import type {Inventory} from '../inventory/inventory.js'
import type {Prediction, Stack} from '../store/run-types.js'
import type {DrillSpec} from './engine.js'
import type {ClientObserverOptions} from './observers.js'

export interface DrillOptions extends ClientObserverOptions {
  inventory: Inventory
  target: string
  /**
   * Builds the fault's plan (the command wires the fault registry in here) from the --param values less
   * `omit` (the keys the target's stack takes itself: StackModule.params; src/stacks/registry.ts drops them).
   */
  planFault: (env: FaultEnv, omit?: readonly string[]) => Promise<FaultPlan>
  /** The raw --param values (key=value), for the stack's own parameters; absent: none given. */
  params?: Record<string, unknown>
  /** The --param values the target's stack declares (StackModule.params), set by prepareDrill. */
  stackParams?: Record<string, string>
  holdMs: number | null
  vip?: string
  url?: string
  force: boolean
  toleranceMs: number
  maxOutageMs: number | null
  runId: string
  /** HAProxy server name of a backend-loss target (default: the server whose address is the target's). */
  lbServer?: string
}

export interface PreparedDrill {
  spec: DrillSpec
  plan: FaultPlan
  prediction: Prediction
  stack: Stack
  /** Commands in the order they would run, as they would run (for --dry-run). */
  commands: {inject: string[]; revert: string[]}
}
