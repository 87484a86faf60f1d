/**
 * Pure readers of IPVS and keepalived state, in the format of ipvsadm 1.31 and keepalived 2.2.7 (Debian 12;
 * the fixtures in test/fixtures/lvs/ were captured in the LVS lab's guest). Every reader takes text and
 * returns data; the executors that produce the text are in live.ts.
 */

export interface IpvsRealRow {
  address: string
  port: number
  forward: string
  weight: number
  activeConn: number
  inactConn: number
}

export interface IpvsServiceRow {
  protocol: string
  address: string
  port: number
  scheduler: string
  persistent: number | null
  reals: IpvsRealRow[]
}

function hostPort(s: string): {address: string; port: number} | null {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:\s]+):(\d+)$/.exec(s)
  return m === null ? null : {address: m[1] as string, port: Number(m[2])}
}

const FORWARD: Record<string, string> = {Route: 'DR', Masq: 'NAT', Tunnel: 'TUN', Local: 'LOCAL', Bypass: 'BYPASS'}

/** `ipvsadm -Ln`: services with their real servers, weights and active/inactive connections. */
export function parseIpvsList(text: string): IpvsServiceRow[] {
  const out: IpvsServiceRow[] = []
  let cur: IpvsServiceRow | null = null
  for (const raw of text.split('\n')) {
    const l = raw.trim()
    // "TCP  10.0.0.1:80 wlc persistent 300", "FWM  1 IPv6 wrr", "TCP  172.16.42.170:2222 mh (mh-port) persistent 60"
    const svc = /^(TCP|UDP|SCTP|FWM)\s+(\S+)\s+(.*)$/.exec(l)
    if (svc !== null) {
      const hp = svc[1] === 'FWM' ? {address: svc[2] as string, port: 0} : hostPort(svc[2] as string)
      if (hp === null) continue
      const w = (svc[3] as string).split(/\s+/)
      if (svc[1] === 'FWM' && w[0] === 'IPv6') w.shift()
      const pi = w.indexOf('persistent')
      const persistent = pi >= 0 && /^\d+$/.test(w[pi + 1] ?? '') ? Number(w[pi + 1]) : null
      cur = {protocol: svc[1] as string, ...hp, scheduler: w[0] ?? '', persistent, reals: []}
      out.push(cur)
      continue
    }
    const rs = /^->\s+(\S+)\s+(\w+)\s+(-?\d+)\s+(\d+)\s+(\d+)$/.exec(l)
    if (rs !== null && cur !== null) {
      const hp = hostPort(rs[1] as string)
      if (hp === null) continue
      cur.reals.push({...hp, forward: FORWARD[rs[2] as string] ?? (rs[2] as string), weight: Number(rs[3]), activeConn: Number(rs[4]), inactConn: Number(rs[5])})
    }
  }
  return out
}

export interface IpvsStatsRow {
  kind: 'service' | 'real'
  protocol: string | null
  address: string
  port: number
  conns: number
  inPkts: number
  outPkts: number
  inBytes: number
  outBytes: number
}

/** ipvsadm prints large counters with K/M/G/T suffixes (powers of 1000). */
export function ipvsCounter(s: string): number {
  const m = /^(\d+)([KMGT]?)$/.exec(s)
  if (m === null) return Number.NaN
  const mult = {'': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12}[m[2] as '' | 'K' | 'M' | 'G' | 'T']
  return Number(m[1]) * mult
}

/** `ipvsadm -Ln --stats`: per service and real server, connections, packets and bytes since the table was made. */
export function parseIpvsStats(text: string): IpvsStatsRow[] {
  const out: IpvsStatsRow[] = []
  for (const raw of text.split('\n')) {
    const l = raw.trim()
    const svc = /^(TCP|UDP|SCTP|FWM)\s+(\S+)\s+(\w+)\s+(\w+)\s+(\w+)\s+(\w+)\s+(\w+)$/.exec(l)
    const rs = /^->\s+(\S+)\s+(\w+)\s+(\w+)\s+(\w+)\s+(\w+)\s+(\w+)$/.exec(l)
    const m = svc ?? rs
    if (m === null) continue
    const off = svc !== null ? 2 : 1
    const hp = hostPort(m[off] as string)
    if (hp === null) continue
    const n = [1, 2, 3, 4, 5].map((i) => ipvsCounter(m[off + i] as string))
    if (n.some((v) => Number.isNaN(v))) continue
    out.push({kind: svc !== null ? 'service' : 'real', protocol: svc !== null ? (svc[1] as string) : null, ...hp, conns: n[0] as number, inPkts: n[1] as number, outPkts: n[2] as number, inBytes: n[3] as number, outBytes: n[4] as number})
  }
  return out
}

