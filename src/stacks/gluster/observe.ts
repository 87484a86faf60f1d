/**
 * The Gluster drill's observers:
 *   FsProbeSession   `hachaos probe --fs MOUNT --forever --json` on a client host (nsenter in the lab, ssh
 *                    elsewhere), each operation turned into a `probe` event (backend "fs") stamped at its
 *                    completion: a stalled write shows as one late event with its latency.
 *   GlusterWatcher   every second on a server that is not the target: `volume status` (bricks online) and
 *                    `heal VOL info summary` (the backlog), one `cluster` event per change; after the revert,
 *                    once every brick is online again, it triggers `gluster volume heal VOL` (unless told not
 *                    to) and says so. State: one entry per brick + the backlog: O(bricks).
 *   BrickIndexWatcher every second on the same server: the entries pending in its own bricks' indices (`find`
 *                    in BRICK/.glusterfs/indices/xattrop), one `@heal-index` event per change. Its own loop:
 *                    while a peer is silent, `volume status` and `heal info` hang for up to ping-timeout and
 *                    more (measured: no round of the GlusterWatcher completed during a 20 s link loss), the
 *                    local listing answers at once. State: the last count: O(1).
 */
import type {Executor, Spawned} from '../../exec/types.js'
import type {TimelineEvent} from '../../store/run-types.js'
import {nowUs} from '../../time.js'
import {PollLoop, type Poller} from '../../util/poll-loop.js'
import {countXattropIndex, glusterXml, parseHealInfoXml, parseVolumeStatusXml, xattropIndexArgv} from './cli.js'
import {BRICK_PREFIX, FS_BACKEND, HEAL_INDEX_RESOURCE, HEAL_RESOURCE, HEAL_TRIGGER_RESOURCE, SPLIT_BRAIN_RESOURCE, SPLIT_FILES_MAX, SPLIT_FILE_PREFIX} from './metrics.js'

interface FsLine {
  type?: string
  t?: number
  ok?: boolean
  latencyMs?: number
  error?: string | null
}

export class FsProbeSession implements Poller {
  private proc: Spawned | undefined
  readonly lastLines: string[] = []

  constructor(
    private readonly o: {exec: Executor; hachaosArgv: string[]; dir: string; intervalMs: number; emit: (e: TimelineEvent) => void},
  ) {}

  get pid(): number | undefined {
    return this.proc?.pid
  }

  get argv(): string[] {
    return [...this.o.hachaosArgv, 'probe', '--fs', this.o.dir, '--interval', `${this.o.intervalMs}ms`, '--forever', '--json']
  }

  start(): void {
    this.proc = this.o.exec.spawn(this.argv, {
      onLine: (l) => {
        if (l.stream === 'stderr') {
          this.lastLines.push(l.text)
          if (this.lastLines.length > 20) this.lastLines.shift()
          return
        }
        let r: FsLine
        try {
          r = JSON.parse(l.text) as FsLine
        } catch {
          return
        }
        if (r.type !== 'fsprobe' || typeof r.t !== 'number' || typeof r.latencyMs !== 'number') return
        const end = r.t + Math.round(r.latencyMs * 1000)
        this.o.emit({type: 'probe', t: end, host: this.o.exec.host, ok: r.ok === true, latencyMs: r.latencyMs, backend: FS_BACKEND, error: r.error ?? null})
      },
    })
  }

  async stop(): Promise<void> {
    await this.proc?.stop({signal: 'SIGTERM', graceMs: 3000})
  }
}

/** What the live hooks tell the watcher (the watcher runs on its own timer). */
export interface WatcherShared {
  revertedAt: number | null
}

export class GlusterWatcher extends PollLoop {
  private readonly last = new Map<string, string>()
  private healTriggered = false

  constructor(
    private readonly o: {exec: Executor; volume: string; triggerHeal: boolean; shared: WatcherShared; emit: (e: TimelineEvent) => void; timeoutMs?: number},
    everyMs = 1000,
  ) {
    super(everyMs)
  }

  private backlogSinceRevert = false
  /** The split-brain count the files were last listed for (listed again when it changes). */
  private splitListedAt = 0
  private readonly splitFiles = new Set<string>()

  /** `heal VOL info split-brain`: one event per file not named yet (bounded by SPLIT_FILES_MAX). */
  private async listSplitFiles(timeoutMs: number): Promise<void> {
    const xml = await glusterXml(this.o.exec, ['volume', 'heal', this.o.volume, 'info', 'split-brain'], timeoutMs).catch(() => null)
    if (xml === null) return
    const info = parseHealInfoXml(xml, `${this.o.exec.host}:gluster volume heal ${this.o.volume} info split-brain`)
    const byFile = new Map<string, string[]>()
    for (const b of info.bricks) for (const f of b.files) byFile.set(f, [...(byFile.get(f) ?? []), b.brick])
    for (const [f, bricks] of byFile) {
      if (this.splitFiles.has(f) || this.splitFiles.size >= SPLIT_FILES_MAX) continue
      this.splitFiles.add(f)
      this.o.emit({type: 'cluster', t: nowUs(), host: this.o.exec.host, resource: `${SPLIT_FILE_PREFIX}${f}`, node: null, role: bricks.join(',')})
    }
  }

