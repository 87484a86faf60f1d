/**
 * LVS (IPVS) tables: `ipvsadm -Ln` (also `--stats`/`--rate`/`--thresholds`/`--persistent-conn` layouts) and
 * `ipvsadm --save -n` / `-S` (ipvsadm-save, the rules file of ipvsadm-restore). Format from ipvsadm 1.31
 * (captured in a guest) and its print_service_entry: an IPv6 firewall-mark service is "FWM  1 IPv6 wrr"
 * (save: "-A -f 1 -6"), scheduler flags follow the scheduler in parentheses ("mh (mh-port)"; save: "-b").
 */
import {type Loc, configError, splitLines, toInt} from './common.js'

export type IpvsForward = 'DR' | 'NAT' | 'TUN' | 'LOCAL' | 'BYPASS' | 'UNKNOWN'

export interface IpvsReal extends Loc {
  address: string
  port: number
  forward: IpvsForward
  weight?: number
  /** `ipvsadm -Ln` only (ActiveConn, InActConn columns). */
  activeConn?: number
  inactConn?: number
}

export interface IpvsService extends Loc {
  protocol: 'TCP' | 'UDP' | 'SCTP' | 'FWM'
  /** Address (IPv6 without brackets), or the firewall mark for FWM. */
  address: string
  port: number
  scheduler?: string
  /** Scheduler flags: "mh (mh-fallback,mh-port)" in a listing, "-b sh-port" in --save. */
  schedFlags?: string[]
  /** Persistence timeout, seconds. */
  persistent?: number
  /** "FWM  1 IPv6" / "-f 1 -6": an IPv6 firewall-mark service (the same mark may also exist for IPv4). */
  family?: 'inet6'
  reals: IpvsReal[]
}

export interface IpvsTable {
  file: string
  format: 'list' | 'save'
  services: IpvsService[]
}

const WHAT = 'ipvsadm output'

const FORWARD_WORD: Record<string, IpvsForward> = {Route: 'DR', Masq: 'NAT', Tunnel: 'TUN', Local: 'LOCAL', Bypass: 'BYPASS'}

/** `10.0.0.1:80`, `[2001:db8::1]:80` → address, port. */
function hostPort(s: string, loc: Loc): {address: string; port: number} {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s)
  if (m === null) throw configError(WHAT, loc, `"${s}" is not ADDRESS:PORT`, 'run ipvsadm with -n (numeric) so addresses and ports are numbers')
  return {address: m[1] ?? '', port: Number(m[2])}
}

/** Parse `ipvsadm -Ln` or `ipvsadm --save` output (the format is detected). Throws HachaosError (BAD_INPUT). */
export function parseIpvsadm(text: string, opts: {file: string}): IpvsTable {
  const lines = splitLines(text)
  const isSave = lines.some((l) => /^-[Aa]\s|^--add-(service|server)\b/.test(l.trim()))
  return isSave ? parseSave(lines, opts.file) : parseList(lines, opts.file)
}

/**
 * The listing's layout, from its column header: `-Ln` and `--persistent-conn` / `--thresholds` print the
 * scheduler after the service; `--stats` and `--rate` print counters there (with K/M/G/T suffixes).
 */
type ListLayout = 'list' | 'counters'

/** A counter as ipvsadm prints it: digits, with an optional K/M/G/T suffix (print_largenum). */
const COUNTER = /^\d+[KMGT]?$/

function parseList(lines: string[], file: string): IpvsTable {
  const services: IpvsService[] = []
  let cur: IpvsService | undefined
  let sawHeader = false
  let layout: ListLayout | undefined
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? ''
    const loc: Loc = {file, line: i + 1}
    const t = line.trim()
    if (t === '') continue
    if (/^IP Virtual Server version/.test(t)) {
      sawHeader = true
      continue
    }
    if (/^IPVS connection entries$/.test(t) || /^pro\s+expire\s+state\b/.test(t)) {
      throw configError(WHAT, loc, 'this is the connection table (`ipvsadm -Lnc`), not the virtual service table', 'give the output of `ipvsadm -Ln` or `ipvsadm --save -n`')
    }
    if (/^Prot LocalAddress:Port/.test(t)) {
      layout = /\b(Conns|CPS)\b/.test(t) ? 'counters' : 'list'
      continue
    }
    if (/^-> RemoteAddress:Port/.test(t)) continue
    const w = t.split(/\s+/)
    if (w[0] === '->') {
      if (cur === undefined) throw configError(WHAT, loc, 'a real server ("->") before any virtual service', 'give the whole `ipvsadm -Ln` output')
      const {address, port} = hostPort(w[1] ?? '', loc)
      const fw = w[2] === undefined ? undefined : FORWARD_WORD[w[2]]
      const real: IpvsReal = {address, port, forward: fw ?? 'UNKNOWN', file, line: loc.line}
      // list layout: -> ADDR Forward Weight ActiveConn InActConn; --stats/--rate have numbers only
      if (fw !== undefined) {
        const weight = toInt(w[3])
        if (weight === undefined) throw configError(WHAT, loc, `real server ${w[1] ?? ''}: no weight after "${w[2] ?? ''}"`, 'give the whole `ipvsadm -Ln` output')
        real.weight = weight
        const active = toInt(w[4])
        const inact = toInt(w[5])
        if (active !== undefined) real.activeConn = active
        if (inact !== undefined) real.inactConn = inact
      }
      cur.reals.push(real)
      continue
    }
    const proto = w[0]
    if (proto === 'TCP' || proto === 'UDP' || proto === 'SCTP' || proto === 'FWM') {
      if (w[1] === undefined) throw configError(WHAT, loc, `"${proto}" without an address`, 'give the whole `ipvsadm -Ln` output')
      const svc: IpvsService =
        proto === 'FWM' ? {protocol: proto, address: w[1], port: 0, reals: [], file, line: loc.line} : {protocol: proto, ...hostPort(w[1], loc), reals: [], file, line: loc.line}
      let k = 2
      if (proto === 'FWM' && w[k] === 'IPv6') {
        svc.family = 'inet6'
        k++
      }
      const sched = w[k]
      // --stats/--rate: counters where -Ln has the scheduler (without a header: anything that looks like one)
      if (sched !== undefined && layout !== 'counters' && !COUNTER.test(sched)) {
        svc.scheduler = sched
        const f = /^\((.*)\)$/.exec(w[k + 1] ?? '')
        if (f !== null) svc.schedFlags = (f[1] ?? '').split(',').filter((x) => x !== '')
      }
      const pi = w.indexOf('persistent')
      if (pi >= 0) svc.persistent = toInt(w[pi + 1]) ?? 0
      services.push(svc)
      cur = svc
      continue
    }
    throw configError(WHAT, loc, `cannot read "${t}"`, 'give the output of `ipvsadm -Ln` or `ipvsadm --save -n`')
  }
  if (!sawHeader && services.length === 0) {
    throw configError(WHAT, {file, line: 1}, 'no "IP Virtual Server version" header and no services: not ipvsadm output', 'give the output of `ipvsadm -Ln` or `ipvsadm --save -n`')
  }
  return {file, format: 'list', services}
}

