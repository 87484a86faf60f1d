/**
 * The temporary directory of a spool (one file in it) removed by name: rmSync(dir, {recursive: true}) loads
 * Node's rimraf on first use, 20–40 ms of start-up work at the end of every `capture analyze --json`.
 */
import {rmdirSync, unlinkSync} from 'node:fs'
import {join} from 'node:path'

/** Remove `dir`/`file`, then `dir` (what is already gone is not an error, as rmSync's force). */
export function removeSpoolDir(dir: string, file: string): void {
  for (const rm of [() => unlinkSync(join(dir, file)), () => rmdirSync(dir)]) {
    try {
      rm()
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
}
