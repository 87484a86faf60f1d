/**
 * Readers of the GlusterFS CLI's `--xml` output (GlusterFS 10; element names from cli-xml-output.c, checked
 * against the lab's captures in test/fixtures/gluster/): `peer status`, `volume info`, `volume status`,
 * `volume heal VOL info` / `info summary` / `info split-brain`, `volume get VOL all` (the options that matter),
 * and the FUSE client log's disconnect lines. XML through src/config/xml.ts (fast-xml-parser, line numbers);
 * every reader checks `opRet` and turns a CLI error into one that says what and where.
 */
import {configError} from '../../config/common.js'
import {descendants, kid, kids, parseXml, type XmlEl} from '../../config/xml.js'
import {HachaosError} from '../../errors.js'
import type {Executor} from '../../exec/types.js'

export interface GlusterPeer {
  uuid: string
  hostname: string
  connected: boolean
  /** glusterd's friend state (3: "Peer in Cluster"). */
  state: number
  stateText: string
}

export interface GlusterVolumeXml {
  name: string
  status: string
  type: string
  brickCount: number
  replicaCount: number
  arbiterCount: number
  bricks: Array<{name: string; host: string; path: string; arbiter: boolean}>
  options: Record<string, string>
}

export interface GlusterBrickStatus {
  hostname: string
  path: string
  online: boolean
  port: number | null
  pid: number | null
}

export interface GlusterVolumeStatus {
  volume: string
  bricks: GlusterBrickStatus[]
  /** Self-heal daemons: host and online. */
  shd: Array<{hostname: string; online: boolean}>
}

export interface HealBrick {
  brick: string
  status: string
  /** Entries to heal (info / info split-brain: the listed files' count; summary: total). */
  entries: number | null
  splitBrain: number | null
  healPending: number | null
  possiblyHealing: number | null
  /** Paths or gfids listed (info, info split-brain). */
  files: string[]
}

export interface HealInfo {
  bricks: HealBrick[]
  /** Sum over the bricks that answered (null: none answered). */
  total: number | null
}

/** The options a drill and doctor care about, with Gluster's defaults when the volume does not set them. */
export const OPTION_DEFAULTS: Record<string, string> = {
  'network.ping-timeout': '42',
  'cluster.quorum-type': 'none',
  'cluster.quorum-count': '(null)',
  'cluster.server-quorum-type': 'off',
  'cluster.favorite-child-policy': 'none',
  /** The self-heal daemon's index crawl interval, s (a brick coming back up starts a crawl at once besides). */
  'cluster.heal-timeout': '600',
}

const WHAT = 'gluster --xml output'

function root(text: string, file: string): XmlEl {
  const els = parseXml(text, file, WHAT)
  const r = els.find((e) => e.name === 'cliOutput')
  if (r === undefined) throw configError(WHAT, {file, line: 1}, 'no <cliOutput> element: not `gluster … --xml` output', 'run the gluster command with --xml')
  const ret = Number(kid(r, 'opRet')?.text ?? '0')
  if (ret !== 0) {
    const err = kid(r, 'opErrstr')?.text ?? ''
    throw new HachaosError(`gluster reports an error in ${file}: ${err || `opRet ${ret}`}`, {code: 'E_GLUSTER', exit: 'HOST', where: file, suggestions: ['is glusterd running and the volume there? gluster volume info']})
  }
  return r
}

const num = (el: XmlEl | undefined): number | null => {
  const t = el?.text.trim()
  if (t === undefined || t === '' || !/^-?\d+$/.test(t)) return null
  return Number(t)
}
const txt = (el: XmlEl | undefined): string => el?.text.trim() ?? ''

export function parsePeerStatusXml(text: string, file: string): GlusterPeer[] {
  const r = root(text, file)
  return descendants(kid(r, 'peerStatus'), 'peer').map((p) => ({
    uuid: txt(kid(p, 'uuid')),
    hostname: txt(kid(p, 'hostname')),
    connected: txt(kid(p, 'connected')) === '1',
    state: num(kid(p, 'state')) ?? -1,
    stateText: txt(kid(p, 'stateStr')),
  }))
}

