/**
 * `hachaos lab up|status|down --topology bond`: a real Linux bond (Debian's kernel, bonding.ko) in a QEMU
 * guest under TCG, its two NICs on tap devices bridged with two client namespaces, iperf3 servers on
 * 8001/8002 in the guest (as in the seed), a console broker so that any number of hachaos processes can run
 * argv in the guest (VmExecutor), and QEMU's monitor for cable pulls.
 */
import {mkdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'

import {stringify} from 'yaml'

import {NetnsExecutor} from '../../exec/netns.js'
import {VmExecutor} from '../../exec/vm.js'
import {nowUs} from '../../time.js'
import {writeFileAtomic} from '../../util/atomic.js'
import type {LabDownResult, LabDriver, LabHostView, LabNodeStatus, LabStatus, LabUpOptions, LabUpResult} from '../driver.js'
import {addressUp, createSwitch, finishLabDown, ip, labNotUp, listNetns, plugIntoSwitch, refuseTakenNamespaces, requireBinaries, requireRoot, waitFor} from '../netns-ops.js'
import {inventoryFile, labDir, stateFile} from '../paths.js'
import {labInventoryIni} from '../../inventory/inventory.js'
import {readLabState, writeLabState, type LabState} from '../state.js'
import {ensureGuestImage} from './guest-image.js'
import {addTaps, bootGuest, guestNotReady, ourBroker, ourQemu, requireTun, stopGuest} from './guest-run.js'
import {qemuArgv, type QemuFiles} from './qemu.js'
import {BOND_SUBNET, bondTopology, IPERF_PORTS, kernelCmdline, optionsKey, parseBondLabOptions, PREFIX_LEN, type BondLabOptions, type BondLabTopology} from './topology.js'

export const TOPOLOGY = 'bond'

export interface BondLabExtra {
  options: BondLabOptions
  optionsKey: string
  kernelVersion: string
  files: QemuFiles & {brokerSocket: string; brokerLog: string}
  qemuPid: number | null
  brokerPid: number | null
  members: Array<{dev: string; netdev: string; tap: string; mac: string}>
  bond: string
  switchNs: string
}

export function labFiles(dir: string): BondLabExtra['files'] {
  return {
    consoleLog: join(dir, 'console.log'),
    consoleSocket: join(dir, 'console.sock'),
    monitorSocket: join(dir, 'monitor.sock'),
    pidFile: join(dir, 'qemu.pid'),
    brokerSocket: join(dir, 'hx.sock'),
    brokerLog: join(dir, 'broker.log'),
  }
}

export function bondExtra(st: LabState): BondLabExtra {
  return st.extra as unknown as BondLabExtra
}

const qemuPidOf = (x: BondLabExtra): number | null => ourQemu(x.files, x.qemuPid)
const brokerPidOf = (x: BondLabExtra): number | null => ourBroker(x.brokerPid)

function hostsOf(t: BondLabTopology): LabHostView[] {
  return [
    {name: t.guestName, role: 'bond-host', ns: `${t.switchNs} (qemu)`, ip: t.guestIp, mac: t.members[0]?.mac ?? ''},
    ...t.clients.map((c) => ({name: c.name, role: 'client', ns: c.ns, ip: c.ip, mac: c.mac})),
  ]
}

function renderInventory(t: BondLabTopology, x: BondLabExtra, state: string): string {
  const hosts: Record<string, unknown> = {
    [t.guestName]: {
      address: t.guestIp,
      via: 'vm',
      vm_socket: x.files.brokerSocket,
      roles: ['bond-host'],
      services: 'none',
      facts: {
        bond: 'bond0',
        interface: 'bond0',
        iperf_ports: [...IPERF_PORTS],
        qemu_monitor: x.files.monitorSocket,
        qemu_netdevs: Object.fromEntries(x.members.map((m) => [m.dev, m.netdev])),
      },
    },
  }
  for (const c of t.clients) {
    hosts[c.name] = {address: c.ip, via: 'netns', netns: c.ns, roles: ['client'], services: 'none', facts: {interface: 'eth0', mac: c.mac}}
  }
  const doc = {
    version: 1,
    name: `hachaos lab (${TOPOLOGY}, prefix ${t.prefix}, mode ${x.options.mode})`,
    lab: {topology: TOPOLOGY, prefix: t.prefix, state},
    hosts,
  }
  return `# Written by \`hachaos lab up --topology bond\`; removed by \`hachaos lab down --topology bond\`.\n${stringify(doc)}`
}

async function guestAnswers(sock: string, timeoutMs = 5000): Promise<string | null> {
  try {
    const r = await new VmExecutor('guest', sock).run(['cat', '/sys/class/net/bond0/bonding/mode'], {timeoutMs})
    return r.code === 0 ? r.stdout.trim() : null
  } catch {
    return null
  }
}

export async function labStatus(prefix: string): Promise<LabStatus> {
  const st = readLabState(stateFile(prefix, TOPOLOGY))
  if (st === null) return labNotUp(TOPOLOGY, prefix)
  const x = bondExtra(st)
  const existing = new Set(await listNetns())
  const problems: string[] = []
  for (const ns of st.namespaces) if (!existing.has(ns)) problems.push(`namespace ${ns} is missing`)
  const qpid = qemuPidOf(x)
  const bpid = brokerPidOf(x)
  if (qpid === null) problems.push('QEMU is not running')
  if (bpid === null) problems.push('the console broker is not running')
  const mode = qpid !== null && bpid !== null ? await guestAnswers(x.files.brokerSocket) : null
  if (qpid !== null && bpid !== null && mode === null) problems.push('the guest does not answer on its console')
  const t = bondTopology(prefix)
  const nodes: LabNodeStatus[] = [
    {name: t.guestName, role: 'bond-host', ns: x.switchNs, ip: t.guestIp, mac: x.members[0]?.mac ?? '', nsExists: existing.has(x.switchNs), daemons: [
      {service: 'qemu', running: qpid !== null, pids: qpid === null ? [] : [qpid]},
      {service: 'console-broker', running: bpid !== null, pids: bpid === null ? [] : [bpid]},
    ]},
    ...t.clients.map((c) => ({name: c.name, role: 'client', ns: c.ns, ip: c.ip, mac: c.mac, nsExists: existing.has(c.ns), daemons: []})),
  ]
  return {
    topology: TOPOLOGY,
    prefix,
    up: true,
    healthy: problems.length === 0,
    vip: null,
    vipOwners: [],
    nodes,
    inventory: st.inventory,
    problems,
    details: {mode: mode ?? x.options.mode, options: x.options, kernel: x.kernelVersion, monitor: x.files.monitorSocket},
  }
}

export async function labUp(opts: LabUpOptions): Promise<LabUpResult> {
  const progress = opts.onProgress ?? ((): void => undefined)
  const o = parseBondLabOptions(opts.options)
  requireRoot('hachaos lab up --topology bond')
  requireBinaries(['ip', 'qemu-system-x86_64', 'apt-get', 'apt-cache', 'dpkg'])
  requireTun()
  const t = bondTopology(opts.prefix)
  const dir = labDir(opts.prefix, TOPOLOGY)
  const sf = stateFile(opts.prefix, TOPOLOGY)
  const inv = inventoryFile(opts.prefix, TOPOLOGY)
  const start = nowUs()
  const since = (): number => Math.round((nowUs() - start) / 1000)

  const before = await labStatus(opts.prefix)
  if (before.up) {
    const st = readLabState(sf)
    if (before.healthy && st !== null && bondExtra(st).optionsKey === optionsKey(o)) {
      progress('bond lab is already up and healthy with these options')
      return result(t, bondExtra(st), inv, sf, true, {readyMs: since()})
    }
    progress(before.healthy ? 'bond lab is up with other options: rebuilding it' : `bond lab is half up (${before.problems[0] ?? 'unhealthy'}): rebuilding it`)
    await labDown(opts.prefix)
  }
  const namespaces = [t.switchNs, ...t.clients.map((c) => c.ns)]
  await refuseTakenNamespaces(namespaces, 'HACHAOS_LAB_PREFIX=hc2 hachaos lab up --topology bond', 'or remove leftovers')

  progress('preparing the guest image (kernel, busybox, iperf3 from Debian packages; cached)')
  const img = await ensureGuestImage({progress})
  const imageMs = since()

  const files = labFiles(dir)
  const x: BondLabExtra = {
    options: o,
    optionsKey: optionsKey(o),
    kernelVersion: img.kernelVersion,
    files,
    qemuPid: null,
    brokerPid: null,
    members: t.members.map((m) => ({...m})),
    bond: 'bond0',
    switchNs: t.switchNs,
  }
  const state: LabState = {
    schema: 'hachaos.lab/1',
    topology: TOPOLOGY,
    prefix: opts.prefix,
    dir,
    createdAt: new Date().toISOString(),
    subnet: BOND_SUBNET,
    vip: null,
    namespaces,
    nodes: [
      {name: t.guestName, role: 'bond-host', ns: t.switchNs, ip: t.guestIp, mac: t.members[0]?.mac ?? '', dev: 'bond0'},
      ...t.clients.map((c) => ({name: c.name, role: 'client', ns: c.ns, ip: c.ip, mac: c.mac, dev: 'eth0'})),
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
    await addTaps(t.switchNs, t.bridge, t.members.map((x) => x.tap))
    for (const c of t.clients) {
      await plugIntoSwitch({ns: t.switchNs, bridge: t.bridge}, c.ns, c.swPort, 'eth0', c.mac)
      await addressUp(c.ns, 'eth0', `${c.ip}/${PREFIX_LEN}`)
    }
    const namespacesMs = since()

    progress(`booting the guest under QEMU (TCG, ${o.memMb} MiB): bond0 ${o.mode}, miimon ${o.miimon}${o.arpInterval > 0 ? `, arp_interval ${o.arpInterval} → ${o.arpIpTarget ?? ''}` : ''}`)
    const argv = qemuArgv({kernel: img.kernel, initrd: img.initrd, cmdline: kernelCmdline(o), memMb: o.memMb, nicSpeed: o.nicSpeed, members: t.members, files})
    const timeout = opts.timeoutMs ?? 120_000
    await bootGuest({
      switchNs: t.switchNs,
      argv,
      files,
      timeoutMs: timeout,
      what: 'bond0',
      record: (pids) => {
        x.qemuPid = pids.qemu
        x.brokerPid = pids.broker
        writeLabState(sf, state)
      },
    })
    const bootedMs = since()

    const mode = await waitFor(async () => (await guestAnswers(files.brokerSocket, 3000)) ?? undefined, 20_000, 100)
    if (mode === undefined) throw notReady('the guest does not answer on its console', files.brokerLog)
    const consoleMs = since()

    progress('waiting for the clients to reach bond0 (ping)')
    const reach = await Promise.all(
      t.clients.map((c) =>
        waitFor(async () => ((await new NetnsExecutor(c.name, c.ns).run(['ping', '-n', '-c', '1', '-W', '1', t.guestIp], {timeoutMs: 3000})).code === 0 ? true : undefined), 20_000, 100),
      ),
    )
    if (reach.some((r) => r === undefined)) throw notReady(`a client cannot reach ${t.guestIp}`, files.consoleLog)
    const readyMs = since()
    const invText = renderInventory(t, x, sf)
    writeFileAtomic(inv, invText)
    writeFileAtomic(inv.replace(/\.yaml$/, '.ini'), labInventoryIni(invText, inv))
    writeLabState(sf, state)
    progress(`bond lab up in ${(readyMs / 1000).toFixed(2)} s (guest boot ${((bootedMs - namespacesMs) / 1000).toFixed(2)} s); bond0 ${mode}`)
    return result(t, x, inv, sf, false, {imageMs, namespacesMs, bootedMs, consoleMs, readyMs}, img.downloaded)
  } catch (e) {
    progress('lab up failed: removing what was made')
    await labDown(opts.prefix).catch(() => undefined)
    throw e
  }
}

function result(t: BondLabTopology, x: BondLabExtra, inv: string, sf: string, alreadyUp: boolean, timings: LabUpResult['timings'], downloaded: string[] = []): LabUpResult {
  return {
    topology: TOPOLOGY,
    prefix: t.prefix,
    alreadyUp,
    vip: null,
    vipOwner: null,
    answeredBy: [],
    hosts: hostsOf(t),
    inventory: inv,
    stateFile: sf,
    timings,
    details: {
      mode: x.options.mode,
      options: x.options,
      bond: x.bond,
      kernel: x.kernelVersion,
      members: x.members,
      iperfPorts: [...IPERF_PORTS],
      monitor: x.files.monitorSocket,
      console: x.files.brokerSocket,
      downloaded,
    },
  }
}

const notReady = guestNotReady

export async function labDown(prefix: string): Promise<LabDownResult> {
  requireRoot('hachaos lab down --topology bond')
  const st = readLabState(stateFile(prefix, TOPOLOGY))
  let ended = 0
  if (st !== null) {
    const x = bondExtra(st)
    ended += await stopGuest(x.files, x.qemuPid, x.brokerPid)
  }
  // strayDir: this lab's directory goes even when no state file names it
  return finishLabDown({topology: TOPOLOGY, prefix, dir: labDir(prefix, TOPOLOGY), st, switchSuffix: '-bsw', ended, strayDir: true})
}

export const bondLab: LabDriver = {
  topology: TOPOLOGY,
  summary: 'a real Linux bond (bond0 over eth0/eth1) in a QEMU guest, bridged to client1/client2; iperf3 on 8001/8002',
  up: labUp,
  status: labStatus,
  down: labDown,
}
