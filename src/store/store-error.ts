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

/**
 * Offset of the first JSON syntax error in `text` (text.length when the text just ends too early).
 * Hand-written (a small validator): Node 20's JSON.parse messages often carry no position, and no JSON
 * library with error offsets is among our dependencies; this runs only on a file that failed to parse.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i] as string)) i++
  }
  const fail = (): never => {
    throw i
  }
  const str = (): void => {
    i++ // opening quote
    while (i < text.length) {
      const c = text[i] as string
      if (c === '"') {
        i++
        return
      }
      if (c === '\\') i += 2
      else if (c < ' ') fail()
      else i++
    }
    fail()
  }
  const value = (): void => {
    ws()
    const c = text[i]
    if (c === undefined) fail()
    if (c === '{') {
      i++
      ws()
      if (text[i] === '}') {
        i++
        return
      }
      for (;;) {
        ws()
        if (text[i] !== '"') fail()
        str()
        ws()
        if (text[i] !== ':') fail()
        i++
        value()
        ws()
        if (text[i] === ',') {
          i++
          continue
        }
        if (text[i] === '}') {
          i++
          return
        }
        fail()
      }
    }
    if (c === '[') {
      i++
      ws()
      if (text[i] === ']') {
        i++
        return
      }
      for (;;) {
        value()
        ws()
        if (text[i] === ',') {
          i++
          continue
        }
        if (text[i] === ']') {
          i++
          return
        }
        fail()
      }
    }
    if (c === '"') return str()
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 64))
    if (m === null) fail()
    i += (m as RegExpExecArray)[0].length
  }
  try {
    value()
    ws()
    return i < text.length ? i : -1
  } catch (at) {
    return Math.min(at as number, text.length)
  }
}

/** Why a JSON file of the store could not be read, with the line and column of a syntax error. */
export function jsonFileProblem(text: string, err: unknown): string {
  if (text.trim() === '') return 'the file is empty (a crash while it was being written, or truncated by hand)'
  const at = jsonErrorOffset(text)
  if (at < 0) return `not valid JSON: ${errorMessage(err)}`
  const before = text.slice(0, at)
  const line = before.split('\n').length
  const col = at - before.lastIndexOf('\n')
  if (at >= text.length) return `truncated JSON at line ${line} (the end of the file is missing: a partial last line)`
  return `not valid JSON at line ${line}, column ${col}`
}