export interface IpvsConn {
  protocol: string
  /** Seconds until the entry expires. */
  expireS: number
  state: string
  source: string
  virtual: string
  destination: string
  /** A persistence template (protocol IP, source port 0). */
  template: boolean
}

/** `mm:ss` (or `h:mm:ss`) → seconds. */
function clock(s: string): number {
  return s.split(':').reduce((acc, p) => acc * 60 + Number(p), 0)
}

/** `ipvsadm -Lnc`: the connection table, one entry per connection (and per persistence template). */
export function parseIpvsConns(text: string): IpvsConn[] {
  const out: IpvsConn[] = []
  for (const raw of text.split('\n')) {
    const m = /^(TCP|UDP|SCTP|IP)\s+(\d+(?::\d+)+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$/.exec(raw.trim())
    if (m === null) continue
    out.push({protocol: m[1] as string, expireS: clock(m[2] as string), state: m[3] as string, source: m[4] as string, virtual: m[5] as string, destination: m[6] as string, template: m[1] === 'IP' || (m[4] as string).endsWith(':0')})
  }
  return out
}

export interface SyncDaemon {
  role: 'master' | 'backup'
  /** `mcast=eth0, syncid=98, …` as key → value. */
  params: Record<string, string>
}

/** `ipvsadm -Ln --daemon`: the running sync daemons (none, master, backup, or both). */
export function parseIpvsDaemon(text: string): SyncDaemon[] {
  const out: SyncDaemon[] = []
  for (const raw of text.split('\n')) {
    const m = /^(master|backup) sync daemon \(([^)]*)\)/.exec(raw.trim())
    if (m === null) continue
    const params: Record<string, string> = {}
    for (const kv of (m[2] as string).split(',')) {
      const [k, ...v] = kv.trim().split('=')
      if (k !== undefined && k !== '') params[k] = v.join('=')
    }
    out.push({role: m[1] as 'master' | 'backup', params})
  }
  return out
}

/** IPVS sysctls, from `sysctl net.ipv4.vs` (`net.ipv4.vs.X = V`) or `grep -r . /proc/sys/net/ipv4/vs` (`…/vs/X:V`). */
export function parseVsSysctls(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const raw of text.split('\n')) {
    const l = raw.trim()
    const a = /^net\.ipv4\.vs\.(\w+)\s*=\s*(.*)$/.exec(l) ?? /^\/proc\/sys\/net\/ipv4\/vs\/(\w+):(.*)$/.exec(l)
    if (a !== null) out[a[1] as string] = (a[2] as string).trim().replace(/\s+/g, ' ')
  }
  return out
}

/** The IPVS sysctls that decide what happens to connections on failover and real-server loss. */
export const VS_SYSCTLS = ['expire_nodest_conn', 'expire_quiescent_template', 'sync_threshold', 'sync_refresh_period', 'sync_version', 'backup_only', 'conntrack', 'sloppy_tcp'] as const

export type KeepalivedEvent =
  | {kind: 'vrrp-state'; instance: string; state: 'MASTER' | 'BACKUP' | 'FAULT' | 'INIT'; line: string}
  | {kind: 'checker-failed'; real: string; service: string | null; line: string}
  | {kind: 'checker-success'; real: string; line: string}
  | {kind: 'rs-removed'; real: string; service: string; line: string}
  | {kind: 'rs-added'; real: string; service: string; line: string}

