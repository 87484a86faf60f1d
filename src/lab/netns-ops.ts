/**
 * Building blocks shared by every lab topology: namespaces, the switch and its ports, detached daemons,
 * the VIP's owners, and cleanup that only ever touches what lives inside the lab's own namespaces.
 */
import {openSync, closeSync, existsSync, readFileSync, rmSync} from 'node:fs'
import {spawn} from 'node:child_process'

import {HachaosError} from '../errors.js'
import {LocalExecutor} from '../exec/local.js'
import {packageHint} from '../exec/packages.js'
import {runOk} from '../exec/run-ok.js'
import {findBinary} from '../exec/which.js'
import {sleep} from '../time.js'
import type {LabDownResult, LabStatus} from './driver.js'
import type {LabState} from './state.js'

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

/** `lab status` of a lab that is not up (no state file). */
export function labNotUp(topology: string, prefix: string): LabStatus {
  return {topology, prefix, up: false, healthy: false, vip: null, vipOwners: [], nodes: [], inventory: null, problems: [], details: {}}
}

/**
 * Refuse to build a lab over namespaces hachaos did not make: any of `ours` that exists already (without a
 * state file naming it) is a CONFLICT. `retry` is the `lab up` command with another prefix.
 */
export async function refuseTakenNamespaces(ours: string[], retry: string, removeHint = 'or remove them if they are leftovers'): Promise<void> {
  const existing = new Set(await listNetns())
  const clash = ours.filter((n) => existing.has(n))
  if (clash.length > 0) {
    throw new HachaosError(`network namespace${clash.length > 1 ? 's' : ''} ${clash.join(', ')} already exist${clash.length > 1 ? '' : 's'} and hachaos did not make ${clash.length > 1 ? 'them' : 'it'}`, {
      code: 'E_NAME_TAKEN',
      exit: 'CONFLICT',
      where: clash.join(', '),
      suggestions: [`use another prefix: ${retry}`, `${removeHint}: ${clash.map((c) => `ip netns del ${c}`).join('; ')}`],
    })
  }
}

/** Is a /24 (`base` = its first three octets) already used by an address in this (the root) namespace? The interface, or null. */
export async function subnetTakenOnHost(base: string): Promise<string | null> {
  const r = await local.run(['ip', '-4', '-o', 'addr', 'show'])
  const line = r.stdout.split('\n').find((l) => l.includes(` inet ${base}.`))
  return line === undefined ? null : (line.trim().split(/\s+/)[1] ?? '?')
}

/** The lab's switch: a namespace with a bridge (`bridgeArgs`: its `ip link add … type bridge` options), up. */
export async function createSwitch(ns: string, bridge: string, bridgeArgs: string[]): Promise<void> {
  await createNetns(ns)
  await ip(['-n', ns, 'link', 'add', bridge, 'type', 'bridge', ...bridgeArgs])
  await Promise.all([ip(['-n', ns, 'link', 'set', 'lo', 'up']), ip(['-n', ns, 'link', 'set', bridge, 'up'])])
}

/** A new namespace on the switch: a veth pair, `port` on the bridge, `dev` with `mac` inside the namespace. */
export async function plugIntoSwitch(sw: {ns: string; bridge: string}, ns: string, port: string, dev: string, mac: string): Promise<void> {
  await createNetns(ns)
  await ip(['-n', sw.ns, 'link', 'add', port, 'type', 'veth', 'peer', 'name', dev, 'netns', ns])
  await ip(['-n', sw.ns, 'link', 'set', port, 'master', sw.bridge, 'up'])
  await ip(['-n', ns, 'link', 'set', dev, 'address', mac])
}

/** Give a namespace's `dev` its address (`cidr`, e.g. 10.66.0.11/24) and bring it and lo up. */
export async function addressUp(ns: string, dev: string, cidr: string): Promise<void> {
  await ip(['-n', ns, 'addr', 'add', cidr, 'dev', dev])
  await Promise.all([ip(['-n', ns, 'link', 'set', 'lo', 'up']), ip(['-n', ns, 'link', 'set', dev, 'up'])])
}

/** Which of these nodes hold the VIP right now (the addresses on their `dev`, read from this machine). */
export async function vipOwners(nodes: Array<{name: string; ns: string}>, vip: string, dev = 'eth0'): Promise<string[]> {
  const owners: string[] = []
  await Promise.all(
    nodes.map(async (n) => {
      const r = await local.run(['ip', '-n', n.ns, '-4', '-o', 'addr', 'show', 'dev', dev])
      if (r.code === 0 && r.stdout.split('\n').some((l) => l.includes(` ${vip}/`))) owners.push(n.name)
    }),
  )
  return owners.sort()
}

/**
 * The end of every `lab down`, after the topology stopped what it runs outside namespaces: delete the
 * namespaces the state names (nodes first, the switch — the name ending in `switchSuffix` — last), then
 * the lab directory. Without a state file nothing is provably ours: only `strayDir` lets the directory go.
 * `ended` counts the processes the topology already ended.
 */
export async function finishLabDown(a: {topology: string; prefix: string; dir: string; st: LabState | null; switchSuffix: string; ended: number; strayDir?: boolean}): Promise<LabDownResult> {
  const existing = new Set(await listNetns())
  const present = (a.st?.namespaces ?? []).filter((n) => existing.has(n))
  let ended = a.ended
  for (const ns of [...present].sort((x, y) => Number(x.endsWith(a.switchSuffix)) - Number(y.endsWith(a.switchSuffix)))) {
    ended += (await destroyNetns(ns)).killed.length
  }
  const wasUp = a.st !== null || present.length > 0
  const filesRemoved: string[] = []
  if (wasUp || (a.strayDir === true && existsSync(a.dir))) {
    rmSync(a.dir, {recursive: true, force: true})
    filesRemoved.push(a.dir)
  }
  return {topology: a.topology, prefix: a.prefix, wasUp, namespacesRemoved: present, processesEnded: ended, filesRemoved}
}
