import {HachaosError} from '../errors.js'
import type {ExecResult, Executor, RunOptions} from './types.js'

/** Run and require exit code 0; otherwise a HOST error naming the host, the command and its stderr. */
export async function runOk(exec: Executor, argv: string[], opts: RunOptions & {what?: string; suggestions?: string[]} = {}): Promise<ExecResult> {
  const r = await exec.run(argv, opts)
  if (r.code !== 0) {
    const tail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' | ')
    throw new HachaosError(
      `${opts.what ?? argv.join(' ')} failed on ${exec.host} (${r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}`})${tail ? `: ${tail}` : ''}`,
      {
        code: r.timedOut ? 'E_TIMEOUT' : 'E_HOST_COMMAND',
        exit: r.timedOut ? 'TIMEOUT' : 'HOST',
        where: `${exec.host} (${exec.describe()})`,
        suggestions: opts.suggestions ?? [`run it by hand to see more: ${exec.command(argv).join(' ')}`],
      },
    )
  }
  return r
}
