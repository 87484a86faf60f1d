/**
 * Pacemaker relocation metrics from a drill's timeline (pure): when the VIP left the old node and appeared
 * on another (polled addresses), and when the cluster itself reported the group started elsewhere (crm_mon).
 */
import type {TimelineEvent} from '../store/run-types.js'
import type {EpochMicros} from '../time.js'

type VipOwnerEvent = Extract<TimelineEvent, {type: 'vip.owner'}>
type ClusterEvent = Extract<TimelineEvent, {type: 'cluster'}>

export interface VipRelocation {
  oldOwner: string | null
  newOwner: string | null
  /** First reading, after the fault, with the VIP on a node other than the old owner (ms after the fault). */
  addedElsewhereMs: number | null
  /** First reading, after the fault, without the VIP on the old owner (ms after the fault). */
  removedFromOldMs: number | null
  /** Longest time without any owner after the fault (ms), 0 when always owned. */
  noOwnerMs: number
}

const ms = (from: EpochMicros, to: EpochMicros): number => Math.round((to - from) / 1000) 

export function vipRelocation(events: readonly TimelineEvent[], faultAtUs: EpochMicros, oldOwner: string | null, untilUs?: EpochMicros): VipRelocation {
  const ev = events.filter((e): e is VipOwnerEvent => e.type === 'vip.owner').sort((a, b) => a.t - b.t)
  let added: VipOwnerEvent | undefined
  let removed: VipOwnerEvent | undefined
  let noOwner = 0
  let emptySince: EpochMicros | null = null
  // the state in force at the fault, then every change after it
  const before = [...ev].reverse().find((e) => e.t <= faultAtUs)
  if (before !== undefined && before.owners.length === 0) emptySince = faultAtUs
  for (const e of ev.filter((x) => x.t > faultAtUs && (untilUs === undefined || x.t <= untilUs))) {
    if (added === undefined && e.owners.some((o) => o !== oldOwner)) added = e
    if (removed === undefined && oldOwner !== null && !e.owners.includes(oldOwner)) removed = e
    if (e.owners.length === 0 && emptySince === null) emptySince = e.t
    if (e.owners.length > 0 && emptySince !== null) {
      noOwner = Math.max(noOwner, ms(emptySince, e.t))
      emptySince = null
    }
  }
  return {
    oldOwner,
    newOwner: added?.owners.find((o) => o !== oldOwner) ?? null,
    addedElsewhereMs: added === undefined ? null : ms(faultAtUs, added.t),
    removedFromOldMs: removed === undefined ? null : ms(faultAtUs, removed.t),
    noOwnerMs: noOwner,
  }
}

/** First crm_mon reading after the fault with `resource` Started on one node other than `oldNode` (ms). */
export function resourceRelocationMs(events: readonly TimelineEvent[], faultAtUs: EpochMicros, resource: string, oldNode: string | null): number | null {
  const e = events
    .filter((x): x is ClusterEvent => x.type === 'cluster' && x.resource === resource && x.t > faultAtUs)
    .sort((a, b) => a.t - b.t)
    .find((x) => x.role === 'Started' && x.node !== null && x.node !== oldNode && !x.node.includes('+'))
  return e === undefined ? null : ms(faultAtUs, e.t)
}

/** When the cluster first saw `node` leave (offline / unclean) after the fault (ms). */
export function nodeLostMs(events: readonly TimelineEvent[], faultAtUs: EpochMicros, node: string): number | null {
  const e = events
    .filter((x): x is ClusterEvent => x.type === 'cluster' && x.resource === `@node:${node}` && x.t > faultAtUs)
    .sort((a, b) => a.t - b.t)
    .find((x) => x.role === 'offline' || x.role === 'unclean')
  return e === undefined ? null : ms(faultAtUs, e.t)
}
