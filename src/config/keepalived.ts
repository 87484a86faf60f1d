/**
 * keepalived.conf parser: the text → a tree of directives (with file:line) → typed global_defs, vrrp_script,
 * vrrp_instance, vrrp_sync_group, vrrp_track_process, virtual_server(_group). Unknown directives are kept.
 *
 * The lexing follows keepalived 2.2 (checked against `keepalived -t` / `-d` output on Debian 12):
 * - `#` and `!` start a comment anywhere outside double quotes (`priority 120#x` is 120, `auth_pass ab#c` is "ab");
 * - `{` and `}` are tokens of their own, the `{` may stand on the next line;
 * - `include PATTERN` (glob, relative to the including file's directory) splices files in at that line;
 * - `$NAME=value` defines a parameter, `$NAME` / `${NAME}` substitute it; `@ID line` / `@^ID line` keep the
 *   line only on (or off) the config id given in `configId`;
 * - a line ending in `\` continues on the next.
 * Hand-written: no maintained JavaScript parser for keepalived's format exists.
 */
import {type Loc, configError, hasGlob, resolveInclude, splitLines, toInt, toNumber} from './common.js'

export interface KaDirective extends Loc {
  keyword: string
  args: string[]
  /** Children when the directive opens a `{ … }` block. */
  block?: KaDirective[]
  /** Line of the closing brace. */
  endLine?: number
}

export interface KaGlobalDefs {
  routerId?: string
  vrrpVersion?: 2 | 3
  vrrpStrict: boolean
  scriptUser?: string
  enableScriptSecurity: boolean
  /** `vrrp_down_timer_adverts` (adverts missed before a backup declares the master dead; keepalived default 3). */
  downTimerAdverts?: number
  /** Where (the first) global_defs block starts; absent when the file has none. */
  line?: number
  file?: string
  /** Every directive inside global_defs, in order (all of keepalived's many global options). */
  raw: KaDirective[]
}

export interface KaVrrpScript extends Loc {
  name: string
  script: string
  /** Seconds between runs (default 1). */
  interval: number
  timeout?: number
  fall: number
  rise: number
  weight: number
  weightReverse: boolean
  user?: string
  initFail: boolean
  lines: Partial<Record<string, number>>
  raw: KaDirective[]
}

export interface KaTrackRef extends Loc {
  name: string
  /** Weight override given in the track_script / track_interface / track_process entry. */
  weight?: number
}

export interface KaVip extends Loc {
  address: string
  prefixLen?: number
  dev?: string
  label?: string
  family: 4 | 6
  /** The entry as written. */
  text: string
}

export interface KaAuth extends Loc {
  authType?: string
  authPass?: string
  authPassLine?: number
}

export type KaState = 'MASTER' | 'BACKUP'

export interface KaVrrpInstance extends Loc {
  name: string
  state?: KaState
  interface?: string
  virtualRouterId?: number
  /** As written (keepalived falls back to 100 outside 1–255: see effectiveVrrp). Default 100. */
  priority: number
  /** Seconds, as written (default 1). */
  advertInt: number
  /** From the instance's `version`, else global_defs `vrrp_version`, else 2. */
  version: 2 | 3
  nopreempt: boolean
  preemptDelay?: number
  /** Per-instance `strict_mode on|off` (overrides global vrrp_strict). */
  strictMode?: boolean
  downTimerAdverts?: number
  trackScripts: string[]
  trackScriptRefs: KaTrackRef[]
  trackInterfaces: string[]
  trackProcesses: string[]
  trackProcessRefs: KaTrackRef[]
  /** `track_file` entries (a vrrp_track_file whose value changes the priority or faults the instance). */
  trackFiles: string[]
  unicastPeers: string[]
  unicastPeerRefs: Array<Loc & {address: string}>
  unicastSrcIp?: string
  authentication?: KaAuth
  virtualIpaddresses: KaVip[]
  virtualIpaddressesExcluded: KaVip[]
  /** notify_master, notify_backup, notify_fault, notify_stop, notify, … → the command as written. */
  notify: Record<string, string>
  /** Line of each directive of the instance, by keyword (the last one wins, as in keepalived). */
  lines: Partial<Record<string, number>>
  endLine?: number
  raw: KaDirective[]
}

export interface KaSyncGroup extends Loc {
  name: string
  group: string[]
  trackScriptRefs: KaTrackRef[]
  notify: Record<string, string>
  raw: KaDirective[]
}

export interface KaTrackProcess extends Loc {
  name: string
  process?: string
  weight: number
  quorum: number
  raw: KaDirective[]
}

export interface KaRealServer extends Loc {
  address: string
  port: number
  weight?: number
  /** Checker block keywords: TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK, … */
  checkers: string[]
  checkerRefs: Array<Loc & {kind: string}>
  /** `inhibit_on_failure`: on a failed check keepalived sets the weight to 0 instead of removing the real server (absent: inherits the virtual_server's). */
  inhibitOnFailure?: Loc
  raw: KaDirective[]
}

