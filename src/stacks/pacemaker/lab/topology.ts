import {HachaosError} from '../../../errors.js'
import {parseSubnet} from '../../../lab/subnet.js'

export const TOPOLOGY = 'pacemaker'
export const DEFAULT_SUBNET = '10.77.0.0/24'

export interface PkNode {
  /** Name in the inventory, the node's hostname and its Corosync/Pacemaker node name: n1, n2, n3. */
  name: string
  nodeid: number
  /** Network namespace (the node's net namespace; its PID, mount and UTS namespaces belong to its init). */
  ns: string
  ip: string
  mac: string
  /** veth end inside the switch namespace. */
  swPort: string
}

export interface PkTopology {
  prefix: string
  /** Switch namespace holding the bridge (the keepalived lab uses PREFIX-sw: never the same). */
  switchNs: string
  bridge: string
  clientNs: string
  clientIp: string
  clientMac: string
  base: string
  prefixLen: number
  vip: string
  dev: string
  nodes: PkNode[]
  fencing: boolean
  clusterName: string
  /** The seed's resource group: an IPaddr2 VIP and apache. */
  group: string
  vipResource: string
  webResource: string
  fenceResource: string
  /** Corosync totem.token (ms) the lab writes; short, so the lab forms and fails over in seconds. */
  tokenMs: number
  /** Pacemaker dc-deadtime the seed CIB sets (default 20 s dominates the start-up). */
  dcDeadtime: string
  vipMonitorS: number
  webMonitorS: number
}

export const NODE_OCTET_BASE = 10
export const CLIENT_OCTET = 50
export const VIP_OCTET = 100

export function mac(octet: number): string {
  return `02:48:43:77:00:${octet.toString(16).padStart(2, '0')}`
}

export function pacemakerTopology(prefix: string, opts: {nodes?: number; fencing?: boolean; subnet?: string} = {}): PkTopology {
  const n = opts.nodes ?? 3
  if (n !== 2 && n !== 3) {
    throw new HachaosError(`the pacemaker lab has 2 or 3 nodes, not ${n}`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['hachaos lab up --topology pacemaker --nodes 3']})
  }
  const {base, prefixLen} = parseSubnet(opts.subnet ?? DEFAULT_SUBNET)
  const nodes: PkNode[] = []
  for (let i = 1; i <= n; i++) {
    const octet = NODE_OCTET_BASE + i
    nodes.push({name: `n${i}`, nodeid: i, ns: `${prefix}-n${i}`, ip: `${base}.${octet}`, mac: mac(octet), swPort: `v-n${i}`})
  }
  return {
    prefix,
    switchNs: `${prefix}-pksw`,
    bridge: 'br0',
    clientNs: `${prefix}-pkcl`,
    clientIp: `${base}.${CLIENT_OCTET}`,
    clientMac: mac(CLIENT_OCTET),
    base,
    prefixLen,
    vip: `${base}.${VIP_OCTET}`,
    dev: 'eth0',
    nodes,
    fencing: opts.fencing ?? false,
    clusterName: `hachaos-${prefix}`,
    group: 'g_web',
    vipResource: 'vip',
    webResource: 'web',
    fenceResource: 'fence_lab',
    tokenMs: 1000,
    dcDeadtime: '2s',
    vipMonitorS: 5,
    webMonitorS: 10,
  }
}
