/**
 * The Pacemaker lab's configuration files, rendered as text (pure functions, unit-tested): corosync.conf,
 * the CIB pieces the seed CIB is built from, apache2.conf and the index page of every node.
 */
import {NODE_SHARED} from './scripts.js'
import type {PkNode, PkTopology} from './topology.js'
import {renderApacheConfText} from '../../../lab/apache.js'

const xmlAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')

export function renderCorosyncConf(t: PkTopology): string {
  const nodes = t.nodes
    .map((n) => `  node {\n    name: ${n.name}\n    nodeid: ${n.nodeid}\n    ring0_addr: ${n.ip}\n  }`)
    .join('\n')
  return `# corosync.conf of the hachaos Pacemaker lab (prefix ${t.prefix}), written by hachaos lab up
totem {
  version: 2
  cluster_name: ${t.clusterName}
  transport: knet
  crypto_cipher: aes256
  crypto_hash: sha256
  # short token so that the lab forms and fails over in seconds (corosync's default is 3000 ms);
  # with 3 or more nodes corosync adds token_coefficient (650 ms) per node beyond 2
  token: ${t.tokenMs}
}

logging {
  to_logfile: yes
  logfile: /var/log/corosync/corosync.log
  to_syslog: no
  to_stderr: no
  timestamp: hires
}

quorum {
  provider: corosync_votequorum
${t.nodes.length === 2 ? '  two_node: 1\n' : ''}}

nodelist {
${nodes}
}
`
}

/** Cluster options of the seed CIB, set offline with `CIB_file=… crm_attribute --type crm_config`. */
export function crmConfigOptions(t: PkTopology): Array<[string, string]> {
  const opts: Array<[string, string]> = [
    ['stonith-enabled', t.fencing ? 'true' : 'false'],
    ['dc-deadtime', t.dcDeadtime],
  ]
  if (t.fencing) opts.push(['stonith-timeout', '30s'], ['stonith-action', 'reboot'])
  return opts
}

export function rscDefaultsXml(): string {
  return '<rsc_defaults><meta_attributes id="rsc-options"><nvpair id="rsc-options-resource-stickiness" name="resource-stickiness" value="100"/></meta_attributes></rsc_defaults>'
}

/** The seed's group: the VIP (ocf:heartbeat:IPaddr2) then apache (ocf:heartbeat:apache). */
export function groupXml(t: PkTopology): string {
  const v = t.vipResource
  const w = t.webResource
  return `<group id="${t.group}">
  <primitive id="${v}" class="ocf" provider="heartbeat" type="IPaddr2">
    <instance_attributes id="${v}-ia">
      <nvpair id="${v}-ip" name="ip" value="${t.vip}"/>
      <nvpair id="${v}-nm" name="cidr_netmask" value="${t.prefixLen}"/>
      <nvpair id="${v}-nic" name="nic" value="${t.dev}"/>
    </instance_attributes>
    <operations>
      <op id="${v}-mon" name="monitor" interval="${t.vipMonitorS}s" timeout="20s"/>
      <op id="${v}-start" name="start" interval="0s" timeout="20s"/>
      <op id="${v}-stop" name="stop" interval="0s" timeout="20s"/>
    </operations>
  </primitive>
  <primitive id="${w}" class="ocf" provider="heartbeat" type="apache">
    <instance_attributes id="${w}-ia">
      <nvpair id="${w}-cf" name="configfile" value="${NODE_SHARED}/apache2.conf"/>
      <nvpair id="${w}-su" name="statusurl" value="http://127.0.0.1/server-status"/>
    </instance_attributes>
    <operations>
      <op id="${w}-mon" name="monitor" interval="${t.webMonitorS}s" timeout="20s"/>
      <op id="${w}-start" name="start" interval="0s" timeout="40s"/>
      <op id="${w}-stop" name="stop" interval="0s" timeout="60s"/>
    </operations>
  </primitive>
</group>`
}

/** The lab fence device: one stonith resource that can power-cycle every node through its chassis. */
export function fenceXml(t: PkTopology): string {
  const f = t.fenceResource
  const delay = t.nodes.length === 2 ? `\n      <nvpair id="${f}-delay" name="pcmk_delay_max" value="2s"/>` : ''
  return `<primitive id="${f}" class="stonith" type="fence_hachaos_lab">
    <instance_attributes id="${f}-ia">
      <nvpair id="${f}-hosts" name="pcmk_host_list" value="${xmlAttr(t.nodes.map((n) => n.name).join(' '))}"/>
      <nvpair id="${f}-check" name="pcmk_host_check" value="static-list"/>${delay}
    </instance_attributes>
    <operations>
      <op id="${f}-mon" name="monitor" interval="60s" timeout="20s"/>
    </operations>
  </primitive>`
}

/**
 * One apache2.conf for all nodes (each node has its own /run, /var/log and /var/www/html), so the apache
 * resource agent finds the same file everywhere, as on a real cluster with a shared configuration.
 */
export function renderApacheConf(): string {
  return renderApacheConfText({
    comments: [
      'apache2.conf of the hachaos Pacemaker lab (the web resource of group g_web), written by hachaos lab up',
      'Every node sees its own /run, /var/log and /var/www/html (private mounts), so the paths are the usual ones.',
    ],
    serverName: 'localhost',
    runDir: '/run/apache2',
    pidFile: '/run/apache2/apache2.pid',
    errorLog: '/var/log/apache2/error.log',
    listen: '80',
    docRoot: '/var/www/html',
    tail: [
      'ExtendedStatus Off',
      "# Which node answered: Pacemaker's execd passes the node name to the resource agent, and apache inherits it.",
      'Header always set X-Served-By "${OCF_RESKEY_CRM_meta_on_node}"',
    ],
  })
}

export function renderIndex(n: PkNode): string {
  return `served by ${n.name}\n`
}