/** One keepalived log line (its --log-file format) → event, or null for lines that matter to no drill. */
export function parseKeepalivedLine(line: string): KeepalivedEvent | null {
  let m = /\((\S+)\) Entering (MASTER|BACKUP|FAULT|INIT) STATE/.exec(line)
  if (m !== null) return {kind: 'vrrp-state', instance: m[1] as string, state: m[2] as 'MASTER' | 'BACKUP' | 'FAULT' | 'INIT', line}
  // TCP_CHECK, HTTP_GET ("HTTP_CHECK on service …"), MISC_CHECK ("Misc check for [REAL VS …] by […] failed")
  m = /(?:TCP|HTTP|SSL)_CHECK on service (\[[^\]]+\]:\w+:\d+) failed/.exec(line) ?? /TCP connection to (\[[^\]]+\]:\w+:\d+) failed/.exec(line) ?? /Misc check for \[(\[[^\]]+\]:\w+:\d+) VS \[[^\]]+\]:\w+:\d+\] by \[[^\]]*\] failed/.exec(line)
  if (m !== null) return {kind: 'checker-failed', real: m[1] as string, service: null, line}
  m = /TCP connection to (\[[^\]]+\]:\w+:\d+) success/.exec(line) ?? /Remote Web server (\[[^\]]+\]:\w+:\d+) succeed on service/.exec(line) ?? /Misc check for \[(\[[^\]]+\]:\w+:\d+) VS \[[^\]]+\]:\w+:\d+\] by \[[^\]]*\] succeeded/.exec(line)
  if (m !== null) return {kind: 'checker-success', real: m[1] as string, line}
  m = /Removing service (\[[^\]]+\]:\w+:\d+) (?:to|from) VS (\[[^\]]+\]:\w+:\d+)/.exec(line)
  if (m !== null) return {kind: 'rs-removed', real: m[1] as string, service: m[2] as string, line}
  m = /Adding service (\[[^\]]+\]:\w+:\d+) to VS (\[[^\]]+\]:\w+:\d+)/.exec(line)
  if (m !== null) return {kind: 'rs-added', real: m[1] as string, service: m[2] as string, line}
  return null
}

/** The last VRRP state keepalived's log shows for an instance (null: none logged yet). */
export function lastVrrpState(log: string, instance: string): string | null {
  let state: string | null = null
  for (const l of log.split('\n')) {
    const e = parseKeepalivedLine(l)
    if (e?.kind === 'vrrp-state' && e.instance === instance) state = e.state
  }
  return state
}

export type LdirectordEvent =
  | {kind: 'soft-failure'; real: string; virtual: string; failure: number; of: number; line: string}
  | {kind: 'rs-removed'; real: string; virtual: string; line: string}
  | {kind: 'rs-quiesced'; real: string; virtual: string; line: string}
  | {kind: 'rs-added'; real: string; virtual: string; weight: number; line: string}
  | {kind: 'failure-reset'; real: string; virtual: string; line: string}

/**
 * One line of ldirectord 4.12's logfile (`[DATE|CFGNAME|PID] message`) → event, or null. Hand-written: the
 * messages are ldirectord's own ld_log texts (_service_down, _remove_service, _restore_service, _service_up),
 * no library reads them. The virtual is as ldirectord prints it (`10.98.0.100:80` or `tcp:10.98.0.100:80`).
 */
export function parseLdirectordLine(line: string): LdirectordEvent | null {
  let m = /Soft failure real server: (\S+) \(([^)]+)\) failure (\d+)\/(\d+)/.exec(line)
  if (m !== null) return {kind: 'soft-failure', real: m[1] as string, virtual: m[2] as string, failure: Number(m[3]), of: Number(m[4]), line}
  m = /Deleted real server: (\S+) \(([^)]+)\)/.exec(line)
  if (m !== null) return {kind: 'rs-removed', real: m[1] as string, virtual: m[2] as string, line}
  m = /Quiescent real server: (\S+) \(([^)]+)\)/.exec(line)
  if (m !== null) return {kind: 'rs-quiesced', real: m[1] as string, virtual: m[2] as string, line}
  m = /(?:Added|Restored) real server: (\S+) \(([^)]+)\) \(Weight set to (\d+)\)/.exec(line)
  if (m !== null) return {kind: 'rs-added', real: m[1] as string, virtual: m[2] as string, weight: Number(m[3]), line}
  m = /Resetting soft failure count: (\S+) \(([^)]+)\)/.exec(line)
  if (m !== null) return {kind: 'failure-reset', real: m[1] as string, virtual: m[2] as string, line}
  return null
}
