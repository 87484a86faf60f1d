import {HachaosError, errorMessage} from '../errors.js'
import type {Executor} from '../exec/types.js'
import {executorFor, type InventoryHost} from '../inventory/inventory.js'
import {serviceControlFor} from '../services/control.js'
import {nowUs, sleep, type EpochMicros} from '../time.js'
import type {Action, HostRef} from './types.js'

export interface ActionResult {
  what: string
  ok: boolean
  t0: EpochMicros
  t1: EpochMicros
  detail: string
}

export function hostOf(ref: HostRef): InventoryHost {
  return {...ref.entry, name: ref.name}
}

export function execOf(ref: HostRef): Executor {
  return executorFor(hostOf(ref))
}

/** Run one action. Never throws for the action's own failure: the result says ok=false with why. */
export async function runAction(a: Action, opts: {timeoutMs?: number} = {}): Promise<ActionResult> {
  const t0 = nowUs()
  const done = (ok: boolean, detail: string): ActionResult => ({what: a.what, ok, t0, t1: nowUs(), detail})
  try {
    switch (a.type) {
      case 'sleep':
        await sleep(a.ms)
        return done(true, '')
      case 'exec': {
        const r = await execOf(a.host).run(a.argv, {timeoutMs: opts.timeoutMs ?? 30_000, ...(a.input === undefined ? {} : {input: a.input})})
        const ok = (a.okCodes ?? [0]).includes(r.code ?? -1)
        return {what: a.what, ok, t0: r.t0, t1: r.t1, detail: ok ? '' : `exit ${r.code ?? r.signal}: ${(r.stderr || r.stdout).trim().slice(0, 300)}`}
      }
      case 'signal': {
        const exec = execOf(a.host)
        const pids = await exec.pidsOf(a.comm)
        if (pids.length === 0) return done(a.ifAny === true, `no ${a.comm} process on ${a.host.name}`)
        const sig = a.signal.replace(/^SIG/, '')
        const r = await exec.run(['kill', '-s', sig, ...pids.map(String)])
        return {what: a.what, ok: r.code === 0, t0: r.t0, t1: r.t1, detail: r.code === 0 ? `pids ${pids.join(',')}` : r.stderr.trim()}
      }
      case 'service': {
        const exec = execOf(a.host)
        const ctl = await serviceControlFor(hostOf(a.host), exec, a.host.labState)
        if (a.op === 'start') await ctl.start(a.service)
        else await ctl.stop(a.service)
        return done(true, ctl.kind)
      }
    }
  } catch (e) {
    return done(false, errorMessage(e))
  }
}

export interface RevertOutcome {
  ok: boolean
  results: ActionResult[]
  errors: string[]
}

/**
 * Run every revert action, in order, even after one fails (each is idempotent), each under a fresh
 * timeout: a cancelled run must still heal.
 */
export async function runRevert(actions: Action[], timeoutMs = 30_000): Promise<RevertOutcome> {
  const results: ActionResult[] = []
  for (const a of actions) results.push(await runAction(a, {timeoutMs}))
  const errors = results.filter((r) => !r.ok).map((r) => `${r.what}: ${r.detail}`)
  return {ok: errors.length === 0, results, errors}
}

/**
 * Run inject actions in order; stop at the first failure (and say which). A `sleep` step between two steps
 * (e.g. drop-sync's hold before its failover) ends early when `signal` aborts, and the steps after it are
 * skipped: SIGINT/SIGTERM revert at once, not after the sleep.
 */
export async function runInject(actions: Action[], signal?: AbortSignal, onStep?: (index: number, r: ActionResult) => void): Promise<ActionResult[]> {
  const out: ActionResult[] = []
  for (const [i, a] of actions.entries()) {
    if (signal?.aborted === true) break
    if (a.type === 'sleep' && signal !== undefined) {
      const t0 = nowUs()
      await sleep(a.ms, signal).catch(() => undefined)
      out.push({what: a.what, ok: true, t0, t1: nowUs(), detail: signal.aborted ? 'cut short: interrupted' : ''})
      continue
    }
    const r = await runAction(a)
    if (r.ok) onStep?.(i, r)
    out.push(r)
    if (!r.ok) {
      throw new HachaosError(`fault injection failed: ${r.what}: ${r.detail}`, {
        code: 'E_INJECT',
        exit: 'HOST',
        where: a.type === 'sleep' ? undefined : a.host.name,
        suggestions: ['nothing was left broken: the revert runs anyway', 'try --dry-run to see the exact commands'],
      })
    }
  }
  return out
}
