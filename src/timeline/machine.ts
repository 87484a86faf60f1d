/**
 * The timeline analysis as a state machine fed one event at a time (src/timeline/analyze.ts is this machine
 * fed from an array). Every figure is the one the metric definitions in analyze.ts give; this file says how
 * each is kept in one pass.
 *
 * Cost: O(1) amortised per event, O(S) for an advert (S = sources advertising for its vrid: the dual-master
 * check looks at each other source's current alive interval) and O(log W) for the reorder buffer.
 *
 * Memory (the bound `stateSize()` reports and test/unit/timeline/machine.test.ts checks with counts):
 *   per vrid × source: one state (last advert, open master span, current alive interval, metric fields);
 *   per vrid × pair of sources: one open overlap (counts, first/last advert);
 *   per address answered by ARP (the VIP when one is given): the last frame and the open run of MAC changes;
 *   per MAC sending GARPs after the fault: three timestamps (with spill.garpJson, per MAC sending GARPs
 *   before it had a name: the MAC);
 *   the reorder buffer: the events of the last `reorderWindowUs` (W × event rate);
 *   the probe completion heap: the successful probes in flight (probe timeout × probe rate);
 *   the output lists only as the caller asks (`keep`: all, or the first and last N of each); with `spill`,
 *   all of them but at most `spill.runSize` entries per list in memory, the rest in sorted runs on disk
 *   (src/util/sorted-spool.ts), merged when they are read (`spooled()`).
 * Nothing grows with the number of events.
 *
 * Names (host names for IPs and MACs) are learned from the adverts as they come; the lists the result holds
 * are named when the result is made, with everything learned by then (as the batch analysis always did).
 * A sink gets each entry named with what was known when it closed.
 */
import type {FailoverMetrics, SplitBrainFinding, TimelineEvent} from '../store/run-types.js'
import {type ByteSink, PartsSpool} from '../util/parts-spool.js'
import {RecordSpool} from '../util/record-spool.js'
import {LineSpool, type SpoolCodec, SortedSpool} from '../util/sorted-spool.js'
import {MinHeap} from '../util/heap.js'
import type {Advert, AdvertGap, AnalyzeContext, Arp, GarpEntry, MasterSpan, PriorityChange, Probe, TimelineAnalysis, VipOwner} from './types.js'

const ms = (us: number): number => us / 1000

/** Interval in µs of an advert (0 s would make every advert a gap: use 1 s then). */
const intvlUs = (a: Advert): number => (a.intvl > 0 ? a.intvl : 1) * 1_000_000

export class Namer {
  private readonly byIp = new Map<string, string>()
  private readonly byMac = new Map<string, string>()
  // the last question and answer of learn() and mac(): a capture asks about the same sender frame after frame
  // (a Map lookup each was a large part of the machine's time); byMac only grows, and only in learn()
  private lastLearnIp: string | null = null
  private lastLearnMac: string | null = null
  private lastMacQ: string | null = null
  private lastMacA = ''

  constructor(hosts: AnalyzeContext['hosts']) {
    for (const h of hosts) {
      if (h.ip !== undefined) this.byIp.set(h.ip, h.name)
      if (h.mac !== undefined) this.byMac.set(h.mac.toLowerCase(), h.name)
    }
  }

  /** A VRRP source: its host name by IP, else by MAC, else the IP. */
  source(ip: string, mac: string): string {
    return this.byIp.get(ip) ?? this.byMac.get(mac) ?? ip
  }

  /** An ARP sender: its host name by MAC, else the MAC. */
  mac(mac: string): string {
    if (mac === this.lastMacQ) return this.lastMacA
    const a = this.byMac.get(mac) ?? mac
    this.lastMacQ = mac
    this.lastMacA = a
    return a
  }

  learn(ip: string, mac: string): void {
    // the same pair again: the first call did all there is to do (byMac never loses an entry)
    if (ip === this.lastLearnIp && mac === this.lastLearnMac) return
    this.lastLearnIp = ip
    this.lastLearnMac = mac
    const name = this.byIp.get(ip)
    if (name !== undefined && !this.byMac.has(mac)) {
      this.byMac.set(mac, name)
      this.lastMacQ = null
    }
  }

  get size(): number {
    return this.byIp.size + this.byMac.size
  }
}

/** Where the lists go as their entries close (a master span ends, a GARP is seen, a finding ends …). */
export interface TimelineSink {
  master?(m: MasterSpan): void
  garp?(g: GarpEntry): void
  /**
   * Instead of garp(), when given: the GARP as the ARP event that made it (frames of one content share one
   * event: src/capture/pcap.ts SharedEvent), its time, its sender's name as known now and forVip — no entry
   * object made (the caller caches the entry's text by event).
   */
  garpAt?(t: number, from: Arp, source: string, forVip: boolean): void
  priorityChange?(c: PriorityChange): void
  advertGap?(g: AdvertGap): void
  splitBrain?(f: SplitBrainFinding): void
}

export interface TimelineMachineOptions {
  /**
   * Events may arrive this much out of time order (µs; several hosts' streams, probes recorded when they
   * complete): they are held in a heap and released in time order (ties in arrival order) once an event
   * this much later has arrived. 0: the input is time-ordered. An event later than that is analysed where
   * it arrives and counted (a note says how many).
   */
  reorderWindowUs?: number
  /** The result's lists: 'all' (default), or N: the first and the last N of each, with the totals. */
  keep?: 'all' | number
  /**
   * The caller takes the GARPs from the sink (e.g. spooled to a file in their final order: GARPs close as
   * they are seen): the result's `garps` is empty and not counted as cut. Names are those known when each
   * GARP was seen; `macName()` gives the final ones.
   */
  omitGarps?: boolean
  sink?: TimelineSink
  /**
   * With keep 'all': the master spans, GARPs, priority changes and advert gaps are spooled to sorted runs in a
   * temporary file under `dir` (default: the OS temp dir) once more than `runSize` (default 16,384) of a list
   * are held; the result's lists are then empty and `spooled()` hands them out in their order, named with
   * everything learned by the end (as the in-memory lists are). Call `removeSpool()` when done. Findings stay in
   * memory (one per split brain).
   */
  spill?: {
    dir?: string
    runSize?: number
    /**
     * The GARPs' JSON text (e.g. json-lines.ts garpJson) and what separates two of them in the output (e.g.
     * ",\n" and the indentation): they are then spooled as that text, named as they come, and
     * `spooled().garpsJson` hands back the bytes (null when a sender got its name only after some of its
     * GARPs: then `garps` gives them renamed).
     */
    /**
     * The master spans' and advert gaps' JSON text (e.g. json-lines.ts masterJson, advertGapJson): they are then
     * spooled as numbers (src/util/record-spool.ts) and `spooled().mastersJson` / `advertGapsJson` hand out
     * their text, made as it is read, of the entries named with everything learned by the end (as `masters` /
     * `advertGaps` give them).
     */
    entryJson?: {master: (m: MasterSpan) => string; advertGap: (g: AdvertGap) => string}
    garpJson?: {
      json: (g: GarpEntry) => string
      sep: string
      /**
       * The same text as bytes around the entry's time (a non-negative integer), by the ARP event that made it
       * (see TimelineSink.garpAt): when given, used instead of `json` (its text must be the same).
       */
      parts?: (from: Arp, source: string, forVip: boolean) => {head: Uint8Array; tail: Uint8Array}
    }
  }
  /**
   * Take the fault and revert moments from the first fault.inject / fault.revert event (phase 'before')
   * when the context has none (a live drill). Either way a moment must be known before events after it
   * leave the reorder buffer.
   */
  faultFromEvents?: boolean
}

