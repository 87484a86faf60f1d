import {HachaosError} from '../errors.js'
import {runOk} from '../exec/run-ok.js'
import {nodeExecutor, nodePidsOf, readInitPid} from './node-ns.js'
import {commOf, isZombie, pidsInNetns, startDetached, terminate, waitFor} from './netns-ops.js'
import type {LabDaemon, LabState} from './state.js'

/** Service names users type, mapped to the lab's names. */
const ALIASES: Record<string, string> = {httpd: 'apache2', apache: 'apache2', nginx: 'nginx'}

export function canonicalService(name: string): string {
  return ALIASES[name] ?? name
}

export function labDaemon(state: LabState, node: string, service: string): LabDaemon {
  const want = canonicalService(service)
  const d = state.daemons.find((x) => x.node === node && x.service === want)
  if (d === undefined) {
    const here = state.daemons.filter((x) => x.node === node).map((x) => x.service)
    throw new HachaosError(`the lab runs no ${service} on ${node}`, {
      code: 'E_NO_SERVICE',
      exit: 'USAGE',
      where: node,
      suggestions: [here.length > 0 ? `services on ${node}: ${here.join(', ')}` : `${node} runs no daemon`],
    })
  }
  return d
}

/** PIDs of the daemon's processes inside its node's namespace. */
export async function labDaemonPids(d: LabDaemon): Promise<number[]> {
  if (d.initPidFile !== undefined) return nodePidsOf(readInitPid(d.initPidFile), d.comm)
  if (d.ns === null) return []
  const pids = await pidsInNetns(d.ns)
  // A daemon killed a moment ago may linger as a zombie until it is reaped: it does not run (a revert must start it).
  return pids.filter((p) => commOf(p) === d.comm.slice(0, 15) && !isZombie(p))
}

/** Start a lab daemon unless it already runs. Returns the new PID, or null when it was running. */
export async function startLabDaemon(d: LabDaemon): Promise<number | null> {
  if (d.initPidFile !== undefined && d.control !== undefined) {
    // The node's own service manager decides (it is idempotent and knows what the daemon needs first).
    await runOk(nodeExecutor(d.node, d.initPidFile), d.control.start, {timeoutMs: 180_000, what: d.control.start.join(' ')})
    return (await labDaemonPids(d))[0] ?? null
  }
  if ((await labDaemonPids(d)).length > 0) return null
  // A daemon killed a moment ago may linger as a zombie until this machine's PID 1 reaps it (seconds); some
  // daemons (keepalived) refuse to start while the PID in their pid file still exists. Wait for the reaping.
  if (d.ns !== null) {
    const ns = d.ns
    const lingering = async (): Promise<true | undefined> => ((await pidsInNetns(ns)).some((p) => commOf(p) === d.comm.slice(0, 15) && isZombie(p)) ? undefined : true)
    await waitFor(lingering, 5000, 50)
  }
  return startDetached(d.ns, d.argv, d.log)
}

export async function stopLabDaemon(d: LabDaemon, graceMs = 3000): Promise<number[]> {
  if (d.initPidFile !== undefined && d.control !== undefined) {
    const before = await labDaemonPids(d)
    await runOk(nodeExecutor(d.node, d.initPidFile), d.control.stop, {timeoutMs: 180_000, what: d.control.stop.join(' ')})
    return before
  }
  return terminate(await labDaemonPids(d), graceMs)
}
