/**
 * keepalived.conf of each lab director: one vrrp_instance for the VIP and a virtual_server per service
 * (VIP:80 HTTP, VIP:7 echo for long-lived streams), DR forwarding, TCP_CHECK checkers. With `sync`,
 * `lvs_sync_daemon eth0 VI_LVS` makes the sync daemon follow the VRRP instance (master on the MASTER,
 * backup on the BACKUP). d1 (prio 150) starts as MASTER so the lab serves without waiting Master_Down.
 */
import {HTTP_PORT, STREAM_PORT, VIP, VRID, lvsTopology, type LvsGuestNode, type LvsLabOptions} from './topology.js'

export const VRRP_INSTANCE = 'VI_LVS'

export function keepalivedConf(director: LvsGuestNode, o: LvsLabOptions, prefix = 'hc'): string {
  const reals = lvsTopology(prefix).nodes.filter((n) => n.role === 'real-server')
  const checker = (ip: string, port: number): string[] => [
    `  real_server ${ip} ${port} {`,
    '    weight 1',
    '    TCP_CHECK {',
    `      connect_timeout ${o.connectTimeout}`,
    `      retry ${o.retry}`,
    `      delay_before_retry ${o.delayBeforeRetry}`,
    '    }',
    '  }',
  ]
  const vs = (port: number): string[] => [
    `virtual_server ${VIP} ${port} {`,
    `  delay_loop ${o.delayLoop}`,
    `  lb_algo ${o.scheduler}`,
    '  lb_kind DR',
    '  protocol TCP',
    ...reals.flatMap((r) => checker(r.ip, port)),
    '}',
  ]
  return [
    `# Written by hachaos lab up --topology lvs (director ${director.name}).`,
    'global_defs {',
    `  router_id ${director.name}`,
    '  vrrp_garp_master_delay 0',
    ...(o.sync ? [`  lvs_sync_daemon eth0 ${VRRP_INSTANCE} id ${VRID}`] : []),
    '}',
    `vrrp_instance ${VRRP_INSTANCE} {`,
    `  state ${director.priority >= 150 ? 'MASTER' : 'BACKUP'}`,
    '  interface eth0',
    `  virtual_router_id ${VRID}`,
    `  priority ${director.priority}`,
    `  advert_int ${o.advertInt}`,
    '  virtual_ipaddress {',
    `    ${VIP}/24 dev eth0`,
    '  }',
    '}',
    ...vs(HTTP_PORT),
    ...vs(STREAM_PORT),
    '',
  ].join('\n')
}
