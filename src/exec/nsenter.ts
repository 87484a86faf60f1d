import {HachaosError} from '../errors.js'
import {ProcessExecutor, commName, parsePids} from './process.js'
import {catFile} from './run-ok.js'

export type NsKind = 'net' | 'pid' | 'mount' | 'uts' | 'ipc'

const FLAG: Record<NsKind, string> = {net: '-n', pid: '-p', mount: '-m', uts: '-u', ipc: '-i'}

/**
 * Runs argv inside the namespaces of a process (the init of a lab node that has its own PID, mount and UTS
 * namespaces, as in the Pacemaker lab): `nsenter -t PID -p -m -u -n -- argv…`. Everything, including
 * process lookups, happens inside, so PIDs are numbered as the node sees them.
 */
export class NsenterExecutor extends ProcessExecutor {
  readonly kind = 'nsenter' as const

  constructor(
    host: string,
    readonly targetPid: number | (() => number),
    readonly namespaces: NsKind[] = ['pid', 'mount', 'uts', 'net'],
  ) {
    super(host)
  }

  private pid(): number {
    const p = typeof this.targetPid === 'function' ? this.targetPid() : this.targetPid
    if (!Number.isInteger(p) || p <= 1) {
      throw new HachaosError(`no running init for ${this.host}`, {
        code: 'E_NODE_DOWN',
        exit: 'HOST',
        where: this.host,
        suggestions: ['is the lab up? try `hachaos lab status`'],
      })
    }
    return p
  }

  protected override rootNeeded(): string {
    return 'nsenter'
  }

  describe(): string {
    return `nsenter -t ${typeof this.targetPid === 'number' ? this.targetPid : 'init'} (${this.namespaces.join(',')})`
  }

  command(argv: string[]): string[] {
    return ['nsenter', '-t', String(this.pid()), ...this.namespaces.map((n) => FLAG[n]), '--', ...argv]
  }

  async pidsOf(comm: string): Promise<number[]> {
    const r = await this.run(['pgrep', '-x', commName(comm)])
    return parsePids(r.stdout)
  }

  async readFile(path: string): Promise<string> {
    return catFile(this, path)
  }
}
