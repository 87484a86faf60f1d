/**
 * The run store: one `<id>.json` record (hachaos.run/1) per drill, and beside it, in `.summaries/`, a small
 * sidecar with everything but the events (the events are most of a record: a long hold at 20 probes/s is
 * megabytes). Readers take the summaries first and load events only for the drills they draw.
 *
 * - saveRun writes the record, then its summary.
 * - loadRunSummaries reads the summaries; a record without one (a store written before summaries existed, or
 *   whose summary is stale: the record's size or mtime changed) is read once, skipping its events without
 *   building them (skipEventsJson), and its summary is cached for next time when the store is writable.
 * - `.summaries/index.json` holds all the summaries in one file (a cache of the cache, rewritten by a reader when
 *   the store changed), so a store of 5,000 runs is one read, plus a stat per record to see it is unchanged.
 * - loadRunEvents reads one record's events.
 * - A file that is not JSON or not a run record is skipped with a message naming it: never fatal, nothing lost
 *   (the file stays where it is). This is the one place that decides it.
 */
import {closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, writeFileSync, type Stats} from 'node:fs'
import {basename, join} from 'node:path'

import {HachaosError} from '../errors.js'
import {writeFileAtomic} from '../util/atomic.js'
import {runsDir} from './paths.js'
import {RUN_SCHEMA, type DrillRun, type TimelineEvent} from './run-types.js'

/** A file name safe id: 20261122T224001Z-lb1-nic-down-3f2a */
export function newRunId(target: string, fault: string, at = new Date()): string {
  const ts = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 40)
  return `${ts}-${safe(target)}-${safe(fault)}-${Math.random().toString(16).slice(2, 6)}`
}

/** Folder of the summaries inside the store (hidden: older readers list only the store's own *.json). */
export const SUMMARY_DIR = '.summaries'
export const SUMMARY_SCHEMA = 'hachaos.run-summary/1' as const

/** A run record without its events, and how many events the record holds. */
export type RunSummary = Omit<DrillRun, 'events'> & {eventCount: number}

interface SummaryFile {
  schema: typeof SUMMARY_SCHEMA
  /** The record the summary was made from: a different size or mtime makes the summary stale. */
  source: {size: number; mtimeMs: number}
  run: RunSummary
}

export function saveRun(run: DrillRun, dir = runsDir()): string {
  const file = join(dir, `${run.id}.json`)
  writeFileAtomic(file, `${JSON.stringify(run)}\n`)
  const {events, ...rest} = run
  try {
    mkdirSync(join(dir, SUMMARY_DIR), {recursive: true})
    writeSummary(file, statSync(file), {...rest, eventCount: events.length})
  } catch {
    // the record is saved; a missing summary is rebuilt by the next reader
  }
  return file
}

function summaryPath(file: string): string {
  return join(file, '..', SUMMARY_DIR, basename(file))
}

/**
 * A summary is a cache: written by rename (never half a file under its name) but without fsync — after a crash a
 * lost or torn summary is simply rebuilt from its record (an fsync per summary made the first report over an old
 * store of 5,000 runs wait a minute on the disk).
 */
