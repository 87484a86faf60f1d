/**
 * haproxy.cfg parser: sections (global, defaults, frontend, backend, listen, …) of directives with file:line,
 * `server` / `default-server` / `bind` lines with their options, and the defaults each proxy inherits.
 *
 * Lexing follows HAProxy 2.x: words split on blanks, '…' and "…" quote, `\` escapes, `#` outside quotes
 * starts a comment, `${VAR}` is left as written. `.if/.elif/.else/.endif` blocks are kept as directives (not
 * evaluated). Hand-written: no maintained JavaScript parser for haproxy.cfg exists.
 */
import {type Loc, configError, splitLines} from './common.js'

export const SECTION_KEYWORDS = [
  'global',
  'defaults',
  'frontend',
  'backend',
  'listen',
  'peers',
  'resolvers',
  'userlist',
  'mailers',
  'program',
  'cache',
  'ring',
  'http-errors',
  'fcgi-app',
  'log-forward',
  'crt-store',
  'traces',
] as const
export type HaSectionType = (typeof SECTION_KEYWORDS)[number]
const SECTION_SET = new Set<string>(SECTION_KEYWORDS)

export interface HaDirective extends Loc {
  keyword: string
  args: string[]
}

/** A server option: a flag (`check`) or a keyword with its value (`inter 2s`). */
export type HaOptions = Record<string, string | true>

export interface HaServer extends Loc {
  name: string
  /** Address as written (host, IPv4, [IPv6], unix@…, ${VAR}). */
  address: string
  port?: string
  options: HaOptions
  /** Options as they apply: the proxy's and its defaults' `default-server`, then the server's own. */
  effective: HaOptions
  /** Health checks on (after default-server and no-check). */
  check: boolean
  backup: boolean
  disabled: boolean
  /** From `server-template` (a family of servers). */
  template: boolean
  /** In a `peers` section, `server NAME` without an address: the local peer (this HAProxy itself). */
  localPeer?: boolean
}

export interface HaBind extends Loc {
  /** Address part (empty or `*` = all addresses). */
  address: string
  port?: string
  options: HaOptions
  text: string
}

export interface HaSection extends Loc {
  type: HaSectionType
  name?: string
  /** `defaults NAME` a proxy inherits from (`from NAME`), or the last defaults before it. */
  from?: string
  directives: HaDirective[]
  servers: HaServer[]
  binds: HaBind[]
  /** `default-server` options in this section. */
  defaultServer: HaOptions
  endLine: number
}

export interface HaproxyConfig {
  file: string
  sections: HaSection[]
  global?: HaSection
  defaults: HaSection[]
  frontends: HaSection[]
  backends: HaSection[]
  listens: HaSection[]
}

const WHAT = 'haproxy.cfg'

/** Options that take a value (after `server NAME ADDR`, `default-server`, `bind ADDR`). Others are flags. */
const SERVER_VALUE_OPTS = new Set(
  (
    'addr agent-addr agent-inter agent-port agent-send alpn ca-file check-alpn check-proto check-sni ciphers ciphersuites cookie crl-file ' +
    'crt curves downinter error-limit fall fastinter id init-addr inter log-proto maxconn maxqueue max-reuse minconn namespace npn ' +
    'observe on-error on-marked-down on-marked-up pool-conn-name pool-low-conn pool-max-conn pool-purge-delay port proto proxy-v2-options ' +
    'redir resolve-net resolve-opts resolve-prefer resolvers rise shard sigalgs slowstart sni socks4 source ssl-max-ver ssl-min-ver ' +
    'tcp-ut track usesrc verify verifyhost weight ws client-sigalgs guid hash-key set-proxy-v2-tlv-fmt strict-maxconn init-state'
  ).split(' '),
)
const BIND_VALUE_OPTS = new Set(
  (
    'accept-netscaler-cip alpn backlog ca-file ca-ignore-err ca-sign-file ca-sign-pass ciphers ciphersuites crl-file crt crt-ignore-err ' +
    'crt-list curves ecdhe gid group id interface label level maxconn mode mss name namespace nice npn process proto severity-output ' +
    'sigalgs ssl-max-ver ssl-min-ver tcp-ut thread tls-ticket-keys uid user verify client-sigalgs guid-prefix shards idle-ping quic-cc-algo quic-socket'
  ).split(' '),
)

