/**
 * The four small programs of the Pacemaker lab that must run where hachaos does not: as a node's PID 1,
 * as the node's service manager, as its "chassis" (power supply + BMC) and as the fence agent Pacemaker
 * calls. They are shell because they run inside the nodes, next to corosync and pacemaker, without Node.js.
 * They live here as strings (no `${`, no backquotes in them) so that a plain `tsc` build carries them:
 * `lab up` writes them into the lab directory. Everything else of the lab is TypeScript (lab.ts). The node's
 * PID 1 and how it is started come from the labs' node-namespace module (../node-ns.ts).
 *
 * Paths inside a node: /run/hachaos = the lab's shared directory (bin/, power/, apache2.conf);
 * /usr/sbin gets the fence agent through an overlay (Pacemaker looks for fence_* agents there).
 */

import {nodeInitScript, unshareArgv} from '../../../lab/node-ns.js'

/** Where the lab's shared directory appears inside every node. */
export const NODE_SHARED = '/run/hachaos'
export const FENCE_AGENT = 'fence_hachaos_lab'
export const NODE_LOG_DIR = '/var/log/hachaos'

/**
 * PID 1 of a node (src/lab/node-ns.ts renders it). Started by the chassis as
 *   ip netns exec NS unshare --pid --fork --mount-proc --mount --uts --propagation private node-init.sh …
 * so it is already in the node's network namespace and in fresh PID, mount and UTS namespaces.
 */
export const NODE_INIT_SH = nodeInitScript({
  title: 'hachaos Pacemaker lab: PID 1 of one node (written by hachaos lab up; removed by hachaos lab down).',
  about: [
    'Gives the node its hostname, its own copies of every directory in which corosync, pacemaker, the',
    'resource agents and apache keep state, boots its network (a power cycle lost it), starts the cluster',
    "stack when AUTOSTART=yes (Debian's default: corosync and pacemaker enabled at boot), then reaps orphans.",
  ],
  args: [
    {name: 'N', usage: 'NODE'},
    {name: 'R', usage: 'NODEDIR'},
    {name: 'S', usage: 'SHAREDDIR'},
    {name: 'ADDR', usage: 'ADDR/LEN'},
    {name: 'DEV', usage: 'DEV'},
    {name: 'AUTOSTART', usage: 'AUTOSTART'},
  ],
  hostname: '"$N"',
  network: {addr: '"$ADDR"', dev: '"$DEV"'},
  binds: [
    {from: '"$R/etc-corosync"', to: '/etc/corosync'},
    {from: '"$R/var-lib-corosync"', to: '/var/lib/corosync'},
    {from: '"$R/var-lib-pacemaker"', to: '/var/lib/pacemaker'},
    {from: '"$R/var-log"', to: '/var/log'},
    {from: '"$R/www"', to: '/var/www/html', ifDir: true},
  ],
  overlays: [{name: 'hachaos-sbin', lowerdir: '$S/sbin:/usr/sbin', target: '/usr/sbin', why: "the lab fence agent, where Pacemaker looks for fence agents (only in this node's mount namespace)"}],
  privateShm: 'libqb IPC ring buffers',
  run: {
    stage: '"$R/newrun"',
    why: [
      'private /run (corosync.pid, resource-agents state, apache pid, /run/crm …): built on a fresh tmpfs',
      'mounted on NODEDIR/newrun, with the shared directory inside it, then moved over /run. First drop our',
      "copies of /run/netns/* (other namespaces' handles) so this mount namespace never pins them.",
    ].join('\n'),
    dirs: [{path: 'lock', mode: '1777'}, {path: 'resource-agents', mode: '1755'}, {path: 'crm'}, {path: 'apache2'}, {path: 'user'}],
    links: [{path: 'shm', target: '/dev/shm'}],
    shared: {from: '"$S"', at: 'hachaos'},
  },
  boot: [
    'mkdir -p /var/log/hachaos /var/log/corosync /var/log/apache2',
    'if [ "$AUTOSTART" = yes ]; then',
    '  setsid -f /run/hachaos/bin/hachaos-rc start pacemaker >>/var/log/hachaos/rc.log 2>&1 </dev/null',
    'fi',
    'echo "node $N booted: hostname $(hostname), pid $$ in its own PID namespace"',
    ': >"/run/hachaos/power/$N.booted"',
  ],
  reaperWhy: ['PID 1 must reap orphans: apache daemonizes, and a never-reaped apache zombie would look "still', 'running" to the apache resource agent (it tests /proc/PID).'],
})

