/**
 * Established-connection survival: N long-lived TCP streams through the VIP, opened before the fault
 * (streams-main.ts runs them on the client), folded into how many survive the takeover and the failback.
 * The fold is O(1) per line with one record per connection (N), never per event.
 */
import {fileURLToPath} from 'node:url'

import type {Executor, Spawned} from '../../exec/types.js'
import {nowUs, sleep} from '../../time.js'
import type {TimelineEvent} from '../../store/run-types.js'
import type {Poller} from '../../util/poll-loop.js'

/** No echo for this long at the end: the connection is dead even if no error came (a silent drop). */
export const STALE_MS = 2000

export const STREAMS_MAIN = fileURLToPath(new URL('./streams-main.js', import.meta.url))

export type StreamLine =
  | {ev: 'open'; conn: number; t: number}
  | {ev: 'lost'; conn: number; t: number; error: string; lastEchoT: number | null}
  | {ev: 'summary'; t: number; wanted: number; opened: number; alive: number}

export function parseStreamLine(text: string): StreamLine | null {
  try {
    const v = JSON.parse(text) as StreamLine
    return v !== null && typeof v === 'object' && (v.ev === 'open' || v.ev === 'lost' || v.ev === 'summary') ? v : null
  } catch {
    return null
  }
}

export interface StreamSurvival {
  wanted: number
  opened: number
  /** Lost before the fault (a broken lab, not the drill's doing). */
  lostBeforeFault: number
  /** Open at the fault and alive when the fault was reverted. */
  survivedTakeover: number
  lostInTakeover: number
  /** Alive at the revert and alive at the end. */
  survivedFailback: number | null
  lostInFailback: number
  /** Why they were lost (error → count). */
  errors: Record<string, number>
}

/** Folds stream lines; a `lost` is charged to the phase its connection last echoed in (a stall's loss time is its last echo). */
export class StreamFold {
  private wanted = 0
  private readonly opened = new Set<number>()
  private readonly lost = new Map<number, number>()
  readonly errors: Record<string, number> = {}
  private ended = false
  /** When the newest stream opened (µs; 0: none yet). */
  lastOpenT = 0

  add(l: StreamLine): void {
    if (l.ev === 'open') {
      this.opened.add(l.conn)
      if (l.t > this.lastOpenT) this.lastOpenT = l.t
    } else if (l.ev === 'lost') {
      if (this.lost.has(l.conn)) return
      this.lost.set(l.conn, l.error === 'stalled' && l.lastEchoT !== null ? l.lastEchoT : l.t)
      this.errors[l.error] = (this.errors[l.error] ?? 0) + 1
    } else {
      this.wanted = l.wanted
      this.ended = true
    }
  }

  size(): number {
    return this.opened.size + this.lost.size
  }

  survival(faultAt: number | null, revertAt: number | null): StreamSurvival {
    const lostAt = [...this.lost.entries()].filter(([c]) => this.opened.has(c)).map(([, t]) => t)
    const f = faultAt ?? Number.POSITIVE_INFINITY
    const r = revertAt ?? Number.POSITIVE_INFINITY
    const before = lostAt.filter((t) => t < f).length
    const inTakeover = lostAt.filter((t) => t >= f && t < r).length
    const inFailback = lostAt.filter((t) => t >= r).length
    const atFault = this.opened.size - before
    return {
      wanted: this.wanted,
      opened: this.opened.size,
      lostBeforeFault: before,
      survivedTakeover: atFault - inTakeover,
      lostInTakeover: inTakeover,
      survivedFailback: revertAt === null || !this.ended ? null : atFault - inTakeover - inFailback,
      lostInFailback: inFailback,
      errors: {...this.errors},
    }
  }
}

/**
 * Runs the streams on the client from the drill's start to its end (a Poller: the engine starts it before
 * the steady state and stops it after the failback). Each open/lost becomes a `note` event in the timeline.
 */
export class StreamsObserver implements Poller {
  readonly fold = new StreamFold()
  private proc: Spawned | null = null

  constructor(
    private readonly exec: Executor,
    private readonly vip: string,
    private readonly port: number,
    readonly count: number,
    private readonly intervalMs: number,
    private readonly emit: (e: TimelineEvent) => void,
  ) {}

  argv(): string[] {
    return [process.execPath, STREAMS_MAIN, this.vip, String(this.port), String(this.count), String(this.intervalMs)]
  }

  start(): void {
    if (this.proc !== null) return
    this.proc = this.exec.spawn(this.argv(), {
      onLine: (line) => {
        if (line.stream !== 'stdout') return
        const l = parseStreamLine(line.text)
        if (l === null) return
        this.fold.add(l)
        if (l.ev === 'lost') this.emit({type: 'note', t: l.t, host: this.exec.host, text: `stream ${l.conn} to ${this.vip}:${this.port} lost (${l.error})`})
        if (l.ev === 'summary') this.emit({type: 'note', t: l.t, host: this.exec.host, text: `streams: ${l.alive}/${l.wanted} alive at the end`})
      },
    })
  }

  /** Until every stream is open (or `timeoutMs`): the drill should not break anything before. */
  async waitOpen(timeoutMs = 5000): Promise<number> {
    const end = nowUs() + timeoutMs * 1000
    while (nowUs() < end && this.fold.survival(null, null).opened < this.count) await sleep(50)
    return this.fold.survival(null, null).opened
  }

  async stop(): Promise<void> {
    if (this.proc === null) return
    await this.proc.stop({signal: 'SIGTERM', graceMs: 3000})
  }
}
