/**
 * Building blocks shared by every lab topology: namespaces, detached daemons, and cleanup that only ever
 * touches what lives inside the lab's own namespaces.
 */
import {openSync, closeSync, readFileSync} from 'node:fs'
import {spawn} from 'node:child_process'

import {HachaosError} from '../errors.js'
import {LocalExecutor} from '../exec/local.js'
import {packageHint} from '../exec/packages.js'
import {runOk} from '../exec/run-ok.js'
import {findBinary} from '../exec/which.js'
import {sleep} from '../time.js'

const local = new LocalExecutor()

export function requireRoot(what: string): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new HachaosError(`${what} needs root (it creates network namespaces and starts daemons)`, {
      code: 'E_NOT_ROOT',
      exit: 'ENVIRONMENT',
      suggestions: ['run it as root, e.g. sudo hachaos …'],
    })
  }
}

export function requireBinaries(names: string[]): void {
  const missing = names.filter((n) => findBinary(n) === null)
  if (missing.length > 0) {
    throw new HachaosError(`missing program${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`, {
      code: 'E_MISSING_BINARY',
      exit: 'ENVIRONMENT',
      suggestions: [...missing.map((m) => `${m}: ${packageHint(m)}`)],
    })
  }
}

export async function listNetns(): Promise<string[]> {
  const r = await local.run(['ip', 'netns', 'list'])
  if (r.code !== 0) return []
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '')
}

export async function createNetns(name: string): Promise<void> {
  const r = await local.run(['ip', 'netns', 'add', name])
  if (r.code !== 0) {
    const taken = /File exists/.test(r.stderr)
    throw new HachaosError(
      taken ? `network namespace ${name} already exists` : `cannot create network namespace ${name}: ${r.stderr.trim()}`,
      taken
        ? {code: 'E_NAME_TAKEN', exit: 'CONFLICT', where: name, suggestions: ['hachaos lab down', `or use another prefix: HACHAOS_LAB_PREFIX=hc2 hachaos lab up`]}
        : {code: 'E_NO_NETNS', exit: 'ENVIRONMENT', where: name, suggestions: ['network namespaces need root and a kernel with CONFIG_NET_NS', 'inside a container, run it privileged']},
    )
  }
}

/** Runs `ip` with the given args (on this machine) and requires success. */
export async function ip(args: string[]): Promise<void> {
  await runOk(local, ['ip', ...args])
}

export async function pidsInNetns(ns: string): Promise<number[]> {
  const r = await local.run(['ip', 'netns', 'pids', ns])
  if (r.code !== 0) return []
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^\d+$/.test(l))
    .map(Number)
}

export function commOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
  } catch {
    return null
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * SIGTERM the given PIDs, wait up to `graceMs`, SIGKILL what is left. Returns the PIDs that were signalled.
 */
export async function terminate(pids: number[], graceMs = 3000): Promise<number[]> {
  const sent: number[] = []
  for (const p of pids) {
    try {
      process.kill(p, 'SIGTERM')
      sent.push(p)
    } catch {
      // gone already
    }
  }
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline && sent.some(alive)) await sleep(25)
  for (const p of sent.filter(alive)) {
    try {
      process.kill(p, 'SIGKILL')
    } catch {
      // raced
    }
  }
  const killDeadline = Date.now() + 2000
  while (Date.now() < killDeadline && sent.some(alive)) await sleep(10)
  return sent
}

/** End every process inside the namespace (they are the lab's), then delete it. Absent namespace: fine. */
export async function destroyNetns(ns: string): Promise<{killed: number[]}> {
  const killed = await terminate(await pidsInNetns(ns))
  await local.run(['ip', 'netns', 'del', ns])
  return {killed}
}

/**
 * Start a daemon in the foreground inside a namespace, detached from us (own session, output to a log file),
 * so it outlives this process. Returns its PID (`ip netns exec` execs the program: same PID).
 */
export function startDetached(ns: string | null, argv: string[], logFile: string, env?: Record<string, string>): number {
  const fd = openSync(logFile, 'a')
  try {
    const full = ns === null ? argv : ['ip', 'netns', 'exec', ns, ...argv]
    const child = spawn(full[0] as string, full.slice(1), {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: {...process.env, ...env},
    })
    child.on('error', () => undefined)
    child.unref()
    if (child.pid === undefined) {
      throw new HachaosError(`could not start ${argv[0] ?? '?'}${ns === null ? '' : ` in ${ns}`}`, {
        code: 'E_SPAWN',
        exit: 'HOST',
        suggestions: [`see ${logFile}`],
      })
    }
    return child.pid
  } finally {
    closeSync(fd)
  }
}

/** Last lines of a log file, for error messages. */
export function logTail(file: string, lines = 5): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

/** Poll `check` every `everyMs` until it returns a value (not undefined) or `timeoutMs` passes. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 50): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v !== undefined) return v
    if (Date.now() >= deadline) return undefined
    await sleep(everyMs)
  }
}