/** The service manager of a node (its "systemctl"): idempotent start/stop of corosync and pacemaker. */
export const RC_SH = `#!/bin/bash
# hachaos Pacemaker lab: the service manager of one node (runs inside the node).
# usage: hachaos-rc start|stop|status corosync|pacemaker
#   start pacemaker   = start corosync if needed, wait until it answers, clear pacemaker daemons a dead
#                       corosync left behind, start pacemakerd (like systemd: pacemaker Requires corosync)
#   stop pacemaker    = graceful: pacemakerd stops the resources and its sub-daemons
#   stop corosync     = stop pacemaker first, then corosync-cfgtool -H --force
# The node has its own PID namespace: pgrep sees this node's processes only.
set -u
LOG=/var/log/hachaos
mkdir -p "$LOG"
say() { echo "$(date +%T.%N | cut -c1-12) hachaos-rc: $*"; }
running() { pgrep -x "$1" >/dev/null; }
bg() { local lf=$1; shift; setsid -f "$@" >>"$lf" 2>&1 </dev/null; }
wait_gone() { # COMM TENTHS
  local i; for i in $(seq 1 "$2"); do running "$1" || return 0; sleep 0.1; done; return 1
}
corosync_ready() { corosync-cfgtool -s >/dev/null 2>&1; }

start_corosync() {
  local i
  if ! running corosync; then
    say "starting corosync"
    bg "$LOG/corosync.out" corosync -f
  fi
  for i in $(seq 1 150); do corosync_ready && return 0; sleep 0.1; done
  say "corosync does not answer after 15 s"; return 1
}

pacemaker_leftovers() { pgrep '^pacemaker' >/dev/null; }

stop_pacemaker() {
  if running pacemakerd; then
    say "stopping pacemaker"
    pkill -TERM -x pacemakerd
    wait_gone pacemakerd 1200 || { say "pacemakerd still running after 120 s: killing it"; pkill -KILL -x pacemakerd; }
  fi
  if pacemaker_leftovers; then
    say "ending pacemaker daemons left without pacemakerd: $(pgrep -l '^pacemaker' | tr '\\n' ' ')"
    pkill -TERM '^pacemaker'; sleep 1; pkill -KILL '^pacemaker'
  fi
  return 0
}

# Pacemaker daemons that started before the running corosync lost their corosync (it was killed or
# restarted under them): they cannot reconnect.
stale_pacemaker() {
  local c t p
  c=$(pgrep -o -x corosync) || return 1
  t=$(cut -d' ' -f22 "/proc/$c/stat")
  for p in $(pgrep '^pacemaker'); do
    [ "$(cut -d' ' -f22 "/proc/$p/stat" 2>/dev/null || echo "$t")" -lt "$t" ] && return 0
  done
  return 1
}

kill_pacemaker() {
  say "ending pacemaker daemons cut off from corosync: $(pgrep -l '^pacemaker' | tr '\n' ' ')"
  pkill -KILL '^pacemaker'
  wait_gone pacemakerd 50
}

start_pacemaker() {
  if running corosync && corosync_ready && running pacemakerd && running pacemaker-contr && ! stale_pacemaker; then return 0; fi
  # corosync died under pacemaker: its daemons cannot reconnect (they would only block a clean start)
  if ! running corosync && pacemaker_leftovers; then kill_pacemaker; fi
  start_corosync || return 1
  if stale_pacemaker; then kill_pacemaker; fi
  if ! running pacemakerd; then
    say "starting pacemakerd"
    bg "$LOG/pacemakerd.out" env PCMK_logfacility=none pacemakerd
  fi
  local i
  for i in $(seq 1 100); do running pacemaker-contr && return 0; sleep 0.1; done
  say "pacemaker-controld did not start within 10 s"; return 1
}

stop_corosync() {
  stop_pacemaker
  if running corosync; then
    say "stopping corosync"
    corosync-cfgtool -H --force >/dev/null 2>&1 || pkill -TERM -x corosync
    wait_gone corosync 100 || pkill -KILL -x corosync
  fi
  return 0
}

status() {
  local c
  for c in corosync pacemakerd pacemaker-based pacemaker-fence pacemaker-execd pacemaker-attrd pacemaker-sched pacemaker-contr apache2; do
    echo "$c $(pgrep -x "$c" | tr '\\n' ' ')"
  done
}

case "$*" in
  "start corosync") start_corosync ;;
  "start pacemaker"|"start cluster") start_pacemaker ;;
  "stop pacemaker") stop_pacemaker ;;
  "stop corosync"|"stop cluster") stop_corosync ;;
  "status "*) status ;;
  *) echo "usage: hachaos-rc start|stop|status corosync|pacemaker" >&2; exit 2 ;;
esac
`

/**
 * The chassis of a node: its power supply and BMC, on the host. It powers the node on (starts its init),
 * off (SIGKILL to the init ends the node's PID namespace at once, like a pulled plug; the NIC goes dark and
 * forgets its addresses and firewall rules) and cycles it, on request through a FIFO written by the fence
 * agent. The node's PID file follows every boot, so executors always reach the current init.
 */
