/**
 * The drill's generic live state: "has the service answered well for long enough?", folded one probe at a
 * time (issue 11: the hold and failback loops read state, they never re-filter the event list).
 *
 * The question the loops ask (unchanged from the batch version it replaces): among the probes with t ≥ the
 * current mark, sorted by t, how long is the newest run of good probes (newest t − first t of the run)?
 * Probes report out of order (a probe that times out reports up to its timeout after it started, later
 * than the good probes started after it), so a failure can land inside the run seen so far and cut it.
 *
 * State: the newest probe time, the newest failure time, and the start times of the good probes after that
 * failure — but only the first of them plus those within `horizonUs` of the newest probe (a failure can only
 * arrive that late, so only those can become the run's new first). Memory bound: 2 + rate × horizon entries
 * (602 at 200/s with a 1 s probe timeout), whatever the length of the drill. Every probe costs O(1) amortised: an append
 * (or, out of order, an insertion inside the horizon window) and pruning that removes each entry once.
 */
import type {TimelineEvent} from '../store/run-types.js'
import type {EpochMicros} from '../time.js'

type ProbeEvent = Extract<TimelineEvent, {type: 'probe'}>

export class ProbeRun {
  private since = Number.NEGATIVE_INFINITY
  private lastT = Number.NEGATIVE_INFINITY
  private lastFailT = Number.NEGATIVE_INFINITY
  /** Start of the current good run (the oldest good probe after the newest failure), or null. */
  private first: number | null = null
  /** Good probes after `first`, ascending by t, within the horizon of the newest probe (a deque: head index). */
  private recent: number[] = []
  private head = 0
  /** Elementary steps done so far (appends, shifts, insertion moves): for the linear-cost test. */
  ops = 0
  /** A failed probe was seen since the mark. */
  failedSeen = false

  /** @param horizonUs how late a probe may report after a newer one (its timeout, with a margin). */
  constructor(private readonly horizonUs: number) {}

  /** From now on count only probes with t ≥ since (the loops' phases: steady state, hold, failback). */
  mark(since: EpochMicros): void {
    this.since = since
    if (this.lastT < since) this.lastT = Number.NEGATIVE_INFINITY
    if (this.lastFailT < since) {
      this.lastFailT = Number.NEGATIVE_INFINITY
      this.failedSeen = false
    }
    // good probes before the mark leave the run
    while (this.first !== null && this.first < since) this.shiftFirst()
  }

  observe(p: ProbeEvent): void {
    this.ops++
    const t = p.t
    if (t < this.since) return
    if (t > this.lastT) this.lastT = t
    if (!p.ok) {
      this.failedSeen = true
      if (t > this.lastFailT) {
        this.lastFailT = t
        while (this.first !== null && this.first <= t) this.shiftFirst()
      }
      this.prune()
      return
    }
    if (t <= this.lastFailT) return
    if (this.first === null) this.first = t
    else if (t < this.first) {
      this.insert(this.first)
      this.first = t
    } else this.insert(t)
    this.prune()
  }

  /** Length of the newest run of good probes (µs); 0 when the newest probe failed or none was seen. */
  okRunUs(): number {
    return this.first === null ? 0 : this.lastT - this.first
  }

  /** Entries held (the memory bound above). */
  size(): number {
    return (this.first === null ? 0 : 1) + this.recent.length - this.head
  }

  private insert(t: number): void {
    const r = this.recent
    r.push(t)
    this.ops++
    for (let i = r.length - 1; i > this.head && (r[i - 1] as number) > t; i--) {
      r[i] = r[i - 1] as number
      r[i - 1] = t
      this.ops++
    }
  }

  private shiftFirst(): void {
    this.ops++
    if (this.head < this.recent.length) this.first = this.recent[this.head++] as number
    else this.first = null
    this.compact()
  }

  /** Good probes older than the horizon (other than the first) can never start the run again. */
  private prune(): void {
    const floor = this.lastT - this.horizonUs
    while (this.head < this.recent.length && (this.recent[this.head] as number) < floor) {
      this.head++
      this.ops++
    }
    this.compact()
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.recent.length) {
      this.ops += this.recent.length - this.head
      this.recent = this.recent.slice(this.head)
      this.head = 0
    }
  }
}
