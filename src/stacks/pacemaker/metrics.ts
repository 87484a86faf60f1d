/**
 * Pacemaker relocation metrics from a drill's timeline (pure): when the VIP left the old node and appeared
 * on another (polled addresses), and when the cluster itself reported the group started elsewhere (crm_mon).
 */
import type {TimelineEvent} from '../../store/run-types.js'
import type {EpochMicros} from '../../time.js'

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

type ArpEvent = Extract<TimelineEvent, {type: 'arp'}>

export interface PacemakerFigures {
  oldOwner: string | null
  newOwner: string | null
  /** First gratuitous ARP for the VIP after the fault from a MAC other than the old owner's (ms). */
  garpMs: number | null
  extra: {
    /** The VIP configured on another node (polled): the figure the prediction is about. */
    relocationMs: number | null
    /** The VIP gone from the old owner (polled; a node that keeps it never gets one). */
    vipRemovedMs: number | null
    /** crm_mon first shows the group's first member started on another node. */
    resourceRelocationMs: number | null
    /** crm_mon first shows the target offline or unclean. */
    nodeLostMs: number | null
    /** Longest stretch without any VIP owner after the fault. */
    noOwnerMs: number
  }
}

export function pacemakerFigures(
  events: readonly TimelineEvent[],
  o: {faultAtUs: EpochMicros; revertAtUs: EpochMicros | null; oldOwner: string | null; vip: string | null; macs: Record<string, string>; firstMember: string; targetNode: string},
): PacemakerFigures {
  const v = vipRelocation(events, o.faultAtUs, o.oldOwner, o.revertAtUs ?? undefined)
  const oldMac = Object.entries(o.macs).find(([, name]) => name === o.oldOwner)?.[0]
  const garp = events
    .filter((e): e is ArpEvent => e.type === 'arp' && e.garp && e.t >= o.faultAtUs && (o.vip === null || e.sip === o.vip))
    .sort((a, b) => a.t - b.t)
    .find((e) => e.smac.toLowerCase() !== oldMac)
  return {
    oldOwner: o.oldOwner,
    newOwner: v.newOwner,
    garpMs: garp === undefined ? null : ms(o.faultAtUs, garp.t),
    extra: {
      relocationMs: v.addedElsewhereMs,
      vipRemovedMs: v.removedFromOldMs,
      resourceRelocationMs: resourceRelocationMs(events, o.faultAtUs, o.firstMember, o.oldOwner),
      nodeLostMs: nodeLostMs(events, o.faultAtUs, o.targetNode),
      noOwnerMs: v.noOwnerMs,
    },
  }
}

/**
 * After the revert: every node online, each member of the group Started on one node, the VIP on exactly
 * that node (the latest observation of each, whenever it was made).
 */
export function clusterSettled(events: readonly TimelineEvent[], o: {nodes: string[]; members: string[]}): boolean {
  const latest = new Map<string, ClusterEvent>()
  let owners: VipOwnerEvent | undefined
  for (const e of events) {
    if (e.type === 'cluster' && (latest.get(e.resource)?.t ?? -1) <= e.t) latest.set(e.resource, e)
    if (e.type === 'vip.owner' && (owners?.t ?? -1) <= e.t) owners = e
  }
  if (owners === undefined || owners.owners.length !== 1) return false
  if (!o.nodes.every((n) => latest.get(`@node:${n}`)?.role === 'online')) return false
  return o.members.every((m) => {
    const e = latest.get(m)
    return e !== undefined && e.role === 'Started' && e.node === owners?.owners[0]
  })
}

/** The fault took visible effect: the VIP configured on a node other than the old owner. */
export function vipMoved(events: readonly TimelineEvent[], faultAtUs: EpochMicros, oldOwner: string | null): boolean {
  return events.some((e) => e.type === 'vip.owner' && e.t >= faultAtUs && e.owners.some((o) => o !== oldOwner))
}
