/**
 * corosync.conf parser (corosync 2/3, corosync.conf(5)): `key: value` lines and `name {` … `}` blocks, `#`
 * comment lines, every item with file:line. Typed views of totem (transport, crypto, token, interfaces),
 * nodelist and quorum (votequorum, two_node, qdevice). Unknown keys are kept in the tree.
 * The one reader of this file: `doctor` uses the located model, the cluster commands and the failover model
 * (src/stacks/pacemaker/) its plain-value summary (corosyncSummary: effective timers, links, ring addresses, ports).
 * Like corosync 3 itself (checked with `corosync -t`), a section opens and closes on lines of its own and
 * quotes are part of a value.
 * Hand-written: the format is small and no maintained JavaScript parser for it exists.
 */
import {type Loc, configError, splitLines, toInt} from './common.js'

export interface CsItem extends Loc {
  key: string
  /** For `key: value`; undefined for a block. */
  value?: string
  /** For a block. */
  block?: CsItem[]
  endLine?: number
}

export interface CsValue extends Loc {
  value: string
}

export interface CsNode extends Loc {
  name?: string
  nodeid?: number
  /** ring/link number → address (ring0_addr, ring1_addr, …). */
  addrs: Record<number, string>
  votes?: number
}

export interface CsInterface extends Loc {
  /** linknumber (corosync 3) or ringnumber (corosync 2). */
  number: number
  bindnetaddr?: string
  mcastaddr?: string
  /** As written; read as a number by corosyncSummary. */
  mcastport?: CsValue
  knetTransport?: string
}

export interface CorosyncConfig {
  file: string
  tree: CsItem[]
  totem: {
    line?: number
    version?: number
    clusterName?: CsValue
    transport?: CsValue
    /** Milliseconds as written. */
    token?: CsValue & {ms: number}
    tokenCoefficient?: CsValue & {ms: number}
    consensus?: CsValue
    join?: CsValue
    tokenRetransmitsBeforeLoss?: CsValue
    cryptoCipher?: CsValue
    cryptoHash?: CsValue
    /** corosync 2: `secauth: on|off`. */
    secauth?: CsValue
    rrpMode?: CsValue
    linkMode?: CsValue
    interfaces: CsInterface[]
  }
  nodes: CsNode[]
  nodelistLine?: number
  quorum: {
    line?: number
    provider?: CsValue
    twoNode?: CsValue & {on: boolean}
    expectedVotes?: CsValue
    waitForAll?: CsValue
    lastManStanding?: CsValue
    autoTieBreaker?: CsValue
    /** `device { model: net … }` (qdevice). */
    device?: Loc & {model?: string; host?: string}
  }
}

const WHAT = 'corosync.conf'

function get(block: CsItem[] | undefined, key: string): CsItem | undefined {
  if (block === undefined) return undefined
  let found: CsItem | undefined
  for (const i of block) if (i.key === key && i.value !== undefined) found = i
  return found
}

function val(block: CsItem[] | undefined, key: string): CsValue | undefined {
  const i = get(block, key)
  return i?.value === undefined ? undefined : {value: i.value, file: i.file, line: i.line}
}

function blocks(block: CsItem[] | undefined, key: string): CsItem[] {
  return (block ?? []).filter((i) => i.key === key && i.block !== undefined)
}

/** Copy `key: value` items of a block into the typed view: field name → corosync key. */
function setValues<K extends string>(target: Partial<Record<NoInfer<K>, CsValue>>, block: CsItem[] | undefined, keys: Record<K, string>): void {
  for (const [field, key] of Object.entries(keys) as Array<[K, string]>) {
    const v = val(block, key)
    if (v !== undefined) target[field] = v
  }
}

function intVal(v: CsValue | undefined, what: string): number | undefined {
  if (v === undefined) return undefined
  const n = toInt(v.value)
  if (n === undefined) throw configError(WHAT, v, `${what}: "${v.value}" is not an integer`, `write ${what} as a whole number`)
  return n
}

function ms(v: CsValue | undefined, what: string): (CsValue & {ms: number}) | undefined {
  const n = intVal(v, what)
  return v === undefined || n === undefined ? undefined : {...v, ms: n}
}

