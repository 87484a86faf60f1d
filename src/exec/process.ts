import {spawn as spawnChild, type ChildProcess} from 'node:child_process'
import {createInterface} from 'node:readline'

import {HachaosError} from '../errors.js'
import {nowUs} from '../time.js'
import {requireRootFor} from '../util/root.js'
import {LineQueue} from './line-queue.js'
import {packageHint} from './packages.js'
import type {ExecResult, Executor, ExecutorKind, OutputLine, RunOptions, Spawned, SpawnOptions} from './types.js'

/** Largest stdout/stderr kept in an ExecResult of a spawned stream (the lines were delivered already). */
const STREAM_KEEP_BYTES = 256 * 1024

/** How a wrapped command is started locally. */
export interface Prepared {
  file: string
  args: string[]
  env: NodeJS.ProcessEnv
}

/** Detects "the program itself does not exist" in the result of a wrapped command; returns its name. */
export function missingBinaryIn(result: ExecResult, wrapped: boolean): string | null {
  const m = /exec of "([^"]+)" failed: No such file or directory/.exec(result.stderr)
  if (m !== null) return m[1] ?? null
  const n = /nsenter: failed to execute ([^:]+): No such file or directory/.exec(result.stderr)
  if (n !== null) return n[1] ?? null
  if (wrapped && result.code === 127) {
    const s = /(?:^|\n)(?:sh: \d+: )?(?:bash: )?([^\s:]+): (?:command )?not found/.exec(result.stderr)
    if (s !== null) return s[1] ?? null
  }
  return null
}

export function missingBinaryError(binary: string, host: string): HachaosError {
  return new HachaosError(`"${binary}" is not installed on ${host}`, {
    code: 'E_MISSING_BINARY',
    exit: 'ENVIRONMENT',
    where: host,
    suggestions: [packageHint(binary)],
  })
}

/** Common base: turns a wrapped argv into a local child process. */
export abstract class ProcessExecutor implements Executor {
  abstract readonly kind: ExecutorKind

  constructor(readonly host: string) {}

  abstract describe(): string
  abstract command(argv: string[]): string[]
  abstract pidsOf(comm: string): Promise<number[]>
  abstract readFile(path: string): Promise<string>

  /** How to start argv locally; subclasses add env handling (ssh passes it inside the remote command). */
  protected prepare(argv: string[], env: Record<string, string> | undefined): Prepared {
    const why = this.rootNeeded()
    if (why !== null) requireRootFor(`reaching ${this.host} (${why})`, 'only root may enter another namespace', this.host)
    const [file, ...args] = this.command(argv)
    if (file === undefined) throw new HachaosError('empty command', {code: 'E_INTERNAL', exit: 'INTERNAL'})
    return {file, args, env: env === undefined ? process.env : {...process.env, ...env}}
  }

  /** How this executor enters the host when that takes root (ip netns exec, nsenter), else null. */
  protected rootNeeded(): string | null {
    return null
  }

  /** Whether a wrapper (ip netns exec, ssh …) sits between us and the program. */
  protected get wrapped(): boolean {
    return this.kind !== 'local'
  }

  run(argv: string[], opts: RunOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) return Promise.reject(new HachaosError('empty command', {code: 'E_INTERNAL', exit: 'INTERNAL'}))
    const p = this.prepare(argv, opts.env)
    return new Promise<ExecResult>((resolve, reject) => {
      const t0 = nowUs()
      let child: ChildProcess
      try {
        child = spawnChild(p.file, p.args, {env: p.env, stdio: ['pipe', 'pipe', 'pipe']})
      } catch (e) {
        reject(e)
        return
      }
      const out: Buffer[] = []
      const err: Buffer[] = []
      let timedOut = false
      let killTimer: NodeJS.Timeout | undefined
      const kill = (): void => {
        timedOut = true
        child.kill('SIGTERM')
        killTimer = setTimeout(() => child.kill('SIGKILL'), 1000)
      }
      const timer = opts.timeoutMs === undefined ? undefined : setTimeout(kill, opts.timeoutMs)
      const onAbort = (): void => kill()
      opts.signal?.addEventListener('abort', onAbort, {once: true})
      child.stdout?.on('data', (b: Buffer) => out.push(b))
      child.stderr?.on('data', (b: Buffer) => err.push(b))
      child.stdin?.on('error', () => undefined)
      if (opts.input !== undefined) child.stdin?.end(opts.input)
      else child.stdin?.end()
      child.on('error', (e: NodeJS.ErrnoException) => {
        if (timer) clearTimeout(timer)
        opts.signal?.removeEventListener('abort', onAbort)
        if (e.code === 'ENOENT') reject(missingBinaryError(p.file, this.kind === 'local' ? this.host : 'this machine'))
        else reject(new HachaosError(`could not start ${p.file}: ${e.message}`, {code: 'E_SPAWN', exit: 'HOST', where: this.host}))
      })
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer)
        if (killTimer) clearTimeout(killTimer)
        opts.signal?.removeEventListener('abort', onAbort)
        const result: ExecResult = {
          host: this.host,
          argv,
          code,
          signal,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          t0,
          t1: nowUs(),
          timedOut,
        }
        const missing = missingBinaryIn(result, this.wrapped)
        if (missing !== null && (missing === argv[0] || missing.endsWith(`/${argv[0] ?? ''}`))) {
          reject(missingBinaryError(argv[0] ?? missing, this.host))
          return
        }
        resolve(result)
      })
    })
  }

  spawn(argv: string[], opts: SpawnOptions = {}): Spawned {
    const p = this.prepare(argv, opts.env)
    return new ChildStream(this.host, argv, p, opts, this.stdinKeepsAlive())
  }

  /** ssh keeps stdin open so that closing it ends the remote command (see ssh.ts). */
  protected stdinKeepsAlive(): boolean {
    return false
  }
}