function tokenize(line: string, loc: Loc): string[] {
  const out: string[] = []
  let cur = ''
  let inWord = false
  let quote: '"' | "'" | undefined
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? ''
    if (quote !== undefined) {
      if (c === quote) quote = undefined
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i] ?? ''
      else cur += c
      continue
    }
    if (c === '"' || c === "'") {
      quote = c
      inWord = true
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i] ?? ''
      inWord = true
    } else if (c === '#') {
      break
    } else if (c === ' ' || c === '\t') {
      if (inWord) out.push(cur)
      cur = ''
      inWord = false
    } else {
      cur += c
      inWord = true
    }
  }
  if (quote !== undefined) throw configError(WHAT, loc, `unterminated ${quote === '"' ? 'double' : 'single'} quote`, `close the quote on ${loc.file}:${loc.line}`)
  if (inWord) out.push(cur)
  return out
}

/** Parse `key value` / `flag` options after a server or bind address. */
function parseOptions(words: string[], valued: Set<string>, loc: Loc, what: string): HaOptions {
  const o: HaOptions = {}
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? ''
    if (valued.has(w)) {
      const v = words[i + 1]
      if (v === undefined) throw configError(WHAT, loc, `${what}: "${w}" needs a value`, `write e.g. "${w} ${w === 'weight' ? '100' : '2s'}"`)
      o[w] = v
      i++
    } else o[w] = true
  }
  return o
}

/** Split `ADDR:PORT` (IPv6 in brackets or with the last colon as separator, as haproxy does). */
export function splitAddrPort(s: string): {address: string; port?: string} {
  const b = /^\[([^\]]+)\](?::(.*))?$/.exec(s)
  if (b !== null) return b[2] === undefined ? {address: b[1] ?? ''} : {address: b[1] ?? '', port: b[2]}
  if (/^(unix@|abns@|fd@|sockpair@|\/)/.test(s)) return {address: s}
  const i = s.lastIndexOf(':')
  if (i < 0) return {address: s}
  const address = s.slice(0, i)
  const port = s.slice(i + 1)
  // ipv6@ prefixes and bare IPv6 without a port (`::1`) keep everything as address
  if (address.includes(':') && !/^ipv[46]@/.test(address) && !/^\d+(-\d+)?$/.test(port)) return {address: s}
  return {address, port}
}

function applyOptions(base: HaOptions, own: HaOptions): HaOptions {
  const out: HaOptions = {...base}
  for (const [k, v] of Object.entries(own)) {
    if (k.startsWith('no-') && k !== 'no-check-ssl' && out[k.slice(3)] !== undefined) delete out[k.slice(3)]
    else out[k] = v
  }
  return out
}

