/**
 * The lines of a Spawned stream, as they arrive, for its `lines()` iterator: lines pushed before anyone
 * reads wait in order; a reader waiting for the next line gets it at once; finish() ends every iteration.
 * Shared by the streams that feed lines from callbacks (a child process, a job on a VM console).
 */
import type {OutputLine} from './types.js'

export class LineQueue {
  private readonly queue: OutputLine[] = []
  private waiters: Array<(v: IteratorResult<OutputLine>) => void> = []
  private done = false

  /** True once finish() was called. */
  get ended(): boolean {
    return this.done
  }

  push(line: OutputLine): void {
    const w = this.waiters.shift()
    if (w) w({value: line, done: false})
    else this.queue.push(line)
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
