import {readFile} from 'node:fs/promises'

import {HachaosError} from '../errors.js'
import {LocalExecutor, readLocalFile} from './local.js'
import {ProcessExecutor, commName, parsePids} from './process.js'
import {catFile} from './run-ok.js'

const NS_NAME = /^[A-Za-z0-9_.-]{1,64}$/

/**
 * Runs argv inside a named network namespace: `ip netns exec NS argv…`.
 * Namespaces made with `ip netns add` share the PID and mount namespaces with the host, so process lookups
 * are scoped with `ip netns pids NS` (see the lab notes: `pgrep` alone would see every node's daemons).
 */
export class NetnsExecutor extends ProcessExecutor {
  readonly kind = 'netns' as const

  constructor(
    host: string,
    readonly netns: string,
  ) {
    super(host)
    if (!NS_NAME.test(netns) || netns.startsWith('-')) {
      throw new HachaosError(`"${netns}" is not a valid network namespace name`, {
        code: 'E_BAD_NETNS',
        exit: 'BAD_INPUT',
        where: host,
        suggestions: ['use letters, digits, "_", "." and "-" only'],
      })
    }
  }

  protected override rootNeeded(): string {
    return `ip netns exec ${this.netns}`
  }

  describe(): string {
    return `netns ${this.netns}`
  }

  command(argv: string[]): string[] {
    return ['ip', 'netns', 'exec', this.netns, ...argv]
  }

  /** PIDs of processes in this namespace whose comm is `comm`. */
  async pidsOf(comm: string): Promise<number[]> {
    const want = commName(comm)
    const r = await this.runLocal(['ip', 'netns', 'pids', this.netns])
    const out: number[] = []
    for (const pid of parsePids(r)) {
      try {
        const c = (await readFile(`/proc/${pid}/comm`, 'utf8')).trim()
        if (c === want) out.push(pid)
      } catch {
        // exited meanwhile
      }
    }
    return out
  }

  /** All PIDs in the namespace. */
  async allPids(): Promise<number[]> {
    return parsePids(await this.runLocal(['ip', 'netns', 'pids', this.netns]))
  }

  private async runLocal(argv: string[]): Promise<string> {
    const r = await new LocalExecutor().run(argv)
    if (r.code !== 0) {
      throw new HachaosError(`network namespace ${this.netns} is not there (${r.stderr.trim()})`, {
        code: 'E_NETNS_MISSING',
        exit: 'HOST',
        where: this.host,
        suggestions: ['is the lab up? try `hachaos lab status`'],
      })
    }
    return r.stdout
  }

  /** sysfs and /proc/net show the namespace's own view only from inside it; other files are shared. */
  async readFile(path: string): Promise<string> {
    if (path.startsWith('/sys/') || path.startsWith('/proc/net/') || path.startsWith('/proc/sys/net/')) {
      return catFile(this, path, {where: `in ${this.netns}`})
    }
    return readLocalFile(path, this.host)
  }
}