/** Where a list's entries go: kept in memory (Kept) or spooled to disk (Spooled). */
interface Keeper<T> {
  readonly total: number
  /** Entries held in memory. */
  readonly size: number
  push(x: T): void
  items(): T[]
}

/** The first and last N of a list, with the count of all (N = Infinity: all). */
class Kept<T> implements Keeper<T> {
  total = 0
  private readonly head: T[] = []
  private tail: T[] = []
  private at = 0

  constructor(private readonly n: number) {}

  push(x: T): void {
    this.total += 1
    if (this.head.length < this.n) {
      this.head.push(x)
      return
    }
    if (this.n === 0) return
    if (this.tail.length < this.n) this.tail.push(x)
    else {
      this.tail[this.at] = x
      this.at = (this.at + 1) % this.n
    }
  }

  items(): T[] {
    return [...this.head, ...this.tail.slice(this.at), ...this.tail.slice(0, this.at)]
  }

  /**
   * The entry the next push() drops (the oldest of the full tail), which the caller may fill anew and push: no
   * new object per entry. Only for entries no one else holds (e.g. GarpRec: the sink gets named copies).
   */
  dropping(): T | undefined {
    return this.n > 0 && this.tail.length >= this.n ? this.tail[this.at] : undefined
  }

  get size(): number {
    return this.head.length + this.tail.length
  }
}

/** All of a list, at most runSize in memory, sorted on the way out (items() is empty: see sorted()). */
class Spooled<T> implements Keeper<T> {
  readonly spool: SortedSpool<T>
  constructor(codec: SpoolCodec<T>, runSize: number, dir: string | undefined) {
    this.spool = new SortedSpool(codec, runSize, dir)
  }
  get total(): number {
    return this.spool.count
  }
  get size(): number {
    return this.spool.inMemory
  }
  push(x: T): void {
    this.spool.add(x)
  }
  items(): T[] {
    return []
  }
}

/** How a list entry is spooled as a RecordSpool record: `width` numbers, field 0 its order key, field 1 its tie. */
interface RecCodec<R> {
  width: number
  write(r: R, f: Float64Array, id: (s: string) => number): void
  read(f: Float64Array, at: number, str: (i: number) => string): R
}

/**
 * A list spooled as numbers (src/util/record-spool.ts), its addresses and MACs as ids of a table here (one
 * entry per distinct address: as many as the sources the machine holds state for). With spill.entryJson (the
 * master spans and advert gaps of `capture analyze --json`): their JSON text was made when each closed and
 * spooled as text, which cost more than the rest of --json together; now it is made once, as it is written
 * out, named with everything learned by the end.
 */
class SpooledRec<R> implements Keeper<R> {
  readonly spool: RecordSpool
  private readonly rec: Float64Array
  private readonly strs: string[] = []
  private readonly ids = new Map<string, number>()
  private readonly id = (s: string): number => {
    let i = this.ids.get(s)
    if (i === undefined) {
      i = this.strs.length
      this.strs.push(s)
      this.ids.set(s, i)
    }
    return i
  }
  private readonly str = (i: number): string => this.strs[i] as string

  constructor(
    private readonly codec: RecCodec<R>,
    runSize: number,
    dir: string | undefined,
  ) {
    this.spool = new RecordSpool(codec.width, runSize, dir)
    this.rec = new Float64Array(codec.width)
  }
  get total(): number {
    return this.spool.count
  }
  get size(): number {
    return this.spool.inMemory
  }
  push(r: R): void {
    this.codec.write(r, this.rec, this.id)
    this.spool.add(this.rec)
  }
  items(): R[] {
    return []
  }
  /** The entries in order (once). */
  sorted(): Generator<R> {
    return this.spool.sorted((f, at) => this.codec.read(f, at, this.str))
  }
  /** The entries in order (once) as raw fields: RawRecords, the sender named by `name(ip, mac)`. */
  raw(name: (ip: string, mac: string) => string): RawRecords {
    const spool = this.spool
    const str = this.str
    return {
      each: <T>(read: (f: Float64Array, at: number) => T): Iterable<T> => ({[Symbol.iterator]: () => spool.sorted(read)}),
      str,
      source: (ip, mac) => name(str(ip), str(mac)),
    }
  }
}

interface MasterRec {
  g: number
  vrid: number
  ip: string
  mac: string
  startUs: number
  endUs: number
  prio: number
  adverts: number
  intervalMs: number
  resigned: boolean
}
interface PrioRec {
  g: number
  t: number
  vrid: number
  ip: string
  mac: string
  from: number
  to: number
}
interface GapRec {
  g: number
  vrid: number
  ip: string
  mac: string
  fromUs: number
  toUs: number
  gapMs: number
  intervalMs: number
}
interface GarpRec {
  /** Order of arrival (the list's order). */
  g: number
  t: number
  op: 'request' | 'reply'
  mac: string
  ip: string
  forVip: boolean
}
const garpRec = (g: number, t: number, from: Arp, forVip: boolean): GarpRec => ({g, t, op: from.op, mac: from.smac, ip: from.sip, forVip})
/** A finding before it is named; `key` orders findings exactly as the batch analysis did. */
type FindingRec = {key: number[]; startUs: number; endUs: number} & (
  | {kind: 'dual-master'; vrid: number; ipA: string; ipB: string; macA: string; macB: string; prioA: number; prioB: number; nA: number; nB: number}
  | {kind: 'dual-arp'; ip: string; macs: string[]; changes: number; frames: number; replies: number}
  | {kind: 'dual-vip'; parties: string[]}
)

