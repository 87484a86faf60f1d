/**
 * How faults and drills name cluster things: the Pacemaker node name of an inventory host (fact
 * `cluster_node`, else the host name), the cluster's nodes in an inventory, and where corosync.conf is.
 */
import {corosyncSummary, parseCorosyncConf, type CorosyncSummary} from '../../config/corosync.js'
import type {ClusterState} from '../../config/crm-mon.js'
import {HachaosError} from '../../errors.js'
import type {Executor} from '../../exec/types.js'
import type {Inventory, InventoryHost} from '../../inventory/inventory.js'
import {hostsWithRole} from '../../inventory/inventory.js'
import {readCrmMon} from './crm-mon.js'
import {DEFAULT_COROSYNC_CONF} from './snapshot.js'

export const CLUSTER_ROLE = 'cluster-node'

export function clusterNodeName(h: InventoryHost): string {
  const f = h.facts['cluster_node']
  return typeof f === 'string' && f !== '' ? f : h.name
}

export function clusterHosts(inv: Inventory): InventoryHost[] {
  return hostsWithRole(inv, CLUSTER_ROLE)
}

export function corosyncConfPath(h: InventoryHost): string {
  return typeof h.facts.corosync_conf === 'string' ? h.facts.corosync_conf : DEFAULT_COROSYNC_CONF
}

export function requireClusterNode(h: InventoryHost, what: string): void {
  if (!h.roles.includes(CLUSTER_ROLE)) {
    throw new HachaosError(`${what} needs a Pacemaker cluster node, and ${h.name} has no role ${CLUSTER_ROLE}`, {
      code: 'E_USAGE',
      exit: 'USAGE',
      where: h.name,
      suggestions: [`add "roles: [${CLUSTER_ROLE}]" to ${h.name} in the inventory, or target a cluster node`],
    })
  }
}

/** crm_mon on the host, with a clear error when the cluster does not answer there. */
export async function clusterStateOn(exec: Executor): Promise<ClusterState> {
  return (await readCrmMon(exec)).state
}

/** corosync.conf of a host, or null when it cannot be read (callers fall back to inventory addresses). */
export async function corosyncConfOn(exec: Executor, h: InventoryHost): Promise<CorosyncSummary | null> {
  const path = corosyncConfPath(h)
  try {
    return corosyncSummary(parseCorosyncConf(await exec.readFile(path), {file: `${h.name}:${path}`}))
  } catch {
    return null
  }
}

/** The group (or resource) the drill is about: the fact `cluster_group`, else the group with an IPaddr2 in it. */
export function defaultGroup(h: InventoryHost, s: ClusterState | null): string | null {
  const f = h.facts['cluster_group']
  if (typeof f === 'string' && f !== '') return f
  const vip = s?.resources.find((r) => /:IPaddr2?$/.test(r.agent))
  return vip === undefined ? null : (vip.group ?? vip.id)
}

/** The MAC of a node's interface (sysfs), null when it cannot be read. */
export async function macOf(exec: Executor, dev: string): Promise<string | null> {
  try {
    const r = await exec.run(['cat', `/sys/class/net/${dev}/address`], {timeoutMs: 3000})
    const m = /^([0-9a-f]{2}(:[0-9a-f]{2}){5})$/i.exec(r.stdout.trim())
    return r.code === 0 && m !== null ? (m[1] as string).toLowerCase() : null
  } catch {
    return null
  }
}
