/**
 * corosync.conf parser (corosync 2/3, corosync.conf(5)): `key: value` lines and `name {` … `}` blocks, `#`
 * comment lines, every item with file:line. Typed views of totem (transport, crypto, token, interfaces),
 * nodelist and quorum (votequorum, two_node, qdevice). Unknown keys are kept in the tree.
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
    const set = <K extends 'clusterName' | 'transport' | 'consensus' | 'cryptoCipher' | 'cryptoHash' | 'secauth' | 'rrpMode' | 'linkMode'>(k: K, key: string): void => {
      const v = val(t, key)
      if (v !== undefined) cfg.totem[k] = v
    }
    set('clusterName', 'cluster_name')
    set('transport', 'transport')
    set('consensus', 'consensus')
    set('cryptoCipher', 'crypto_cipher')
    set('cryptoHash', 'crypto_hash')
    set('secauth', 'secauth')
    set('rrpMode', 'rrp_mode')
    set('linkMode', 'link_mode')
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
    const set = <K extends 'provider' | 'expectedVotes' | 'waitForAll' | 'lastManStanding' | 'autoTieBreaker'>(k: K, key: string): void => {
      const v = val(q, key)
      if (v !== undefined) cfg.quorum[k] = v
    }
    set('provider', 'provider')
    set('expectedVotes', 'expected_votes')
    set('waitForAll', 'wait_for_all')
    set('lastManStanding', 'last_man_standing')
    set('autoTieBreaker', 'auto_tie_breaker')
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

/** corosync 3 defaults (corosync.conf(5) of 3.1): token 3000 ms, token_coefficient 650 ms. */
export const COROSYNC_DEFAULT_TOKEN_MS = 3000
export const COROSYNC_DEFAULT_TOKEN_COEFFICIENT_MS = 650

/**
 * The token timeout corosync really uses: token + (nodes − 2) × token_coefficient when the nodelist has
 * 3 or more nodes (corosync.conf(5), token_coefficient).
 */
export function effectiveTokenMs(cfg: CorosyncConfig): number {
  const token = cfg.totem.token?.ms ?? COROSYNC_DEFAULT_TOKEN_MS
  const coeff = cfg.totem.tokenCoefficient?.ms ?? COROSYNC_DEFAULT_TOKEN_COEFFICIENT_MS
  const n = cfg.nodes.length
  return n >= 3 ? token + (n - 2) * coeff : token
}

/** Links (rings) a cluster has: the number of distinct ringN_addr per node, at least. */
export function linkCount(cfg: CorosyncConfig): number {
  if (cfg.nodes.length === 0) return cfg.totem.interfaces.length
  return Math.min(...cfg.nodes.map((n) => Object.keys(n.addrs).length))
}