// Spool lines: the record's fields separated by spaces (addresses and MACs hold none; numbers as String()
// writes them, which reads back exactly)
const flag = (b: boolean): string => (b ? '1' : '0')
const MASTER_CODEC: SpoolCodec<MasterRec> = {
  encode: (m) => `${m.g} ${m.vrid} ${m.ip} ${m.mac} ${m.startUs} ${m.endUs} ${m.prio} ${m.adverts} ${m.intervalMs} ${flag(m.resigned)}`,
  decode: (l) => {
    const f = l.split(' ')
    return {g: +(f[0] as string), vrid: +(f[1] as string), ip: f[2] as string, mac: f[3] as string, startUs: +(f[4] as string), endUs: +(f[5] as string), prio: +(f[6] as string), adverts: +(f[7] as string), intervalMs: +(f[8] as string), resigned: f[9] === '1'}
  },
  key: (m) => m.startUs,
  tie: (m) => m.g,
}
const PRIO_CODEC: SpoolCodec<PrioRec> = {
  encode: (c) => `${c.g} ${c.t} ${c.vrid} ${c.ip} ${c.mac} ${c.from} ${c.to}`,
  decode: (l) => {
    const f = l.split(' ')
    return {g: +(f[0] as string), t: +(f[1] as string), vrid: +(f[2] as string), ip: f[3] as string, mac: f[4] as string, from: +(f[5] as string), to: +(f[6] as string)}
  },
  key: (c) => c.t,
  tie: (c) => c.g,
}
const GAP_CODEC: SpoolCodec<GapRec> = {
  encode: (g) => `${g.g} ${g.vrid} ${g.ip} ${g.mac} ${g.fromUs} ${g.toUs} ${g.gapMs} ${g.intervalMs}`,
  decode: (l) => {
    const f = l.split(' ')
    return {g: +(f[0] as string), vrid: +(f[1] as string), ip: f[2] as string, mac: f[3] as string, fromUs: +(f[4] as string), toUs: +(f[5] as string), gapMs: +(f[6] as string), intervalMs: +(f[7] as string)}
  },
  key: (g) => g.fromUs,
  tie: (g) => g.g,
}
/** Where MASTER_REC and GAP_REC put each field of a record (spooled().mastersRaw / advertGapsRaw hand them out so). */
export const MASTER_FIELDS = {startUs: 0, vrid: 2, ip: 3, mac: 4, endUs: 5, prio: 6, adverts: 7, intervalMs: 8, resigned: 9} as const
export const GAP_FIELDS = {fromUs: 0, vrid: 2, ip: 3, mac: 4, toUs: 5, gapMs: 6, intervalMs: 7} as const
const MASTER_REC: RecCodec<MasterRec> = {
  width: 10,
  write: (m, f, id) => {
    f[0] = m.startUs
    f[1] = m.g
    f[2] = m.vrid
    f[3] = id(m.ip)
    f[4] = id(m.mac)
    f[5] = m.endUs
    f[6] = m.prio
    f[7] = m.adverts
    f[8] = m.intervalMs
    f[9] = m.resigned ? 1 : 0
  },
  read: (f, at, str) => ({
    g: f[at + 1] as number,
    vrid: f[at + 2] as number,
    ip: str(f[at + 3] as number),
    mac: str(f[at + 4] as number),
    startUs: f[at] as number,
    endUs: f[at + 5] as number,
    prio: f[at + 6] as number,
    adverts: f[at + 7] as number,
    intervalMs: f[at + 8] as number,
    resigned: f[at + 9] === 1,
  }),
}
const GAP_REC: RecCodec<GapRec> = {
  width: 8,
  write: (g, f, id) => {
    f[0] = g.fromUs
    f[1] = g.g
    f[2] = g.vrid
    f[3] = id(g.ip)
    f[4] = id(g.mac)
    f[5] = g.toUs
    f[6] = g.gapMs
    f[7] = g.intervalMs
  },
  read: (f, at, str) => ({
    g: f[at + 1] as number,
    vrid: f[at + 2] as number,
    ip: str(f[at + 3] as number),
    mac: str(f[at + 4] as number),
    fromUs: f[at] as number,
    toUs: f[at + 5] as number,
    gapMs: f[at + 6] as number,
    intervalMs: f[at + 7] as number,
  }),
}
const GARP_CODEC: SpoolCodec<GarpRec> = {
  encode: (g) => `${g.g} ${g.t} ${g.op === 'request' ? 'q' : 'r'} ${g.mac} ${g.ip} ${flag(g.forVip)}`,
  decode: (l) => {
    const f = l.split(' ')
    return {g: +(f[0] as string), t: +(f[1] as string), op: f[2] === 'q' ? 'request' : 'reply', mac: f[3] as string, ip: f[4] as string, forVip: f[5] === '1'}
  },
  // arrival order
  key: (g) => g.g,
  tie: () => 0,
}

/**
 * A list spooled as records (spill.entryJson), as its raw fields: `each(read)` hands each record in order to
 * `read(f, at)` (the record is f[at …], laid out as MASTER_FIELDS or GAP_FIELDS, `f` reused: read it there) and
 * yields what it returns; addresses and MACs are ids, `str(id)` their text; `source(ipId, macId)` the sender's
 * name (as the named lists have it). Read once, instead of the list's other forms.
 */
export interface RawRecords {
  each<T>(read: (f: Float64Array, at: number) => T): Iterable<T>
  str(id: number): string
  source(ipId: number, macId: number): string
}

/** The spooled lists of a result made with `spill`, in their order, named (read each once). */
export interface SpooledLists {
  /** With `spill.entryJson`: the master spans as raw records; null: read `masters`. */
  mastersRaw: RawRecords | null
  /** With `spill.entryJson`: the advert gaps as raw records; null: read `advertGaps`. */
  advertGapsRaw: RawRecords | null
  masters: Iterable<MasterSpan>
  /** With `spill.entryJson`: the master spans as that JSON text, in order; null: read `masters`. */
  mastersJson: Iterable<string> | null
  /** With `spill.entryJson`: the advert gaps as that JSON text, in order; null: read `advertGaps`. */
  advertGapsJson: Iterable<string> | null
  garps: Iterable<GarpEntry>
  /** With `spill.garpJson`: the GARPs as that JSON text joined by its `sep`, raw bytes (each chunk valid until the next); null: read `garps`. */
  garpsJson: Iterable<Buffer> | null
  /** The same bytes as garpsJson written straight into `sink` (PartsSpool.bytesInto: yields now and then); null with garpsJson null or GARPs spooled as lines. */
  garpsInto: ((sink: ByteSink) => Iterable<void>) | null
  priorityChanges: Iterable<PriorityChange>
  advertGaps: Iterable<AdvertGap>
}

/** A source's current alive interval: [advert, advert + 3 × interval] merged, cut at a priority-0 advert. */
interface Alive {
  start: number
  end: number
  /** Index among this source's intervals (orders findings as the batch analysis did). */
  n: number
}

interface SourceState {
  /** Order of first appearance of vrid/source among all adverts (orders the lists). */
  g: number
  /** Order of first appearance among this vrid's sources. */
  idx: number
  ip: string
  hasPrev: boolean
  prevT: number
  prevPrio: number
  prevIv: number
  span: MasterRec | null
  alive: Alive | null
  aliveCount: number
  /** First advert with priority > 0 at or after the revert (failback). */
  firstPosFromRevert: number | null
}

/** The overlap of two sources' current alive intervals: their adverts with priority > 0 inside it. */
interface Pair {
  a: SourceState
  b: SourceState
  xIdx: number
  yIdx: number
  nA: number
  fA: number
  pA: number
  mA: string
  lA: number
  nB: number
  fB: number
  pB: number
  mB: string
  lB: number
}

/**
 * One VRRP instance's key: the vrid, and for 802.1Q-tagged adverts the VLAN (a vrid is unique per L2 domain
 * only: RFC 5798 §5.2.3). Untagged adverts keep the vrid itself as the key.
 */
function instanceKey(vrid: number, vlan: number | undefined): number {
  return vlan === undefined ? vrid : vrid + 256 * (vlan + 1)
}

/** With the capture interface of a pcapng (when the file names it) the key is that interface's too. */
function instanceMapKey(vrid: number, vlan: number | undefined, iface: string | undefined): number | string {
  const k = instanceKey(vrid, vlan)
  return iface === undefined ? k : `${iface}|${k}`
}

interface VridState {
  vrid: number
  /** The 802.1Q VLAN its adverts carry (null: untagged): the same vrid on two VLANs is two instances. */
  vlan: number | null
  /** The capture interface of a pcapng, when the file names it (null: none). */
  iface: string | null
  idx: number
  count: number
  sources: Map<string, SourceState>
  list: SourceState[]
  pairs: Map<number, Pair>
  /** Last advert with priority > 0 before the fault (the old master). */
  lastPos: {src: string; smac: string} | null
  /** First advert with priority > 0 at or after the fault from another source (the new master). */
  newFirst: {src: string; smac: string; t: number} | null
  /** The old master's last advert (any priority) at or before newFirst. */
  oldLastT: number | null
  /** The source of the last advert and its state (sources never loses an entry). */
  lastSrc: string | null
  lastS: SourceState | null
}

interface ArpRun {
  seq: number
  firstT: number
  lastSwitchT: number
  switches: number
  macs: string[]
  /** Frames and replies from the frame before the first switch to the last switch. */
  frames: number
  replies: number
  /** Frames and replies after the last switch (they join the run if another switch comes in the window). */
  pendFrames: number
  pendReplies: number
}

interface ArpIpState {
  /** The sender IP (the map's key adds the VLAN of tagged frames: one address on two VLANs is two runs). */
  ip: string
  idx: number
  prevT: number
  prevMac: string
  /** The last answer was a plain reply (counted when a run starts at it). */
  prevReply: number
  run: ArpRun | null
  runs: number
}

