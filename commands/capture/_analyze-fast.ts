/**
 * The start-up fast path of `hachaos capture analyze` (bin/run.js takes it before loading oclif): the command
 * line is read with the command's own flag table (analyze.ts) — `--flag value`, `--flag=value`, `-q`, `-i`
 * — and the analysis run by runCaptureAnalyze (_analyze-run.ts), as the oclif command runs it. Loading
 * @oclif/core and its config was 0.2 CPU-s of every run (issue 11), a quarter of tcpdump's time for 10^6
 * frames.
 *
 * Anything this parser is not sure to read exactly as oclif does — help, a flag it does not know, a value oclif
 * would reject (bad --vrid, --events other than ndjson, --revert-at without --fault-at), a flag given twice,
 * `--`, `capture:analyze`, HACHAOS_CONTENT_TYPE — returns false before anything is run or written, and oclif
 * handles the command line (its messages, its exit codes). --inventory too (its readers' start-up dominates
 * anyway). Errors during the run are reported as the oclif command reports them (commands/_base.ts catch).
 */
import {format} from 'node:util'

import {reportError, toHachaosError} from '../_errors.js'
import {runCaptureAnalyze} from './_analyze-run.js'

const VALUE_FLAGS = new Set(['fault-at', 'revert-at', 'vip', 'vrid', 'name', 'events'])

interface Parsed {
  file: string
  flags: Map<string, string[]>
  json: boolean
  quiet: boolean
}

/** argv after `capture analyze`, or null: leave it to oclif. */
function parse(argv: string[]): Parsed | null {
  const flags = new Map<string, string[]>()
  let file: string | null = null
  let json = false
  let quiet = false
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '-' || !a.startsWith('-')) {
      if (file !== null) return null
      file = a
      continue
    }
    if (a === '--json') {
      if (json) return null
      json = true
      continue
    }
    if (a === '-q' || a === '--quiet') {
      if (quiet) return null
      quiet = true
      continue
    }
    if (!a.startsWith('--')) return null
    const eq = a.indexOf('=')
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq)
    if (!VALUE_FLAGS.has(name)) return null
    let value: string
    if (eq >= 0) value = a.slice(eq + 1)
    else {
      const next = argv[i + 1]
      if (next === undefined) return null
      value = next
      i += 1
    }
    if (value === '' || value.startsWith('-')) return null
    const vs = flags.get(name) ?? []
    if (vs.length > 0 && name !== 'name') return null
    vs.push(value)
    flags.set(name, vs)
  }
  if (file === null) return null
  // what oclif would refuse: its messages, not ours
  const vrid = flags.get('vrid')?.[0]
  if (vrid !== undefined && (!/^[0-9]+$/.test(vrid) || Number(vrid) < 1 || Number(vrid) > 255)) return null
  const events = flags.get('events')?.[0]
  if (events !== undefined && events !== 'ndjson') return null
  if (flags.has('revert-at') && !flags.has('fault-at')) return null
  return {file, flags, json, quiet}
}

/** Run `capture analyze` with these arguments (after the command's words); false: not run, use oclif. */
export async function fastCaptureAnalyze(argv: string[]): Promise<boolean> {
  if (process.env.HACHAOS_CONTENT_TYPE !== undefined) return false
  const p = parse(argv)
  if (p === null) return false
  const t0 = Date.now()
  const f = p.flags
  const one = (k: string): string | undefined => f.get(k)?.[0]
  const vrid = one('vrid')
  try {
    await runCaptureAnalyze(
      {
        file: p.file,
        faultAt: one('fault-at'),
        revertAt: one('revert-at'),
        vip: one('vip'),
        vrid: vrid === undefined ? undefined : Number(vrid),
        name: f.get('name'),
        events: one('events'),
        json: p.json,
      },
      {
        // as HachaosCommand.progress
        progress: (message) => {
          if (p.quiet) return
          const s = ((Date.now() - t0) / 1000).toFixed(2).padStart(6)
          process.stderr.write(`[${s}s] ${message}\n`)
        },
        // as oclif's Command.log (ux.stdout): an empty first argument is dropped
        log: (message = '', ...args) => {
          if (p.json) return
          if (message === '' && args.length > 0) console.log(format(...args))
          else if (message === '') console.log()
          else console.log(format(message, ...args))
        },
      },
    )
  } catch (error) {
    // as HachaosCommand.catch: a HachaosError (or a parse error) by the exit-code table; a bug as oclif reports it
    const e = toHachaosError(error, 'capture:analyze')
    if (e.exitName === 'INTERNAL' && !p.json) {
      const {handle} = await import('@oclif/core')
      await handle(error as Error)
    } else reportError(e, p.json)
  }
  return true
}