export interface KaVirtualServer extends Loc {
  kind: 'ip' | 'fwmark' | 'group'
  /** IP address, fwmark number or group name. */
  address: string
  /** 0 for fwmark / group services. */
  port: number
  protocol: string
  lbAlgo?: string
  lbKind?: string
  delayLoop?: number
  persistenceTimeout?: number
  sorryServer?: string
  /** `inhibit_on_failure` at virtual_server level (keepalived 2.x): the default of its real servers. */
  inhibitOnFailure?: Loc
  realServers: KaRealServer[]
  lines: Partial<Record<string, number>>
  raw: KaDirective[]
}

export interface KaVirtualServerGroup extends Loc {
  name: string
  members: string[]
}

export interface KaInclude extends Loc {
  pattern: string
  /** Files it expanded to (empty: nothing matched or no reader given). */
  files: string[]
}

export interface KaUnknown extends Loc {
  keyword: string
  /** The enclosing block, e.g. `vrrp_instance VI_1`, or '' at top level. */
  context: string
}

export interface KaWarning extends Loc {
  message: string
}

export interface KeepalivedConfig {
  /** The main file. */
  file: string
  /** Every file read (the main file first, then includes in order). */
  files: string[]
  globalDefs: KaGlobalDefs
  vrrpScripts: KaVrrpScript[]
  vrrpInstances: KaVrrpInstance[]
  syncGroups: KaSyncGroup[]
  trackProcesses: KaTrackProcess[]
  virtualServers: KaVirtualServer[]
  virtualServerGroups: KaVirtualServerGroup[]
  includes: KaInclude[]
  /** Directives this parser does not know, kept with their place. Never fatal. */
  unknown: KaUnknown[]
  /** Things keepalived itself would warn about or skip (missing include, bad state word, …). */
  warnings: KaWarning[]
  /** The config id `@ID` / `@^ID` lines were evaluated for (undefined: none given). */
  configId?: string
  /** Conditional lines that do not apply to that config id (keepalived ignores them), as written. */
  skippedConditionals: Array<Loc & {text: string}>
  /** The whole directive tree. */
  tree: KaDirective[]
}

export interface KeepalivedParseOptions {
  file: string
  /** Read an included file (absolute path); null when it does not exist. Without it includes are not followed. */
  readInclude?: (path: string) => string | null
  /** Expand an include glob (absolute pattern) to the files it matches, sorted. */
  listInclude?: (pattern: string) => string[]
  /**
   * keepalived's `-i CONFIG_ID` for `@ID` conditional lines (keepalived's default: the first part of the
   * node name; doctor passes the host's for live runs). Without one, no `@ID` line applies and every
   * `@^ID` line does, as for a config id matching none of them.
   */
  configId?: string
}

const WHAT = 'keepalived.conf'
const MAX_INCLUDE_DEPTH = 16

interface Token {
  text: string
  /** Written inside quotes (never a brace). */
  quoted: boolean
}

interface SrcLine extends Loc {
  tokens: Token[]
}

/** Split one line into tokens: quoted strings, braces, words; stops at a comment. */
function tokenize(line: string, loc: Loc): Token[] {
  const out: Token[] = []
  let cur = ''
  let inWord = false
  let quoted = false
  const flush = (): void => {
    if (inWord) out.push({text: cur, quoted})
    cur = ''
    inWord = false
    quoted = false
  }
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? ''
    if (c === '"') {
      const end = findQuoteEnd(line, i + 1)
      if (end < 0) throw configError(WHAT, loc, 'unterminated quoted string', 'close the string with a double quote (")')
      cur += line.slice(i + 1, end).replace(/\\(["\\])/g, '$1')
      inWord = true
      quoted = true
      i = end
    } else if (c === '#' || c === '!') {
      break
    } else if (c === '{' || c === '}') {
      flush()
      out.push({text: c, quoted: false})
    } else if (c === ' ' || c === '\t' || c === '\v' || c === '\f') {
      flush()
    } else {
      cur += c
      inWord = true
    }
  }
  flush()
  return out
}

function findQuoteEnd(line: string, from: number): number {
  for (let i = from; i < line.length; i++) {
    if (line[i] === '\\') i++
    else if (line[i] === '"') return i
  }
  return -1
}

interface LexState {
  opts: KeepalivedParseOptions
  params: Map<string, string>
  files: string[]
  includes: KaInclude[]
  warnings: KaWarning[]
  skipped: Array<Loc & {text: string}>
}

function substitute(line: string, params: Map<string, string>): string {
  if (!line.includes('$')) return line
  return line.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, a: string | undefined, b: string | undefined) => {
    const v = params.get(a ?? b ?? '')
    return v ?? m
  })
}