interface GarpAfterFault {
  first: {t: number; sip: string}
  /** First GARP from this MAC for another address than `first.sip`. */
  other: number | null
  /** First GARP from this MAC for the VIP. */
  vip: number | null
}

interface Gap {
  startUs: number
  endUs: number
  lost: number
}

const pairKey = (i: number, j: number): number => i * 1_048_576 + j

export class TimelineMachine {
  private readonly namer: Namer
  private readonly window: number
  private readonly keepN: number
  private readonly omitGarps: boolean
  private readonly sink: TimelineSink
  private readonly fromEvents: boolean

  private faultAt: number | null
  private revertAt: number | null

  // reorder buffer: events that arrive in time order wait in a FIFO queue (the common case: no heap work);
  // the others in a heap; release takes the earlier head of the two (ties: arrival order)
  private readonly pending = new MinHeap<{e: TimelineEvent; t: number; seq: number}>((x, y) => x.t < y.t || (x.t === y.t && x.seq < y.seq))
  /** Released slots are cleared (null): an event the machine is done with can die young. */
  // the queue is a ring (capacity doubled when full: the events of one window), its times and arrival
  // numbers in typed arrays beside it; an event's own `t` is not read (see pushAt)
  private qe: Array<TimelineEvent | null> = new Array<TimelineEvent | null>(1024).fill(null)
  private qt = new Float64Array(1024)
  private qs = new Float64Array(1024)
  private qHead = 0
  private qLen = 0
  private seq = 0
  private maxSeenT = -Infinity
  private lastReleasedT = -Infinity
  private late = 0
  private finished = false

  /** The first and last event's time (Infinity, -Infinity: none yet; numbers, not null, so that V8 keeps them unboxed). */
  private firstT = Infinity
  private lastT = -Infinity
  private nAdverts = 0
  private nArps = 0
  private nGarps = 0
  private nProbes = 0

  private readonly vrids = new Map<number | string, VridState>()
  private groups = 0

  private readonly masters: Keeper<MasterRec>
  private readonly prios: Keeper<PrioRec>
  private readonly gaps: Keeper<GapRec>
  private readonly garps: Keeper<GarpRec>
  private readonly findings: Kept<FindingRec>
  private nGarpRecs = 0
  /** The MAC last added to garpText.unnamed (a Set add per GARP was most of emitGarp). */
  private lastUnnamed: string | null = null
  private readonly spilled: boolean
  /** spill.entryJson: the JSON text of master spans and advert gaps, made as spooled() hands them out. */
  private readonly entryJson: {master: (m: MasterSpan) => string; advertGap: (g: AdvertGap) => string} | null = null
  /** spill.garpJson: the GARPs' text, and the senders whose GARPs were spooled under their MAC (no name yet). */
  private readonly garpText: {
    /** With `parts`, a PartsSpool: the GARPs as (text pair, time), 12 bytes each. */
    spool: LineSpool | PartsSpool
    json: (g: GarpEntry) => string
    parts: ((from: Arp, source: string, forVip: boolean) => {head: Uint8Array; tail: Uint8Array}) | undefined
    unnamed: Set<string>
  } | null = null

  private readonly arpIps = new Map<string, ArpIpState>()
  private lastArpKey: string | null = null
  private lastArpSt: ArpIpState | null = null
  /** The instance of the last advert (vrids never loses an entry). */
  private lastVKey: number | string | null = null
  private lastV: VridState | null = null
  private readonly garpAfterFault = new Map<string, GarpAfterFault>()

  private vipOpen: {start: number; parties: Set<string>} | null = null
  private vipSeq = 0

  // probes
  private readonly completions = new MinHeap<number>((x, y) => x < y)
  private prevCompletion: number | null = null
  private pendingFailed = 0
  private lastFailedT = -1
  private atLastFailed = 0
  private probesFailed = 0
  private okAfterFault = false
  private outage: Gap | null = null
  private failbackGap: Gap | null = null

  constructor(
    private readonly ctx: AnalyzeContext,
    opts: TimelineMachineOptions = {},
  ) {
    this.namer = new Namer(ctx.hosts)
    this.window = opts.reorderWindowUs ?? 0
    this.keepN = opts.keep === undefined || opts.keep === 'all' ? Infinity : opts.keep
    this.sink = opts.sink ?? {}
    this.fromEvents = opts.faultFromEvents ?? false
    this.faultAt = ctx.faultAtUs
    this.revertAt = ctx.revertAtUs
    this.omitGarps = opts.omitGarps ?? false
    this.spilled = opts.spill !== undefined && this.keepN === Infinity
    if (this.spilled) {
      const runSize = opts.spill?.runSize ?? 16_384
      const dir = opts.spill?.dir
      const ej = opts.spill?.entryJson
      this.entryJson = ej ?? null
      this.masters = ej !== undefined ? new SpooledRec(MASTER_REC, runSize, dir) : new Spooled(MASTER_CODEC, runSize, dir)
      this.prios = new Spooled(PRIO_CODEC, runSize, dir)
      this.gaps = ej !== undefined ? new SpooledRec(GAP_REC, runSize, dir) : new Spooled(GAP_CODEC, runSize, dir)
      const garpJson = opts.spill?.garpJson
      if (garpJson !== undefined && !this.omitGarps) {
        const spool = garpJson.parts !== undefined ? new PartsSpool(garpJson.sep, dir) : new LineSpool(garpJson.sep, dir)
        this.garpText = {spool, json: garpJson.json, parts: garpJson.parts, unnamed: new Set()}
        this.garps = new Kept(0)
      } else this.garps = this.omitGarps ? new Kept(0) : new Spooled(GARP_CODEC, runSize, dir)
    } else {
      this.masters = new Kept(this.keepN)
      this.prios = new Kept(this.keepN)
      this.gaps = new Kept(this.keepN)
      this.garps = new Kept(this.omitGarps ? 0 : this.keepN)
    }
    this.findings = new Kept(this.keepN)
  }

  /** An ARP sender's name as known now (its MAC when unnamed). */
  macName(mac: string): string {
    return this.namer.mac(mac)
  }

  /** The fault moment, when it becomes known during the run (before any later event is released). */
  setFault(tUs: number): void {
    this.faultAt ??= tUs
  }

  setRevert(tUs: number): void {
    this.revertAt ??= tUs
  }

  /** Feed one event. */
  push(e: TimelineEvent): void {
    this.pushAt(e, e.t)
  }

  /**
   * Feed one event that happened at `t` (its own `t` is not read): a capture's frames of the same content
   * share one event object (src/capture/pcap.ts SharedEvent), so that a frame costs no object. The event is
   * held (never changed) until it is released.
   */
  pushAt(e: TimelineEvent, t: number): void {
    if (this.finished) throw new Error('TimelineMachine: push after finish')
    if (this.window <= 0) {
      this.release(e, t)
      return
    }
    if (t < this.lastReleasedT) {
      // later than the window allows: analysed now, counted
      this.late += 1
      this.step(e, t)
      return
    }
    const seq = this.seq++
    if (t >= this.maxSeenT) {
      if (this.qLen === this.qe.length) this.growQueue()
      const i = (this.qHead + this.qLen) & (this.qe.length - 1)
      this.qe[i] = e
      this.qt[i] = t
      this.qs[i] = seq
      this.qLen += 1
      this.maxSeenT = t
    } else this.pending.push({e, t, seq})
    this.drain(this.maxSeenT - this.window)
  }

