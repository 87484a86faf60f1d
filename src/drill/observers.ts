/**
 * The client side of a drill, the same for every stack: the client host (--capture-on, or the inventory's
 * first `client`), a packet capture on its interface (keeping the pcap when that host shares our file
 * system), and the HTTP probes against the service URL.
 */
import type {Executor} from '../exec/types.js'
import {executorFor, findHost, hostsWithRole, type Inventory, type InventoryHost} from '../inventory/inventory.js'
import type {DrillRun} from '../store/run-types.js'
import type {CaptureSource} from './engine.js'
import {drillProbe, type DrillProbeOptions, type ProbeSession} from './probe-session.js'

export interface ClientObservers {
  host: InventoryHost
  exec: Executor
  /** The client's interface towards the service. */
  dev: string
  capture: CaptureSource
  probe: ProbeSession | null
  probeInfo: DrillRun['probe']
}

/** What the client side is started with (part of DrillOptions, src/drill/options.ts). */
export interface ClientObserverOptions extends DrillProbeOptions {
  /** Host that captures and probes (default: the inventory's first host with role client). */
  captureOn?: string
  /** Starts a packet capture on a host (src/capture). */
  makeCapture: (exec: Executor, iface: string, emit: (e: DrillRun['events'][number]) => void, pcapPath?: string) => CaptureSource
  /** Where to keep the capture's packets when the capture host shares our file system (local, lab). */
  pcapPath?: string
}

/** Null (and a warning naming what is missing) when the inventory has no client host. */
export function clientObservers(
  o: ClientObserverOptions,
  inv: Inventory,
  url: string | null,
  emit: (e: DrillRun['events'][number]) => void,
  warnings: string[],
  without: string,
): ClientObservers | null {
  const host = o.captureOn !== undefined ? findHost(inv, o.captureOn) : (hostsWithRole(inv, 'client')[0] ?? null)
  if (host === null) {
    warnings.push(`no host with role client: ${without} (add one, or --capture-on HOST)`)
    return null
  }
  const exec = executorFor(host)
  const dev = host.facts.interface ?? 'eth0'
  const sharedFs = exec.kind === 'local' || exec.kind === 'netns'
  const capture = o.makeCapture(exec, dev, emit, sharedFs ? o.pcapPath : undefined)
  const p = url === null ? null : drillProbe(o, host, exec, url, emit)
  return {host, exec, dev, capture, probe: p?.probe ?? null, probeInfo: p?.info ?? null}
}