/** Parse haproxy.cfg. Throws HachaosError (BAD_INPUT, file:line) on malformed input. */
export function parseHaproxyCfg(text: string, opts: {file: string}): HaproxyConfig {
  const file = opts.file
  const sections: HaSection[] = []
  let cur: HaSection | undefined
  const lines = splitLines(text)
  for (let i = 0; i < lines.length; i++) {
    const loc: Loc = {file, line: i + 1}
    const words = tokenize(lines[i] ?? '', loc)
    const kw = words[0]
    if (kw === undefined) continue
    if (SECTION_SET.has(kw)) {
      if (cur !== undefined) cur.endLine = lastDirectiveLine(cur)
      const type = kw as HaSectionType
      const s: HaSection = {type, file, line: loc.line, directives: [], servers: [], binds: [], defaultServer: {}, endLine: loc.line}
      const name = words[1]
      if (name !== undefined && type !== 'global') s.name = name
      if (name === undefined && (type === 'frontend' || type === 'backend' || type === 'listen' || type === 'userlist' || type === 'peers' || type === 'resolvers')) {
        throw configError(WHAT, loc, `"${type}" needs a name`, `write: ${type} NAME`)
      }
      const fi = words.indexOf('from')
      if (fi >= 2 && words[fi + 1] !== undefined) s.from = words[fi + 1]
      // `listen NAME ADDR:PORT` (old syntax): an implicit bind
      if (type === 'listen' && words[2] !== undefined && words[2] !== 'from') s.binds.push(parseBind([words[2]], loc))
      sections.push(s)
      cur = s
      continue
    }
    if (kw.startsWith('.')) {
      // .if / .endif / .notice / .diag … : conditional blocks and messages, kept but not evaluated
      if (cur !== undefined) cur.directives.push({keyword: kw, args: words.slice(1), ...loc})
      continue
    }
    if (cur === undefined) throw configError(WHAT, loc, `"${kw}" outside any section`, 'start a section first: global, defaults, frontend NAME, backend NAME or listen NAME')
    const d: HaDirective = {keyword: kw, args: words.slice(1), ...loc}
    cur.directives.push(d)
    if (kw === 'server' || kw === 'server-template') cur.servers.push(parseServer(d, cur.type))
    else if (kw === 'default-server') Object.assign(cur.defaultServer, parseOptions(d.args, SERVER_VALUE_OPTS, d, 'default-server'))
    else if (kw === 'bind') {
      if (d.args.length === 0) throw configError(WHAT, d, '"bind" needs an address', 'write: bind 10.0.0.100:80')
      cur.binds.push(parseBind(d.args, d))
    }
  }
  if (cur !== undefined) cur.endLine = lastDirectiveLine(cur)
  const cfg: HaproxyConfig = {
    file,
    sections,
    defaults: sections.filter((s) => s.type === 'defaults'),
    frontends: sections.filter((s) => s.type === 'frontend'),
    backends: sections.filter((s) => s.type === 'backend'),
    listens: sections.filter((s) => s.type === 'listen'),
  }
  const g = sections.find((s) => s.type === 'global')
  if (g !== undefined) cfg.global = g
  // Effective server options: defaults' default-server, then the section's, then the server's own.
  for (const s of sections) {
    const dflt = defaultsOf(cfg, s)
    const base = applyOptions(dflt?.defaultServer ?? {}, s.defaultServer)
    for (const sv of s.servers) {
      sv.effective = applyOptions(base, sv.options)
      sv.check = sv.effective['check'] !== undefined
      sv.backup = sv.effective['backup'] !== undefined
      sv.disabled = sv.effective['disabled'] !== undefined
    }
  }
  return cfg
}

function lastDirectiveLine(s: HaSection): number {
  return s.directives.at(-1)?.line ?? s.line
}

function parseServer(d: HaDirective, section: HaSectionType): HaServer {
  const template = d.keyword === 'server-template'
  const name = d.args[0]
  // In `peers`, the local peer is `server NAME` with no address (HAProxy 2.x: its name is the local
  // peer name, -L or the host name; stick tables are pushed from it to the others).
  if (section === 'peers' && !template && name !== undefined && d.args.length === 1) {
    return {name, address: '', options: {}, effective: {}, check: false, backup: false, disabled: false, template: false, localPeer: true, file: d.file, line: d.line}
  }
  // server-template PREFIX NUM FQDN[:PORT] …
  const addrWord = d.args[template ? 2 : 1]
  if (name === undefined || addrWord === undefined) {
    throw configError(WHAT, d, `"${d.keyword}" needs a name and an address`, template ? 'write: server-template web 1-3 web.example:80 check' : 'write: server web1 10.0.0.21:80 check')
  }
  const {address, port} = splitAddrPort(addrWord)
  const options = parseOptions(d.args.slice(template ? 3 : 2), SERVER_VALUE_OPTS, d, `server ${name}`)
  const sv: HaServer = {name, address, options, effective: options, check: false, backup: false, disabled: false, template, file: d.file, line: d.line}
  if (port !== undefined) sv.port = port
  return sv
}