export const CHASSIS_SH = `#!/bin/bash
# hachaos Pacemaker lab: the chassis (power supply + BMC) of one node (on the host).
# usage: chassis.sh NODE NETNS NODEDIR SHAREDDIR ADDR/LEN DEV AUTOSTART
# requests, one per line, into SHAREDDIR/power/NODE.ctl: on | off | reboot | exit
# power state in SHAREDDIR/power/NODE.state: "on|off EPOCH BOOTS"
set -u
N=$1; NS=$2; R=$3; S=$4; ADDR=$5; DEV=$6; AUTOSTART=$7
CTL=$S/power/$N.ctl
STATE=$S/power/$N.state
PIDF=$R/init.pid
init=""; unsh=""; boots=0

say() { echo "$(date +%s.%N | cut -c1-17) chassis $N: $*"; }
setstate() { echo "$1 $(date +%s.%N | cut -c1-17) $boots" >"$STATE.tmp" && mv -f "$STATE.tmp" "$STATE"; }
alive() { [ -n "$init" ] && kill -0 "$init" 2>/dev/null; }
# the init = the only child of unshare (the file has no newline: read fails at EOF but sets the variable)
child_of() { local c="" ; read -r c _ 2>/dev/null <"/proc/$1/task/$1/children"; echo "$c"; }

power_on() {
  if alive; then return 0; fi
  rm -f "$S/power/$N.booted" "$PIDF"
  ip netns exec "$NS" ${unshareArgv().join(' ')} \\
      "$S/bin/node-init.sh" "$N" "$R" "$S" "$ADDR" "$DEV" "$AUTOSTART" >>"$R/init.log" 2>&1 </dev/null &
  unsh=$!
  local i c=""
  for i in $(seq 1 400); do
    c=$(child_of "$unsh")
    if [ -n "$c" ]; then break; fi
    if ! kill -0 "$unsh" 2>/dev/null; then break; fi
    sleep 0.025
  done
  if [ -z "$c" ]; then
    say "power on failed: no init (see $R/init.log)"; power_off; return 1
  fi
  # Power is applied: a BMC reports "on" now, while the OS still boots, and a fence agent's reboot returns on
  # that report (fence_ipmilan waits for the chassis power status, not for the OS). So the fence time does
  # not include the node's boot, which the load of the machine stretches (0.3 s idle, 4.7 s at load 15).
  boots=$((boots + 1))
  setstate on
  for i in $(seq 1 400); do
    if [ -e "$S/power/$N.booted" ]; then break; fi
    if ! kill -0 "$c" 2>/dev/null; then break; fi
    sleep 0.025
  done
  if [ ! -e "$S/power/$N.booted" ]; then
    say "boot failed (see $R/init.log)"; init="$c"; power_off; return 1
  fi
  init=$c
  echo "$init" >"$PIDF.tmp" && mv -f "$PIDF.tmp" "$PIDF"
  say "powered on: init host pid $init (boot $boots)"
}

power_off() {
  if [ -z "$init" ] && [ -n "$unsh" ]; then init=$(child_of "$unsh"); fi
  if [ -n "$init" ] && kill -0 "$init" 2>/dev/null; then
    kill -KILL "$init"
    local i; for i in $(seq 1 200); do kill -0 "$init" 2>/dev/null || break; sleep 0.01; done
  fi
  if [ -n "$unsh" ]; then kill -KILL "$unsh" 2>/dev/null; wait "$unsh" 2>/dev/null; fi
  init=""; unsh=""
  rm -f "$PIDF" "$S/power/$N.booted"
  # power loss: the NIC goes dark and forgets its addresses (the VIP too) and its firewall rules
  ip -n "$NS" link set "$DEV" down 2>/dev/null
  ip -n "$NS" addr flush dev "$DEV" 2>/dev/null
  ip netns exec "$NS" nft flush ruleset 2>/dev/null
  setstate off
  say "powered off"
}

trap 'power_off; exit 0' TERM INT HUP
[ -p "$CTL" ] || mkfifo -m 0600 "$CTL"
exec 3<>"$CTL"
say "chassis pid $$"
power_on
while :; do
  if read -r -t 1 cmd <&3; then
    say "request: $cmd"
    case $cmd in
      on) power_on ;;
      off) power_off ;;
      reboot|cycle) power_off; sleep 0.5; power_on ;;
      exit) power_off; exit 0 ;;
      *) say "unknown request $cmd" ;;
    esac
  elif [ -n "$init" ] && ! alive; then
    say "init $init is gone"; power_off
  fi
done
`

/**
 * A Pacemaker fence agent (RHCS style: options on stdin as key=value, or -o ACTION -n PLUG), which asks the
 * victim's chassis to power it off/on/cycle and waits until the chassis reports it done.
 */
