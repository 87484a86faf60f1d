/**
 * `hachaos lab up|status|down --topology lvs`: an LVS-DR director pair with the real IPVS. The host kernel
 * has no IPVS, so the directors run in a QEMU guest (Debian's cloud kernel, as the bond lab boots), each in
 * its own network namespace there with real keepalived (VRRP for the VIP, virtual_server with TCP_CHECK);
 * the real servers are two more namespaces in the guest; the client is a namespace on this host. The
 * guest is driven through its console broker (VmExecutor, like the bond lab), cables are pulled through
 * QEMU's monitor (`set_link`).
 */
import {mkdirSync, readFileSync, rmSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {stringify} from 'yaml'

import {HachaosError} from '../../../errors.js'
import {LocalExecutor} from '../../../exec/local.js'
import {NetnsExecutor} from '../../../exec/netns.js'
import {runOk} from '../../../exec/run-ok.js'
import {VmExecutor} from '../../../exec/vm.js'
import {labInventoryIni} from '../../../inventory/inventory.js'
import {ensureGuestImage} from '../../../lab/bond/guest-image.js'
import {addTaps, bootGuest, guestNotReady, ourBroker, ourQemu, requireTun, stopGuest} from '../../../lab/bond/guest-run.js'
import {qemuArgv, type QemuFiles} from '../../../lab/bond/qemu.js'
import type {LabDownResult, LabDriver, LabHostView, LabNodeStatus, LabStatus, LabUpOptions, LabUpResult} from '../../../lab/driver.js'
import {addressUp, createSwitch, finishLabDown, ip, labNotUp, listNetns, plugIntoSwitch, refuseTakenNamespaces, requireBinaries, requireRoot, waitFor} from '../../../lab/netns-ops.js'
import {inventoryFile, labDir, stateFile} from '../../../lab/paths.js'
import {readLabState, writeLabState, type LabState} from '../../../lab/state.js'
import {nowUs} from '../../../time.js'
import {writeFileAtomic} from '../../../util/atomic.js'
import {directorState, type DirectorState} from '../live.js'
import {LVS_FLAVOR, LVS_LD_FLAVOR, RS_HTTPD_ARGV} from './guest.js'
import {CLIENT_KEY_NAME, dropbearArgv, GUEST_HOST_KEY, GUEST_SSH_SETUP_SH, KNOWN_HOSTS_NAME, knownHostsText, parseDropbearPublicKey, SSH_INVENTORY_NAME, SSH_PORT, SSH_USER, sshInventoryDoc} from './ssh.js'
import {keepalivedConf, LB_KIND, ldirectordCf, ldirectordCfPath, ldirectordLogPath, VRRP_INSTANCE} from './render.js'
import {HTTP_PORT, LVS_SUBNET, NAT_GATEWAY, PREFIX_LEN, STREAM_PORT, VIP, lvsTopology, optionsKey, parseLvsLabOptions, type LvsForwarding, type LvsGuestNode, type LvsLabOptions, type LvsLabTopology} from './topology.js'

export const TOPOLOGY = 'lvs'

export interface LvsLabExtra {
  options: LvsLabOptions
  optionsKey: string
  kernelVersion: string
  files: QemuFiles & {brokerSocket: string; brokerLog: string}
  qemuPid: number | null
  brokerPid: number | null
  switchNs: string
  nodes: LvsGuestNode[]
}

export function lvsExtra(st: LabState): LvsLabExtra {
  return st.extra as unknown as LvsLabExtra
}

function labFiles(dir: string): LvsLabExtra['files'] {
  return {
    consoleLog: join(dir, 'console.log'),
    consoleSocket: join(dir, 'console.sock'),
    monitorSocket: join(dir, 'monitor.sock'),
    pidFile: join(dir, 'qemu.pid'),
    brokerSocket: join(dir, 'hx.sock'),
    brokerLog: join(dir, 'broker.log'),
  }
}

const qemuPidOf = (x: LvsLabExtra): number | null => ourQemu(x.files, x.qemuPid)
const brokerPidOf = (x: LvsLabExtra): number | null => ourBroker(x.brokerPid)

/** argv run inside one of the guest's namespaces (iproute2 by path: busybox's own `ip` has no netns). */
export function inGuestNs(ns: string, argv: string[]): string[] {
  return ['/bin/ip', 'netns', 'exec', ns, ...argv]
}

/**
 * keepalived of a director, in the background: Debian's build has no --log-file and the guest no syslog, so it
 * runs in the foreground (-n) logging to the console (-l), redirected to its log file by the guest's shell
 * (the script is fixed text; the log file and argv are positional parameters, never spliced in).
 */
export function keepalivedArgv(director: string): string[] {
  return ['sh', '-c', 'log=$1; shift; "$@" > "$log" 2>&1 < /dev/null &', 'sh', `/run/ka-${director}.log`, ...inGuestNs(director, ['keepalived', '-n', '-l', '-D', '-f', `/etc/keepalived/${director}.conf`, '-p', `/run/ka-${director}.pid`, '-c', `/run/ka-${director}-c.pid`, '-r', `/run/ka-${director}-r.pid`])]
}

/** The forwarding of a lab's state (labs brought up before --forwarding are DR). */
export function forwardingOf(o: LvsLabOptions): LvsForwarding {
  return o.forwarding ?? 'dr'
}

/**
 * Scripts run in a guest namespace (`ip netns exec NS sh -c SCRIPT sh ARGS…`) after the init's DR setup: fixed
 * text, the addresses are positional parameters. NAT director: its inside address, forwarding on, no ICMP
 * redirects (one-armed: the real servers' replies leave by the interface they came in, and a redirect would
 * send them around the director).
 */
export const NAT_DIRECTOR_SH = '/bin/ip addr add "$1" dev eth0 && echo 1 > /proc/sys/net/ipv4/ip_forward && for f in all default eth0; do echo 0 > /proc/sys/net/ipv4/conf/$f/send_redirects; done'
/** NAT real server: no VIP on lo, ARP as usual, the default route through the directors' VRRP gateway. */
export const NAT_REAL_SERVER_SH = '/bin/ip addr del "$1"/32 dev lo && for f in all eth0 lo; do echo 0 > /proc/sys/net/ipv4/conf/$f/arp_ignore; echo 0 > /proc/sys/net/ipv4/conf/$f/arp_announce; done && /bin/ip route add default via "$2"'
/**
 * TUN real server: the VIP moves from lo to tunl0 (ipip's fallback device: it takes IPIP from any source), arp_ignore
 * and arp_announce stay (the init's), rp_filter off (the inner source, the client, is routed out eth0, not tunl0).
 */
export const TUN_REAL_SERVER_SH = '/bin/ip addr del "$1"/32 dev lo && /bin/ip link set tunl0 up && /bin/ip addr add "$1"/32 dev tunl0 && for f in all default tunl0; do echo 0 > /proc/sys/net/ipv4/conf/$f/rp_filter; done'

/** The argv lists that turn the init's DR namespaces into NAT or TUN ones (none for DR). */
export function forwardingSetup(t: LvsLabTopology, forwarding: LvsForwarding): Array<{node: string; argv: string[]}> {
  const out: Array<{node: string; argv: string[]}> = []
  for (const n of t.nodes) {
    const sh = (script: string, ...args: string[]): void => {
      out.push({node: n.name, argv: inGuestNs(n.name, ['sh', '-c', script, 'sh', ...args])})
    }
    if (forwarding === 'nat' && n.role === 'director' && n.insideIp !== null) sh(NAT_DIRECTOR_SH, `${n.insideIp}/${PREFIX_LEN}`)
    if (forwarding === 'nat' && n.role === 'real-server') sh(NAT_REAL_SERVER_SH, VIP, NAT_GATEWAY)
    if (forwarding === 'tun' && n.role === 'real-server') sh(TUN_REAL_SERVER_SH, VIP)
  }
  return out
}
/**
 * ldirectord of a director (--health ldirectord), started like keepalived: `ldirectord CF start` forks its
 * daemon (pid file /var/run/ldirectord.ld-DIRECTOR.pid) in the director's namespace; its own messages go to
 * the cf's logfile, what it prints before that to /run/ld-DIRECTOR.out.
 */
export function ldirectordArgv(director: string): string[] {
  return ['sh', '-c', 'log=$1; shift; "$@" > "$log" 2>&1 < /dev/null &', 'sh', `/run/ld-${director}.out`, ...inGuestNs(director, ['/usr/sbin/ldirectord', ldirectordCfPath(director), 'start'])]
}

/**
 * ldirectord's loop costs in this guest (TCG) while a real-server drill runs (the table poller, the probes,
 * the other director's ldirectord share the guest's one CPU), measured from `ldirectord -d` with each line
 * stamped with /proc/uptime (test/fixtures/lvs/d1-ldirectord-debug-drill.txt): an answering check 29 ms
 * median, 120 ms p90; a healthy loop of 4 checks 1.10–2.01 s at checkinterval 1 (so 4 × check + overhead
 * spans 0.10–1.01 s: check 25–150 ms, overhead 0–410 ms); the removal (the failing check's end → `ipvsadm -d`
 * done: ldirectord reads the table with a forked `ipvsadm -L -n` first) 0.40–0.61 s, bounded here at 0.65 s.
 * Idle, the loop takes 1.16–1.30 s (d2-ldirectord-debug-uptime.txt).
 */
export const LAB_LD_LOOP = {check_ms: [25, 150], cycle_overhead_ms: [0, 410], remove_ms: [400, 650]} as const

/** What ldirectord's sockets look up (IO::Socket::INET6: getprotobyname; LWP: the http service); the image has no netbase. */
const NETBASE_PROTOCOLS = 'ip 0 IP\nicmp 1 ICMP\ntcp 6 TCP\nudp 17 UDP\n'
const NETBASE_SERVICES = 'echo 7/tcp\nhttp 80/tcp www\n'

function hostsOf(t: LvsLabTopology): LabHostView[] {
  return [
    ...t.nodes.map((n) => ({name: n.name, role: n.role, ns: `${n.name} (in the guest)`, ip: n.ip, mac: n.mac})),
    {name: t.client.name, role: 'client', ns: t.client.ns, ip: t.client.ip, mac: t.client.mac},
  ]
}

export function inventoryDoc(t: LvsLabTopology, x: LvsLabExtra, state: string): Record<string, unknown> {
  const hosts: Record<string, unknown> = {}
  for (const n of t.nodes) {
    hosts[n.name] = {
      address: n.ip,
      via: 'vm',
      vm_socket: x.files.brokerSocket,
      vm_netns: n.name,
      roles: [n.role === 'director' ? 'lvs-director' : 'lvs-real-server'],
      services: 'none',
      facts: {
        interface: 'eth0',
        mac: n.mac,
        qemu_monitor: x.files.monitorSocket,
        qemu_netdev: n.netdev,
        ...(n.role === 'director' ? {priority: n.priority, keepalived_conf: `/etc/keepalived/${n.name}.conf`, keepalived_log: `/run/ka-${n.name}.log`, lvs_sync: x.options.sync, lvs_stream_port: STREAM_PORT, lvs_forwarding: LB_KIND[forwardingOf(x.options)]} : {}),
        ...(n.role === 'director' && x.options.health === 'ldirectord' ? {ldirectord_cf: ldirectordCfPath(n.name), ldirectord_log: ldirectordLogPath(n.name), ldirectord_loop: {check_ms: [...LAB_LD_LOOP.check_ms], cycle_overhead_ms: [...LAB_LD_LOOP.cycle_overhead_ms], remove_ms: [...LAB_LD_LOOP.remove_ms]}} : {}),
        // No service control in the guest (services: none): how a killed daemon is started again on revert.
        lab_start: n.role === 'director' ? {keepalived: keepalivedArgv(n.name), ...(x.options.health === 'ldirectord' ? {ldirectord: ldirectordArgv(n.name)} : {})} : {httpd: [...RS_HTTPD_ARGV, `/www/${n.name}`]},
      },
    }
  }
  hosts[t.client.name] = {address: t.client.ip, via: 'netns', netns: t.client.ns, roles: ['client'], services: 'none', facts: {interface: 'eth0', mac: t.client.mac}}
  const doc = {
    version: 1,
    name: `hachaos lab (${TOPOLOGY}, prefix ${t.prefix}, ${LB_KIND[forwardingOf(x.options)]}${x.options.sync ? ', sync' : ''})`,
    vip: VIP,
    lab: {topology: TOPOLOGY, prefix: t.prefix, state},
    hosts,
  }
  return doc
}

const INVENTORY_HEADER = '# Written by `hachaos lab up --topology lvs`; removed by `hachaos lab down --topology lvs`.\n'

function renderInventory(t: LvsLabTopology, x: LvsLabExtra, state: string): string {
  return `${INVENTORY_HEADER}${stringify(inventoryDoc(t, x, state))}`
}

/**
 * `--ssh`: the client key (ssh-keygen, in the lab directory), the guest's authorized_keys and host key
 * (dropbearkey), a dropbear in each guest namespace, known_hosts, and a first `ssh … true` to each from the
 * client namespace (with the options the ssh executor uses) before the inventory says they answer.
 */
async function startSsh(vm: VmExecutor, t: LvsLabTopology, dir: string, progress: (m: string) => void): Promise<{key: string; knownHosts: string}> {
  const key = join(dir, CLIENT_KEY_NAME)
  const knownHosts = join(dir, KNOWN_HOSTS_NAME)
  rmSync(key, {force: true})
  rmSync(`${key}.pub`, {force: true})
  await runOk(new LocalExecutor(), ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `hachaos-lab-${t.prefix}`, '-f', key], {timeoutMs: 15_000, what: 'ssh-keygen (the lab\'s client key)'})
  const pub = readFileSync(`${key}.pub`, 'utf8')
  const setup = await runOk(vm, ['sh', '-c', GUEST_SSH_SETUP_SH, 'sh', GUEST_HOST_KEY], {input: pub, timeoutMs: 30_000, what: 'ssh set-up in the guest (authorized_keys, dropbearkey)'})
  const hostKey = parseDropbearPublicKey(setup.stdout)
  writeFileAtomic(knownHosts, knownHostsText(t.nodes.map((n) => n.ip), hostKey))
  progress(`starting dropbear (root, key only, :${SSH_PORT}) in ${t.nodes.map((n) => n.name).join(', ')}`)
  for (const n of t.nodes) await runOk(vm, dropbearArgv(n.name, n.ip), {timeoutMs: 15_000, what: `dropbear in ${n.name}`, suggestions: [`its log in the guest: /run/dropbear-${n.name}.log`]})
  const client = new NetnsExecutor('client', t.client.ns)
  const sshTrue = (ip: string): string[] => ['ssh', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'ConnectTimeout=5', '-i', key, '-l', SSH_USER, '--', ip, 'true']
  await Promise.all(
    t.nodes.map(async (n) => {
      let last = ''
      const ok = await waitFor(async () => {
        const r = await client.run(sshTrue(n.ip), {timeoutMs: 15_000})
        last = r.stderr.trim().split('\n').pop() ?? ''
        return r.code === 0 ? true : undefined
      }, 30_000, 200)
      if (ok === undefined) throw new HachaosError(`dropbear in ${n.name} does not let the lab's key in from the client (${n.ip}:${SSH_PORT}): ${last}`, {code: 'E_LAB_SSH', exit: 'ENVIRONMENT', suggestions: [`its log in the guest: /run/dropbear-${n.name}.log`]})
    }),
  )
  return {key, knownHosts}
}

