/**
 * Where doctor's input comes from: files named on the command line, a directory of collected configs, or
 * live hosts over the inventory's executors. Everything ends up as DoctorInput (configs per host).
 */
import {readFileSync, readdirSync, statSync} from 'node:fs'
import {basename, join, relative} from 'node:path'

import {parseBondProcFile} from '../bond/proc.js'
import {parseBondSysfsFile, parseSysfsDump} from '../bond/sysfs.js'
import {expandGlob, fsListInclude, fsReadInclude, hasGlob} from '../config/common.js'
import {parseCorosyncConf} from '../config/corosync.js'
import {parseCrmMon} from '../config/crm-mon.js'
import {findmntArgv, parseFindmnt} from '../config/findmnt.js'
import {parseGlusterVolumeInfo} from '../config/gluster.js'
import {parseHaproxyCfg} from '../config/haproxy.js'
import {parseAuthkeys, parseHaCf, parseHaresources} from '../config/heartbeat.js'
import {parseIpvsadm} from '../config/ipvs.js'
import {type KeepalivedConfig, parseKeepalivedConf} from '../config/keepalived.js'
import {parseLdirectordCf} from '../config/ldirectord.js'
import {parseCib} from '../config/pacemaker.js'
import {parseSysctl, sysctlFromProc} from '../config/sysctl.js'
import {HachaosError, errorMessage, fileErrorText, isHachaosError} from '../errors.js'
import type {Executor} from '../exec/types.js'
import type {Inventory, InventoryHost} from '../inventory/inventory.js'
import {type DoctorInput, type HostConfigs, type SourceKind, emptyHost} from './types.js'

export const SOURCE_KINDS: readonly SourceKind[] = ['keepalived', 'haproxy', 'corosync', 'cib', 'crm_mon', 'bonding', 'bonding-sysfs', 'ipvsadm', 'gluster', 'sysctl', 'hacf', 'haresources', 'authkeys', 'ldirectord']