  /** Double the queue's capacity (its events in order from slot 0). */
  private growQueue(): void {
    const n = this.qe.length
    const qe = new Array<TimelineEvent | null>(2 * n).fill(null)
    const qt = new Float64Array(2 * n)
    const qs = new Float64Array(2 * n)
    for (let k = 0; k < this.qLen; k++) {
      const j = (this.qHead + k) & (n - 1)
      qe[k] = this.qe[j] as TimelineEvent
      qt[k] = this.qt[j] as number
      qs[k] = this.qs[j] as number
    }
    this.qe = qe
    this.qt = qt
    this.qs = qs
    this.qHead = 0
  }

  /** Release the buffered events up to `upTo` (all: Infinity), in time order, ties in arrival order. */
  private drain(upTo: number): void {
    for (;;) {
      const q = this.qLen > 0 ? (this.qe[this.qHead] as TimelineEvent) : null
      const qt = q === null ? 0 : (this.qt[this.qHead] as number)
      const h = this.pending.peek()
      let fromQueue: boolean
      if (q === null) {
        if (h === undefined) break
        fromQueue = false
      } else if (h === undefined) fromQueue = true
      else fromQueue = qt < h.t || (qt === h.t && (this.qs[this.qHead] as number) < h.seq)
      const t = fromQueue ? qt : (h as {t: number}).t
      if (t > upTo) break
      if (fromQueue) {
        this.qe[this.qHead] = null
        this.qHead = (this.qHead + 1) & (this.qe.length - 1)
        this.qLen -= 1
        this.release(q as TimelineEvent, t)
      } else {
        const x = this.pending.pop() as {e: TimelineEvent; t: number}
        this.release(x.e, x.t)
      }
    }
  }

  /** State entries held now (not counting the kept output lists): the bound stated at the top of this file. */
  stateSize(): number {
    let n = this.vrids.size + this.arpIps.size + this.garpAfterFault.size + this.pending.size + this.qLen + this.completions.size + (this.vipOpen?.parties.size ?? 0) + this.namer.size
    for (const v of this.vrids.values()) {
      n += v.list.length + v.pairs.size
      for (const s of v.list) n += (s.span === null ? 0 : 1) + (s.alive === null ? 0 : 1)
    }
    for (const a of this.arpIps.values()) n += a.run === null ? 0 : 1 + a.run.macs.length
    return n
  }

  /** Entries held in the output lists (all of them, or at most 2 × keep per list). */
  keptSize(): number {
    return this.masters.size + this.prios.size + this.gaps.size + this.garps.size + this.findings.size
  }

  private release(e: TimelineEvent, t: number): void {
    if (t < this.lastReleasedT) this.late += 1
    else this.lastReleasedT = t
    this.step(e, t)
  }

  private step(e: TimelineEvent, t: number): void {
    if (t < this.firstT) this.firstT = t
    if (t > this.lastT) this.lastT = t
    // probe completions before this moment can no longer be preceded by another: fold them in
    while (this.completions.size > 0 && (this.completions.peek() as number) < t) this.completion(this.completions.pop() as number)
    switch (e.type) {
      case 'vrrp.advert':
        this.advert(e, t)
        break
      case 'arp':
        this.arp(e, t)
        break
      case 'probe':
        this.probe(e, t)
        break
      case 'vip.owner':
        this.vipOwner(e, t)
        break
      case 'fault.inject':
        if (this.fromEvents && e.phase === 'before') this.setFault(t)
        break
      case 'fault.revert':
        if (this.fromEvents && e.phase === 'before') this.setRevert(t)
        break
      default:
        break
    }
  }

  // ---- adverts: master spans, priority changes, gaps, alive intervals, failover ------------------------

  private advert(a: Advert, t: number): void {
    this.nAdverts += 1
    this.namer.learn(a.src, a.smac)
    const key = instanceMapKey(a.vrid, a.vlan, a.iface)
    // the last advert's instance and source again (the common case): no Map lookups (nothing is ever removed)
    let v = key === this.lastVKey ? this.lastV : this.vrids.get(key)
    if (v === undefined || v === null) {
      v = {vrid: a.vrid, vlan: a.vlan ?? null, iface: a.iface ?? null, idx: this.vrids.size, count: 0, sources: new Map(), list: [], pairs: new Map(), lastPos: null, newFirst: null, oldLastT: null, lastSrc: null, lastS: null}
      this.vrids.set(key, v)
    }
    this.lastVKey = key
    this.lastV = v
    v.count += 1
    let s = a.src === v.lastSrc ? v.lastS : v.sources.get(a.src)
    if (s === undefined || s === null) {
      s = {g: this.groups++, idx: v.list.length, ip: a.src, hasPrev: false, prevT: 0, prevPrio: 0, prevIv: 0, span: null, alive: null, aliveCount: 0, firstPosFromRevert: null}
      v.sources.set(a.src, s)
      v.list.push(s)
    }
    v.lastSrc = a.src
    v.lastS = s
    const iv = intvlUs(a)

    // master spans, priority changes, advert gaps (as collectSource in the batch analysis did)
    if (s.hasPrev) {
      if (a.prio !== s.prevPrio) this.emitPrio({g: s.g, t: t, vrid: a.vrid, ip: a.src, mac: a.smac, from: s.prevPrio, to: a.prio})
      const limit = 1.5 * s.prevIv
      if (t - s.prevT > limit) {
        this.emitGap({g: s.g, vrid: a.vrid, ip: a.src, mac: a.smac, fromUs: s.prevT, toUs: t, gapMs: ms(t - s.prevT), intervalMs: ms(s.prevIv)})
      }
      if (s.span !== null && (t - s.prevT > 3 * s.prevIv || a.prio === 0)) {
        if (a.prio === 0 && t - s.prevT <= 3 * s.prevIv) {
          s.span.endUs = t
          s.span.resigned = true
        }
        this.emitMaster(s.span)
        s.span = null
      }
    }
    if (a.prio > 0) {
      s.span ??= {g: s.g, vrid: a.vrid, ip: a.src, mac: a.smac, startUs: t, endUs: t, prio: a.prio, adverts: 0, intervalMs: ms(iv), resigned: false}
      s.span.endUs = t
      s.span.adverts += 1
    }
    // the old master's last advert up to the new master's first (same-moment adverts count)
    if (v.newFirst !== null && v.lastPos !== null && a.src === v.lastPos.src && t <= v.newFirst.t) v.oldLastT = t
    s.hasPrev = true
    s.prevT = t
    s.prevPrio = a.prio
    s.prevIv = iv

    this.alive(v, s, a, iv, t)

    // failover: old master, new master, failback
    const F = this.faultAt
    if (F === null || t < F) {
      if (a.prio > 0) {
        if (v.lastPos === null) v.lastPos = {src: a.src, smac: a.smac}
        else {
          v.lastPos.src = a.src
          v.lastPos.smac = a.smac
        }
      }
    } else if (v.newFirst === null && a.prio > 0 && (v.lastPos === null || a.src !== v.lastPos.src)) {
      v.newFirst = {src: a.src, smac: a.smac, t: t}
      if (v.lastPos !== null) {
        const old = v.sources.get(v.lastPos.src)
        v.oldLastT = old !== undefined && old.hasPrev ? old.prevT : null
      }
    }
    const R = this.revertAt
    if (R !== null && t >= R && a.prio > 0 && s.firstPosFromRevert === null) s.firstPosFromRevert = t
  }