/** One HTTP GET through the VIP from the client: the real server's name, or null. */
export async function clientGet(t: LvsLabTopology, timeoutS = 1): Promise<string | null> {
  const r = await new NetnsExecutor('client', t.client.ns).run(['curl', '-s', '-m', String(timeoutS), `http://${VIP}:${HTTP_PORT}/`], {timeoutMs: timeoutS * 1000 + 2000})
  return r.code === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : null
}

export async function labStatus(prefix: string): Promise<LabStatus> {
  const st = readLabState(stateFile(prefix, TOPOLOGY))
  if (st === null) return labNotUp(TOPOLOGY, prefix)
  const x = lvsExtra(st)
  const existing = new Set(await listNetns())
  const problems: string[] = []
  for (const ns of st.namespaces) if (!existing.has(ns)) problems.push(`namespace ${ns} is missing`)
  const qpid = qemuPidOf(x)
  const bpid = brokerPidOf(x)
  if (qpid === null) problems.push('QEMU is not running')
  if (bpid === null) problems.push('the console broker is not running')
  const t = lvsTopology(prefix, forwardingOf(x.options))
  const directors: DirectorState[] = []
  if (qpid !== null && bpid !== null) {
    const vm = new VmExecutor('guest', x.files.brokerSocket)
    for (const n of t.nodes.filter((d) => d.role === 'director')) {
      try {
        directors.push(await directorState(vm, n.name, (argv) => inGuestNs(n.name, argv), `/run/ka-${n.name}.log`, {vip: VIP, instance: VRRP_INSTANCE}))
      } catch (e) {
        problems.push(`director ${n.name} does not answer: ${(e as Error).message}`)
      }
    }
    for (const d of directors) if (!d.keepalivedRunning) problems.push(`keepalived is not running in ${d.name}`)
  }
  const owners = directors.filter((d) => d.holdsVip).map((d) => d.name)
  if (directors.length === 2 && owners.length !== 1) problems.push(`VIP ${VIP} is held by ${owners.length === 0 ? 'no director' : owners.join(' and ')}`)
  const nodes: LabNodeStatus[] = [
    ...t.nodes.map((n) => {
      const d = directors.find((y) => y.name === n.name)
      return {name: n.name, role: n.role, ns: n.name, ip: n.ip, mac: n.mac, nsExists: qpid !== null, daemons: d === undefined ? [] : [{service: 'keepalived', running: d.keepalivedRunning, pids: d.keepalivedPids}]}
    }),
    {name: t.client.name, role: 'client', ns: t.client.ns, ip: t.client.ip, mac: t.client.mac, nsExists: existing.has(t.client.ns), daemons: []},
  ]
  return {
    topology: TOPOLOGY,
    prefix,
    up: true,
    healthy: problems.length === 0,
    vip: VIP,
    vipOwners: owners,
    nodes,
    inventory: st.inventory,
    problems,
    details: {forwarding: LB_KIND[forwardingOf(x.options)], persistence: x.options.persistence ?? 0, options: x.options, kernel: x.kernelVersion, monitor: x.files.monitorSocket, directors, qemu: qpid === null ? [] : [qpid]},
  }
}

