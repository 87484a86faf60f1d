/**
 * Readers of Corosync's own tools, run through an Executor on a cluster node:
 *   corosync-quorumtool -s   quorum and membership as this node sees it
 *   corosync-cfgtool -s      link status to every peer (knet) or ring status (udp/udpu, Corosync 2)
 *   corosync-cmapctl runtime.config.totem   the timers corosync really uses (token after token_coefficient …)
 * Their output is plain text meant for people; these parsers are line-based and tolerant (unknown lines
 * are skipped), since no library reads them.
 */
import {HachaosError} from '../../errors.js'
import type {Executor} from '../../exec/types.js'

export interface QuorumMember {
  nodeid: number
  votes: number
  name: string
  local: boolean
}

export interface QuorumStatus {
  provider: string | null
  nodes: number | null
  nodeId: number | null
  ringId: string | null
  quorate: boolean
  expectedVotes: number | null
  highestExpected: number | null
  totalVotes: number | null
  quorum: number | null
  flags: string[]
  members: QuorumMember[]
}

export function parseQuorumtool(text: string, source = '<corosync-quorumtool>'): QuorumStatus {
  const kv = new Map<string, string>()
  const members: QuorumMember[] = []
  let inMembers = false
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd()
    if (/^Membership information/.test(line)) {
      inMembers = true
      continue
    }
    if (inMembers) {
      // "         1          1 n1 (local)"  or with -n/-i: "  1   1 10.0.0.1"
      const m = /^\s*(\d+)\s+(\d+)\s+(?:(NR|A|AQ|Q)\s+)?(\S+)(\s+\(local\))?/.exec(line)
      if (m !== null) members.push({nodeid: Number(m[1]), votes: Number(m[2]), name: m[4] as string, local: m[5] !== undefined})
      continue
    }
    const m = /^([A-Za-z][A-Za-z ]+?):\s+(.*?)\s*$/.exec(line)
    if (m !== null) kv.set((m[1] as string).toLowerCase(), m[2] as string)
  }
  if (kv.size === 0 && members.length === 0) {
    throw new HachaosError(`${source}: not corosync-quorumtool output: ${text.trim().split('\n')[0]?.slice(0, 120) ?? '(empty)'}`, {
      code: 'E_PARSE',
      exit: 'BAD_INPUT',
      where: source,
      suggestions: ['is corosync running there? try corosync-quorumtool -s by hand'],
    })
  }
  const n = (k: string): number | null => {
    const v = kv.get(k)
    return v === undefined || !/^\d+/.test(v) ? null : parseInt(v, 10)
  }
  return {
    provider: kv.get('quorum provider') ?? null,
    nodes: n('nodes'),
    nodeId: n('node id'),
    ringId: kv.get('ring id') ?? null,
    quorate: (kv.get('quorate') ?? '').toLowerCase() === 'yes',
    expectedVotes: n('expected votes'),
    highestExpected: n('highest expected'),
    totalVotes: n('total votes'),
    quorum: n('quorum'),
    flags: (kv.get('flags') ?? '').split(/\s+/).filter((f) => f !== ''),
    members,
  }
}

export interface LinkPeer {
  nodeid: number
  /** localhost, connected, disconnected, … (knet); for Corosync 2 rings: "active with no faults" */
  state: string
}

export interface CorosyncLinkStatus {
  id: number
  transport: string | null
  addr: string | null
  peers: LinkPeer[]
  /** Corosync 2 ring status line, e.g. "ring 0 active with no faults". */
  status: string | null
}

export interface CfgtoolStatus {
  localNodeId: number | null
  transport: string | null
  links: CorosyncLinkStatus[]
  /** Peers not connected on some link. */
  faults: string[]
}