function parseBind(args: string[], loc: Loc): HaBind {
  const first = args[0] ?? ''
  // `bind :80,:443` lists: keep the first for address analysis, the whole text for display
  const {address, port} = splitAddrPort(first.split(',')[0] ?? '')
  const b: HaBind = {address, options: parseOptions(args.slice(1), BIND_VALUE_OPTS, loc, `bind ${first}`), text: args.join(' '), file: loc.file, line: loc.line}
  if (port !== undefined) b.port = port
  return b
}

/** The defaults section a proxy inherits: `from NAME`, else the last `defaults` written before it. */
export function defaultsOf(cfg: HaproxyConfig, s: HaSection): HaSection | undefined {
  if (s.type === 'defaults' || s.type === 'global') return s.from === undefined ? undefined : cfg.defaults.find((d) => d.name === s.from)
  if (s.from !== undefined) return cfg.defaults.find((d) => d.name === s.from)
  let last: HaSection | undefined
  for (const d of cfg.defaults) if (d.line < s.line && d.file === s.file) last = d
  return last
}

/** Directives of a section and its defaults chain, nearest last (what the proxy ends up with). */
function chain(cfg: HaproxyConfig, s: HaSection): HaSection[] {
  const out: HaSection[] = [s]
  const seen = new Set<HaSection>([s])
  let d = defaultsOf(cfg, s)
  while (d !== undefined && !seen.has(d)) {
    out.unshift(d)
    seen.add(d)
    d = defaultsOf(cfg, d)
  }
  return out
}

/** `option NAME` in force for a proxy (own or inherited; `no option NAME` switches it off). Its directive when on. */
export function optionOf(cfg: HaproxyConfig, s: HaSection, name: string): HaDirective | undefined {
  let found: HaDirective | undefined
  for (const sec of chain(cfg, s)) {
    for (const d of sec.directives) {
      if (d.keyword === 'option' && d.args[0] === name) found = d
      if (d.keyword === 'no' && d.args[0] === 'option' && d.args[1] === name) found = undefined
    }
  }
  return found
}

/** The last directive `keyword [arg0]` in force for a proxy (own or inherited). */
export function directiveOf(cfg: HaproxyConfig, s: HaSection, keyword: string, arg0?: string): HaDirective | undefined {
  let found: HaDirective | undefined
  for (const sec of chain(cfg, s)) {
    for (const d of sec.directives) if (d.keyword === keyword && (arg0 === undefined || d.args[0] === arg0)) found = d
  }
  return found
}

/** Legacy timeout keywords and their modern names. */
const LEGACY_TIMEOUT: Record<string, string> = {contimeout: 'connect', clitimeout: 'client', srvtimeout: 'server'}

/** `timeout NAME` in force for a proxy (own or inherited, legacy spellings too). */
export function timeoutOf(cfg: HaproxyConfig, s: HaSection, name: string): HaDirective | undefined {
  let found: HaDirective | undefined
  for (const sec of chain(cfg, s)) {
    for (const d of sec.directives) {
      if ((d.keyword === 'timeout' && d.args[0] === name) || LEGACY_TIMEOUT[d.keyword] === name) found = d
    }
  }
  return found
}

/** The mode of a proxy: `mode http|tcp|log`, inherited, default tcp. */
export function modeOf(cfg: HaproxyConfig, s: HaSection): string {
  return directiveOf(cfg, s, 'mode')?.args[0] ?? 'tcp'
}

/** Proxies that carry traffic: frontends, backends, listens. */
export function proxies(cfg: HaproxyConfig): HaSection[] {
  return cfg.sections.filter((s) => s.type === 'frontend' || s.type === 'backend' || s.type === 'listen')
}

/** Which sides a proxy has: listens and frontends accept, listens and backends hold servers. */
export function hasFrontSide(s: HaSection): boolean {
  return s.type === 'frontend' || s.type === 'listen'
}
