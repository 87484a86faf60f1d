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

/**
 * Run the real CLI (as a user would), with a timeout. `netns`: inside that network namespace (`ip netns exec`
 * execs the command, so `onPid` gets hachaos's own PID), as an operator on that host runs it.
 */
export function runCli(args: string[], opts: {env?: Record<string, string>; timeoutMs?: number; uid?: number; gid?: number; netns?: string; onPid?: (pid: number) => void} = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const argv = [process.execPath, BIN, ...args]
    const [file, ...rest] = opts.netns === undefined ? argv : ['ip', 'netns', 'exec', opts.netns, ...argv]
    const child = spawn(file ?? process.execPath, rest, {
      env: {...process.env, ...opts.env},
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.uid === undefined ? {} : {uid: opts.uid, gid: opts.gid ?? opts.uid}),
    })
    if (child.pid !== undefined) opts.onPid?.(child.pid)
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

/**
 * Wait until the lab's VIP is on `host` alone (polled every 500 ms through `lab status --json`), so that a drill
 * on the usual master starts with it holding the VIP: after a fault on it, a preempting master (keepalived
 * priority 150) or Heartbeat's auto_failback takes the VIP back some seconds after the revert. A drill started
 * meanwhile reads the other node as master and measures nothing.
 */
export async function waitVipHome(host: string, opts: {topology?: string; env?: Record<string, string>; timeoutMs?: number} = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 30_000
  const args = ['lab', 'status', ...(opts.topology === undefined ? [] : ['--topology', opts.topology]), '--json']
  const end = Date.now() + timeoutMs
  let owners: string[] = []
  for (;;) {
    const r = await runCli(args, opts.env === undefined ? {} : {env: opts.env})
    owners = (r.json as {vipOwners?: string[]} | undefined)?.vipOwners ?? []
    if (owners.length === 1 && owners[0] === host) return
    if (Date.now() > end) break
    await new Promise((res) => setTimeout(res, 500))
  }
  throw new Error(`the VIP did not go back to ${host} within ${timeoutMs / 1000} s (owners: ${owners.join(',') || 'none'})`)
}

/**
 * The CLI with stdout a pipe closed after its first bytes, as `hachaos … | head -1` does: exit code, signal,
 * stderr, how many bytes came first, and how long until it exited (a stream that ignored the closed pipe runs
 * until `timeoutMs`, then SIGKILL).
 */
export function runCliClosingStdout(args: string[], opts: {env?: Record<string, string>; timeoutMs?: number} = {}): Promise<{code: number | null; signal: NodeJS.Signals | null; stderr: string; firstBytes: number; ms: number}> {
  return new Promise((resolve) => {
    const t0 = performance.now()
    const child = spawn(process.execPath, [BIN, ...args], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, ...opts.env}})
    let stderr = ''
    let firstBytes = 0
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.stdout.once('data', (d: Buffer) => {
      firstBytes = d.length
      child.stdout.destroy()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stderr, firstBytes, ms: performance.now() - t0})
    })
  })
}
