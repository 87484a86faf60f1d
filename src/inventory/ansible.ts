/**
 * Ansible inventories as hachaos inventories: INI or YAML, as Ansible reads them — groups, `children`,
 * `[group:vars]`, host ranges (`web[01:04]`, `[a:c]`, `[1:9:2]`), `host:port`, `ansible_host`,
 * `ansible_port`, `ansible_user`, `ansible_ssh_private_key_file`, `ansible_ssh_common_args` /
 * `ansible_ssh_extra_args`, `ansible_connection` (ssh or local), and the `group_vars/` and `host_vars/`
 * (files or directories of YAML) next to the inventory file.
 *
 * hachaos roles come from `hachaos_roles` on the host, else from its group names (DEFAULT_GROUP_ROLES,
 * extended by a `hachaos_group_roles` mapping in the `all` group); facts from `hachaos_facts` and the
 * `hachaos_<fact>` variables (`hachaos_vip`, `hachaos_interface`, …). Vault-encrypted values are refused:
 * hachaos has no Vault support and never asks for a password.
 *
 * The INI reader is hand-written: Ansible's INI dialect is not INI (host lines are `NAME key=value …` with
 * shell-like quoting and Python-literal values, sections end in `:vars` / `:children`, hosts carry ranges),
 * and the npm `ini` package (the one in the registry list) reads `web1 ansible_host=x` as a key named
 * "web1 ansible_host" — there is no maintained npm parser for it. YAML goes through the `yaml` package.
 */
import {readFileSync, readdirSync, statSync} from 'node:fs'
import {basename, dirname, extname, join} from 'node:path'

import {LineCounter, isMap, isScalar, isSeq, parseDocument, visit, type Document, type Node} from 'yaml'

import {HachaosError} from '../errors.js'
import {validateSshTarget} from '../exec/ssh.js'
import {HOST_NAME, ROLES, type HostFacts, type Inventory, type InventoryHost} from './schema.js'

interface Loc {
  file: string
  line: number
}

/** An Ansible inventory as read: groups with their hosts, children and variables, each with its place. */
export interface AnsibleGroup {
  name: string
  hosts: Map<string, {vars: Record<string, unknown>; at: Loc}>
  children: string[]
  vars: Record<string, unknown>
  varsAt: Record<string, Loc>
  at: Loc
}

export interface AnsibleRaw {
  file: string
  groups: Map<string, AnsibleGroup>
}

/** How a resolved host came about, for `hachaos inventory show` and errors. */
export interface AnsibleHostOrigin {
  groups: string[]
  at: Loc
  /** Where each ansible_* / hachaos_* variable that was used came from. */
  vars: Record<string, string>
}

export interface AnsibleInventory extends Inventory {
  format: 'ansible-ini' | 'ansible-yaml'
  origins: Record<string, AnsibleHostOrigin>
}

/** Group names that give hachaos roles (lower-case; `-` and `_` alike). Extend with `hachaos_group_roles`. */
export const DEFAULT_GROUP_ROLES: Readonly<Record<string, string[]>> = {
  lb: ['lb'],
  lbs: ['lb'],
  loadbalancer: ['lb'],
  loadbalancers: ['lb'],
  load_balancers: ['lb'],
  haproxy: ['lb'],
  keepalived: ['lb'],
  web: ['web'],
  webservers: ['web'],
  web_servers: ['web'],
  www: ['web'],
  backends: ['web'],
  app: ['web'],
  appservers: ['web'],
  client: ['client'],
  clients: ['client'],
  cluster: ['cluster-node'],
  cluster_nodes: ['cluster-node'],
  pacemaker: ['cluster-node'],
  corosync: ['cluster-node'],
  ha_cluster: ['cluster-node'],
  bond: ['bond-host'],
  bonding: ['bond-host'],
  lvs: ['lvs-director'],
  directors: ['lvs-director'],
  lvs_directors: ['lvs-director'],
  real_servers: ['real-server'],
  realservers: ['real-server'],
  storage: ['storage'],
  gluster: ['storage'],
  glusterfs: ['storage'],
}

/** Facts a `hachaos_<name>` variable sets (the rest go through `hachaos_facts`). */
const FACT_VARS = ['vip', 'interface', 'keepalived_conf', 'haproxy_cfg', 'corosync_conf', 'bond', 'mgmt_interface', 'cluster_group'] as const

/** Most hosts one range pattern may expand to (a typo like web[1:999999] is an error, not a hang). */
const MAX_RANGE_HOSTS = 10_000

function bad(where: Loc | string, message: string, ...tips: string[]): HachaosError {
  const w = typeof where === 'string' ? where : `${where.file}:${where.line}`
  return new HachaosError(`Ansible inventory ${w}: ${message}`, {
    code: 'E_INVENTORY_PARSE',
    exit: 'BAD_INPUT',
    where: w,
    suggestions: tips.length > 0 ? tips : [`fix ${w} (see README: Ansible inventories)`],
  })
}