export function parseVolumeInfoXml(text: string, file: string): GlusterVolumeXml[] {
  const r = root(text, file)
  return descendants(kid(r, 'volInfo'), 'volume').map((v) => ({
    name: txt(kid(v, 'name')),
    status: txt(kid(v, 'statusStr')),
    type: txt(kid(v, 'typeStr')),
    brickCount: num(kid(v, 'brickCount')) ?? 0,
    replicaCount: num(kid(v, 'replicaCount')) ?? 1,
    arbiterCount: num(kid(v, 'arbiterCount')) ?? 0,
    bricks: kids(kid(v, 'bricks'), 'brick').map((b) => {
      const name = txt(kid(b, 'name')) || b.text.trim()
      const i = name.indexOf(':/')
      return {name, host: i < 0 ? name : name.slice(0, i), path: i < 0 ? '' : name.slice(i + 1), arbiter: txt(kid(b, 'isArbiter')) === '1'}
    }),
    options: Object.fromEntries(kids(kid(v, 'options'), 'option').map((o) => [txt(kid(o, 'name')), txt(kid(o, 'value'))])),
  }))
}

export function parseVolumeStatusXml(text: string, file: string): GlusterVolumeStatus[] {
  const r = root(text, file)
  return descendants(kid(r, 'volStatus'), 'volume').map((v) => {
    const nodes = kids(v, 'node').map((n) => {
      const port = num(kid(n, 'port'))
      const pid = num(kid(n, 'pid'))
      return {hostname: txt(kid(n, 'hostname')), path: txt(kid(n, 'path')), online: txt(kid(n, 'status')) === '1', port: port === null || port <= 0 ? null : port, pid: pid === null || pid <= 0 ? null : pid}
    })
    const isBrick = (n: {path: string}): boolean => n.path.startsWith('/')
    return {
      volume: txt(kid(v, 'volName')),
      bricks: nodes.filter(isBrick),
      shd: nodes.filter((n) => !isBrick(n) && /self-heal/i.test(n.hostname)).map((n) => ({hostname: n.path, online: n.online})),
    }
  })
}

/** `volume heal VOL info [summary|split-brain] --xml`. */
export function parseHealInfoXml(text: string, file: string): HealInfo {
  const r = root(text, file)
  const bricks: HealBrick[] = descendants(kid(r, 'healInfo'), 'brick').map((b) => ({
    brick: txt(kid(b, 'name')),
    status: txt(kid(b, 'status')),
    entries: num(kid(b, 'numberOfEntries')) ?? num(kid(b, 'totalNumberOfEntries')),
    splitBrain: num(kid(b, 'numberOfEntriesInSplitBrain')),
    healPending: num(kid(b, 'numberOfEntriesInHealPending')),
    possiblyHealing: num(kid(b, 'numberOfEntriesPossiblyHealing')),
    files: kids(b, 'file').map((f) => f.text.trim() || (f.attrs['gfid'] ?? '')),
  }))
  const counted = bricks.filter((b) => b.entries !== null)
  return {bricks, total: counted.length === 0 ? null : counted.reduce((s, b) => s + (b.entries ?? 0), 0)}
}

/** `volume get VOL all --xml` (or one option): option → value. */
export function parseVolumeGetXml(text: string, file: string): Record<string, string> {
  const r = root(text, file)
  const out: Record<string, string> = {}
  // values Gluster did not change say so: "on (DEFAULT)"
  for (const o of descendants(kid(r, 'volGetopts'), 'Opt')) out[txt(kid(o, 'Option'))] = txt(kid(o, 'Value')).replace(/ \(DEFAULT\)$/, '')
  return out
}

/** The options that matter, from `volume get VOL all` (or, without it, volume info's reconfigured ones over the defaults). */
export function optionsThatMatter(all: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, d] of Object.entries(OPTION_DEFAULTS)) out[k] = all[k] ?? d
  return out
}

/** A FUSE client log line saying a brick was dropped for silence (ping-timeout). */
export interface ClientDisconnect {
  /** The log's own time text (UTC, "2026-12-05 08:12:33.123456"). */
  time: string
  /** The client translator of the brick (e.g. gv-client-2). */
  subvolume: string
  server: string | null
  seconds: number
  line: number
}

// [2026-12-05 08:28:42.170688 +0000] C [rpc-clnt-ping.c:152:rpc_clnt_ping_timer_expired] 0-gv-client-2: server 10.74.0.23:53837 has not responded in the last 5 seconds, disconnecting.
const DISCONNECT_RE = /^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)(?: [+-]\d{4})?\] \w (?:\[MSGID: \d+\] )?\[[^\]]*\] (?:\d+-)?([\w.-]+): server (\S+) has not responded in the last (\d+) seconds, disconnecting/