  /**
   * Alive intervals and dual-master overlaps. An advert with priority > 0 extends its source's current
   * interval (or starts the next, which closes the overlaps of the last one); a priority-0 advert cuts it.
   * The advert counts for every other source whose current interval still reaches it: any later cut is at
   * a later moment, so the advert stays inside the overlap.
   */
  private alive(v: VridState, s: SourceState, a: Advert, iv: number, t: number): void {
    if (a.prio === 0) {
      if (s.alive !== null && t < s.alive.end) s.alive.end = t
      return
    }
    const end = t + 3 * iv
    if (s.alive !== null && t <= s.alive.end) {
      if (end > s.alive.end) s.alive.end = end
    } else {
      if (s.alive !== null) this.closePairs(v, s)
      s.alive = {start: t, end, n: s.aliveCount++}
    }
    if (v.list.length < 2) return
    for (const o of v.list) {
      if (o === s || o.alive === null || o.alive.end < t) continue
      const isA = s.idx < o.idx
      const key = isA ? pairKey(s.idx, o.idx) : pairKey(o.idx, s.idx)
      let p = v.pairs.get(key)
      if (p === undefined) {
        const A = isA ? s : o
        const B = isA ? o : s
        p = {a: A, b: B, xIdx: (A.alive as Alive).n, yIdx: (B.alive as Alive).n, nA: 0, fA: 0, pA: 0, mA: '', lA: 0, nB: 0, fB: 0, pB: 0, mB: '', lB: 0}
        v.pairs.set(key, p)
      }
      if (isA) {
        if (p.nA === 0) {
          p.fA = t
          p.pA = a.prio
          p.mA = a.smac
        }
        p.nA += 1
        p.lA = t
      } else {
        if (p.nB === 0) {
          p.fB = t
          p.pB = a.prio
          p.mB = a.smac
        }
        p.nB += 1
        p.lB = t
      }
    }
  }

  /** Close the overlaps of `s`'s current interval (it ends, or the run does). */
  private closePairs(v: VridState, s: SourceState): void {
    for (const o of v.list) {
      if (o === s) continue
      const key = s.idx < o.idx ? pairKey(s.idx, o.idx) : pairKey(o.idx, s.idx)
      const p = v.pairs.get(key)
      if (p === undefined) continue
      v.pairs.delete(key)
      this.closePair(v, p)
    }
  }

  private closePair(v: VridState, p: Pair): void {
    const x = p.a.alive as Alive
    const y = p.b.alive as Alive
    const lo = Math.max(x.start, y.start)
    const hi = Math.min(x.end, y.end)
    if (hi <= lo || p.nA < 2 || p.nB < 2) return
    const startUs = Math.max(p.fA, p.fB)
    const endUs = Math.min(p.lA, p.lB)
    this.emitFinding({
      key: [startUs, 0, v.idx, p.a.idx, p.b.idx, p.xIdx, p.yIdx],
      startUs,
      endUs,
      kind: 'dual-master',
      vrid: v.vrid,
      ipA: p.a.ip,
      ipB: p.b.ip,
      macA: p.mA,
      macB: p.mB,
      prioA: p.pA,
      prioB: p.pB,
      nA: p.nA,
      nB: p.nB,
    })
  }

  // ---- ARP: GARPs, dual-ARP runs, the new master's first GARP ----------------------------------------

  private arp(a: Arp, t: number): void {
    this.nArps += 1
    const vip = this.ctx.vip
    if (a.garp) {
      this.nGarps += 1
      this.emitGarp(t, a, vip !== null && a.sip === vip)
      const F = this.faultAt
      if (F !== null && t >= F) {
        const g = this.garpAfterFault.get(a.smac)
        if (g === undefined) this.garpAfterFault.set(a.smac, {first: {t: t, sip: a.sip}, other: null, vip: vip !== null && a.sip === vip ? t : null})
        else {
          if (g.other === null && a.sip !== g.first.sip) g.other = t
          if (g.vip === null && vip !== null && a.sip === vip) g.vip = t
        }
      }
    }
    if (!(a.garp || a.op === 'reply')) return
    if (vip !== null ? a.sip !== vip : a.sip === '0.0.0.0') return
    const isReply = a.op === 'reply' && !a.garp ? 1 : 0
    const key = a.vlan === undefined && a.iface === undefined ? a.sip : `${a.sip}%${a.vlan ?? ''}%${a.iface ?? ''}`
    // the address of the last ARP frame again (the common case): no Map lookup (entries are never removed)
    const st = key === this.lastArpKey ? this.lastArpSt : this.arpIps.get(key)
    if (st === undefined || st === null) {
      this.arpIps.set(key, {ip: a.sip, idx: this.arpIps.size, prevT: t, prevMac: a.smac, prevReply: isReply, run: null, runs: 0})
      return
    }
    this.lastArpKey = key
    this.lastArpSt = st
    const prevReply = st.prevReply
    if (a.smac !== st.prevMac) {
      const run = st.run
      if (run !== null && t - run.lastSwitchT <= (this.ctx.dualArpWindowMs ?? 2000) * 1000) {
        run.frames += run.pendFrames + 1
        run.replies += run.pendReplies + isReply
        run.pendFrames = 0
        run.pendReplies = 0
        if (!run.macs.includes(a.smac)) run.macs.push(a.smac)
        run.switches += 1
        run.lastSwitchT = t
      } else {
        if (run !== null) this.closeArpRun(st)
        st.run = {seq: st.runs++, firstT: st.prevT, lastSwitchT: t, switches: 1, macs: [st.prevMac, a.smac], frames: 2, replies: prevReply + isReply, pendFrames: 0, pendReplies: 0}
      }
    } else if (st.run !== null) {
      st.run.pendFrames += 1
      st.run.pendReplies += isReply
    }
    st.prevT = t
    st.prevMac = a.smac
    st.prevReply = isReply
  }

  private closeArpRun(st: ArpIpState): void {
    const ip = st.ip
    const r = st.run
    st.run = null
    if (r === null || r.switches < 2) return
    this.emitFinding({key: [r.firstT, 1, st.idx, r.seq], startUs: r.firstT, endUs: r.lastSwitchT, kind: 'dual-arp', ip, macs: r.macs, changes: r.switches, frames: r.frames, replies: r.replies})
  }

  // ---- VIP owners ----------------------------------------------------------------------------------

  private vipOwner(o: VipOwner, t: number): void {
    if (o.owners.length >= 2) {
      if (this.vipOpen === null) this.vipOpen = {start: t, parties: new Set(o.owners)}
      else for (const p of o.owners) this.vipOpen.parties.add(p)
    } else this.closeVip(t)
  }

  private closeVip(t: number): void {
    const open = this.vipOpen
    if (open === null) return
    this.vipOpen = null
    this.emitFinding({key: [open.start, 2, this.vipSeq++], startUs: open.start, endUs: t, kind: 'dual-vip', parties: [...open.parties]})
  }

  // ---- probes: the outage as the largest gap between successful completions ------------------------

  private probe(p: Probe, t: number): void {
    this.nProbes += 1
    if (!p.ok) {
      this.probesFailed += 1
      this.pendingFailed += 1
      if (t === this.lastFailedT) this.atLastFailed += 1
      else {
        this.lastFailedT = t
        this.atLastFailed = 1
      }
      return
    }
    this.completions.push(t + Math.round(p.latencyMs * 1000))
    if (this.faultAt !== null && t >= this.faultAt) this.okAfterFault = true
  }

  /**
   * A successful completion at `c`, in completion order. The failed probes counted since the last one were
   * all sent after it and at or before `c` (a completion is folded in only once an event later than it has
   * arrived); those sent exactly at `c` are in no gap.
   */
  private completion(c: number): void {
    const start = this.prevCompletion
    if (start !== null) {
      const lost = this.pendingFailed - (this.lastFailedT === c ? this.atLastFailed : 0)
      const F = this.faultAt
      const R = this.revertAt
      const len = c - start
      if (F !== null && c > F && (R === null || start < R) && (this.outage === null || len > this.outage.endUs - this.outage.startUs)) {
        this.outage = {startUs: start, endUs: c, lost}
      }
      if (R !== null && c > R && (this.failbackGap === null || len > this.failbackGap.endUs - this.failbackGap.startUs)) {
        this.failbackGap = {startUs: start, endUs: c, lost}
      }
    }
    this.pendingFailed = 0
    this.atLastFailed = 0
    this.prevCompletion = c
  }

