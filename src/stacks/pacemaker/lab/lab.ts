/**
 * `hachaos lab up|status|down --topology pacemaker`: a real Corosync 3 + Pacemaker 2 cluster of 2 or 3
 * nodes on this machine. Every node is its own network + PID + mount + UTS namespace (../node-ns.ts; its init is PID 1
 * there, started by the node's "chassis" on this machine, which can also power it off and cycle it for the
 * lab fence agent); a client namespace and the nodes hang on a bridge in PREFIX-pksw.
 * The CIB is written offline before start (short dc-deadtime) and corosync's token is short, so the
 * cluster forms in seconds. Recipe and measured timings: ../shared/labs/README.md section 2.
 */
import {randomBytes} from 'node:crypto'
import {chmodSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {stringify} from 'yaml'

import {HachaosError} from '../../../errors.js'
import {failedLabUp, labNotReady} from '../../../lab/lab-up.js'
import {LocalExecutor} from '../../../exec/local.js'
import {NetnsExecutor} from '../../../exec/netns.js'
import {runOk} from '../../../exec/run-ok.js'
import {clusterHealth, placementOf, readCrmMon} from '../crm-mon.js'
import type {ClusterState} from '../../../config/crm-mon.js'
import {nowUs} from '../../../time.js'
import {writeFileAtomic} from '../../../util/atomic.js'
import {mkdirOwned, nodeExecutor, processesInNode, readInitPid, writeOwned} from '../../../lab/node-ns.js'
import {addressUp, alive, createSwitch, finishLabDown, labNotUp, listNetns, logTail, plugIntoSwitch, refuseTakenNamespaces, requireBinaries, requireRoot, startDetached, subnetTakenOnHost, terminate, vipOwners, waitFor} from '../../../lab/netns-ops.js'
import {inventoryFile, labDir, stateFile} from '../../../lab/paths.js'
import {labInventoryIni} from '../../../inventory/inventory.js'
import {readLabState, writeLabState, type LabDaemon, type LabState} from '../../../lab/state.js'
import type {DaemonStatus, LabDownResult, LabDriver, LabHostView, LabNodeStatus, LabStatus, LabUpOptions, LabUpResult} from '../../../lab/driver.js'
import {crmConfigOptions, fenceXml, groupXml, renderApacheConf, renderCorosyncConf, renderIndex, rscDefaultsXml} from './render.js'
import {CHASSIS_SH, FENCE_AGENT, FENCE_AGENT_SH, NODE_INIT_SH, NODE_SHARED, RC_SH} from './scripts.js'
import {DEFAULT_SUBNET, TOPOLOGY, pacemakerTopology, type PkNode, type PkTopology} from './topology.js'

export {TOPOLOGY}

const local = new LocalExecutor()

/** Daemons `lab status` expects on every powered node. */
const STACK = ['corosync', 'pacemakerd', 'pacemaker-based', 'pacemaker-fenced', 'pacemaker-execd', 'pacemaker-attrd', 'pacemaker-schedulerd', 'pacemaker-controld']

export interface PkPaths {
  dir: string
  shared: string
  bin: string
  sbin: string
  power: string
  node(name: string): string
  initPidFile(name: string): string
  chassisPidFile(name: string): string
}

export function pkPaths(dir: string): PkPaths {
  const shared = join(dir, 'shared')
  return {
    dir,
    shared,
    bin: join(shared, 'bin'),
    sbin: join(shared, 'sbin'),
    power: join(shared, 'power'),
    node: (n) => join(dir, 'nodes', n),
    initPidFile: (n) => join(dir, 'nodes', n, 'init.pid'),
    chassisPidFile: (n) => join(dir, 'nodes', n, 'chassis.pid'),
  }
}

/** What the state file keeps beyond the common LabState. */
export interface PkExtra {
  fencing: boolean
  clusterName: string
  group: string
  vipResource: string
  clientNs: string
  switchNs: string
  tokenMs: number
  dcDeadtime: string
  /** Host PID of every node's chassis. */
  chassis: Record<string, number>
  [k: string]: unknown
}

function extraOf(st: LabState): PkExtra {
  return st.extra as PkExtra
}

function idOf(name: string, kind: 'user' | 'group'): number {
  // /etc/passwd and /etc/group: the lab needs the hacluster/haclient ids pacemaker's packages created.
  const file = kind === 'user' ? '/etc/passwd' : '/etc/group'
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`))
  const id = line === undefined ? NaN : Number(line.split(':')[2])
  if (!Number.isInteger(id)) {
    throw new HachaosError(`no ${kind} ${name} on this machine: is pacemaker installed?`, {
      code: 'E_MISSING_BINARY',
      exit: 'ENVIRONMENT',
      suggestions: ['apt-get install pacemaker corosync   (or run scripts/setup.sh)'],
    })
  }
  return id
}

/** The seed CIB, built offline with Pacemaker's own tools (`CIB_file=…`), before any daemon runs. */
async function buildSeedCib(t: PkTopology, file: string): Promise<void> {
  const empty = await runOk(local, ['cibadmin', '--empty'], {what: 'cibadmin --empty'})
  writeFileSync(file, empty.stdout, {mode: 0o600})
  const env = {CIB_file: file}
  for (const [name, value] of crmConfigOptions(t)) {
    await runOk(local, ['crm_attribute', '--type', 'crm_config', '--name', name, '--update', value], {env, what: `crm_attribute ${name}=${value}`})
  }
  // (crm_attribute --type rsc_defaults cannot do this offline in 2.1.5: "Could not map name=… to a UUID")
  await runOk(local, ['cibadmin', '--create', '--scope', 'configuration', '--xml-text', rscDefaultsXml()], {env, what: 'cibadmin --create rsc_defaults'})
  await runOk(local, ['cibadmin', '--create', '--scope', 'resources', '--xml-text', groupXml(t)], {env, what: `cibadmin --create group ${t.group}`})
  if (t.fencing) await runOk(local, ['cibadmin', '--create', '--scope', 'resources', '--xml-text', fenceXml(t)], {env, what: 'cibadmin --create fence device'})
}

function writeLabFiles(t: PkTopology, p: PkPaths, seedCib: string): void {
  const hacluster = idOf('hacluster', 'user')
  const haclient = idOf('haclient', 'group')
  mkdirOwned(p.bin, 0o755)
  mkdirOwned(p.sbin, 0o755)
  mkdirOwned(p.power, 0o700)
  writeOwned(join(p.bin, 'node-init.sh'), NODE_INIT_SH, 0o755)
  writeOwned(join(p.bin, 'chassis.sh'), CHASSIS_SH, 0o755)
  writeOwned(join(p.bin, 'hachaos-rc'), RC_SH, 0o755)
  writeOwned(join(p.sbin, FENCE_AGENT), FENCE_AGENT_SH, 0o755)
  writeOwned(join(p.shared, 'apache2.conf'), renderApacheConf(), 0o644)
  const authkey = randomBytes(256)
  const conf = renderCorosyncConf(t)
  const cib = readFileSync(seedCib)
  for (const n of t.nodes) {
    const d = p.node(n.name)
    mkdirOwned(d, 0o755)
    mkdirOwned(join(d, 'newrun'), 0o755)
    mkdirOwned(join(d, 'etc-corosync'), 0o755)
    mkdirOwned(join(d, 'etc-corosync', 'uidgid.d'), 0o755)
    writeOwned(join(d, 'etc-corosync', 'corosync.conf'), conf, 0o644)
    writeOwned(join(d, 'etc-corosync', 'authkey'), authkey, 0o400)
    mkdirOwned(join(d, 'var-lib-corosync'), 0o700)
    mkdirOwned(join(d, 'var-lib-pacemaker'), 0o755, hacluster, haclient)
    for (const s of ['blackbox', 'cib', 'cores', 'pengine']) mkdirOwned(join(d, 'var-lib-pacemaker', s), 0o750, hacluster, haclient)
    writeOwned(join(d, 'var-lib-pacemaker', 'cib', 'cib.xml'), cib, 0o600, hacluster, haclient)
    mkdirOwned(join(d, 'var-log'), 0o755)
    for (const s of ['corosync', 'apache2', 'hachaos', 'crmsh']) mkdirOwned(join(d, 'var-log', s), 0o755)
    mkdirOwned(join(d, 'var-log', 'pacemaker'), 0o770, hacluster, haclient)
    mkdirOwned(join(d, 'var-log', 'pacemaker', 'bundles'), 0o770, hacluster, haclient)
    mkdirOwned(join(d, 'www'), 0o755)
    writeOwned(join(d, 'www', 'index.html'), renderIndex(n), 0o644)
  }
}

/** The power state a node's chassis reports: on, off, or null (no chassis report yet). */
export function powerState(p: PkPaths, node: string): 'on' | 'off' | null {
  try {
    const w = readFileSync(join(p.power, `${node}.state`), 'utf8').trim().split(/\s+/)[0]
    return w === 'on' || w === 'off' ? w : null
  } catch {
    return null
  }
}

function chassisArgv(t: PkTopology, p: PkPaths, n: PkNode, autostart: boolean): string[] {
  return ['bash', join(p.bin, 'chassis.sh'), n.name, n.ns, p.node(n.name), p.shared, `${n.ip}/${t.prefixLen}`, t.dev, autostart ? 'yes' : 'no']
}

function daemonsOf(t: PkTopology, p: PkPaths): LabDaemon[] {
  const rc = `${NODE_SHARED}/bin/hachaos-rc`
  const out: LabDaemon[] = []
  for (const n of t.nodes) {
    const log = join(p.node(n.name), 'var-log', 'hachaos', 'rc.log')
    const initPidFile = p.initPidFile(n.name)
    out.push(
      {node: n.name, service: 'corosync', comm: 'corosync', ns: null, argv: [rc, 'start', 'corosync'], log, initPidFile, control: {start: [rc, 'start', 'corosync'], stop: [rc, 'stop', 'corosync']}},
      // "pacemaker" = the whole stack, as systemd's pacemaker.service (Requires=corosync.service)
      {node: n.name, service: 'pacemaker', comm: 'pacemakerd', ns: null, argv: [rc, 'start', 'pacemaker'], log, initPidFile, control: {start: [rc, 'start', 'pacemaker'], stop: [rc, 'stop', 'pacemaker']}},
    )
  }
  return out
}

function renderInventory(t: PkTopology, p: PkPaths, state: string): string {
  const hosts: Record<string, unknown> = {}
  for (const n of t.nodes) {
    hosts[n.name] = {
      address: n.ip,
      via: 'nsenter',
      init_pid_file: p.initPidFile(n.name),
      roles: ['cluster-node'],
      services: 'lab',
      facts: {
        interface: t.dev,
        vip: t.vip,
        corosync_conf: '/etc/corosync/corosync.conf',
        cluster_node: n.name,
        cluster_group: t.group,
        netns: n.ns,
        mac: n.mac,
      },
    }
  }
  hosts['client'] = {address: t.clientIp, via: 'netns', netns: t.clientNs, roles: ['client'], services: 'none', facts: {interface: t.dev, mac: t.clientMac}}
  const doc = {version: 1, name: `hachaos lab (${TOPOLOGY}, prefix ${t.prefix}${t.fencing ? ', fencing' : ''})`, vip: t.vip, lab: {topology: TOPOLOGY, prefix: t.prefix, state}, hosts}
  return `# Written by \`hachaos lab up --topology pacemaker\`; removed by \`hachaos lab down\`.\n# Cluster nodes are reached with nsenter into their init (own PID, mount, UTS and network namespaces).\n${stringify(doc)}`
}

/** One HTTP GET from the client namespace; the node that answered ("served by nX"), or null. */
export async function clientGet(clientNs: string, url: string, timeoutS = 1): Promise<string | null> {
  const r = await new NetnsExecutor('client', clientNs).run(['curl', '-s', '-m', String(timeoutS), url])
  if (r.code !== 0) return null
  return /served by (\S+)/.exec(r.stdout)?.[1] ?? null
}

/** crm_mon from the first node that answers (the DC's view when possible). */
export async function labCrmMon(st: LabState): Promise<{host: string; state: ClusterState} | null> {
  for (const n of st.nodes.filter((x) => x.role === 'cluster-node')) {
    const pidFile = pkPaths(st.dir).initPidFile(n.name)
    if (readInitPid(pidFile) === null) continue
    try {
      const r = await readCrmMon(nodeExecutor(n.name, pidFile), {timeoutMs: 5000})
      if (r.state.dc !== null || n === st.nodes[st.nodes.length - 1]) return {host: n.name, state: r.state}
    } catch {
      // not answering: next node
    }
  }
  return null
}

export async function labStatus(prefix: string): Promise<LabStatus> {
  const st = readLabState(stateFile(prefix, TOPOLOGY))
  if (st === null) return labNotUp(TOPOLOGY, prefix)
  const x = extraOf(st)
  const p = pkPaths(st.dir)
  const existing = new Set(await listNetns())
  const problems: string[] = []
  for (const ns of st.namespaces) if (!existing.has(ns)) problems.push(`namespace ${ns} is missing`)
  const nodes: LabNodeStatus[] = []
  const power: Record<string, string> = {}
  for (const n of st.nodes) {
    const nsExists = existing.has(n.ns)
    const daemons: DaemonStatus[] = []
    if (n.role === 'cluster-node') {
      const init = readInitPid(p.initPidFile(n.name))
      const chassis = x.chassis[n.name]
      if (chassis === undefined || !alive(chassis)) problems.push(`the chassis of ${n.name} is not running`)
      power[n.name] = init === null ? 'off' : 'on'
      if (init === null) problems.push(`${n.name} is powered off`)
      const procs = init === null ? [] : processesInNode(init)
      for (const comm of [...STACK, 'apache2']) {
        const pids = procs.filter((q) => q.comm === comm.slice(0, 15)).map((q) => q.pid)
        if (comm === 'apache2' && pids.length === 0) continue
        daemons.push({service: comm, running: pids.length > 0, pids})
        if (pids.length === 0 && init !== null) problems.push(`${comm} is not running on ${n.name}`)
      }
    }
    nodes.push({name: n.name, role: n.role, ns: n.ns, ip: n.ip, mac: n.mac, nsExists, daemons})
  }
  const cluster = st.nodes.filter((n) => n.role === 'cluster-node' && existing.has(n.ns))
  const owners = st.vip === null ? [] : await vipOwners(cluster, st.vip)
  if (owners.length === 0) problems.push('no node holds the VIP')
  if (owners.length > 1) problems.push(`the VIP is on ${owners.length} nodes at once: ${owners.join(', ')}`)
  const mon = await labCrmMon(st)
  const details: Record<string, unknown> = {fencing: x.fencing, clusterName: x.clusterName, power, tokenMs: x.tokenMs, dcDeadtime: x.dcDeadtime}
  if (mon === null) problems.push('no node answers crm_mon')
  else {
    const h = clusterHealth(mon.state, {group: x.group})
    problems.push(...h.problems)
    const pl = placementOf(mon.state, x.group)
    details['dc'] = mon.state.dc
    details['quorum'] = mon.state.quorum
    details['crmMonFrom'] = mon.host
    details['groupOn'] = pl?.nodes ?? []
    details['online'] = mon.state.nodes.filter((n) => n.online).map((n) => n.name)
  }
  return {topology: TOPOLOGY, prefix, up: true, healthy: problems.length === 0, vip: st.vip, vipOwners: owners, nodes, inventory: st.inventory, problems, details}
}

function hostsOf(t: PkTopology): LabHostView[] {
  return [
    ...t.nodes.map((n) => ({name: n.name, role: 'cluster-node', ns: n.ns, ip: n.ip, mac: n.mac})),
    {name: 'client', role: 'client', ns: t.clientNs, ip: t.clientIp, mac: t.clientMac},
  ]
}

function optNumber(v: string | number | boolean | undefined): number | undefined {
  if (v === undefined) return undefined
  const n = typeof v === 'number' ? v : Number(v)
  if (!Number.isInteger(n)) throw new HachaosError(`--nodes must be 2 or 3, not ${String(v)}`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['hachaos lab up --topology pacemaker --nodes 3']})
  return n
}

