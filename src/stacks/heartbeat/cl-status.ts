/**
 * `cl_status`, Heartbeat's own status tool (it asks the local heartbeat over its API socket in /run/heartbeat):
 * `hbstatus` (is heartbeat running here), `nodestatus NODE` (active, dead, up, init …), `rscstatus` (which
 * haresources groups this node holds: all, local, foreign, none, transition). Pure readers of its output plus
 * one function that asks a node for all of it.
 */
import {HachaosError} from '../../errors.js'
import type {Executor} from '../../exec/types.js'

export type HbNodeStatus = 'active' | 'dead' | 'up' | 'init' | 'ping' | 'unknown'
export type HbRscStatus = 'all' | 'local' | 'foreign' | 'none' | 'transition'

export interface ClStatus {
  /** `cl_status hbstatus` said heartbeat runs on this machine. */
  running: boolean
  /** `cl_status nodestatus N` for every node of the cluster (this node included). */
  nodes: Record<string, HbNodeStatus>
  /** `cl_status rscstatus`: the resources this node holds (null when heartbeat does not run). */
  resources: HbRscStatus | null
}

/** `cl_status hbstatus` output (exit 0 running, 1 stopped): "Heartbeat is running on this machine." */
export function parseHbStatus(text: string): boolean {
  if (/Heartbeat is running on this machine/i.test(text)) return true
  if (/Heartbeat is stopped on this machine/i.test(text)) return false
  throw new HachaosError(`cl_status hbstatus: cannot read "${text.trim().slice(0, 80)}"`, {code: 'E_PARSE', exit: 'BAD_INPUT', suggestions: ['expected "Heartbeat is running on this machine." or "... stopped ..."']})
}

const NODE_STATES: readonly string[] = ['active', 'dead', 'up', 'init', 'ping']

/** `cl_status nodestatus NODE` output: one word (active, dead …). */
export function parseNodeStatus(text: string): HbNodeStatus {
  const w = text.trim().split(/\s+/)[0]?.toLowerCase() ?? ''
  return NODE_STATES.includes(w) ? (w as HbNodeStatus) : 'unknown'
}

const RSC_STATES: readonly string[] = ['all', 'local', 'foreign', 'none', 'transition']

/** `cl_status rscstatus` output: one word (all, local, foreign, none, transition). */
export function parseRscStatus(text: string): HbRscStatus {
  const w = text.trim().split(/\s+/)[0]?.toLowerCase() ?? ''
  if (!RSC_STATES.includes(w)) {
    throw new HachaosError(`cl_status rscstatus: cannot read "${text.trim().slice(0, 80)}"`, {code: 'E_PARSE', exit: 'BAD_INPUT', suggestions: ['expected all, local, foreign, none or transition']})
  }
  return w as HbRscStatus
}

/** Ask one node's heartbeat: hbstatus, then nodestatus of every node, then rscstatus. */
export async function readClStatus(exec: Executor, nodes: string[], timeoutMs = 5000): Promise<ClStatus> {
  const hb = await exec.run(['cl_status', 'hbstatus'], {timeoutMs})
  const running = parseHbStatus(`${hb.stdout}${hb.stderr}`)
  const out: ClStatus = {running, nodes: {}, resources: null}
  if (!running) return out
  for (const n of nodes) {
    const r = await exec.run(['cl_status', 'nodestatus', n], {timeoutMs})
    out.nodes[n] = parseNodeStatus(r.stdout)
  }
  const rs = await exec.run(['cl_status', 'rscstatus'], {timeoutMs})
  out.resources = rs.code === 0 ? parseRscStatus(rs.stdout) : null
  return out
}
