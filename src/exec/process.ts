import {spawn as spawnChild, type ChildProcess} from 'node:child_process'
import {constants as osConstants} from 'node:os'
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

  /**
   * A stream (capture, probe, ping, iperf3) dies with us: it runs under WATCHDOG_SH on its host, which ends it
   * when our end of its stdin closes — when we stop it, and also when hachaos itself dies, even by SIGKILL
   * (the kernel closes our pipes). Node has no PR_SET_PDEATHSIG, and through `ip netns exec`, nsenter or
   * ssh the program is not our child anyway; a pipe's EOF crosses all of them.
   */
  spawn(argv: string[], opts: SpawnOptions = {}): Spawned {
    const p = this.prepare(watchdogArgv(argv), opts.env)
    return new ChildStream(this.host, argv, p, opts)
  }
}

/**
 * The watchdog (POSIX sh, run on the program's host): fd 3 keeps our pipe for the watcher (a background job's
 * own stdin is /dev/null in sh); when it reads EOF, `cat` ends and the program gets SIGTERM; when the program
 * ends first, so does the watchdog. INT and TERM sent to the watchdog are passed on to the program (a
 * background job of a non-interactive shell would ignore a SIGINT of its own).
 */
export const WATCHDOG_SH =
  'exec 3<&0; "$@" </dev/null 3<&- & p=$!; trap \'kill -s INT $p 2>/dev/null\' INT; trap \'kill -s TERM $p 2>/dev/null\' TERM; ' +
  '(cat <&3 >/dev/null 2>&1; kill $p 2>/dev/null) >/dev/null 2>&1 & w=$!; exec 3<&-; ' +
  'while :; do wait $p; r=$?; kill -0 $p 2>/dev/null || break; done; kill $w 2>/dev/null; exit $r'

/** The watchdog exits 128+N when its program died of signal N (as any shell): the program's own outcome. */
export function fromWatchdogCode(code: number | null): [number | null, string | null] {
  if (code === null || code <= 128 || code > 128 + 64) return [code, null]
  const name = Object.entries(osConstants.signals).find(([, n]) => n === code - 128)?.[0]
  return name === undefined ? [code, null] : [null, name]
}

export function watchdogArgv(argv: string[]): string[] {
  return ['sh', '-c', WATCHDOG_SH, 'hachaos-watchdog', ...argv]
}

/** A streaming child process. */
class ChildStream implements Spawned {
  readonly done: Promise<ExecResult>
  readonly pid: number | undefined
  private readonly child: ChildProcess
  private readonly out: LineQueue
  private stopping: Promise<ExecResult> | undefined
  private exited = false

  constructor(
    readonly host: string,
    readonly argv: string[],
    p: Prepared,
    opts: SpawnOptions,
  ) {
    const t0 = nowUs()
    this.out = new LineQueue(opts.onLine)
    // Its own process group (detached): a terminal's Ctrl-C reaches only hachaos, which stops its streams in
    // order (the capture must see the revert); the last resort kills the whole group (watchdog and program).
    this.child = spawnChild(p.file, p.args, {env: p.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true})
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
          const [c, sig] = signal === null ? fromWatchdogCode(code) : [code, signal]
          resolve({
            host,
            argv,
            code: c,
            signal: sig,
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
    // The signal first (the watchdog passes it on: SIGINT lets tcpdump flush its pcap undisturbed), then,
    // half-way through the grace, our end of stdin (the watchdog's own trigger: SIGTERM), then SIGKILL to the
    // whole group.
    this.child.kill(opts.signal ?? 'SIGTERM')
    const closer = setTimeout(() => this.child.stdin?.end(), Math.floor(grace / 2))
    void this.done.then(() => {
      clearTimeout(closer)
      this.child.stdin?.end()
    })
    const killer = setTimeout(() => {
      if (this.exited) return
      try {
        if (this.child.pid !== undefined) process.kill(-this.child.pid, 'SIGKILL')
      } catch {
        this.child.kill('SIGKILL')
      }
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
