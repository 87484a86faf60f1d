/**
 * Sync completeness before the fault (a director drill on a pair running lvs_sync_daemon): once the drill's
 * long-lived streams have been open SYNCED_AFTER_MS (their sync datagrams sent: the master flushes a buffer
 * when it is full or 2 s old), both directors' connection tables are read (`ipvsadm -Lnc`) with the master's
 * `sync_threshold` (/proc/sys/net/ipv4/vs/sync_threshold, "3 50" by default) and `sync_refresh_period`, and
 * what the master has and the backup lacks is counted (syncDivergence). The kernel syncs a connection when
 * its packet count reaches the threshold's first number, then every second-number packets (with
 * sync_refresh_period 0): a short flow ends before that and is never synced. That is harmless for the flow
 * (it is over by the failover) but shows as missing; a long-lived stream missing is one a failover resets.
 *
 * A Poller the drill's steady state waits for, bounded: the reading is done, or failed, or READ_CAP_MS ran
 * out (the drill then goes on without it, and says so). One reading per drill: O(1) memory.
 */
import type {TimelineEvent} from '../../store/run-types.js'
import {nowUs, type EpochMicros} from '../../time.js'
import type {Poller} from '../../util/poll-loop.js'
import {READ_MS, SYNCED_AFTER_MS, readOnDirector, syncDivergence, type DirectorRef, type SyncDivergence} from './sync-drop.js'
import type {StreamsObserver} from './streams.js'

/** From the streams all open + SYNCED_AFTER_MS: at most this long for both tables (then the drill goes on). */
export const READ_CAP_MS = READ_MS + 3000

export interface SyncThreshold {
  /** Packets before a connection is first synced, and the period after that (sync_threshold "3 50"). */
  first: number
  period: number
  /** sync_refresh_period in seconds (0: the threshold's period applies). */
  refreshS: number | null
}

/** `cat sync_threshold sync_refresh_period` → the numbers (null when it does not read as them). */
export function parseSyncThreshold(text: string): SyncThreshold | null {
  const n = text.trim().split(/\s+/).map(Number)
  const [first, period, refresh] = n
  if (first === undefined || period === undefined || !Number.isInteger(first) || !Number.isInteger(period)) return null
  return {first, period, refreshS: refresh !== undefined && Number.isInteger(refresh) ? refresh : null}
}

/** Why connections are missing on the backup, from the divergence and the master's sync_threshold. */
export function explainSyncGap(d: SyncDivergence, th: SyncThreshold | null, master: string, backup: string): string {
  const head = `before the fault ${d.missingOnBackup} of ${d.masterConns} entries of ${master}'s connection table were not in ${backup}'s (${d.missingStreams} of the ${d.masterStreams} long-lived streams)`
  if (d.missingOnBackup === 0) return `before the fault ${backup} held every entry of ${master}'s connection table (${d.masterConns}, ${d.masterStreams} long-lived streams): the sync daemon was complete`
  const rule =
    th === null
      ? 'IPVS syncs a connection only after sync_threshold packets (default 3, then every 50)'
      : `IPVS syncs a connection when it has seen ${th.first} packets, then every ${th.period}${th.refreshS !== null && th.refreshS > 0 ? ` (or every ${th.refreshS} s: sync_refresh_period)` : ''} (${master}'s sync_threshold "${th.first} ${th.period}")`
  const streams = d.missingStreams > 0 ? `; ${d.missingStreams} long-lived stream(s) missing will be reset by a failover (opened less than the sync's flush before, or their sync datagrams lost)` : '; no long-lived stream is missing: the missing entries are short flows (the probes\' one-request connections), over before they reached the threshold, which a failover does not need'
  return `${head}: ${rule}${streams}`
}

export class SyncCompleteness implements Poller {
  reading: (SyncDivergence & {threshold: SyncThreshold | null; t: EpochMicros}) | null = null
  error: string | null = null
  private run: Promise<void> | null = null
  private readonly abort = new AbortController()
  /** When the read started (µs; 0: not yet). */
  private readAt = 0

  constructor(
    private readonly streams: StreamsObserver,
    private readonly master: DirectorRef,
    private readonly backup: DirectorRef,
    private readonly port: number,
    private readonly emit: (e: TimelineEvent) => void,
  ) {}

  /** The steady state may go on: read, failed, or out of time. */
  get done(): boolean {
    if (this.reading !== null || this.error !== null) return true
    return this.readAt > 0 && nowUs() - this.readAt > READ_CAP_MS * 1000
  }

  /** Whether the read is due (the streams all open SYNCED_AFTER_MS): steady() asks, and starts it once. */
  poke(): void {
    if (this.run !== null) return
    const s = this.streams.fold.survival(null, null)
    const last = this.streams.fold.lastOpenT
    if (s.opened < this.streams.count || last === 0 || nowUs() - last < SYNCED_AFTER_MS * 1000) return
    this.readAt = nowUs()
    this.run = this.read().catch((e: unknown) => {
      this.error = e instanceof Error ? e.message : String(e)
      this.emit({type: 'note', t: nowUs(), host: 'hachaos', text: `sync completeness before the fault not read: ${this.error}`})
    })
  }

  private async read(): Promise<void> {
    const one = (d: DirectorRef, argv: string[]): Promise<string> => readOnDirector(d, argv, READ_CAP_MS)
    const t = nowUs()
    const [m, b, th] = await Promise.all([
      one(this.master, ['ipvsadm', '-Lnc']),
      one(this.backup, ['ipvsadm', '-Lnc']),
      one(this.master, ['cat', '/proc/sys/net/ipv4/vs/sync_threshold', '/proc/sys/net/ipv4/vs/sync_refresh_period']).catch(() => ''),
    ])
    if (this.abort.signal.aborted) return
    const d = syncDivergence(m, b, this.port)
    const threshold = parseSyncThreshold(th)
    this.reading = {...d, threshold, t}
    this.emit({type: 'note', t: nowUs(), host: 'hachaos', text: explainSyncGap(d, threshold, this.master.name, this.backup.name)})
  }

  start(): void {
    // steady() pokes it once the streams have been open long enough
  }

  async stop(): Promise<void> {
    this.abort.abort()
    await this.run?.catch(() => undefined)
  }

  figures(): Record<string, number | null> {
    const r = this.reading
    return {
      syncMasterConnsBefore: r?.masterConns ?? null,
      syncBackupConnsBefore: r?.backupConns ?? null,
      syncMissingBefore: r?.missingOnBackup ?? null,
      syncMissingStreamsBefore: r?.missingStreams ?? null,
      syncThresholdFirst: r?.threshold?.first ?? null,
      syncThresholdPeriod: r?.threshold?.period ?? null,
    }
  }
}
