import {Command, Errors, Flags, type Interfaces} from '@oclif/core'

import {HachaosError} from '../src/errors.js'
import {closeSshMasters} from '../src/exec/ssh.js'
import {reportError, toHachaosError} from './_errors.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof HachaosCommand)['baseFlags'] & T['flags']>

/**
 * Every hachaos command: `--json` (oclif prints the returned value), user errors mapped from HachaosError to
 * a message, "Try this:" suggestions and our exit-code table (src/errors.ts), and progress on stderr.
 */
export abstract class HachaosCommand extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    quiet: Flags.boolean({char: 'q', description: 'No progress messages on stderr.', helpGroup: 'GLOBAL'}),
  }

  private t0 = Date.now()

  /** Progress line on stderr, with seconds since the command started (stdout stays clean for --json). */
  protected progress = (message: string): void => {
    if (this.argv.includes('--quiet') || this.argv.includes('-q')) return
    const s = ((Date.now() - this.t0) / 1000).toFixed(2).padStart(6)
    process.stderr.write(`[${s}s] ${message}\n`)
  }

  /**
   * Whatever the outcome: end the ssh ControlMasters this command opened (they would otherwise linger for
   * ControlPersist; a drill killed before this point has them journaled for `hachaos recover`).
   */
  protected override async finally(err: Error | undefined): Promise<unknown> {
    await closeSshMasters().catch(() => undefined)
    return super.finally(err)
  }

  protected override async catch(err: Error & {exitCode?: number}): Promise<unknown> {
    if (err instanceof Errors.ExitError) return super.catch(err)
    const e = toHachaosError(err, this.id)
    // A bug keeps oclif's own report (with the stack under DEBUG) in text mode; with --json it is JSON too.
    if (e.exitName === 'INTERNAL' && !this.jsonEnabled()) return super.catch(err)
    reportError(e, this.jsonEnabled())
    return undefined
  }

  protected fail(message: string, opts: ConstructorParameters<typeof HachaosError>[1]): never {
    throw new HachaosError(message, opts)
  }
}
