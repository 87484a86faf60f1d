/**
 * What every stack's prepare() shares: the fault's view of its target, the commands as --dry-run shows
 * them, and the DrillSpec fields that come straight from the options and the inventory.
 */
import type {FaultEnv, FaultPlan, HostRef} from '../fault/types.js'
import {executorFor, findHost, type Inventory, type InventoryHost} from '../inventory/inventory.js'
import type {DrillRun} from '../store/run-types.js'
import type {DrillSpec} from './engine.js'
import type {ClientObservers} from './observers.js'
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

type HelperPid = ReturnType<DrillSpec['helperPids']>[number]

/**
 * The DrillSpec fields every stack fills the same way: from the options, the inventory and the client's
 * observers (capture, probes), with the helper processes the drill journals as they start — the client's
 * and, from `extraHelpers`, the stack's own (e.g. an ARP prober).
 */
export function commonSpec(
  o: DrillOptions,
  inv: Inventory,
  client: ClientObservers | null,
  extraHelpers: () => HelperPid[] = () => [],
): Pick<DrillSpec, 'runId' | 'capture' | 'probe' | 'probeInfo' | 'holdMs' | 'toleranceMs' | 'maxOutageMs' | 'inventoryFile' | 'lab' | 'helperPids'> {
  const capture = client?.capture ?? null
  const probe = client?.probe ?? null
  return {
    runId: o.runId,
    capture,
    probe,
    probeInfo: client?.probeInfo ?? null,
    holdMs: o.holdMs,
    toleranceMs: o.toleranceMs,
    maxOutageMs: o.maxOutageMs,
    inventoryFile: inv.file,
    lab: labOf(inv),
    helperPids: () => [
      ...(capture?.pid === undefined ? [] : [{host: capture.host, pid: capture.pid, argv: ['tcpdump']}]),
      ...(probe?.pid === undefined || client === null ? [] : [{host: client.host.name, pid: probe.pid, argv: probe.argv}]),
      ...extraHelpers(),
    ],
  }
}