/** The disconnect lines of a FUSE client log (`has not responded in the last N seconds, disconnecting`). */
export function clientDisconnects(log: string): ClientDisconnect[] {
  const out: ClientDisconnect[] = []
  const lines = log.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const m = DISCONNECT_RE.exec(lines[i] ?? '')
    if (m !== null) out.push({time: m[1] ?? '', subvolume: m[2] ?? '', server: m[3] ?? null, seconds: Number(m[4]), line: i + 1})
  }
  return out
}

export interface GlusterState {
  peers: GlusterPeer[]
  info: GlusterVolumeXml | null
  status: GlusterVolumeStatus | null
  /** Sum of the heal backlog over the bricks that answered (null: no volume, or nobody answered). */
  healBacklog: number | null
  heal: HealInfo | null
}

async function cli(e: Executor, args: string[], timeoutMs: number): Promise<string> {
  const argv = ['gluster', '--mode=script', ...args, '--xml']
  const r = await e.run(argv, {timeoutMs})
  if (r.code !== 0 && !r.stdout.includes('<cliOutput>')) {
    throw new HachaosError(`${argv.join(' ')} failed on ${e.host} (${r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}`}): ${(r.stderr.trim() || r.stdout.trim()).split('\n').slice(-2).join(' | ')}`, {
      code: r.timedOut ? 'E_TIMEOUT' : 'E_GLUSTER',
      exit: r.timedOut ? 'TIMEOUT' : 'HOST',
      where: e.host,
      suggestions: ['is glusterd running there? (hachaos lab status)'],
    })
  }
  return r.stdout
}

/** Run one gluster CLI query with --xml on a host. */
export function glusterXml(e: Executor, args: string[], timeoutMs = 10_000): Promise<string> {
  return cli(e, args, timeoutMs)
}

/** The heal backlog (sum of the entries over the bricks that answered) from `heal VOL info summary`. */
export async function readHealSummary(e: Executor, volume: string, timeoutMs = 10_000): Promise<HealInfo> {
  return parseHealInfoXml(await cli(e, ['volume', 'heal', volume, 'info', 'summary'], timeoutMs), `${e.host}:gluster volume heal ${volume} info summary`)
}

/** Peers, and with a volume its info, status and heal backlog, as one server sees them. */
export async function readGlusterState(e: Executor, volume: string | null, o: {timeoutMs?: number} = {}): Promise<GlusterState> {
  const to = o.timeoutMs ?? 10_000
  const peers = parsePeerStatusXml(await cli(e, ['peer', 'status'], to), `${e.host}:gluster peer status`)
  if (volume === null) return {peers, info: null, status: null, healBacklog: null, heal: null}
  const info = parseVolumeInfoXml(await cli(e, ['volume', 'info', volume], to), `${e.host}:gluster volume info`).find((v) => v.name === volume) ?? null
  let status: GlusterVolumeStatus | null = null
  let heal: HealInfo | null = null
  if (info?.status === 'Started') {
    status = parseVolumeStatusXml(await cli(e, ['volume', 'status', volume], to), `${e.host}:gluster volume status`).find((v) => v.volume === volume) ?? null
    heal = await readHealSummary(e, volume, to).catch(() => null)
  }
  return {peers, info, status, healBacklog: heal?.total ?? null, heal}
}

/**
 * Entries pending heal in a brick's own index (`find BRICK/.glusterfs/indices/xattrop -mindepth 1 -maxdepth 1`,
 * one path a line): every name but the base file `xattrop-<uuid>` the entries are hard links of. Read on the
 * brick's host, it needs no client of the other bricks — unlike `heal info`, it answers while a peer is silent.
 */
export function countXattropIndex(findOutput: string): number {
  let n = 0
  for (const line of findOutput.split('\n')) {
    const name = line.trim().split('/').pop() ?? ''
    if (name !== '' && !name.startsWith('xattrop-')) n++
  }
  return n
}

/** argv listing a brick's xattrop index (see countXattropIndex). */
export function xattropIndexArgv(brickPath: string): string[] {
  return ['find', `${brickPath.replace(/\/+$/, '')}/.glusterfs/indices/xattrop`, '-mindepth', '1', '-maxdepth', '1']
}
