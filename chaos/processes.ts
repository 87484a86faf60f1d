import type {FaultEffect} from '../src/fault/types.js'

/**
 * Daemons hachaos knows how to break and bring back: the process name (comm, as `pgrep -x` and /proc see
 * it, at most 15 characters), the service that restarts it, and what its loss does to the stack.
 * Unknown names still work (the list is extensible from the command line with --process and --service).
 */
export interface KnownProcess {
  comm: string
  service: string
  /** What killing it does, by signal class. */
  effect: {graceful: FaultEffect; hard: FaultEffect}
}

export const KNOWN_PROCESSES: Record<string, KnownProcess> = {
  keepalived: {comm: 'keepalived', service: 'keepalived', effect: {graceful: 'graceful-stop', hard: 'node-loss'}},
  haproxy: {comm: 'haproxy', service: 'haproxy', effect: {graceful: 'service-loss', hard: 'service-loss'}},
  apache2: {comm: 'apache2', service: 'apache2', effect: {graceful: 'backend-loss', hard: 'backend-loss'}},
  httpd: {comm: 'httpd', service: 'httpd', effect: {graceful: 'backend-loss', hard: 'backend-loss'}},
  nginx: {comm: 'nginx', service: 'nginx', effect: {graceful: 'backend-loss', hard: 'backend-loss'}},
  pacemakerd: {comm: 'pacemakerd', service: 'pacemaker', effect: {graceful: 'cluster-standby', hard: 'none'}},
  'pacemaker-controld': {comm: 'pacemaker-contr', service: 'pacemaker', effect: {graceful: 'cluster-move', hard: 'cluster-partition'}},
  heartbeat: {comm: 'heartbeat', service: 'heartbeat', effect: {graceful: 'graceful-stop', hard: 'node-loss'}},
  corosync: {comm: 'corosync', service: 'corosync', effect: {graceful: 'cluster-partition', hard: 'cluster-partition'}},
  // a Gluster brick: its death resets the clients' TCP connections (they drop the brick at once)
  glusterfsd: {comm: 'glusterfsd', service: 'glusterfsd', effect: {graceful: 'service-loss', hard: 'service-loss'}},
  'gluster-brick': {comm: 'glusterfsd', service: 'glusterfsd', effect: {graceful: 'service-loss', hard: 'service-loss'}},
  glusterd: {comm: 'glusterd', service: 'glusterd', effect: {graceful: 'none', hard: 'none'}},
}

/** Signals that let a daemon clean up (keepalived then sends its priority-0 advert). */
export const GRACEFUL_SIGNALS = new Set(['TERM', 'INT', 'QUIT', 'HUP'])

export function normSignal(s: string): string {
  return s.toUpperCase().replace(/^SIG/, '')
}
