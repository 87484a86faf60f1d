/**
 * The Pacemaker stack's soak catalogue (src/gameday/soak.ts draws from it): standby, move, corosync killed,
 * a partition held a fixed 8 s (it lasts as long as the fault), the node's NIC down. The order is part of the
 * seeded series: append, do not reorder.
 */
import type {SoakFault} from '../types.js'
import {CLUSTER_ROLE} from './targets.js'

export const PACEMAKER_SOAK: readonly SoakFault[] = [
  {name: 'cluster-standby', fault: 'cluster-standby', params: {}, roles: [CLUSTER_ROLE]},
  {name: 'cluster-move', fault: 'cluster-move', params: {}, roles: [CLUSTER_ROLE]},
  {name: 'cluster-kill corosync', fault: 'cluster-kill', params: {daemon: 'corosync'}, roles: [CLUSTER_ROLE]},
  {name: 'cluster-partition', fault: 'cluster-partition', params: {}, roles: [CLUSTER_ROLE], holdMs: 8000},
  {name: 'nic-down cluster node', fault: 'nic-down', params: {}, roles: [CLUSTER_ROLE]},
]
