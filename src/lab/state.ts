import {readFileSync} from 'node:fs'

import {writeFileAtomic} from '../util/atomic.js'

/** One daemon the lab runs: how to start it again (for fault reverts) and how to find it. */
export interface LabDaemon {
  node: string
  service: string
  comm: string
  /** Namespace it runs in (null: the node has its own init; use `exec` of the node). */
  ns: string | null
  argv: string[]
  log: string
  pidFile?: string
  /** Pid files the daemon checks at start (default: pidFile): one naming a dead or zombie PID is removed first. */
  pidFiles?: string[]
  /**
   * The node has its own init (PID + mount namespaces, e.g. the Pacemaker lab): a file on this machine
   * holding the init's PID. The daemon is then found by PID namespace and started/stopped by `control`.
   */
  initPidFile?: string
  /** Commands run inside such a node, to completion, to start / stop the daemon (the node's service manager). */
  control?: {start: string[]; stop: string[]}
}

export interface LabNodeState {
  name: string
  role: string
  ns: string
  ip: string
  mac: string
  dev: string
}

export interface LabState {
  schema: 'hachaos.lab/1'
  topology: string
  prefix: string
  dir: string
  createdAt: string
  subnet: string
  vip: string | null
  /** Every namespace the lab made, switch included: `lab down` deletes exactly these. */
  namespaces: string[]
  nodes: LabNodeState[]
  daemons: LabDaemon[]
  inventory: string
  /** Topology-specific extras (secrets, QEMU sockets, cluster name …). */
  extra: Record<string, unknown>
}

export function readLabState(file: string): LabState | null {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as LabState
    return v.schema === 'hachaos.lab/1' ? v : null
  } catch {
    return null
  }
}

export function writeLabState(file: string, s: LabState): void {
  writeFileAtomic(file, `${JSON.stringify(s, null, 2)}\n`, 0o600)
}
