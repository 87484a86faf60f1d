/** The bench's way to run our CLI: synchronously, timed (wall ms), stdout parsed as JSON when it is. */
import {spawnSync} from 'node:child_process'

import {BIN} from '../helpers/cli.js'

export interface BenchCli {
  code: number | null
  json: unknown
  wallMs: number
  stderr: string
}

export function cli(args: string[], env: Record<string, string> = {}): BenchCli {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [BIN, ...args], {env: {...process.env, ...env}, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024})
  const wallMs = performance.now() - t0
  let json: unknown = null
  try {
    json = JSON.parse(r.stdout)
  } catch {
    json = null
  }
  return {code: r.status, json, wallMs, stderr: r.stderr}
}
