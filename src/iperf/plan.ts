/**
 * Who sends to whom: iperf3 clients (inventory hosts) paired with server:port targets, and which inventory
 * hosts must run the servers. Defaults fit the bond lab (and the seed): every `client` host against the
 * bond host, one port each (8001, 8002 …), because an iperf3 server serves one test at a time.
 */
import {HachaosError} from '../errors.js'
import {executorFor, findHost, hostsWithRole, type Inventory, type InventoryHost} from '../inventory/inventory.js'
import type {LoadPair, LoadServer, LoadTarget} from './runner.js'

export interface PlannedTarget extends LoadTarget {
  /** The inventory host serving it, when known (then hachaos can start the server). */
  host: InventoryHost | null
}

export interface LoadPlanInput {
  clients?: string[]
  targets?: string[]
  /** Start missing servers on the target hosts (default true). */
  startServers?: boolean
}

export interface LoadPlan {
  pairs: LoadPair[]
  servers: LoadServer[]
  targets: PlannedTarget[]
  clients: InventoryHost[]
}

const IPV4 = /^(\d{1,3})(\.\d{1,3}){3}$/

function usage(msg: string, ...s: string[]): HachaosError {
  return new HachaosError(msg, {code: 'E_USAGE', exit: 'USAGE', suggestions: s})
}

function portsOf(h: InventoryHost): number[] {
  const p = h.facts['iperf_ports']
  if (Array.isArray(p) && p.every((x) => Number.isInteger(x))) return p as number[]
  return [5201]
}

export function parseTarget(inv: Inventory, spec: string): PlannedTarget[] {
  const m = /^(.+?)(?::(\d{1,5}))?$/.exec(spec.trim())
  if (m === null) throw usage(`target "${spec}" is not ADDRESS:PORT or HOST[:PORT]`)
  const name = m[1] as string
  const port = m[2] === undefined ? null : Number(m[2])
  if (port !== null && (port < 1 || port > 65535)) throw usage(`port ${port} in "${spec}" is out of range`)
  const host = inv.hosts.find((h) => h.name === name || h.address === name) ?? null
  if (host === null && !IPV4.test(name) && !/^[A-Za-z0-9.-]+$/.test(name)) throw usage(`target "${spec}" is not an address or an inventory host`)
  if (name.startsWith('-')) throw usage(`target "${spec}" is not an address`)
  const address = host?.address ?? name
  const ports = port !== null ? [port] : host !== null ? portsOf(host) : [5201]
  return ports.map((p) => ({address, port: p, host}))
}

export function planLoad(inv: Inventory, input: LoadPlanInput): LoadPlan {
  const clients = input.clients !== undefined && input.clients.length > 0 ? input.clients.map((c) => findHost(inv, c)) : hostsWithRole(inv, 'client')
  if (clients.length === 0) throw usage(`no client hosts in ${inv.file}`, 'pass --client NAME (an inventory host that runs iperf3 -c)')
  let targets: PlannedTarget[]
  if (input.targets !== undefined && input.targets.length > 0) {
    targets = input.targets.flatMap((t) => parseTarget(inv, t))
  } else {
    const bond = hostsWithRole(inv, 'bond-host')[0]
    if (bond === undefined) throw usage(`no --target and no bond host in ${inv.file}`, 'pass --target ADDRESS:PORT')
    targets = portsOf(bond).map((p) => ({address: bond.address, port: p, host: bond}))
  }
  if (targets.length < clients.length) {
    // One server:port serves one client at a time: more clients than ports cannot all run.
    throw usage(`${clients.length} clients but ${targets.length} server port${targets.length === 1 ? '' : 's'}: iperf3 serves one test per port at a time`, 'give one --target per client, e.g. --target 10.88.0.2:8001 --target 10.88.0.2:8002', 'or fewer --client')
  }
  const used = targets.slice(0, clients.length)
  const pairs: LoadPair[] = clients.map((c, i) => ({client: {name: c.name, exec: executorFor(c)}, target: {address: (used[i] as PlannedTarget).address, port: (used[i] as PlannedTarget).port}}))
  const servers: LoadServer[] =
    input.startServers === false
      ? []
      : used.filter((t) => t.host !== null).map((t) => ({name: (t.host as InventoryHost).name, exec: executorFor(t.host as InventoryHost), port: t.port}))
  return {pairs, servers, targets: used, clients}
}
