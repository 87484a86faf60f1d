/**
 * The LVS lab's guest image flavor and its /init (busybox ash, PID 1). The init loads the modules, moves
 * each NIC into its node's namespace (dir1, dir2, rs1, rs2; renamed eth0 there), sets the real servers up (VIP
 * on lo, arp_ignore=1, arp_announce=2, busybox httpd naming itself on :80, an echo service on :7: nc -ll -e cat) and
 * serves commands on the virtio console (the bond lab's command server, HX_SERVER_SH), through which the
 * host writes keepalived.conf and starts keepalived in each director. Parameters come from the kernel
 * command line: hx.vip=A.B.C.D hx.nodes=name:ip,name:ip,… (in NIC order).
 */
import {HX_SERVER_SH} from '../../../lab/bond/guest-init.js'
import type {GuestFlavor} from '../../../lab/bond/guest-image.js'

/**
 * The schedulers the lab offers and the modules they need; and tc's clsact qdisc, u32 classifier and drop
 * action: the guest has no nftables, so drop-vrrp and drop-sync drop a director's packets with iproute2's tc
 * (chaos/egress-drop.ts). ipip (with tunnel4, ip_tunnel from its depends=): LVS-TUN's real servers decapsulate on
 * tunl0, which ipip makes in every namespace.
 */
export const LVS_MODULES = ['virtio_pci', 'virtio_console', 'virtio_net', 'ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_lc', 'ip_vs_wlc', 'ip_vs_sh', 'sch_ingress', 'cls_u32', 'act_gact', 'ipip'] as const

export const LVS_GUEST_INIT_SH = `#!/bin/sh
# /init of the hachaos LVS-lab guest. Written by hachaos (src/stacks/lvs/lab/guest.ts).
# busybox ash runs its own applets first: iproute2 is called by path (/bin/ip) for ip netns.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /tmp /run /var
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
ln -s /run /var/run
mkdir -p /run/netns /etc/keepalived
hostname hx-lvs
up() { read u _ < /proc/uptime; echo $u; }
echo "hx-init: start uptime $(up)s"
VIP=10.98.0.100 NODES=
for a in $(cat /proc/cmdline); do
  case "$a" in
    hx.vip=*) VIP=\${a#hx.vip=};;
    hx.nodes=*) NODES=\${a#hx.nodes=};;
  esac
done
for m in $(cat /lib/modules/load-order); do insmod /lib/modules/$m.ko || echo "hx-init: insmod $m FAILED"; done
n=$(echo "$NODES" | tr ',' '\\n' | grep -c .)
last=eth$((n-1))
i=0; while [ ! -e /sys/class/net/$last ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
/bin/ip link set lo up
k=0
for spec in $(echo "$NODES" | tr ',' ' '); do
  name=\${spec%%:*}; addr=\${spec#*:}; dev=eth$k; k=$((k+1))
  /bin/ip netns add $name || echo "hx-init: netns $name FAILED"
  /bin/ip link set $dev netns $name || echo "hx-init: $dev to $name FAILED"
  [ "$dev" = eth0 ] || /bin/ip -n $name link set $dev name eth0
  /bin/ip -n $name link set lo up
  /bin/ip -n $name link set eth0 up
  /bin/ip -n $name addr add $addr/24 dev eth0
  case "$name" in
    rs*)
      /bin/ip netns exec $name sh -c 'for f in all eth0 lo; do echo 1 > /proc/sys/net/ipv4/conf/$f/arp_ignore; echo 2 > /proc/sys/net/ipv4/conf/$f/arp_announce; done'
      /bin/ip -n $name addr add $VIP/32 dev lo
      mkdir -p /www/$name; echo "$name" > /www/$name/index.html
      /bin/ip netns exec $name httpd -p 80 -h /www/$name || echo "hx-init: httpd in $name FAILED"
      # echo service: busybox has no tcpsvd; nc -ll forks a cat per connection
      ( /bin/ip netns exec $name nc -ll -p 7 -e cat >/dev/null 2>&1 </dev/null & )
      ;;
  esac
done
echo "hx-init: namespaces ready uptime $(up)s"
i=0; while [ ! -e /dev/hvc0 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
${HX_SERVER_SH}
mkdir -p $HXD
if [ -e /dev/hvc0 ]; then
  ( while true; do hx_serve /dev/hvc0 /dev/hvc0; sleep 0.2; done ) &
  i=0; while [ ! -e $HXD/ready ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i+1)); done
  echo "HX-READY"
else
  echo "hx-init: no /dev/hvc0: no control channel"
fi
while true; do sleep 3600; done
`

/** The real servers' web server as the init starts it (busybox httpd, daemonised), without its document root. */
export const RS_HTTPD_ARGV = ['httpd', '-p', '80', '-h'] as const

export const LVS_FLAVOR: GuestFlavor = {
  name: 'lvs',
  // zlib1g: tc maps libz (through libbpf), and only lib* dependencies are followed
  // dropbear-bin: the ssh server `lab up --topology lvs --ssh` starts in each namespace (dropbear and dropbearkey,
  // with libtomcrypt, libtommath, libgmp: the gzipped initramfs grows 14.02 → 14.93 MB, +0.90 MB; nothing runs it without --ssh)
  roots: ['keepalived', 'ipvsadm', 'iproute2', 'zlib1g', 'dropbear-bin'],
  // tc by path (/sbin/tc): busybox's own tc applet stays first on PATH and cannot add filters
  binaries: ['usr/sbin/keepalived', 'sbin/ipvsadm', 'bin/ip', 'sbin/tc', 'usr/sbin/dropbear', 'usr/bin/dropbearkey'],
  modules: LVS_MODULES,
  init: LVS_GUEST_INIT_SH,
}

/**
 * `--health ldirectord`: the LVS image plus ldirectord 4.12 (a perl script) and the perl it runs on. Its own
 * flavor (own manifest and initramfs): the plain LVS image is unchanged. ldirectord `use`s at compile time
 * Socket6, IO::Socket::INET6, LWP::UserAgent, Net::HTTP, URI, Net::Ping, Net::SMTP, Mail::Send, Digest::MD5,
 * POSIX, Sys::Syslog…; the Debian packages holding them are ldirectord's lib*-perl dependencies (followed as
 * the image follows lib* dependencies), perl-base, perl-modules-5.36 and libperl5.36 (XS modules). Their perl
 * trees go in whole (without the .pod documentation).
 */
export const LVS_LD_FLAVOR: GuestFlavor = {
  ...LVS_FLAVOR,
  name: 'lvs-ld',
  roots: [...LVS_FLAVOR.roots, 'ldirectord', 'perl-base', 'perl-modules-5.36', 'libperl5.36'],
  binaries: [...LVS_FLAVOR.binaries, 'usr/bin/perl'],
  // left out: C headers (CORE), the Asian Encode tables, Unicode::Collate; the guest has 512 MiB with ldirectord (its rootfs holds ~75 MB)
  treeSkip: ['/CORE(/|$)', '/auto/Encode/(CN|JP|KR|TW)(/|$)', '/Encode/(CN|JP|KR|TW)(/|\\.pm$)', '/Unicode/Collate(/|\\.pm$)', '/unicore/TestProp\\.pl$'],
  trees: ['usr/sbin/ldirectord', 'usr/share/perl5', 'usr/share/perl', 'usr/lib/x86_64-linux-gnu/perl5', 'usr/lib/x86_64-linux-gnu/perl', 'usr/lib/x86_64-linux-gnu/perl-base'],
}
