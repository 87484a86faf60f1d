/**
 * The Heartbeat lab's files, rendered as text (pure functions, unit-tested): ha.cf, haresources, authkeys,
 * each node's index page, the node's PID 1 (src/lab/node-ns.ts renders it) and its service manager.
 * Recipe and traps: ../shared/labs/heartbeat-gluster-notes.md (Q1).
 */
import {hbTimeText} from '../../../config/heartbeat.js'
import {renderApacheConfText} from '../../../lab/apache.js'
import {nodeInitScript} from '../../../lab/node-ns.js'
import type {HbNode, HbTopology} from './topology.js'

/** Where Heartbeat 3 installs its master control process on Debian 12. */
export const HEARTBEAT_BIN = '/usr/libexec/heartbeat/heartbeat'
/** Where the lab's shared directory appears inside every node. */
export const NODE_SHARED = '/run/hachaos'

/** The same ha.cf on both nodes (a node ignores the ucast line naming its own address). */
export function renderHaCf(t: HbTopology): string {
  return [
    `# ha.cf of the hachaos Heartbeat lab (prefix ${t.prefix}), written by hachaos lab up`,
    '# v1 style: Heartbeat itself runs the resources of haresources (crm no)',
    'logfile /var/log/ha-log',
    'debugfile /var/log/ha-debug',
    'logfacility none',
    'use_logd no',
    `keepalive ${hbTimeText(t.keepaliveMs)}`,
    `warntime ${hbTimeText(t.warntimeMs)}`,
    `deadtime ${hbTimeText(t.deadtimeMs)}`,
    `initdead ${hbTimeText(t.initdeadMs)}`,
    `udpport ${t.udpport}`,
    ...t.nodes.map((n) => `ucast ${t.dev} ${n.ip}`),
    `auto_failback ${t.autoFailback}`,
    ...t.nodes.map((n) => `node ${n.name}`),
    'crm no',
    '',
  ].join('\n')
}

/** The seed's haresources: hb1 prefers the group (the VIP with IPaddr, then the web server's init script). */
export function renderHaresources(t: HbTopology): string {
  return `# haresources of the hachaos Heartbeat lab: preferred node, then the group (started left to right)\n${t.nodes[0]?.name ?? 'hb1'} IPaddr::${t.vip}/${t.prefixLen}/${t.dev} ${t.resource}\n`
}

/** authkeys (mode 600): sha1 with the lab's random secret. */
export function renderAuthkeys(secretHex: string): string {
  return `auth 1\n1 sha1 ${secretHex}\n`
}

export function renderIndex(n: HbNode): string {
  return `served by ${n.name}\n`
}

/** apache2's runtime dir and pid file inside a node (its private /run). */
export const APACHE_RUN_DIR = '/run/apache2'
export const APACHE_PID_FILE = '/run/apache2/apache2.pid'

/**
 * apache2.conf of one node (`--resource apache2`): the node's own ServerRoot. NODEDIR/etc-apache2 is bound
 * over /etc/apache2 inside the node, so /etc/init.d/apache2 and apache2ctl (which read
 * /etc/apache2/envvars and start `apache2 -k start` with /etc/apache2/apache2.conf) find this file and not
 * the machine's. PidFile, the runtime dir and the mutexes are in the node's private /run (/run/apache2, the
 * envvars' APACHE_PID_FILE /var/run/apache2/apache2.pid is the same file), the error log in its private
 * /var/log: two apache2 instances on one machine share no path. Listen 80 on every address of the node's
 * network namespace, so it answers on the VIP as soon as IPaddr adds it.
 */
export function renderNodeApacheConf(n: HbNode): string {
  return renderApacheConfText({
    comments: [
      `apache2.conf of ${n.name} in the hachaos Heartbeat lab (haresources starts /etc/init.d/apache2), written by hachaos lab up`,
      'This node sees its own /etc/apache2 (this directory), /run, /var/log and /var/www/html (private mounts).',
    ],
    serverName: n.name,
    runDir: APACHE_RUN_DIR,
    pidFile: APACHE_PID_FILE,
    errorLog: '/var/log/apache2/error.log',
    listen: '80',
    docRoot: '/var/www/html',
    tail: ['ExtendedStatus Off', '# Which node answered (the page says it too)', `Header always set X-Served-By "${n.name}"`],
  })
}

/**
 * /etc/apache2/envvars of a node: what the Debian init script and apache2ctl source (the package's file
 * without the multi-instance suffix logic, the paths spelled out). The pid file is the one apache2.conf
 * names, so `/etc/init.d/apache2 status|stop` find the running server.
 */
export function renderApacheEnvvars(): string {
  return [
    '# envvars of the hachaos Heartbeat lab (sourced by /etc/init.d/apache2 and apache2ctl inside the node)',
    'unset HOME',
    'export APACHE_RUN_USER=www-data',
    'export APACHE_RUN_GROUP=www-data',
    `export APACHE_PID_FILE=${APACHE_PID_FILE}`,
    `export APACHE_RUN_DIR=${APACHE_RUN_DIR}`,
    'export APACHE_LOCK_DIR=/run/lock/apache2',
    'export APACHE_LOG_DIR=/var/log/apache2',
    'export LANG=C',
    '',
  ].join('\n')
}