  private say(resource: string, role: string, force = false): void {
    if (this.last.get(resource) === role && !force) return
    this.last.set(resource, role)
    this.o.emit({type: 'cluster', t: nowUs(), host: this.o.exec.host, resource, node: null, role})
  }

  protected async round(): Promise<void> {
    // both queries at once: while a server is silent each can hang up to ping-timeout (glusterd waits for its
    // peer; the heal query is a client of every brick)
    const to = this.o.timeoutMs ?? 8000
    const [statusXml, healXml] = await Promise.all([
      glusterXml(this.o.exec, ['volume', 'status', this.o.volume], to).catch(() => null),
      glusterXml(this.o.exec, ['volume', 'heal', this.o.volume, 'info', 'summary'], to).catch(() => null),
    ])
    if (healXml !== null) {
      const heal = parseHealInfoXml(healXml, `${this.o.exec.host}:gluster volume heal info summary`)
      // the backlog over the bricks that answered; 0 counts only when every brick answered (a brick that
      // cannot be asked hides its own entries). Once after the revert it is said even when unchanged, so the
      // live hooks know it was read after the revert.
      const split = splitBrainOf(heal.bricks)
      if (heal.total !== null && (heal.total > 0 || heal.bricks.every((b) => b.entries !== null))) {
        const force = this.o.shared.revertedAt !== null && !this.backlogSinceRevert
        if (force) this.backlogSinceRevert = true
        this.say(HEAL_RESOURCE, String(Math.max(0, heal.total - split.sum)), force)
        this.say(SPLIT_BRAIN_RESOURCE, String(split.max))
      }
      if (split.max > 0 && this.o.shared.revertedAt !== null && split.max !== this.splitListedAt) {
        this.splitListedAt = split.max
        await this.listSplitFiles(to)
      }
    }
    if (statusXml === null) return
    const [status] = parseVolumeStatusXml(statusXml, `${this.o.exec.host}:gluster volume status`)
    const bricks = status?.bricks ?? []
    for (const b of bricks) this.say(`${BRICK_PREFIX}${b.hostname}:${b.path}`, b.online ? 'online' : 'offline')
    const allOnline = bricks.length > 0 && bricks.every((b) => b.online)
    if (this.o.triggerHeal && !this.healTriggered && this.o.shared.revertedAt !== null && allOnline) {
      this.healTriggered = true
      const r = await this.o.exec.run(['gluster', '--mode=script', 'volume', 'heal', this.o.volume], {timeoutMs: to})
      this.o.emit({type: 'cluster', t: nowUs(), host: this.o.exec.host, resource: HEAL_TRIGGER_RESOURCE, node: null, role: r.code === 0 ? 'triggered' : 'trigger-failed'})
    }
  }

  size(): number {
    return this.last.size + this.splitFiles.size
  }
}

/** Entries in split-brain per `heal info summary`: the sum over the bricks and the most on one brick (each file is counted on every brick that accuses the other). */
export function splitBrainOf(bricks: ReadonlyArray<{splitBrain: number | null}>): {sum: number; max: number} {
  let sum = 0
  let max = 0
  for (const b of bricks) {
    sum += b.splitBrain ?? 0
    max = Math.max(max, b.splitBrain ?? 0)
  }
  return {sum, max}
}

export class BrickIndexWatcher extends PollLoop {
  private last: number | null = null

  constructor(
    private readonly o: {exec: Executor; bricks: readonly string[]; emit: (e: TimelineEvent) => void; timeoutMs?: number},
    everyMs = 1000,
  ) {
    super(everyMs)
  }

  /** Entries pending in the indices of the server's own bricks (null: a listing failed). */
  private async count(): Promise<number | null> {
    let n = 0
    for (const b of this.o.bricks) {
      const r = await this.o.exec.run(xattropIndexArgv(b), {timeoutMs: this.o.timeoutMs ?? 5000}).catch(() => null)
      if (r === null || r.code !== 0) return null
      n += countXattropIndex(r.stdout)
    }
    return n
  }

  protected async round(): Promise<void> {
    if (this.o.bricks.length === 0) return
    const n = await this.count()
    if (n === null || n === this.last) return
    this.last = n
    this.o.emit({type: 'cluster', t: nowUs(), host: this.o.exec.host, resource: HEAL_INDEX_RESOURCE, node: null, role: String(n)})
  }

  size(): number {
    return 1
  }
}
