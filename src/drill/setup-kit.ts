/**
 * What every stack's prepare() shares: the fault's view of its target, the commands as --dry-run shows
 * them, and the DrillSpec fields that come straight from the options and the inventory.
 */
import type {FaultEnv, FaultPlan, HostRef} from '../fault/types.js'
import {executorFor, findHost, type Inventory, type InventoryHost} from '../inventory/inventory.js'
import type {DrillRun} from '../store/run-types.js'
import type {DrillOptions} from './options.js'

export function hostRef(inv: Inventory, h: InventoryHost): HostRef {
  const {name, ...entry} = h
  return {name, entry, ...(inv.lab === undefined ? {} : {labState: inv.lab.state})}
}

/** The environment a fault plans against, for `target`. */
export function faultEnv(o: DrillOptions, target: InventoryHost): FaultEnv {
  const inv = o.inventory
  return {inventory: inv, target, exec: executorFor(target), ref: hostRef(inv, target), executorFor, refFor: (h) => hostRef(inv, h), force: o.force}
}

export function display(plan: FaultPlan, inv: Inventory): {inject: string[]; revert: string[]} {
  const show = (a: FaultPlan['inject'][number]): string => {
    if (a.type === 'exec') return `${executorFor(findHost(inv, a.host.name)).command(a.argv).join(' ')}${a.input === undefined ? '' : `  <<< ${JSON.stringify(a.input)}`}`
    if (a.type === 'signal') return `${a.host.name}: kill -s ${a.signal.replace(/^SIG/, '')} $(pids of ${a.comm} on ${a.host.name})`
    if (a.type === 'service') return `${a.host.name}: ${a.op} ${a.service} (${findHost(inv, a.host.name).services} service control)`
    return `sleep ${a.ms / 1000}`
  }
  return {inject: plan.inject.map(show), revert: plan.revert.map(show)}
}

/** The lab the inventory came from, as the run record keeps it. */
export function labOf(inv: Inventory): DrillRun['lab'] {
  return inv.lab === undefined ? null : {topology: inv.lab.topology, prefix: inv.lab.prefix}
}
