import {readFileSync, rmSync} from 'node:fs'

import {HachaosError} from '../errors.js'
import {runOk} from '../exec/run-ok.js'
import {sleep} from '../time.js'
import {nodeExecutor, nodePidsOf, readInitPid} from './node-ns.js'
import {alive, commOf, pidsInNetns, startDetached, terminate, waitFor} from './netns-ops.js'
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
  return pids.filter((p) => commOf(p) === d.comm.slice(0, 15))
}

/**
 * A pid file that names a PID which is gone, or a zombie not yet reaped by this machine's PID 1 (that takes
 * seconds here), makes keepalived and apache2 believe a copy still runs and exit at once: remove it first.
 * Only files naming no live process are touched.
 */
export function removeStalePidFiles(d: Pick<LabDaemon, 'pidFile' | 'pidFiles'>): string[] {
  const removed: string[] = []
  for (const f of new Set([...(d.pidFiles ?? []), ...(d.pidFile === undefined ? [] : [d.pidFile])])) {
    let pid: number
    try {
      pid = Number(readFileSync(f, 'utf8').trim())
    } catch {
      continue
    }
    if (Number.isInteger(pid) && pid > 1 && alive(pid) && !isZombie(pid)) continue
    try {
      rmSync(f, {force: true})
      removed.push(f)
    } catch {
      // not ours to remove: the daemon will say so
    }
  }
  return removed
}

/** A process in state Z (exited, not yet reaped). */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z'
  } catch {
    return false
  }
}

/** Start a lab daemon unless it already runs. Returns the new PID, or null when it was running. */
export async function startLabDaemon(d: LabDaemon): Promise<number | null> {
  if (d.initPidFile !== undefined && d.control !== undefined) {
    // The node's own service manager decides (it is idempotent and knows what the daemon needs first).
    await runOk(nodeExecutor(d.node, d.initPidFile), d.control.start, {timeoutMs: 180_000, what: d.control.start.join(' ')})
    return (await labDaemonPids(d))[0] ?? null
  }
  if ((await labDaemonPids(d)).length > 0) {
    // A copy told to stop a moment ago (a graceful SIGTERM: keepalived still sends its priority-0 adverts and
    // waits for its VRRP child) runs on while it shuts down: give it 1.5 s to finish before taking it for a
    // running daemon, or the revert would "start" a daemon that is about to be gone.
    const gone = await waitFor(async () => ((await labDaemonPids(d)).length === 0 ? true : undefined), 1500, 50)
    if (gone === undefined) return null
  }
  // A daemon killed a moment ago leaves a zombie until this machine's PID 1 reaps it (seconds), and daemons
  // that check their pid file (keepalived, apache2) take that PID for a running copy and exit at once. So:
  // start it, and while the new process exits without the daemon showing up, start it again (up to 8 s).
  const deadline = Date.now() + 8000
  for (;;) {
    removeStalePidFiles(d)
    const pid = startDetached(d.ns, d.argv, d.log)
    const up = await waitFor(async () => ((await labDaemonPids(d)).length > 0 ? true : !alive(pid) ? false : undefined), 5000, 50)
    if (up !== false || Date.now() > deadline) return pid
    await sleep(250)
  }
}

export async function stopLabDaemon(d: LabDaemon, graceMs = 3000): Promise<number[]> {
  if (d.initPidFile !== undefined && d.control !== undefined) {
    const before = await labDaemonPids(d)
    await runOk(nodeExecutor(d.node, d.initPidFile), d.control.stop, {timeoutMs: 180_000, what: d.control.stop.join(' ')})
    return before
  }
  return terminate(await labDaemonPids(d), graceMs)
}
