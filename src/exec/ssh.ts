import {mkdirSync, readdirSync, unlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {HachaosError} from '../errors.js'
import {sleep} from '../time.js'
import {cmdlineOf, pidAlive, pidStartOf, sameStart} from '../util/proc.js'
import {LocalExecutor} from './local.js'
import {ProcessExecutor, commName, parsePids, type Prepared} from './process.js'
import {shJoin, shQuote} from './quote.js'
import {catFile} from './run-ok.js'
import type {ExecResult, RunOptions, SpawnOptions, Spawned} from './types.js'

export interface SshTarget {
  /** Address or DNS name to connect to. */
  address: string
  user?: string
  port?: number
  /** Private key file (`-i`). */
  key?: string
  /** Extra `-o Key=Value` options (e.g. a jump host). Validated: no spaces in keys. */
  options?: Record<string, string>
  /** `yes` (default) or `accept-new`. hachaos never turns host-key checking off. */
  strictHostKeyChecking?: 'yes' | 'accept-new'
  knownHostsFile?: string
}

/** A DNS name, IPv4 or IPv6 literal. Anything else (leading `-`, spaces, shell characters) is refused. */
const HOSTNAME = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/
const IPV6 = /^[0-9A-Fa-f:]+(?:%[A-Za-z0-9_.-]+)?$/
const USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/
const OPT_KEY = /^[A-Za-z][A-Za-z0-9]*$/

/** A DNS name, an IPv4 or an IPv6 literal (what an inventory's `address` may be). */
export function isHostAddress(a: string): boolean {
  return HOSTNAME.test(a) || (IPV6.test(a) && a.includes(':'))
}

export function validateSshTarget(t: SshTarget, where: string): void {
  const bad = (what: string, tip: string): HachaosError =>
    new HachaosError(what, {code: 'E_BAD_SSH_TARGET', exit: 'BAD_INPUT', where, suggestions: [tip]})
  if (!(HOSTNAME.test(t.address) || (IPV6.test(t.address) && t.address.includes(':')))) {
    throw bad(`"${t.address}" is not a host name or IP address`, 'use a DNS name, an IPv4 or an IPv6 address')
  }
  if (t.user !== undefined && !USER.test(t.user)) throw bad(`"${t.user}" is not a valid user name`, 'use a plain Unix user name')
  if (t.port !== undefined && !(Number.isInteger(t.port) && t.port > 0 && t.port < 65536)) {
    throw bad(`port ${t.port} is out of range`, 'use 1-65535')
  }
  if (t.key !== undefined && (t.key.startsWith('-') || t.key.includes('\n'))) throw bad(`"${t.key}" is not a key file path`, 'give a path to a private key')
  for (const [k, v] of Object.entries(t.options ?? {})) {
    if (!OPT_KEY.test(k) || v.includes('\n')) throw bad(`ssh option "${k}" is not valid`, 'use -o style Key=Value options')
    if (k.toLowerCase() === 'stricthostkeychecking') {
      throw bad(
        /^(no|off)$/i.test(v) ? 'hachaos does not turn host-key checking off' : 'set host-key checking with strictHostKeyChecking:, not as an ssh option',
        'add the host key to known_hosts, or use strictHostKeyChecking: accept-new',
      )
    }
    if (k.toLowerCase() === 'batchmode') throw bad('hachaos always runs ssh with BatchMode=yes (it must never wait at a prompt)', 'use keys (ssh-agent or key:) for the hosts')
  }
}

/** Where the ControlMaster sockets live: $XDG_RUNTIME_DIR (or the temp directory)/hachaos-ssh-UID. */
export function controlDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0
  const dir = join(process.env['XDG_RUNTIME_DIR'] ?? tmpdir(), `hachaos-ssh-${uid}`)
  mkdirSync(dir, {recursive: true, mode: 0o700})
  return dir
}

/**
 * The ControlPath of this process: its PID first, then ssh's %C (a hash of local host, remote host, port and
 * user). One master per host per hachaos process: a command ends its own masters when it returns (never
 * another command's), and the owner of a socket left behind is in its name (`hachaos recover` ends those of
 * a dead owner). At most ~110 bytes with a long $XDG_RUNTIME_DIR: a Unix socket path may hold 108.
 */