export async function labUp(opts: LabUpOptions): Promise<LabUpResult> {
  const progress = opts.onProgress ?? ((): void => undefined)
  const o = parseLvsLabOptions(opts.options)
  requireRoot('hachaos lab up --topology lvs')
  requireBinaries(['ip', 'qemu-system-x86_64', 'apt-get', 'apt-cache', 'dpkg', 'curl'])
  requireTun()
  const t = lvsTopology(opts.prefix, o.forwarding)
  const dir = labDir(opts.prefix, TOPOLOGY)
  const sf = stateFile(opts.prefix, TOPOLOGY)
  const inv = inventoryFile(opts.prefix, TOPOLOGY)
  const start = nowUs()
  const since = (): number => Math.round((nowUs() - start) / 1000)

  const before = await labStatus(opts.prefix)
  if (before.up) {
    const st = readLabState(sf)
    if (before.healthy && st !== null && lvsExtra(st).optionsKey === optionsKey(o)) {
      progress('LVS lab is already up and healthy with these options')
      return result(t, lvsExtra(st), inv, sf, true, {readyMs: since()}, [])
    }
    progress(before.healthy ? 'LVS lab is up with other options: rebuilding it' : `LVS lab is half up (${before.problems[0] ?? 'unhealthy'}): rebuilding it`)
    await labDown(opts.prefix)
  }
  const namespaces = [t.switchNs, t.client.ns]
  await refuseTakenNamespaces(namespaces, 'HACHAOS_LAB_PREFIX=hc2 hachaos lab up --topology lvs', 'or remove leftovers')

  progress('preparing the guest image (kernel, busybox, keepalived, ipvsadm, iproute2 from Debian packages; cached)')
  if (o.health === 'ldirectord') progress('ldirectord: the image also holds perl and ldirectord 4.12 with the perl modules it loads (its own flavor, cached)')
  const img = await ensureGuestImage({progress, flavor: o.health === 'ldirectord' ? LVS_LD_FLAVOR : LVS_FLAVOR})
  const imageMs = since()
  const files = labFiles(dir)
  const x: LvsLabExtra = {options: o, optionsKey: optionsKey(o), kernelVersion: img.kernelVersion, files, qemuPid: null, brokerPid: null, switchNs: t.switchNs, nodes: t.nodes}
  const state: LabState = {
    schema: 'hachaos.lab/1',
    topology: TOPOLOGY,
    prefix: opts.prefix,
    dir,
    createdAt: new Date().toISOString(),
    subnet: LVS_SUBNET,
    vip: VIP,
    namespaces,
    nodes: [
      ...t.nodes.map((n) => ({name: n.name, role: n.role, ns: n.name, ip: n.ip, mac: n.mac, dev: 'eth0'})),
      {name: t.client.name, role: 'client', ns: t.client.ns, ip: t.client.ip, mac: t.client.mac, dev: 'eth0'},
    ],
    daemons: [],
    inventory: inv,
    extra: x as unknown as Record<string, unknown>,
  }
  rmSync(dir, {recursive: true, force: true})
  mkdirSync(dir, {recursive: true, mode: 0o755})
  writeLabState(sf, state)

  try {
    progress(`creating namespaces ${namespaces.join(', ')}`)
    await createSwitch(t.switchNs, t.bridge, ['stp_state', '0', 'forward_delay', '0'])
    await addTaps(t.switchNs, t.bridge, t.nodes.map((x) => x.tap))
    await plugIntoSwitch({ns: t.switchNs, bridge: t.bridge}, t.client.ns, t.client.swPort, 'eth0', t.client.mac)
    await addressUp(t.client.ns, 'eth0', `${t.client.ip}/${PREFIX_LEN}`)
    const namespacesMs = since()

    progress(`booting the guest under QEMU (TCG, ${o.memMb} MiB): directors dir1, dir2 and real servers rs1, rs2 as namespaces`)
    const cmdline = ['console=ttyS0', 'quiet', 'panic=-1', `hx.vip=${VIP}`, `hx.nodes=${t.nodes.map((n) => `${n.name}:${n.ip}`).join(',')}`].join(' ')
    const members = t.nodes.map((n) => ({dev: n.guestDev, netdev: n.netdev, tap: n.tap, mac: n.mac}))
    const argv = qemuArgv({kernel: img.kernel, initrd: img.initrd, cmdline, memMb: o.memMb, nicSpeed: false, members, files})
    const timeout = opts.timeoutMs ?? 120_000
    await bootGuest({
      switchNs: t.switchNs,
      argv,
      files,
      timeoutMs: timeout,
      what: 'its namespaces',
      record: (pids) => {
        x.qemuPid = pids.qemu
        x.brokerPid = pids.broker
        writeLabState(sf, state)
      },
    })
    const bootedMs = since()
    const vm = new VmExecutor('guest', files.brokerSocket)
    const answers = await waitFor(async () => {
      try {
        return (await vm.run(['true'], {timeoutMs: 3000})).code === 0 ? true : undefined
      } catch {
        return undefined
      }
    }, 20_000, 100)
    if (answers === undefined) throw notReady('the guest does not answer on its console', files.brokerLog)

    const setup = forwardingSetup(t, o.forwarding)
    if (setup.length > 0) progress(`LVS-${LB_KIND[o.forwarding]}: ${o.forwarding === 'nat' ? `directors forward (ip_forward=1, send_redirects=0) on ${NAT_GATEWAY}'s subnet, real servers route through it, no VIP on their lo` : 'real servers: the VIP on tunl0 (ipip), rp_filter=0'}`)
    for (const s of setup) await runOk(vm, s.argv, {timeoutMs: 15_000, what: `LVS-${LB_KIND[o.forwarding]} setup of ${s.node}`})

    const writeFile = (path: string, text: string, mode = '644'): Promise<unknown> => runOk(vm, ['sh', '-c', 'cat > "$1" && chmod "$2" "$1"', 'sh', path, mode], {input: text, what: `writing ${path} in the guest`})
    if (o.health === 'ldirectord') {
      await writeFile('/etc/protocols', NETBASE_PROTOCOLS)
      await writeFile('/etc/services', NETBASE_SERVICES)
      await runOk(vm, ['mkdir', '-p', '/etc/ha.d'], {what: 'mkdir /etc/ha.d in the guest'})
    }
    progress(`starting keepalived in dir1 and dir2 (${LB_KIND[o.forwarding]}${o.persistence > 0 ? `, persistence ${o.persistence} s` : ''}, ${o.scheduler}${o.sync ? ', lvs_sync_daemon' : ''}${o.health === 'ldirectord' ? ', VRRP only: ldirectord manages IPVS' : `, ${o.checker.toUpperCase()} checker on :${HTTP_PORT}`})`)
    for (const d of t.nodes.filter((n) => n.role === 'director')) {
      const conf = `/etc/keepalived/${d.name}.conf`
      await writeFile(conf, keepalivedConf(d, o, opts.prefix))
      await runOk(vm, keepalivedArgv(d.name), {timeoutMs: 15_000, what: `keepalived in ${d.name}`, suggestions: [`its log in the guest: /run/ka-${d.name}.log`]})
      if (o.health === 'ldirectord') {
        await writeFile(ldirectordCfPath(d.name), ldirectordCf(d, o, opts.prefix))
        await runOk(vm, ldirectordArgv(d.name), {timeoutMs: 15_000, what: `ldirectord in ${d.name}`, suggestions: [`its output in the guest: /run/ld-${d.name}.out and ${ldirectordLogPath(d.name)}`]})
      }
    }
    const keepalivedMs = since()

    // persistence sends one client to one real server (the template) for persistence_timeout: one answer is all there is
    const wanted = o.persistence > 0 ? 1 : 2
    // ldirectord starts slowly under TCG: perl compiles ~5 s, then it adds, drops and re-adds each real server
    // (its start-up pass) with a forked ipvsadm each time: 25–35 s measured until both answer
    const readyWaitMs = o.health === 'ldirectord' ? 90_000 : 30_000
    progress(`waiting for ${VIP}:${HTTP_PORT} to answer from ${wanted === 2 ? 'rs1 and rs2' : 'a real server (persistence: the client sticks to one)'} (client)`)
    const seen = new Set<string>()
    const both = await waitFor(async () => {
      const who = await clientGet(t)
      if (who !== null) seen.add(who)
      return seen.size >= wanted ? true : undefined
    }, readyWaitMs, 50)
    if (both === undefined) throw notReady(`the VIP did not answer from ${wanted === 2 ? 'both real servers' : 'a real server'} within ${readyWaitMs / 1000} s (answered: ${[...seen].join(', ') || 'none'})`, files.consoleLog)
    const readyMs = since()
    const invText = renderInventory(t, x, sf)
    writeFileAtomic(inv, invText)
    writeFileAtomic(inv.replace(/\.yaml$/, '.ini'), labInventoryIni(invText, inv))
    let sshMs: number | undefined
    if (o.ssh === true) {
      const keys = await startSsh(vm, t, dir, progress)
      writeFileAtomic(sshInventoryFile(inv), `${INVENTORY_HEADER}${stringify(sshInventoryDoc(inventoryDoc(t, x, sf), {key: keys.key, knownHostsFile: keys.knownHosts}))}`)
      sshMs = since()
    }
    writeLabState(sf, state)
    progress(`LVS lab up in ${(readyMs / 1000).toFixed(2)} s (guest boot ${((bootedMs - namespacesMs) / 1000).toFixed(2)} s)${sshMs === undefined ? '' : `, ssh ready at ${(sshMs / 1000).toFixed(2)} s`}`)
    return result(t, x, inv, sf, false, {imageMs, namespacesMs, bootedMs, keepalivedMs, readyMs, ...(sshMs === undefined ? {} : {sshMs})}, [...seen].sort(), img.downloaded)
  } catch (e) {
    progress('lab up failed: removing what was made')
    await labDown(opts.prefix).catch(() => undefined)
    throw e
  }
}

function result(t: LvsLabTopology, x: LvsLabExtra, inv: string, sf: string, alreadyUp: boolean, timings: LabUpResult['timings'], answeredBy: string[], downloaded: string[] = []): LabUpResult {
  return {
    topology: TOPOLOGY,
    prefix: t.prefix,
    alreadyUp,
    vip: VIP,
    vipOwner: 'dir1',
    answeredBy,
    hosts: hostsOf(t),
    inventory: inv,
    stateFile: sf,
    timings,
    details: {...(x.options.ssh === true ? {sshInventory: sshInventoryFile(inv)} : {}), forwarding: LB_KIND[forwardingOf(x.options)], persistence: x.options.persistence ?? 0, scheduler: x.options.scheduler, sync: x.options.sync, checker: x.options.checker ?? 'tcp', health: x.options.health ?? 'keepalived', options: x.options, kernel: x.kernelVersion, services: [`${VIP}:${HTTP_PORT}`, `${VIP}:${STREAM_PORT}`], monitor: x.files.monitorSocket, console: x.files.brokerSocket, downloaded},
  }
}

const notReady = guestNotReady

/** inventory-ssh.yaml next to the lab's inventory.yaml. */
export function sshInventoryFile(inv: string): string {
  return join(dirname(inv), SSH_INVENTORY_NAME)
}

export async function labDown(prefix: string): Promise<LabDownResult> {
  requireRoot('hachaos lab down --topology lvs')
  const st = readLabState(stateFile(prefix, TOPOLOGY))
  let ended = 0
  if (st !== null) {
    const x = lvsExtra(st)
    ended += await stopGuest(x.files, x.qemuPid, x.brokerPid)
  }
  return finishLabDown({topology: TOPOLOGY, prefix, dir: labDir(prefix, TOPOLOGY), st, switchSuffix: '-lsw', ended, strayDir: true})
}

export const lvsLab: LabDriver = {
  topology: TOPOLOGY,
  summary: 'an LVS director pair (real IPVS + keepalived in a QEMU guest: dir1, dir2) with real servers rs1, rs2 and a client; --forwarding dr|nat|tun, --persistence, --sync for lvs_sync_daemon',
  up: labUp,
  status: labStatus,
  down: labDown,
}