/** Parse corosync.conf. Throws HachaosError (BAD_INPUT, file:line) on malformed input. */
export function parseCorosyncConf(text: string, opts: {file: string}): CorosyncConfig {
  const file = opts.file
  const root: CsItem[] = []
  const stack: Array<{items: CsItem[]; owner?: CsItem}> = [{items: root}]
  const lines = splitLines(text)
  for (let i = 0; i < lines.length; i++) {
    const loc: Loc = {file, line: i + 1}
    const line = (lines[i] ?? '').trim()
    if (line === '' || line.startsWith('#')) continue
    const top = stack[stack.length - 1] ?? {items: root}
    const open = /^([^\s:{}]+)\s*\{\s*(#.*)?$/.exec(line)
    if (open !== null) {
      const item: CsItem = {key: open[1] ?? '', block: [], ...loc}
      top.items.push(item)
      stack.push({items: item.block ?? [], owner: item})
      continue
    }
    if (/^\}\s*(#.*)?$/.test(line)) {
      if (stack.length === 1) throw configError(WHAT, loc, 'a "}" closes no section (unbalanced braces)', 'remove the extra "}"')
      const closed = stack.pop()
      if (closed?.owner !== undefined) closed.owner.endLine = loc.line
      continue
    }
    const kv = /^([^\s:{}]+)\s*:\s*(.*)$/.exec(line)
    if (kv !== null) {
      const value = (kv[2] ?? '').trim()
      if (value === '') throw configError(WHAT, loc, `"${kv[1] ?? ''}:" has no value`, `write: ${kv[1] ?? 'key'}: VALUE`)
      if (value.includes('{') || value.includes('}')) throw configError(WHAT, loc, `"${line}": a brace in a value`, 'put each section on its own lines: name {, key: value, }')
      top.items.push({key: kv[1] ?? '', value, ...loc})
      continue
    }
    throw configError(WHAT, loc, `cannot read "${line}" (expected "key: value", "section {" or "}")`, 'corosync.conf lines are "key: value", "name {" or "}"')
  }
  if (stack.length > 1) {
    const open = stack[stack.length - 1]?.owner
    throw configError(WHAT, open ?? {file, line: 1}, `section "${open?.key ?? '?'}" is never closed (unbalanced braces)`, 'add the missing "}"')
  }
  const totemB = blocks(root, 'totem')[0]
  const quorumB = blocks(root, 'quorum')[0]
  const nodelistB = blocks(root, 'nodelist')[0]
  const t = totemB?.block
  const cfg: CorosyncConfig = {file, tree: root, totem: {interfaces: []}, nodes: [], quorum: {}}
  if (totemB !== undefined) {
    cfg.totem.line = totemB.line
    const version = intVal(val(t, 'version'), 'totem.version')
    if (version !== undefined) cfg.totem.version = version
    setValues(cfg.totem, t, {
      clusterName: 'cluster_name',
      transport: 'transport',
      consensus: 'consensus',
      join: 'join',
      tokenRetransmitsBeforeLoss: 'token_retransmits_before_loss_const',
      cryptoCipher: 'crypto_cipher',
      cryptoHash: 'crypto_hash',
      secauth: 'secauth',
      rrpMode: 'rrp_mode',
      linkMode: 'link_mode',
    })
    const token = ms(val(t, 'token'), 'totem.token')
    if (token !== undefined) cfg.totem.token = token
    const tc = ms(val(t, 'token_coefficient'), 'totem.token_coefficient')
    if (tc !== undefined) cfg.totem.tokenCoefficient = tc
    for (const b of blocks(t, 'interface')) {
      const n = intVal(val(b.block, 'linknumber') ?? val(b.block, 'ringnumber'), 'interface.linknumber') ?? 0
      const iface: CsInterface = {number: n, file: b.file, line: b.line}
      const bn = val(b.block, 'bindnetaddr')
      if (bn !== undefined) iface.bindnetaddr = bn.value
      const mc = val(b.block, 'mcastaddr')
      if (mc !== undefined) iface.mcastaddr = mc.value
      const mp = val(b.block, 'mcastport')
      if (mp !== undefined) iface.mcastport = mp
      const kt = val(b.block, 'knet_transport')
      if (kt !== undefined) iface.knetTransport = kt.value
      cfg.totem.interfaces.push(iface)
    }
  }
  if (nodelistB !== undefined) {
    cfg.nodelistLine = nodelistB.line
    for (const nb of blocks(nodelistB.block, 'node')) {
      const node: CsNode = {addrs: {}, file: nb.file, line: nb.line}
      for (const it of nb.block ?? []) {
        if (it.value === undefined) continue
        const m = /^ring(\d+)_addr$/.exec(it.key)
        if (m !== null) node.addrs[Number(m[1])] = it.value
        else if (it.key === 'name') node.name = it.value
        else if (it.key === 'nodeid') node.nodeid = intVal({value: it.value, file: it.file, line: it.line}, 'node.nodeid') ?? 0
        else if (it.key === 'quorum_votes') node.votes = intVal({value: it.value, file: it.file, line: it.line}, 'node.quorum_votes') ?? 1
      }
      cfg.nodes.push(node)
    }
  }
  if (quorumB !== undefined) {
    const q = quorumB.block
    cfg.quorum.line = quorumB.line
    setValues(cfg.quorum, q, {provider: 'provider', expectedVotes: 'expected_votes', waitForAll: 'wait_for_all', lastManStanding: 'last_man_standing', autoTieBreaker: 'auto_tie_breaker'})
    const tn = val(q, 'two_node')
    if (tn !== undefined) cfg.quorum.twoNode = {...tn, on: tn.value === '1' || /^(yes|on|true)$/i.test(tn.value)}
    const dev = blocks(q, 'device')[0]
    if (dev !== undefined) {
      const d: Loc & {model?: string; host?: string} = {file: dev.file, line: dev.line}
      const model = val(dev.block, 'model')
      if (model !== undefined) d.model = model.value
      const net = blocks(dev.block, 'net')[0]
      const host = val(net?.block, 'host')
      if (host !== undefined) d.host = host.value
      cfg.quorum.device = d
    }
  }
  return cfg
}

/** corosync 3 defaults (corosync.conf(5) of 3.1): token 3000 ms (corosync 2: 1000), token_coefficient 650 ms, consensus 1.2 × token. */
export const COROSYNC_DEFAULT_TOKEN_MS = 3000
export const COROSYNC_DEFAULT_TOKEN_COEFFICIENT_MS = 650
export const COROSYNC_DEFAULT_CONSENSUS_FACTOR = 1.2

/** Timers corosync will really use (corosync.conf(5)), before runtime overrides. */
export interface EffectiveTimers {
  tokenMs: number
  consensusMs: number
  /** "1000 + (3 − 2) × 650 = 1650 ms" */
  tokenFormula: string
  consensusFormula: string
}

/** Token and consensus as corosync computes them (token_coefficient applies with a nodelist of ≥ 3 nodes). */
export function effectiveTimers(token: number | null, coefficient: number | null, consensus: number | null, nodeCount: number): EffectiveTimers {
  const base = token ?? COROSYNC_DEFAULT_TOKEN_MS
  const coef = coefficient ?? COROSYNC_DEFAULT_TOKEN_COEFFICIENT_MS
  const extra = nodeCount >= 3 ? (nodeCount - 2) * coef : 0
  const tokenMs = base + extra
  const tokenFormula = extra > 0 ? `${base} + (${nodeCount} − 2) × ${coef} = ${tokenMs} ms` : `${tokenMs} ms`
  const consensusMs = consensus ?? Math.round(COROSYNC_DEFAULT_CONSENSUS_FACTOR * tokenMs)
  const consensusFormula = consensus === null ? `1.2 × ${tokenMs} = ${consensusMs} ms` : `${consensusMs} ms`
  return {tokenMs, consensusMs, tokenFormula, consensusFormula}
}

/**
 * The token timeout corosync really uses: token + (nodes − 2) × token_coefficient when the nodelist has
 * 3 or more nodes (corosync.conf(5), token_coefficient).
 */
export function effectiveTokenMs(cfg: CorosyncConfig): number {
  return effectiveTimers(cfg.totem.token?.ms ?? null, cfg.totem.tokenCoefficient?.ms ?? null, null, cfg.nodes.length).tokenMs
}

/** Links (rings) a cluster has: the number of distinct ringN_addr per node, at least. */
export function linkCount(cfg: CorosyncConfig): number {
  if (cfg.nodes.length === 0) return cfg.totem.interfaces.length
  return Math.min(...cfg.nodes.map((n) => Object.keys(n.addrs).length))
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

/**
 * corosync.conf in plain values, as the cluster commands and the Pacemaker model use it and
 * `cluster status --json` prints it: defaults applied where corosync has one (transport knet), the
 * effective timers, links and ring addresses.
 */
export interface CorosyncSummary {
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
  effective: EffectiveTimers
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
}

const onOff = (v: CsValue | undefined): boolean | null => (v === undefined ? null : ['1', 'yes', 'on', 'true'].includes(v.value.toLowerCase()))

/** The plain-value summary of a parsed corosync.conf. Throws HachaosError (BAD_INPUT, file:line) on a non-integer timer or port. */
export function corosyncSummary(cfg: CorosyncConfig): CorosyncSummary {
  const t = cfg.totem
  const token = t.token?.ms ?? null
  const tokenCoefficient = t.tokenCoefficient?.ms ?? null
  const consensus = intVal(t.consensus, 'totem.consensus') ?? null
  const q = cfg.quorum
  return {
    file: cfg.file,
    clusterName: t.clusterName?.value ?? null,
    version: t.version ?? null,
    transport: t.transport?.value ?? 'knet',
    crypto: {cipher: t.cryptoCipher?.value ?? null, hash: t.cryptoHash?.value ?? null},
    totem: {token, tokenCoefficient, consensus, join: intVal(t.join, 'totem.join') ?? null, tokenRetransmitsBeforeLoss: intVal(t.tokenRetransmitsBeforeLoss, 'totem.token_retransmits_before_loss_const') ?? null},
    effective: effectiveTimers(token, tokenCoefficient, consensus, cfg.nodes.length),
    links: t.interfaces.map((i) => ({
      linknumber: i.number,
      bindnetaddr: i.bindnetaddr ?? null,
      mcastport: intVal(i.mcastport, 'interface.mcastport') ?? null,
      knetTransport: i.knetTransport ?? null,
      line: i.line,
    })),
    nodes: cfg.nodes.map((n) => {
      const rings: string[] = []
      for (const [k, a] of Object.entries(n.addrs)) rings[Number(k)] = a
      return {name: n.name ?? null, nodeid: n.nodeid ?? null, rings, line: n.line}
    }),
    quorum: {
      provider: q.provider?.value ?? null,
      twoNode: q.twoNode?.on ?? false,
      expectedVotes: intVal(q.expectedVotes, 'quorum.expected_votes') ?? null,
      waitForAll: onOff(q.waitForAll),
      lastManStanding: onOff(q.lastManStanding),
      autoTieBreaker: onOff(q.autoTieBreaker),
    },
  }
}

/** Every address a node uses on any link (ring0_addr, ring1_addr …). */
export function nodeAddresses(c: CorosyncSummary, name: string): string[] {
  return c.nodes.find((n) => n.name === name)?.rings.filter((a) => a !== undefined && a !== '') ?? []
}

/**
 * The UDP port(s) corosync uses: the interface's mcastport, else 5405 (knet: 5405 + link number). The udp and
 * udpu transports use mcastport and the port below it (corosync.conf(5), mcastport: "mcastport (for mcast
 * receives) and mcastport - 1 (for mcast sends)"; corosync's own example: "5405 and 5404"); knet one port a link.
 */
export function corosyncPorts(c: CorosyncSummary): number[] {
  const ports = new Set<number>()
  const links = Math.max(1, ...c.nodes.map((n) => n.rings.length))
  const twoPorts = c.transport === 'udp' || c.transport === 'udpu'
  for (let i = 0; i < links; i++) {
    const l = c.links.find((x) => x.linknumber === i)
    const port = l?.mcastport ?? 5405 + (c.transport === 'knet' ? i : 0)
    ports.add(port)
    if (twoPorts) ports.add(port - 1)
  }
  return [...ports].sort((a, b) => a - b)
}
