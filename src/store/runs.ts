import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {HachaosError} from '../errors.js'
import {writeFileAtomic} from '../util/atomic.js'
import {runsDir} from './paths.js'
import {RUN_SCHEMA, type DrillRun} from './run-types.js'

/** A file name safe id: 20261122T224001Z-lb1-nic-down-3f2a */
export function newRunId(target: string, fault: string, at = new Date()): string {
  const ts = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 40)
  return `${ts}-${safe(target)}-${safe(fault)}-${Math.random().toString(16).slice(2, 6)}`
}

export function saveRun(run: DrillRun, dir = runsDir()): string {
  const file = join(dir, `${run.id}.json`)
  writeFileAtomic(file, `${JSON.stringify(run)}\n`)
  return file
}

export interface RunFilter {
  /** Only runs started at or after this epoch ms. */
  sinceMs?: number
  target?: string
  fault?: string
}

export interface LoadedRuns {
  runs: DrillRun[]
  /** Files that could not be read as runs: named, never fatal. */
  skipped: Array<{file: string; reason: string}>
  dir: string
}

export function loadRuns(filter: RunFilter = {}, dir = runsDir()): LoadedRuns {
  let names: string[]
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'))
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {runs: [], skipped: [], dir}
    throw new HachaosError(`cannot read the run store ${dir}: ${(e as Error).message}`, {code: 'E_STORE', exit: 'BAD_INPUT', where: dir, suggestions: ['check HACHAOS_HOME']})
  }
  const runs: DrillRun[] = []
  const skipped: LoadedRuns['skipped'] = []
  for (const n of names.sort()) {
    const file = join(dir, n)
    try {
      const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<DrillRun>
      if (v.schema !== RUN_SCHEMA || typeof v.id !== 'string' || v.metrics === undefined) {
        skipped.push({file, reason: `not a ${RUN_SCHEMA} record`})
        continue
      }
      runs.push(v as DrillRun)
    } catch (e) {
      skipped.push({file, reason: (e as Error).message})
    }
  }
  const out = runs.filter(
    (r) =>
      (filter.sinceMs === undefined || Date.parse(r.startedAt) >= filter.sinceMs) &&
      (filter.target === undefined || r.target === filter.target) &&
      (filter.fault === undefined || r.fault.kind === filter.fault),
  )
  out.sort((a, b) => a.startedAt.localeCompare(b.startedAt))
  return {runs: out, skipped, dir}
}
