import {readFile} from 'node:fs/promises'

import {HachaosError, fileErrorText} from '../errors.js'
import {ProcessExecutor, commName, parsePids} from './process.js'

/** Runs argv on this machine, as is. */
export class LocalExecutor extends ProcessExecutor {
  readonly kind = 'local' as const

  constructor(host = 'localhost') {
    super(host)
  }

  describe(): string {
    return 'local'
  }

  command(argv: string[]): string[] {
    return [...argv]
  }

  async pidsOf(comm: string): Promise<number[]> {
    const r = await this.run(['pgrep', '-x', commName(comm)])
    return parsePids(r.stdout)
  }

  async readFile(path: string): Promise<string> {
    return readLocalFile(path, this.host)
  }
}

export async function readLocalFile(path: string, host: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new HachaosError(
      code === 'ENOENT' ? `${path} does not exist on ${host}` : `cannot read ${path} on ${host}: ${fileErrorText(e)}`,
      {
        code: 'E_READ_FILE',
        exit: 'BAD_INPUT',
        where: `${host}:${path}`,
        suggestions: ['check the path (or the inventory fact that names it)'],
      },
    )
  }
}
