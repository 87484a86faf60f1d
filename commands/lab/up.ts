import {Flags} from '@oclif/core'

import type {LabUpResult} from '../../src/lab/driver.js'
import {BOND_MODES, XMIT_HASH_POLICIES} from '../../src/lab/bond/topology.js'
import {labDriver} from '../../src/lab/registry.js'
import {HachaosCommand} from '../_base.js'
import {checkPrefix, labFlags} from '../_lab.js'

export type LabUpCommandResult = LabUpResult

export default class LabUp extends HachaosCommand {
  static override summary = 'Build the built-in lab: real daemons in network namespaces on this machine.'
  static override description = `The keepalived topology (default) reproduces the seeds' setup: lb1 and lb2 run keepalived (VRRPv2,
priorities 150/100, advert_int 1, a track_script on HAProxy) and HAProxy (round robin to web1/web2 with
checks, stats page); web1 and web2 run Apache; a client namespace reaches the VIP through a bridge.
Nothing leaves these namespaces. Waits until the client gets answers through the VIP from both web
servers, then writes the lab inventory. Needs root. Running it twice is fine.

The pacemaker topology builds a real Corosync 3 + Pacemaker 2 cluster of --nodes 2 or 3 (n1, n2, n3), each node
its own network, PID, mount and UTS namespace, with the seed's group (an IPaddr2 VIP and apache) and a client;
stonith is off unless --fencing, which adds a lab fence agent that power-cycles a node for real.

The heartbeat topology builds the seeds' Nginx + Heartbeat pair: hb1 and hb2 run real Heartbeat 3 (v1 style,
crm no, ucast) and nginx (--resource apache2: apache2, each node its own ServerRoot, pid file and run dir),
each node its own network, PID, mount, UTS and IPC namespace; haresources gives hb1 the VIP (IPaddr) and the
web server's init script; a client reaches the VIP. --keepalive, --deadtime, --warntime, --initdead and
--auto-failback go into ha.cf.

The bond topology boots a real Linux kernel with the bonding driver under QEMU (software emulation): bond0
over eth0/eth1, whose NICs are bridged with client1 and client2 (namespaces), iperf3 servers on 8001/8002
in the guest. Kernel, busybox and iperf3 come from Debian packages (apt-get download, cached in
/var/cache/hachaos/bond-lab). The guest is reached through its console (inventory host "guest", via: vm).

The gluster topology builds a GlusterFS replicated volume: g1..g3 run real glusterd in a trusted pool, each
node its own network, PID, mount, UTS and IPC namespace, bricks on a tmpfs inside each server node; volume gv
(--replica 3 on g1..g3, --replica 2 on g1, g2, --arbiter adds an arbiter brick on g3), started, with
--ping-timeout and --quorum set; gc and gc2 mount it with the FUSE client on /mnt (only in their namespace).

The lvs topology runs an LVS-DR director pair with the real IPVS in a QEMU guest (this kernel has no IPVS):
directors dir1 (MASTER, prio 150) and dir2 (BACKUP, prio 100), each its own namespace in the guest with real
keepalived (vrrp_instance for the VIP 10.98.0.100, virtual_server VIP:80 and VIP:7 with TCP_CHECK), real
servers rs1 and rs2 (VIP on lo, arp_ignore=1, arp_announce=2, a web server naming itself, an echo service on
:7), a client namespace on this host. --sync adds lvs_sync_daemon following the VRRP instance.
--forwarding nat makes it LVS-NAT: the real servers move to 10.98.1.0/24 (the client has no route there), their
default gateway 10.98.1.1 is a second VRRP address of the master director (a vrrp_sync_group with the VIP), the
directors forward (ip_forward=1, send_redirects=0) and the real servers have no VIP. --forwarding tun is LVS-TUN:
IPIP from the director, the real servers hold the VIP on tunl0 (ipip module, rp_filter=0). --persistence SECONDS
sets persistence_timeout on the virtual servers (0: none). --checker http|misc checks VIP:80 with HTTP_GET or
MISC_CHECK instead of TCP_CHECK; --health ldirectord leaves keepalived only VRRP and lets ldirectord (one per
director, fork=no, negotiate on :80, connect on :7) manage the IPVS table. --ssh starts a dropbear (root, key
only, port 22) in dir1, dir2, rs1 and rs2 and writes inventory-ssh.yaml next to the lab's inventory: the same
hosts via ssh, for running hachaos inside the client namespace as against real hosts.`

