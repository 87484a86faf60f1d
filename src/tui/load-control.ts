/**
 * `l` in the dashboard and `bond monitor --load`: one iperf3 load run at a time (runner.ts), started and
 * stopped from the monitor. The status line is all the dashboard needs; the result is kept for --json.
 */
import {errorMessage} from '../errors.js'
import type {LoadPlan} from '../iperf/plan.js'
import {formatBps} from '../iperf/result.js'
import {runLoad, type LoadOptions, type LoadResult} from '../iperf/runner.js'
import type {LoadControl} from './monitor.js'

export interface LoadControlHandle extends LoadControl {
  results: LoadResult[]
}

export function loadControl(plan: LoadPlan, opts: Omit<LoadOptions, 'signal' | 'onProgress'>): LoadControlHandle {
  let ac: AbortController | null = null
  let running: Promise<void> | null = null
  let startedAt = 0
  let last = 'idle'
  const results: LoadResult[] = []
  const start = (): void => {
    ac = new AbortController()
    startedAt = Date.now()
    last = 'starting'
    running = runLoad(plan.pairs, plan.servers, {...opts, signal: ac.signal, onProgress: () => undefined})
      .then((r) => {
        results.push(r)
        const failed = r.pairs.filter((p) => p.result === null)
        last = failed.length > 0 && failed.length === r.pairs.length ? `failed: ${failed[0]?.error ?? '?'}` : `last run ${formatBps(r.totals.receivedBps)} received${failed.length > 0 ? ` (${failed.length} failed)` : ''}`
      })
      .catch((e: unknown) => {
        last = `failed: ${errorMessage(e)}`
      })
      .finally(() => {
        ac = null
        running = null
      })
  }
  return {
    results,
    toggle() {
      if (ac !== null) ac.abort()
      else start()
    },
    status() {
      if (ac !== null) {
        const left = Math.max(0, opts.durationS - Math.round((Date.now() - startedAt) / 1000))
        return `running ${plan.pairs.map((p) => `${p.client.name}→${p.target.port}`).join(' ')} (${left} s left)`
      }
      return last
    },
    async stop() {
      ac?.abort()
      await running
    },
  }
}
