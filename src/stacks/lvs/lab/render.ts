/**
 * keepalived.conf of each lab director: one vrrp_instance for the VIP and a virtual_server per service
 * (VIP:80 HTTP, VIP:7 echo for long-lived streams), lb_kind DR/NAT/TUN (--forwarding), TCP_CHECK checkers,
 * persistence_timeout with --persistence. With NAT a second vrrp_instance holds the real servers' gateway
 * (10.98.1.1) in a vrrp_sync_group with the VIP's, so both move together. With `sync`,
 * `lvs_sync_daemon eth0 VI_LVS` makes the sync daemon follow the VRRP instance (master on the MASTER,
 * backup on the BACKUP). dir1 (prio 150) starts as MASTER so the lab serves without waiting Master_Down.
 */
import {GW_VRID, HTTP_PORT, NAT_GATEWAY, STREAM_PORT, VIP, VRID, lvsTopology, type LvsGuestNode, type LvsLabOptions} from './topology.js'

export const VRRP_INSTANCE = 'VI_LVS'
/** LVS-NAT: the instance holding the real servers' gateway, in a vrrp_sync_group with VRRP_INSTANCE. */
export const GW_INSTANCE = 'VI_GW'
export const SYNC_GROUP = 'LVS'

/** keepalived's lb_kind of each forwarding. */
export const LB_KIND = {dr: 'DR', nat: 'NAT', tun: 'TUN'} as const

/** Seconds keepalived's misc_timeout exceeds the check's own timeout: the command always gives up first. */
export const MISC_TIMEOUT_MARGIN_S = 1

/**
 * MISC_CHECK's command (keepalived splits misc_path into argv, no shell): GET / from the real server with
 * busybox wget, the whole check bounded by busybox timeout (SIGKILL after connect_timeout s: a blackholed
 * connect fails after exactly that, a refused one at once). The timeout is written in misc_path itself so
 * that checker.ts reads it from the config (scriptTimeout). Exit 0: up.
 */
export function miscPath(ip: string, port: number, timeoutS: number): string {
  return `/bin/timeout -s KILL ${timeoutS} /bin/wget -q -O /dev/null http://${ip}:${port}/`
}

/** The checker block of a real server of the HTTP service (VIP:80) for --checker, or TCP_CHECK for the echo service. */
function checkerBlock(ip: string, port: number, o: LvsLabOptions): string[] {
  const timers = [`      retry ${o.retry}`, `      delay_before_retry ${o.delayBeforeRetry}`]
  const kind = port === HTTP_PORT ? o.checker : 'tcp'
  if (kind === 'http') {
    // keepalived 2.2.7: the url block takes status_code (digest optional); connect_timeout bounds each attempt
    return ['    HTTP_GET {', '      url {', '        path /', '        status_code 200', '      }', `      connect_timeout ${o.connectTimeout}`, ...timers, '    }']
  }
  if (kind === 'misc') {
    // the command's own timeout is connect_timeout; misc_timeout is longer so keepalived never kills it first
    return ['    MISC_CHECK {', `      misc_path "${miscPath(ip, port, o.connectTimeout)}"`, `      misc_timeout ${o.connectTimeout + MISC_TIMEOUT_MARGIN_S}`, ...timers, '    }']
  }
  return ['    TCP_CHECK {', `      connect_timeout ${o.connectTimeout}`, ...timers, '    }']
}

export function keepalivedConf(director: LvsGuestNode, o: LvsLabOptions, prefix = 'hc'): string {
  const reals = lvsTopology(prefix, o.forwarding).nodes.filter((n) => n.role === 'real-server')
  const checker = (ip: string, port: number): string[] => [`  real_server ${ip} ${port} {`, '    weight 1', ...checkerBlock(ip, port, o), '  }']
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
    ...(o.checker === 'misc' && o.health === 'keepalived' ? ['  script_user root', '  enable_script_security'] : []),
    '}',
    // NAT: the real servers' gateway moves with the VIP (the replies must come back through the new master)
    ...(nat ? [`vrrp_sync_group ${SYNC_GROUP} {`, '  group {', `    ${VRRP_INSTANCE}`, `    ${GW_INSTANCE}`, '  }', '}'] : []),
    ...instance(VRRP_INSTANCE, VRID, VIP),
    ...(nat ? instance(GW_INSTANCE, GW_VRID, NAT_GATEWAY) : []),
    // with ldirectord, keepalived keeps only VRRP: ldirectord owns the IPVS table
    ...(o.health === 'ldirectord' ? [] : [...vs(HTTP_PORT), ...vs(STREAM_PORT)]),
    '',
  ].join('\n')
}

/** Where a director's ldirectord.cf goes in the guest (its name also names ldirectord's pid file: /var/run/ldirectord.ld-dir1.pid). */
export const ldirectordCfPath = (director: string): string => `/etc/ha.d/ld-${director}.cf`
export const ldirectordLogPath = (director: string): string => `/run/ld-${director}.log`

/** ldirectord's forwarding method of a real server for each --forwarding (ldirectord.cf: gate = DR, masq = NAT, ipip = TUN). */
export const LD_METHOD = {dr: 'gate', nat: 'masq', tun: 'ipip'} as const

/**
 * ldirectord.cf of a director for --health ldirectord (ldirectord 4.12), shaped like the seeds' files: the
 * keepalived timers map to checkinterval = delay_loop, checktimeout = negotiatetimeout = connect_timeout,
 * failurecount = retry + 1 (a removal after as many failed checks as keepalived's). fork=no (the default):
 * one loop checks every real server in turn. VIP:80 is checked with an HTTP GET /index.html that must contain
 * "rs" (negotiate; each real server names itself), VIP:7 (echo) with a TCP connect. quiescent=no: a failed
 * server leaves the table. --persistence becomes persistent=SECONDS.
 */
export function ldirectordCf(director: LvsGuestNode, o: LvsLabOptions, prefix = 'hc'): string {
  const reals = lvsTopology(prefix, o.forwarding).nodes.filter((n) => n.role === 'real-server')
  const virtual = (port: number, checks: string[]): string[] => [
    `virtual=${VIP}:${port}`,
    ...reals.map((r) => `\treal=${r.ip}:${port} ${LD_METHOD[o.forwarding]}`),
    `\tscheduler=${o.scheduler}`,
    ...(o.persistence > 0 ? [`\tpersistent=${o.persistence}`] : []),
    '\tprotocol=tcp',
    ...checks.map((c) => `\t${c}`),
  ]
  return [
    `# Written by hachaos lab up --topology lvs --health ldirectord (director ${director.name}).`,
    `checkinterval=${o.delayLoop}`,
    `checktimeout=${o.connectTimeout}`,
    `negotiatetimeout=${o.connectTimeout}`,
    `failurecount=${o.retry + 1}`,
    'quiescent=no',
    'autoreload=no',
    'fork=no',
    `logfile="${ldirectordLogPath(director.name)}"`,
    '',
    ...virtual(HTTP_PORT, ['service=http', 'checktype=negotiate', 'request="index.html"', 'receive="rs"']),
    ...virtual(STREAM_PORT, ['checktype=connect']),
    '',
  ].join('\n')
}