  static override examples = [
    '<%= config.bin %> lab up',
    '<%= config.bin %> lab up --subnet 10.67.0.0/24',
    '<%= config.bin %> lab up --topology pacemaker --nodes 3',
    '<%= config.bin %> lab up --topology pacemaker --nodes 2 --fencing',
    'HACHAOS_LAB_PREFIX=hc2 <%= config.bin %> lab up --json',
    '<%= config.bin %> lab up --topology heartbeat',
    '<%= config.bin %> lab up --topology heartbeat --keepalive 200ms --deadtime 1 --auto-failback on',
    '<%= config.bin %> lab up --topology heartbeat --resource apache2',
    '<%= config.bin %> lab up --topology bond --mode balance-rr',
    '<%= config.bin %> lab up --topology gluster --ping-timeout 5',
    '<%= config.bin %> lab up --topology gluster --replica 2 --arbiter --quorum auto',
    '<%= config.bin %> lab up --topology bond --mode active-backup --miimon 100 --downdelay 200 --updelay 200',
    '<%= config.bin %> lab up --topology bond --mode active-backup --arp-interval 100 --arp-ip-target 10.88.0.11',
    '<%= config.bin %> lab up --topology lvs --sync',
    '<%= config.bin %> lab up --topology lvs --forwarding nat --sync',
    '<%= config.bin %> lab up --topology lvs --forwarding tun --persistence 60',
    '<%= config.bin %> lab up --topology lvs --checker http',
    '<%= config.bin %> lab up --topology lvs --health ldirectord',
    '<%= config.bin %> lab up --topology lvs --ssh',
  ]

  static override flags = {
    ...labFlags,
    subnet: Flags.string({description: 'Private /24 for the lab (default: 10.66.0.0/24 keepalived, 10.77.0.0/24 pacemaker).'}),
    nodes: Flags.integer({description: 'pacemaker: number of cluster nodes (2 or 3).', min: 2, max: 3, default: 3}),
    fencing: Flags.boolean({description: 'pacemaker: enable STONITH with the lab fence agent (it power-cycles a node).', default: false}),
    timeout: Flags.integer({description: 'Seconds to wait for the lab to be ready.', default: 60}),
    'vrrp-version': Flags.string({description: 'keepalived lab: VRRP version (2, as in the seeds, or 3).', options: ['2', '3'], default: '2'}),
    'advert-int': Flags.string({description: 'keepalived lab: advert interval in seconds (VRRPv2: whole seconds; VRRPv3: down to 0.01).', default: '1'}),
    mode: Flags.string({description: 'bond lab: bonding mode.', options: [...BOND_MODES], helpGroup: 'BOND LAB'}),
    miimon: Flags.integer({description: 'bond lab: MII link monitoring interval (ms); default 100, 0 with the ARP monitor.', min: 0, helpGroup: 'BOND LAB'}),
    downdelay: Flags.integer({description: 'bond lab: ms a member must stay down before it is disabled (multiple of miimon).', min: 0, helpGroup: 'BOND LAB'}),
    updelay: Flags.integer({description: 'bond lab: ms a member must stay up before it is used again (multiple of miimon).', min: 0, helpGroup: 'BOND LAB'}),
    'arp-interval': Flags.integer({description: 'bond lab: ARP monitor interval (ms), instead of MII monitoring.', min: 0, helpGroup: 'BOND LAB', dependsOn: ['arp-ip-target']}),
    'arp-ip-target': Flags.string({description: 'bond lab: IPv4 address the ARP monitor probes (client1 is 10.88.0.11).', helpGroup: 'BOND LAB', dependsOn: ['arp-interval']}),
    'xmit-hash-policy': Flags.string({description: 'bond lab: transmit hash policy (balance-xor, 802.3ad, balance-tlb/alb).', options: [...XMIT_HASH_POLICIES], helpGroup: 'BOND LAB'}),
    keepalive: Flags.string({description: 'heartbeat lab: ha.cf keepalive (seconds, or e.g. 200ms).', default: '1', helpGroup: 'HEARTBEAT LAB'}),
    deadtime: Flags.string({description: 'heartbeat lab: ha.cf deadtime (seconds, or e.g. 1500ms).', default: '5', helpGroup: 'HEARTBEAT LAB'}),
    warntime: Flags.string({description: 'heartbeat lab: ha.cf warntime (default: 3/5 of deadtime, at least 2 × keepalive).', helpGroup: 'HEARTBEAT LAB'}),
    initdead: Flags.string({description: 'heartbeat lab: ha.cf initdead (default: 2 × deadtime).', helpGroup: 'HEARTBEAT LAB'}),
    'auto-failback': Flags.string({description: 'heartbeat lab: ha.cf auto_failback.', options: ['on', 'off'], default: 'off', helpGroup: 'HEARTBEAT LAB'}),
    resource: Flags.string({description: 'heartbeat lab: the service after the VIP in haresources (its /etc/init.d script).', options: ['nginx', 'apache2'], default: 'nginx', helpGroup: 'HEARTBEAT LAB'}),
    'lacp-rate': Flags.string({description: 'bond lab: LACPDU rate in 802.3ad mode.', options: ['slow', 'fast'], helpGroup: 'BOND LAB'}),
    replica: Flags.string({description: 'gluster lab: bricks per replica set (2: g1, g2; 3: g1..g3).', options: ['2', '3'], default: '3', helpGroup: 'GLUSTER LAB'}),
    arbiter: Flags.boolean({description: 'gluster lab: with --replica 2, an arbiter brick on g3 (replica 3 arbiter 1).', default: false, helpGroup: 'GLUSTER LAB'}),
    'ping-timeout': Flags.integer({description: 'gluster lab: network.ping-timeout in seconds (Gluster default 42).', min: 1, max: 1013, default: 42, helpGroup: 'GLUSTER LAB'}),
    ssh: Flags.boolean({description: 'lvs lab: a dropbear ssh server in each director and real server (root, key only) and a second inventory, inventory-ssh.yaml, reaching them over ssh from the client namespace.', default: false, helpGroup: 'LVS LAB'}),
    sync: Flags.boolean({description: 'lvs lab: lvs_sync_daemon on the directors, following the VRRP instance (connection sync).', default: false, helpGroup: 'LVS LAB'}),
    scheduler: Flags.string({description: 'lvs lab: IPVS scheduler (lb_algo).', options: ['rr', 'wrr', 'lc', 'wlc', 'sh'], helpGroup: 'LVS LAB'}),
    forwarding: Flags.string({description: 'lvs lab: IPVS forwarding (lb_kind): dr (VIP on the real servers\' lo), nat (the directors are the real servers\' gateway), tun (IPIP).', helpGroup: 'LVS LAB'}),
    persistence: Flags.string({description: 'lvs lab: persistence_timeout of the virtual servers in seconds (0: none).', helpGroup: 'LVS LAB'}),
    checker: Flags.string({description: "lvs lab: keepalived's checker of the web service VIP:80 (TCP_CHECK, HTTP_GET GET / → 200, MISC_CHECK running a wget script).", options: ['tcp', 'http', 'misc'], helpGroup: 'LVS LAB'}),
    health: Flags.string({description: 'lvs lab: who checks the real servers and manages IPVS: keepalived (virtual_server) or ldirectord 4.12 (keepalived then runs only VRRP).', options: ['keepalived', 'ldirectord'], helpGroup: 'LVS LAB'}),
    quorum: Flags.string({description: "gluster lab: cluster.quorum-type (default: Gluster's own; fixed uses quorum-count = a majority).", options: ['auto', 'fixed', 'none'], helpGroup: 'GLUSTER LAB'}),
  }

