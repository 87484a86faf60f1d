/**
 * This machine's processes, from /proc: a PID's start time (so that nothing ever signals a recycled PID), its
 * command line, whether it is alive. Linux only, like the rest of hachaos.
 */
import {readFileSync} from 'node:fs'

/**
 * The start time of PID: /proc/PID/stat field 22 (clock ticks since boot), or null when it is gone. A PID that
 * was recycled has another start time: a recorded (PID, start) names one process for ever.
 */
export function pidStartOf(pid: number): string | null {
  try {
    return startOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return null
  }
}

/** Field 22 (starttime) of a /proc/PID/stat line. */
export function startOfStat(stat: string): string | null {
  // comm (field 2) may hold spaces and parentheses: count the fields after the last ')', which is field 3.
  const close = stat.lastIndexOf(')')
  if (close < 0) return null
  const rest = stat.slice(close + 2).split(' ')
  return rest[22 - 3] ?? null
}

/** The argv of PID (/proc/PID/cmdline), or null when it is gone (or a kernel thread). */
export function cmdlineOf(pid: number): string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    if (raw === '') return null
    return raw.replace(/\0$/, '').split('\0')
  } catch {
    return null
  }
}

/** The state letter of PID (field 3: R, S, D, T, Z …), or null when it is gone. */
export function stateOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) || null
  } catch {
    return null
  }
}

/** Is PID alive (a process we may not signal counts as alive; a zombie waiting for its reaper does not)? */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  return stateOf(pid) !== 'Z'
}

/** Is this still the process recorded as (pid, start), and not a zombie? */
export function sameStart(pid: number, start: string | null | undefined): boolean {
  return start !== null && start !== undefined && pidStartOf(pid) === start && stateOf(pid) !== 'Z'
}
