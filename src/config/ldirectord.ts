/**
 * ldirectord's configuration file (/etc/ha.d/ldirectord.cf): global directives (`name=value`, one per line)
 * and `virtual=` blocks whose directives follow on indented lines.
 *
 * Hand-written: there is no npm reader for this format (it is ldirectord's own, parsed by its Perl
 * read_config), and the grammar is small. The rules below follow ldirectord 4.12's read_config (Debian 12,
 * /usr/sbin/ldirectord), checked against the real program (`ldirectord FILE status` reports the same
 * errors at the same lines, see test/fixtures/ldirectord/):
 *   - a line matching `^virtual6?\s*=` opens a block; the block goes on while lines are indented by at least
 *     4 spaces (a tab counts as 4). The first line that is not ends the block — an EMPTY line too — and is
 *     read as a global directive, so an indented line after a blank line is an "Unknown command";
 *   - comment lines (`#` after optional blanks) are skipped anywhere, also inside a block; in a block,
 *     `#` and everything after it is dropped;
 *   - numbers are read as ldirectord does: the first run of digits, which must not be 0;
 *   - `connecttimeout` and `timeout` are refused by 4.x ("deprecated in favour of negotiatetimeout"); this
 *     reader keeps connecttimeout (older ldirectord had it; doctor reports it) and refuses `timeout`.
 * It lives in src/config/ (not src/stacks/lvs/) because doctor's HostConfigs holds it (layering floors).
 */
import {type Loc, configError, splitLines} from './common.js'

const WHAT = 'ldirectord.cf'

/** A directive as written: its value (quotes removed) and where. */
export interface LdValue extends Loc {
  /** The directive's name as written (checktimeout, real …). */
  name: string
  value: string
}

export type LdForward = 'gate' | 'masq' | 'ipip'

/** A `real=` (or `real6=`) line: `real=ADDR[->ADDR2][:PORT] [gate|masq|ipip] [WEIGHT] ["request", "receive"]`. */
export interface LdReal extends Loc {
  /** The address (or host name) as written; for a range `a->b`, the first. */
  address: string
  /** The last of a range (`192.168.6.2->192.168.6.7`), else undefined. */
  rangeEnd?: string
  /** Number of servers the line stands for (a range of IPv4 addresses expands to each; a host range counts 2+). */
  count: number
  /** Port or service name as written; undefined for fwmark services. */
  port?: string
  forward: LdForward
  weight: number
  request?: string
  receive?: string
  raw: string
}

export interface LdVirtual extends Loc {
  /** As written after `virtual=`. */
  text: string
  kind: 'address' | 'fwmark'
  ipv6: boolean
  /** Address or host name (kind address), or the firewall mark (kind fwmark). */
  address: string
  port?: string
  reals: LdReal[]
  /** `fallback=` of this virtual (overrides the global one). */
  fallback?: LdValue
  /** Every directive of the block by name (real/real6 are in `reals`), the last one wins as in ldirectord. */
  directives: Record<string, LdValue>
  /** Last line of the block. */
  endLine: number
}

export interface LdirectordConfig {
  file: string
  /** Global directives by name (the last one wins). */
  globals: Record<string, LdValue>
  virtuals: LdVirtual[]
}

/** ldirectord 4.12's defaults (set_defaults). quiescent: the man page says yes, the code says no; the code wins. */
export const LD_DEFAULTS = {checkintervalS: 10, checktimeoutS: 5, negotiatetimeoutS: 30, failurecount: 1, checkcount: 1, quiescent: false, fork: false, checktype: 'negotiate'} as const

const GLOBAL_NUM = new Set(['checktimeout', 'connecttimeout', 'negotiatetimeout', 'checkinterval', 'checkcount', 'failurecount'])
const GLOBAL_YESNO = new Set(['autoreload', 'fork', 'quiescent', 'readdquiescent', 'cleanstop'])
const GLOBAL_OTHER = new Set(['fallback', 'fallback6', 'fallbackcommand', 'callback', 'logfile', 'execute', 'supervised', 'emailalert', 'emailalertfreq', 'emailalertstatus', 'emailalertfrom', 'smtp', 'maintenancedir'])

