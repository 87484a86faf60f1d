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

/**
 * A file of the executor's host, read with `cat -- PATH` through run() (the readFile of the executors that
 * reach their host through a command: netns for /proc/net and /sys, nsenter, ssh, vm). A failure is
 * E_READ_FILE naming HOST:PATH. `where` says where it was read ("on HOST" by default).
 */
export async function catFile(exec: Pick<Executor, 'host' | 'run'>, path: string, opts: {where?: string; suggestion?: string} = {}): Promise<string> {
  const r = await exec.run(['cat', '--', path])
  if (r.code !== 0) {
    throw new HachaosError(`cannot read ${path} ${opts.where ?? `on ${exec.host}`}: ${r.stderr.trim()}`, {
      code: 'E_READ_FILE',
      exit: 'BAD_INPUT',
      where: `${exec.host}:${path}`,
      suggestions: [opts.suggestion ?? 'check the path'],
    })
  }
  return r.stdout
}
