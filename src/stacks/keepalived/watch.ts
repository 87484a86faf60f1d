/**
 * `hachaos watch` on a keepalived pair (StackModule.watch): the load balancers (role lb) and their VRRP
 * instance for the VIP, read from their own keepalived.conf; the client's capture and probes; the VIP owner
 * poll; and what the configuration predicts for a change of master seen with no fault:
 *   - the old master left gracefully (its last advert had priority 0): Skew_Time of the new master;
 *   - the new master has the higher priority and preempts: its first advert comes at most one advert
 *     interval after the old master's last (the old one adverts until it hears the new one);
 *   - else (the old master went silent: node, link or daemon lost): Master_Down_Interval of the new master.
 * Each counted from the old master's last advert (src/watch/incidents.ts).
 */
import {HachaosError} from '../../errors.js'
import {clockOffsetsOf} from '../../drill/clock.js'
import {clientObservers} from '../../drill/observers.js'
import {confirmedHolders, vipHolders, vipOwnerObserver} from '../../drill/pollers.js'
import {vipUrl} from '../../drill/probe-session.js'
import {executorFor, hostsWithRole, type Inventory} from '../../inventory/inventory.js'
import type {Prediction} from '../../store/run-types.js'
import type {MasterChange, WatchHook, WatchOptions, WatchTarget} from '../../watch/types.js'
import {readLbVrrp, type LbVrrp} from './config.js'
import {predictVrrp} from './predict.js'

/** What the prediction of a change needs of each load balancer (pure: test/unit/watch/keepalived-watch.test.ts). */
export interface LbModel {
  name: string
  priority: number
  advertIntS: number
  version: 2 | 3
  preempt: boolean
}

export function predictChange(lbs: readonly LbModel[], c: MasterChange): Prediction {
  const to = lbs.find((l) => l.name === c.to)
  const from = lbs.find((l) => l.name === c.from)
  if (to === undefined) {
    return {metric: 'takeoverFromLastAdvertMs', takeoverMs: null, minMs: null, maxMs: null, formula: `${c.to ?? 'the new master'} is no load balancer of the inventory: no model`, inputs: {}}
  }
  const old = from ?? {name: c.from ?? '?', priority: 255, advertIntS: to.advertIntS, version: to.version, preempt: true}
  if (!c.graceful && to.preempt && to.priority > old.priority) {
    const max = to.advertIntS * 1000
    return {
      metric: 'takeoverFromLastAdvertMs',
      takeoverMs: max,
      minMs: 0,
      maxMs: max,
      formula: `${to.name} (priority ${to.priority}) preempts ${old.name} (${old.priority}): its first advert comes within one advert interval (${to.advertIntS} s) of ${old.name}'s last`,
      inputs: {version: to.version, advertIntS: to.advertIntS, backupPriority: old.priority, masterPriority: to.priority, backup: old.name, master: to.name, preempt: true},
    }
  }
  return predictVrrp(c.graceful ? 'graceful-stop' : 'node-loss', {
    version: to.version,
    advertIntS: to.advertIntS,
    backupPriority: to.priority,
    masterPriority: old.priority,
    backupName: to.name,
    masterName: old.name,
    preempt: to.preempt,
  })
}

async function prepare(o: WatchOptions): Promise<WatchTarget> {
  const inv = o.inventory
  const lbHosts = hostsWithRole(inv, 'lb')
  const warnings: string[] = []
  const vipHint = o.vip ?? inv.vip ?? null
  const lbs: LbVrrp[] = await Promise.all(lbHosts.map((h) => readLbVrrp(h, executorFor(h), vipHint)))
  const vip = vipHint ?? lbs[0]?.instance.virtualIpaddresses[0]?.address ?? null
  if (vip === null) throw new HachaosError(`no VIP: none in ${inv.file} and none in the load balancers' keepalived.conf`, {code: 'E_USAGE', exit: 'USAGE', where: inv.file, suggestions: ['pass --vip ADDRESS', 'or set vip: in the inventory']})
  const vipHosts = lbs.map((l) => ({name: l.host.name, exec: l.exec}))
  const holders = await confirmedHolders(() => vipHolders(vipHosts, vip))
  if (holders.length > 1) warnings.push(`the VIP ${vip} is on ${holders.join(' and ')} as the watch begins: a split brain already`)
  if (holders.length === 0) warnings.push(`no load balancer holds the VIP ${vip} as the watch begins`)
  const vrids = new Set(lbs.map((l) => l.instance.virtualRouterId))
  if (vrids.size > 1) warnings.push(`the load balancers disagree on the virtual_router_id for ${vip}: ${[...vrids].join(', ')}`)
  const vrid = lbs[0]?.instance.virtualRouterId ?? null
  const client = clientObservers(o, inv, o.url ?? vipUrl(vip), o.emit, warnings, 'no packet capture and no probes: only the VIP owner poll')
  const models: LbModel[] = lbs.map((l) => ({name: l.host.name, priority: l.effective.priority, advertIntS: l.effective.advertIntS, version: l.effective.version, preempt: l.effective.preempt}))
  const clockOffsets = await clockOffsetsOf([...lbHosts, ...(client === null ? [] : [client.host])])
  return {
    stack: 'keepalived',
    vip,
    vrid,
    hosts: lbs.map((l) => ({name: l.host.name, ...(l.ip === null ? {} : {ip: l.ip}), ...(l.mac === null ? {} : {mac: l.mac})})),
    master: holders.length === 1 ? (holders[0] ?? null) : null,
    priorities: Object.fromEntries(models.map((m) => [m.name, m.priority])),
    interfaces: Object.fromEntries(lbs.map((l) => [l.host.name, l.iface])),
    instance: lbs[0]?.instance.name ?? null,
    client,
    pollers: [vipOwnerObserver(o.vipOwner ?? 'monitor', vipHosts, vip, 'hachaos', o.emit, o.pollMs)],
    clockOffsets,
    predict: (c) => predictChange(models, c),
    warnings,
  }
}

export const keepalivedWatch: WatchHook = {
  summary: 'keepalived (VRRP): two or more hosts with role lb sharing a VIP',
  matches: (inv: Inventory) => hostsWithRole(inv, 'lb').length >= 2,
  prepare,
}