export async function labUp(opts: LabUpOptions): Promise<LabUpResult> {
  const progress = opts.onProgress ?? ((): void => undefined)
  const o = opts.options ?? {}
  const t = pacemakerTopology(opts.prefix, {
    nodes: optNumber(o['nodes']),
    fencing: o['fencing'] === true,
    subnet: typeof o['subnet'] === 'string' ? o['subnet'] : DEFAULT_SUBNET,
  })
  requireRoot('hachaos lab up')
  requireBinaries(['ip', 'unshare', 'nsenter', 'setsid', 'perl', 'bash', 'corosync', 'corosync-cfgtool', 'pacemakerd', 'crm_mon', 'cibadmin', 'crm_attribute', 'apache2', 'curl', 'nft'])
  const dir = labDir(opts.prefix, TOPOLOGY)
  const p = pkPaths(dir)
  const sf = stateFile(opts.prefix, TOPOLOGY)
  const inv = inventoryFile(opts.prefix, TOPOLOGY)
  const start = nowUs()
  const since = (): number => Math.round((nowUs() - start) / 1000)
  const timeout = opts.timeoutMs ?? 90_000

  const before = await labStatus(opts.prefix)
  if (before.up) {
    const st = readLabState(sf)
    const same = st !== null && extraOf(st).fencing === t.fencing && st.nodes.filter((n) => n.role === 'cluster-node').length === t.nodes.length
    if (!same) {
      progress(`the lab is up with other settings (fencing ${st !== null && extraOf(st).fencing ? 'on' : 'off'}, ${st?.nodes.filter((n) => n.role === 'cluster-node').length ?? '?'} nodes): rebuilding it`)
      await labDown(opts.prefix)
    } else if (before.healthy) {
      progress('lab is already up and healthy')
      return {
        topology: TOPOLOGY, prefix: opts.prefix, alreadyUp: true, vip: t.vip, vipOwner: before.vipOwners[0] ?? null,
        answeredBy: before.vipOwners, hosts: hostsOf(t), inventory: inv, stateFile: sf, timings: {readyMs: since()}, details: before.details,
      }
    } else {
      progress(`lab is half up (${before.problems[0] ?? 'unhealthy'}): rebuilding it`)
      await labDown(opts.prefix)
    }
  }

  const ours = [t.switchNs, ...t.nodes.map((n) => n.ns), t.clientNs]
  await refuseTakenNamespaces(ours, 'HACHAOS_LAB_PREFIX=hc2 hachaos lab up --topology pacemaker')
  if ((await subnetTakenOnHost(t.base)) !== null) {
    throw new HachaosError(`the lab subnet ${t.base}.0/24 is already used on this machine`, {code: 'E_ADDRESS_TAKEN', exit: 'CONFLICT', suggestions: ['pick another private /24: --subnet 10.78.0.0/24']})
  }

  const state: LabState = {
    schema: 'hachaos.lab/1',
    topology: TOPOLOGY,
    prefix: opts.prefix,
    dir,
    createdAt: new Date().toISOString(),
    subnet: `${t.base}.0/${t.prefixLen}`,
    vip: t.vip,
    namespaces: ours,
    nodes: [
      ...t.nodes.map((n) => ({name: n.name, role: 'cluster-node', ns: n.ns, ip: n.ip, mac: n.mac, dev: t.dev})),
      {name: 'client', role: 'client', ns: t.clientNs, ip: t.clientIp, mac: t.clientMac, dev: t.dev},
    ],
    daemons: daemonsOf(t, p),
    inventory: inv,
    extra: {
      fencing: t.fencing, clusterName: t.clusterName, group: t.group, vipResource: t.vipResource, clientNs: t.clientNs, switchNs: t.switchNs,
      tokenMs: t.tokenMs, dcDeadtime: t.dcDeadtime, chassis: {},
    } satisfies PkExtra,
  }
  mkdirSync(dir, {recursive: true, mode: 0o755})
  chmodSync(dir, 0o755)
  writeLabState(sf, state)

  try {
    progress(`writing corosync.conf, the seed CIB${t.fencing ? ' (fencing on)' : ''} and the node files`)
    mkdirOwned(p.shared, 0o755)
    const seed = join(p.shared, 'cib-seed.xml')
    await buildSeedCib(t, seed)
    writeLabFiles(t, p, seed)
    const invText = renderInventory(t, p, sf)
    writeFileAtomic(inv, invText)
    writeFileAtomic(inv.replace(/\.yaml$/, '.ini'), labInventoryIni(invText, inv))

    progress(`creating namespaces ${ours.join(', ')}`)
    await createSwitch(t.switchNs, t.bridge, ['stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0'])
    const sw = {ns: t.switchNs, bridge: t.bridge}
    // the nodes' addresses are their own init's business (the chassis); the client's is ours
    await Promise.all(t.nodes.map((n) => plugIntoSwitch(sw, n.ns, n.swPort, t.dev, n.mac)))
    await plugIntoSwitch(sw, t.clientNs, 'v-client', t.dev, t.clientMac)
    await addressUp(t.clientNs, t.dev, `${t.clientIp}/${t.prefixLen}`)
    const namespacesMs = since()

    progress(`powering on ${t.nodes.map((n) => n.name).join(', ')} (each boots corosync and pacemaker)`)
    const chassis: Record<string, number> = {}
    for (const n of t.nodes) {
      chassis[n.name] = startDetached(n.ns, chassisArgv(t, p, n, true), join(p.node(n.name), 'chassis.log'))
      writeFileSync(p.chassisPidFile(n.name), `${chassis[n.name]}\n`)
    }
    state.extra = {...state.extra, chassis}
    writeLabState(sf, state)
    const booted = await waitFor(async () => {
      if (t.nodes.some((n) => powerState(p, n.name) === 'off')) return false
      return t.nodes.every((n) => readInitPid(p.initPidFile(n.name)) !== null) ? true : undefined
    }, 20_000, 25)
    if (booted !== true) {
      const n = t.nodes.find((x) => readInitPid(p.initPidFile(x.name)) === null)
      throw notReady(`node ${n?.name ?? '?'} did not boot`, [logTail(join(p.node(n?.name ?? ''), 'chassis.log'), 3), logTail(join(p.node(n?.name ?? ''), 'init.log'), 3)])
    }
    const bootedMs = since()

    progress('waiting for the cluster: all nodes online, a DC with quorum')
    const n1 = t.nodes[0] as PkNode
    const exec1 = nodeExecutor(n1.name, p.initPidFile(n1.name))
    let formedMs = 0
    let last: ClusterState | null = null
    const formed = await waitFor(async () => {
      try {
        last = (await readCrmMon(exec1, {timeoutMs: 5000})).state
      } catch {
        return undefined
      }
      const online = last.nodes.filter((x) => x.online && !x.pending).length
      if (formedMs === 0 && last.dc !== null && last.quorum === true && online === t.nodes.length) formedMs = since()
      return formedMs > 0 && placementOf(last, t.group)?.startedOnce === true ? true : undefined
    }, timeout, 200)
    if (formed === undefined) {
      const s: ClusterState | null = last
      const why = s === null ? 'crm_mon never answered on n1' : clusterHealth(s, {group: t.group}).problems.join('; ')
      throw notReady(`the cluster did not form within ${timeout / 1000} s: ${why}`, t.nodes.map((n) => `${n.name}: ${logTail(join(p.node(n.name), 'var-log', 'hachaos', 'rc.log'), 2)}`))
    }
    const groupStartedMs = since()

    progress(`waiting for http://${t.vip}/ to answer from the client`)
    const answered = await waitFor(async () => (await clientGet(t.clientNs, `http://${t.vip}/`, 1)) ?? undefined, 20_000, 100)
    if (answered === undefined) throw notReady(`the VIP ${t.vip} does not answer HTTP from the client`, [])
    const readyMs = since()
    const owners = await vipOwners(t.nodes, t.vip, t.dev)
    const mon = (await readCrmMon(exec1)).state
    progress(`lab up in ${(readyMs / 1000).toFixed(2)} s; ${t.group} on ${owners.join(', ')}, DC ${mon.dc ?? '?'}`)
    return {
      topology: TOPOLOGY,
      prefix: opts.prefix,
      alreadyUp: false,
      vip: t.vip,
      vipOwner: owners[0] ?? null,
      answeredBy: [answered],
      hosts: hostsOf(t),
      inventory: inv,
      stateFile: sf,
      timings: {namespacesMs, bootedMs, formedMs, groupStartedMs, readyMs},
      details: {nodes: t.nodes.length, fencing: t.fencing, dc: mon.dc, clusterName: t.clusterName, tokenMs: t.tokenMs, dcDeadtime: t.dcDeadtime, group: t.group},
    }
  } catch (e) {
    return failedLabUp(e, 'pacemaker', progress, () => labDown(opts.prefix))
  }
}