/** PID 1 of a Heartbeat node (own network, mount, UTS, IPC and PID namespaces). */
export const NODE_INIT_SH = nodeInitScript({
  title: 'hachaos Heartbeat lab: PID 1 of one node (written by hachaos lab up; removed by hachaos lab down).',
  about: [
    'Gives the node its hostname (Heartbeat node names are uname -n), its own /etc/ha.d, /var/lib/heartbeat',
    '(hb_uuid, hostcache: must be private), /var/log, /var/www/html, /var/lib/nginx and /etc/apache2 (the',
    'web server of haresources: nginx or apache2), a private /run with',
    'the directories of tmpfiles.d (/run/resource-agents mode 1755: without it IPaddr fails), then reaps.',
  ],
  args: [
    {name: 'N', usage: 'NODE'},
    {name: 'R', usage: 'NODEDIR'},
    {name: 'S', usage: 'SHAREDDIR'},
    {name: 'ADDR', usage: 'ADDR/LEN'},
    {name: 'DEV', usage: 'DEV'},
  ],
  hostname: '"$N"',
  network: {addr: '"$ADDR"', dev: '"$DEV"'},
  binds: [
    {from: '"$R/etc-ha.d"', to: '/etc/ha.d'},
    {from: '"$R/var-lib-heartbeat"', to: '/var/lib/heartbeat'},
    {from: '"$R/var-log"', to: '/var/log'},
    {from: '"$R/www"', to: '/var/www/html'},
    {from: '"$R/var-lib-nginx"', to: '/var/lib/nginx', ifDir: true},
    {from: '"$R/etc-apache2"', to: '/etc/apache2', ifDir: true, why: 'apache2: the node\'s own ServerRoot (apache2.conf, envvars)'},
  ],
  overlays: [],
  privateShm: 'Heartbeat IPC',
  run: {
    stage: '"$R/newrun"',
    why: [
      'private /run (heartbeat sockets, resource-agents locks, nginx.pid, apache2/apache2.pid …): built on a fresh tmpfs on',
      "NODEDIR/newrun, with the shared directory inside it, then moved over /run; our copies of other",
      "namespaces' /run/netns handles are dropped first.",
    ].join('\n'),
    dirs: [
      {path: 'lock', mode: '1777'},
      {path: 'resource-agents', mode: '1755'},
      {path: 'heartbeat', mode: '0750', owner: 'hacluster', group: 'haclient'},
      {path: 'heartbeat/ccm', mode: '0750', owner: 'hacluster', group: 'haclient'},
      {path: 'heartbeat/crm', mode: '0750', owner: 'hacluster', group: 'haclient'},
      {path: 'heartbeat/dopd', mode: '0750', owner: 'hacluster', group: 'haclient'},
      {path: 'crm', mode: '0750', owner: 'hacluster', group: 'haclient'},
    ],
    links: [],
    shared: {from: '"$S"', at: 'hachaos'},
    tmpfilesD: true,
  },
  boot: ['mkdir -p /var/log/nginx /var/log/apache2 /var/log/hachaos', 'echo "node $N booted: hostname $(hostname), pid $$ in its own PID namespace"', ': >"/run/hachaos/booted-$N"'],
  reaperWhy: ['PID 1 must reap orphans: heartbeat, nginx and apache2 daemonize (their parent becomes this init).'],
})

/**
 * The service manager of a node (its "systemctl"), idempotent: start|stop heartbeat, start|stop nginx|apache2
 * (their Debian LSB scripts, as Heartbeat's ResourceManager runs them for haresources).
 * `stop heartbeat` is `heartbeat -k` (graceful: it gives its resources up and the peer takes them at once).
 */
export const RC_SH = `#!/bin/bash
# hachaos Heartbeat lab: the service manager of one node (runs inside the node).
# usage: hachaos-rc start|stop heartbeat|nginx|apache2
set -u
HB=${HEARTBEAT_BIN}
say() { echo "$(date +%T.%N | cut -c1-12) hachaos-rc: $*"; }
running() { pgrep -x "$1" >/dev/null; }
wait_gone() { local i; for i in $(seq 1 "$2"); do running "$1" || return 0; sleep 0.1; done; return 1; }
case "$*" in
  "start heartbeat")
    running heartbeat && exit 0
    say "starting heartbeat"
    # a killed heartbeat leaves its resources (VIP, nginx) behind: release them as its init script does
    "$HB" >>/var/log/hachaos/heartbeat.out 2>&1 </dev/null
    for i in $(seq 1 50); do running heartbeat && exit 0; sleep 0.1; done
    say "heartbeat did not start"; exit 1 ;;
  "stop heartbeat")
    running heartbeat || exit 0
    say "stopping heartbeat"
    "$HB" -k >>/var/log/hachaos/heartbeat.out 2>&1 </dev/null
    wait_gone heartbeat 300 || { say "heartbeat still running after 30 s: killing it"; pkill -KILL -x heartbeat; }
    exit 0 ;;
  "start nginx") /etc/init.d/nginx start ;;
  "stop nginx") /etc/init.d/nginx stop ;;
  "start apache2") /etc/init.d/apache2 start ;;
  "stop apache2") /etc/init.d/apache2 stop ;;
  *) echo "usage: hachaos-rc start|stop heartbeat|nginx|apache2" >&2; exit 2 ;;
esac
`