const VIRT_NUM = new Set(['checktimeout', 'connecttimeout', 'negotiatetimeout', 'checkcount', 'failurecount', 'checkinterval', 'checkport'])
const VIRT_YESNO = new Set(['quiescent', 'cleanstop', 'ops'])
const VIRT_QUOTED = new Set(['request', 'receive', 'login', 'passwd', 'database', 'secret', 'load'])
const VIRT_OTHER = new Set([
  'checktype', 'checkcommand', 'scheduler', 'persistent', 'schedflags', 'netmask', 'protocol', 'service', 'httpmethod', 'virtualhost',
  'fallback', 'fallback6', 'fallbackcommand', 'emailalert', 'emailalertfreq', 'emailalertstatus', 'monitorfile', 'smtp', 'servicename', 'comment',
])
const CHECKTYPES = ['connect', 'negotiate', 'ping', 'off', 'on', 'external', 'external-perl']
const SERVICES = ['dns', 'ftp', 'http', 'https', 'http_proxy', 'imap', 'imaps', 'ldap', 'mysql', 'nntp', 'none', 'oracle', 'pgsql', 'pop', 'pops', 'radius', 'simpletcp', 'sip', 'smtp', 'submission']

/** ldirectord's number reading: the first run of digits, not 0. undefined when there is none. */
export function ldNumber(s: string): number | undefined {
  const m = /(\d+)/.exec(s)
  if (m === null) return undefined
  const n = Number(m[1])
  return n > 0 ? n : undefined
}

const unquote = (s: string): string => {
  const m = /^"([^"]*)"/.exec(s)
  return m === null ? s : (m[1] ?? '')
}

