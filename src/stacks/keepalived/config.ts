/**
 * What a keepalived drill needs to know about the load balancers, read from the hosts themselves: each one's
 * keepalived.conf (parsed), the VRRP instance that carries the VIP, and the address and MAC its adverts come
 * from (so adverts in the capture can be named).
 */
import {readFileSync} from 'node:fs'

import {effectiveVrrp, parseKeepalivedConf, type EffectiveVrrp, type KaVrrpInstance, type KeepalivedConfig} from '../../config/keepalived.js'
import {HachaosError} from '../../errors.js'
import type {Executor} from '../../exec/types.js'
import type {InventoryHost} from '../../inventory/inventory.js'

export const DEFAULT_KEEPALIVED_CONF = '/etc/keepalived/keepalived.conf'

export interface LbVrrp {
  host: InventoryHost
  exec: Executor
  confPath: string
  config: KeepalivedConfig
  instance: KaVrrpInstance
  effective: EffectiveVrrp
  /** Interface the instance runs on, its IPv4 address and MAC (the advert source). */
  iface: string
  ip: string | null
  mac: string | null
}

async function readConf(exec: Executor, path: string): Promise<KeepalivedConfig> {
  const text = await exec.readFile(path)
  // Includes are followed where the file system is ours (local and lab hosts); over ssh they would need one
  // round trip each, and are reported by the parser as unresolved instead.
  const shared = exec.kind === 'local' || exec.kind === 'netns'
  return parseKeepalivedConf(text, {
    file: `${exec.host}:${path}`,
    readInclude: shared
      ? (p: string): string | null => {
          try {
            return readFileSync(p.replace(/^[^:]+:/, ''), 'utf8')
          } catch {
            return null
          }
        }
      : (): string | null => null,
  })
}

/** The instance serving `vip` (or the only instance when no VIP is known). */
export function instanceFor(cfg: KeepalivedConfig, vip: string | null, where: string): KaVrrpInstance {
  const all = cfg.vrrpInstances
  if (vip !== null) {
    const hit = all.find((i) => i.virtualIpaddresses.some((v) => v.address === vip))
    if (hit !== undefined) return hit
  }
  if (all.length === 1 && all[0] !== undefined) return all[0]
  throw new HachaosError(
    vip === null ? `${where} has ${all.length} vrrp_instances and no VIP was given to pick one` : `no vrrp_instance in ${where} carries the VIP ${vip}`,
    {code: 'E_NO_INSTANCE', exit: 'BAD_INPUT', where, suggestions: ['pass --vip ADDRESS (one of the virtual_ipaddress entries)', 'or set vip: in the inventory']},
  )
}

export async function interfaceAddress(exec: Executor, iface: string): Promise<{ip: string | null; mac: string | null}> {
  const [a, l] = await Promise.all([exec.run(['ip', '-o', '-4', 'addr', 'show', 'dev', iface]), exec.run(['ip', '-o', 'link', 'show', 'dev', iface])])
  const ip = /\binet (\d+\.\d+\.\d+\.\d+)\//.exec(a.stdout)?.[1] ?? null
  const mac = /link\/ether ([0-9a-f:]{17})/.exec(l.stdout)?.[1] ?? null
  return {ip, mac}
}

export async function readLbVrrp(host: InventoryHost, exec: Executor, vip: string | null): Promise<LbVrrp> {
  const confPath = host.facts.keepalived_conf ?? DEFAULT_KEEPALIVED_CONF
  const config = await readConf(exec, confPath)
  const instance = instanceFor(config, vip, `${host.name}:${confPath}`)
  const effective = effectiveVrrp(instance, config)
  const iface = instance.interface ?? host.facts.interface ?? 'eth0'
  const {ip, mac} = await interfaceAddress(exec, iface)
  return {host, exec, confPath, config, instance, effective, iface, ip, mac}
}
