/**
 * Time in hachaos: every event carries `t`, epoch microseconds (CLOCK_REALTIME) on the host that observed it.
 * performance.timeOrigin is the high-resolution wall-clock time at process start; adding the monotonic
 * performance.now() gives µs resolution without the millisecond truncation of Date.now().
 */
import {performance} from 'node:perf_hooks'

export type EpochMicros = number

export function nowUs(): EpochMicros {
  return Math.round((performance.timeOrigin + performance.now()) * 1000)
}

export const usToMs = (us: number): number => us / 1000
export const msToUs = (ms: number): number => Math.round(ms * 1000)

export function isoFromUs(us: EpochMicros): string {
  return new Date(Math.floor(us / 1000)).toISOString()
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
      return
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = (): void => {
      clearTimeout(t)
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'))
    }
    signal?.addEventListener('abort', onAbort, {once: true})
  })
}

const UNIT_MS: Record<string, number> = {
  us: 0.001,
  µs: 0.001,
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

/**
 * Parse a duration such as `500ms`, `2.5s`, `1m30s`, `30d`, or a bare number of seconds.
 * Returns milliseconds, or throws a plain Error with what was wrong (callers wrap it).
 */
export function parseDuration(text: string): number {
  const s = text.trim()
  if (s === '') throw new Error('empty duration')
  if (s.startsWith('-')) throw new Error(`"${text}" is negative: durations are 0 or more (examples: 500ms, 2.5s, 1m30s, 30d)`)
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000
  const re = /(\d+(?:\.\d+)?)\s*(us|µs|ms|sec|min|s|m|h|d|w)/gy
  let total = 0
  let pos = 0
  let m: RegExpExecArray | null
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number)
    pos = re.lastIndex
  }
  if (pos !== s.length) throw new Error(`"${text}" is not a duration (examples: 500ms, 2.5s, 1m30s, 30d)`)
  return total
}

export function formatMs(ms: number | null | undefined, digits = 0): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—'
  if (Math.abs(ms) < 1000) return `${ms.toFixed(digits)} ms`
  if (Math.abs(ms) < 120_000) return `${(ms / 1000).toFixed(3)} s`
  const totalS = Math.round(ms / 1000)
  const h = Math.floor(totalS / 3600)
  const m = Math.floor((totalS % 3600) / 60)
  const sec = totalS % 60
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m${String(sec).padStart(2, '0')}s` : `${m}m${String(sec).padStart(2, '0')}s`
}
