/**
 * Heartbeat 3 (v1 style) configuration: /etc/ha.d/ha.cf, /etc/ha.d/haresources and /etc/ha.d/authkeys.
 * Format from heartbeat's config.c (one directive per line, `name value…`, `#` comments, order matters for
 * udpport before the media) and the package's commented samples (/usr/share/doc/heartbeat/). Hand-written:
 * three line formats of a few directives each; no npm reader exists for them.
 * They are format readers like the other src/config/ files (the doctor's HostConfigs holds them); what is
 * Heartbeat's live behaviour (cl_status, ha-log, prediction, rules, lab) is in src/stacks/heartbeat/.
 */
import {type Loc, configError, splitLines} from './common.js'

export type HbMediumType = 'ucast' | 'bcast' | 'mcast' | 'serial' | 'ucast6' | 'mcast6'

/**
 * One communication path (`ucast eth0 10.0.0.2`, `bcast eth0 eth1`, `mcast eth0 239.0.0.1 694 1 0`, `serial /dev/ttyS0`,
 * and the IPv6 plugins of ha.cf(5): `ucast6 eth1 fe80::5054:ff:fe29:3949`, `mcast6 eth0 ff12::1:2:3:4 694 1 0`).
 */
export interface HbMedium extends Loc {
  type: HbMediumType
  /** The interface (ucast/bcast/mcast) or the serial device. */
  dev: string
  args: string[]
}

/** A time directive: its value in ms and where it was written. */
export interface HbTime extends Loc {
  ms: number
  /** As written (`200ms`, `5`). */
  text: string
}

export interface HaCf {
  file: string
  keepalive?: HbTime
  warntime?: HbTime
  deadtime?: HbTime
  initdead?: HbTime
  udpport?: number
  media: HbMedium[]
  /**
   * on | off | legacy (any of Heartbeat's booleans read as on/off), with its line. Absent: Heartbeat's default,
   * legacy. `directive` nice_failback: set by that obsolete line (read as heartbeat reads it).
   */
  autoFailback?: {value: string; directive?: 'nice_failback'} & Loc
  nodes: Array<{name: string} & Loc>
  /** `crm` (or `pacemaker`): yes/respawn/on = Pacemaker manages resources, no/off = v1 haresources. */
  crm?: {value: string} & Loc
  /** `stonith` / `stonith_host` lines (v1 fencing). */
  stonith: Array<{directive: string; value: string} & Loc>
  /** `ping` / `ping_group` / `respawn … ipfail` (quorum-ish helpers), by directive. */
  directives: Record<string, Array<{value: string} & Loc>>
}

/**
 * Heartbeat's defaults when the directive is absent (heartbeat/config.c, init_config): keepalive 1000 ms,
 * deadtime 30000 ms; warntime and initdead have none of their own but are derived from deadtime — see
 * defaultWarntimeMs / defaultInitdeadMs. (The commented values in the sample ha.cf — keepalive 2, warntime 10,
 * initdead 120 — are examples, not defaults.)
 */
export const HB_DEFAULTS = {keepaliveMs: 1000, deadtimeMs: 30_000}

/** warntime when ha.cf has none: deadtime / 2 (config.c: `warntime_ms = deadtime_ms/2`). */
export function defaultWarntimeMs(deadtimeMs: number): number {
  return Math.trunc(deadtimeMs / 2)
}

/** initdead when ha.cf has none (config.c): deadtime above 10 s → deadtime; below 6 s → 12 s; else 2 × deadtime. */
export function defaultInitdeadMs(deadtimeMs: number): number {
  if (deadtimeMs > 10_000) return deadtimeMs
  return deadtimeMs < 6000 ? 12_000 : 2 * deadtimeMs
}

/** Heartbeat's booleans (cl_str_to_boolean, listed in the sample ha.cf): true, on, yes, y, 1 / false, off, no, n, 0; any case. */
export function hbBoolean(s: string): boolean | undefined {
  const v = s.toLowerCase()
  if (['true', 'on', 'yes', 'y', '1'].includes(v)) return true
  if (['false', 'off', 'no', 'n', '0'].includes(v)) return false
  return undefined
}

const WHAT = 'ha.cf'

