/**
 * Shared pieces of the config parsers: locations, the parse error, number reading, and glob matching for
 * `include` patterns.
 */
import {readFileSync, readdirSync, statSync} from 'node:fs'
import {dirname, isAbsolute, join, posix} from 'node:path'

import {HachaosError} from '../errors.js'

/** Where something was written: a 1-based line in a file (for live state: the command that showed it). */
export interface Loc {
  file: string
  line: number
}

export function at(loc: Loc): string {
  return `${loc.file}:${loc.line}`
}

/** A parse error naming file:line, exit BAD_INPUT. */
export function configError(what: string, loc: Loc, message: string, ...suggestions: string[]): HachaosError {
  const where = at(loc)
  return new HachaosError(`${what} ${where}: ${message}`, {
    code: 'E_CONFIG_PARSE',
    exit: 'BAD_INPUT',
    where,
    suggestions: suggestions.length > 0 ? suggestions : [`fix ${where} and run again`],
  })
}

/** A decimal number (integer or fraction, optional sign), or undefined. */
export function toNumber(s: string | undefined): number | undefined {
  if (s === undefined || !/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s)) return undefined
  return Number(s)
}

export function toInt(s: string | undefined): number | undefined {
  if (s === undefined || !/^[+-]?\d+$/.test(s)) return undefined
  return Number(s)
}

/** Text with CRLF line ends normalised and split into lines (1-based numbering is index + 1). */
export function splitLines(text: string): string[] {
  return text.replace(/\r\n?/g, '\n').split('\n')
}

export function hasGlob(p: string): boolean {
  return /[*?[]/.test(p)
}

/**
 * glob(3) matching of ONE path segment (`*`, `?`, `[abc]`, `[a-z]`, `[!x]`), no `/` crossing, leading dot
 * not matched by wildcards. Hand-written: these few lines are all keepalived's `include` needs, and no
 * direct dependency offers it (fs.glob arrives in Node 22).
 */
export function segmentMatcher(pattern: string): RegExp {
  let re = '^'
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? ''
    if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2)
      if (end < 0) {
        re += '\\['
        continue
      }
      let body = pattern.slice(i + 1, end)
      const neg = body.startsWith('!') || body.startsWith('^')
      if (neg) body = body.slice(1)
      re += `[${neg ? '^' : ''}${body.replace(/[\\\]^]/g, (m) => `\\${m}`)}]`
      i = end
    } else re += c.replace(/[.+^${}()|\\]/g, (m) => `\\${m}`)
  }
  return new RegExp(`${re}$`)
}

/** Resolve an include pattern against the directory of the including file. */
export function resolveInclude(pattern: string, includingFile: string): string {
  if (isAbsolute(pattern)) return pattern
  return join(dirname(includingFile), pattern)
}

/**
 * Expand a glob on a directory tree, given a way to list a directory (local fs, or a remote host).
 * Returns matching paths sorted (glob(3) sorts), files only when `isFile` is given.
 */
export function expandGlob(pattern: string, listDir: (dir: string) => string[] | null): string[] {
  if (!hasGlob(pattern)) return [pattern]
  const parts = pattern.split('/')
  let bases: string[] = [pattern.startsWith('/') ? '/' : '.']
  for (let i = pattern.startsWith('/') ? 1 : 0; i < parts.length; i++) {
    const seg = parts[i] ?? ''
    if (seg === '') continue
    const next: string[] = []
    for (const b of bases) {
      if (!hasGlob(seg)) {
        next.push(posix.join(b, seg))
        continue
      }
      const re = segmentMatcher(seg)
      const names = listDir(b) ?? []
      for (const n of names) if (re.test(n) && (!n.startsWith('.') || seg.startsWith('.'))) next.push(posix.join(b, n))
    }
    bases = next
  }
  return bases.sort()
}

/** Local-filesystem include reader for the parsers (`readInclude`). */
export function fsReadInclude(path: string): string | null {
  try {
    if (!statSync(path).isFile()) return null
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

/** Local-filesystem include lister for the parsers (`listInclude`). */
export function fsListInclude(pattern: string): string[] {
  return expandGlob(pattern, (dir) => {
    try {
      return readdirSync(dir)
    } catch {
      return null
    }
  })
}