/** What kind of source a file is, by its name first, then by its content. undefined: not one doctor reads. */
export function detectKind(path: string, text: string): SourceKind | undefined {
  const name = basename(path).toLowerCase()
  const head = text.slice(0, 20000)
  if (/^\s*</.test(head)) {
    if (/<cib[\s>]/.test(head)) return 'cib'
    if (/<pacemaker-result[\s>]|<crm_mon[\s>]/.test(head)) return 'crm_mon'
    return undefined
  }
  if (/^[ \t]*(Ethernet Channel Bonding Driver|Bonding Mode:)/m.test(head)) return 'bonding'
  if (/^==> \S*\/bonding\/\S+ <==$/m.test(head)) return 'bonding-sysfs'
  if (/^[ \t]*(IP Virtual Server version|-A -[tuf] )/m.test(head)) return 'ipvsadm'
  if (/^[ \t]*Volume Name:/m.test(head)) return 'gluster'
  // Heartbeat's three files go by their names (/etc/ha.d/ha.cf, haresources, authkeys)
  if (name === 'ha.cf' || /^\s*(keepalive|deadtime)\s+\S+\s*$/m.test(head) && /^\s*(ucast|bcast|mcast|serial|node)\s/m.test(head)) return 'hacf'
  if (name === 'haresources') return 'haresources'
  if (name === 'authkeys') return 'authkeys'
  // ldirectord.cf: by name, or a virtual= line and an indented real= line
  if (/ldirectord.*\.cf$/.test(name) || (/^virtual6?\s*=\s*\S+\s*$/m.test(head) && /^[ \t]+real6?\s*=/m.test(head))) return 'ldirectord'
  if (/corosync.*\.conf$/.test(name) || /^\s*totem\s*\{/m.test(head)) return 'corosync'
  if (/keepalived.*\.conf$/.test(name) || /^\s*(vrrp_instance|vrrp_script|vrrp_sync_group|global_defs|virtual_server)\b/m.test(head)) return 'keepalived'
  if (/haproxy.*\.cfg$/.test(name) || (/^(frontend|backend|listen|defaults)\b/m.test(head) && /^\s+(server|bind|mode|balance)\b/m.test(head))) return 'haproxy'
  if (/sysctl/.test(name) || /^\s*net\.[\w.]+\s*=/m.test(head)) {
    // only key = value lines (and comments): otherwise it is something else
    if (head.split('\n').every((l) => /^\s*([#;].*)?$/.test(l) || /^\s*-?[\w.\/*-]+\s*=/.test(l))) return 'sysctl'
  }
  return undefined
}

export interface ParseEnv {
  readInclude?: (path: string) => string | null
  /** File mode (authkeys: must be 600), when known. */
  mode?: number
  listInclude?: (pattern: string) => string[]
  configId?: string
}

/** Parse one source into the host's configs. Throws HachaosError (BAD_INPUT, file:line) on malformed input. */
export function addSource(host: HostConfigs, kind: SourceKind, path: string, text: string, env: ParseEnv = {}): void {
  const file = path
  switch (kind) {
    case 'keepalived':
      host.keepalived.push(parseKeepalivedConf(text, {file, ...env}))
      break
    case 'haproxy':
      host.haproxy.push(parseHaproxyCfg(text, {file}))
      break
    case 'corosync':
      host.corosync.push(parseCorosyncConf(text, {file}))
      break
    case 'cib':
      host.cib.push(parseCib(text, {file}))
      break
    case 'crm_mon':
      host.crmMon.push(parseCrmMon(text, {file}))
      break
    case 'bonding':
      host.bonds.push(parseBondProcFile(text, {file}))
      break
    case 'bonding-sysfs': {
      const files = parseSysfsDump(text)
      const m = /==> \S*\/net\/([^/]+)\/bonding\//.exec(text)
      host.bonds.push(parseBondSysfsFile(files, {file, name: m?.[1] ?? basename(path)}))
      break
    }
    case 'ipvsadm':
      host.ipvs.push(parseIpvsadm(text, {file}))
      break
    case 'gluster':
      host.gluster.push(parseGlusterVolumeInfo(text, {file}))
      break
    case 'sysctl':
      Object.assign(host.sysctl, parseSysctl(text, {file}))
      break
    case 'hacf':
      host.haCf.push(parseHaCf(text, {file}))
      break
    case 'haresources':
      host.haresources.push(parseHaresources(text, {file}))
      break
    case 'authkeys':
      host.authkeys.push(parseAuthkeys(text, {file, ...(env.mode === undefined ? {} : {mode: env.mode})}))
      break
    case 'ldirectord':
      host.ldirectord.push(parseLdirectordCf(text, {file}))
      break
  }
  host.sources.push({kind, path})
}

/** What a file of each kind must contain somewhere to be one at all (a line that only that format has). */
const STRUCTURE: Record<SourceKind, {re: RegExp; expect: string}> = {
  keepalived: {re: /^\s*(@\^?\S+\s+)?(global_defs|vrrp_\w+|virtual_server(_group)?|static_(ipaddress|routes|rules)|include|linkbeat_interfaces|net_namespace|garp_group|track_file|\$[A-Za-z_]\w*\s*=)\b/m, expect: 'global_defs, vrrp_instance, vrrp_script, virtual_server or include'},
  haproxy: {re: /^\s*(global|defaults|frontend|backend|listen|peers|resolvers|userlist|mailers|program|cache|ring|http-errors|fcgi-app|log-forward|crt-store|traces)(\s|$)/m, expect: 'a global, defaults, frontend, backend or listen section'},
  corosync: {re: /^\s*(totem|nodelist|quorum|logging|system|resources)\s*\{/m, expect: 'a totem { }, nodelist { } or quorum { } block'},
  cib: {re: /<cib[\s>]/, expect: 'a <cib> element (`cibadmin -Q` output)'},
  crm_mon: {re: /<pacemaker-result[\s>]|<crm_mon[\s>]/, expect: 'a <pacemaker-result> element (`crm_mon --output-as=xml` output)'},
  bonding: {re: /^[ \t]*(Ethernet Channel Bonding Driver|Bonding Mode:)|^==> \S*bonding\S* <==$/m, expect: '"Bonding Mode:" (a /proc/net/bonding/BOND file)'},
  'bonding-sysfs': {re: /^==> \S*\/bonding\/\S+ <==$/m, expect: 'a sysfs bonding dump'},
  ipvsadm: {re: /^[ \t]*(IP Virtual Server version|Prot LocalAddress|-A -[tuf] |(TCP|UDP|SCTP|FWM)\s+\S+\s+\w)/m, expect: '`ipvsadm -Ln` or `ipvsadm --save -n` output'},
  gluster: {re: /^[ \t]*Volume Name:/m, expect: '"Volume Name:" (`gluster volume info` output)'},
  sysctl: {re: /^\s*-?[\w.\/*-]+\.[\w.\/*-]+\s*=/m, expect: 'key = value lines (net.ipv4.… = …)'},
  hacf: {re: /^\s*(keepalive|deadtime|node|ucast|bcast|mcast|serial|auto_failback)\s/m, expect: 'keepalive, deadtime, node or a medium (ucast/bcast/mcast/serial)'},
  haresources: {re: /^\s*[A-Za-z0-9][\w.-]*\s+\S/m, expect: 'a "NODE RESOURCE…" line'},
  authkeys: {re: /^\s*auth\s+\d+/m, expect: 'an "auth N" line'},
  ldirectord: {re: /^(virtual6?|checkinterval|checktimeout|negotiatetimeout|failurecount|quiescent|autoreload|fallback6?|logfile|fork)\s*=/m, expect: 'a virtual= block or a global directive (checkinterval=, checktimeout=, quiescent= …)'},
}

/** Kinds whose comments-only file is a valid one that sets nothing. */
const COMMENTS_ONLY_OK = new Set<SourceKind>(['sysctl', 'haresources', 'authkeys'])

const KIND_NAME: Record<SourceKind, string> = {
  keepalived: 'keepalived.conf',
  haproxy: 'haproxy.cfg',
  corosync: 'corosync.conf',
  cib: 'CIB XML',
  crm_mon: 'crm_mon XML',
  bonding: '/proc/net/bonding file',
  'bonding-sysfs': 'bonding sysfs dump',
  ipvsadm: 'ipvsadm output',
  gluster: 'gluster volume info output',
  sysctl: 'sysctl file',
  hacf: 'Heartbeat ha.cf',
  haresources: 'Heartbeat haresources',
  authkeys: 'Heartbeat authkeys',
  ldirectord: 'ldirectord.cf',
}

/**
 * A file named with --keepalived, --haproxy, … that has none of that format's structure (e.g. /etc/passwd
 * given as a keepalived.conf) is a wrong argument, not a config with findings: BAD_INPUT at its first line.
 * A sysctl file must be nothing but key = value lines and comments.
 */
export function notAConfig(kind: SourceKind, path: string, text: string): HachaosError | null {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  const first = lines.findIndex((l) => !/^\s*([#;!].*)?$/.test(l))
  const {re, expect} = STRUCTURE[kind]
  // Nothing but comments: a valid file that sets nothing for sysctl (Debian's stock sysctl.conf), haresources (no
  // resource group: Heartbeat's own sample) and authkeys (the sample: heartbeat-authkeys-weak reports the missing
  // "auth N"); for the other kinds there is nothing to check, so it is still refused.
  if (first < 0 && COMMENTS_ONLY_OK.has(kind) && lines.some((l) => /^\s*#/.test(l))) return null
  // sysctl: nothing but key = value lines and comments
  const bad = kind === 'sysctl' ? lines.some((l) => !/^\s*([#;].*)?$/.test(l) && !/^\s*-?[\w.\/*-]+\s*=/.test(l)) : first < 0 || !re.test(text)
  if (!bad) return null
  const line = first < 0 ? 1 : first + 1
  const shown = first < 0 ? '' : (lines[first] ?? '').trim().slice(0, 60)
  const where = `${path}:${line}`
  const empty = lines.some((l) => l.trim() !== '') ? ' (only comments and blank lines)' : ' (the file is empty)'
  return new HachaosError(`${where}: not a ${KIND_NAME[kind]}: found no ${expect.replace(/^an? /, '')}${first < 0 ? empty : `; line ${line} reads "${shown}"`}`, {
    code: 'E_NOT_A_CONFIG',
    exit: 'BAD_INPUT',
    where,
    suggestions: [`check the path given to --${kind === 'crm_mon' ? 'crm-mon' : kind === 'bonding' ? 'bond' : kind}`, 'or let doctor detect the kind: put the files in a directory and use --dir'],
  })
}

/** The mode of a local authkeys file (the heartbeat rule checks it is 600); nothing for other kinds. */
function fileMode(kind: SourceKind, path: string): {mode?: number} {
  if (kind !== 'authkeys') return {}
  try {
    return {mode: statSync(path).mode & 0o777}
  } catch {
    return {}
  }
}

/** A local file's text, or the reason it cannot be read (a doctor-source-unreadable finding). */
function readLocal(path: string): {text: string} | {error: string} {
  try {
    if (statSync(path).isDirectory()) return {error: `${path} is a directory, not a file`}
    return {text: readFileSync(path, 'utf8')}
  } catch (e) {
    return {error: `cannot read ${path}: ${fileErrorText(e)}`}
  }
}

export interface FileSpec {
  kind: SourceKind
  path: string
  /** From `HOST=PATH`. */
  host?: string
}

/** `[HOST=]PATH` as given to --keepalived, --haproxy, … */
export function parseFileSpec(kind: SourceKind, arg: string): FileSpec {
  const m = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,62})=(.+)$/.exec(arg)
  return m === null ? {kind, path: arg} : {kind, host: m[1], path: m[2] ?? ''}
}

/**
 * Files named on the command line. Without `HOST=`, files share the host "local", except when one kind is
 * given several times: then each of those files is its own host (two keepalived.conf = two peers).
 */
export function collectFiles(specs: FileSpec[], opts: {configId?: string} = {}): DoctorInput {
  const perKind = new Map<SourceKind, number>()
  for (const s of specs) if (s.host === undefined) perKind.set(s.kind, (perKind.get(s.kind) ?? 0) + 1)
  const hosts = new Map<string, HostConfigs>()
  const hostOf = (name: string): HostConfigs => {
    const h = hosts.get(name) ?? emptyHost(name)
    hosts.set(name, h)
    return h
  }
  // A file that is not of its kind at all is a wrong argument: refuse before reading anything else.
  const texts = specs.map((s) => readLocal(s.path))
  specs.forEach((s, i) => {
    const t = texts[i]
    if (t !== undefined && 'text' in t) {
      const e = notAConfig(s.kind, s.path, t.text)
      if (e !== null) throw e
    }
  })
  // One unreadable or broken file does not stop the others: it is a doctor-source-unreadable finding.
  specs.forEach((s, i) => {
    const name = s.host ?? ((perKind.get(s.kind) ?? 0) > 1 ? s.path : 'local')
    const h = hostOf(name)
    const t = texts[i] ?? {error: `cannot read ${s.path}`}
    if ('error' in t) {
      h.problems.push({message: t.error, file: s.path, kind: s.kind})
      return
    }
    try {
      addSource(h, s.kind, s.path, t.text, {readInclude: fsReadInclude, listInclude: fsListInclude, ...(opts.configId === undefined ? {} : {configId: opts.configId}), ...fileMode(s.kind, s.path)})
    } catch (e) {
      if (!isHachaosError(e)) throw e
      problem(h, e, s.kind)
    }
  })
  return {hosts: [...hosts.values()]}
}

function walk(dir: string, depth: number): string[] {
  if (depth > 8) return []
  const out: string[] = []
  let names: string[]
  try {
    names = readdirSync(dir).sort()
  } catch {
    return out
  }
  for (const n of names) {
    if (n.startsWith('.')) continue
    const p = join(dir, n)
    let st
    try {
      st = statSync(p)
    } catch {
      continue
    }
    if (st.isDirectory()) out.push(...walk(p, depth + 1))
    else if (st.isFile() && st.size <= 16 * 1024 * 1024) out.push(p)
  }
  return out
}

export interface DirCollection {
  input: DoctorInput
  /** Files that were not recognised as any source kind. */
  skipped: string[]
}

/**
 * A directory of collected configs. Each subdirectory is a host (its files, at any depth, belong to it: e.g.
 * collected/lb1/etc/keepalived/keepalived.conf); files directly in DIR are each a host of their own, named
 * after the file. Kinds are detected by name and content. Broken files become `doctor-source-unreadable`
 * findings; keepalived fragments included by another file are read through that file only.
 */
export function collectDir(dir: string, opts: {configId?: string} = {}): DirCollection {
  let st
  try {
    st = statSync(dir)
  } catch {
    throw new HachaosError(`no directory ${dir}`, {code: 'E_READ_FILE', exit: 'BAD_INPUT', where: dir, suggestions: ['check the path given to --dir']})
  }
  if (!st.isDirectory()) throw new HachaosError(`${dir} is not a directory`, {code: 'E_READ_FILE', exit: 'BAD_INPUT', where: dir, suggestions: ['give --dir a directory; use --keepalived/--haproxy/… for single files']})
  const groups = new Map<string, string[]>()
  for (const p of walk(dir, 0)) {
    const rel = relative(dir, p).split('/')
    const host = rel.length > 1 ? (rel[0] ?? 'local') : basename(p).replace(/\.[^.]+$/, '')
    groups.set(host, [...(groups.get(host) ?? []), p])
  }
  const hosts: HostConfigs[] = []
  const skipped: string[] = []
  for (const [name, files] of groups) {
    const host = emptyHost(name)
    const typed: Array<{path: string; kind: SourceKind; text: string}> = []
    for (const p of files) {
      let text: string
      try {
        text = readFileSync(p, 'utf8')
      } catch (e) {
        host.problems.push({message: `cannot read ${p}: ${errorMessage(e)}`, file: p})
        continue
      }
      const kind = detectKind(p, text)
      if (kind === undefined) skipped.push(p)
      else typed.push({path: p, kind, text})
    }
    // keepalived: parse every candidate, then keep only those no other candidate includes
    const ka = new Map<string, KeepalivedConfig | HachaosError>()
    for (const t of typed.filter((x) => x.kind === 'keepalived')) {
      try {
        ka.set(t.path, parseKeepalivedConf(t.text, {file: t.path, readInclude: fsReadInclude, listInclude: fsListInclude, ...(opts.configId === undefined ? {} : {configId: opts.configId})}))
      } catch (e) {
        if (!isHachaosError(e)) throw e
        ka.set(t.path, e)
      }
    }
    const included = new Set<string>()
    for (const c of ka.values()) if (!(c instanceof HachaosError)) for (const f of c.files.slice(1)) included.add(f)
    for (const t of typed) {
      if (t.kind === 'keepalived') {
        if (included.has(t.path)) continue
        const c = ka.get(t.path)
        if (c instanceof HachaosError) problem(host, c, t.kind)
        else if (c !== undefined) {
          host.keepalived.push(c)
          host.sources.push({kind: 'keepalived', path: t.path})
        }
        continue
      }
      try {
        addSource(host, t.kind, t.path, t.text, fileMode(t.kind, t.path))
      } catch (e) {
        if (!isHachaosError(e)) throw e
        problem(host, e, t.kind)
      }
    }
    hosts.push(host)
  }
  return {input: {hosts: hosts.filter((h) => h.sources.length > 0 || h.problems.length > 0)}, skipped}
}

function problem(host: HostConfigs, e: HachaosError, kind?: SourceKind): void {
  const m = e.where === undefined ? null : /^(.*):(\d+)$/.exec(e.where)
  host.problems.push({
    message: e.message,
    ...(m !== null ? {file: m[1] ?? '', line: Number(m[2])} : e.where !== undefined ? {file: e.where} : {}),
    ...(kind === undefined ? {} : {kind}),
  })
}

// --- live ---------------------------------------------------------------------------------------------

/** Default paths when the inventory names none (Debian/RHEL packages). */
export const DEFAULT_PATHS = {
  keepalived: '/etc/keepalived/keepalived.conf',
  haproxy: '/etc/haproxy/haproxy.cfg',
  corosync: '/etc/corosync/corosync.conf',
} as const

export interface LiveOptions {
  progress?: (msg: string) => void
  /** Per-command timeout (ms). */
  timeoutMs?: number
  /** keepalived config id for `@ID` lines; default: the host's `uname -n` up to the first dot, as keepalived. */
  configId?: string
}

async function tryRead(exec: Executor, path: string): Promise<string | null> {
  try {
    return await exec.readFile(path)
  } catch (e) {
    if (isHachaosError(e) && (e.exitName === 'BAD_INPUT' || e.code === 'E_READ_FILE')) return null
    throw e
  }
}

/** Run a command; null when the binary is missing or it fails (the caller says what that means). */
async function tryRun(exec: Executor, argv: string[], timeoutMs: number): Promise<{ok: boolean; stdout: string; stderr: string} | null> {
  try {
    const r = await exec.run(argv, {timeoutMs})
    return {ok: r.code === 0, stdout: r.stdout, stderr: r.stderr}
  } catch (e) {
    if (isHachaosError(e) && e.code === 'E_MISSING_BINARY') return null
    throw e
  }
}

async function running(exec: Executor, comm: string): Promise<boolean> {
  try {
    return (await exec.pidsOf(comm)).length > 0
  } catch {
    return false
  }
}

/**
 * Read a keepalived.conf and its includes on a host. The parser is synchronous, so includes are fetched in
 * rounds: parse, note the files and directories it asked for, fetch them, parse again (at most 6 rounds).
 */
async function liveKeepalived(exec: Executor, path: string, text: string, timeoutMs: number, configId: string | undefined): Promise<KeepalivedConfig> {
  const cid = configId === undefined ? {} : {configId}
  const files = new Map<string, string | null>()
  const dirs = new Map<string, string[] | null>()
  for (let round = 0; round < 6; round++) {
    const wantFiles = new Set<string>()
    const wantDirs = new Set<string>()
    const cfg = parseKeepalivedConf(text, {
      file: path,
      ...cid,
      readInclude: (p) => {
        if (!files.has(p)) wantFiles.add(p)
        return files.get(p) ?? null
      },
      listInclude: (pattern) =>
        expandGlob(pattern, (dir) => {
          if (!dirs.has(dir)) wantDirs.add(dir)
          return dirs.get(dir) ?? null
        }),
    })
    if (wantFiles.size === 0 && wantDirs.size === 0) return cfg
    for (const d of wantDirs) {
      const r = await tryRun(exec, ['ls', '-1a', '--', d], timeoutMs)
      dirs.set(d, r?.ok === true ? r.stdout.split('\n').filter((x) => x !== '' && x !== '.' && x !== '..') : null)
    }
    for (const f of wantFiles) files.set(f, await tryRead(exec, f))
  }
  return parseKeepalivedConf(text, {file: path, ...cid, readInclude: (p) => files.get(p) ?? null, listInclude: (pat) => (hasGlob(pat) ? expandGlob(pat, (d) => dirs.get(d) ?? null) : [pat])})
}

/** Collect one host's configs and state over its executor. Unreachable / unparsable sources become problems. */
export async function collectHost(h: InventoryHost, exec: Executor, inv: Inventory, opts: LiveOptions = {}): Promise<HostConfigs> {
  const timeoutMs = opts.timeoutMs ?? 15000
  const host = emptyHost(h.name)
  host.address = h.address
  host.roles = [...h.roles]
  const vips = [h.facts.vip, ...(h.roles.includes('lb') && inv.vip !== undefined ? [inv.vip] : [])].filter((x): x is string => typeof x === 'string')
  host.vips = [...new Set(vips)]
  const say = (m: string): void => opts.progress?.(`${h.name}: ${m}`)
  const guard = async (kind: SourceKind, what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn()
    } catch (e) {
      if (!isHachaosError(e)) throw e
      if (e.exitName === 'BAD_INPUT' && e.code === 'E_CONFIG_PARSE') problem(host, e, kind)
      else host.problems.push({message: `${what}: ${e.message}`, kind})
    }
  }
  // Reachable at all? (otherwise every missing file would look like "nothing configured")
  try {
    const r = await exec.run(['true'], {timeoutMs})
    if (r.code !== 0) throw new Error(r.stderr.trim().split('\n')[0] || `exit ${r.code ?? r.signal ?? '?'}`)
  } catch (e) {
    if (isHachaosError(e) && e.code === 'E_NOT_ROOT') throw e // not a finding about the host: say so, exit 4
    host.problems.push({message: `cannot reach ${h.name} (${exec.describe()}): ${errorMessage(e)}`})
    return host
  }
  const roles = new Set(h.roles)
  const facts = h.facts
  const readConf = async (kind: 'keepalived' | 'haproxy' | 'corosync', fact: unknown, wanted: boolean): Promise<void> => {
    const explicit = typeof fact === 'string' ? fact : undefined
    if (explicit === undefined && !wanted) return
    const path = explicit ?? DEFAULT_PATHS[kind]
    await guard(kind, path, async () => {
      const text = await tryRead(exec, path)
      if (text === null) {
        if (explicit !== undefined) host.problems.push({message: `${path} (inventory fact ${kind === 'haproxy' ? 'haproxy_cfg' : `${kind}_conf`}) is not there`, file: path, kind})
        return
      }
      say(`reading ${path}`)
      if (kind === 'keepalived') {
        let configId = opts.configId
        if (configId === undefined) {
          // keepalived's default config id: the node name as uname returns it, up to the first dot
          const u = await tryRun(exec, ['uname', '-n'], timeoutMs)
          const n = u?.ok === true ? u.stdout.trim().split('.')[0] : undefined
          configId = n === undefined || n === '' ? h.name : n
        }
        host.keepalived.push(await liveKeepalived(exec, path, text, timeoutMs, configId))
        host.sources.push({kind, path})
      } else addSource(host, kind, path, text)
    })
  }
  await readConf('keepalived', facts.keepalived_conf, roles.has('lb') || roles.has('lvs-director') || (await running(exec, 'keepalived')))
  await readConf('haproxy', facts.haproxy_cfg, roles.has('lb') || (await running(exec, 'haproxy')))
  const clusterNode = roles.has('cluster-node') || (await running(exec, 'pacemakerd'))
  await readConf('corosync', facts.corosync_conf, clusterNode || (await running(exec, 'corosync')))
  if (clusterNode) {
    await guard('cib', 'cibadmin -Q', async () => {
      const r = await tryRun(exec, ['cibadmin', '-Q'], timeoutMs)
      if (r?.ok === true) addSource(host, 'cib', `${h.name}:cibadmin -Q`, r.stdout)
      else host.problems.push({message: `cibadmin -Q failed: ${r === null ? 'not installed' : r.stderr.trim().split('\n')[0] ?? ''}`, kind: 'cib'})
    })
    await guard('crm_mon', 'crm_mon', async () => {
      const r = await tryRun(exec, ['crm_mon', '--output-as=xml'], timeoutMs)
      // crm_mon exits non-zero when the cluster is unhealthy but still prints the XML
      if (r !== null && r.stdout.includes('<pacemaker-result')) addSource(host, 'crm_mon', `${h.name}:crm_mon --output-as=xml`, r.stdout)
    })
  }
  await guard('bonding', '/proc/net/bonding', async () => {
    const r = await tryRun(exec, ['ls', '-1', '/proc/net/bonding'], timeoutMs)
    if (r?.ok !== true) return
    for (const b of r.stdout.split('\n').filter((x) => /^[A-Za-z0-9_.-]+$/.test(x))) {
      const path = `/proc/net/bonding/${b}`
      const text = await tryRead(exec, path)
      if (text === null) continue
      addSource(host, 'bonding', path, text)
      // how many peers the bond talks to: with one (the gateway), a layer2 hash uses one member only
      const n = await tryRun(exec, ['ip', '-o', 'neigh', 'show', 'dev', b], timeoutMs)
      if (n?.ok === true) host.bondPeers[b] = new Set([...n.stdout.matchAll(/lladdr ([0-9a-f:]{17})/gi)].map((m) => (m[1] ?? '').toLowerCase())).size
    }
  })
  const lvs = roles.has('lvs-director') || host.keepalived.some((k) => k.virtualServers.length > 0)
  if (lvs) {
    await guard('ipvsadm', 'ipvsadm', async () => {
      const r = await tryRun(exec, ['ipvsadm', '-Ln'], timeoutMs)
      if (r?.ok === true) addSource(host, 'ipvsadm', `${h.name}:ipvsadm -Ln`, r.stdout)
    })
  }
  if (roles.has('storage') || (await running(exec, 'glusterd'))) {
    await guard('gluster', 'gluster volume info', async () => {
      const r = await tryRun(exec, ['gluster', 'volume', 'info'], timeoutMs)
      if (r?.ok === true) addSource(host, 'gluster', `${h.name}:gluster volume info`, r.stdout)
    })
    // the mount each of this host's bricks is on (a brick on / fills the root file system): at most one
    // findmnt per brick of this host; a brick path that does not exist (brick down) is skipped
    await guard('gluster', 'findmnt -T BRICK', async () => {
      const mine = new Set([h.address, h.name])
      const bricks = new Map<string, string>()
      for (const g of host.gluster) for (const v of g.volumes) for (const b of v.bricks) if (mine.has(b.host)) bricks.set(b.path, `${b.host}:${b.path}`)
      for (const [path, brick] of bricks) {
        const r = await tryRun(exec, findmntArgv(path), timeoutMs)
        const [mount] = r?.ok === true ? parseFindmnt(r.stdout, {file: `${h.name}:${findmntArgv(path).join(' ')}`}) : []
        if (mount !== undefined) (host.glusterBrickMounts ??= []).push({brick, mount})
      }
    })
  }
  if (roles.has('heartbeat-node') || (await running(exec, 'heartbeat'))) {
    const dir = typeof facts['ha_cf'] === 'string' ? facts['ha_cf'].replace(/\/[^/]*$/, '') : '/etc/ha.d'
    for (const [kind, name] of [['hacf', 'ha.cf'], ['haresources', 'haresources'], ['authkeys', 'authkeys']] as const) {
      const path = `${dir}/${name}`
      await guard(kind, path, async () => {
        const text = await tryRead(exec, path)
        if (text === null) return
        let mode: number | undefined
        if (kind === 'authkeys') {
          const st = await tryRun(exec, ['stat', '-c', '%a', path], timeoutMs)
          if (st?.ok === true && /^[0-7]{3,4}$/.test(st.stdout.trim())) mode = parseInt(st.stdout.trim(), 8)
        }
        addSource(host, kind, `${h.name}:${path}`, text, mode === undefined ? {} : {mode})
      })
    }
  }
  // ldirectord (LVS real-server checks under Heartbeat/Pacemaker): its config, and the IPVS sysctls its rules read
  if (roles.has('lvs-director') || (await running(exec, 'ldirectord'))) {
    const path = typeof facts['ldirectord_cf'] === 'string' ? facts['ldirectord_cf'] : '/etc/ha.d/ldirectord.cf'
    await guard('ldirectord', path, async () => {
      const text = await tryRead(exec, path)
      if (text !== null) addSource(host, 'ldirectord', `${h.name}:${path}`, text)
    })
  }
  const keys: string[] = []
  // quiesced real servers (ldirectord's quiescent=yes, keepalived's inhibit_on_failure) keep their persistence templates unless it is 1
  if (host.ldirectord.length > 0 || host.keepalived.some((k) => k.virtualServers.length > 0)) keys.push('net.ipv4.vs.expire_quiescent_template')
  if (host.haproxy.length > 0) keys.push('net.ipv4.ip_nonlocal_bind', 'net.ipv6.ip_nonlocal_bind')
  if (roles.has('real-server')) keys.push('net.ipv4.conf.all.arp_ignore', 'net.ipv4.conf.all.arp_announce')
  for (const k of keys) {
    const text = await tryRead(exec, `/proc/sys/${k.replace(/\./g, '/')}`)
    if (text !== null) host.sysctl[k] = sysctlFromProc(k, text, h.name)
  }
  if (keys.length > 0) host.sources.push({kind: 'sysctl', path: `/proc/sys (${keys.join(', ')})`})
  return host
}
