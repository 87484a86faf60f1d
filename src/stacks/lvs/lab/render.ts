/**
 * keepalived.conf of each lab director: one vrrp_instance for the VIP and a virtual_server per service
 * (VIP:80 HTTP, VIP:7 echo for long-lived streams), lb_kind DR/NAT/TUN (--forwarding), TCP_CHECK checkers,
 * persistence_timeout with --persistence. With NAT a second vrrp_instance holds the real servers' gateway
 * (10.98.1.1) in a vrrp_sync_group with the VIP's, so both move together. With `sync`,
 * `lvs_sync_daemon eth0 VI_LVS` makes the sync daemon follow the VRRP instance (master on the MASTER,
 * backup on the BACKUP). d1 (prio 150) starts as MASTER so the lab serves without waiting Master_Down.
 */
import {GW_VRID, HTTP_PORT, NAT_GATEWAY, STREAM_PORT, VIP, VRID, lvsTopology, type LvsGuestNode, type LvsLabOptions} from './topology.js'

export const VRRP_INSTANCE = 'VI_LVS'
/** LVS-NAT: the instance holding the real servers' gateway, in a vrrp_sync_group with VRRP_INSTANCE. */
export const GW_INSTANCE = 'VI_GW'
export const SYNC_GROUP = 'LVS'

/** keepalived's lb_kind of each forwarding. */
export const LB_KIND = {dr: 'DR', nat: 'NAT', tun: 'TUN'} as const

export function keepalivedConf(director: LvsGuestNode, o: LvsLabOptions, prefix = 'hc'): string {
  const reals = lvsTopology(prefix, o.forwarding).nodes.filter((n) => n.role === 'real-server')
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
    `  lb_kind ${LB_KIND[o.forwarding]}`,
    ...(o.persistence > 0 ? [`  persistence_timeout ${o.persistence}`] : []),
    '  protocol TCP',
    ...reals.flatMap((r) => checker(r.ip, port)),
    '}',
  ]
  const instance = (name: string, vrid: number, address: string): string[] => [
    `vrrp_instance ${name} {`,
    `  state ${director.priority >= 150 ? 'MASTER' : 'BACKUP'}`,
    '  interface eth0',
    `  virtual_router_id ${vrid}`,
    `  priority ${director.priority}`,
    `  advert_int ${o.advertInt}`,
    '  virtual_ipaddress {',
    `    ${address}/24 dev eth0`,
    '  }',
    '}',
  ]
  const nat = o.forwarding === 'nat'
  return [
    `# Written by hachaos lab up --topology lvs (director ${director.name}).`,
    'global_defs {',
    `  router_id ${director.name}`,
    '  vrrp_garp_master_delay 0',
    ...(o.sync ? [`  lvs_sync_daemon eth0 ${VRRP_INSTANCE} id ${VRID}`] : []),
    '}',
    // NAT: the real servers' gateway moves with the VIP (the replies must come back through the new master)
    ...(nat ? [`vrrp_sync_group ${SYNC_GROUP} {`, '  group {', `    ${VRRP_INSTANCE}`, `    ${GW_INSTANCE}`, '  }', '}'] : []),
    ...instance(VRRP_INSTANCE, VRID, VIP),
    ...(nat ? instance(GW_INSTANCE, GW_VRID, NAT_GATEWAY) : []),
    ...vs(HTTP_PORT),
    ...vs(STREAM_PORT),
    '',
  ].join('\n')
}