function vaultError(at: Loc, what: string): HachaosError {
  return bad(at, `${what} is encrypted with Ansible Vault: hachaos does not decrypt Vault`, 'hachaos needs no secrets from the inventory: keep vaulted variables in a file hachaos does not read (e.g. group_vars/all/vault.yml is read — move them to a vars file of the playbook), or pass a copy without them', 'ssh keys and users come from ansible_user / ansible_ssh_private_key_file in clear')
}

const isVaultText = (v: unknown): boolean => typeof v === 'string' && v.trimStart().startsWith('$ANSIBLE_VAULT')

// --- host ranges ------------------------------------------------------------------------------------

/**
 * Expand Ansible host ranges: `web[01:04]` (zero-padded when the start is), `db-[a:c]`, `n[1:9:2]`, several
 * ranges in one name. Ansible's rules: both ends the same length when padded, letters one character each.
 */
export function expandHostPattern(pattern: string, at: Loc): string[] {
  const m = /^(.*?)\[([^\]]*)\](.*)$/.exec(pattern)
  if (m === null) {
    if (/[[\]]/.test(pattern)) throw bad(at, `host pattern "${pattern}": unbalanced "[" or "]"`, 'write a range as NAME[START:END], e.g. web[01:04]')
    return [pattern]
  }
  const [, head = '', body = '', tail = ''] = m
  const parts = body.split(':')
  if (parts.length < 2 || parts.length > 3) throw bad(at, `host pattern "${pattern}": a range is [START:END] or [START:END:STEP]`, 'e.g. web[01:04] or web[1:10:2]')
  const [beg0 = '', end = '', stepS] = parts
  const beg = beg0 === '' ? '0' : beg0
  const step = stepS === undefined || stepS === '' ? 1 : Number(stepS)
  if (!Number.isInteger(step) || step < 1) throw bad(at, `host pattern "${pattern}": the step must be a whole number above 0`)
  let items: string[]
  if (/^\d+$/.test(beg) && /^\d+$/.test(end)) {
    const padded = beg.length > 1 && beg.startsWith('0')
    if (padded && beg.length !== end.length) throw bad(at, `host pattern "${pattern}": a zero-padded range needs equal-length ends (${beg}, ${end})`)
    const a = Number(beg)
    const b = Number(end)
    if (b < a) throw bad(at, `host pattern "${pattern}": the range ends before it starts`)
    if ((b - a) / step + 1 > MAX_RANGE_HOSTS) throw bad(at, `host pattern "${pattern}" expands to more than ${MAX_RANGE_HOSTS} hosts`)
    items = []
    for (let i = a; i <= b; i += step) items.push(padded ? String(i).padStart(beg.length, '0') : String(i))
  } else if (/^[a-zA-Z]$/.test(beg) && /^[a-zA-Z]$/.test(end)) {
    const a = beg.charCodeAt(0)
    const b = end.charCodeAt(0)
    if (b < a) throw bad(at, `host pattern "${pattern}": the range ends before it starts`)
    items = []
    for (let i = a; i <= b; i += step) items.push(String.fromCharCode(i))
  } else throw bad(at, `host pattern "${pattern}": [${body}] is neither a numeric nor a one-letter range`, 'e.g. web[01:04] or db-[a:c]')
  const rest = expandHostPattern(tail, at)
  if (items.length * rest.length > MAX_RANGE_HOSTS) throw bad(at, `host pattern "${pattern}" expands to more than ${MAX_RANGE_HOSTS} hosts`)
  return items.flatMap((i) => rest.map((r) => `${head}${i}${r}`))
}

// --- INI ------------------------------------------------------------------------------------------

/** shlex-like split of a host line (quotes, backslashes, `#` starting a comment outside quotes). */
function splitWords(line: string, at: Loc): string[] {
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
    } else if (c === '#' && !inWord) break
    else if (c === ' ' || c === '\t') {
      if (inWord) out.push(cur)
      cur = ''
      inWord = false
    } else {
      cur += c
      inWord = true
    }
  }
  if (quote !== undefined) throw bad(at, `unterminated ${quote === '"' ? 'double' : 'single'} quote`, `close the quote on line ${at.line}`)
  if (inWord) out.push(cur)
  return out
}

