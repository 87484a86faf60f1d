/**
 * The one polling loop of the library: a subclass says what one round does; the loop runs it every
 * `intervalMs` (measured from the start of a round) on its own timer until stop(). A failed round is no
 * event (a host unreachable while broken): its message is kept in `errors` (the first 20).
 */
import {errorMessage} from '../errors.js'
import {sleep} from '../time.js'

/** Something that watches on its own timer during a drill. */
export interface Poller {
  start(): void
  stop(): Promise<void>
}

/** Owns one timer loop; `stop()` cuts the wait short and waits for the round in flight. */
export abstract class PollLoop implements Poller {
  private running = false
  private loop: Promise<void> | undefined
  private readonly abort = new AbortController()
  rounds = 0
  errors: string[] = []

  constructor(protected readonly intervalMs: number) {}

  protected abstract round(): Promise<void>

  start(): void {
    if (this.running) return
    this.running = true
    this.loop = (async () => {
      while (this.running) {
        const t = Date.now()
        try {
          await this.round()
        } catch (e) {
          if (this.errors.length < 20) this.errors.push(errorMessage(e))
        }
        this.rounds++
        const wait = this.intervalMs - (Date.now() - t)
        if (this.running && wait > 0) await sleep(wait, this.abort.signal).catch(() => undefined)
      }
    })()
  }

  async stop(): Promise<void> {
    this.running = false
    this.abort.abort()
    await this.loop
  }
}
