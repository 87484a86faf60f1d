/**
 * Heartbeat figures from a drill's timeline (pure): the VIP relocation (polled addresses), the split brain
 * (the VIP on two nodes at once: the isolated node keeps it), the second outage on reconnect (both nodes
 * give their resources up and re-exec heartbeat: nobody holds the VIP, the client's probes fail), and the
 * first gratuitous ARP from the new owner. One pass over the events, O(1) state.
 */
import type {TimelineEvent} from '../../store/run-types.js'
import type {EpochMicros} from '../../time.js'

const ms = (from: EpochMicros, to: EpochMicros): number => Math.round((to - from) / 1000)

export interface HeartbeatFigures {
  oldOwner: string | null
  newOwner: string | null
  garpMs: number | null
  extra: {
    /** The VIP configured on another node after the fault (the figure the prediction is about). */
    relocationMs: number | null
    /** The VIP gone from the old owner after the fault (null: it kept it — the isolated node does). */
    vipRemovedMs: number | null
    /** Total time with the VIP on two or more nodes at once (after the fault), ms. */
    splitBrainMs: number
    /** Longest stretch without any VIP owner after the revert (both nodes gave up on reconnect), ms. */
    reconnectNoOwnerMs: number
    /** Longest run of failed client probes after the revert (first failure → next success), ms. */
    reconnectOutageMs: number | null
    /** How many nodes held the VIP at the last reading. */
    finalOwnerCount: number | null
    /** After the revert, the VIP back on the old owner alone (auto_failback on: the group returns home), ms
     * from the revert; null when it did not return (auto_failback off keeps it where it is). */
    failbackMs: number | null
  }
}

export function heartbeatFigures(
  events: readonly TimelineEvent[],
  o: {faultAtUs: EpochMicros; revertAtUs: EpochMicros | null; oldOwner: string | null; vip: string | null; oldMac: string | null},
): HeartbeatFigures {
  const sorted = [...events].sort((a, b) => a.t - b.t)
  let owners: string[] | null = null
  let added: {t: EpochMicros; owner: string} | null = null
  let removedAt: EpochMicros | null = null
  let dualSince: EpochMicros | null = null
  let dual = 0
  let emptySince: EpochMicros | null = null
  let empty = 0
  let failSince: EpochMicros | null = null
  let outage: number | null = null
  let garp: EpochMicros | null = null
  let back: EpochMicros | null = null
  const revert = o.revertAtUs
  for (const e of sorted) {
    if (e.type === 'vip.owner') {
      const after = e.t > o.faultAtUs
      if (after && added === null) {
        const other = e.owners.find((x) => x !== o.oldOwner)
        if (other !== undefined) added = {t: e.t, owner: other}
      }
      if (after && removedAt === null && o.oldOwner !== null && !e.owners.includes(o.oldOwner) && (revert === null || e.t <= revert)) removedAt = e.t
      // split brain: two owners at once, counted from the fault on
      if (after && e.owners.length >= 2 && dualSince === null) dualSince = e.t
      if (e.owners.length < 2 && dualSince !== null) {
        dual += ms(dualSince, e.t)
        dualSince = null
      }
      if (revert !== null && e.t > revert) {
        if (back === null && added !== null && o.oldOwner !== null && e.owners.length === 1 && e.owners[0] === o.oldOwner) back = e.t
        if (e.owners.length === 0 && emptySince === null) emptySince = e.t
        if (e.owners.length > 0 && emptySince !== null) {
          empty = Math.max(empty, ms(emptySince, e.t))
          emptySince = null
        }
      }
      owners = e.owners
    } else if (e.type === 'probe' && revert !== null && e.t > revert) {
      if (!e.ok && failSince === null) failSince = e.t
      if (e.ok && failSince !== null) {
        outage = Math.max(outage ?? 0, ms(failSince, e.t))
        failSince = null
      }
    } else if (e.type === 'arp' && e.garp && garp === null && e.t >= o.faultAtUs && (o.vip === null || e.sip === o.vip) && e.smac.toLowerCase() !== o.oldMac) {
      garp = e.t
    }
  }
  const end = sorted[sorted.length - 1]?.t ?? o.faultAtUs
  if (dualSince !== null) dual += ms(dualSince, end)
  return {
    oldOwner: o.oldOwner,
    newOwner: added?.owner ?? null,
    garpMs: garp === null ? null : ms(o.faultAtUs, garp),
    extra: {
      relocationMs: added === null ? null : ms(o.faultAtUs, added.t),
      vipRemovedMs: removedAt === null ? null : ms(o.faultAtUs, removedAt),
      splitBrainMs: dual,
      reconnectNoOwnerMs: empty,
      reconnectOutageMs: outage,
      finalOwnerCount: owners === null ? null : owners.length,
      failbackMs: back === null || revert === null ? null : ms(revert, back),
    },
  }
}
