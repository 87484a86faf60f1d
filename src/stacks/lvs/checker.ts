/**
 * The health checker keepalived runs for one real server of one virtual_server, read from keepalived.conf
 * (the director's `virtual_server` → `real_server` → TCP_CHECK / HTTP_GET / SSL_GET / MISC_CHECK block). Each
 * timer is the checker's own, else the real_server's, else the virtual_server's, else keepalived's default —
 * the order keepalived 2.x resolves them in (keepalived/keepalived, keepalived/check/check_data.c,
 * validate_check_config(): "Take default values from virtual server" for retry, connect_timeout, delay_loop,
 * delay_before_retry, then "Take default values from real server" for each checker). The defaults, from the
 * same source:
 *   delay_loop          60 s   alloc_vs(): `delay_loop = KEEPALIVED_DEFAULT_DELAY` (check_data.h: 60 * TIMER_HZ)
 *   connect_timeout      5 s   alloc_vs(): `connection_to = 5 * TIMER_HZ`
 *   retry                1     check_api.c queue_checker(): `default_retry = 1` (HTTP_GET/SSL_GET also read the
 *                              deprecated nb_get_retry)
 *   delay_before_retry   1 s   check_api.c queue_checker(): `default_delay_before_retry = 1 * TIMER_HZ`;
 *                       3 s   for HTTP_GET and SSL_GET (check_http.c http_get_handler():
 *                              `default_delay_before_retry = 3 * TIMER_HZ`)
 * Pure: text in (the parsed config), timers out.
 *
 * MISC_CHECK runs misc_path; keepalived kills it after misc_timeout (default: the checker's delay_loop), and
 * retry / delay_before_retry apply to it as to the other checkers (keepalived 2.x: common checker keywords).
 * A failing attempt lasts ≈ 0 when the script fails at once (connection refused) and, for a blackhole, the
 * script's own timeout when misc_path states one (`timeout [-s SIG] N …`, busybox or coreutils) and it is
 * shorter, else misc_timeout. That per-attempt bound is returned as connectTimeoutS.
 */
import type {Loc} from '../../config/common.js'
import type {KaDirective, KaRealServer, KaVirtualServer, KeepalivedConfig} from '../../config/keepalived.js'
import type {CheckerTimers} from './predict.js'

export const CHECKER_DEFAULTS = {delayLoopS: 60, connectTimeoutS: 5, retry: 1, delayBeforeRetryS: 1} as const
/** HTTP_GET and SSL_GET wait longer between attempts by default (check_http.c: 3 s). */
export const HTTP_DELAY_BEFORE_RETRY_S = 3

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
  at: Loc
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
    return block === undefined ? null : timersOf(vs, real, block)
  }
  return null
}

/** Every checker whose timing the formula models (TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK), of every real server of every virtual_server, in file order. */
export function allCheckers(cfg: KeepalivedConfig): CheckerOf[] {
  return cfg.virtualServers.flatMap((vs) => vs.realServers.flatMap((real) => real.raw.filter((d) => TIMED.has(d.keyword)).map((block) => timersOf(vs, real, block))))
}

/** One checker's timers: its own, else the real_server's, else the virtual_server's, else keepalived's defaults. */
function timersOf(vs: KaVirtualServer, real: KaRealServer, block: KaDirective): CheckerOf {
  const inner = block.block ?? []
  const get = (...keys: string[]): number | null => {
    for (const scope of [inner, real.raw, vs.raw]) {
      for (const k of keys) {
        // nb_get_retry is a checker keyword only (HTTP_GET / SSL_GET)
        if (k === 'nb_get_retry' && scope !== inner) continue
        const v = number(scope.find((d) => d.keyword === k))
        if (v !== null) return v
      }
    }
    return null
  }
  const delayLoopS = get('delay_loop') ?? CHECKER_DEFAULTS.delayLoopS
  let misc: Pick<CheckerOf, 'miscTimeoutS' | 'scriptTimeoutS'> = {}
  let attemptS = get('connect_timeout') ?? CHECKER_DEFAULTS.connectTimeoutS
  if (block.keyword === 'MISC_CHECK') {
    const miscTimeoutS = number(inner.find((d) => d.keyword === 'misc_timeout')) ?? delayLoopS
    const path = inner.find((d) => d.keyword === 'misc_path')?.args ?? []
    const scriptTimeoutS = scriptTimeout(path)
    misc = {miscTimeoutS, scriptTimeoutS}
    attemptS = scriptTimeoutS === null ? miscTimeoutS : Math.min(scriptTimeoutS, miscTimeoutS)
  }
  const http = block.keyword === 'HTTP_GET' || block.keyword === 'SSL_GET'
  return {
    kind: block.keyword,
    vs,
    real,
    where: `${block.file}:${block.line}`,
    at: {file: block.file, line: block.line},
    ...misc,
    delayLoopS,
    connectTimeoutS: attemptS,
    retry: get('retry', 'nb_get_retry') ?? CHECKER_DEFAULTS.retry,
    delayBeforeRetryS: get('delay_before_retry') ?? (http ? HTTP_DELAY_BEFORE_RETRY_S : CHECKER_DEFAULTS.delayBeforeRetryS),
  }
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
