/**
 * The health checker keepalived runs for one real server of one virtual_server, read from keepalived.conf
 * (the director's `virtual_server` → `real_server` → TCP_CHECK / HTTP_GET / SSL_GET block), with
 * keepalived 2.2.7's defaults for what the file leaves out: delay_loop 60 s (virtual_server; a checker may
 * override it), connect_timeout 5 s, retry 1 (HTTP_GET/SSL_GET also read the older nb_get_retry),
 * delay_before_retry 1 s. Pure: text in (the parsed config), timers out.
 *
 * MISC_CHECK runs misc_path; keepalived kills it after misc_timeout (default: the checker's delay_loop), and
 * retry / delay_before_retry apply to it as to the other checkers (keepalived 2.x: common checker keywords).
 * A failing attempt lasts ≈ 0 when the script fails at once (connection refused) and, for a blackhole, the
 * script's own timeout when misc_path states one (`timeout [-s SIG] N …`, busybox or coreutils) and it is
 * shorter, else misc_timeout. That per-attempt bound is returned as connectTimeoutS.
 */
import type {KaDirective, KaRealServer, KaVirtualServer, KeepalivedConfig} from '../../config/keepalived.js'
import type {CheckerTimers} from './predict.js'

export const CHECKER_DEFAULTS = {delayLoopS: 60, connectTimeoutS: 5, retry: 1, delayBeforeRetryS: 1} as const

/** Checker kinds whose timing the formula models. */
const TIMED = new Set(['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'MISC_CHECK'])

export interface CheckerOf extends CheckerTimers {
  kind: string
  /** MISC_CHECK: keepalived's misc_timeout and the timeout misc_path states (null: none stated). */
  miscTimeoutS?: number
  scriptTimeoutS?: number | null
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
    const block = real.raw.find((d) => TIMED.has(d.keyword))
    if (block === undefined) return null
    const inner = block.block ?? []
    const get = (...keys: string[]): number | null => {
      for (const k of keys) {
        const v = number(inner.find((d) => d.keyword === k))
        if (v !== null) return v
      }
      return null
    }
    const delayLoopS = get('delay_loop') ?? vs.delayLoop ?? CHECKER_DEFAULTS.delayLoopS
    let misc: Pick<CheckerOf, 'miscTimeoutS' | 'scriptTimeoutS'> = {}
    let attemptS = get('connect_timeout') ?? CHECKER_DEFAULTS.connectTimeoutS
    if (block.keyword === 'MISC_CHECK') {
      const miscTimeoutS = get('misc_timeout') ?? delayLoopS
      const path = inner.find((d) => d.keyword === 'misc_path')?.args ?? []
      const scriptTimeoutS = scriptTimeout(path)
      misc = {miscTimeoutS, scriptTimeoutS}
      attemptS = scriptTimeoutS === null ? miscTimeoutS : Math.min(scriptTimeoutS, miscTimeoutS)
    }
    return {
      kind: block.keyword,
      vs,
      real,
      where: `${block.file}:${block.line}`,
      ...misc,
      delayLoopS,
      connectTimeoutS: attemptS,
      retry: get('retry', 'nb_get_retry') ?? CHECKER_DEFAULTS.retry,
      delayBeforeRetryS: get('delay_before_retry') ?? CHECKER_DEFAULTS.delayBeforeRetryS,
    }
  }
  return null
}

/**
 * The timeout a misc_path states in front of its command: `[/path/]timeout [-s SIG|-k T|--signal=SIG…] N cmd…`
 * (N in seconds, an optional s suffix); null when it states none. keepalived may hand the whole line as one
 * quoted argument: it is split on blanks here (the line is the config's, not a shell's).
 */
export function scriptTimeout(args: readonly string[]): number | null {
  const words = args.flatMap((a) => a.split(/\s+/)).filter((w) => w !== '')
  if (words.length === 0 || !/(^|\/)timeout$/.test(words[0] as string)) return null
  for (let i = 1; i < words.length; i++) {
    const w = words[i] as string
    if (w === '-s' || w === '-k') {
      i++
      continue
    }
    if (w.startsWith('-')) continue
    const m = /^(\d+(?:\.\d+)?)s?$/.exec(w)
    return m?.[1] === undefined ? null : Number(m[1])
  }
  return null
}
