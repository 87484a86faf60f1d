/**
 * What every lab topology provides. `hachaos lab up|status|down --topology T` dispatches through
 * registry.ts; each topology lives in its own folder (keepalived/, pacemaker/, bond/).
 */
export type Progress = (message: string) => void

export interface LabUpOptions {
  prefix: string
  /** Give up waiting for readiness after this long (ms). */
  timeoutMs?: number
  onProgress?: Progress
  /** Topology-specific options from the command line (subnet, nodes, fencing, mode, miimon …). */
  options?: Record<string, string | number | boolean | undefined>
}

export interface LabHostView {
  name: string
  role: string
  /** Namespace (or other handle) on this machine. */
  ns: string
  ip: string
  mac: string
}

export interface LabUpResult {
  topology: string
  prefix: string
  alreadyUp: boolean
  vip: string | null
  vipOwner: string | null
  /** Who answered through the service address (web servers, cluster nodes …). */
  answeredBy: string[]
  hosts: LabHostView[]
  inventory: string
  stateFile: string
  /** Milliseconds from the start of `lab up` to each phase; `readyMs` is always there. */
  timings: Record<string, number> & {readyMs: number}
  /** Topology-specific facts worth showing (bond mode, cluster DC …). */
  details: Record<string, unknown>
}

export interface DaemonStatus {
  service: string
  running: boolean
  pids: number[]
}

export interface LabNodeStatus extends LabHostView {
  nsExists: boolean
  daemons: DaemonStatus[]
}

export interface LabStatus {
  topology: string
  prefix: string
  up: boolean
  healthy: boolean
  vip: string | null
  vipOwners: string[]
  nodes: LabNodeStatus[]
  inventory: string | null
  problems: string[]
  details: Record<string, unknown>
}

export interface LabDownResult {
  topology: string
  prefix: string
  wasUp: boolean
  namespacesRemoved: string[]
  processesEnded: number
  filesRemoved: string[]
}

export interface LabDriver {
  readonly topology: string
  readonly summary: string
  up(opts: LabUpOptions): Promise<LabUpResult>
  status(prefix: string): Promise<LabStatus>
  down(prefix: string): Promise<LabDownResult>
}
