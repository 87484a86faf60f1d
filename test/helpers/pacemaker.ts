/**
 * The pacemaker lab as integration tests and the bench see it: its inventory, and "healthy" = every node
 * online, a DC with quorum, the group started exactly once, the VIP on exactly that node, HTTP through the
 * VIP answered by it.
 */
import {clusterHealth, placementOf} from '../../src/stacks/pacemaker/crm-mon.js'
import type {ClusterState} from '../../src/config/crm-mon.js'
import {ClusterWatcher} from '../../src/stacks/pacemaker/observe.js'
import {clusterHosts, clusterNodeName} from '../../src/stacks/pacemaker/targets.js'
import {vipHolders} from '../../src/drill/pollers.js'
import {executorFor, findHost, loadInventory, type Inventory, type InventoryHost} from '../../src/inventory/inventory.js'
import {clientGet} from '../../src/stacks/pacemaker/lab/lab.js'
import {inventoryFile} from '../../src/lab/paths.js'
import {sleep} from '../../src/time.js'

export interface LabCtx {
  inv: Inventory
  nodes: InventoryHost[]
  client: InventoryHost
  vip: string
  group: string
}

export async function labContext(prefix: string): Promise<LabCtx> {
  const inv = await loadInventory(inventoryFile(prefix, 'pacemaker'))
  const nodes = clusterHosts(inv)
  return {inv, nodes, client: findHost(inv, 'client'), vip: inv.vip ?? '', group: String(nodes[0]?.facts['cluster_group'] ?? 'g_web')}
}

export async function vipOwners(ctx: LabCtx): Promise<string[]> {
  return (await vipHolders(ctx.nodes.map((n) => ({name: n.name, exec: executorFor(n)})), ctx.vip)).sort()
}

export interface Health {
  healthy: boolean
  problems: string[]
  owners: string[]
  servedBy: string | null
  state: ClusterState | null
}

export async function health(ctx: LabCtx): Promise<Health> {
  const w = new ClusterWatcher({nodes: ctx.nodes.map((n) => ({name: clusterNodeName(n), exec: executorFor(n)})), emit: () => undefined})
  const r = await w.read()
  const owners = await vipOwners(ctx)
  const servedBy = await clientGet(String(ctx.client.netns), `http://${ctx.vip}/`, 1)
  const problems: string[] = []
  if (r === null) problems.push('no node answers crm_mon')
  else {
    problems.push(...clusterHealth(r.state, {group: ctx.group}).problems)
    const on = placementOf(r.state, ctx.group)?.nodes ?? []
    if (owners.length !== 1 || on[0] !== owners[0]) problems.push(`VIP on [${owners.join(', ')}], ${ctx.group} on [${on.join(', ')}]`)
  }
  if (servedBy === null || servedBy !== owners[0]) problems.push(`HTTP through the VIP answered by ${servedBy ?? 'nobody'}`)
  return {healthy: problems.length === 0, problems, owners, servedBy, state: r?.state ?? null}
}

/** Wait until healthy in `stableChecks` consecutive checks half a second apart. */
export async function waitHealthy(ctx: LabCtx, timeoutMs: number, stableChecks = 2): Promise<{ok: boolean; afterMs: number; last: Health}> {
  const t0 = Date.now()
  let ok = 0
  for (;;) {
    const last = await health(ctx)
    ok = last.healthy ? ok + 1 : 0
    if (ok >= stableChecks) return {ok: true, afterMs: Date.now() - t0, last}
    if (Date.now() - t0 > timeoutMs) return {ok: false, afterMs: Date.now() - t0, last}
    await sleep(500)
  }
}
