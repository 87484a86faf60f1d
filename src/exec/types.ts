import type {EpochMicros} from '../time.js'

export type ExecutorKind = 'local' | 'netns' | 'nsenter' | 'ssh' | 'vm' | 'recording'

/** Outcome of one command on one host. Times are epoch µs on the machine running hachaos. */
export interface ExecResult {
  host: string
  argv: string[]
  code: number | null
  signal: string | null
  stdout: string
  stderr: string
  t0: EpochMicros
  t1: EpochMicros
  timedOut: boolean
}

export interface RunOptions {
  /** Kill the command (SIGTERM, then SIGKILL 1 s later) after this many ms. */
  timeoutMs?: number
  /** Written to the command's stdin, then stdin is closed. */
  input?: string
  /** Extra environment variables for the command. */
  env?: Record<string, string>
  /** Abort: same as a timeout, at once. */
  signal?: AbortSignal
}

export interface OutputLine {
  stream: 'stdout' | 'stderr'
  text: string
  /** Epoch µs at which hachaos read the line. */
  t: EpochMicros
}

export interface SpawnOptions {
  env?: Record<string, string>
  /**
   * Called for every complete line, as it arrives. Given, the lines go here only: lines() then yields none
   * (nothing is kept for a reader that never comes; src/exec/line-queue.ts).
   */
  onLine?: (line: OutputLine) => void
}

/** A long-running process (capture, probe, iperf3) streaming lines. */
export interface Spawned {
  readonly host: string
  readonly argv: string[]
  readonly pid: number | undefined
  /** Resolves when the process has exited (whatever the reason). Never rejects. */
  readonly done: Promise<ExecResult>
  /** Every line, in order, as an async iterator (ends when the process exits). */
  lines(): AsyncIterable<OutputLine>
  /** Stop it: `signal` (default SIGTERM), then SIGKILL after `graceMs` (default 2000). Idempotent. */
  stop(opts?: {signal?: NodeJS.Signals; graceMs?: number}): Promise<ExecResult>
}

/**
 * Runs argv arrays on one host. Never a shell string: the netns, nsenter and ssh executors only wrap argv.
 */
export interface Executor {
  readonly host: string
  readonly kind: ExecutorKind
  /** Human description, e.g. `netns hc-lb1` or `ssh root@10.0.0.1:22`. */
  describe(): string
  /** The local argv that runs `argv` on the host: what `--dry-run` shows and what is spawned. */
  command(argv: string[]): string[]
  run(argv: string[], opts?: RunOptions): Promise<ExecResult>
  spawn(argv: string[], opts?: SpawnOptions): Spawned
  /** PIDs (as the host numbers them) of processes whose comm is exactly `comm`, scoped to this host. */
  pidsOf(comm: string): Promise<number[]>
  /** Read a file on the host. Throws HachaosError (HOST or BAD_INPUT) with the path when it cannot. */
  readFile(path: string): Promise<string>
}