const controlPath = (): string => join(controlDir(), `${process.pid}-%C`)
const OWN_SOCKET = /^(\d+)-[0-9a-f]{16,}$/

/** An ssh ControlMaster this process opened: journaled by a drill, ended when the command returns. */
export interface SshMaster {
  /** The inventory host it connects to. */
  host: string
  pid: number
  /** The master's command line (the first ssh client that became the master). */
  argv: string[]
  /** /proc/PID/stat start time when found: nothing signals a recycled PID. */
  pidStart: string | null
  /** How to end it: `ssh … -O exit`. */
  exitArgv: string[]
}

/** Masters opened by this process, by destination and options (one per host). */
const MASTERS = new Map<string, SshMaster>()
const LOOKUPS = new Map<string, Promise<void>>()
/** A first command to a host under way (it opens the master): the others wait for it, see SshExecutor.gate. */
const OPENING = new Map<string, Promise<void>>()

/** This process's ssh ControlMasters that are still running (for the journal: host, PID, argv, start time). */
export function sshMasters(): SshMaster[] {
  return [...MASTERS.values()].filter((m) => sameStart(m.pid, m.pidStart))
}

/**
 * End every ControlMaster this process opened (`ssh -O exit`, then SIGTERM if it is still the same process
 * a second later). Called by every command when it returns (commands/_base.ts); idempotent.
 */
export async function closeSshMasters(): Promise<number[]> {
  const all = [...MASTERS.values()]
  MASTERS.clear()
  const ended: number[] = []
  await Promise.all(
    all.map(async (m) => {
      if (!sameStart(m.pid, m.pidStart)) return
      const [file, ...args] = m.exitArgv
      if (file !== undefined) await new LocalExecutor().run([file, ...args], {timeoutMs: 5000}).catch(() => undefined)
      for (let i = 0; i < 20 && sameStart(m.pid, m.pidStart); i++) await sleep(50)
      if (sameStart(m.pid, m.pidStart)) {
        try {
          process.kill(m.pid, 'SIGTERM')
        } catch {
          // gone meanwhile
        }
      }
      ended.push(m.pid)
    }),
  )
  return ended
}

/** The PID `ssh -O check` names ("Master running (pid=1234)"), or null. */
export function parseMasterPid(stderr: string): number | null {
  const m = /Master running \(pid=(\d+)\)/.exec(stderr)
  return m === null ? null : Number(m[1])
}

/** A ControlMaster socket left by a hachaos process that is gone (its master may still run). */
export interface LeftoverMaster {
  socket: string
  /** The dead process that opened it. */
  ownerPid: number
  /** The master's PID when it still answers, else null (a stale socket). */
  pid: number | null
}

/** Sockets in the control directory whose owner (the PID in the name) is gone, with their master if it runs. */
export async function leftoverSshMasters(dir = controlDir()): Promise<LeftoverMaster[]> {
  let names: string[] = []
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  const out: LeftoverMaster[] = []
  for (const n of names) {
    const m = OWN_SOCKET.exec(n)
    if (m === null) continue
    const ownerPid = Number(m[1])
    // A recycled owner PID reads as alive: its master is left alone (it ends by itself after ControlPersist).
    if (pidAlive(ownerPid)) continue
    const socket = join(dir, n)
    const r = await new LocalExecutor().run(['ssh', '-o', `ControlPath=${socket}`, '-O', 'check', '--', 'hachaos-master'], {timeoutMs: 5000}).catch(() => null)
    out.push({socket, ownerPid, pid: r === null ? null : parseMasterPid(r.stderr)})
  }
  return out
}

