/**
 * One drill per target: a lock file per key (a host of a lab or an address, see src/drill/drill-lock.ts),
 * created with O_EXCL, naming the PID (and its start time, against recycled PIDs), the run id and what holds
 * it. A second holder is refused at once (exit code BUSY) with the holder's PID and run id; a lock whose
 * process is gone is stale and taken over (the caller is told, to warn).
 *
 * The locks live on this machine (they guard what this machine's drills do to the hosts), in one directory for
 * every $HACHAOS_HOME: $HACHAOS_LOCK_DIR, else /run/hachaos/locks as root, else $XDG_RUNTIME_DIR (or the temp
 * directory)/hachaos-locks-UID. /run is emptied at boot, when every PID in a lock is meaningless anyway.
 * Hand-written (no npm lock library): proper-lockfile & co. lock by mtime refresh and know nothing of PIDs or
 * run ids, which is what the refusal must name.
 */
import {closeSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync} from 'node:fs'
import {hostname, tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {HachaosError} from '../errors.js'
import {pidStartOf} from '../util/proc.js'
import {storeWrite, storeWriteError} from './store-error.js'

export interface LockHolder {
  schema: 'hachaos.lock/1'
  key: string
  pid: number
  /** Start time of the PID (/proc/PID/stat field 22, clock ticks since boot): a recycled PID differs. */
  pidStart: string | null
  machine: string
  runId: string
  /** e.g. "failover --target lb1 --fault nic-down" or "recover". */
  what: string
  since: string
}

export function lockDir(): string {
  const env = process.env['HACHAOS_LOCK_DIR']
  if (env !== undefined && env !== '') return env
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1
  if (uid === 0) return '/run/hachaos/locks'
  const base = process.env['XDG_RUNTIME_DIR']
  return join(base !== undefined && base !== '' ? base : tmpdir(), `hachaos-locks-${uid}`)
}

const SAFE = /[^A-Za-z0-9_.-]+/g
export function lockFile(key: string, dir = lockDir()): string {
  return join(dir, `${key.replace(SAFE, '_').slice(0, 120)}.lock`)
}

export {pidStartOf} from '../util/proc.js'

/** Is the holder's process still the one that took the lock? */
export function holderAlive(h: LockHolder): boolean {
  if (h.machine !== hostname()) return true // another machine's drill: we cannot tell; never steal it
  try {
    process.kill(h.pid, 0)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const start = pidStartOf(h.pid)
  return start !== null && (h.pidStart === null || start === h.pidStart)
}

function readHolder(file: string): LockHolder | 'missing' | 'garbled' {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'garbled'
  }
  try {
    const h = JSON.parse(text) as LockHolder
    return h.schema === 'hachaos.lock/1' && typeof h.pid === 'number' ? h : 'garbled'
  } catch {
    return 'garbled'
  }
}

export interface LockOptions {
  runId: string
  what: string
  /** A stale lock was taken over (its holder is gone): say so. */
  onStale?: (key: string, was: LockHolder | null) => void
  /**
   * Before a stale lock is taken over: a reason to refuse instead (e.g. the dead drill left a fault that
   * `hachaos recover` must revert first), or null.
   */
  refuseStale?: (was: LockHolder) => HachaosError | null
  /** Take over a lock held by this run id even when its holder lives (recover taking its dead drill's locks). */
  ownerRunId?: string
  dir?: string
}

export function busyError(h: LockHolder, key: string, file: string): HachaosError {
  const who = h.what === 'recover' ? '`hachaos recover`' : `drill run ${h.runId}`
  return new HachaosError(`${key.replace(/^[a-z]+:/, '')} is busy: ${who} (PID ${h.pid}${h.machine === hostname() ? '' : ` on ${h.machine}`}, since ${h.since}) holds it`, {
    code: 'E_BUSY',
    exit: 'BUSY',
    where: file,
    suggestions: [
      `wait for it to end (${h.what}), then run this again`,
      `if PID ${h.pid} is not a hachaos drill any more, delete ${file}`,
    ],
  })
}

/** A set of locks taken together (all or none) and released together. */
export class LockSet {
  private readonly held = new Map<string, string>()

  constructor(private readonly o: LockOptions) {}

  get keys(): string[] {
    return [...this.held.keys()]
  }

  /** Take these keys (in sorted order, so two drills never wait on each other crosswise). All or none. */
  acquire(keys: string[]): void {
    const fresh = [...new Set(keys)].filter((k) => !this.held.has(k)).sort()
    const got: string[] = []
    try {
      for (const k of fresh) {
        this.take(k)
        got.push(k)
      }
    } catch (e) {
      for (const k of got) this.releaseOne(k)
      throw e
    }
  }

  private take(key: string): void {
    const dir = this.o.dir ?? lockDir()
    const file = lockFile(key, dir)
    storeWrite(dir, 'the lock directory', () => {
      // only the lock directory itself is private: `recursive` would give a missing parent its mode too, and a
      // 0700 /run/hachaos made by the first lock hid the labs under it from their daemons' users (the
      // keepalived lab's apache2, running as www-data, answered 403 to every check)
      mkdirSync(dirname(dir), {recursive: true})
      mkdirSync(dir, {recursive: true, mode: 0o700})
    })
    const me: LockHolder = {schema: 'hachaos.lock/1', key, pid: process.pid, pidStart: pidStartOf(process.pid), machine: hostname(), runId: this.o.runId, what: this.o.what, since: new Date().toISOString()}
    for (let attempt = 0; attempt < 20; attempt++) {
      let fd: number | undefined
      try {
        fd = openSync(file, 'wx', 0o600)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw storeWriteFailure(e, file)
      }
      if (fd !== undefined) {
        try {
          writeSync(fd, `${JSON.stringify(me)}\n`)
        } finally {
          closeSync(fd)
        }
        this.held.set(key, file)
        return
      }
      const h = readHolder(file)
      if (h === 'missing') continue
      if (h === 'garbled') {
        // Being written this very moment, or left empty by a crash between create and write.
        let age = 0
        try {
          age = Date.now() - statSync(file).mtimeMs
        } catch {
          continue
        }
        if (age < 1000) {
          sleepSync(20)
          continue
        }
        if (this.stealStale(file, null, key)) continue
        continue
      }
      if (h.runId === this.o.runId && h.pid === process.pid) {
        this.held.set(key, file)
        return
      }
      const mine = this.o.ownerRunId !== undefined && h.runId === this.o.ownerRunId
      if (holderAlive(h) && !mine) throw busyError(h, key, file)
      if (!mine) {
        const refusal = this.o.refuseStale?.(h) ?? null
        if (refusal !== null) throw refusal
      }
      this.stealStale(file, h, key, mine)
    }
    throw new HachaosError(`could not take the lock ${file}: it kept changing hands`, {code: 'E_BUSY', exit: 'BUSY', where: file, suggestions: ['another hachaos is starting on the same target: try again in a moment']})
  }

  /**
   * Move a stale lock out of the way. rename() is atomic: of two processes taking over the same stale lock
   * only one moves it. If what was moved is not what we judged stale (a new holder took it between our read
   * and our rename), it is put back.
   */
  private stealStale(file: string, was: LockHolder | null, key: string, quiet = false): boolean {
    const aside = `${file}.stale-${process.pid}`
    try {
      renameSync(file, aside)
    } catch {
      return false
    }
    const moved = readHolder(aside)
    const same = was === null ? moved === 'garbled' : moved !== 'missing' && moved !== 'garbled' && moved.pid === was.pid && moved.runId === was.runId
    if (!same) {
      try {
        linkSync(aside, file)
      } catch {
        // someone holds it again: ours is lost anyway
      }
      unlinkQuiet(aside)
      return false
    }
    unlinkQuiet(aside)
    if (!quiet) this.o.onStale?.(key, was)
    return true
  }

  private releaseOne(key: string): void {
    const file = this.held.get(key)
    if (file === undefined) return
    this.held.delete(key)
    const h = readHolder(file)
    if (h !== 'missing' && h !== 'garbled' && h.pid === process.pid && h.runId === this.o.runId) unlinkQuiet(file)
  }

  /** Release every lock of the set (only files still naming us). Idempotent. */
  release(): void {
    for (const k of [...this.held.keys()]) this.releaseOne(k)
  }
}

function unlinkQuiet(file: string): void {
  try {
    unlinkSync(file)
  } catch {
    // gone already
  }
}

function storeWriteFailure(e: unknown, file: string): HachaosError {
  return storeWriteError(e, file, 'the lock file')
}

/** A short synchronous wait (lock contention only: ≤ 20 ms at a time, a few times at most). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/**
 * Remove every lock whose holder is gone (a drill killed before it journaled anything still held its target's
 * lock). Returns what was removed. Locks of live holders and of other machines stay.
 */
export function sweepStaleLocks(dir = lockDir()): Array<{file: string; holder: LockHolder | null}> {
  let names: string[] = []
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.lock'))
  } catch {
    return []
  }
  const out: Array<{file: string; holder: LockHolder | null}> = []
  for (const n of names) {
    const file = join(dir, n)
    const h = readHolder(file)
    if (h === 'missing') continue
    if (h === 'garbled') {
      try {
        if (Date.now() - statSync(file).mtimeMs < 5000) continue
      } catch {
        continue
      }
    } else if (holderAlive(h)) continue
    const aside = `${file}.sweep-${process.pid}`
    try {
      renameSync(file, aside)
    } catch {
      continue
    }
    const moved = readHolder(aside)
    if (h !== 'garbled' && (moved === 'missing' || moved === 'garbled' || moved.pid !== h.pid || moved.runId !== h.runId)) {
      // taken by a live drill between our read and our rename: put it back
      try {
        linkSync(aside, file)
      } catch {
        // lost: the new holder's release will find nothing to remove
      }
      unlinkQuiet(aside)
      continue
    }
    unlinkQuiet(aside)
    out.push({file, holder: h === 'garbled' ? null : h})
  }
  return out
}
