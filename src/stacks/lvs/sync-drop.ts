/**
 * The drop-sync drill of an LVS director pair (fault chaos/drop-sync.ts): the master director's connection
 * sync daemon (lvs_sync_daemon: UDP to 224.0.0.81:8848 by default) is cut, streams are opened through the
 * VIP while it is, and after a hold the two directors' connection tables are compared (`ipvsadm -Lnc` on
 * both): the connections the master has and the backup does not are what a failover would reset. With the
 * fault's failover=true the master's NIC then goes down as well, and the streams opened during the drop are
 * expected lost while those opened (and synced) before it survive.
 *
 * Timeline of one run from the drop in effect (the engine's note that its last inject step returned; the
 * fault plan's sleep, when failing over, starts then and is the sum of these phases):
 *   drop in effect ─ SETTLE_MS ─ streams opened ─ OPEN_MS ─ hold ─ tables read (≤ READ_MS) ─ [failover: the
 *   master's NIC down]
 *
 * Pure parts: the divergence of two tables (syncDivergence). The observer keeps one record per stream
 * (StreamFold) and one reading: bounded, whatever the run length.
 */
import type {Executor} from '../../exec/types.js'
import {nowUs, sleep, type EpochMicros} from '../../time.js'
import type {TimelineEvent} from '../../store/run-types.js'
import type {Poller} from '../../util/poll-loop.js'
import {parseIpvsConns, type IpvsConn} from './readers.js'
import {StreamsObserver, type StreamFold} from './streams.js'

/** The IPVS sync daemon's defaults (kernel: IP_VS_SYNC_PORT, IP_VS_SYNC_GROUP). */
export const SYNC_PORT = 8848
export const SYNC_GROUP = '224.0.0.81'

/** From the drop in effect (its last inject step returned) to the streams of the drop. */
export const SETTLE_MS = 300
/** At most this long for the drop's streams to open (the hold counts from its end). */
export const OPEN_MS = 1500
/** At most this long to read both tables (before the failover's NIC down). */
export const READ_MS = 2500
/**
 * Default hold with the drop's streams open before the tables are read: longer than the sync master's flush
 * (a buffer is sent when full or 2 s old, IP_VS_SYNC_FLUSH_TIME; the thread wakes every second) so that,
 * without the drop, the backup would have them.
 */
export const DEFAULT_HOLD_MS = 4000
/**
 * Longest hold: without a failover nothing moves, and the drill gives up a hold 5 s + 15 s after the fault
 * (src/drill/engine.ts); the drop's inject (seconds through a loaded guest's console), the opening and the
 * read must fit before that.
 */
export const MAX_HOLD_MS = 10_000
/** Before the fault, the streams opened for the drill have been open this long (their sync sent, see above). */
export const SYNCED_AFTER_MS = 3500
/** Streams opened during the drop. */
export const DROP_STREAMS = 10

/** How long the fault's sleep lasts before the failover (the phases above, with `holdMs`). */
export function failoverDelayMs(holdMs: number): number {
  return SETTLE_MS + OPEN_MS + holdMs + READ_MS
}

export interface SyncDivergence {
  /** Entries (connections and templates) in each table. */
  masterConns: number
  backupConns: number
  /** On the master, not on the backup (by protocol, client, virtual and real address). */
  missingOnBackup: number
  /** …of which ESTABLISHED. */
  missingEstablished: number
  /** …of which ESTABLISHED to the streams' port (the long-lived connections a failover would reset). */
  missingStreams: number
  /** ESTABLISHED on the master, to the streams' port. */
  masterStreams: number
  /** Missing by master state (ESTABLISHED, FIN_WAIT, …). */
  missingByState: Record<string, number>
}

const key = (c: IpvsConn): string => `${c.protocol} ${c.source} ${c.virtual} ${c.destination}`
const portOf = (hostPort: string): number => Number(/:(\d+)$/.exec(hostPort)?.[1] ?? Number.NaN)

/** The connections of the master's table (`ipvsadm -Lnc`) that the backup's lacks. */
export function syncDivergence(masterText: string, backupText: string, streamPort: number | null): SyncDivergence {
  const master = parseIpvsConns(masterText)
  const backup = parseIpvsConns(backupText)
  const have = new Set(backup.map(key))
  const byState: Record<string, number> = {}
  let missing = 0
  let established = 0
  let streams = 0
  let masterStreams = 0
  for (const c of master) {
    const stream = c.state === 'ESTABLISHED' && streamPort !== null && portOf(c.virtual) === streamPort
    if (stream) masterStreams++
    if (have.has(key(c))) continue
    missing++
    byState[c.state] = (byState[c.state] ?? 0) + 1
    if (c.state === 'ESTABLISHED') established++
    if (stream) streams++
  }
  return {masterConns: master.length, backupConns: backup.length, missingOnBackup: missing, missingEstablished: established, missingStreams: streams, masterStreams, missingByState: byState}
}

export interface DirectorRef {
  name: string
  exec: Executor
}