const SAVE_PROTO: Record<string, IpvsService['protocol']> = {
  '-t': 'TCP',
  '--tcp-service': 'TCP',
  '-u': 'UDP',
  '--udp-service': 'UDP',
  '--sctp-service': 'SCTP',
  '-f': 'FWM',
  '--fwmark-service': 'FWM',
}
const SAVE_FORWARD: Record<string, IpvsForward> = {'-g': 'DR', '--gatewaying': 'DR', '-m': 'NAT', '--masquerading': 'NAT', '-i': 'TUN', '--ipip': 'TUN'}

function parseSave(lines: string[], file: string): IpvsTable {
  const services: IpvsService[] = []
  const key = (p: string, a: string): string => `${p} ${a}`
  const byKey = new Map<string, IpvsService>()
  for (let i = 0; i < lines.length; i++) {
    const loc: Loc = {file, line: i + 1}
    const t = (lines[i] ?? '').trim()
    if (t === '' || t.startsWith('#')) continue
    const w = t.split(/\s+/)
    const op = w[0]
    let proto: IpvsService['protocol'] | undefined
    let addr: string | undefined
    let real: string | undefined
    let sched: string | undefined
    let persistent: number | undefined
    let schedFlags: string[] | undefined
    let inet6 = false
    let forward: IpvsForward = 'DR' // ipvsadm's default forwarding method
    let weight: number | undefined
    for (let j = 1; j < w.length; j++) {
      const o = w[j] ?? ''
      const p = SAVE_PROTO[o]
      if (p !== undefined) {
        proto = p
        addr = w[++j]
      } else if (o === '-r' || o === '--real-server') real = w[++j]
      else if (o === '-s' || o === '--scheduler') sched = w[++j]
      else if (o === '-p' || o === '--persistent') {
        // -p [TIMEOUT]: the timeout is optional (ipvsadm's default 300 s)
        const n = toInt(w[j + 1])
        persistent = n ?? 300
        if (n !== undefined) j++
      }
      else if (o === '-w' || o === '--weight') weight = toInt(w[++j])
      else if (o === '-b' || o === '--sched-flags') schedFlags = (w[++j] ?? '').split(',').filter((x) => x !== '')
      else if (o === '-6' || o === '--ipv6') inet6 = true
      else if (SAVE_FORWARD[o] !== undefined) forward = SAVE_FORWARD[o] ?? 'DR'
    }
    if (proto === undefined || addr === undefined) {
      throw configError(WHAT, loc, `"${t}": no -t/-u/-f service`, 'each ipvsadm --save line names its service with -t, -u, --sctp-service or -f')
    }
    const where = proto === 'FWM' ? {address: addr, port: 0} : hostPort(addr, loc)
    if (op === '-A' || op === '--add-service') {
      const svc: IpvsService = {protocol: proto, ...where, reals: [], file, line: loc.line}
      if (sched !== undefined) svc.scheduler = sched
      if (schedFlags !== undefined) svc.schedFlags = schedFlags
      if (persistent !== undefined) svc.persistent = persistent
      if (proto === 'FWM' && inet6) svc.family = 'inet6'
      services.push(svc)
      byKey.set(key(proto, proto === 'FWM' && inet6 ? `${addr} -6` : addr), svc)
    } else if (op === '-a' || op === '--add-server') {
      const svc = byKey.get(key(proto, proto === 'FWM' && inet6 ? `${addr} -6` : addr))
      if (svc === undefined) throw configError(WHAT, loc, `real server for ${proto} ${addr} before its service (-A)`, 'give the whole `ipvsadm --save` output, services first')
      if (real === undefined) throw configError(WHAT, loc, `"${t}": no -r real server`, 'write: -a -t VIP:PORT -r REAL:PORT -g -w 1')
      const r: IpvsReal = {...(proto === 'FWM' && !real.includes(':') ? {address: real, port: 0} : hostPort(real, loc)), forward, file, line: loc.line}
      if (weight !== undefined) r.weight = weight
      svc.reals.push(r)
    } else {
      throw configError(WHAT, loc, `unknown command "${op ?? ''}"`, 'ipvsadm --save lines start with -A (service) or -a (real server)')
    }
  }
  return {file, format: 'save', services}
}
