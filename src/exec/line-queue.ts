/**
 * The lines of a Spawned stream, as they arrive, for its `lines()` iterator: lines pushed before anyone
 * reads wait in order; a reader waiting for the next line gets it at once; finish() ends every iteration.
 * Shared by the streams that feed lines from callbacks (a child process, a job on a VM console).
 *
 * Memory: a stream whose owner takes its lines by callback (SpawnOptions.onLine: the capture, the probes, every
 * watch observer) hands each line to that sink and keeps none, since no reader will ever come for them (before
 * this, a watch of an hour kept every tcpdump and probe line it had already folded in: ~20 MB an hour). A stream
 * read through lines() keeps at most MAX_QUEUED unread lines (the oldest go first, counted in `dropped`).
 */
import type {OutputLine} from './types.js'

/** Unread lines a lines() stream keeps for a slow reader. */
export const MAX_QUEUED = 100_000

export class LineQueue {
  private readonly queue: OutputLine[] = []
  /** Unread lines dropped over MAX_QUEUED. */
  dropped = 0

  /** `sink`: where every line goes instead of the queue (the stream's onLine). */
  constructor(private readonly sink?: (line: OutputLine) => void) {}
  private waiters: Array<(v: IteratorResult<OutputLine>) => void> = []
  private done = false

  /** True once finish() was called. */
  get ended(): boolean {
    return this.done
  }

  push(line: OutputLine): void {
    if (this.sink !== undefined) {
      this.sink(line)
      return
    }
    const w = this.waiters.shift()
    if (w) w({value: line, done: false})
    else {
      this.queue.push(line)
      if (this.queue.length > MAX_QUEUED) {
        this.queue.shift()
        this.dropped++
      }
    }
  }

  finish(): void {
    this.done = true
    for (const w of this.waiters) w({value: undefined, done: true})
    this.waiters = []
  }

  lines(): AsyncIterable<OutputLine> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: (): Promise<IteratorResult<OutputLine>> => {
          const v = this.queue.shift()
          if (v !== undefined) return Promise.resolve({value: v, done: false})
          if (this.done) return Promise.resolve({value: undefined, done: true})
          return new Promise((res) => this.waiters.push(res))
        },
      }),
    }
  }
}
