/** Which Debian package provides a binary: used in "missing binary" errors. */
export const DEBIAN_PACKAGE_OF: Readonly<Record<string, string>> = {
  ip: 'iproute2',
  bridge: 'iproute2',
  tc: 'iproute2',
  keepalived: 'keepalived',
  haproxy: 'haproxy',
  apache2: 'apache2',
  apachectl: 'apache2',
  tcpdump: 'tcpdump',
  iperf3: 'iperf3',
  nft: 'nftables',
  iptables: 'iptables',
  curl: 'curl',
  ssh: 'openssh-client',
  nsenter: 'util-linux',
  unshare: 'util-linux',
  pgrep: 'procps',
  pkill: 'procps',
  sysctl: 'procps',
  'qemu-system-x86_64': 'qemu-system-x86',
  socat: 'socat',
  busybox: 'busybox-static',
  corosync: 'corosync',
  pacemakerd: 'pacemaker',
  crm_mon: 'pacemaker-cli-utils',
  crm_resource: 'pacemaker-cli-utils',
  crm_standby: 'pacemaker-cli-utils',
  cibadmin: 'pacemaker-cli-utils',
  crm: 'crmsh',
  'corosync-quorumtool': 'corosync',
  'corosync-cfgtool': 'corosync',
  ipvsadm: 'ipvsadm',
  gluster: 'glusterfs-client',
  chromium: 'chromium',
  promtool: 'prometheus',
  bmon: 'bmon',
  tmux: 'tmux',
  systemctl: 'systemd',
  cl_status: 'heartbeat',
  nginx: 'nginx-light',
  ifconfig: 'net-tools',
}

export function packageHint(binary: string): string {
  const pkg = DEBIAN_PACKAGE_OF[binary]
  return pkg === undefined
    ? `install the program "${binary}" on that host`
    : `install it: apt-get install ${pkg}   (or run scripts/setup.sh on this machine)`
}