function writeSummary(file: string, st: Stats, run: RunSummary): void {
  const s: SummaryFile = {schema: SUMMARY_SCHEMA, source: {size: st.size, mtimeMs: st.mtimeMs}, run}
  const path = summaryPath(file)
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify(s)}\n`)
  renameSync(tmp, path)
}

export interface RunFilter {
  /** Only runs started at or after this epoch ms. */
  sinceMs?: number
  target?: string
  fault?: string
}

export interface SkippedFile {
  file: string
  reason: string
}

/** A run in the store, its summary read, its events not. */
export interface StoredRun {
  file: string
  run: RunSummary
}

export interface LoadedSummaries {
  runs: StoredRun[]
  /** Files that could not be read as runs: named, never fatal. */
  skipped: SkippedFile[]
  dir: string
  /** Records read whole because they had no (current) summary; `cached` of them got one written. */
  summarized: number
  cached: number
  /** Summaries taken from the store's index (one file) rather than one file each. */
  fromIndex: number
}

export interface LoadOptions {
  /** A missing store is an error (the user named it with --store) instead of an empty store. */
  mustExist?: boolean
  /** Write the summaries of records that lack one (default true; a read-only store is fine). */
  cache?: boolean
}

function listRecords(dir: string, mustExist: boolean): string[] | null {
  try {
    if (!statSync(dir).isDirectory()) {
      throw new HachaosError(`the run store ${dir} is not a directory`, {code: 'E_STORE', exit: 'BAD_INPUT', where: dir, suggestions: ['--store takes the runs directory (e.g. $HACHAOS_HOME/runs)']})
    }
    return readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .sort()
  } catch (e) {
    if (e instanceof HachaosError) throw e
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && !mustExist) return null
    if (code === 'ENOENT') {
      throw new HachaosError(`the run store ${dir} does not exist`, {code: 'E_STORE_MISSING', exit: 'BAD_INPUT', where: dir, suggestions: ['check the --store path', 'without --store the store is $HACHAOS_HOME/runs']})
    }
    throw new HachaosError(`cannot read the run store ${dir}: ${(e as Error).message}`, {code: 'E_STORE', exit: 'BAD_INPUT', where: dir, suggestions: ['check HACHAOS_HOME and the permissions']})
  }
}

function notARun(v: unknown): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return `not a ${RUN_SCHEMA} record (not a JSON object)`
  const r = v as Partial<DrillRun>
  if (r.schema !== RUN_SCHEMA) return `not a ${RUN_SCHEMA} record (schema ${JSON.stringify(r.schema ?? null)})`
  if (typeof r.id !== 'string' || r.metrics === undefined) return `not a ${RUN_SCHEMA} record (no id or metrics)`
  return null
}

/**
 * `.summaries/index.json`: every summary of the store in one file, keyed by record file name, rebuilt by a
 * reader whenever a record was added, changed or removed (the per-record summaries stay the source; this only
 * saves opening thousands of files: 5,000 runs read in one JSON.parse).
 */
const INDEX_FILE = 'index.json'
const INDEX_SCHEMA = 'hachaos.run-index/1' as const
type IndexEntry = {size: number; mtimeMs: number; run: RunSummary}

function readIndex(dir: string): Map<string, IndexEntry> {
  try {
    const v = JSON.parse(readFileSync(join(dir, SUMMARY_DIR, INDEX_FILE), 'utf8')) as {schema?: unknown; entries?: Record<string, IndexEntry>}
    if (v.schema !== INDEX_SCHEMA || typeof v.entries !== 'object' || v.entries === null) return new Map()
    return new Map(Object.entries(v.entries))
  } catch {
    return new Map()
  }
}

function writeIndex(dir: string, entries: Map<string, IndexEntry>): void {
  const path = join(dir, SUMMARY_DIR, INDEX_FILE)
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify({schema: INDEX_SCHEMA, entries: Object.fromEntries(entries)}))
  renameSync(tmp, path)
}

function readSummary(file: string, st: Stats): RunSummary | null {
  let s: Partial<SummaryFile>
  try {
    s = JSON.parse(readFileSync(summaryPath(file), 'utf8')) as Partial<SummaryFile>
  } catch {
    return null
  }
  if (s.schema !== SUMMARY_SCHEMA || s.source?.size !== st.size || s.source.mtimeMs !== st.mtimeMs || s.run === undefined) return null
  return s.run
}

/** A message for a file that is not JSON, naming the place (line, column) where parsing stopped. */
function notJson(file: string): string {
  let text = ''
  try {
    text = readFileSync(file, 'utf8')
    JSON.parse(text)
  } catch (e) {
    if (!(e instanceof SyntaxError)) return (e as Error).message
    return jsonProblem(e, text)
  }
  return 'not JSON'
}

function jsonProblem(e: SyntaxError, text: string): string {
  const msg = e.message
  const pos = /position (\d+)/.exec(msg)
  if (pos === null && /end of JSON/.test(msg)) {
    const lines = text.split('\n')
    return text.trim() === '' ? 'not JSON: the file is empty' : `not JSON (line ${lines.length}, column ${(lines[lines.length - 1]?.length ?? 0) + 1}): the file ends too early (cut short?)`
  }
  if (pos === null) return `not JSON: ${msg}`
  const at = Number(pos[1])
  const before = text.slice(0, at).split('\n')
  return `not JSON (line ${before.length}, column ${(before[before.length - 1]?.length ?? 0) + 1}): ${msg.replace(/ in JSON at position \d+.*$/, '')}`
}

/**
 * The summaries of the runs in the store, filtered, in start order. Events are never built here.
 * Memory: the summaries (a few KB each) plus one record's bytes at a time for records without a summary.
 */
export function loadRunSummaries(filter: RunFilter = {}, dir = runsDir(), opts: LoadOptions = {}): LoadedSummaries {
  const names = listRecords(dir, opts.mustExist === true)
  const out: LoadedSummaries = {runs: [], skipped: [], dir, summarized: 0, cached: 0, fromIndex: 0}
  if (names === null) return out
  let canCache = opts.cache !== false
  const index = readIndex(dir)
  const next = new Map<string, IndexEntry>()
  for (const n of names) {
    const file = join(dir, n)
    let st: Stats
    try {
      st = statSync(file)
      if (!st.isFile()) continue
    } catch (e) {
      out.skipped.push({file, reason: (e as Error).message})
      continue
    }
    const hit = index.get(n)
    let run: RunSummary | null = null
    if (hit !== undefined && hit.size === st.size && hit.mtimeMs === st.mtimeMs && typeof hit.run === 'object' && hit.run !== null) {
      run = hit.run
      out.fromIndex++
    } else {
      run = readSummary(file, st)
    }
    if (run === null) {
      let parsed: {record: unknown; eventCount: number}
      try {
        parsed = skipEventsJson(file)
      } catch (e) {
        out.skipped.push({file, reason: e instanceof SyntaxError ? notJson(file) : (e as Error).message})
        continue
      }
      const problem = notARun(parsed.record)
      if (problem !== null) {
        out.skipped.push({file, reason: problem})
        continue
      }
      const {events: _dropped, ...rest} = parsed.record as DrillRun
      run = {...rest, eventCount: parsed.eventCount}
      out.summarized++
      if (canCache) {
        try {
          mkdirSync(join(dir, SUMMARY_DIR), {recursive: true})
          writeSummary(file, st, run)
          out.cached++
        } catch {
          canCache = false // a read-only store: summaries are rebuilt on every read, nothing else changes
        }
      }
    }
    next.set(n, {size: st.size, mtimeMs: st.mtimeMs, run})
    if (
      (filter.sinceMs === undefined || Date.parse(run.startedAt) >= filter.sinceMs) &&
      (filter.target === undefined || run.target === filter.target) &&
      (filter.fault === undefined || run.fault?.kind === filter.fault)
    ) {
      out.runs.push({file, run})
    }
  }
  if (canCache && (out.fromIndex !== next.size || index.size !== next.size) && next.size > 0) {
    try {
      mkdirSync(join(dir, SUMMARY_DIR), {recursive: true})
      writeIndex(dir, next)
    } catch {
      // read-only store: the per-record summaries (or the records) are read next time too
    }
  }
  out.runs.sort((a, b) => String(a.run.startedAt).localeCompare(String(b.run.startedAt)))
  return out
}

/** One record's events (the whole record is read; only its events are kept). */
export function loadRunEvents(file: string): TimelineEvent[] {
  let v: unknown
  try {
    v = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    const reason = e instanceof SyntaxError ? jsonProblem(e, readFileSync(file, 'utf8')) : (e as Error).message
    throw new HachaosError(`cannot read the events of ${file}: ${reason}`, {code: 'E_STORE', exit: 'BAD_INPUT', where: file})
  }
  const events = (v as {events?: unknown}).events
  if (!Array.isArray(events)) throw new HachaosError(`${file} has no events list`, {code: 'E_STORE', exit: 'BAD_INPUT', where: file})
  return events as TimelineEvent[]
}

export interface LoadedRuns {
  runs: DrillRun[]
  /** Files that could not be read as runs: named, never fatal. */
  skipped: SkippedFile[]
  dir: string
}

/** Whole records with their events (small stores, tests); the report uses loadRunSummaries. */
export function loadRuns(filter: RunFilter = {}, dir = runsDir(), opts: LoadOptions = {}): LoadedRuns {
  const s = loadRunSummaries(filter, dir, opts)
  const runs: DrillRun[] = []
  const skipped = [...s.skipped]
  for (const r of s.runs) {
    try {
      const {eventCount: _n, ...rest} = r.run
      runs.push({...rest, events: loadRunEvents(r.file)})
    } catch (e) {
      skipped.push({file: r.file, reason: (e as Error).message})
    }
  }
  return {runs, skipped, dir}
}

const CHUNK = 1 << 16
const QUOTE = 0x22
const BACKSLASH = 0x5c

/**
 * Parse a run record's JSON without building its top-level `events` array: the bytes of that value are skipped
 * (its elements counted) and the rest is handed to JSON.parse with `"events":null`. Reads 64 KB at a time, so
 * memory is the record without its events plus one chunk. Hand-written because the streaming JSON libraries
 * tokenize every value, including the skipped ones, which is the cost this avoids; all it tracks is strings
 * (with escapes), nesting depth and the top-level key. UTF-8 is safe byte by byte: the bytes compared are ASCII,
 * and multi-byte sequences never contain ASCII bytes.
 * Throws SyntaxError (from JSON.parse) when the file is not JSON.
 */
export function skipEventsJson(file: string): {record: unknown; eventCount: number} {
  const fd = openSync(file, 'r')
  const kept: Buffer[] = []
  let depth = 0
  let inStr = false
  let esc = false
  let expectKey = false
  let key: number[] | null = null
  let lastKey = ''
  let skipping = false
  let expectElement = false
  let eventCount = 0
  try {
    const buf = Buffer.allocUnsafe(CHUNK)
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null)
      if (n === 0) break
      let keepFrom = skipping ? -1 : 0
      for (let i = 0; i < n; i++) {
        const b = buf[i] as number
        if (inStr) {
          if (esc) esc = false
          else if (b === BACKSLASH) esc = true
          else if (b === QUOTE) {
            inStr = false
            if (key !== null) {
              lastKey = Buffer.from(key).toString('latin1')
              key = null
            }
          } else if (key !== null && key.length < 64) key.push(b)
          continue
        }
        if (skipping) {
          if (depth === 1 && (b === 0x2c || b === 0x7d)) {
            // `,` or `}` after the events value: keep from here on
            skipping = false
            keepFrom = i
          } else if (depth === 2 && expectElement && b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0x5d) {
            eventCount++
            expectElement = false
          } else if (depth === 2 && b === 0x2c) {
            expectElement = true
          }
        }
        if (b === QUOTE) {
          inStr = true
          if (depth === 1 && expectKey && !skipping) {
            key = []
            expectKey = false
          }
        } else if (b === 0x7b || b === 0x5b) {
          depth++
          if (depth === 1) expectKey = b === 0x7b
          if (skipping && depth === 2) expectElement = b === 0x5b
        } else if (b === 0x7d || b === 0x5d) {
          depth--
        } else if (b === 0x2c) {
          if (depth === 1) expectKey = true
        } else if (b === 0x3a && depth === 1 && !skipping && lastKey === 'events') {
          kept.push(Buffer.from(buf.subarray(keepFrom, i + 1)), Buffer.from('null'))
          skipping = true
          keepFrom = -1
          lastKey = ''
        }
        // a `"` at depth 1 just after `{`/`,` opens a key (whitespace between is fine: expectKey stays set)
      }
      if (keepFrom >= 0) kept.push(Buffer.from(buf.subarray(keepFrom, n)))
    }
  } finally {
    closeSync(fd)
  }
  return {record: JSON.parse(Buffer.concat(kept).toString('utf8')), eventCount}
}