export function parseCfgtool(text: string, source = '<corosync-cfgtool>'): CfgtoolStatus {
  let localNodeId: number | null = null
  let transport: string | null = null
  const links: CorosyncLinkStatus[] = []
  let cur: CorosyncLinkStatus | undefined
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    let m = /^Local node ID (\d+)(?:, transport (\S+))?/.exec(line)
    if (m !== null) {
      localNodeId = Number(m[1])
      transport = m[2] ?? null
      continue
    }
    m = /^(?:LINK|RING) ID (\d+)\s*(\S+)?/.exec(line)
    if (m !== null) {
      cur = {id: Number(m[1]), transport: m[2] ?? null, addr: null, peers: [], status: null}
      links.push(cur)
      continue
    }
    if (cur === undefined) continue
    m = /^(?:addr|id)\s*=\s*(\S+)/.exec(line)
    if (m !== null) {
      cur.addr = m[1] ?? null
      continue
    }
    m = /^status\s*=\s*(.+)$/.exec(line)
    if (m !== null) {
      cur.status = m[1] ?? null
      continue
    }
    m = /^nodeid:?\s*(\d+):\s*(.+)$/.exec(line)
    if (m !== null) cur.peers.push({nodeid: Number(m[1]), state: (m[2] as string).trim()})
  }
  if (localNodeId === null && links.length === 0) {
    throw new HachaosError(`${source}: not corosync-cfgtool -s output: ${text.trim().split('\n')[0]?.slice(0, 120) ?? '(empty)'}`, {
      code: 'E_PARSE',
      exit: 'BAD_INPUT',
      where: source,
      suggestions: ['is corosync running there? try corosync-cfgtool -s by hand'],
    })
  }
  const faults: string[] = []
  for (const l of links) {
    for (const p of l.peers) if (!/^(localhost|connected)/.test(p.state)) faults.push(`link ${l.id}: node ${p.nodeid} ${p.state}`)
    if (l.status !== null && /fault/i.test(l.status) && !/no faults/i.test(l.status)) faults.push(`ring ${l.id}: ${l.status}`)
  }
  return {localNodeId, transport, links, faults}
}

/** `corosync-cmapctl PREFIX` lines: "runtime.config.totem.token (u32) = 1650". */
export function parseCmapctl(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+\([a-z0-9]+\)\s+=\s+(.*)$/.exec(line.trim())
    if (m !== null) out.set(m[1] as string, m[2] as string)
  }
  return out
}

export interface RuntimeTotem {
  tokenMs: number
  consensusMs: number
  joinMs: number | null
  tokenRetransmitMs: number | null
  /** How long an idle node holds the token before passing it on (the ring's rotation ≈ nodes × hold). */
  holdMs: number | null
}

export function runtimeTotem(cmap: Map<string, string>): RuntimeTotem | null {
  const g = (k: string): number | null => {
    const v = cmap.get(`runtime.config.totem.${k}`)
    return v === undefined || !/^\d+$/.test(v) ? null : Number(v)
  }
  const token = g('token')
  const consensus = g('consensus')
  if (token === null || consensus === null) return null
  return {tokenMs: token, consensusMs: consensus, joinMs: g('join'), tokenRetransmitMs: g('token_retransmit'), holdMs: g('hold')}
}

export async function readQuorum(exec: Executor): Promise<QuorumStatus> {
  // exit 2 = not quorate: the text is still there
  const r = await exec.run(['corosync-quorumtool', '-s'], {timeoutMs: 10_000})
  return parseQuorumtool(r.stdout.trim() === '' ? r.stderr : r.stdout, exec.host)
}

export async function readLinks(exec: Executor): Promise<CfgtoolStatus> {
  const r = await exec.run(['corosync-cfgtool', '-s'], {timeoutMs: 10_000})
  return parseCfgtool(r.stdout.trim() === '' ? r.stderr : r.stdout, exec.host)
}

export async function readRuntimeTotem(exec: Executor): Promise<RuntimeTotem | null> {
  const r = await exec.run(['corosync-cmapctl', 'runtime.config.totem'], {timeoutMs: 10_000})
  return r.code === 0 ? runtimeTotem(parseCmapctl(r.stdout)) : null
}
