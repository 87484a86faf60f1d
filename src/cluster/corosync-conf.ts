/**
 * Reader of corosync.conf (Corosync 2 and 3) for the cluster commands and the failover model: totem
 * timers (token, token_coefficient, consensus …), transport, links (interface sections and ringX_addr of
 * the nodes), quorum options (two_node, wait_for_all …) and the node list.
 * Hand-written because no maintained JS library reads this brace format; it is small: `name {` opens a
 * section, `}` closes it, `key: value` sets, `#` starts a comment line. Errors name file:line.
 * (The `doctor` parsers in src/config/ read the same file for their own checks; this one serves src/cluster/.)
 */
import {HachaosError} from '../errors.js'

export interface ConfEntry {
  key: string
  value: string
  line: number
}

export interface ConfSection {
  name: string
  line: number
  entries: ConfEntry[]
  sections: ConfSection[]
}

export interface CorosyncLink {
  linknumber: number
  bindnetaddr: string | null
  mcastport: number | null
  knetTransport: string | null
  line: number
}

export interface CorosyncNode {
  name: string | null
  nodeid: number | null
  /** Addresses by link number: ring0_addr → rings[0]. */
  rings: string[]
  line: number
}

export interface CorosyncConfig {
  file: string
  clusterName: string | null
  version: number | null
  /** knet (Corosync 3 default), udpu, udp. */
  transport: string
  crypto: {cipher: string | null; hash: string | null}
  totem: {
    /** As written (null: the default applies). */
    token: number | null
    tokenCoefficient: number | null
    consensus: number | null
    join: number | null
    tokenRetransmitsBeforeLoss: number | null
  }
  /** Timers corosync will really use (corosync.conf(5)), before runtime overrides. */
  effective: {
    tokenMs: number
    consensusMs: number
    /** "1000 + (3 − 2) × 650 = 1650 ms" */
    tokenFormula: string
    consensusFormula: string
  }
  links: CorosyncLink[]
  nodes: CorosyncNode[]
  quorum: {
    provider: string | null
    twoNode: boolean
    expectedVotes: number | null
    waitForAll: boolean | null
    lastManStanding: boolean | null
    autoTieBreaker: boolean | null
  }
  root: ConfSection
}

/** Corosync 3 defaults (corosync.conf(5)): token 3000 ms (Corosync 2: 1000), token_coefficient 650 ms. */
export const COROSYNC_DEFAULTS = {tokenMs: 3000, tokenCoefficientMs: 650, consensusFactor: 1.2} as const

export function parseConfTree(text: string, file = '<corosync.conf>'): ConfSection {
  const root: ConfSection = {name: '', line: 0, entries: [], sections: []}
  const stack: ConfSection[] = [root]
  const lines = text.split(/\r?\n/)
  const fail = (line: number, msg: string, tip: string): never => {
    throw new HachaosError(`${file}:${line}: ${msg}`, {code: 'E_PARSE', exit: 'BAD_INPUT', where: `${file}:${line}`, suggestions: [tip]})
  }
  lines.forEach((raw, i) => {
    const ln = i + 1
    let l = raw.trim()
    if (l === '' || l.startsWith('#')) return
    // "name {" possibly followed by "key: value }" on the same line is rare; handle "{" and "}" tokens.
    while (l !== '') {
      const open = /^([A-Za-z0-9_.-]+)\s*\{\s*(.*)$/.exec(l)
      if (open !== null) {
        const sec: ConfSection = {name: open[1] as string, line: ln, entries: [], sections: []}
        ;(stack[stack.length - 1] as ConfSection).sections.push(sec)
        stack.push(sec)
        l = (open[2] ?? '').trim()
        continue
      }
      if (l.startsWith('}')) {
        if (stack.length === 1) fail(ln, 'a "}" closes no section', 'remove the extra "}" or add the section it closes')
        stack.pop()
        l = l.slice(1).trim()
        continue
      }
      const kv = /^([A-Za-z0-9_.-]+)\s*:\s*(.*?)\s*(\}.*)?$/.exec(l)
      if (kv !== null) {
        ;(stack[stack.length - 1] as ConfSection).entries.push({key: kv[1] as string, value: (kv[2] ?? '').replace(/^"(.*)"$/, '$1'), line: ln})
        l = (kv[3] ?? '').trim()
        continue
      }
      fail(ln, `cannot read "${raw.trim().slice(0, 60)}"`, 'each line is "key: value", "name {" or "}"')
    }
  })
  if (stack.length > 1) {
    const open = stack[stack.length - 1] as ConfSection
    fail(open.line, `section "${open.name}" is never closed`, 'add the missing "}"')
  }
  return root
}

const sec = (s: ConfSection | undefined, name: string): ConfSection | undefined => s?.sections.find((x) => x.name === name)
const val = (s: ConfSection | undefined, key: string): ConfEntry | undefined => {
  const all = s?.entries.filter((e) => e.key === key) ?? []
  return all[all.length - 1]
}

