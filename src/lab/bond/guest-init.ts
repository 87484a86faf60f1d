/**
 * Shell that runs INSIDE the bond-lab guest (busybox ash as PID 1). It is the only shell text hachaos
 * ships: the host never builds shell commands for the guest by string concatenation — argv arrays are
 * quoted with shJoin (src/exec/quote.ts) and sent base64-encoded (see src/exec/vm-protocol.ts).
 */

/**
 * The command server on the virtio console. Requests are single lines:
 *   R TAG SCRIPT_B64 [STDIN_B64]   run, collect stdout/stderr, answer  `__HX_R TAG RC OUT_B64 ERR_B64`
 *   S TAG SCRIPT_B64               stream: `__HX_O TAG line` / `__HX_E TAG line` per line, then `__HX_X TAG RC`
 *   K TAG SIGNAL                   signal the job TAG
 * Every request runs in the background, so a long iperf3 never blocks a sample. A single writer process owns
 * the console: jobs hand it short lines through a FIFO (one write each) or the name of a response file to
 * copy whole, so answers never interleave.
 * `hx_serve IN OUT` (the device twice: /dev/hvc0 in the guest; `hx_serve -` uses stdin/stdout, for the unit test).
 */
export const HX_SERVER_SH = `
HXD=\${HXD:-/run/hx}
hx_job() {
  k=$1 t=$2 d=$HXD/$2
  printf '%s' "$3" | base64 -d > $d.sh
  i=/dev/null
  if [ -n "$4" ]; then printf '%s' "$4" | base64 -d > $d.in; i=$d.in; fi
  if [ "$k" = R ]; then
    sh $d.sh < $i > $d.out 2> $d.err & echo $! > $d.pid
    wait $!; rc=$?
    { printf '__HX_R %s %s ' "$t" "$rc"; base64 -w0 < $d.out; printf ' '; base64 -w0 < $d.err; printf '\\n'; } > $d.resp
    rm -f $d.sh $d.in $d.out $d.err $d.pid
    echo "@F $d.resp" > $HXD/out
  else
    mkfifo $d.o $d.e
    ( while IFS= read -r l || [ -n "$l" ]; do printf '__HX_O %s %s\\n' "$t" "$l"; done < $d.o > $HXD/out ) &
    r1=$!
    ( while IFS= read -r l || [ -n "$l" ]; do printf '__HX_E %s %s\\n' "$t" "$l"; done < $d.e > $HXD/out ) &
    r2=$!
    sh $d.sh < /dev/null > $d.o 2> $d.e & echo $! > $d.pid
    wait $!; rc=$?
    wait $r1 $r2
    rm -f $d.sh $d.o $d.e $d.pid
    echo "__HX_X $t $rc" > $HXD/out
  fi
}
hx_serve() {
  mkdir -p $HXD; rm -f $HXD/out; mkfifo $HXD/out
  if [ "$1" = - ]; then exec 4<&0 5>&1; else exec 4<"$1" 5>"$2"; fi
  [ -t 4 ] && stty raw -echo <&4
  : > $HXD/ready
  ( exec 3<>$HXD/out
    while IFS= read -r m <&3; do
      case "$m" in
        "@F "*) f=\${m#@F }; cat "$f"; rm -f "$f";;
        *) printf '%s\\n' "$m";;
      esac
    done ) >&5 &
  echo "__HX_HELLO" > $HXD/out
  while IFS= read -r line <&4; do
    set -f; set -- $line; set +f
    case "$2" in ""|*[!a-z0-9]*) continue;; esac
    case "$1" in
      R|S) hx_job "$@" & ;;
      K) case "$3" in ""|*[!A-Z0-9]*) ;; *) [ -f $HXD/$2.pid ] && kill -$3 "$(cat $HXD/$2.pid)" 2>/dev/null;; esac;;
    esac
  done
}
`

/** The guest's /init: modules, bond0 from the kernel command line, iperf3 servers, then the command server. */
export const GUEST_INIT_SH = `#!/bin/sh
# /init of the hachaos bond-lab guest. Written by hachaos (src/lab/bond/guest-init.ts).
# Parameters from the kernel command line: hx.mode= hx.miimon= hx.ip= hx.iperf=P,P hx.opts=k=v,k=v
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /tmp /run
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
hostname hx-bond
up() { read u _ < /proc/uptime; echo $u; }
echo "hx-init: start uptime $(up)s"

MODE=active-backup MIIMON=100 IP=10.88.0.2/24 PORTS=8001,8002 OPTS=
for a in $(cat /proc/cmdline); do
  case "$a" in
    hx.mode=*) MODE=\${a#hx.mode=};;
    hx.miimon=*) MIIMON=\${a#hx.miimon=};;
    hx.ip=*) IP=\${a#hx.ip=};;
    hx.iperf=*) PORTS=\${a#hx.iperf=};;
    hx.opts=*) OPTS=\${a#hx.opts=};;
  esac
done

for m in $(cat /lib/modules/load-order); do
  args=; [ "$m" = bonding ] && args=max_bonds=0
  insmod /lib/modules/$m.ko $args || echo "hx-init: insmod $m FAILED"
done
i=0; while [ ! -e /sys/class/net/eth1 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
ip link set lo up

echo +bond0 > /sys/class/net/bonding_masters
B=/sys/class/net/bond0/bonding
echo "$MODE" > $B/mode || echo "hx-init: mode $MODE FAILED"
echo "$MIIMON" > $B/miimon || echo "hx-init: miimon $MIIMON FAILED"
for kv in $(echo "$OPTS" | tr ',' ' '); do
  k=\${kv%%=*}; v=\${kv#*=}
  echo "$v" > $B/$k || echo "hx-init: bond option $k=$v FAILED"
done
for s in eth0 eth1; do ip link set $s down; echo +$s > $B/slaves || echo "hx-init: enslave $s FAILED"; done
ip link set bond0 up
ip addr add $IP dev bond0
for p in $(echo "$PORTS" | tr ',' ' '); do iperf3 -s -p $p -D >/dev/null 2>&1 || echo "hx-init: iperf3 -s -p $p FAILED"; done
echo "hx-init: bond0 $MODE ready uptime $(up)s"

i=0; while [ ! -e /dev/hvc0 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
${HX_SERVER_SH}
mkdir -p $HXD
if [ -e /dev/hvc0 ]; then
  ( while true; do hx_serve /dev/hvc0 /dev/hvc0; sleep 0.2; done ) &
  # ready once the console is in raw mode (no echo, no line-length limit)
  i=0; while [ ! -e $HXD/ready ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i+1)); done
  echo "HX-READY"
else
  echo "hx-init: no /dev/hvc0: no control channel"
fi
while true; do sleep 3600; done
`