  // ---- outputs ------------------------------------------------------------------------------------

  private emitMaster(m: MasterRec): void {
    this.masters.push(m)
    this.sink.master?.(this.nameMaster(m))
  }

  private emitPrio(c: PrioRec): void {
    this.prios.push(c)
    this.sink.priorityChange?.(this.namePrio(c))
  }

  private emitGap(g: GapRec): void {
    this.gaps.push(g)
    this.sink.advertGap?.(this.nameGap(g))
  }

  /**
   * A GARP at `t` from the ARP event `from`. Its record (GarpRec) is made only where it is kept or named: half
   * of a capture's frames can be GARPs, and a new record each was a third of what the machine allocated; a
   * Kept list that drops its oldest entry hands that record back to be filled again.
   */
  private emitGarp(t: number, from: Arp, forVip: boolean): void {
    const g = this.nGarpRecs++
    const text = this.garpText
    const sink = this.sink
    // times written as digits (parts, garpAt) must be what n() writes: non-negative integers
    const plain = Number.isSafeInteger(t) && t >= 0
    if (text !== null) {
      const source = this.namer.mac(from.smac)
      if (source === from.smac && from.smac !== this.lastUnnamed) {
        text.unnamed.add(from.smac)
        this.lastUnnamed = from.smac
      }
      if (text.parts !== undefined && plain) {
        const p = text.parts(from, source, forVip)
        text.spool.appendAround(p.head, t, p.tail)
      } else text.spool.append(text.json(this.nameGarp(garpRec(g, t, from, forVip))))
      if (sink.garpAt !== undefined && plain) sink.garpAt(t, from, source, forVip)
      else sink.garp?.(this.nameGarp(garpRec(g, t, from, forVip)))
      return
    }
    const old = this.garps instanceof Kept ? this.garps.dropping() : undefined
    let r: GarpRec
    if (old !== undefined) {
      old.g = g
      old.t = t
      old.op = from.op
      old.mac = from.smac
      old.ip = from.sip
      old.forVip = forVip
      r = old
    } else r = garpRec(g, t, from, forVip)
    this.garps.push(r)
    if (sink.garpAt !== undefined && plain) sink.garpAt(t, from, this.namer.mac(from.smac), forVip)
    else sink.garp?.(this.nameGarp(r))
  }

  private emitFinding(f: FindingRec): void {
    this.findings.push(f)
    this.sink.splitBrain?.(this.nameFinding(f))
  }

  private nameMaster(m: MasterRec): MasterSpan {
    return {vrid: m.vrid, source: this.namer.source(m.ip, m.mac), ip: m.ip, mac: m.mac, startUs: m.startUs, endUs: m.endUs, prio: m.prio, adverts: m.adverts, intervalMs: m.intervalMs, resigned: m.resigned}
  }

  private namePrio(c: PrioRec): PriorityChange {
    return {t: c.t, vrid: c.vrid, source: this.namer.source(c.ip, c.mac), from: c.from, to: c.to}
  }

  private nameGap(g: GapRec): AdvertGap {
    return {vrid: g.vrid, source: this.namer.source(g.ip, g.mac), fromUs: g.fromUs, toUs: g.toUs, gapMs: g.gapMs, intervalMs: g.intervalMs}
  }

  private nameGarp(g: GarpRec): GarpEntry {
    return {t: g.t, op: g.op, source: this.namer.mac(g.mac), mac: g.mac, ip: g.ip, forVip: g.forVip}
  }

  private nameFinding(f: FindingRec): SplitBrainFinding {
    const durationMs = ms(f.endUs - f.startUs)
    switch (f.kind) {
      case 'dual-master': {
        const nameA = this.namer.source(f.ipA, f.macA)
        const nameB = this.namer.source(f.ipB, f.macB)
        return {
          kind: 'dual-master',
          parties: [nameA, nameB],
          startUs: f.startUs,
          endUs: f.endUs,
          durationMs,
          evidence:
            `${nameA} (${f.ipA}, prio ${f.prioA}) and ${nameB} (${f.ipB}, prio ${f.prioB}) both advertised as master ` +
            `for vrid ${f.vrid}: ${f.nA} and ${f.nB} adverts while both were alive`,
        }
      }
      case 'dual-arp': {
        const n = this.namer
        return {
          kind: 'dual-arp',
          parties: f.macs.map((m) => n.mac(m)),
          startUs: f.startUs,
          endUs: f.endUs,
          durationMs,
          evidence:
            `ARP for ${f.ip} answered from ${f.macs.length} MACs (${f.macs.map((m) => `${m}${n.mac(m) !== m ? ` ${n.mac(m)}` : ''}`).join(', ')}), ` +
            `the sender changing ${f.changes} times: ${f.frames} frames (${f.replies} replies, ${f.frames - f.replies} gratuitous)`,
        }
      }
      case 'dual-vip':
        return {kind: 'dual-vip', parties: f.parties, startUs: f.startUs, endUs: f.endUs, durationMs, evidence: `the VIP was configured on ${f.parties.join(' and ')} at once (polled)`}
    }
  }

  // ---- the end ------------------------------------------------------------------------------------

  /** With `spill`, after finish(): the lists the result left empty, in order and named (each read once). */
  spooled(): SpooledLists | null {
    if (!this.spilled || !this.finished) return null
    const named = <R, T>(k: Keeper<R>, f: (r: R) => T): Iterable<T> => {
      const spool = (k as Spooled<R>).spool
      return {
        *[Symbol.iterator]() {
          for (const r of spool.sorted()) yield f(r)
        },
      }
    }
    // a list spooled as text: copied as it is unless a source named by its IP then has a name now
    // a list spooled as records (spill.entryJson): named now, and its JSON text made as it is read
    const asText = <R, T>(k: Keeper<R>, f: (r: R) => T, json: ((x: T) => string) | undefined): {items: Iterable<T>; json: Iterable<string> | null} => {
      if (!(k instanceof SpooledRec)) return {items: named(k, f), json: null}
      const recs = k as SpooledRec<R>
      return {
        items: {
          *[Symbol.iterator]() {
            for (const r of recs.sorted()) yield f(r)
          },
        },
        json:
          json === undefined
            ? null
            : {
                *[Symbol.iterator]() {
                  for (const r of recs.sorted()) yield json(f(r))
                },
              },
      }
    }
    const mastersL = asText(this.masters, (m) => this.nameMaster(m), this.entryJson?.master)
    const gapsL = asText(this.gaps, (g) => this.nameGap(g), this.entryJson?.advertGap)
    const text = this.garpText
    const renamed = text !== null && [...text.unnamed].some((mac) => this.namer.mac(mac) !== mac)
    const garps: Iterable<GarpEntry> =
      text !== null
        ? {
            [Symbol.iterator]: function* (this: TimelineMachine) {
              for (const line of text.spool.lines()) {
                const g = JSON.parse(line) as GarpEntry
                if (g.source === g.mac) g.source = this.namer.mac(g.mac)
                yield g
              }
            }.bind(this),
          }
        : this.garps instanceof Spooled
          ? named(this.garps, (g) => this.nameGarp(g))
          : []
    const raw = (k: Keeper<unknown>): RawRecords | null => (k instanceof SpooledRec ? k.raw((ip, mac) => this.namer.source(ip, mac)) : null)
    return {
      mastersRaw: raw(this.masters),
      advertGapsRaw: raw(this.gaps),
      masters: mastersL.items,
      mastersJson: mastersL.json,
      advertGapsJson: gapsL.json,
      garps,
      garpsJson: text !== null && !renamed ? text.spool.bytes() : null,
      garpsInto: text !== null && !renamed && text.spool instanceof PartsSpool ? (sink) => (text.spool as PartsSpool).bytesInto(sink) : null,
      priorityChanges: named(this.prios, (c) => this.namePrio(c)),
      advertGaps: gapsL.items,
    }
  }

