/**
 * What `hachaos watch` needs from a stack (StackModule.watch, src/stacks/types.ts): the hosts and the service
 * address of an HA pair in an inventory, its observers (client capture and probes, the VIP owner poll), and
 * its prediction for a change of master. The watcher (watcher.ts) and the incident tracker (incidents.ts)
 * name no stack: everything stack-specific comes through these types.
 */
import type {ClientObserverOptions, ClientObservers} from '../drill/observers.js'
import type {VipOwnerMode} from '../drill/pollers.js'
import type {Inventory} from '../inventory/inventory.js'
import type {DrillRun, FailoverMetrics, Prediction, Stack, TimelineEvent} from '../store/run-types.js'
import type {Poller} from '../util/poll-loop.js'

/** A change of master as the tracker saw it: who held it, who took it, and whether the old one left gracefully (priority 0). */
export interface MasterChange {
  from: string | null
  to: string | null
  graceful: boolean
  /**
   * What the stack saw cause it, when it measures from its own anchor (IncidentModel): e.g. Pacemaker's
   * 'standby' (graceful move) or 'node-loss' (corosync gone on the node); absent for VRRP.
   */
  cause?: string
}

/**
 * A stack that measures an incident from its own moment (not the old master's last advert) and adds its own
 * figures: e.g. Pacemaker, where the VIP moves after a node was put in standby or lost (src/stacks/pacemaker/watch.ts).
 * Both pure; called once when an incident closes, on its events (sorted by time).
 */
export interface IncidentModel {
  /**
   * The moment the change began (the analysis's "fault") and what changed; null: no cause seen (the trigger is
   * used). `openedUs`: when the incident opened (its events start up to the pre-trigger window earlier, and may
   * hold an earlier incident's change).
   */
  anchor(events: readonly TimelineEvent[], openedUs: number): {atUs: number; change: MasterChange} | null
  /** The stack's figures added to the analysis's (the one the prediction is about among them). */
  metrics(events: readonly TimelineEvent[], base: FailoverMetrics, faultAtUs: number, change: MasterChange): FailoverMetrics
}

/** The watched pair, ready to observe. */
export interface WatchTarget {
  stack: Stack
  vip: string | null
  /** The VRRP instance followed (null: the stack has no VRRP). */
  vrid: number | null
  /** The nodes, with their advert address and MAC when known (to name adverts and ARP). */
  hosts: Array<{name: string; ip?: string; mac?: string}>
  /** The node holding the VIP when the watch began (null: none, or unknown). */
  master: string | null
  /** Configured priorities by node name (for the dashboard and the state gauge). */
  priorities: Record<string, number>
  /** The interface of the VRRP instance on each node (the `intf` label of the metrics). */
  interfaces: Record<string, string>
  /** The VRRP instance's name in the configuration (the `iname` label). */
  instance: string | null
  /** The client side (capture + probes); null when the inventory has no client. */
  client: ClientObservers | null
  /** The VIP owner poll and any other poller of the stack. */
  pollers: Poller[]
  clockOffsets: DrillRun['hosts']
  /** What the configuration predicts for this change (Master_Down_Interval, Skew_Time …). */
  predict(change: MasterChange): Prediction
  /** The stack's own anchor and figures (absent: VRRP's, from the adverts). */
  model?: IncidentModel
  warnings: string[]
}

export interface WatchOptions extends ClientObserverOptions {
  inventory: Inventory
  vip?: string
  url?: string
  /** Where every observation goes (the watcher's ingest). */
  emit: (e: TimelineEvent) => void
  /** VIP owner poll period (ms). */
  pollMs: number
  /** How the VIP owner is followed (src/drill/pollers.ts): default 'monitor'. */
  vipOwner?: VipOwnerMode
}

/** A stack's watch hook: whether it can watch an inventory's pair, and how. */
export interface WatchHook {
  /** Whether this inventory has a pair this stack watches (e.g. two or more hosts with role lb). */
  matches(inventory: Inventory): boolean
  /** One line shown when no stack can watch an inventory. */
  readonly summary: string
  prepare(o: WatchOptions): Promise<WatchTarget>
}
