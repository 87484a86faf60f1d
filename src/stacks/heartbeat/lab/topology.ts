import {HachaosError} from '../../../errors.js'
import {parseSubnet} from '../../../lab/subnet.js'
import {hbTimeMs} from '../../../config/heartbeat.js'

export const TOPOLOGY = 'heartbeat'
export const DEFAULT_SUBNET = '10.71.0.0/24'
/**
 * The resource scripts the lab can put after the VIP in haresources (the seed's is nginx; apache2 is the
 * other web server the manuals pair with Heartbeat). Each names its Debian LSB script /etc/init.d/NAME and
 * the process name (comm) it runs as.
 */
export const RESOURCES = ['nginx', 'apache2'] as const
export type HbLabResource = (typeof RESOURCES)[number]

export interface HbNode {
  /** Inventory name, hostname (uname -n) and Heartbeat node name: hb1, hb2. */
  name: string
  ns: string
  ip: string
  mac: string
  swPort: string
}

export interface HbTopology {
  prefix: string
  switchNs: string
  bridge: string
  clientNs: string
  clientIp: string
  clientMac: string
  base: string
  prefixLen: number
  vip: string
  dev: string
  nodes: HbNode[]
  /** ha.cf timers (ms). */
  keepaliveMs: number
  warntimeMs: number
  deadtimeMs: number
  initdeadMs: number
  autoFailback: 'on' | 'off'
  resource: HbLabResource
  udpport: number
}

export function mac(octet: number): string {
  return `02:48:42:71:00:${octet.toString(16).padStart(2, '0')}`
}

export interface HbTopologyOptions {
  subnet?: string
  keepalive?: string
  deadtime?: string
  warntime?: string
  initdead?: string
  autoFailback?: string
  resource?: string
}

function time(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt
  const ms = hbTimeMs(v)
  if (ms === undefined || ms <= 0) {
    throw new HachaosError(`--${flag} "${v}" is not a time`, {code: 'E_USAGE', exit: 'USAGE', suggestions: [`e.g. --${flag} 1 (seconds) or --${flag} 200ms`]})
  }
  return ms
}

/**
 * The lab's shape: hb1 (10.71.0.11) and hb2 (.12) with Heartbeat, the web server (--resource: nginx or
 * apache2) and the VIP .100 from haresources,
 * a client (.50). Timer defaults: keepalive 1 s, deadtime 5 s, warntime 3 s (below deadtime), initdead 2 ×
 * deadtime (Heartbeat's own advice), auto_failback off.
 */
export function heartbeatTopology(prefix: string, o: HbTopologyOptions = {}): HbTopology {
  const {base, prefixLen} = parseSubnet(o.subnet ?? DEFAULT_SUBNET)
  const keepaliveMs = time('keepalive', o.keepalive, 1000)
  const deadtimeMs = time('deadtime', o.deadtime, 5000)
  const warntimeMs = time('warntime', o.warntime, Math.max(keepaliveMs * 2, Math.round((deadtimeMs * 3) / 5)))
  const initdeadMs = time('initdead', o.initdead, 2 * deadtimeMs)
  if (deadtimeMs <= keepaliveMs) {
    throw new HachaosError(`--deadtime (${deadtimeMs} ms) must be longer than --keepalive (${keepaliveMs} ms)`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['e.g. --keepalive 200ms --deadtime 1']})
  }
  const af = o.autoFailback ?? 'off'
  if (af !== 'on' && af !== 'off') throw new HachaosError(`--auto-failback ${af}: on or off`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['--auto-failback off']})
  const res = o.resource ?? 'nginx'
  if (!(RESOURCES as readonly string[]).includes(res)) {
    throw new HachaosError(`--resource ${res}: the heartbeat lab serves with ${RESOURCES.join(', ')}`, {code: 'E_USAGE', exit: 'USAGE', suggestions: RESOURCES.map((r) => `--resource ${r}`)})
  }
  const nodes: HbNode[] = [1, 2].map((i) => ({name: `hb${i}`, ns: `${prefix}-hb${i}`, ip: `${base}.${10 + i}`, mac: mac(10 + i), swPort: `v-hb${i}`}))
  return {
    prefix,
    switchNs: `${prefix}-hbsw`,
    bridge: 'br0',
    clientNs: `${prefix}-hbcl`,
    clientIp: `${base}.50`,
    clientMac: mac(50),
    base,
    prefixLen,
    vip: `${base}.100`,
    dev: 'eth0',
    nodes,
    keepaliveMs,
    warntimeMs,
    deadtimeMs,
    initdeadMs,
    autoFailback: af,
    resource: res as HbLabResource,
    udpport: 694,
  }
}