function intOf(e: ConfEntry | undefined, file: string): number | null {
  if (e === undefined) return null
  if (!/^\d+$/.test(e.value)) {
    throw new HachaosError(`${file}:${e.line}: ${e.key} must be a whole number, not "${e.value}"`, {code: 'E_PARSE', exit: 'BAD_INPUT', where: `${file}:${e.line}`, suggestions: [`e.g. ${e.key}: 3000`]})
  }
  return Number(e.value)
}

function boolOf(e: ConfEntry | undefined): boolean | null {
  if (e === undefined) return null
  return ['1', 'yes', 'on', 'true'].includes(e.value.toLowerCase())
}

/** Token and consensus as corosync computes them (token_coefficient applies with a nodelist of ≥ 3 nodes). */
export function effectiveTimers(token: number | null, coefficient: number | null, consensus: number | null, nodeCount: number): CorosyncConfig['effective'] {
  const base = token ?? COROSYNC_DEFAULTS.tokenMs
  const coef = coefficient ?? COROSYNC_DEFAULTS.tokenCoefficientMs
  const extra = nodeCount >= 3 ? (nodeCount - 2) * coef : 0
  const tokenMs = base + extra
  const tokenFormula = extra > 0 ? `${base} + (${nodeCount} − 2) × ${coef} = ${tokenMs} ms` : `${tokenMs} ms`
  const consensusMs = consensus ?? Math.round(COROSYNC_DEFAULTS.consensusFactor * tokenMs)
  const consensusFormula = consensus === null ? `1.2 × ${tokenMs} = ${consensusMs} ms` : `${consensusMs} ms`
  return {tokenMs, consensusMs, tokenFormula, consensusFormula}
}

export function parseCorosyncConf(text: string, file = '<corosync.conf>'): CorosyncConfig {
  const root = parseConfTree(text, file)
  const totem = sec(root, 'totem')
  const quorum = sec(root, 'quorum')
  const nodelist = sec(root, 'nodelist')
  const nodes: CorosyncNode[] = (nodelist?.sections.filter((s) => s.name === 'node') ?? []).map((n) => {
    const rings: string[] = []
    for (const e of n.entries) {
      const m = /^ring(\d+)_addr$/.exec(e.key)
      if (m !== null) rings[Number(m[1])] = e.value
    }
    return {name: val(n, 'name')?.value ?? null, nodeid: intOf(val(n, 'nodeid'), file), rings, line: n.line}
  })
  const links: CorosyncLink[] = (totem?.sections.filter((s) => s.name === 'interface') ?? []).map((s, i) => ({
    linknumber: intOf(val(s, 'linknumber') ?? val(s, 'ringnumber'), file) ?? i,
    bindnetaddr: val(s, 'bindnetaddr')?.value ?? null,
    mcastport: intOf(val(s, 'mcastport'), file),
    knetTransport: val(s, 'knet_transport')?.value ?? null,
    line: s.line,
  }))
  const token = intOf(val(totem, 'token'), file)
  const tokenCoefficient = intOf(val(totem, 'token_coefficient'), file)
  const consensus = intOf(val(totem, 'consensus'), file)
  return {
    file,
    clusterName: val(totem, 'cluster_name')?.value ?? null,
    version: intOf(val(totem, 'version'), file),
    transport: val(totem, 'transport')?.value ?? 'knet',
    crypto: {cipher: val(totem, 'crypto_cipher')?.value ?? null, hash: val(totem, 'crypto_hash')?.value ?? null},
    totem: {token, tokenCoefficient, consensus, join: intOf(val(totem, 'join'), file), tokenRetransmitsBeforeLoss: intOf(val(totem, 'token_retransmits_before_loss_const'), file)},
    effective: effectiveTimers(token, tokenCoefficient, consensus, nodes.length),
    links,
    nodes,
    quorum: {
      provider: val(quorum, 'provider')?.value ?? null,
      twoNode: boolOf(val(quorum, 'two_node')) ?? false,
      expectedVotes: intOf(val(quorum, 'expected_votes'), file),
      waitForAll: boolOf(val(quorum, 'wait_for_all')),
      lastManStanding: boolOf(val(quorum, 'last_man_standing')),
      autoTieBreaker: boolOf(val(quorum, 'auto_tie_breaker')),
    },
    root,
  }
}

/** Every address a node uses on any link (ring0_addr, ring1_addr …). */
export function nodeAddresses(c: CorosyncConfig, name: string): string[] {
  return c.nodes.find((n) => n.name === name)?.rings.filter((a) => a !== undefined && a !== '') ?? []
}

/** The UDP port(s) corosync uses: knet/udpu default 5405 for link 0, the interface's mcastport when set. */
export function corosyncPorts(c: CorosyncConfig): number[] {
  const ports = new Set<number>()
  const linkCount = Math.max(1, ...c.nodes.map((n) => n.rings.length))
  for (let i = 0; i < linkCount; i++) {
    const l = c.links.find((x) => x.linknumber === i)
    ports.add(l?.mcastport ?? 5405 + (c.transport === 'knet' ? i : 0))
  }
  return [...ports].sort((a, b) => a - b)
}
