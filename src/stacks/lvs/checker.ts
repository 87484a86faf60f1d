/**
 * The health checker keepalived runs for one real server of one virtual_server, read from keepalived.conf
 * (the director's `virtual_server` → `real_server` → TCP_CHECK / HTTP_GET / SSL_GET block), with
 * keepalived 2.2.7's defaults for what the file leaves out: delay_loop 60 s (virtual_server; a checker may
 * override it), connect_timeout 5 s, retry 1 (HTTP_GET/SSL_GET also read the older nb_get_retry),
 * delay_before_retry 1 s. Pure: text in (the parsed config), timers out.
 */
import type {KaDirective, KaRealServer, KaVirtualServer, KeepalivedConfig} from '../../config/keepalived.js'
import type {CheckerTimers} from './predict.js'

export const CHECKER_DEFAULTS = {delayLoopS: 60, connectTimeoutS: 5, retry: 1, delayBeforeRetryS: 1} as const

/** Checker kinds whose timing the formula models (MISC_CHECK runs a script with its own misc_timeout). */
const TIMED = new Set(['TCP_CHECK', 'HTTP_GET', 'SSL_GET'])

export interface CheckerOf extends CheckerTimers {
  kind: string
  vs: KaVirtualServer
  real: KaRealServer
  /** Where the checker block is (file:line), for the prediction's text. */
  where: string
}

function number(d: KaDirective | undefined): number | null {
  const v = d?.args[0]
  if (v === undefined) return null
  const n = Number(v)
  return Number.isFinite(n) && n >= 0 ? n : null
}

/** The checker of real server `realIp` (port `port`, 0: any) in the virtual_server for `vip`:`port`; null when there is none. */
export function checkerFor(cfg: KeepalivedConfig, vip: string, port: number, realIp: string): CheckerOf | null {
  for (const vs of cfg.virtualServers) {
    if (vs.kind !== 'ip' || vs.address !== vip || (port !== 0 && vs.port !== port)) continue
    const real = vs.realServers.find((r) => r.address === realIp)
    if (real === undefined) continue
    const block = real.raw.find((d) => TIMED.has(d.keyword) || d.keyword === 'MISC_CHECK')
    if (block === undefined) return null
    const inner = block.block ?? []
    const get = (...keys: string[]): number | null => {
      for (const k of keys) {
        const v = number(inner.find((d) => d.keyword === k))
        if (v !== null) return v
      }
      return null
    }
    return {
      kind: block.keyword,
      vs,
      real,
      where: `${block.file}:${block.line}`,
      delayLoopS: get('delay_loop') ?? vs.delayLoop ?? CHECKER_DEFAULTS.delayLoopS,
      connectTimeoutS: get('connect_timeout') ?? CHECKER_DEFAULTS.connectTimeoutS,
      retry: get('retry', 'nb_get_retry') ?? CHECKER_DEFAULTS.retry,
      delayBeforeRetryS: get('delay_before_retry') ?? CHECKER_DEFAULTS.delayBeforeRetryS,
    }
  }
  return null
}
