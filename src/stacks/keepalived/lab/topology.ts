import {parseSubnet} from '../../../lab/subnet.js'
import {HachaosError} from '../../../errors.js'

export type KaRole = 'lb' | 'web' | 'client'

export interface KaNode {
  /** Name in the CLI and the inventory: lb1, lb2, web1, web2, client. */
  name: string
  role: KaRole
  /** Network namespace on the system: PREFIX-NAME. */
  ns: string
  ip: string
  mac: string
  /** veth end inside the switch namespace. */
  swPort: string
}

export interface KaTopology {
  prefix: string
  /** Switch namespace holding the bridge. */
  switchNs: string
  bridge: string
  /** Network address, e.g. 10.66.0.0 */
  network: string
  prefixLen: number
  vip: string
  vrid: number
  /** Interface name inside every node namespace. */
  dev: string
  nodes: KaNode[]
  /** VRRP of the lab's keepalived: version 2 (default, the seeds') or 3, and the advert interval in seconds. */
  vrrpVersion: 2 | 3
  advertInt: number
}

export interface KaVrrpOptions {
  vrrpVersion?: 2 | 3
  advertInt?: number
}

/** VRRPv2 adverts are whole seconds (1–255); VRRPv3 centiseconds (0.01–40.95 s). */
export function checkVrrpOptions(o: KaVrrpOptions): {vrrpVersion: 2 | 3; advertInt: number} {
  const vrrpVersion = o.vrrpVersion ?? 2
  const advertInt = o.advertInt ?? 1
  const ok =
    vrrpVersion === 2
      ? Number.isInteger(advertInt) && advertInt >= 1 && advertInt <= 255
      : advertInt >= 0.01 && advertInt <= 40.95 && Math.abs(Math.round(advertInt * 100) - advertInt * 100) < 1e-9
  if (!ok) {
    throw new HachaosError(`advert interval ${advertInt} s is not valid for VRRPv${vrrpVersion}`, {
      code: 'E_USAGE',
      exit: 'USAGE',
      suggestions: [vrrpVersion === 2 ? 'VRRPv2 adverts are whole seconds, 1–255' : 'VRRPv3 adverts are centiseconds: 0.01–40.95 s'],
    })
  }
  return {vrrpVersion, advertInt}
}

export const DEFAULT_SUBNET = '10.66.0.0/24'

const HOST_OCTET: Record<string, number> = {lb1: 11, lb2: 12, web1: 21, web2: 22, client: 50}
export const VIP_OCTET = 100

export function keepalivedTopology(prefix: string, subnet = DEFAULT_SUBNET, vrrp: KaVrrpOptions = {}): KaTopology {
  const {vrrpVersion, advertInt} = checkVrrpOptions(vrrp)
  const {network, base, prefixLen} = parseSubnet(subnet)
  const roleOf = (n: string): KaRole => (n.startsWith('lb') ? 'lb' : n.startsWith('web') ? 'web' : 'client')
  const nodes: KaNode[] = Object.entries(HOST_OCTET).map(([name, octet]) => ({
    name,
    role: roleOf(name),
    ns: `${prefix}-${name}`,
    ip: `${base}.${octet}`,
    mac: `02:48:43:00:00:${octet.toString(16).padStart(2, '0')}`,
    swPort: `v-${name}`,
  }))
  return {
    prefix,
    switchNs: `${prefix}-sw`,
    bridge: 'br0',
    network,
    prefixLen,
    vip: `${base}.${VIP_OCTET}`,
    vrid: 51,
    dev: 'eth0',
    nodes,
    vrrpVersion,
    advertInt,
  }
}

export function nodeByName(t: KaTopology, name: string): KaNode {
  const n = t.nodes.find((x) => x.name === name)
  if (n === undefined) throw new HachaosError(`no lab node "${name}"`, {code: 'E_UNKNOWN_HOST', exit: 'USAGE', suggestions: [`lab nodes: ${t.nodes.map((x) => x.name).join(', ')}`]})
  return n
}