  /** Delete the spool files (idempotent; nothing to do without `spill`). */
  removeSpool(): void {
    for (const k of [this.masters, this.prios, this.gaps, this.garps]) if (k instanceof Spooled || k instanceof SpooledRec) k.spool.remove()
    this.garpText?.spool.remove()
  }

  /** No more events: close what is open and return the analysis (`unparsed` as known at the end). */
  finish(unparsed?: {count: number; sample: string[]}): TimelineAnalysis {
    if (this.finished) throw new Error('TimelineMachine: finish twice')
    this.drain(Infinity)
    this.finished = true
    while (this.completions.size > 0) this.completion(this.completions.pop() as number)
    for (const v of this.vrids.values()) {
      for (const s of v.list) {
        if (s.span !== null) {
          this.emitMaster(s.span)
          s.span = null
        }
      }
      // the batch analysis listed a vrid's findings pair by pair; the key orders them
      for (const p of v.pairs.values()) this.closePair(v, p)
      v.pairs.clear()
    }
    for (const st of this.arpIps.values()) this.closeArpRun(st)
    if (this.vipOpen !== null) this.closeVip(Math.max(this.lastT === -Infinity ? this.vipOpen.start : this.lastT, this.vipOpen.start))

    const ctx = this.ctx
    const vrids = [...new Set([...this.vrids.values()].map((v) => v.vrid))].sort((a, b) => a - b)
    // The instance measured: the given vrid's (on the VLAN with the most adverts), else the busiest instance.
    let best: VridState | null = null
    for (const v of this.vrids.values()) {
      if (ctx.vrid !== null && v.vrid !== ctx.vrid) continue
      if (best === null || v.count > best.count || (v.count === best.count && instanceKey(v.vrid, v.vlan ?? undefined) < instanceKey(best.vrid, best.vlan ?? undefined)) || (v.count === best.count && v.vrid === best.vrid && v.vlan === best.vlan && (v.iface ?? '') < (best.iface ?? ''))) best = v
    }
    const vrid = ctx.vrid ?? best?.vrid ?? null
    const notes: string[] = []
    if (ctx.vrid !== null && this.nAdverts > 0 && best === null) notes.push(`no advert for vrid ${ctx.vrid} (seen: ${vrids.join(', ')})`)

    const byKey = <T extends {g: number}>(k: (x: T) => number) => (x: T, y: T) => k(x) - k(y) || x.g - y.g
    const masters = this.masters.items().sort(byKey((m) => m.startUs)).map((m) => this.nameMaster(m))
    const priorityChanges = this.prios.items().sort(byKey((c) => c.t)).map((c) => this.namePrio(c))
    const advertGaps = this.gaps.items().sort(byKey((g) => g.fromUs)).map((g) => this.nameGap(g))
    const garps = this.garps.items().map((g) => this.nameGarp(g))
    const splitBrain = this.findings
      .items()
      .sort((x, y) => {
        for (let i = 0; i < Math.min(x.key.length, y.key.length); i++) {
          const d = (x.key[i] as number) - (y.key[i] as number)
          if (d !== 0) return d
        }
        return x.key.length - y.key.length
      })
      .map((f) => this.nameFinding(f))

    const metrics = this.faultAt === null ? null : this.metrics(best, notes)
    if (this.late > 0) notes.push(`${this.late} event${this.late === 1 ? '' : 's'} arrived more than ${ms(this.window)} ms out of time order: analysed where they arrived`)
    const u = unparsed ?? ctx.unparsed
    const truncated =
      this.keepN === Infinity ||
      [this.masters, this.prios, this.gaps, ...(this.omitGarps ? [] : [this.garps]), this.findings].every((k) => k.total === k.size)
        ? {}
        : {
            listed: {
              keep: this.keepN,
              totals: {masters: this.masters.total, garps: this.garps.total, priorityChanges: this.prios.total, advertGaps: this.gaps.total, splitBrain: this.findings.total},
            },
          }
    return {
      vrid,
      vrids,
      firstUs: this.firstT === Infinity ? null : this.firstT,
      lastUs: this.lastT === -Infinity ? null : this.lastT,
      counts: {adverts: this.nAdverts, arps: this.nArps, garps: this.nGarps, probes: this.nProbes},
      masters,
      garps,
      priorityChanges,
      advertGaps,
      metrics,
      splitBrain,
      notes,
      ...(u === undefined ? {} : {unparsed: u}),
      ...truncated,
    }
  }

  private metrics(inst: VridState | null, notes: string[]): FailoverMetrics {
    const fault = this.faultAt as number
    const revert = this.revertAt
    const v = inst ?? undefined
    const oldMaster = v?.lastPos ?? null
    const newFirst = v?.newFirst ?? null
    const takeoverFromLast = oldMaster !== null && newFirst !== null && v?.oldLastT !== null && v?.oldLastT !== undefined ? ms(newFirst.t - v.oldLastT) : null
    if ((v?.count ?? 0) === 0) notes.push('no VRRP advert in the capture: no takeover can be measured')
    else if (oldMaster === null) notes.push('no advert before the fault: the old master is unknown')
    else if (newFirst === null) notes.push(`no other source advertised after the fault: no takeover seen (${this.namer.source(oldMaster.src, oldMaster.smac)} stayed master or the capture ended)`)

    let garpMs: number | null = null
    if (newFirst !== null) {
      const g = this.garpAfterFault.get(newFirst.smac)
      const t = g === undefined ? null : this.ctx.vip !== null ? g.vip : g.first.sip !== newFirst.src ? g.first.t : g.other
      if (t !== null) garpMs = ms(t - fault)
    }

    let failbackMs: number | null = null
    if (revert !== null && oldMaster !== null) {
      const back = v?.sources.get(oldMaster.src)?.firstPosFromRevert ?? null
      if (back !== null) failbackMs = ms(back - revert)
    }

    const outage = this.outage
    const failback = revert === null ? null : this.failbackGap
    const failed = this.probesFailed
    if (this.nProbes > 0) {
      if (!this.okAfterFault) notes.push('no probe succeeded after the fault: the outage did not end within the run')
      const probeIntervalMs = this.ctx.probeIntervalMs
      if (outage !== null && failed === 0 && probeIntervalMs !== undefined && ms(outage.endUs - outage.startUs) <= 1.5 * probeIntervalMs) {
        notes.push(`no probe failed: the largest gap after the fault (${ms(outage.endUs - outage.startUs).toFixed(1)} ms) is about one probe interval`)
      }
    }

    return {
      faultAtUs: fault,
      revertAtUs: revert,
      oldOwner: oldMaster === null ? null : this.namer.source(oldMaster.src, oldMaster.smac),
      newOwner: newFirst === null ? null : this.namer.source(newFirst.src, newFirst.smac),
      takeoverMs: newFirst === null ? null : ms(newFirst.t - fault),
      takeoverFromLastAdvertMs: takeoverFromLast,
      garpMs,
      outageMs: outage === null ? null : ms(outage.endUs - outage.startUs),
      lostProbes: outage?.lost ?? 0,
      probesTotal: this.nProbes,
      probesFailed: failed,
      failbackMs,
      failbackOutageMs: failback === null ? null : ms(failback.endUs - failback.startUs),
      failbackLostProbes: failback?.lost ?? 0,
      extra: {},
    }
  }
}
