import {mkdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {HachaosError} from '../errors.js'
import {LocalExecutor} from './local.js'
import {ProcessExecutor, commName, parsePids, type Prepared} from './process.js'
import {shJoin, shQuote} from './quote.js'
import {catFile} from './run-ok.js'
import type {ExecResult, RunOptions} from './types.js'

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

function controlDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0
  const dir = join(process.env['XDG_RUNTIME_DIR'] ?? tmpdir(), `hachaos-ssh-${uid}`)
  mkdirSync(dir, {recursive: true, mode: 0o700})
  return dir
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
      '-o', `ControlPath=${join(controlDir(), '%C')}`,
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

  override async run(argv: string[], opts: RunOptions = {}): Promise<ExecResult> {
    const r = await super.run(argv, opts)
    if (r.code === 255) {
      throw new HachaosError(`cannot reach ${this.host} over ssh: ${r.stderr.trim().split('\n').pop() ?? ''}`, {
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