/** An inline host variable as Ansible reads it (a Python literal when it is one, else the string). */
function literal(v: string): unknown {
  if (/^-?\d+$/.test(v)) return Number(v)
  if (/^-?\d+\.\d+$/.test(v)) return Number(v)
  if (v === 'True' || v === 'true') return true
  if (v === 'False' || v === 'false') return false
  if (v === 'None') return null
  if (/^[[{]/.test(v)) {
    try {
      return JSON.parse(v.replace(/'/g, '"')) as unknown
    } catch {
      return v
    }
  }
  return v
}

function group(raw: AnsibleRaw, name: string, at: Loc): AnsibleGroup {
  let g = raw.groups.get(name)
  if (g === undefined) {
    g = {name, hosts: new Map(), children: [], vars: {}, varsAt: {}, at}
    raw.groups.set(name, g)
  }
  return g
}

const GROUP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/

/** Parse an Ansible INI inventory. Throws BAD_INPUT naming file:line. */
export function parseAnsibleIni(text: string, file: string): AnsibleRaw {
  const raw: AnsibleRaw = {file, groups: new Map()}
  group(raw, 'all', {file, line: 1})
  group(raw, 'ungrouped', {file, line: 1})
  let section: {name: string; kind: 'hosts' | 'vars' | 'children'} = {name: 'ungrouped', kind: 'hosts'}
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const at: Loc = {file, line: i + 1}
    const line = (lines[i] ?? '').trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    if (isVaultText(line)) throw vaultError(at, 'this file')
    if (line.startsWith('[')) {
      const m = /^\[([^\]:]+)(?::(vars|children))?\]\s*([#;].*)?$/.exec(line)
      if (m === null) throw bad(at, `"${line.slice(0, 60)}" is not a section header`, 'write [GROUP], [GROUP:vars] or [GROUP:children]')
      const name = (m[1] ?? '').trim()
      if (!GROUP_NAME.test(name)) throw bad(at, `"${name}" is not a valid group name`, 'use letters, digits and "_" (Ansible warns about "-" too)')
      section = {name, kind: (m[2] as 'vars' | 'children' | undefined) ?? 'hosts'}
      group(raw, name, at)
      continue
    }
    const g = group(raw, section.name, at)
    if (section.kind === 'vars') {
      // [group:vars]: key=value, values are strings (Ansible does not literal-eval them here)
      const eq = line.indexOf('=')
      if (eq <= 0) throw bad(at, `"${line.slice(0, 60)}" in [${section.name}:vars] is not key=value`)
      const key = line.slice(0, eq).trim()
      let value = line.slice(eq + 1).trim()
      if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1)
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw bad(at, `"${key}" is not a valid variable name`)
      if (isVaultText(value)) throw vaultError(at, `variable ${key}`)
      g.vars[key] = value
      g.varsAt[key] = at
      continue
    }
    const words = splitWords(line, at)
    const first = words[0]
    if (first === undefined) continue
    if (section.kind === 'children') {
      if (words.length > 1 || !GROUP_NAME.test(first)) throw bad(at, `"${line.slice(0, 60)}" in [${section.name}:children] is not a group name`)
      if (first === section.name) throw bad(at, `group ${first} cannot be its own child`)
      if (!g.children.includes(first)) g.children.push(first)
      group(raw, first, at)
      continue
    }
    // host line: PATTERN[:PORT] key=value …
    const vars: Record<string, unknown> = {}
    for (const w of words.slice(1)) {
      const eq = w.indexOf('=')
      if (eq <= 0) throw bad(at, `"${w}" after host ${first} is not key=value`, 'host lines are: NAME key=value key=value …')
      const key = w.slice(0, eq)
      const value = w.slice(eq + 1)
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw bad(at, `"${key}" is not a valid variable name`)
      if (isVaultText(value)) throw vaultError(at, `variable ${key}`)
      vars[key] = literal(value)
    }
    let pattern = first
    const hp = /^([^:[\]]+(?:\[[^\]]*\][^:[\]]*)*):(\d+)$/.exec(first)
    if (hp !== null && !first.includes('::')) {
      pattern = hp[1] ?? first
      vars['ansible_port'] ??= Number(hp[2])
    }
    for (const h of expandHostPattern(pattern, at)) g.hosts.set(h, {vars: {...vars}, at})
  }
  return raw
}

// --- YAML -----------------------------------------------------------------------------------------

function lineOf(lc: LineCounter, n: unknown): number {
  const r = (n as {range?: [number, number, number]} | null)?.range
  return r === undefined ? 1 : lc.linePos(r[0]).line
}

/** Refuse `!vault` values and `$ANSIBLE_VAULT` strings anywhere in a YAML document. */
function refuseVault(doc: Document, lc: LineCounter, file: string): void {
  let found: HachaosError | undefined
  visit(doc, {
    Pair(_, pair) {
      const v = pair.value as Node | null
      if (found === undefined && v !== null && isScalar(v) && (v.tag === '!vault' || isVaultText(v.value))) {
        found = vaultError({file, line: lineOf(lc, v)}, `variable ${isScalar(pair.key) ? String(pair.key.value) : '?'}`)
      }
    },
    Scalar(_, s) {
      if (found === undefined && (s.tag === '!vault' || isVaultText(s.value))) found = vaultError({file, line: lineOf(lc, s)}, 'a value')
    },
  })
  if (found !== undefined) throw found
}

function yamlDoc(text: string, file: string): {doc: Document; lc: LineCounter} {
  const lc = new LineCounter()
  const doc = parseDocument(text, {lineCounter: lc, prettyErrors: false, uniqueKeys: true})
  const e = doc.errors[0]
  if (e !== undefined) throw bad({file, line: lc.linePos(e.pos[0]).line}, e.message.split('\n')[0] ?? 'YAML syntax error', 'fix the YAML syntax at that line (indentation, quotes, colons)')
  refuseVault(doc, lc, file)
  return {doc, lc}
}

function plainObject(v: unknown, at: Loc | string, what: string): Record<string, unknown> {
  if (v === null || v === undefined) return {}
  if (typeof v !== 'object' || Array.isArray(v)) throw bad(at, `${what} must be a mapping (key: value)`)
  return v as Record<string, unknown>
}

/** Parse an Ansible YAML inventory (`all:` → hosts / vars / children, any depth). */
export function parseAnsibleYaml(text: string, file: string): AnsibleRaw {
  const {doc, lc} = yamlDoc(text, file)
  const raw: AnsibleRaw = {file, groups: new Map()}
  group(raw, 'all', {file, line: 1})
  group(raw, 'ungrouped', {file, line: 1})
  const top = doc.contents
  if (top === null) return raw
  if (!isMap(top)) throw bad({file, line: lineOf(lc, top)}, 'the top level must be a mapping of group names (all:, web:, …)')
  const readGroup = (name: string, node: unknown, at: Loc, depth: number): void => {
    if (depth > 50) throw bad(at, 'groups nested more than 50 deep')
    if (!GROUP_NAME.test(name)) throw bad(at, `"${name}" is not a valid group name`)
    const g = group(raw, name, at)
    if (node === null || node === undefined || (isScalar(node) && (node.value === null || node.value === ''))) return
    if (!isMap(node)) throw bad(at, `group ${name} must be a mapping with hosts:, vars: or children:`)
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : ''
      const kat: Loc = {file, line: lineOf(lc, pair.key)}
      const v = pair.value
      if (key === 'hosts') {
        if (v === null || (isScalar(v) && v.value === null)) continue
        if (!isMap(v)) throw bad(kat, `hosts of group ${name} must be a mapping (host: vars)`, 'write hosts:\n  web1:\n  web2: {ansible_host: 10.0.0.2}')
        for (const hp of v.items) {
          const hname = isScalar(hp.key) ? String(hp.key.value) : ''
          const hat: Loc = {file, line: lineOf(lc, hp.key)}
          const vars = plainObject((hp.value as Node | null)?.toJS(doc) ?? null, hat, `host ${hname}`)
          let pattern = hname
          const port = /^([^:]+):(\d+)$/.exec(hname)
          if (port !== null) {
            pattern = port[1] ?? hname
            vars['ansible_port'] ??= Number(port[2])
          }
          for (const h of expandHostPattern(pattern, hat)) g.hosts.set(h, {vars: {...vars}, at: hat})
        }
      } else if (key === 'vars') {
        const vars = plainObject((v as Node | null)?.toJS(doc) ?? null, kat, `vars of group ${name}`)
        Object.assign(g.vars, vars)
        if (isMap(v)) for (const vp of v.items) if (isScalar(vp.key)) g.varsAt[String(vp.key.value)] = {file, line: lineOf(lc, vp.key)}
      } else if (key === 'children') {
        if (v === null || (isScalar(v) && v.value === null)) continue
        if (!isMap(v)) throw bad(kat, `children of group ${name} must be a mapping of group names`)
        for (const cp of v.items) {
          const cname = isScalar(cp.key) ? String(cp.key.value) : ''
          if (cname === name) throw bad({file, line: lineOf(lc, cp.key)}, `group ${name} cannot be its own child`)
          if (!g.children.includes(cname)) g.children.push(cname)
          readGroup(cname, cp.value, {file, line: lineOf(lc, cp.key)}, depth + 1)
        }
      } else throw bad(kat, `"${key}" in group ${name}: a group has hosts:, vars: and children: only`, 'a host goes under hosts:, a sub-group under children:')
    }
  }
  for (const pair of top.items) readGroup(isScalar(pair.key) ? String(pair.key.value) : '', pair.value, {file, line: lineOf(lc, pair.key)}, 0)
  return raw
}

// --- group_vars / host_vars -----------------------------------------------------------------------

/** group_vars/NAME(.yml|.yaml|.json|) or group_vars/NAME/ (every YAML file in it, sorted) next to the inventory. */
function varsFiles(dir: string, name: string): string[] {
  const out: string[] = []
  for (const ext of ['', '.yml', '.yaml', '.json']) {
    const p = join(dir, `${name}${ext}`)
    let st
    try {
      st = statSync(p)
    } catch {
      continue
    }
    if (st.isFile()) out.push(p)
    else if (st.isDirectory() && ext === '') {
      const names = readdirSync(p).filter((n) => !n.startsWith('.') && ['', '.yml', '.yaml', '.json'].includes(extname(n))).sort()
      for (const n of names) if (statSync(join(p, n)).isFile()) out.push(join(p, n))
    }
  }
  return out
}

function readVarsFile(path: string): {vars: Record<string, unknown>; at: Record<string, Loc>} {
  const text = readFileSync(path, 'utf8')
  if (isVaultText(text)) throw vaultError({file: path, line: 1}, 'this whole file')
  const {doc, lc} = yamlDoc(text, path)
  const top = doc.contents
  const vars = plainObject(top === null ? null : (top as Node).toJS(doc), {file: path, line: 1}, 'a vars file')
  const at: Record<string, Loc> = {}
  if (isMap(top)) for (const p of top.items) if (isScalar(p.key)) at[String(p.key.value)] = {file: path, line: lineOf(lc, p.key)}
  return {vars, at}
}

// --- resolution -----------------------------------------------------------------------------------

interface Scoped {
  vars: Record<string, unknown>
  at: Record<string, string>
}

function apply(into: Scoped, vars: Record<string, unknown>, at: (k: string) => string): void {
  for (const [k, v] of Object.entries(vars)) {
    into.vars[k] = v
    into.at[k] = at(k)
  }
}

const where = (l: Loc | undefined, fallback: string): string => (l === undefined ? fallback : `${l.file}:${l.line}`)

/**
 * `ansible_ssh_common_args` / `ansible_ssh_extra_args` → `-o Key=Value` options, validated as hachaos's own:
 * only `-o` options (and `-J` as ProxyJump), no shell characters, nothing that turns BatchMode or host-key
 * checking off, no ProxyCommand / LocalCommand (they run shell commands locally).
 */
export function sshArgsToOptions(args: string, at: string): Record<string, string> {
  const refuse = (msg: string): HachaosError => bad(at, `ansible_ssh_common_args "${args.slice(0, 80)}": ${msg}`, 'give only -o Key=Value options (e.g. -o ProxyJump=bastion); host keys belong in known_hosts')
  if (/[`$;|&<>(){}\\!*?\n]/.test(args)) throw refuse('shell characters are not allowed')
  const words = args.split(/\s+/).filter((w) => w !== '').map((w) => w.replace(/^(['"])(.*)\1$/, '$2'))
  const out: Record<string, string> = {}
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? ''
    let kv: string
    if (w === '-o') kv = words[++i] ?? ''
    else if (w.startsWith('-o')) kv = w.slice(2)
    else if (w === '-J') kv = `ProxyJump=${words[++i] ?? ''}`
    else throw refuse(`"${w}" is not a -o option`)
    const m = /^([A-Za-z][A-Za-z0-9]*)[= ](.+)$/.exec(kv)
    if (m === null) throw refuse(`"${kv}" is not Key=Value`)
    const key = m[1] ?? ''
    const lk = key.toLowerCase()
    if (lk === 'stricthostkeychecking' || lk === 'userknownhostsfile' || lk === 'globalknownhostsfile') throw refuse(`${key} would override hachaos's host-key checking`)
    if (lk === 'batchmode' || lk === 'passwordauthentication' || lk === 'kbdinteractiveauthentication') throw refuse(`${key} would override BatchMode=yes (hachaos never waits at a prompt)`)
    if (lk === 'proxycommand' || lk === 'localcommand' || lk === 'permitlocalcommand' || lk === 'knownhostscommand') throw refuse(`${key} runs a shell command`)
    out[key] = m[2] ?? ''
  }
  return out
}

/** Roles from a host's groups: the mapping is matched on lower-case names, `-` read as `_`. */
function rolesFromGroups(groups: string[], mapping: Record<string, string[]>): string[] {
  const roles = new Set<string>()
  for (const g of groups) for (const r of mapping[g.toLowerCase().replace(/-/g, '_')] ?? []) roles.add(r)
  return [...roles]
}

function stringList(v: unknown, at: string, what: string): string[] {
  if (typeof v === 'string') return v.split(',').map((x) => x.trim()).filter((x) => x !== '')
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v
  throw bad(at, `${what} must be a list of strings (or "a,b")`)
}

/** Resolve a parsed Ansible inventory (plus group_vars/ and host_vars/ next to `file`) into hachaos hosts. */
export function resolveAnsible(raw: AnsibleRaw, format: AnsibleInventory['format']): AnsibleInventory {
  const file = raw.file
  const base = dirname(file)
  // every group is a child of all; parents of each group (for depth and membership)
  const all = raw.groups.get('all')
  if (all === undefined) throw bad({file, line: 1}, 'no group all')
  for (const g of raw.groups.values()) if (g.name !== 'all' && !all.children.includes(g.name) && ![...raw.groups.values()].some((p) => p.children.includes(g.name))) all.children.push(g.name)
  const parents = new Map<string, Set<string>>()
  for (const g of raw.groups.values()) for (const c of g.children) parents.set(c, new Set([...(parents.get(c) ?? []), g.name]))
  const depth = (name: string, seen: Set<string> = new Set()): number => {
    if (seen.has(name)) throw bad(raw.groups.get(name)?.at ?? {file, line: 1}, `group ${name} is its own ancestor (a children loop)`)
    const ps = [...(parents.get(name) ?? [])]
    return ps.length === 0 ? 0 : 1 + Math.max(...ps.map((p) => depth(p, new Set([...seen, name]))))
  }
  const ancestors = (name: string): Set<string> => {
    const out = new Set<string>([name])
    const todo = [name]
    while (todo.length > 0) for (const p of parents.get(todo.pop() ?? '') ?? []) if (!out.has(p)) (out.add(p), todo.push(p))
    return out
  }
  // group variables: inventory file first, then group_vars/ (which wins), per group
  const groupVars = new Map<string, Scoped>()
  for (const g of raw.groups.values()) {
    const s: Scoped = {vars: {}, at: {}}
    apply(s, g.vars, (k) => where(g.varsAt[k], `${file} [${g.name}:vars]`))
    for (const f of varsFiles(join(base, 'group_vars'), g.name)) {
      const r = readVarsFile(f)
      apply(s, r.vars, (k) => where(r.at[k], f))
    }
    groupVars.set(g.name, s)
  }
  const mapping: Record<string, string[]> = {...DEFAULT_GROUP_ROLES}
  const custom = groupVars.get('all')?.vars['hachaos_group_roles']
  if (custom !== undefined) {
    const at = groupVars.get('all')?.at['hachaos_group_roles'] ?? file
    for (const [g, r] of Object.entries(plainObject(custom, at, 'hachaos_group_roles'))) mapping[g.toLowerCase().replace(/-/g, '_')] = stringList(r, at, `hachaos_group_roles.${g}`)
  }
  // hosts, in the order they first appear
  const hostGroups = new Map<string, {groups: string[]; at: Loc; inline: Scoped}>()
  for (const g of raw.groups.values()) {
    for (const [h, d] of g.hosts) {
      const e = hostGroups.get(h) ?? {groups: [], at: d.at, inline: {vars: {}, at: {}}}
      if (!e.groups.includes(g.name)) e.groups.push(g.name)
      apply(e.inline, d.vars, () => `${d.at.file}:${d.at.line}`)
      hostGroups.set(h, e)
    }
  }
  const hosts: InventoryHost[] = []
  const origins: Record<string, AnsibleHostOrigin> = {}
  for (const [name, e] of hostGroups) {
    if (!HOST_NAME.test(name)) throw bad(e.at, `host name "${name}" is not one hachaos accepts`, 'letters, digits, "_", "." and "-", not starting with "-"; put an address in ansible_host')
    const member = new Set<string>(['all'])
    for (const g of e.groups) for (const a of ancestors(g)) member.add(a)
    if (e.groups.length > 0 && !(e.groups.length === 1 && e.groups[0] === 'ungrouped')) member.delete('ungrouped')
    const order = [...member].sort((a, b) => depth(a) - depth(b) || a.localeCompare(b))
    const s: Scoped = {vars: {}, at: {}}
    for (const g of order) {
      const gv = groupVars.get(g)
      if (gv !== undefined) apply(s, gv.vars, (k) => gv.at[k] ?? file)
    }
    apply(s, e.inline.vars, (k) => e.inline.at[k] ?? file)
    for (const f of varsFiles(join(base, 'host_vars'), name)) {
      const r = readVarsFile(f)
      apply(s, r.vars, (k) => where(r.at[k], f))
    }
    const v = s.vars
    const at = (k: string): string => s.at[k] ?? `${e.at.file}:${e.at.line}`
    const str = (k: string): string | undefined => {
      const x = v[k]
      if (x === undefined || x === null) return undefined
      if (typeof x === 'string' || typeof x === 'number') return String(x)
      throw bad(at(k), `${k} must be a string`)
    }
    const connection = str('ansible_connection') ?? 'ssh'
    if (!['ssh', 'smart', 'paramiko', 'local'].includes(connection)) throw bad(at('ansible_connection'), `ansible_connection=${connection}: hachaos reaches hosts over ssh (or local) only`)
    const address = str('ansible_host') ?? str('ansible_ssh_host') ?? name
    const portS = str('ansible_port') ?? str('ansible_ssh_port')
    const port = portS === undefined ? undefined : Number(portS)
    if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw bad(at(v['ansible_port'] === undefined ? 'ansible_ssh_port' : 'ansible_port'), `port "${portS ?? ''}" is not 1–65535`)
    const user = str('ansible_user') ?? str('ansible_ssh_user')
    const key = str('ansible_ssh_private_key_file') ?? str('ansible_private_key_file')
    const options: Record<string, string> = {}
    for (const k of ['ansible_ssh_common_args', 'ansible_ssh_extra_args']) {
      const a = str(k)
      if (a !== undefined && a.trim() !== '') Object.assign(options, sshArgsToOptions(a, at(k)))
    }
    // roles and facts
    const roles = v['hachaos_roles'] !== undefined ? stringList(v['hachaos_roles'], at('hachaos_roles'), 'hachaos_roles') : rolesFromGroups(order, mapping)
    for (const r of roles) if (!(ROLES as readonly string[]).includes(r)) throw bad(at('hachaos_roles'), `role "${r}" is not a hachaos role`, `roles: ${ROLES.join(', ')}`)
    const facts: HostFacts = {...plainObject(v['hachaos_facts'], at('hachaos_facts'), 'hachaos_facts')}
    const allAt = groupVars.get('all')?.at ?? {}
    for (const f of FACT_VARS) {
      const x = str(`hachaos_${f}`)
      // hachaos_vip in the all group is the inventory's service address (drills' default), not every host's
      if (x !== undefined && !(f === 'vip' && s.at['hachaos_vip'] === allAt['hachaos_vip'])) facts[f] = x
    }
    const services = str('hachaos_services') ?? 'auto'
    if (!['auto', 'systemd', 'lab', 'none'].includes(services)) throw bad(at('hachaos_services'), `hachaos_services=${services}: one of auto, systemd, lab, none`)
    // hachaos_via: how hachaos reaches a host Ansible reaches differently (the lab's namespaces: netns / nsenter / vm)
    const viaS = str('hachaos_via') ?? (connection === 'local' ? 'local' : 'ssh')
    if (!['local', 'netns', 'nsenter', 'ssh', 'vm'].includes(viaS)) throw bad(at('hachaos_via'), `hachaos_via=${viaS}: one of ssh, local, netns, nsenter, vm`)
    const via = viaS as InventoryHost['via']
    const h: InventoryHost = {name, address, via, roles, services: services as InventoryHost['services'], facts}
    const need = (k: string, what: string): string => {
      const x = str(k)
      if (x === undefined || x === '') throw bad(at('hachaos_via'), `host ${name}: hachaos_via=${via} needs ${k} (${what})`)
      return x
    }
    if (via === 'netns') h.netns = need('hachaos_netns', 'the network namespace')
    if (via === 'nsenter') h.init_pid_file = need('hachaos_init_pid_file', 'a file holding the PID whose namespaces the host lives in')
    if (via === 'vm') h.vm_socket = need('hachaos_vm_socket', "the VM's console socket")
    const vmNetns = str('hachaos_vm_netns')
    if (via === 'vm' && vmNetns !== undefined && vmNetns !== '') h.vm_netns = vmNetns
    if (h.via === 'ssh') {
      const ssh: NonNullable<InventoryHost['ssh']> = {}
      if (user !== undefined) ssh.user = user
      if (port !== undefined) ssh.port = port
      if (key !== undefined) ssh.key = key.startsWith('~/') ? join(process.env['HOME'] ?? '~', key.slice(2)) : key
      if (Object.keys(options).length > 0) ssh.options = options
      const shk = str('hachaos_strict_host_key_checking')
      if (shk === 'accept-new' || shk === 'yes') ssh.strictHostKeyChecking = shk
      h.ssh = ssh
      try {
        validateSshTarget({address, ...ssh}, at('ansible_host'))
      } catch (err) {
        const where2 = at(/user/i.test((err as Error).message) ? 'ansible_user' : /port/.test((err as Error).message) ? 'ansible_port' : 'ansible_host')
        throw bad(where2, `host ${name}: ${(err as Error).message}`)
      }
    }
    hosts.push(h)
    const used: Record<string, string> = {}
    for (const k of Object.keys(v)) if (k.startsWith('ansible_') || k.startsWith('hachaos_')) used[k] = at(k)
    origins[name] = {groups: order.filter((g) => g !== 'all'), at: e.at, vars: used}
  }
  if (hosts.length === 0) throw bad({file, line: 1}, 'no hosts in this inventory', 'list hosts under a group: [web]\\nweb1 ansible_host=10.0.0.21')
  const allVars = groupVars.get('all')?.vars ?? {}
  const vip = typeof allVars['hachaos_vip'] === 'string' ? allVars['hachaos_vip'] : undefined
  const invName = typeof allVars['hachaos_name'] === 'string' ? allVars['hachaos_name'] : basename(file)
  return {file, name: invName, vip, lab: undefined, hosts, format, origins}
}

/** True when the text is an Ansible inventory rather than a hachaos one (hachaos YAML has top-level `hosts:`). */
export function looksLikeAnsible(text: string, file: string): 'ansible-ini' | 'ansible-yaml' | null {
  if (/\.(ini|cfg)$/i.test(file)) return 'ansible-ini'
  const t = text.replace(/^\uFEFF/, '')
  if (/^\s*\[[^\]\n]+\]\s*$/m.test(t) && !/^\s*hosts\s*:/m.test(t)) return 'ansible-ini'
  const lc = new LineCounter()
  const doc = parseDocument(t, {lineCounter: lc, prettyErrors: false})
  const top = doc.contents
  if (doc.errors.length > 0 || top === null) return doc.errors.length > 0 && !/^\s*\w+\s*:/m.test(t) ? 'ansible-ini' : null
  if (isScalar(top) || isSeq(top)) return 'ansible-ini'
  if (!isMap(top)) return null
  const keys = top.items.map((p) => (isScalar(p.key) ? String(p.key.value) : ''))
  if (keys.includes('hosts') || keys.includes('version')) return null
  const groupish = top.items.every((p) => p.value === null || (isScalar(p.value) && p.value.value === null) || (isMap(p.value) && p.value.items.every((q) => isScalar(q.key) && ['hosts', 'vars', 'children'].includes(String(q.key.value)))))
  return groupish ? 'ansible-yaml' : null
}

/** Read an Ansible inventory (INI or YAML) and what lies next to it. */
export function parseAnsibleInventory(text: string, file: string, format: AnsibleInventory['format']): AnsibleInventory {
  return resolveAnsible(format === 'ansible-ini' ? parseAnsibleIni(text, file) : parseAnsibleYaml(text, file), format)
}

// --- writing --------------------------------------------------------------------------------------

/** A group name per hachaos role that DEFAULT_GROUP_ROLES maps back to that role. */
const ROLE_GROUP: Readonly<Record<string, string>> = {
  lb: 'loadbalancers',
  web: 'webservers',
  client: 'clients',
  'cluster-node': 'cluster_nodes',
  'bond-host': 'bonding',
  'lvs-director': 'lvs_directors',
  'real-server': 'real_servers',
  storage: 'storage',
}

/** One INI value, quoted the way the host-line reader (shlex rules) reads it back. */
function iniValue(v: string): string {
  if (/^[A-Za-z0-9_.,:/@%+=-]+$/.test(v) && !/^(True|False|None|true|false|-?\d+(\.\d+)?)$/.test(v)) return v
  if (!v.includes("'")) return `'${v}'`
  return `"${v.replace(/["\\]/g, (m) => `\\${m}`)}"`
}

/**
 * Render a hachaos inventory as an Ansible INI inventory that reads back to the same hosts: one group per
 * role (loadbalancers, webservers, cluster_nodes, …), the way hachaos reaches each host as ansible_* (ssh)
 * or hachaos_via/hachaos_netns/… variables (the lab's namespaces, which Ansible reaches locally), facts as
 * hachaos_<fact> and hachaos_facts.
 */
export function renderAnsibleIni(inv: Pick<Inventory, 'name' | 'vip' | 'hosts'>, header = ''): string {
  const line = (h: InventoryHost): string => {
    const v: Array<[string, string]> = []
    if (h.address !== h.name) v.push(['ansible_host', h.address])
    if (h.via !== 'ssh') v.push(['ansible_connection', 'local'])
    if (h.via !== 'ssh' && h.via !== 'local') v.push(['hachaos_via', h.via])
    if (h.netns !== undefined) v.push(['hachaos_netns', h.netns])
    if (h.init_pid_file !== undefined) v.push(['hachaos_init_pid_file', h.init_pid_file])
    if (h.vm_socket !== undefined) v.push(['hachaos_vm_socket', h.vm_socket])
    if (h.vm_netns !== undefined) v.push(['hachaos_vm_netns', h.vm_netns])
    const t = h.via === 'ssh' ? h.ssh : undefined
    if (t?.user !== undefined) v.push(['ansible_user', t.user])
    if (t?.port !== undefined) v.push(['ansible_port', String(t.port)])
    if (t?.key !== undefined) v.push(['ansible_ssh_private_key_file', t.key])
    if (t?.options !== undefined && Object.keys(t.options).length > 0) v.push(['ansible_ssh_common_args', Object.entries(t.options).map(([k, x]) => `-o ${k}=${x}`).join(' ')])
    if (t?.strictHostKeyChecking !== undefined) v.push(['hachaos_strict_host_key_checking', t.strictHostKeyChecking])
    if (h.services !== 'auto') v.push(['hachaos_services', h.services])
    const unmapped = h.roles.filter((r) => ROLE_GROUP[r] === undefined)
    if (unmapped.length > 0) v.push(['hachaos_roles', h.roles.join(',')])
    const rest: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(h.facts)) {
      if ((FACT_VARS as readonly string[]).includes(k) && typeof x === 'string') v.push([`hachaos_${k}`, x])
      else if (x !== undefined) rest[k] = x
    }
    if (Object.keys(rest).length > 0) v.push(['hachaos_facts', JSON.stringify(rest)])
    return [h.name, ...v.map(([k, x]) => `${k}=${iniValue(x)}`)].join(' ')
  }
  const out: string[] = []
  if (header !== '') out.push(...header.split('\n').map((l) => `# ${l}`.trimEnd()))
  const ungrouped = inv.hosts.filter((h) => h.roles.every((r) => ROLE_GROUP[r] === undefined))
  for (const h of ungrouped) out.push(line(h))
  const written = new Set<string>(ungrouped.map((h) => h.name))
  for (const [role, g] of Object.entries(ROLE_GROUP)) {
    const hs = inv.hosts.filter((h) => h.roles.includes(role))
    if (hs.length === 0) continue
    out.push('', `[${g}]`)
    // a host's variables go on its first line only (Ansible merges a host's lines; one place is clearer)
    for (const h of hs) {
      out.push(written.has(h.name) ? h.name : line(h))
      written.add(h.name)
    }
  }
  const vars: Array<[string, string]> = []
  if (inv.name !== undefined) vars.push(['hachaos_name', inv.name])
  if (inv.vip !== undefined) vars.push(['hachaos_vip', inv.vip])
  if (vars.length > 0) out.push('', '[all:vars]', ...vars.map(([k, x]) => `${k}=${x}`))
  return `${out.join('\n')}\n`
}