  async run(): Promise<LabUpCommandResult> {
    const {flags} = await this.parse(LabUp)
    const prefix = checkPrefix(flags.prefix)
    const driver = labDriver(flags.topology)
    const r = await driver.up({
      prefix,
      timeoutMs: flags.timeout * 1000,
      onProgress: this.progress,
      options: {
        subnet: flags.subnet,
        nodes: flags.nodes,
        fencing: flags.fencing,
        vrrpVersion: Number(flags['vrrp-version']),
        advertInt: Number(flags['advert-int']),
        mode: flags.mode,
        miimon: flags.miimon,
        downdelay: flags.downdelay,
        updelay: flags.updelay,
        arpInterval: flags['arp-interval'],
        arpIpTarget: flags['arp-ip-target'],
        xmitHashPolicy: flags['xmit-hash-policy'],
        lacpRate: flags['lacp-rate'],
        keepalive: flags.keepalive,
        deadtime: flags.deadtime,
        warntime: flags.warntime,
        initdead: flags.initdead,
        autoFailback: flags['auto-failback'],
        resource: flags.resource,
        replica: flags.replica,
        arbiter: flags.arbiter,
        pingTimeout: flags['ping-timeout'],
        quorum: flags.quorum,
        checker: flags.checker,
        health: flags.health,
        sync: flags.sync,
        ssh: flags.ssh,
        scheduler: flags.scheduler,
        forwarding: flags.forwarding,
        persistence: flags.persistence,
      },
    })
    this.log(`lab ${r.topology} ${r.alreadyUp ? 'was already up' : `is up in ${(r.timings.readyMs / 1000).toFixed(2)} s`}`)
    this.log('')
    this.log('  host     role          namespace      address')
    for (const h of r.hosts) this.log(`  ${h.name.padEnd(8)} ${h.role.padEnd(13)} ${h.ns.padEnd(14)} ${h.ip}`)
    this.log('')
    if (r.topology === 'lvs') this.log(`  LVS-${String(r.details['forwarding'])}, scheduler ${String(r.details['scheduler'])}${Number(r.details['persistence'] ?? 0) > 0 ? `, persistence ${String(r.details['persistence'])} s` : ''}${r.details['sync'] === true ? ', lvs_sync_daemon on' : ''}: VIP ${r.vip ?? ''} (:80 web, :7 echo) answered by ${r.answeredBy.join(', ')}; director dir1 MASTER, dir2 BACKUP`)
    if (typeof r.details['sshInventory'] === 'string') this.log(`  over ssh (dropbear, root, key only): ip netns exec ${r.prefix}-lc hachaos … -i ${r.details['sshInventory']}`)
    if (r.topology === 'bond') this.log(`  bond0 ${String(r.details['mode'])} in the guest (kernel ${String(r.details['kernel'])}); iperf3 servers on ${r.hosts[0]?.ip ?? ''}:8001 and :8002`)
    if (r.vip !== null) this.log(`  VIP ${r.vip} on ${r.vipOwner ?? 'nobody'}; answered by ${r.answeredBy.join(', ') || 'nobody'}`)
    this.log(`  inventory: ${r.inventory}`)
    return r
  }
}
