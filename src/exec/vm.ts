/**
 * Runs argv inside a QEMU guest (the bond lab) through its console broker (vm-broker.ts): the guest's
 * command server executes `exec <shJoin(argv)>`, so, like ssh, the guest shell sees exactly the argv given.
 */
import {randomBytes} from 'node:crypto'
import {connect, type Socket} from 'node:net'
import {fileURLToPath} from 'node:url'

import {HachaosError} from '../errors.js'
import {nowUs} from '../time.js'
import {isRoot, needsRootError} from '../util/root.js'
import {LineQueue} from './line-queue.js'
import {missingBinaryError} from './process.js'
import {catFile} from './run-ok.js'
import {decodeAnswer, encodeKill, encodeRequest, LineSplitter} from './vm-protocol.js'
import type {ExecResult, Executor, OutputLine, RunOptions, Spawned, SpawnOptions} from './types.js'

/** The CLI entry that can also run a guest command by hand: `node vm-main.js exec SOCKET -- argv…`. */
export const VM_MAIN = fileURLToPath(new URL('./vm-main.js', import.meta.url))

function newTag(): string {
  return randomBytes(8).toString('hex')
}

function unreachable(host: string, socket: string, e: unknown): HachaosError {
  const code = (e as NodeJS.ErrnoException).code ?? ''
  if (code === 'EACCES' && !isRoot()) return needsRootError(`reaching the guest ${host} through ${socket}`, 'the lab\'s console socket belongs to root', host)
  return new HachaosError(`cannot reach the guest ${host} through ${socket} (${code || (e as Error).message})`, {
    code: 'E_VM_UNREACHABLE',
    exit: 'HOST',
    where: host,
    suggestions: ['is the bond lab up? try `hachaos lab status --topology bond`', 'bring it up: hachaos lab up --topology bond'],
  })
}

/** Busybox ash says `…: exec: NAME: not found` (127) when the program is not in the guest. */
function missingIn(r: ExecResult): string | null {
  if (r.code !== 127) return null
  const m = /exec: (?:line \d+: )?([^\s:]+): not found/.exec(r.stderr)
  return m?.[1] ?? null
}

export class VmExecutor implements Executor {
  readonly kind = 'vm' as const

  constructor(
    readonly host: string,
    /** The broker's unix socket (the lab writes it into its inventory as `vm_socket`). */
    readonly socket: string,
    /** A network namespace inside the guest the host lives in (the LVS lab's directors): argv runs under `ip netns exec`. */
    readonly netns?: string,
  ) {}

  /** iproute2 by path: busybox's shell would run its own `ip`, which has no netns. */
  wrap(argv: string[]): string[] {
    return this.netns === undefined || this.netns === '' ? argv : ['/bin/ip', 'netns', 'exec', this.netns, ...argv]
  }

  describe(): string {
    return `vm console ${this.socket}`
  }

  command(argv: string[]): string[] {
    return [process.execPath, VM_MAIN, 'exec', this.socket, '--', ...this.wrap(argv)]
  }

  private open(): Socket {
    const s = connect(this.socket)
    s.setEncoding('utf8')
    return s
  }

  run(argv: string[], opts: RunOptions = {}): Promise<ExecResult> {
    let request: string
    const tag = newTag()
    try {
      request = encodeRequest('R', tag, this.wrap(argv), {...(opts.env === undefined ? {} : {env: opts.env}), ...(opts.input === undefined ? {} : {input: opts.input})})
    } catch (e) {
      return Promise.reject(e)
    }
    return new Promise<ExecResult>((resolve, reject) => {
      const t0 = nowUs()
      const s = this.open()
      const split = new LineSplitter()
      let timedOut = false
      let settled = false
      const timers: NodeJS.Timeout[] = []
      const finish = (r: ExecResult | Error): void => {
        if (settled) return
        settled = true
        for (const t of timers) clearTimeout(t)
        opts.signal?.removeEventListener('abort', onAbort)
        s.end()
        if (r instanceof Error) reject(r)
        else resolve(r)
      }
      const kill = (): void => {
        if (timedOut || settled) return
        timedOut = true
        s.write(encodeKill(tag, 'TERM'))
        timers.push(setTimeout(() => s.write(encodeKill(tag, 'KILL')), 1000))
        // The guest answers once the job died; if it cannot, give up after a while.
        timers.push(setTimeout(() => finish({host: this.host, argv, code: null, signal: 'SIGKILL', stdout: '', stderr: 'no answer from the guest after the kill', t0, t1: nowUs(), timedOut: true}), 10_000))
      }
      const onAbort = (): void => kill()
      if (opts.timeoutMs !== undefined) timers.push(setTimeout(kill, opts.timeoutMs))
      if (opts.signal?.aborted === true) kill()
      else opts.signal?.addEventListener('abort', onAbort, {once: true})
      s.on('error', (e) => finish(unreachable(this.host, this.socket, e)))
      s.on('close', () =>
        finish(new HachaosError(`the connection to the guest ${this.host} closed before the command ended`, {code: 'E_VM_LOST', exit: 'HOST', where: this.host, suggestions: ['is QEMU still running? hachaos lab status --topology bond']})),
      )
      s.on('data', (chunk: string) => {
        for (const line of split.push(chunk)) {
          const a = decodeAnswer(line)
          if (a === null || a.type !== 'result' || a.tag !== tag) continue
          const killedBy = timedOut && (a.code === 143 || a.code === 137) ? (a.code === 143 ? 'SIGTERM' : 'SIGKILL') : null
          const r: ExecResult = {host: this.host, argv, code: killedBy === null ? a.code : null, signal: killedBy, stdout: a.stdout, stderr: a.stderr, t0, t1: nowUs(), timedOut}
          const missing = missingIn(r)
          finish(missing !== null && missing === argv[0] ? missingBinaryError(missing, this.host) : r)
        }
      })
      s.write(request)
    })
  }