/** End the masters of dead hachaos processes and remove stale sockets (`hachaos recover`). */
export async function sweepSshMasters(dir = controlDir()): Promise<LeftoverMaster[]> {
  const left = await leftoverSshMasters(dir)
  for (const l of left) {
    if (l.pid !== null) {
      const start = pidStartOf(l.pid)
      await new LocalExecutor().run(['ssh', '-o', `ControlPath=${l.socket}`, '-O', 'exit', '--', 'hachaos-master'], {timeoutMs: 5000}).catch(() => undefined)
      for (let i = 0; i < 20 && sameStart(l.pid, start); i++) await sleep(50)
      if (sameStart(l.pid, start)) {
        try {
          process.kill(l.pid, 'SIGTERM')
        } catch {
          // gone meanwhile
        }
      }
    }
    try {
      unlinkSync(l.socket)
    } catch {
      // the master removed it on its way out
    }
  }
  return left
}

/**
 * Runs argv on a remote host through the system OpenSSH client: BatchMode (never prompts), ControlMaster
 * (one TCP/SSH session reused by every command of a drill), host-key checking on.
 * The remote command is one string built by shJoin, so the remote shell sees exactly the argv given.
 */
export class SshExecutor extends ProcessExecutor {
  readonly kind = 'ssh' as const

  constructor(
    host: string,
    readonly target: SshTarget,
  ) {
    super(host)
    validateSshTarget(target, host)
  }

  describe(): string {
    const u = this.target.user === undefined ? '' : `${this.target.user}@`
    return `ssh ${u}${this.target.address}${this.target.port === undefined ? '' : `:${this.target.port}`}`
  }

  /** The ssh client options, without the destination. */
  sshOptions(): string[] {
    const t = this.target
    // ssh keeps the first value it is given for an option: the inventory's own options go first.
    const o: string[] = []
    for (const [k, v] of Object.entries(t.options ?? {})) o.push('-o', `${k}=${v}`)
    o.push(
      '-o', 'BatchMode=yes',
      '-o', `StrictHostKeyChecking=${t.strictHostKeyChecking ?? 'yes'}`,
      '-o', 'ControlMaster=auto',
      '-o', `ControlPath=${controlPath()}`,
      '-o', 'ControlPersist=60s',
      '-o', 'ConnectTimeout=10',
      '-o', 'ServerAliveInterval=5',
    )
    if (t.knownHostsFile !== undefined) o.push('-o', `UserKnownHostsFile=${t.knownHostsFile}`)
    if (t.port !== undefined) o.push('-p', String(t.port))
    if (t.key !== undefined) o.push('-i', t.key)
    if (t.user !== undefined) o.push('-l', t.user)
    return o
  }