export function parseLdirectordCf(text: string, opts: {file: string}): LdirectordConfig {
  const file = opts.file
  const lines = splitLines(text.replace(/^\uFEFF/, ''))
  const cfg: LdirectordConfig = {file, globals: {}, virtuals: []}
  const err = (line: number, msg: string, ...hint: string[]): Error => configError(WHAT, {file, line}, msg, ...hint)
  const seen = new Map<string, number>()
  let i = 0
  while (i < lines.length) {
    const lineNo = i + 1
    const raw = lines[i] ?? ''
    const vm = /^virtual(6)?\s*=\s*(.*)$/.exec(raw)
    if (vm !== null) {
      const v = parseVirtualHead(vm[2] ?? '', vm[1] !== undefined, lineNo, file, err)
      // ldirectord reads real= lines after the whole block (rsrv_todo, resolved once the protocol is known):
      // an unknown directive further down is reported before a bad real server
      const realsTodo: Array<{spec: string; line: number}> = []
      i++
      // the block: indented lines (tabs count as 4 spaces); comment lines are skipped anywhere
      while (i < lines.length) {
        const l = lines[i] ?? ''
        if (/^\s*#/.test(l)) {
          i++
          continue
        }
        const body = /^ {4,}(.+)$/.exec(l.replace(/#.*/, '').replace(/\t/g, '    '))
        if (body === null) break
        blockDirective(v, (body[1] ?? '').trim(), i + 1, file, err, realsTodo)
        v.endLine = i + 1
        i++
      }
      for (const r of realsTodo) v.reals.push(parseReal(r.spec, v, r.line, file, err))
      const id = `${v.ipv6 ? 'v6' : 'v4'} ${v.kind} ${v.address}:${v.port ?? ''}/${v.directives['protocol']?.value ?? (v.kind === 'fwmark' ? 'fwm' : 'tcp')}`
      const prev = seen.get(id)
      if (prev !== undefined) throw err(v.endLine, `duplicate virtual server ${v.text} (first at line ${prev})`, 'remove one of the two blocks, or give them different ports/protocols')
      seen.set(id, lineNo)
      cfg.virtuals.push(v)
      continue
    }
    i++
    if (/^\s*$/.test(raw) || /^\s*#/.test(raw)) continue
    if (/^\s/.test(raw)) {
      throw err(
        lineNo,
        `"${raw.trim()}" is indented but belongs to no virtual= block (ldirectord: Unknown command)`,
        'a blank line or an indent of fewer than 4 spaces (a tab counts as 4) ends a virtual= block: remove the blank line inside the block, or indent by a tab',
      )
    }
    const gm = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(raw)
    const supervised = /^supervised\s*$/.test(raw)
    if (gm === null && !supervised) throw err(lineNo, `unknown directive "${raw.trim()}" (expected name=value)`, 'ldirectord.cf has one name=value per line; see man ldirectord')
    const name = supervised ? 'supervised' : (gm?.[1] ?? '')
    let value = supervised ? 'yes' : (gm?.[2] ?? '').trim()
    // read_config matches only logfile="…" and callback="…": unquoted, neither is a known command
    if ((name === 'logfile' || name === 'callback') && !value.startsWith('"')) {
      throw err(lineNo, `${name} must be quoted (ldirectord: Unknown command)`, `write ${name}="${value.replace(/"/g, '')}"`)
    }
    value = value.startsWith('"') ? unquote(value) : value.replace(/\s+#.*$/, '').trim()
    if (name === 'timeout') throw err(lineNo, 'the timeout directive was removed in favour of checktimeout and negotiatetimeout (ldirectord 4.x refuses to start)', `replace "${raw.trim()}" by checktimeout=N (connect checks) and negotiatetimeout=N (negotiate checks)`)
    if (GLOBAL_NUM.has(name)) {
      if (ldNumber(value) === undefined) throw err(lineNo, `invalid ${name} value "${value}": a number of ${name.endsWith('count') ? 'checks' : 'seconds'} above 0`, `e.g. ${name}=${name.endsWith('count') ? 3 : 5}`)
    } else if (GLOBAL_YESNO.has(name)) {
      if (value !== 'yes' && value !== 'no') throw err(lineNo, `${name} must be 'yes' or 'no', not "${value}"`)
    } else if (name === 'emailalertfreq') {
      if (!/\d/.test(value)) throw err(lineNo, `invalid email alert frequency "${value}"`)
    } else if (!GLOBAL_OTHER.has(name)) {
      if (name === 'real' || name === 'real6' || VIRT_OTHER.has(name) || VIRT_QUOTED.has(name) || VIRT_NUM.has(name)) {
        const open = cfg.virtuals.at(-1)
        throw err(lineNo, `"${raw.trim()}" is a virtual= block directive but is not indented, so it is read as a global one (ldirectord: Unknown command)`, `indent it (a tab) under ${open === undefined ? 'its virtual= line' : `virtual=${open.text} (line ${open.line})`}: a block's lines must be indented by at least 4 spaces`)
      }
      throw err(lineNo, `unknown global directive "${name}"`, 'the global directives are checktimeout, negotiatetimeout, checkinterval, failurecount, quiescent, autoreload, fork, fallback, logfile, emailalert… (man ldirectord)', 'a virtual service\'s directives (real=, service=, scheduler=…) go indented under its virtual= line')
    }
    if ((name === 'fallback' || name === 'fallback6') && value === '') throw err(lineNo, `${name} names no server`)
    cfg.globals[name] = {name, value, file, line: lineNo}
  }
  return cfg
}

function parseVirtualHead(vattrRaw: string, ipv6: boolean, line: number, file: string, err: (line: number, msg: string, ...hint: string[]) => Error): LdVirtual {
  const vattr = vattrRaw.replace(/\s+#.*$/, '').trim()
  const base = {file, line, text: vattr, ipv6, reals: [], directives: {}, endLine: line}
  let m = /^\[([0-9A-Fa-f:]+)\]:([0-9A-Za-z_-]+)$/.exec(vattr)
  if (m !== null) {
    if (!ipv6) throw err(line, `cannot specify an IPv6 address here: use virtual6= for ${vattr}`)
    return {...base, kind: 'address', address: m[1] ?? '', port: m[2] ?? ''}
  }
  m = /^([0-9A-Za-z._+-]+):([0-9A-Za-z_-]+)$/.exec(vattr)
  if (m !== null && !ipv6) return {...base, kind: 'address', address: m[1] ?? '', port: m[2] ?? ''}
  if (/^\d+$/.test(vattr) && Number(vattr) > 0) return {...base, kind: 'fwmark', address: vattr}
  throw err(line, `invalid virtual service "${vattr}": expected ADDRESS:PORT${ipv6 ? ' as [IPv6]:PORT' : ''} or a firewall mark (a number above 0)`, 'e.g. virtual=192.168.6.240:80 or virtual=1 (fwmark)')
}

function blockDirective(v: LdVirtual, rcmd: string, line: number, file: string, err: (line: number, msg: string, ...hint: string[]) => Error, realsTodo: Array<{spec: string; line: number}>): void {
  const rm = /^(real6?)\s*=\s*(.*)$/.exec(rcmd)
  if (rm !== null) {
    const is6 = rm[1] === 'real6'
    if (is6 !== v.ipv6) throw err(line, `cannot specify "${rm[1]}" here: use "${v.ipv6 ? 'real6' : 'real'}" in a ${v.ipv6 ? 'virtual6' : 'virtual'} block`)
    realsTodo.push({spec: rm[2] ?? '', line})
    return
  }
  const dm = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(rcmd)
  if (dm === null) throw err(line, `unknown directive "${rcmd}" in the virtual=${v.text} block (line ${v.line})`, 'one name=value per line')
  const name = dm[1] ?? ''
  const rawValue = (dm[2] ?? '').trim()
  let value = rawValue
  if (VIRT_QUOTED.has(name)) {
    const q = /^"(.*)"/.exec(rawValue)
    if (q === null) throw err(line, `${name} needs a quoted string: ${name}="…"`, `e.g. ${name}="${name === 'receive' ? 'Test Page' : 'index.html'}"`)
    value = q[1] ?? ''
    if (value === '') throw err(line, `empty ${name} string`)
  } else if (VIRT_NUM.has(name)) {
    if (ldNumber(rawValue) === undefined) throw err(line, `invalid ${name} "${rawValue}": a number above 0`)
    if (name === 'checkport' && (ldNumber(rawValue) ?? 0) > 65535) throw err(line, 'checkport must be in range 1..65535')
  } else if (VIRT_YESNO.has(name)) {
    if (rawValue !== 'yes' && rawValue !== 'no') throw err(line, `${name} must be 'yes' or 'no', not "${rawValue}"`)
  } else if (name === 'checktype') {
    if (!(/^\d+$/.test(rawValue) || CHECKTYPES.includes(rawValue))) throw err(line, `checktype must be "connect", "negotiate", "on", "off", "ping", "external", "external-perl" or a positive number, not "${rawValue}"`)
  } else if (name === 'scheduler') {
    if (!/^[a-z]+$/.test(rawValue)) throw err(line, `invalid scheduler "${rawValue}": lowercase letters only (rr, wrr, lc, wlc, sh, dh …)`)
  } else if (name === 'persistent') {
    if (!/^\d+$/.test(rawValue)) throw err(line, `invalid persistent timeout "${rawValue}": seconds`)
  } else if (name === 'netmask') {
    if (v.ipv6 ? !/^\d+$/.test(rawValue) || Number(rawValue) < 1 || Number(rawValue) > 128 : !/^\d+\.\d+\.\d+\.\d+$/.test(rawValue)) {
      throw err(line, `invalid netmask "${rawValue}": ${v.ipv6 ? 'a prefix length between 1 and 128 is required' : 'dotted quad notation is required'}`)
    }
  } else if (name === 'protocol') {
    const want = v.kind === 'fwmark' ? ['fwm'] : ['tcp', 'udp']
    if (!want.includes(rawValue)) throw err(line, v.kind === 'fwmark' ? 'protocol must be fwm if the virtual service is a fwmark (a number)' : `protocol must be tcp or udp if the virtual service is an address and port, not "${rawValue}"`)
  } else if (name === 'service') {
    if (!SERVICES.includes(rawValue)) throw err(line, `service must be one of ${SERVICES.join(', ')}; not "${rawValue}"`)
  } else if (name === 'httpmethod') {
    if (!['GET', 'HEAD'].includes(rawValue.toUpperCase())) throw err(line, 'httpmethod must be GET or HEAD')
  } else if (name === 'fallback' || name === 'fallback6') {
    if (rawValue === '') throw err(line, `${name} names no server`)
    if ((name === 'fallback6') !== v.ipv6) throw err(line, `cannot specify "${name}" here: use "${v.ipv6 ? 'fallback6' : 'fallback'}"`)
    v.fallback = {name, value: rawValue, file, line}
  } else if (name === 'timeout') {
    throw err(line, 'the timeout directive was removed in favour of checktimeout and negotiatetimeout (ldirectord 4.x refuses to start)')
  } else if (!VIRT_OTHER.has(name)) {
    throw err(line, `unknown directive "${name}" in the virtual=${v.text} block (line ${v.line})`, 'man ldirectord lists the per-virtual directives (real, service, scheduler, protocol, checktype, request, receive, persistent, netmask, fallback, quiescent …)', 'a global directive goes before the first virtual= line, not indented')
  }
  v.directives[name] = {name, value, file, line}
}

function parseReal(spec: string, v: LdVirtual, line: number, file: string, err: (line: number, msg: string, ...hint: string[]) => Error): LdReal {
  // request/receive may follow in quotes: "req", "recv"
  const quoted = [...spec.matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? '')
  const plain = spec.replace(/"[^"]*"\s*,?/g, ' ').trim().split(/\s+/).filter((t) => t !== '')
  const addr = plain[0]
  if (addr === undefined) throw err(line, 'real= names no server', 'e.g. real=192.168.6.2:80 gate')
  let host = addr
  let port: string | undefined
  const v6 = /^\[([0-9A-Fa-f:]+)\](?:->\[([0-9A-Fa-f:]+)\])?(?::([0-9A-Za-z_-]+))?$/.exec(addr)
  let first: string
  let last: string | undefined
  if (v6 !== null) {
    first = v6[1] ?? ''
    last = v6[2]
    port = v6[3]
  } else {
    const pm = /^(.*?)(?::([0-9A-Za-z_-]+))?$/.exec(host)
    host = pm?.[1] ?? host
    port = pm?.[2]
    const parts = host.split('->')
    // ldirectord's own sample writes real=192.168.6.2::1812 (its radius and sip examples). ldirectord does not
    // refuse it: its real= pattern is not anchored and matches from "1812 gate" on, so the real server's address
    // becomes "1812" (a number to getaddrinfo) with port 0 — not what was meant. Refused here, with the fix.
    const dbl = /^([0-9A-Za-z._+-]+)::([0-9A-Za-z_-]+)$/.exec(addr)
    if (dbl !== null) {
      throw err(
        line,
        `invalid real server "${addr}": "::" is no port separator (ldirectord does not refuse it, but reads the address as "${dbl[2] ?? ''}" with port 0)`,
        `write real=${dbl[1] ?? ''}:${dbl[2] ?? ''}`,
        'an IPv6 real server is written real6=[ADDRESS]:PORT in a virtual6= block',
      )
    }
    if (parts.length > 2 || parts.some((p) => !/^[0-9A-Za-z._+-]+$/.test(p))) throw err(line, `invalid real server "${addr}": expected ADDRESS[:PORT] or FIRST->LAST[:PORT]`)
    first = parts[0] ?? ''
    last = parts[1]
  }
  if (v.kind === 'address' && port === undefined) port = v.port
  let count = 1
  if (last !== undefined) {
    const a = ipv4ToInt(first)
    const b = ipv4ToInt(last)
    if (a !== undefined && b !== undefined) {
      if (b < a) throw err(line, `real server range ${first}->${last} runs backwards`)
      count = b - a + 1
    } else count = 2
  }
  let forward: LdForward = 'gate'
  let weight = 1
  for (const t of plain.slice(1)) {
    if (t === 'gate' || t === 'masq' || t === 'ipip') forward = t
    else if (/^\d+$/.test(t)) weight = Number(t)
    else throw err(line, `invalid real server option "${t}": gate, masq, ipip or a weight`, 'e.g. real=192.168.6.2:80 gate 10')
  }
  return {
    file,
    line,
    address: first,
    ...(last === undefined ? {} : {rangeEnd: last}),
    count,
    ...(port === undefined ? {} : {port}),
    forward,
    weight,
    ...(quoted[0] === undefined ? {} : {request: quoted[0]}),
    ...(quoted[1] === undefined ? {} : {receive: quoted[1]}),
    raw: spec.trim(),
  }
}

function ipv4ToInt(s: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s)
  if (m === null) return undefined
  const o = m.slice(1, 5).map(Number)
  if (o.some((x) => x > 255)) return undefined
  return (((o[0] ?? 0) * 256 + (o[1] ?? 0)) * 256 + (o[2] ?? 0)) * 256 + (o[3] ?? 0)
}

/** A timer or count as ldirectord resolves it for one virtual service, and the line that set it (undefined: the default). */
export interface LdSetting<T> {
  value: T
  /** Where it was set, and by which directive (negotiatetimeout may come from a checktimeout line). */
  at?: Loc & {name: string}
}

export interface LdTimers {
  checkintervalS: LdSetting<number>
  /** Connect, ping and external checks. */
  checktimeoutS: LdSetting<number>
  /** Negotiate checks (HTTP, …). */
  negotiatetimeoutS: LdSetting<number>
  failurecount: LdSetting<number>
  quiescent: LdSetting<boolean>
  fork: boolean
  /** connect | negotiate | ping | on | off | external | external-perl | combined (a number N: negotiate every N-th check). */
  checktype: LdSetting<string>
  /** Attempts of a ping check (checkcount: per virtual, else global, else 1); other checks make one attempt. */
  checkcount: LdSetting<number>
  /**
   * How long this virtual's failing check lasts at most: negotiatetimeout for negotiate checks; checktimeout for
   * connect/external checks; checkcount × checktimeout for ping checks (check_ping tries checkcount times, each
   * waiting checktimeout). `at` is the timeout's line.
   */
  activeTimeoutS: LdSetting<number>
}

/** How the failing check's bound is made, for messages: "negotiatetimeout 3 s", "checkcount 3 × checktimeout 3 s". */
export function ldTimeoutText(t: LdTimers): string {
  const negotiate = t.checktype.value === 'negotiate' || t.checktype.value === 'combined'
  if (negotiate) return `negotiatetimeout ${t.negotiatetimeoutS.value} s`
  if (t.checktype.value === 'ping' && t.checkcount.value > 1) return `checkcount ${t.checkcount.value} × checktimeout ${t.checktimeoutS.value} s`
  return `checktimeout ${t.checktimeoutS.value} s`
}

const num = (d: LdValue | undefined): number | undefined => (d === undefined ? undefined : ldNumber(d.value))
const loc = (d: LdValue): Loc & {name: string} => ({file: d.file, line: d.line, name: d.name})

/**
 * The effective timers of one virtual service, as ldirectord 4.12 computes them (ld_setup): checktimeout and
 * negotiatetimeout default to each other, per virtual first, then global, then 5 s / 30 s; checkinterval per
 * virtual only counts with fork=yes; failurecount, checkcount and quiescent per virtual override the global ones.
 */
export function ldTimers(cfg: LdirectordConfig, v: LdVirtual): LdTimers {
  const g = cfg.globals
  const d = v.directives
  const pick = (cands: Array<LdValue | undefined>, dflt: number): LdSetting<number> => {
    for (const c of cands) {
      const n = num(c)
      if (c !== undefined && n !== undefined) return {value: n, at: loc(c)}
    }
    return {value: dflt}
  }
  const fork = g['fork']?.value === 'yes'
  const checktimeoutS = pick([d['checktimeout'], d['negotiatetimeout'], g['checktimeout'], g['negotiatetimeout']], LD_DEFAULTS.checktimeoutS)
  const negotiatetimeoutS = pick([d['negotiatetimeout'], d['checktimeout'], g['negotiatetimeout'], g['checktimeout']], LD_DEFAULTS.negotiatetimeoutS)
  const checkintervalS = pick(fork ? [d['checkinterval'], g['checkinterval']] : [g['checkinterval']], LD_DEFAULTS.checkintervalS)
  const failurecount = pick([d['failurecount'], g['failurecount']], LD_DEFAULTS.failurecount)
  const q = d['quiescent'] ?? g['quiescent']
  const quiescent: LdSetting<boolean> = q === undefined ? {value: LD_DEFAULTS.quiescent} : {value: q.value === 'yes', at: loc(q)}
  const ct = d['checktype']
  const checktype: LdSetting<string> = ct === undefined ? {value: LD_DEFAULTS.checktype} : {value: /^\d+$/.test(ct.value) ? 'combined' : ct.value, at: loc(ct)}
  const checkcount = pick([d['checkcount'], g['checkcount']], LD_DEFAULTS.checkcount)
  const activeTimeoutS =
    checktype.value === 'negotiate' || checktype.value === 'combined'
      ? negotiatetimeoutS
      : checktype.value === 'ping'
        ? {...checktimeoutS, value: checktimeoutS.value * checkcount.value}
        : checktimeoutS
  return {checkintervalS, checktimeoutS, negotiatetimeoutS, failurecount, quiescent, fork, checktype, checkcount, activeTimeoutS}
}

/** The fallback server of a virtual (its own, else the global one matching its address family). */
export function ldFallback(cfg: LdirectordConfig, v: LdVirtual): LdValue | undefined {
  return v.fallback ?? cfg.globals[v.ipv6 ? 'fallback6' : 'fallback']
}

/** Real servers a virtual has (ranges expanded). */
export function ldRealCount(v: LdVirtual): number {
  return v.reals.reduce((n, r) => n + r.count, 0)
}
