/**
 * How every error reaches the user: one small JSON object on stdout with --json (`{"error": {code, exit,
 * message, where?, suggestions}}`), else "Error: …" and "Try this:" on stderr, unwrapped (a terminal wraps
 * lines itself; wrapping them here too split values across lines). The exit code comes from the table in
 * src/errors.ts. oclif's own parse errors (unknown flag, missing flag, bad option) become USAGE (exit 2).
 */
import {HachaosError, isHachaosError} from '../src/errors.js'
import {stdoutClosed} from '../src/util/stdio.js'

// oclif colours parts of its messages when stderr is a TTY; our text and JSON carry none.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-9;]*m/g

interface OclifLikeError extends Error {
  oclif?: {exit?: number | false}
  parse?: unknown
  code?: string
}

/** oclif's parse errors: "Nonexistent flag", "Missing required flag", "Expected --x=y to be one of", … */
export function isParseError(e: unknown): e is OclifLikeError {
  if (!(e instanceof Error)) return false
  const o = e as OclifLikeError
  return o.parse !== undefined || /^(Nonexistent flags?|Missing \d+ required arg|Unexpected arguments?|Expected --|The following errors? occurred|Parsing --)/.test(o.message.replace(ANSI, ''))
}

/** oclif's parse message, cleaned: no "See more help", no list header, flags spelled with `--`. */
export function cleanParseMessage(message: string): string {
  return message
    .replace(ANSI, '')
    .replace(/\n?See more help with --help\s*$/, '')
    .replace(/^The following errors? occurred:\s*/, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => l.replace(/^Missing required flag (?!--)(\S+)/, 'Missing required flag --$1').replace(/^Parsing (--\S+)$/, '$1:'))
    .join(' ')
}

/** Any thrown value as a HachaosError (a parse error is USAGE; anything unexpected is INTERNAL). */
export function toHachaosError(e: unknown, commandId: string | undefined): HachaosError {
  if (isHachaosError(e)) return e
  const help = commandId === undefined ? 'hachaos --help' : `hachaos ${commandId.replaceAll(':', ' ')} --help`
  if (isParseError(e) || (e as OclifLikeError | undefined)?.oclif?.exit === 2) {
    return new HachaosError(cleanParseMessage((e as Error).message), {code: 'E_USAGE', exit: 'USAGE', suggestions: [`see ${help}`]})
  }
  const message = e instanceof Error ? e.message.replace(ANSI, '') : String(e)
  return new HachaosError(message, {code: 'E_INTERNAL', exit: 'INTERNAL', suggestions: ['this is a bug in hachaos: please report it with the output of DEBUG=* hachaos …'], cause: e})
}

/** The text form, for stderr: message (where), then what to try. */
export function formatError(e: HachaosError): string {
  const where = e.where !== undefined && !e.message.includes(e.where) ? ` (${e.where})` : ''
  const lines = [`Error: ${e.message}${where}`]
  if (e.suggestions.length === 1) lines.push(`Try this: ${e.suggestions[0] ?? ''}`)
  else if (e.suggestions.length > 1) lines.push('Try this:', ...e.suggestions.map((s) => `  * ${s}`))
  return `${lines.join('\n')}\n`
}

/** Report `e` the way the command line was asked for (JSON on stdout, or text on stderr); sets the exit code. */
export function reportError(e: HachaosError, json: boolean): void {
  process.exitCode = e.exit
  // the reader of stdout has gone (| head): that is not worth a word (src/util/stdio.ts); any other error goes
  // to stderr then
  if (e.exitName === 'OUTPUT_CLOSED') return
  if (json && !stdoutClosed()) process.stdout.write(`${JSON.stringify({error: e.toJSON()}, null, 2)}\n`)
  else process.stderr.write(formatError(e))
}

/**
 * Edit distance (Levenshtein), for "did you mean" on an unknown command. Hand-written (a dozen lines) rather
 * than a dependency: node_modules is shared across the project's worktrees, and the inputs are ~20 short ids.
 */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = cur
  }
  return prev[b.length] ?? 0
}

/** The commands closest to `id`, best first (at most 3): each compared with as many words of `id` as it has. */
export function nearestCommands(id: string, ids: string[]): string[] {
  const words = id.replaceAll(':', ' ').split(' ').filter((w) => w !== '')
  return ids
    .map((c) => c.replaceAll(':', ' '))
    .map((c) => {
      const n = c.split(' ').length
      const want = words.slice(0, n).join(' ')
      return {c, d: want !== '' && c.startsWith(want) ? 0 : editDistance(want, c)}
    })
    .filter((x) => x.d <= Math.max(1, Math.floor(x.c.length / 4)))
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, 3)
    .map((x) => x.c)
}
