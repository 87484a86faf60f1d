/**
 * The client side of a drill, the same for every stack: the client host (--capture-on, or the inventory's
 * first `client`), a packet capture on its interface (keeping the pcap when that host shares our file
 * system), and the HTTP probes against the service URL.
 */
import type {Executor} from '../exec/types.js'
import {executorFor, findHost, hostsWithRole, type Inventory, type InventoryHost} from '../inventory/inventory.js'
import type {DrillRun} from '../store/run-types.js'
import type {CaptureSource} from './engine.js'
import {drillProbe, type ProbeSession} from './probe-session.js'
import type {DrillOptions} from './setup.js'

export interface ClientObservers {
  host: InventoryHost
  exec: Executor
  /** The client's interface towards the service. */
  dev: string
  capture: CaptureSource
  probe: ProbeSession | null
  probeInfo: DrillRun['probe']
}

/** Null (and a warning naming what is missing) when the inventory has no client host. */
export function clientObservers(
  o: Pick<DrillOptions, 'captureOn' | 'makeCapture' | 'pcapPath' | 'hachaosArgv' | 'ratePerS' | 'probeTimeoutMs'>,
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
