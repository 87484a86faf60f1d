/**
 * Timeline analysis over TimelineEvent[] (VRRP adverts, ARP, probes, fault.inject/revert, vip.owner): the
 * incremental TimelineMachine (src/timeline/machine.ts) fed from an array. Used by the drill engine at the end
 * of a drill; `hachaos capture analyze` feeds the machine as it reads a capture.
 *
 * All times are epoch µs; every duration in the result is in ms (µs / 1000, not rounded).
 *
 * Metric definitions (also in the README, "hachaos capture analyze"):
 * - oldOwner: the source of the last advert with priority > 0 for the vrid before the fault.
 * - newOwner: the first source other than oldOwner advertising with priority > 0 after the fault
 *   (any source when there was no advert before the fault).
 * - takeoverMs = newOwner's first advert after the fault − faultAt.
 * - takeoverFromLastAdvertMs = newOwner's first advert − oldOwner's last advert (any priority) before it.
 *   For a node loss this is Master_Down_Interval; after a graceful stop the last one is the priority-0 advert,
 *   so it is Skew_Time.
 * - garpMs = first gratuitous ARP for the VIP whose sender MAC is newOwner's MAC (from its adverts), at or
 *   after the fault − faultAt. Without a VIP: the first GARP from that MAC for an address other than its own.
 * - outageMs (client view, from probe events: t = send time, latencyMs): the largest gap between consecutive
 *   successful probe completions (t + latency) among the gaps that end after the fault and, when there is a
 *   revert, start before it. lostProbes = failed probes sent inside that gap. probesTotal/probesFailed count
 *   the whole run. With no failures the largest gap still stands (about one probe interval): it is reported,
 *   the reader decides. failbackOutageMs/failbackLostProbes: the same over the gaps that end after the revert.
 * - failbackMs = oldOwner's first advert with priority > 0 after the revert − revertAt (preempt).
 * - splitBrain:
 *   'dual-master': two sources advertise with priority > 0 for one vrid while both are alive. A source is
 *     alive from each advert until 3 × its interval later, or until its priority-0 advert. Where two alive
 *     intervals overlap and EACH source sent at least two adverts inside the overlap, that is a finding, from
 *     the first moment both had advertised to the last moment both were still advertising (observed: the
 *     true overlap can be up to one advert interval longer). The "two adverts each" rule keeps a normal
 *     failover (the old master is silent before the new one speaks) and a preempting failback (the backup
 *     stops as soon as it hears the master) out.
 *   'dual-arp': ARP replies or GARPs for the VIP from two (or more) MACs interleaved: the sender MAC changes
 *     at least twice (A, B, A …) with each change within dualArpWindowMs (default 2000 ms) of the previous.
 *     A failover changes the MAC once; a failover and a failback change it twice, but Master_Down_Interval
 *     (≥ 3 advert intervals) apart.
 *   'dual-vip': vip.owner events that list two or more owners.
 */
import type {TimelineEvent} from '../store/run-types.js'
import {TimelineMachine} from './machine.js'
import type {AnalyzeContext, TimelineAnalysis} from './types.js'

export type {AdvertGap, AnalyzeContext, GarpEntry, MasterSpan, PriorityChange, TimelineAnalysis} from './types.js'
export {type TimelineMachineOptions, type TimelineSink, TimelineMachine} from './machine.js'

/** Stable sort by time (events from several hosts/streams arrive interleaved). */
function byTime<T extends {t: number}>(xs: T[]): T[] {
  return xs.map((x, i) => ({x, i})).sort((a, b) => a.x.t - b.x.t || a.i - b.i).map((p) => p.x)
}

/** The analysis of a whole list of events: sorted by time (ties in list order), then fed to the machine. */
export function analyzeTimeline(events: TimelineEvent[], ctx: AnalyzeContext): TimelineAnalysis {
  const m = new TimelineMachine(ctx)
  for (const e of byTime(events)) m.push(e)
  return m.finish()
}