/** A streaming child process. */
class ChildStream implements Spawned {
  readonly done: Promise<ExecResult>
  readonly pid: number | undefined
  private readonly child: ChildProcess
  private readonly out = new LineQueue()
  private stopping: Promise<ExecResult> | undefined
  private exited = false

  constructor(
    readonly host: string,
    readonly argv: string[],
    p: Prepared,
    opts: SpawnOptions,
    keepStdin: boolean,
  ) {
    const t0 = nowUs()
    this.child = spawnChild(p.file, p.args, {env: p.env, stdio: [keepStdin ? 'pipe' : 'ignore', 'pipe', 'pipe']})
    this.pid = this.child.pid
    this.child.stdin?.on('error', () => undefined)
    const kept: Record<'stdout' | 'stderr', string[]> = {stdout: [], stderr: []}
    const keptBytes = {stdout: 0, stderr: 0}
    const closed: Array<Promise<void>> = []
    for (const stream of ['stdout', 'stderr'] as const) {
      const src = this.child[stream]
      if (src === null) continue
      const rl = createInterface({input: src, crlfDelay: Number.POSITIVE_INFINITY})
      closed.push(new Promise<void>((res) => rl.once('close', () => res())))
      rl.on('line', (text) => {
        const line: OutputLine = {stream, text, t: nowUs()}
        keptBytes[stream] += text.length + 1
        kept[stream].push(text)
        while (keptBytes[stream] > STREAM_KEEP_BYTES && kept[stream].length > 1) {
          keptBytes[stream] -= (kept[stream].shift() ?? '').length + 1
        }
        opts.onLine?.(line)
        this.out.push(line)
      })
    }
    this.done = new Promise<ExecResult>((resolve) => {
      let spawnError: string | undefined
      this.child.on('error', (e: NodeJS.ErrnoException) => {
        spawnError = e.code === 'ENOENT' ? `${p.file}: not installed (${packageHint(p.file)})` : e.message
      })
      this.child.on('close', (code, signal) => {
        this.exited = true
        void Promise.all(closed).then(() => {
          this.out.finish()
          resolve({
            host,
            argv,
            code,
            signal,
            stdout: kept.stdout.join('\n'),
            stderr: spawnError === undefined ? kept.stderr.join('\n') : `${spawnError}\n${kept.stderr.join('\n')}`,
            t0,
            t1: nowUs(),
            timedOut: false,
          })
        })
      })
    })
  }

  lines(): AsyncIterable<OutputLine> {
    return this.out.lines()
  }

  stop(opts: {signal?: NodeJS.Signals; graceMs?: number} = {}): Promise<ExecResult> {
    if (this.stopping) return this.stopping
    if (this.exited) return this.done
    const grace = opts.graceMs ?? 2000
    if (this.child.stdin) this.child.stdin.end()
    this.child.kill(opts.signal ?? 'SIGTERM')
    const killer = setTimeout(() => {
      if (!this.exited) this.child.kill('SIGKILL')
    }, grace)
    this.stopping = this.done.finally(() => clearTimeout(killer))
    return this.stopping
  }
}

/** Parse `pgrep` output. */
export function parsePids(stdout: string): number[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^\d+$/.test(l))
    .map(Number)
}

/** The kernel's comm is at most 15 characters; pgrep -x compares against it. */
export function commName(name: string): string {
  return name.slice(0, 15)
}
