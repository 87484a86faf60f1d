/**
 * Errors of the store ($HACHAOS_HOME: runs, journal, locks) as the user should see them: which file, what
 * went wrong in words, and what to do. Raw `ENOSPC: no space left on device, write` says none of that.
 * Also used by src/store/runs.ts (a run file that is not JSON).
 */
import {HachaosError, errorMessage} from '../errors.js'
import {hachaosHome} from './paths.js'

const HOME_TIP = (): string => `or point HACHAOS_HOME at another directory (now ${hachaosHome()})`

/** A failed write (or mkdir, rename, fsync) under $HACHAOS_HOME, as a HachaosError naming the path. */
export function storeWriteError(err: unknown, path: string, what: string): HachaosError {
  if (err instanceof HachaosError) return err
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  const base = {code: 'E_STORE', exit: 'ENVIRONMENT' as const, where: path, cause: err}
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new HachaosError(`cannot write ${what} ${path}: the file system is full${code === 'EDQUOT' ? ' (disk quota)' : ''}`, {
        ...base,
        suggestions: [`free some space on the file system of ${path} (old runs: $HACHAOS_HOME/runs/*.pcap are the largest)`, HOME_TIP()],
      })
    case 'EACCES':
    case 'EPERM':
      return new HachaosError(`cannot write ${what} ${path}: permission denied`, {
        ...base,
        suggestions: [`make the directory writable for this user (ls -ld ${path}), or run as the user that owns it`, HOME_TIP()],
      })
    case 'EROFS':
      return new HachaosError(`cannot write ${what} ${path}: the file system is read-only`, {...base, suggestions: [HOME_TIP().replace(/^or p/, 'P')]})
    case 'ENOTDIR':
    case 'EEXIST':
      return new HachaosError(`cannot write ${what} ${path}: a part of the path is a file, not a directory`, {...base, suggestions: [`check ${path}'s parent directories`, HOME_TIP()]})
    default:
      return new HachaosError(`cannot write ${what} ${path}: ${errorMessage(err)}`, {...base, suggestions: [HOME_TIP()]})
  }
}

/** Run `fn` (a write under the store); a file-system error becomes storeWriteError. */
export function storeWrite<T>(path: string, what: string, fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    throw storeWriteError(e, path, what)
  }
}

/** Why a JSON file of the store could not be read, with the line and column of a syntax error. */
export function jsonFileProblem(text: string, err: unknown): string {
  const msg = errorMessage(err)
  if (text.trim() === '') return 'the file is empty (a crash while it was being written, or truncated by hand)'
  const pos = /position (\d+)/.exec(msg)
  if (pos !== null) {
    const at = Number(pos[1])
    const before = text.slice(0, at)
    const line = before.split('\n').length
    const col = at - before.lastIndexOf('\n')
    const truncated = at >= text.trimEnd().length - 1
    return `${truncated ? 'truncated JSON' : 'not valid JSON'} at line ${line}, column ${col} (${msg.replace(/ in JSON at position \d+.*$/, '')})`
  }
  if (/Unexpected end of JSON input/.test(msg)) return `truncated JSON at line ${text.split('\n').length} (the end of the file is missing)`
  return `not valid JSON: ${msg}`
}
