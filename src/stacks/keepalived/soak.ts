/**
 * The keepalived + HAProxy stack's soak catalogue (src/gameday/soak.ts draws from it): on a load balancer the
 * faults that move the VIP or empty HAProxy, drop-vrrp with its split brain held a fixed 6 s; on a backend the
 * web server killed. The order is part of the seeded series: append, do not reorder.
 */
import type {SoakFault} from '../types.js'

export const KEEPALIVED_SOAK: readonly SoakFault[] = [
  {name: 'nic-down', fault: 'nic-down', params: {}, roles: ['lb']},
  {name: 'kill keepalived TERM', fault: 'kill', params: {process: 'keepalived', signal: 'TERM'}, roles: ['lb']},
  {name: 'kill keepalived KILL', fault: 'kill', params: {process: 'keepalived', signal: 'KILL'}, roles: ['lb']},
  {name: 'kill haproxy', fault: 'kill', params: {process: 'haproxy'}, roles: ['lb']},
  {name: 'service-stop keepalived', fault: 'service-stop', params: {service: 'keepalived'}, roles: ['lb']},
  {name: 'drop-vrrp', fault: 'drop-vrrp', params: {}, roles: ['lb'], holdMs: 6000, splitBrain: true},
  {name: 'kill apache2', fault: 'kill', params: {process: 'apache2'}, roles: ['web']},
]
