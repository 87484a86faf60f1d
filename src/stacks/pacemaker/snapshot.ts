/**
 * One look at a Pacemaker/Corosync cluster from one of its nodes: crm_mon, corosync-quorumtool,
 * corosync-cfgtool, the runtime totem timers and corosync.conf, all through the node's Executor (local,
 * nsenter in the lab, ssh on real clusters). Only crm_mon is required; the rest is reported when readable.
 */
import {corosyncSummary, parseCorosyncConf, type CorosyncSummary} from '../../config/corosync.js'
import type {ClusterState} from '../../config/crm-mon.js'
import {errorMessage} from '../../errors.js'
import type {Executor} from '../../exec/types.js'
import type {EpochMicros} from '../../time.js'
import {nowUs} from '../../time.js'
import {clusterHealth, readCrmMon, type ClusterHealth} from './crm-mon.js'
import {readLinks, readQuorum, readRuntimeTotem, type CfgtoolStatus, type QuorumStatus, type RuntimeTotem} from './corosync-tools.js'

export interface ClusterSnapshot {
  host: string
  t: EpochMicros
  crmMon: ClusterState
  quorum: QuorumStatus | null
  links: CfgtoolStatus | null
  runtime: RuntimeTotem | null
  corosync: CorosyncSummary | null
  /** What could not be read, and why (never fatal except crm_mon). */
  notes: string[]
  health: ClusterHealth
}

export const DEFAULT_COROSYNC_CONF = '/etc/corosync/corosync.conf'

export async function readClusterSnapshot(exec: Executor, opts: {corosyncConf?: string; group?: string} = {}): Promise<ClusterSnapshot> {
  const notes: string[] = []
  const soft = async <T>(what: string, f: () => Promise<T>): Promise<T | null> => {
    try {
      return await f()
    } catch (e) {
      notes.push(`${what}: ${errorMessage(e)}`)
      return null
    }
  }
  const confPath = opts.corosyncConf ?? DEFAULT_COROSYNC_CONF
  const [mon, quorum, links, runtime, corosync] = await Promise.all([
    readCrmMon(exec),
    soft('corosync-quorumtool', () => readQuorum(exec)),
    soft('corosync-cfgtool', () => readLinks(exec)),
    soft('corosync-cmapctl', () => readRuntimeTotem(exec)),
    soft(confPath, async () => corosyncSummary(parseCorosyncConf(await exec.readFile(confPath), {file: `${exec.host}:${confPath}`}))),
  ])
  const health = clusterHealth(mon.state, opts.group === undefined ? {} : {group: opts.group})
  if (links !== null) health.problems.push(...links.faults.map((f) => `corosync ${f}`))
  health.healthy = health.problems.length === 0
  return {host: exec.host, t: nowUs(), crmMon: mon.state, quorum, links, runtime, corosync, notes, health}
}
