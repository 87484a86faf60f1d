/**
 * Root checks. Where hachaos needs root (network namespaces, nsenter, the bond lab's console socket), it says
 * so with exit 4 (ENVIRONMENT) and "needs root" in the message, instead of failing later on a symptom
 * (a missing interface, "no lab is up", an ERROR finding).
 */
import {HachaosError} from '../errors.js'

export function isRoot(): boolean {
  return typeof process.getuid !== 'function' || process.getuid() === 0
}

export function needsRootError(what: string, why: string, where?: string): HachaosError {
  return new HachaosError(`${what} needs root (${why})`, {
    code: 'E_NOT_ROOT',
    exit: 'ENVIRONMENT',
    ...(where === undefined ? {} : {where}),
    suggestions: ['run it as root, e.g. sudo hachaos …'],
  })
}

/** Throws E_NOT_ROOT (exit 4) unless we are root. */
export function requireRootFor(what: string, why: string, where?: string): void {
  if (!isRoot()) throw needsRootError(what, why, where)
}