const notReady = (msg: string, logs: string[]): HachaosError => labNotReady(msg, logs, 'pacemaker')

export async function labDown(prefix: string): Promise<LabDownResult> {
  requireRoot('hachaos lab down')
  const st = readLabState(stateFile(prefix, TOPOLOGY))
  let ended = 0
  if (st !== null) {
    const p = pkPaths(st.dir)
    const x = extraOf(st)
    // Count the nodes' processes, then stop every chassis: it powers its node off (SIGKILL to the init
    // ends the node's whole PID namespace).
    const chassis: number[] = []
    for (const n of st.nodes.filter((q) => q.role === 'cluster-node')) {
      const init = readInitPid(p.initPidFile(n.name))
      if (init !== null) ended += processesInNode(init).length
      const c = x.chassis?.[n.name]
      if (c !== undefined && alive(c)) chassis.push(c)
    }
    ended += (await terminate(chassis, 5000)).length
    // A chassis that was already gone left its init running: end those directly.
    for (const n of st.nodes.filter((q) => q.role === 'cluster-node')) {
      const init = readInitPid(p.initPidFile(n.name))
      if (init !== null) await terminate([init], 100)
    }
  }
  return finishLabDown({topology: TOPOLOGY, prefix, dir: labDir(prefix, TOPOLOGY), st, switchSuffix: '-pksw', ended})
}

export const pacemakerLab: LabDriver = {
  topology: TOPOLOGY,
  summary: 'n1..n3 (Corosync 3 + Pacemaker 2, group g_web = IPaddr2 VIP + apache), client; --fencing adds a lab fence agent',
  up: labUp,
  status: labStatus,
  down: labDown,
}
