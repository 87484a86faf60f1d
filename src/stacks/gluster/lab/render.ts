/**
 * The GlusterFS lab's node files, rendered as text: the node's PID 1 (src/lab/node-ns.ts renders it) and
 * its service manager (hachaos-rc). Recipe and traps: ../shared/labs/heartbeat-gluster-notes.md (Q2).
 */
import {nodeInitScript} from '../../../lab/node-ns.js'
import {CLIENT_MOUNT} from './topology.js'

/** Where the lab's shared directory appears inside every node. */
export const NODE_SHARED = '/run/hachaos'
export const RC = `${NODE_SHARED}/bin/hachaos-rc`

/** PID 1 of a Gluster node, server or client (own network, mount, UTS, IPC and PID namespaces). */
export const NODE_INIT_SH = nodeInitScript({
  title: 'hachaos GlusterFS lab: PID 1 of one node (written by hachaos lab up; removed by hachaos lab down).',
  about: [
    'Gives the node its hostname, its own /var/lib/glusterd (glusterd.info: the peer UUID, must be private),',
    '/etc/glusterfs, /var/log, a private /run with /run/gluster (owned by gluster: the CLI socket and the brick',
    'pid files), and on servers a tmpfs on /srv for the brick (trusted.* xattrs work on tmpfs), on clients an',
    'empty /mnt for the FUSE mount; then reaps.',
  ],
  args: [
    {name: 'N', usage: 'NODE'},
    {name: 'KIND', usage: 'server|client'},
    {name: 'R', usage: 'NODEDIR'},
    {name: 'S', usage: 'SHAREDDIR'},
    {name: 'ADDR', usage: 'ADDR/LEN'},
    {name: 'DEV', usage: 'DEV'},
  ],
  hostname: '"$N"',
  network: {addr: '"$ADDR"', dev: '"$DEV"'},
  binds: [
    {from: '"$R/var-lib-glusterd"', to: '/var/lib/glusterd'},
    {from: '"$R/etc-glusterfs"', to: '/etc/glusterfs'},
    {from: '"$R/var-log"', to: '/var/log'},
    {from: '"$R/mnt"', to: CLIENT_MOUNT},
  ],
  overlays: [],
  run: {
    stage: '"$R/newrun"',
    why: [
      'private /run (glusterd socket, brick and self-heal pid files): built on a fresh tmpfs on NODEDIR/newrun,',
      "with the shared directory inside it, then moved over /run; our copies of other namespaces' /run/netns",
      'handles are dropped first.',
    ].join('\n'),
    dirs: [
      {path: 'lock', mode: '1777'},
      {path: 'gluster', mode: '0775', owner: 'gluster', group: 'gluster'},
    ],
    links: [],
    shared: {from: '"$S"', at: 'hachaos'},
    tmpfilesD: true,
  },
  boot: [
    '# the brick file system: a tmpfs of its own, only in this node (not the root file system)',
    'if [ "$KIND" = server ]; then mount -n -t tmpfs -o size=256m,mode=0755 "hachaos-brick-$N" /srv; mkdir -p /srv/brick; fi',
    'mkdir -p /var/log/glusterfs /var/log/hachaos',
    'echo "node $N ($KIND) booted: hostname $(hostname), pid $$ in its own PID namespace"',
    ': >"/run/hachaos/booted-$N"',
  ],
  reaperWhy: ['PID 1 must reap orphans: glusterd, the bricks (glusterfsd), the self-heal daemon and the FUSE client daemonize.'],
})

/**
 * The service manager of a node (its "systemctl"), idempotent:
 *   start|stop glusterd        the management daemon (start: until the CLI answers)
 *   start|stop glusterfsd      this node's brick (start: `volume start VOL force` restarts the bricks that are down)
 *   mount|umount               the FUSE client of a client node (g1 as volfile server, g2 and g3 as backups)
 */
export function renderRc(o: {volume: string; volfileServers: string[]}): string {
  const [first, ...backups] = o.volfileServers
  return `#!/bin/bash
# hachaos GlusterFS lab: the service manager of one node (runs inside the node).
# usage: hachaos-rc start|stop glusterd|glusterfsd, hachaos-rc mount|umount
set -u
VOL=${o.volume}
say() { echo "$(date +%T.%N | cut -c1-12) hachaos-rc: $*"; }
running() { pgrep -x "$1" >/dev/null; }
wait_gone() { local i; for i in $(seq 1 "$2"); do running "$1" || return 0; sleep 0.1; done; return 1; }
# /mnt is a bind mount of the node's own empty directory: "mounted" means a fuse.glusterfs mount on it
mounted() { findmnt -n -t fuse.glusterfs ${CLIENT_MOUNT} >/dev/null; }
cli_ok() { timeout 10 gluster --mode=script pool list >/dev/null 2>&1; }
case "$*" in
  "start glusterd")
    if ! running glusterd; then
      say "starting glusterd"
      /usr/sbin/glusterd -p /run/glusterd.pid >>/var/log/hachaos/glusterd.out 2>&1 </dev/null
    fi
    for i in $(seq 1 300); do cli_ok && exit 0; sleep 0.1; done
    say "glusterd does not answer"; exit 1 ;;
  "stop glusterd")
    running glusterd || exit 0
    say "stopping glusterd"; pkill -TERM -x glusterd
    wait_gone glusterd 100 || pkill -KILL -x glusterd
    exit 0 ;;
  "start glusterfsd")
    running glusterfsd && exit 0
    say "starting the brick (volume start $VOL force)"
    timeout 60 gluster --mode=script volume start "$VOL" force >>/var/log/hachaos/glusterd.out 2>&1
    for i in $(seq 1 100); do running glusterfsd && exit 0; sleep 0.1; done
    say "the brick did not start"; exit 1 ;;
  "stop glusterfsd")
    running glusterfsd || exit 0
    say "stopping the brick"; pkill -TERM -x glusterfsd
    wait_gone glusterfsd 100 || pkill -KILL -x glusterfsd
    exit 0 ;;
  "mount")
    mounted && exit 0
    say "mounting ${first}:/$VOL on ${CLIENT_MOUNT}"
    exec mount -t glusterfs -o backup-volfile-servers=${backups.join(':')} ${first}:/$VOL ${CLIENT_MOUNT} ;;
  "umount")
    mounted || exit 0
    umount -l ${CLIENT_MOUNT} ;;
  *) echo "usage: hachaos-rc start|stop glusterd|glusterfsd, hachaos-rc mount|umount" >&2; exit 2 ;;
esac
`
}
