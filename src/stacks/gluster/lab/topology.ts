import {HachaosError} from '../../../errors.js'
import {parseSubnet} from '../../../lab/subnet.js'

export const TOPOLOGY = 'gluster'
export const DEFAULT_SUBNET = '10.74.0.0/24'
export const VOLUME = 'gv'
/** Where each server node's brick lives, inside the node (a tmpfs mounted on /srv in its mount namespace). */
export const BRICK_DIR = '/srv/brick/gv'
/** Where each client node mounts the volume, inside the node. */
export const CLIENT_MOUNT = '/mnt'
export const QUORUM_TYPES = ['auto', 'fixed', 'none'] as const
export type QuorumType = (typeof QUORUM_TYPES)[number]

export interface GlNode {
  /** Inventory name and hostname: g1, g2, g3 (servers), gc, gc2 (FUSE clients). */
  name: string
  ns: string
  ip: string
  mac: string
  swPort: string
  kind: 'server' | 'client'
  /** Servers: whether it holds a brick of the volume, and whether that brick is the arbiter. */
  brick: 'data' | 'arbiter' | null
}

export interface GlTopology {
  prefix: string
  switchNs: string
  bridge: string
  base: string
  prefixLen: number
  dev: string
  volume: string
  servers: GlNode[]
  clients: GlNode[]
  /** Bricks per replica set (data + arbiter): 2 or 3. */
  replica: number
  arbiter: boolean
  /** network.ping-timeout (s); Gluster's default is 42. */
  pingTimeoutS: number
  /** cluster.quorum-type; null: Gluster's default (auto for replica 3 and arbiter volumes, none for replica 2). */
  quorum: QuorumType | null
}

export function mac(octet: number): string {
  return `02:48:42:74:00:${octet.toString(16).padStart(2, '0')}`
}

export interface GlTopologyOptions {
  subnet?: string
  replica?: string
  arbiter?: boolean
  pingTimeout?: string
  quorum?: string
}

const usage = (msg: string, hint: string): HachaosError => new HachaosError(msg, {code: 'E_USAGE', exit: 'USAGE', suggestions: [hint]})

/**
 * The lab's shape: three server nodes g1..g3 (10.74.0.21–23, each in the trusted pool), the volume `gv`
 * (replica 3 on g1..g3; replica 2 on g1, g2 with g3 a pool member without a brick; --arbiter: replica 2 +
 * an arbiter brick on g3), two FUSE clients gc (.200) and gc2 (.201), g1 as the volfile server.
 */
export function glusterTopology(prefix: string, o: GlTopologyOptions = {}): GlTopology {
  const {base, prefixLen} = parseSubnet(o.subnet ?? DEFAULT_SUBNET)
  const replica = Number(o.replica ?? '3')
  if (replica !== 2 && replica !== 3) throw usage(`--replica ${o.replica ?? ''}: the lab builds replica 2 or 3`, '--replica 3, or --replica 2 [--arbiter]')
  const arbiter = o.arbiter === true
  if (arbiter && replica === 3) throw usage('--arbiter with --replica 3: the arbiter is the third brick of a replica 2 volume', 'use --replica 2 --arbiter (Gluster: replica 3 arbiter 1)')
  const pt = Number(o.pingTimeout ?? '42')
  if (!Number.isInteger(pt) || pt < 1 || pt > 1013) throw usage(`--ping-timeout ${o.pingTimeout ?? ''}: whole seconds from 1 to 1013`, 'e.g. --ping-timeout 5 (Gluster default 42)')
  let quorum: QuorumType | null = null
  if (o.quorum !== undefined) {
    if (!(QUORUM_TYPES as readonly string[]).includes(o.quorum)) throw usage(`--quorum ${o.quorum}: auto, fixed or none`, '--quorum auto')
    quorum = o.quorum as QuorumType
  }
  const dataBricks = 2 + (replica === 3 ? 1 : 0)
  const servers: GlNode[] = [1, 2, 3].map((i) => ({
    name: `g${i}`,
    ns: `${prefix}-g${i}`,
    ip: `${base}.${20 + i}`,
    mac: mac(20 + i),
    swPort: `v-g${i}`,
    kind: 'server',
    brick: i <= dataBricks ? 'data' : arbiter ? 'arbiter' : null,
  }))
  const clients: GlNode[] = [
    {name: 'gc', ns: `${prefix}-gc`, ip: `${base}.200`, mac: mac(200), swPort: 'v-gc', kind: 'client', brick: null},
    {name: 'gc2', ns: `${prefix}-gc2`, ip: `${base}.201`, mac: mac(201), swPort: 'v-gc2', kind: 'client', brick: null},
  ]
  return {prefix, switchNs: `${prefix}-glsw`, bridge: 'br0', base, prefixLen, dev: 'eth0', volume: VOLUME, servers, clients, replica: arbiter ? 3 : replica, arbiter, pingTimeoutS: pt, quorum}
}

/** `gluster volume create` argv (after `gluster`): the bricks of the servers that hold one, in order. */
export function volumeCreateArgv(t: GlTopology): string[] {
  const bricks = t.servers.filter((s) => s.brick !== null).map((s) => `${s.ip}:${BRICK_DIR}`)
  const layout = t.arbiter ? ['replica', '3', 'arbiter', '1'] : ['replica', String(t.replica)]
  // replica 2 asks "Replica 2 volumes are prone to split-brain … Do you still want to continue?": --mode=script answers yes
  return ['--mode=script', 'volume', 'create', t.volume, ...layout, ...bricks]
}

/** The options the lab sets after creating the volume: (key, value) pairs for `gluster volume set`. */
export function volumeOptions(t: GlTopology): Array<[string, string]> {
  const out: Array<[string, string]> = [['network.ping-timeout', String(t.pingTimeoutS)]]
  if (t.quorum !== null) out.push(['cluster.quorum-type', t.quorum])
  // fixed quorum needs a count: a majority of the replica set
  if (t.quorum === 'fixed') out.push(['cluster.quorum-count', String(Math.floor(t.replica / 2) + 1)])
  return out
}
