import {nowUs} from '../time.js'
import type {ExecResult, Executor, OutputLine, RunOptions, Spawned, SpawnOptions} from './types.js'

/** A canned answer for a command, or a function computing one. */
export type Reply = Partial<Pick<ExecResult, 'code' | 'stdout' | 'stderr'>>
export type Responder = (argv: string[]) => Reply | undefined

export interface Recorded {
  mode: 'run' | 'spawn'
  argv: string[]
  env?: Record<string, string>
  input?: string
}

/**
 * Records argv instead of running it. Used by `--dry-run` (every command answers success with no output)
 * and by unit tests (answers scripted per command).
 */
export class RecordingExecutor implements Executor {
  readonly kind = 'recording' as const
  readonly calls: Recorded[] = []
  private readonly responders: Responder[] = []

  constructor(
    readonly host: string,
    /** What the host would be reached with, for the dry-run display. */
    private readonly wrap: (argv: string[]) => string[] = (a) => a,
  ) {}

  /** Answer commands whose argv starts with `prefix` (or matched by a function). Later rules win. */
  on(match: string[] | Responder, reply?: Reply): this {
    if (typeof match === 'function') {
      this.responders.unshift(match)
    } else {
      this.responders.unshift((argv) =>
        match.every((m, i) => argv[i] === m) ? (reply ?? {}) : undefined,
      )
    }
    return this
  }

  describe(): string {
    return `recording (${this.host})`
  }

  command(argv: string[]): string[] {
    return this.wrap(argv)
  }

  private answer(argv: string[]): Reply {
    for (const r of this.responders) {
      const a = r(argv)
      if (a !== undefined) return a
    }
    return {}
  }

  async run(argv: string[], opts: RunOptions = {}): Promise<ExecResult> {
    this.calls.push({mode: 'run', argv: [...argv], ...(opts.env ? {env: opts.env} : {}), ...(opts.input === undefined ? {} : {input: opts.input})})
    const t0 = nowUs()
    const a = this.answer(argv)
    return {host: this.host, argv, code: a.code ?? 0, signal: null, stdout: a.stdout ?? '', stderr: a.stderr ?? '', t0, t1: nowUs(), timedOut: false}
  }

  spawn(argv: string[], opts: SpawnOptions = {}): Spawned {
    this.calls.push({mode: 'spawn', argv: [...argv], ...(opts.env ? {env: opts.env} : {})})
    const t0 = nowUs()
    const a = this.answer(argv)
    const lines: OutputLine[] = (a.stdout ?? '')
      .split('\n')
      .filter((l) => l !== '')
      .map((text) => ({stream: 'stdout' as const, text, t: nowUs()}))
    for (const l of lines) opts.onLine?.(l)
    const result: ExecResult = {host: this.host, argv, code: a.code ?? 0, signal: null, stdout: a.stdout ?? '', stderr: a.stderr ?? '', t0, t1: nowUs(), timedOut: false}
    const done = Promise.resolve(result)
    return {
      host: this.host,
      argv,
      pid: undefined,
      done,
      lines: () => ({
        async *[Symbol.asyncIterator]() {
          yield* lines
        },
      }),
      stop: () => done,
    }
  }

  async pidsOf(comm: string): Promise<number[]> {
    const r = await this.run(['pgrep', '-x', comm])
    return r.stdout.split('\n').filter((l) => /^\d+$/.test(l.trim())).map(Number)
  }

  async readFile(path: string): Promise<string> {
    const r = await this.run(['cat', '--', path])
    return r.stdout
  }

  /** The argv of every recorded call, each joined for display. */
  transcript(): string[] {
    return this.calls.map((c) => this.wrap(c.argv).join(' '))
  }
}