/** A command's stdout on a director (e.g. its connection table, `ipvsadm -Lnc`); a failure throws, naming it. */
export async function readOnDirector(d: DirectorRef, argv: string[], timeoutMs: number): Promise<string> {
  const r = await d.exec.run(argv, {timeoutMs})
  if (r.code !== 0) throw new Error(`${argv.join(' ')} on ${d.name}: exit ${r.code}: ${r.stderr.trim().slice(0, 200)}`)
  return r.stdout
}

export interface SyncReading extends SyncDivergence {
  /** When both tables were asked for, µs (under load the answers come seconds later through the lab's console). */
  t: EpochMicros
  /** When the later answer came. */
  doneT: EpochMicros
}

/**
 * From the fault on (told by onFault): opens DROP_STREAMS streams through the VIP, holds, reads both
 * directors' tables. A Poller: the engine stops it after the failback (the streams then report how many
 * survived).
 */
export class SyncDropObserver implements Poller {
  readonly streams: StreamsObserver
  reading: SyncReading | null = null
  /** Why the reading is missing, when it failed. */
  error: string | null = null
  private run: Promise<void> | null = null
  private readonly abort = new AbortController()

  constructor(
    client: Executor,
    vip: string,
    private readonly port: number,
    intervalMs: number,
    private readonly master: DirectorRef,
    private readonly backup: DirectorRef,
    readonly holdMs: number,
    private readonly emit: (e: TimelineEvent) => void,
  ) {
    this.streams = new StreamsObserver(client, vip, port, DROP_STREAMS, intervalMs, emit)
  }

  get fold(): StreamFold {
    return this.streams.fold
  }

  /** Whether the drill may go on: the tables were read, or reading them failed. */
  get done(): boolean {
    return this.reading !== null || this.error !== null
  }

  start(): void {
    // nothing before the fault
  }

  /** When the drop was in effect (µs), once told. */
  dropAt: EpochMicros | null = null

  /** The drop is in effect from `t` (its last inject step returned): the phases start. */
  onDrop(t: EpochMicros): void {
    if (this.run !== null) return
    this.dropAt = t
    this.run = this.phases(t).catch((e: unknown) => {
      this.error = e instanceof Error ? e.message : String(e)
    })
  }

  private async phases(dropAt: EpochMicros): Promise<void> {
    const signal = this.abort.signal
    const wait = async (untilUs: number): Promise<void> => {
      const ms = (untilUs - nowUs()) / 1000
      if (ms > 0) await sleep(ms, signal)
    }
    await wait(dropAt + SETTLE_MS * 1000)
    this.streams.start()
    const opened = await this.streams.waitOpen(OPEN_MS)
    this.emit({type: 'note', t: nowUs(), host: 'hachaos', text: `sync dropped: ${opened}/${DROP_STREAMS} streams opened through the VIP; reading both connection tables in ${(this.holdMs / 1000).toFixed(1)} s`})
    // a fixed schedule from the drop: the read comes before the failover's NIC down however slow the opening was
    await wait(dropAt + (SETTLE_MS + OPEN_MS + this.holdMs) * 1000)
    const read = (d: DirectorRef): Promise<string> => readOnDirector(d, ['ipvsadm', '-Lnc'], READ_MS + 3000)
    const t = nowUs()
    const [m, b] = await Promise.all([read(this.master), read(this.backup)])
    const doneT = nowUs()
    this.reading = {...syncDivergence(m, b, this.port), t, doneT}
    this.emit({type: 'note', t: doneT, host: 'hachaos', text: `connection tables: ${this.master.name} ${this.reading.masterConns}, ${this.backup.name} ${this.reading.backupConns}; ${this.reading.missingOnBackup} on ${this.master.name} missing on ${this.backup.name} (${this.reading.missingEstablished} ESTABLISHED, ${this.reading.missingStreams} streams)`})
  }

  async stop(): Promise<void> {
    this.abort.abort()
    await this.run?.catch(() => undefined)
    await this.streams.stop()
  }

  /** The figures of the run (TimelineEvent-free: folded already). */
  figures(faultAt: EpochMicros | null, revertAt: EpochMicros | null): Record<string, number | null> {
    const r = this.reading
    // the drop's streams to the end of the run: a reset by the new director can come after the revert began
    // (the link comes up again only when the revert's command has run)
    const s = this.fold.survival(faultAt, null)
    return {
      syncHoldMs: this.holdMs,
      syncReadAtMs: r === null || faultAt === null ? null : Math.round((r.t - faultAt) / 100) / 10,
      syncReadMs: r === null ? null : Math.round((r.doneT - r.t) / 100) / 10,
      syncDropInEffectMs: this.dropAt === null || faultAt === null ? null : Math.round((this.dropAt - faultAt) / 100) / 10,
      syncMasterConns: r?.masterConns ?? null,
      syncBackupConns: r?.backupConns ?? null,
      syncMissingOnBackup: r?.missingOnBackup ?? null,
      syncMissingEstablished: r?.missingEstablished ?? null,
      syncMissingStreams: r?.missingStreams ?? null,
      syncMasterStreams: r?.masterStreams ?? null,
      dropStreamsOpened: s.opened,
      dropStreamsSurvived: s.survivedTakeover,
      dropStreamsLost: s.lostInTakeover,
    }
  }
}
