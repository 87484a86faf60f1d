import {accessSync, constants} from 'node:fs'
import {join} from 'node:path'

/** Daemons live in sbin directories that a non-login PATH may lack. */
const EXTRA = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']

/** Absolute path of an executable on this machine, or null. */
export function findBinary(name: string): string | null {
  const dirs = [...(process.env['PATH'] ?? '').split(':').filter((d) => d !== ''), ...EXTRA]
  for (const d of dirs) {
    const p = join(d, name)
    try {
      accessSync(p, constants.X_OK)
      return p
    } catch {
      // not here
    }
  }
  return null
}
