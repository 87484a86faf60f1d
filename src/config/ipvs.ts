/**
 * LVS (IPVS) tables: `ipvsadm -Ln` (also `--stats`/`--rate` layouts) and `ipvsadm --save -n` / `-S`
 * (ipvsadm-save, the rules file of ipvsadm-restore). Format from ipvsadm 1.31 (captured in a guest).
 */
import {type Loc, configError, splitLines, toInt} from './common.js'

export type IpvsForward = 'DR' | 'NAT' | 'TUN' | 'LOCAL' | 'BYPASS' | 'UNKNOWN'

export interface IpvsReal extends Loc {
  address: string
  port: number
  forward: IpvsForward
  weight?: number
}

export interface IpvsService extends Loc {
  protocol: 'TCP' | 'UDP' | 'SCTP' | 'FWM'
  /** Address (IPv6 without brackets), or the firewall mark for FWM. */
  address: string
  port: number
  scheduler?: string
  /** Persistence timeout, seconds. */
  persistent?: number
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

function parseList(lines: string[], file: string): IpvsTable {
  const services: IpvsService[] = []
  let cur: IpvsService | undefined
  let sawHeader = false
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? ''
    const loc: Loc = {file, line: i + 1}
    const t = line.trim()
    if (t === '') continue
    if (/^IP Virtual Server version/.test(t)) {
      sawHeader = true
      continue
    }
    if (/^Prot LocalAddress:Port/.test(t) || /^-> RemoteAddress:Port/.test(t)) continue
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
      }
      cur.reals.push(real)
      continue
    }
    const proto = w[0]
    if (proto === 'TCP' || proto === 'UDP' || proto === 'SCTP' || proto === 'FWM') {
      if (w[1] === undefined) throw configError(WHAT, loc, `"${proto}" without an address`, 'give the whole `ipvsadm -Ln` output')
      const svc: IpvsService =
        proto === 'FWM' ? {protocol: proto, address: w[1], port: 0, reals: [], file, line: loc.line} : {protocol: proto, ...hostPort(w[1], loc), reals: [], file, line: loc.line}
      const sched = w[2]
      if (sched !== undefined && !/^\d+$/.test(sched)) svc.scheduler = sched
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
      else if (SAVE_FORWARD[o] !== undefined) forward = SAVE_FORWARD[o] ?? 'DR'
    }
    if (proto === undefined || addr === undefined) {
      throw configError(WHAT, loc, `"${t}": no -t/-u/-f service`, 'each ipvsadm --save line names its service with -t, -u, --sctp-service or -f')
    }
    const where = proto === 'FWM' ? {address: addr, port: 0} : hostPort(addr, loc)
    if (op === '-A' || op === '--add-service') {
      const svc: IpvsService = {protocol: proto, ...where, reals: [], file, line: loc.line}
      if (sched !== undefined) svc.scheduler = sched
      if (persistent !== undefined) svc.persistent = persistent
      services.push(svc)
      byKey.set(key(proto, addr), svc)
    } else if (op === '-a' || op === '--add-server') {
      const svc = byKey.get(key(proto, addr))
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
