/**
 * A stack: what a drill breaks and observes (keepalived + HAProxy, Pacemaker/Corosync, …), one folder each
 * under src/stacks/. A stack finds its hosts and the service address in the inventory, reads the
 * configuration only it knows, predicts the fault's figure (with its formula), starts the observers it
 * needs, and gives the engine its live hooks (steady / reacted / settled, src/drill/engine.ts StackHooks) and
 * its own figures. The registry (registry.ts) picks the stack of a target; nothing else names one.
 */
import type {DrillOptions, PreparedDrill} from '../drill/options.js'
import type {Inventory, InventoryHost} from '../inventory/inventory.js'
import type {Phase} from '../drill/summary.js'
import type {DrillRun, Stack} from '../store/run-types.js'
import type {Rule} from '../doctor/types.js'
import type {WatchHook} from '../watch/types.js'

/**
 * One drill a seeded soak (src/gameday/soak.ts) may draw on a target of a stack, as Pacemaker's CTS draws from
 * its test catalogue: a fault kind (chaos/registry.ts) with the parameters that make it one drill.
 */
export interface SoakFault {
  /** Its name in the soak's summary and in --faults (unique within the stack). */
  name: string
  fault: string
  params: Record<string, string>
  /** The target roles it is drawn for (the stack's soakFaults picks by them; also shown in `run --help`). */
  roles: readonly string[]
  /** A fixed hold (faults that never "recover" by themselves: a split brain lasts as long as the fault). */
  holdMs?: number
  /** Split brain expected (the drill's point). */
  splitBrain?: boolean
}

/** A stack's soak catalogue entries for a target: those with one of its roles, in the catalogue's order. */
export function soakFaultsByRole(catalogue: readonly SoakFault[], target: InventoryHost): SoakFault[] {
  return catalogue.filter((c) => c.roles.some((r) => target.roles.includes(r)))
}

export interface StackModule {
  /** Short name (the folder's). */
  readonly name: string
  /** One line: what it is and which targets it takes (shown when no stack takes a target). */
  readonly summary: string
  /**
   * Drill parameters the stack takes itself (`failover --param KEY=VALUE`), key → help: given to prepare() as
   * DrillOptions.stackParams and kept from the fault's own parameter check. Absent: none.
   */
  readonly params?: Readonly<Record<string, string>>
  /** Whether a drill on `target` is this stack's, from its roles and facts. */
  matches(target: InventoryHost, inventory: Inventory): boolean
  /** Discovery, configuration, prediction, observers and live hooks → a drill ready to run. */
  prepare(o: DrillOptions): Promise<PreparedDrill>
  /** The `stack` values of the run records it writes, each with what it is in words (the drill's summary line). */
  readonly records: readonly Stack[]
  readonly recordLabels: Readonly<Partial<Record<Stack, string>>>
  /** Its own moments of a saved run, for the phase list (src/drill/summary.ts). */
  phases(run: DrillRun): Phase[]
  /**
   * Its own doctor rules (src/stacks/<name>/doctor*.ts): every rule about its own daemons' configuration or
   * state, also across its hosts (VRRP peers, one cluster). Only rules of no drill stack (infrastructure,
   * doctor's own) stay in src/doctor/rules. Rule ids are unique over all stacks (a unit test checks), and
   * every rule has a failing and a passing case in the unit tests.
   */
  readonly rules?: readonly Rule[]
  /**
   * The roles whose hosts a drill of this stack locks besides its target (src/drill/drill-lock.ts: one drill
   * per target): every host whose state the fault can change or whose reaction is measured — the VRRP peers
   * (['lb']), the nodes of a cluster (['cluster-node']). Absent: the hosts sharing a role with the target
   * (conservative). A client is never locked unless listed.
   */
  readonly lockRoles?: readonly string[]
  /**
   * `hachaos watch` on this stack (src/watch/): whether an inventory has a pair it watches, its observers with
   * no fault, and its prediction for a change of master. Absent: the stack cannot be watched.
   */
  readonly watch?: WatchHook
  /** Every drill a soak may draw on this stack's targets (listed by `run --help` and in errors). */
  readonly soakCatalogue?: readonly SoakFault[]
  /**
   * The drills a seeded soak may draw on `target` (one of this stack's), in a fixed order (the seed replays
   * the series only if the order is stable). Absent: a soak cannot target this stack.
   */
  soakFaults?(target: InventoryHost, inventory: Inventory): readonly SoakFault[]
}