  spawn(argv: string[], opts: SpawnOptions = {}): Spawned {
    return new VmStream(this, argv, opts)
  }

  async pidsOf(comm: string): Promise<number[]> {
    // One PID namespace in the guest: every process there is the guest's. A host that is a network namespace
    // of the guest (the LVS lab's dir1 and dir2, rs1 and rs2 all run keepalived or httpd) owns only the processes
    // in that namespace (`ip netns pids`): a kill of rs1's httpd must not reach rs2's.
    const ids = (text: string): number[] =>
      text
        .trim()
        .split(/\s+/)
        .filter((x) => /^\d+$/.test(x))
        .map(Number)
    const r = await this.run(['pidof', comm.slice(0, 15)])
    const all = ids(r.stdout)
    if (this.netns === undefined || this.netns === '' || all.length === 0) return all
    const mine = new Set(ids((await this.run(['/bin/ip', 'netns', 'pids', this.netns])).stdout))
    return all.filter((p) => mine.has(p))
  }

  async readFile(path: string): Promise<string> {
    return catFile(this, path)
  }

  /** @internal used by VmStream */
  connectRaw(): Socket {
    return this.open()
  }
}

class VmStream implements Spawned {
  readonly host: string
  readonly pid: number | undefined = undefined
  readonly done: Promise<ExecResult>
  private readonly tag = newTag()
  private readonly sock: Socket
  private readonly out: LineQueue
  private stopping: Promise<ExecResult> | undefined

  constructor(
    vm: VmExecutor,
    readonly argv: string[],
    opts: SpawnOptions,
  ) {
    this.host = vm.host
    this.out = new LineQueue(opts.onLine)
    const t0 = nowUs()
    const kept = {stdout: [] as string[], stderr: [] as string[]}
    this.sock = vm.connectRaw()
    const split = new LineSplitter()
    this.done = new Promise<ExecResult>((resolve) => {
      let code: number | null = null
      let error = ''
      const end = (): void => {
        if (this.out.ended) return
        this.out.finish()
        resolve({host: this.host, argv, code, signal: null, stdout: kept.stdout.join('\n'), stderr: error === '' ? kept.stderr.join('\n') : `${error}\n${kept.stderr.join('\n')}`, t0, t1: nowUs(), timedOut: false})
      }
      this.sock.on('data', (chunk: string) => {
        for (const raw of split.push(chunk)) {
          const a = decodeAnswer(raw)
          if (a === null || a.type === 'hello' || a.tag !== this.tag) continue
          if (a.type === 'line') {
            const line: OutputLine = {stream: a.stream, text: a.text, t: nowUs()}
            if (kept[a.stream].length < 10_000) kept[a.stream].push(a.text)
            this.out.push(line)
          } else if (a.type === 'exit') {
            code = a.code
            this.sock.end()
            end()
          }
        }
      })
      this.sock.on('error', (e) => {
        error = unreachable(this.host, vm.socket, e).message
      })
      this.sock.on('close', end)
    })
    let request = ''
    try {
      request = encodeRequest('S', this.tag, vm.wrap(argv), opts.env === undefined ? {} : {env: opts.env})
    } catch {
      this.sock.destroy()
      return
    }
    this.sock.write(request)
  }

  lines(): AsyncIterable<OutputLine> {
    return this.out.lines()
  }

  stop(opts: {signal?: NodeJS.Signals; graceMs?: number} = {}): Promise<ExecResult> {
    if (this.stopping) return this.stopping
    if (this.out.ended) return this.done
    const sig = (opts.signal ?? 'SIGTERM').replace(/^SIG/, '')
    if (!this.sock.destroyed) this.sock.write(encodeKill(this.tag, sig))
    const killer = setTimeout(() => {
      if (!this.sock.destroyed) this.sock.write(encodeKill(this.tag, 'KILL'))
      // Closing our connection makes the broker kill the job too; the stream ends either way.
      setTimeout(() => this.sock.destroy(), 2000).unref()
    }, opts.graceMs ?? 2000)
    this.stopping = this.done.finally(() => clearTimeout(killer))
    return this.stopping
  }
}