export const FENCE_AGENT_SH = `#!/bin/bash
# fence_hachaos_lab: a fence agent for hachaos Pacemaker lab nodes (written by hachaos lab up).
# Pacemaker runs it with options on stdin (action=reboot, plug=n1 …); by hand: fence_hachaos_lab -o status -n n1
set -u
POWER=/run/hachaos/power
action=reboot; plug=""; wait_s=20
if [ ! -t 0 ]; then
  while IFS= read -r line; do
    k=$(echo "$line" | cut -d= -f1); v=$(echo "$line" | cut -d= -f2-)
    case $k in
      action|option) action=$v ;;
      plug|port) plug=$v ;;
      nodename) [ -z "$plug" ] && plug=$v ;;
      power_wait) wait_s=$v ;;
      power_dir) POWER=$v ;;
    esac
  done
fi
while [ $# -gt 0 ]; do
  case $1 in
    -o|--action) action=$2; shift ;;
    -n|--plug|--port) plug=$2; shift ;;
    --action=*) action=$(echo "$1" | cut -d= -f2-) ;;
    --plug=*) plug=$(echo "$1" | cut -d= -f2-) ;;
  esac
  shift
done

metadata() {
cat <<'XML'
<?xml version="1.0" ?>
<resource-agent name="fence_hachaos_lab" shortdesc="Power switch of hachaos Pacemaker lab nodes">
<longdesc>Powers a lab node off, on or through a cycle by asking its chassis (the host process that runs the node's init). Power off ends the node's PID namespace at once: every process of the node dies, its NIC goes dark.</longdesc>
<vendor-url>https://github.com/</vendor-url>
<parameters>
  <parameter name="action" unique="0" required="1"><getopt mixed="-o, --action=[action]"/><content type="string" default="reboot"/><shortdesc lang="en">Fencing action</shortdesc></parameter>
  <parameter name="plug" unique="0" required="1" obsoletes="port"><getopt mixed="-n, --plug=[id]"/><content type="string"/><shortdesc lang="en">Lab node to fence (n1, n2 …)</shortdesc></parameter>
  <parameter name="port" unique="0" required="0" deprecated="1"><getopt mixed="-n, --plug=[id]"/><content type="string"/><shortdesc lang="en">Lab node to fence</shortdesc></parameter>
  <parameter name="power_wait" unique="0" required="0"><getopt mixed="--power-wait=[seconds]"/><content type="second" default="20"/><shortdesc lang="en">Seconds to wait for the chassis</shortdesc></parameter>
</parameters>
<actions>
  <action name="on" automatic="0"/>
  <action name="off"/>
  <action name="reboot"/>
  <action name="status"/>
  <action name="list"/>
  <action name="monitor"/>
  <action name="metadata"/>
  <action name="validate-all"/>
</actions>
</resource-agent>
XML
}

state_of() { # prints: on|off BOOTS
  local s t b
  read -r s t b <"$POWER/$1.state" 2>/dev/null || { echo "unknown 0"; return; }
  echo "$s $b"
}

request() { # NODE CMD
  [ -p "$POWER/$1.ctl" ] || { echo "no chassis for $1" >&2; return 1; }
  timeout 5 bash -c 'echo "$1" >"$2"' _ "$2" "$POWER/$1.ctl"
}

wait_for() { # NODE WANT [MINBOOTS]
  local i s b
  for i in $(seq 1 $((wait_s * 10))); do
    read -r s b <<<"$(state_of "$1")"
    if [ "$s" = "$2" ] && [ "$b" -ge "$3" ]; then return 0; fi
    sleep 0.1
  done
  echo "chassis of $1 did not report $2 within $wait_s s" >&2; return 1
}

case $action in
  metadata) metadata; exit 0 ;;
  monitor|validate-all) [ -d "$POWER" ]; exit $? ;;
  list|list-status)
    for f in "$POWER"/*.ctl; do [ -p "$f" ] && echo "$(basename "$f" .ctl),"; done; exit 0 ;;
esac
[ -n "$plug" ] || { echo "no plug (node) given" >&2; exit 1; }
read -r s0 b0 <<<"$(state_of "$plug")"
case $action in
  status)
    case $s0 in on) echo "Status: ON"; exit 0 ;; off) echo "Status: OFF"; exit 2 ;; *) exit 1 ;; esac ;;
  off) request "$plug" off && wait_for "$plug" off 0; exit $? ;;
  on) request "$plug" on && wait_for "$plug" on 0; exit $? ;;
  reboot) request "$plug" reboot && wait_for "$plug" on $((b0 + 1)); exit $? ;;
  *) echo "unsupported action $action" >&2; exit 1 ;;
esac
`