/** The lines of a file, includes spliced in, as token lines with their own file:line. */
function lexFile(text: string, file: string, st: LexState, stack: string[]): SrcLine[] {
  st.files.push(file)
  const raw = splitLines(text)
  const out: SrcLine[] = []
  for (let i = 0; i < raw.length; i++) {
    const lineNo = i + 1
    let line = raw[i] ?? ''
    // continuation lines
    while (/\\\s*$/.test(line) && i + 1 < raw.length) {
      line = line.replace(/\\\s*$/, ' ') + (raw[++i] ?? '')
    }
    const loc: Loc = {file, line: lineNo}
    const trimmed = line.trimStart()
    // $NAME=value parameter definitions
    const def = /^\$([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(trimmed)
    if (def !== null) {
      st.params.set(def[1] ?? '', (def[2] ?? '').trim())
      continue
    }
    // @ID / @^ID conditional lines (keepalived.conf(5), "Conditional configuration and configuration id"):
    // `@ID line` applies only when the config id is ID, `@^ID line` only when it is not.
    const cond = /^@(\^?)([^\s]+)\s*(.*)$/.exec(trimmed)
    if (cond !== null) {
      const neg = cond[1] === '^'
      const matches = st.opts.configId !== undefined && st.opts.configId === cond[2]
      if (matches === neg) {
        st.skipped.push({...loc, text: trimmed})
        continue
      }
      line = cond[3] ?? ''
    }
    const tokens = tokenize(substitute(line, st.params), loc)
    if (tokens.length === 0) continue
    if (tokens[0]?.text === 'include' && !tokens[0].quoted) {
      const pattern = tokens[1]?.text
      if (pattern === undefined) throw configError(WHAT, loc, '"include" needs a file or pattern', 'write: include /etc/keepalived/conf.d/*.conf')
      out.push(...lexInclude(pattern, loc, st, stack))
      continue
    }
    out.push({...loc, tokens})
  }
  return out
}

function lexInclude(pattern: string, loc: Loc, st: LexState, stack: string[]): SrcLine[] {
  const abs = resolveInclude(pattern, loc.file)
  const inc: KaInclude = {...loc, pattern, files: []}
  st.includes.push(inc)
  const read = st.opts.readInclude
  if (read === undefined) {
    st.warnings.push({...loc, message: `include ${pattern} not followed (no include reader)`})
    return []
  }
  if (stack.length >= MAX_INCLUDE_DEPTH) throw configError(WHAT, loc, `include nesting deeper than ${MAX_INCLUDE_DEPTH} levels`, 'look for an include loop')
  const paths = hasGlob(abs) ? (st.opts.listInclude?.(abs) ?? []) : [abs]
  const out: SrcLine[] = []
  for (const p of paths) {
    if (stack.includes(p)) throw configError(WHAT, loc, `include loop: ${[...stack, p].join(' → ')}`, 'remove the include that points back')
    const text = read(p)
    if (text === null) {
      if (!hasGlob(abs)) st.warnings.push({...loc, message: `include ${pattern}: ${p} not found`})
      continue
    }
    inc.files.push(p)
    out.push(...lexFile(text, p, st, [...stack, p]))
  }
  if (paths.length === 0) st.warnings.push({...loc, message: `include ${pattern} matched no file`})
  return out
}

/** Token lines → directive tree. Braces may close several blocks on one line and open on the next line. */
function buildTree(lines: SrcLine[]): KaDirective[] {
  const root: KaDirective[] = []
  const stack: Array<{children: KaDirective[]; owner?: KaDirective}> = [{children: root}]
  let prev: KaDirective | undefined // last statement, for a `{` on the next line
  for (const ln of lines) {
    let cur: KaDirective | undefined
    for (const t of ln.tokens) {
      const top = stack[stack.length - 1] ?? {children: root}
      if (!t.quoted && t.text === '{') {
        const owner = cur ?? (prev !== undefined && prev.block === undefined && top.children.at(-1) === prev ? prev : undefined)
        if (owner === undefined) throw configError(WHAT, ln, 'a "{" without a keyword before it', 'put the block keyword (vrrp_instance NAME, …) before the brace')
        owner.block = []
        stack.push({children: owner.block, owner})
        cur = undefined
        prev = undefined
      } else if (!t.quoted && t.text === '}') {
        if (stack.length === 1) throw configError(WHAT, ln, 'a "}" closes no block (unbalanced braces)', 'remove the extra "}" or add the missing "{"')
        const closed = stack.pop()
        if (closed?.owner !== undefined) closed.owner.endLine = ln.line
        cur = undefined
        prev = closed?.owner
      } else if (cur === undefined) {
        cur = {keyword: t.text, args: [], file: ln.file, line: ln.line}
        top.children.push(cur)
      } else cur.args.push(t.text)
    }
    if (cur !== undefined) prev = cur
  }
  if (stack.length > 1) {
    const open = stack[stack.length - 1]?.owner
    const loc = open ?? {file: lines[0]?.file ?? '<unknown>', line: 1}
    throw configError(WHAT, loc, `block "${open === undefined ? '?' : [open.keyword, ...open.args].join(' ')}" is never closed (unbalanced braces)`, 'add the missing "}"')
  }
  return root
}

// --- interpretation -------------------------------------------------------------------------------

const INSTANCE_KNOWN = new Set(
  (
    'accept advert_int auth_pass auth_type authentication check_unicast_src debug dont_track_primary down_timer_adverts ' +
    'garp_extra_if garp_lower_prio_delay garp_lower_prio_repeat garp_master_delay garp_master_refresh garp_master_refresh_repeat ' +
    'garp_master_repeat higher_prio_send_advert interface kernel_rx_buf_size linkbeat_use_polling lower_prio_no_advert ' +
    'mcast_dst_ip mcast_src_ip native_ipv6 no_accept nopreempt notify notify_backup notify_fault notify_master ' +
    'notify_master_rx_lower_pri notify_priority_changes notify_stop notify_deleted old_unicast_checksum preempt preempt_delay priority ' +
    'promote_secondaries skip_check_adv_addr smtp_alert state strict_mode track_bfd track_file track_interface track_process ' +
    'track_script track_src_ip unicast_fault_no_peer unicast_peer unicast_src_ip unicast_ttl use_ipvlan use_vmac use_vmac_addr ' +
    'version virtual_ipaddress virtual_ipaddress_excluded virtual_router_id virtual_routes virtual_rules vmac_xmit_base'
  ).split(' '),
)
const SCRIPT_KNOWN = new Set(['script', 'interval', 'timeout', 'weight', 'rise', 'fall', 'user', 'init_fail'])
const VS_KNOWN = new Set(
  (
    'delay_loop lb_algo lvs_sched lb_kind lvs_method persistence_timeout persistence_granularity persistence_engine protocol ' +
    'sorry_server sorry_server_inhibit sorry_server_lvs_method ha_suspend virtualhost alpha omega quorum quorum_up quorum_down ' +
    'hysteresis retry delay_before_retry warmup ip_family inhibit_on_failure connect_timeout smtp_alert real_server ops ' +
    'one_packet_scheduling lb_flags mh-fallback mh-port flag-1 flag-2 flag-3 sh-port sh-fallback tunnel_type'
  ).split(' '),
)
const RS_KNOWN = new Set(
  (
    'weight inhibit_on_failure notify_up notify_down uthreshold lthreshold lvs_method delay_before_retry retry warmup delay_loop ' +
    'smtp_alert virtualhost alpha connect_timeout'
  ).split(' '),
)
const CHECKERS = new Set(['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'MISC_CHECK', 'SMTP_CHECK', 'DNS_CHECK', 'BFD_CHECK', 'PING_CHECK', 'UDP_CHECK', 'FILE_CHECK'])
const TOP_KNOWN = new Set(
  (
    'global_defs vrrp_script vrrp_instance vrrp_sync_group vrrp_track_process vrrp_track_file virtual_server virtual_server_group ' +
    'static_ipaddress static_routes static_rules linkbeat_interfaces bfd_instance garp_group net_namespace instance use_pid_dir ' +
    'track_file'
  ).split(' '),
)

function needArg(d: KaDirective, n = 1, hint = ''): string {
  const v = d.args[n - 1]
  if (v === undefined || v === '') throw configError(WHAT, d, `"${d.keyword}" needs a value${hint === '' ? '' : ` (${hint})`}`, `give ${d.keyword} a value at ${d.file}:${d.line}`)
  return v
}

function num(d: KaDirective, n = 1, hint = 'a number'): number {
  const s = needArg(d, n, hint)
  const v = toNumber(s)
  if (v === undefined) throw configError(WHAT, d, `"${d.keyword} ${s}": not a number`, `write ${d.keyword} as ${hint}`)
  return v
}

function int(d: KaDirective, n = 1, hint = 'an integer'): number {
  const s = needArg(d, n, hint)
  const v = toInt(s)
  if (v === undefined) throw configError(WHAT, d, `"${d.keyword} ${s}": not an integer`, `write ${d.keyword} as ${hint}`)
  return v
}

function needBlock(d: KaDirective): KaDirective[] {
  if (d.block === undefined) throw configError(WHAT, d, `"${d.keyword}" must open a { … } block`, `write: ${d.keyword} ${d.args.join(' ')} {`.replace(/ +\{$/, ' {'))
  return d.block
}

function needName(d: KaDirective, what: string): string {
  const n = d.args[0]
  if (n === undefined) throw configError(WHAT, d, `"${d.keyword}" needs a name`, `write: ${d.keyword} ${what} {`)
  return n
}

function isOnOff(s: string | undefined): boolean {
  return s === undefined || !/^(off|false|no|0)$/i.test(s)
}

function parseVip(d: KaDirective): KaVip {
  const text = [d.keyword, ...d.args].join(' ')
  const m = /^([^/\s]+)(?:\/(\d{1,3}))?$/.exec(d.keyword)
  if (m === null) throw configError(WHAT, d, `"${d.keyword}" is not an address[/prefix]`, 'write: 10.0.0.100/24 dev eth0')
  const address = m[1] ?? ''
  const family: 4 | 6 = address.includes(':') ? 6 : 4
  const vip: KaVip = {address, family, text, file: d.file, line: d.line}
  if (m[2] !== undefined) vip.prefixLen = Number(m[2])
  for (let i = 0; i < d.args.length; i++) {
    if (d.args[i] === 'dev') vip.dev = d.args[i + 1]
    if (d.args[i] === 'label') vip.label = d.args[i + 1]
  }
  return vip
}

function trackRefs(block: KaDirective[]): KaTrackRef[] {
  return block.map((c) => {
    const ref: KaTrackRef = {name: c.keyword, file: c.file, line: c.line}
    const wi = c.args.indexOf('weight')
    if (wi >= 0) {
      const w = toInt(c.args[wi + 1])
      if (w === undefined) throw configError(WHAT, c, `"${c.keyword} weight ${c.args[wi + 1] ?? ''}": the weight must be an integer`, 'write: chk_haproxy weight -20')
      ref.weight = w
    }
    return ref
  })
}

function joined(d: KaDirective): string {
  return d.args.join(' ')
}

function unknownIn(cfg: KeepalivedConfig, d: KaDirective, context: string): void {
  cfg.unknown.push({keyword: d.keyword, context, file: d.file, line: d.line})
}

function parseGlobal(cfg: KeepalivedConfig, d: KaDirective): void {
  const g = cfg.globalDefs
  if (g.line === undefined) {
    g.line = d.line
    g.file = d.file
  }
  for (const c of needBlock(d)) {
    g.raw.push(c)
    switch (c.keyword) {
      case 'router_id':
        g.routerId = needArg(c)
        break
      case 'vrrp_version': {
        const v = int(c, 1, '2 or 3')
        if (v !== 2 && v !== 3) throw configError(WHAT, c, `vrrp_version ${v}: must be 2 or 3`, 'write: vrrp_version 3')
        g.vrrpVersion = v
        break
      }
      case 'vrrp_strict':
        g.vrrpStrict = true
        break
      case 'script_user':
        g.scriptUser = needArg(c)
        break
      case 'enable_script_security':
        g.enableScriptSecurity = true
        break
      case 'vrrp_down_timer_adverts':
        g.downTimerAdverts = int(c, 1, 'an integer 1–100')
        break
    }
  }
}

function parseScript(cfg: KeepalivedConfig, d: KaDirective): void {
  const s: KaVrrpScript = {
    name: needName(d, 'chk_NAME'),
    script: '',
    interval: 1,
    fall: 1,
    rise: 1,
    weight: 0,
    weightReverse: false,
    initFail: false,
    lines: {},
    raw: needBlock(d),
    file: d.file,
    line: d.line,
  }
  for (const c of s.raw) {
    s.lines[c.keyword] = c.line
    switch (c.keyword) {
      case 'script':
        needArg(c, 1, 'a command')
        s.script = joined(c)
        break
      case 'interval':
        s.interval = num(c, 1, 'seconds')
        break
      case 'timeout':
        s.timeout = num(c, 1, 'seconds')
        break
      case 'fall':
        s.fall = int(c)
        break
      case 'rise':
        s.rise = int(c)
        break
      case 'weight':
        s.weight = int(c, 1, 'an integer -253..253')
        s.weightReverse = c.args[1] === 'reverse'
        break
      case 'user':
        s.user = needArg(c)
        break
      case 'init_fail':
        s.initFail = true
        break
      default:
        if (!SCRIPT_KNOWN.has(c.keyword)) unknownIn(cfg, c, `vrrp_script ${s.name}`)
    }
  }
  // keepalived drops a script without a command (with a warning) and goes on: so do we.
  if (s.script === '') cfg.warnings.push({file: d.file, line: d.line, message: `vrrp_script ${s.name} has no "script" line: keepalived ignores it`})
  else cfg.vrrpScripts.push(s)
}

const NOTIFY_KEYS = new Set(['notify', 'notify_master', 'notify_backup', 'notify_fault', 'notify_stop', 'notify_deleted', 'notify_master_rx_lower_pri'])

function parseInstance(cfg: KeepalivedConfig, d: KaDirective): void {
  const name = needName(d, 'VI_1')
  const v: KaVrrpInstance = {
    name,
    priority: 100,
    advertInt: 1,
    version: cfg.globalDefs.vrrpVersion ?? 2,
    nopreempt: false,
    trackScripts: [],
    trackScriptRefs: [],
    trackFiles: [],
    trackInterfaces: [],
    trackProcesses: [],
    trackProcessRefs: [],
    unicastPeers: [],
    unicastPeerRefs: [],
    virtualIpaddresses: [],
    virtualIpaddressesExcluded: [],
    notify: {},
    lines: {},
    raw: needBlock(d),
    file: d.file,
    line: d.line,
  }
  if (d.endLine !== undefined) v.endLine = d.endLine
  let ownVersion = false
  for (const c of v.raw) {
    v.lines[c.keyword] = c.line
    switch (c.keyword) {
      case 'state': {
        const s = needArg(c, 1, 'MASTER or BACKUP')
        if (s === 'MASTER' || s === 'BACKUP') v.state = s
        else cfg.warnings.push({file: c.file, line: c.line, message: `vrrp_instance ${name}: state "${s}" is neither MASTER nor BACKUP (keepalived treats it as BACKUP)`})
        break
      }
      case 'interface':
        v.interface = needArg(c, 1, 'an interface name')
        break
      case 'virtual_router_id':
        v.virtualRouterId = int(c, 1, 'an integer 1–255')
        break
      case 'priority':
        v.priority = int(c, 1, 'an integer 1–254')
        break
      case 'advert_int':
        v.advertInt = num(c, 1, 'seconds')
        break
      case 'version': {
        const ver = int(c, 1, '2 or 3')
        if (ver !== 2 && ver !== 3) throw configError(WHAT, c, `version ${ver}: must be 2 or 3`, 'write: version 3')
        v.version = ver
        ownVersion = true
        break
      }
      case 'nopreempt':
        v.nopreempt = true
        break
      case 'preempt':
        v.nopreempt = false
        break
      case 'preempt_delay':
        v.preemptDelay = num(c, 1, 'seconds')
        break
      case 'strict_mode':
        v.strictMode = isOnOff(c.args[0])
        break
      case 'down_timer_adverts':
        v.downTimerAdverts = int(c, 1, 'an integer 1–100')
        break
      case 'track_script': {
        const refs = trackRefs(needBlock(c))
        v.trackScriptRefs.push(...refs)
        v.trackScripts.push(...refs.map((r) => r.name))
        break
      }
      case 'track_interface':
        v.trackInterfaces.push(...trackRefs(needBlock(c)).map((r) => r.name))
        break
      case 'track_process': {
        const refs = trackRefs(needBlock(c))
        v.trackProcessRefs.push(...refs)
        v.trackProcesses.push(...refs.map((r) => r.name))
        break
      }
      case 'track_file':
        v.trackFiles.push(...trackRefs(needBlock(c)).map((r) => r.name))
        break
      case 'unicast_peer':
        for (const p of needBlock(c)) {
          v.unicastPeers.push(p.keyword)
          v.unicastPeerRefs.push({address: p.keyword, file: p.file, line: p.line})
        }
        break
      case 'unicast_src_ip':
        v.unicastSrcIp = needArg(c, 1, 'an address')
        break
      case 'authentication': {
        const a: KaAuth = {file: c.file, line: c.line}
        for (const x of needBlock(c)) {
          if (x.keyword === 'auth_type') a.authType = needArg(x, 1, 'PASS or AH')
          else if (x.keyword === 'auth_pass') {
            a.authPass = needArg(x, 1, 'a password of up to 8 characters')
            a.authPassLine = x.line
          } else unknownIn(cfg, x, `vrrp_instance ${name} authentication`)
        }
        v.authentication = a
        break
      }
      case 'virtual_ipaddress':
        v.virtualIpaddresses.push(...needBlock(c).map(parseVip))
        break
      case 'virtual_ipaddress_excluded':
        v.virtualIpaddressesExcluded.push(...needBlock(c).map(parseVip))
        break
      default:
        if (NOTIFY_KEYS.has(c.keyword)) {
          needArg(c, 1, 'a command')
          v.notify[c.keyword] = joined(c)
        } else if (!INSTANCE_KNOWN.has(c.keyword)) unknownIn(cfg, c, `vrrp_instance ${name}`)
    }
  }
  if (!ownVersion) v.version = cfg.globalDefs.vrrpVersion ?? 2
  cfg.vrrpInstances.push(v)
}

function parseSyncGroup(cfg: KeepalivedConfig, d: KaDirective): void {
  const g: KaSyncGroup = {name: needName(d, 'VG_1'), group: [], trackScriptRefs: [], notify: {}, raw: needBlock(d), file: d.file, line: d.line}
  for (const c of g.raw) {
    if (c.keyword === 'group') g.group.push(...needBlock(c).flatMap((x) => [x.keyword, ...x.args]))
    else if (c.keyword === 'track_script') g.trackScriptRefs.push(...trackRefs(needBlock(c)))
    else if (NOTIFY_KEYS.has(c.keyword)) g.notify[c.keyword] = joined(c)
    else if (c.block === undefined && c.args.length === 0 && /^[A-Za-z0-9_.-]+$/.test(c.keyword) && /[A-Z]/.test(c.keyword)) {
      // old syntax (keepalived 1.x samples): member instance names directly in the block
      g.group.push(c.keyword)
    } else if (!['track_interface', 'track_process', 'track_file', 'track_bfd', 'smtp_alert', 'global_tracking', 'sync_group_tracking_weight'].includes(c.keyword)) {
      unknownIn(cfg, c, `vrrp_sync_group ${g.name}`)
    }
  }
  cfg.syncGroups.push(g)
}

function parseTrackProcess(cfg: KeepalivedConfig, d: KaDirective): void {
  const p: KaTrackProcess = {name: needName(d, 'chk_NAME'), weight: 0, quorum: 1, raw: needBlock(d), file: d.file, line: d.line}
  for (const c of p.raw) {
    if (c.keyword === 'process') p.process = needArg(c, 1, 'a process name')
    else if (c.keyword === 'weight') p.weight = int(c)
    else if (c.keyword === 'quorum') p.quorum = int(c)
  }
  cfg.trackProcesses.push(p)
}

function parseRealServer(cfg: KeepalivedConfig, d: KaDirective, vsName: string): KaRealServer {
  const address = needArg(d, 1, 'ADDRESS PORT')
  const portS = d.args[1]
  const port = portS === undefined ? 0 : toInt(portS)
  if (port === undefined) throw configError(WHAT, d, `real_server ${address} ${portS ?? ''}: the port is not a number`, 'write: real_server 10.0.0.21 80 {')
  const rs: KaRealServer = {address, port, checkers: [], checkerRefs: [], raw: needBlock(d), file: d.file, line: d.line}
  for (const c of rs.raw) {
    if (CHECKERS.has(c.keyword)) {
      rs.checkers.push(c.keyword)
      rs.checkerRefs.push({kind: c.keyword, file: c.file, line: c.line})
    } else if (c.keyword === 'weight') rs.weight = int(c)
    else if (c.keyword === 'inhibit_on_failure') rs.inhibitOnFailure = {file: c.file, line: c.line}
    else if (!RS_KNOWN.has(c.keyword)) unknownIn(cfg, c, `${vsName} real_server ${address}`)
  }
  return rs
}

function parseVirtualServer(cfg: KeepalivedConfig, d: KaDirective): void {
  const a0 = needArg(d, 1, 'ADDRESS PORT, fwmark N or group NAME')
  let vs: KaVirtualServer
  const base = {protocol: 'TCP', realServers: [], lines: {}, raw: needBlock(d), file: d.file, line: d.line}
  if (a0 === 'fwmark' || a0 === 'group') {
    vs = {...base, kind: a0, address: needArg(d, 2, `${a0} ${a0 === 'fwmark' ? 'N' : 'NAME'}`), port: 0}
  } else {
    const portS = d.args[1]
    // `virtual_server 10.0.0.1 80` or `virtual_server 10.0.0.1:80` (not keepalived's syntax, but written in the wild)
    const m = portS === undefined ? /^(.+):(\d+)$/.exec(a0) : null
    const port = portS !== undefined ? toInt(portS) : m !== null ? Number(m[2]) : undefined
    if (port === undefined) throw configError(WHAT, d, `virtual_server ${a0}: needs an address and a port`, 'write: virtual_server 10.0.0.100 80 {')
    vs = {...base, kind: 'ip', address: m !== null ? (m[1] ?? a0) : a0, port}
  }
  const vsName = `virtual_server ${d.args.join(' ')}`
  for (const c of vs.raw) {
    vs.lines[c.keyword] = c.line
    switch (c.keyword) {
      case 'protocol':
        vs.protocol = needArg(c, 1, 'TCP or UDP').toUpperCase()
        break
      case 'lb_algo':
      case 'lvs_sched':
        vs.lbAlgo = needArg(c, 1, 'rr, wrr, lc, wlc, sh, …')
        break
      case 'lb_kind':
      case 'lvs_method':
        vs.lbKind = needArg(c, 1, 'NAT, DR or TUN').toUpperCase()
        break
      case 'delay_loop':
        vs.delayLoop = num(c, 1, 'seconds')
        break
      case 'persistence_timeout':
        vs.persistenceTimeout = num(c, 1, 'seconds')
        break
      case 'sorry_server':
        vs.sorryServer = joined(c)
        break
      case 'inhibit_on_failure':
        vs.inhibitOnFailure = {file: c.file, line: c.line}
        break
      case 'real_server':
        vs.realServers.push(parseRealServer(cfg, c, vsName))
        break
      default:
        if (!VS_KNOWN.has(c.keyword) && !CHECKERS.has(c.keyword)) unknownIn(cfg, c, vsName)
    }
  }
  cfg.virtualServers.push(vs)
}

/** Parse a keepalived.conf (and what it includes). Throws HachaosError (BAD_INPUT, file:line) on malformed input. */
export function parseKeepalivedConf(text: string, opts: KeepalivedParseOptions): KeepalivedConfig {
  const st: LexState = {opts, params: new Map(), files: [], includes: [], warnings: [], skipped: []}
  const lines = lexFile(text, opts.file, st, [opts.file])
  const tree = buildTree(lines)
  const cfg: KeepalivedConfig = {
    file: opts.file,
    files: st.files,
    globalDefs: {vrrpStrict: false, enableScriptSecurity: false, raw: []},
    vrrpScripts: [],
    vrrpInstances: [],
    syncGroups: [],
    trackProcesses: [],
    virtualServers: [],
    virtualServerGroups: [],
    includes: st.includes,
    unknown: [],
    warnings: st.warnings,
    skippedConditionals: st.skipped,
    ...(opts.configId === undefined ? {} : {configId: opts.configId}),
    tree,
  }
  // global_defs first: vrrp_version there is the default of every instance, wherever it is written.
  for (const d of tree) if (d.keyword === 'global_defs') parseGlobal(cfg, d)
  for (const d of tree) {
    switch (d.keyword) {
      case 'global_defs':
        break
      case 'vrrp_script':
        parseScript(cfg, d)
        break
      case 'vrrp_instance':
        parseInstance(cfg, d)
        break
      case 'vrrp_sync_group':
        parseSyncGroup(cfg, d)
        break
      case 'vrrp_track_process':
        parseTrackProcess(cfg, d)
        break
      case 'virtual_server':
        parseVirtualServer(cfg, d)
        break
      case 'virtual_server_group':
        cfg.virtualServerGroups.push({
          name: needName(d, 'NAME'),
          members: needBlock(d).map((c) => [c.keyword, ...c.args].join(' ')),
          file: d.file,
          line: d.line,
        })
        break
      default:
        if (!TOP_KNOWN.has(d.keyword)) unknownIn(cfg, d, '')
    }
  }
  const names = new Map<string, KaDirective>()
  for (const d of tree) {
    if (d.keyword !== 'vrrp_instance') continue
    const n = d.args[0] ?? ''
    const first = names.get(n)
    if (first !== undefined) throw configError(WHAT, d, `vrrp_instance ${n} is defined twice (first at ${first.file}:${first.line})`, 'give each vrrp_instance its own name')
    names.set(n, d)
  }
  return cfg
}

// --- effective values -----------------------------------------------------------------------------

export interface EffectiveTrackScript {
  name: string
  intervalS: number
  fall: number
  rise: number
  /** Effective weight: the track_script entry's override, else the vrrp_script's weight. 0 = FAULT on failure. */
  weight: number
  timeoutS?: number
}

export interface EffectiveVrrp {
  /** The advertisement interval keepalived really uses (v2: rounded to whole seconds; v3: to 10 ms). */
  advertIntS: number
  /** The priority keepalived really uses (outside 1–255 it falls back to 100). */
  priority: number
  version: 2 | 3
  /** Adverts a backup misses before it declares the master down (Master_Down_Interval multiplier; default 3). */
  downTimerAdverts: number
  /** `nopreempt` really in force (keepalived clears it with `state MASTER`). */
  preempt: boolean
  preemptDelayS: number
  trackScripts: EffectiveTrackScript[]
  /** Track script names referenced but defined nowhere (keepalived ignores them). */
  missingScripts: string[]
  /** What keepalived adjusts, in its own words. */
  adjustments: string[]
}

/**
 * The VRRP parameters keepalived 2.2 actually runs with for an instance (measured with `keepalived -d`):
 * advert_int outside 0.01–255 s is ignored (1 s), VRRPv2 rounds it half-up to whole seconds (minimum 1),
 * VRRPv3 to 10 ms; a priority outside 1–255 becomes 100; `nopreempt` with `state MASTER` is cleared.
 */
export function effectiveVrrp(instance: KaVrrpInstance, cfg: KeepalivedConfig): EffectiveVrrp {
  const adjustments: string[] = []
  let adv = instance.advertInt
  if (!(adv >= 0.01 && adv <= 255)) {
    adjustments.push(`advert_int ${adv} is outside 0.01–255 s: ignored, 1 s used`)
    adv = 1
  }
  if (instance.version === 2) {
    if (!Number.isInteger(adv)) {
      const r = Math.max(1, Math.floor(adv + 0.5))
      adjustments.push(`VRRPv2 advert_int ${adv} s is not an integer: rounded to ${r} s`)
      adv = r
    }
  } else {
    const cs = Math.round(adv * 100)
    if (Math.abs(cs - adv * 100) > 1e-6) {
      adjustments.push(`VRRPv3 advert_int ${adv} s is not a multiple of 10 ms: rounded to ${cs / 100} s`)
    }
    adv = Math.max(1, cs) / 100
  }
  let priority = instance.priority
  if (priority < 1 || priority > 255) {
    adjustments.push(`priority ${priority} is outside 1–255: keepalived uses 100`)
    priority = 100
  }
  let preempt = !instance.nopreempt
  if (instance.nopreempt && instance.state === 'MASTER') {
    adjustments.push('nopreempt with state MASTER: keepalived clears nopreempt')
    preempt = true
  }
  const scripts = new Map(cfg.vrrpScripts.map((s) => [s.name, s]))
  const refs = [...instance.trackScriptRefs]
  for (const g of cfg.syncGroups) if (g.group.includes(instance.name)) refs.push(...g.trackScriptRefs)
  const trackScripts: EffectiveTrackScript[] = []
  const missingScripts: string[] = []
  for (const r of refs) {
    const s = scripts.get(r.name)
    if (s === undefined) {
      missingScripts.push(r.name)
      continue
    }
    const t: EffectiveTrackScript = {name: s.name, intervalS: s.interval, fall: s.fall, rise: s.rise, weight: r.weight ?? s.weight}
    if (s.timeout !== undefined) t.timeoutS = s.timeout
    trackScripts.push(t)
  }
  return {
    advertIntS: adv,
    priority,
    version: instance.version,
    downTimerAdverts: instance.downTimerAdverts ?? cfg.globalDefs.downTimerAdverts ?? 3,
    preempt,
    preemptDelayS: instance.preemptDelay ?? 0,
    trackScripts,
    missingScripts,
    adjustments,
  }
}