/**
 * Heartbeat's time values: a number (seconds, fractions allowed) or a number with a unit `ms`, `s` or `us`
 * (heartbeat's get_msec). undefined when it is not one.
 */
export function hbTimeMs(s: string): number | undefined {
  const m = /^(\d+(?:\.\d*)?|\.\d+)(ms|s|us)?$/i.exec(s.trim())
  if (m === null) return undefined
  const n = Number(m[1])
  const unit = (m[2] ?? 's').toLowerCase()
  return Math.round(unit === 'ms' ? n : unit === 'us' ? n / 1000 : n * 1000)
}

/** ha.cf text as hachaos writes it back: whole seconds bare (`5`), otherwise in ms (`200ms`). */
export function hbTimeText(ms: number): string {
  return ms % 1000 === 0 ? String(ms / 1000) : `${ms}ms`
}

const TIMES = ['keepalive', 'warntime', 'deadtime', 'initdead'] as const

/** Parse ha.cf. Throws HachaosError (BAD_INPUT, file:line) on a malformed directive. */
export function parseHaCf(text: string, opts: {file: string}): HaCf {
  const file = opts.file
  const out: HaCf = {file, media: [], nodes: [], stonith: [], directives: {}}
  const lines = splitLines(text)
  for (let i = 0; i < lines.length; i++) {
    const loc: Loc = {file, line: i + 1}
    const t = (lines[i] ?? '').replace(/#.*$/, '').trim()
    if (t === '') continue
    const words = t.split(/\s+/)
    const key = (words[0] ?? '').toLowerCase()
    const rest = words.slice(1)
    const value = rest.join(' ')
    if ((TIMES as readonly string[]).includes(key)) {
      // heartbeat's cl_get_msec knows ms and us but not s: "5s" makes heartbeat refuse the file
      if (/^[\d.]+s$/i.test(value)) throw configError(WHAT, loc, `${key} "${value}": Heartbeat's time syntax has no "s" unit (heartbeat refuses to start)`, `write "${key} ${value.slice(0, -1)}" (bare numbers are seconds) or "${key} ${value.slice(0, -1)}000ms"`)
      const ms = hbTimeMs(value)
      if (ms === undefined || rest.length !== 1) throw configError(WHAT, loc, `${key} "${value}" is not a time`, `write e.g. "${key} 5" (seconds) or "${key} 500ms"`)
      // config.c: keepalive and warntime must be above 0 (heartbeat refuses to start); deadtime and initdead may be 0
      if (ms <= 0 && (key === 'keepalive' || key === 'warntime')) throw configError(WHAT, loc, `${key} ${value}: must be above 0 (heartbeat refuses to start)`, `e.g. "${key} ${key === 'keepalive' ? 1 : 3}"`)
      out[key as (typeof TIMES)[number]] = {ms, text: value, ...loc}
      continue
    }
    switch (key) {
      case 'udpport': {
        const n = Number(value)
        if (!Number.isInteger(n) || n < 1 || n > 65535) throw configError(WHAT, loc, `udpport "${value}" is not a port`, 'write e.g. "udpport 694"')
        out.udpport = n
        break
      }
      case 'ucast':
      case 'ucast6':
      case 'bcast':
      case 'mcast':
      case 'mcast6':
      case 'serial': {
        if (rest.length === 0) throw configError(WHAT, loc, `${key} without an interface`, key.startsWith('ucast') ? `write "${key} eth0 PEER-ADDRESS"` : `write "${key} eth0 …"`)
        if ((key === 'ucast' || key === 'ucast6') && rest.length !== 2) throw configError(WHAT, loc, `${key} wants an interface and one peer address, got "${value}"`, `write one line per peer: "${key} eth0 ${key === 'ucast' ? '10.0.0.12' : 'fe80::5054:ff:fe29:3949'}"`)
        if ((key === 'mcast' || key === 'mcast6') && rest.length !== 5) throw configError(WHAT, loc, `${key} wants "dev group port ttl loop", got "${value}"`, key === 'mcast' ? 'e.g. "mcast eth0 239.0.0.1 694 1 0"' : 'e.g. "mcast6 eth0 ff12::1:2:3:4 694 1 0"')
        if (key === 'bcast' || key === 'serial') {
          // several interfaces/devices on one line: each is a path of its own
          for (const d of rest) out.media.push({type: key, dev: d, args: [], ...loc})
        } else {
          out.media.push({type: key, dev: rest[0] as string, args: rest.slice(1), ...loc})
        }
        break
      }
      case 'auto_failback': {
        // config.c set_auto_failback: any boolean, or legacy
        const b = hbBoolean(value)
        if (b === undefined && value.toLowerCase() !== 'legacy') throw configError(WHAT, loc, `auto_failback "${value}": on, off (or another boolean: yes/no, true/false, y/n, 1/0) or legacy`, 'write "auto_failback off"')
        out.autoFailback = {value: b === undefined ? 'legacy' : b ? 'on' : 'off', ...loc}
        break
      }
      case 'nice_failback': {
        // obsolete. config.c set_nice_failback tests the global nice_failback, not the value written: on or off,
        // it becomes auto_failback legacy ("has been strictly interpreted as 'auto_failback legacy'"), unless an
        // auto_failback on/off line came before it (then off)
        const b = hbBoolean(value)
        if (b === undefined) throw configError(WHAT, loc, `nice_failback "${value}": on or off (obsolete: write auto_failback instead)`, 'write "auto_failback off"')
        const before = out.autoFailback?.value
        out.autoFailback = {value: before === 'on' || before === 'off' ? 'off' : 'legacy', directive: 'nice_failback', ...loc}
        ;(out.directives[key] ??= []).push({value, ...loc})
        break
      }
      case 'node':
        if (rest.length === 0) throw configError(WHAT, loc, 'node without a name', 'write "node NAME" (uname -n of each node)')
        for (const n of rest) out.nodes.push({name: n, ...loc})
        break
      case 'crm':
      case 'pacemaker':
        out.crm = {value: value.toLowerCase(), ...loc}
        break
      case 'stonith':
      case 'stonith_host':
        out.stonith.push({directive: key, value, ...loc})
        break
      default:
        ;(out.directives[key] ??= []).push({value, ...loc})
    }
  }
  return out
}

/** The effective timers (ms): written ones, else Heartbeat's defaults (warntime and initdead derived from deadtime as heartbeat does). */
export function haCfTimers(c: HaCf): {keepaliveMs: number; warntimeMs: number; deadtimeMs: number; initdeadMs: number} {
  const deadtimeMs = c.deadtime?.ms ?? HB_DEFAULTS.deadtimeMs
  return {
    keepaliveMs: c.keepalive?.ms ?? HB_DEFAULTS.keepaliveMs,
    warntimeMs: c.warntime?.ms ?? defaultWarntimeMs(deadtimeMs),
    deadtimeMs,
    initdeadMs: c.initdead?.ms ?? defaultInitdeadMs(deadtimeMs),
  }
}

/** Whether ha.cf hands the resources to Pacemaker (`crm yes|respawn|on`) rather than to haresources. */
export function crmEnabled(c: HaCf): boolean {
  return c.crm !== undefined && ['yes', 'on', 'respawn', 'true'].includes(c.crm.value)
}

/**
 * One resource of a haresources group: `IPaddr::10.0.0.50/24/eth0` → agent IPaddr, args [10.0.0.50/24/eth0];
 * a bare address (`10.0.0.50/24/eth0`) is the same IPaddr resource (Heartbeat implies the agent).
 */
export interface HbResource {
  text: string
  agent: string
  args: string[]
}

/** One haresources line: the preferred node and its resource group (started left to right). */
export interface HbResourceGroup extends Loc {
  node: string
  resources: HbResource[]
}

export interface Haresources {
  file: string
  groups: HbResourceGroup[]
}

/** A bare IPv4 service address in haresources, optionally with /prefix[/interface][/broadcast]. */
const BARE_ADDRESS = /^\d{1,3}(\.\d{1,3}){3}(\/[^:\s]*)?$/

/** Parse haresources (`NODE RES[::ARG[::ARG]] …`, `\` continues a line). Throws HachaosError (BAD_INPUT). */
export function parseHaresources(text: string, opts: {file: string}): Haresources {
  const file = opts.file
  const groups: HbResourceGroup[] = []
  const lines = splitLines(text)
  for (let i = 0; i < lines.length; i++) {
    const first = i + 1
    let t = (lines[i] ?? '').replace(/#.*$/, '')
    while (/\\\s*$/.test(t) && i + 1 < lines.length) {
      i++
      t = `${t.replace(/\\\s*$/, ' ')}${(lines[i] ?? '').replace(/#.*$/, '')}`
    }
    t = t.trim()
    if (t === '') continue
    const words = t.split(/\s+/)
    const node = words[0] as string
    if (words.length < 2) throw configError('haresources', {file, line: first}, `node ${node} has no resources`, 'write "NODE IPaddr::VIP/24/eth0 SERVICE"')
    const resources = words.slice(1).map((w): HbResource => {
      // "In the case of IP addresses, the resource script name IPaddr is implied" (the sample haresources):
      // 135.9.216.110 and 135.9.216.3/28/eth0/135.9.216.12 are IPaddr::… resources
      if (BARE_ADDRESS.test(w)) return {text: w, agent: 'IPaddr', args: [w]}
      const [agent, ...args] = w.split('::')
      return {text: w, agent: agent ?? w, args}
    })
    groups.push({node, resources, file, line: first})
  }
  return {file, groups}
}

/** The address of an IPaddr/IPaddr2 resource (`IPaddr::10.0.0.50/24/eth0` or bare `10.0.0.50/24/eth0` → 10.0.0.50), else null. */
export function resourceVip(r: HbResource): string | null {
  if (!/^IPaddr2?$/.test(r.agent)) return null
  const a = r.args[0]
  if (a === undefined) return null
  return a.split('/')[0] ?? null
}

/** authkeys: which key is used and the methods; the secrets are never kept (redacted). */
export interface Authkeys {
  file: string
  /** The key number `auth N` selects. */
  auth?: {index: number} & Loc
  keys: Array<{index: number; method: string; secret: '<redacted>'} & Loc>
  /** File mode (octal, e.g. 0o600) when known (read from a file, not from a text alone). */
  mode?: number
}

export const AUTH_METHODS = ['crc', 'sha1', 'md5'] as const

/** Parse authkeys; the secret of every key is dropped at once. Throws HachaosError (BAD_INPUT; the message never shows a secret). */
export function parseAuthkeys(text: string, opts: {file: string; mode?: number}): Authkeys {
  const file = opts.file
  const out: Authkeys = {file, keys: [], ...(opts.mode === undefined ? {} : {mode: opts.mode})}
  const lines = splitLines(text)
  for (let i = 0; i < lines.length; i++) {
    const loc: Loc = {file, line: i + 1}
    const t = (lines[i] ?? '').replace(/#.*$/, '').trim()
    if (t === '') continue
    const words = t.split(/\s+/)
    if (words[0] === 'auth') {
      const n = Number(words[1])
      if (!Number.isInteger(n) || n < 1 || n > 15) throw configError('authkeys', loc, '"auth" wants a key number 1..15', 'write "auth 1"')
      out.auth = {index: n, ...loc}
      continue
    }
    const n = Number(words[0])
    const method = (words[1] ?? '').toLowerCase()
    if (!Number.isInteger(n) || n < 1 || n > 15 || !(AUTH_METHODS as readonly string[]).includes(method)) {
      // only the first word is shown: the line may hold a secret
      throw configError('authkeys', loc, `cannot read the line starting "${(words[0] ?? '').slice(0, 8)}" (want "N sha1|md5|crc [SECRET]")`, 'write "1 sha1 SECRET"')
    }
    if (method !== 'crc' && words.length < 3) throw configError('authkeys', loc, `key ${n} (${method}) has no secret`, `write "${n} ${method} SECRET"`)
    out.keys.push({index: n, method, secret: '<redacted>', ...loc})
  }
  return out
}

/** The method of the key `auth N` selects (null: no auth line or no such key). */
export function activeAuthMethod(a: Authkeys): string | null {
  if (a.auth === undefined) return null
  const idx = a.auth.index
  return a.keys.find((k) => k.index === idx)?.method ?? null
}
