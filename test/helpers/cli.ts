import {spawn} from 'node:child_process'
import {join} from 'node:path'

/** The repository root (tests run from dist/test/...). */
export const ROOT = join(import.meta.dirname, '..', '..', '..')
export const BIN = join(ROOT, 'bin', 'run.js')

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
  /** stdout parsed as JSON when it is JSON. */
  json: unknown
}

/** Run the real CLI (as a user would), with a timeout. */
export function runCli(args: string[], opts: {env?: Record<string, string>; timeoutMs?: number; uid?: number; gid?: number} = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: {...process.env, ...opts.env},
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.uid === undefined ? {} : {uid: opts.uid, gid: opts.gid ?? opts.uid}),
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      let json: unknown = undefined
      try {
        json = JSON.parse(stdout)
      } catch {
        // not JSON
      }
      resolve({code, stdout, stderr, json})
    })
  })
}

export function labPrefixForTests(): string {
  return process.env['HACHAOS_LAB_PREFIX'] ?? 'hc'
}