  /** The exact string the remote shell receives for argv (with optional env assignments). */
  remoteCommand(argv: string[], env?: Record<string, string>): string {
    const envPart = env === undefined ? [] : ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`)]
    return shJoin([...envPart, ...argv])
  }

  command(argv: string[]): string[] {
    return ['ssh', ...this.sshOptions(), '--', this.target.address, this.remoteCommand(argv)]
  }

  protected override prepare(argv: string[], env: Record<string, string> | undefined): Prepared {
    return {
      file: 'ssh',
      args: [...this.sshOptions(), '--', this.target.address, this.remoteCommand(argv, env)],
      env: process.env,
    }
  }

  /** Whether the inventory set its own ControlPath/ControlMaster (then the master is not ours to track or end). */
  private get ownControl(): boolean {
    return !Object.keys(this.target.options ?? {}).some((k) => /^control(path|master)$/i.test(k))
  }

  private get masterKey(): string {
    return JSON.stringify([this.sshOptions(), this.target.address])
  }

  /**
   * Know the ControlMaster this host's commands go through (its PID, from `ssh -O check`), once per master:
   * a drill journals it as it appears, and the command ends it when it returns.
   */
  async noteMaster(): Promise<SshMaster | null> {
    if (!this.ownControl) return null
    const key = this.masterKey
    const known = MASTERS.get(key)
    if (known !== undefined && sameStart(known.pid, known.pidStart)) return known
    let p = LOOKUPS.get(key)
    if (p === undefined) {
      p = this.lookupMaster(key).finally(() => LOOKUPS.delete(key))
      LOOKUPS.set(key, p)
    }
    await p
    return MASTERS.get(key) ?? null
  }

  private async lookupMaster(key: string): Promise<void> {
    const opts = this.sshOptions()
    const r = await new LocalExecutor().run(['ssh', ...opts, '-O', 'check', '--', this.target.address], {timeoutMs: 5000}).catch(() => null)
    const pid = r === null ? null : parseMasterPid(r.stderr)
    if (pid === null) return
    // a master renames itself ("ssh: PATH [mux]", setproctitle pads with NULs): keep the words
    const argv = (cmdlineOf(pid) ?? []).filter((a) => a !== '')
    MASTERS.set(key, {host: this.host, pid, argv: argv.length > 0 ? argv : ['ssh', '-o', 'ControlMaster=auto', this.target.address], pidStart: pidStartOf(pid), exitArgv: ['ssh', ...opts, '-O', 'exit', '--', this.target.address]})
  }

  /**
   * While a host has no master of ours, its first command opens one and the others wait for it: a drill starts
   * with a burst of commands to each host (configs, clocks, pollers), and that many ssh handshakes at once
   * meet sshd's MaxStartups (10 unauthenticated connections: it drops some, "Connection closed by …").
   * Returns the release of the opener, or null.
   */
  private async gate(): Promise<(() => void) | null> {
    if (!this.ownControl) return null
    const key = this.masterKey
    const known = MASTERS.get(key)
    if (known !== undefined && sameStart(known.pid, known.pidStart)) return null
    const opening = OPENING.get(key)
    if (opening !== undefined) {
      await opening
      return null
    }
    let release: () => void = () => undefined
    OPENING.set(key, new Promise<void>((resolve) => (release = resolve)))
    return () => {
      OPENING.delete(key)
      release()
    }
  }

  override spawn(argv: string[], opts: SpawnOptions = {}): Spawned {
    const s = super.spawn(argv, opts)
    // A stream may be the first command to a host (it then opens the master): look for it while it starts.
    if (this.ownControl && !MASTERS.has(this.masterKey)) {
      void (async () => {
        for (let i = 0; i < 40 && !MASTERS.has(this.masterKey); i++) {
          // unref'd: this look-out never keeps a finished command alive
          await new Promise<void>((resolve) => setTimeout(resolve, 250).unref())
          await this.noteMaster().catch(() => null)
        }
      })()
    }
    return s
  }

  override async run(argv: string[], opts: RunOptions = {}): Promise<ExecResult> {
    const release = await this.gate()
    let r: ExecResult
    try {
      r = await super.run(argv, opts)
      if (r.code !== 255) await this.noteMaster().catch(() => null)
    } finally {
      release?.()
    }
    if (r.code === 255) {
      const last = r.stderr.trim().split('\n').pop()?.trim() ?? ''
      // An empty stderr with 255: a mux client whose ControlMaster ended under it (OpenSSH says so only at
      // debug level), or a remote command that itself exited 255.
      throw new HachaosError(`cannot reach ${this.host} over ssh: ${last !== '' ? last : 'ssh exited 255 without a message (its ControlMaster connection ended, or the remote command exited 255)'}`, {
        code: 'E_SSH',
        exit: 'HOST',
        where: this.host,
        suggestions: [
          `check that \`ssh ${shQuote(this.target.address)}\` works without a prompt (keys, known_hosts)`,
          'hachaos uses BatchMode=yes: a password prompt fails instead of waiting',
        ],
      })
    }
    return r
  }

  // Streams (spawn) run under the watchdog of ProcessExecutor.spawn, on the remote host: closing ssh's stdin
  // (stopping the stream, or hachaos dying) ends the remote command — no tcpdump or iperf3 left running there.

  /** End the shared ControlMaster connection now (it would otherwise linger for ControlPersist). */
  async close(): Promise<void> {
    MASTERS.delete(this.masterKey)
    await new LocalExecutor().run(['ssh', ...this.sshOptions(), '-O', 'exit', '--', this.target.address], {timeoutMs: 5000})
  }

  async pidsOf(comm: string): Promise<number[]> {
    const r = await this.run(['pgrep', '-x', commName(comm)])
    return parsePids(r.stdout)
  }

  async readFile(path: string): Promise<string> {
    return catFile(this, path, {suggestion: 'check the path (or the inventory fact that names it)'})
  }
}
