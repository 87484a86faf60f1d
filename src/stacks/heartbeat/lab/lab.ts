/**
 * `hachaos lab up|status|down --topology heartbeat`: the seeds' Nginx + Heartbeat pair on this machine.
 * hb1 and hb2 run real Heartbeat 3 (v1 style, `crm no`, ucast) and a web server (--resource: nginx, the
 * seed's, or apache2); haresources gives hb1 the VIP (IPaddr) and that server's LSB script; a client namespace
 * reaches the VIP through a bridge in PREFIX-hbsw. Every node is its
 * own network + PID + mount + UTS + IPC namespace (src/lab/node-ns.ts: the same node plumbing as the
 * Pacemaker lab). Recipe, traps and measured timings: ../shared/labs/heartbeat-gluster-notes.md.
 */
import {randomBytes} from 'node:crypto'
import {chmodSync, existsSync, mkdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {stringify} from 'yaml'

import {HachaosError, errorMessage} from '../../../errors.js'
import {failedLabUp, labNotReady} from '../../../lab/lab-up.js'
import {LocalExecutor} from '../../../exec/local.js'
import {NetnsExecutor} from '../../../exec/netns.js'
import {runOk} from '../../../exec/run-ok.js'
import {labInventoryIni} from '../../../inventory/inventory.js'
import {addressUp, alive, createSwitch, finishLabDown, labNotUp, listNetns, logTail, plugIntoSwitch, refuseTakenNamespaces, requireBinaries, requireRoot, subnetTakenOnHost, terminate, vipOwners, waitFor} from '../../../lab/netns-ops.js'
import {bootNode, mkdirOwned, nodeExecutor, processesInNode, readInitPid, writeOwned} from '../../../lab/node-ns.js'
import {inventoryFile, labDir, stateFile} from '../../../lab/paths.js'
import {readLabState, writeLabState, type LabDaemon, type LabState} from '../../../lab/state.js'
import type {DaemonStatus, LabDownResult, LabDriver, LabHostView, LabNodeStatus, LabStatus, LabUpOptions, LabUpResult} from '../../../lab/driver.js'
import {nowUs} from '../../../time.js'
import {writeFileAtomic} from '../../../util/atomic.js'
import {readClStatus} from '../cl-status.js'
import {HEARTBEAT_BIN, NODE_INIT_SH, NODE_SHARED, RC_SH, renderApacheEnvvars, renderAuthkeys, renderHaCf, renderHaresources, renderIndex, renderNodeApacheConf} from './render.js'
import {haresourcesServices} from './resource.js'
import {DEFAULT_SUBNET, RESOURCES, TOPOLOGY, heartbeatTopology, type HbNode, type HbTopology} from './topology.js'

export {TOPOLOGY}

const local = new LocalExecutor()
/** Node namespaces: Heartbeat wants its own IPC namespace too. */
const NS = {ipc: true} as const

export interface HbPaths {
  dir: string
  shared: string
  bin: string
  node(name: string): string
  initPidFile(name: string): string
  unsharePidFile(name: string): string
}

export function hbPaths(dir: string): HbPaths {
  const shared = join(dir, 'shared')
  return {
    dir,
    shared,
    bin: join(shared, 'bin'),
    node: (n) => join(dir, 'nodes', n),
    initPidFile: (n) => join(dir, 'nodes', n, 'init.pid'),
    unsharePidFile: (n) => join(dir, 'nodes', n, 'unshare.pid'),
  }
}

/** What the state file keeps beyond the common LabState. */
export interface HbExtra {
  clientNs: string
  switchNs: string
  keepaliveMs: number
  warntimeMs: number
  deadtimeMs: number
  initdeadMs: number
  autoFailback: string
  resource: string
  /** Host PID of every node's `unshare` (the init's parent). */
  unshare: Record<string, number>
  [k: string]: unknown
}

const extraOf = (st: LabState): HbExtra => st.extra as HbExtra

const RC = `${NODE_SHARED}/bin/hachaos-rc`

function daemonsOf(t: HbTopology, p: HbPaths): LabDaemon[] {
  return t.nodes.flatMap((n) => {
    const log = join(p.node(n.name), 'var-log', 'hachaos', 'rc.log')
    const initPidFile = p.initPidFile(n.name)
    return [
      {node: n.name, service: 'heartbeat', comm: 'heartbeat', ns: null, argv: [RC, 'start', 'heartbeat'], log, initPidFile, control: {start: [RC, 'start', 'heartbeat'], stop: [RC, 'stop', 'heartbeat']}},
      {node: n.name, service: t.resource, comm: t.resource, ns: null, argv: [RC, 'start', t.resource], log, initPidFile, control: {start: [RC, 'start', t.resource], stop: [RC, 'stop', t.resource]}},
    ]
  })
}

function renderInventory(t: HbTopology, p: HbPaths, state: string): string {
  const hosts: Record<string, unknown> = {}
  for (const n of t.nodes) {
    hosts[n.name] = {
      address: n.ip,
      via: 'nsenter',
      init_pid_file: p.initPidFile(n.name),
      roles: ['heartbeat-node'],
      services: 'lab',
      facts: {interface: t.dev, vip: t.vip, ha_cf: '/etc/ha.d/ha.cf', ha_log: '/var/log/ha-log', heartbeat_node: n.name, netns: n.ns, mac: n.mac},
    }
  }
  hosts['client'] = {address: t.clientIp, via: 'netns', netns: t.clientNs, roles: ['client'], services: 'none', facts: {interface: t.dev, mac: t.clientMac}}
  const doc = {version: 1, name: `hachaos lab (${TOPOLOGY}, prefix ${t.prefix})`, vip: t.vip, lab: {topology: TOPOLOGY, prefix: t.prefix, state}, hosts}
  return `# Written by \`hachaos lab up --topology heartbeat\`; removed by \`hachaos lab down\`.\n# Nodes are reached with nsenter into their init (own PID, mount, UTS, IPC and network namespaces).\n${stringify(doc)}`
}

async function copyTree(from: string, to: string): Promise<void> {
  // cp -a keeps owners and modes of the package's files (hacluster-owned state in /var/lib/heartbeat)
  mkdirSync(to, {recursive: true})
  if (existsSync(from)) await runOk(local, ['cp', '-a', `${from}/.`, to], {what: `cp -a ${from}`})
}

async function writeLabFiles(t: HbTopology, p: HbPaths): Promise<void> {
  mkdirOwned(p.shared, 0o755)
  mkdirOwned(p.bin, 0o755)
  writeOwned(join(p.bin, 'node-init.sh'), NODE_INIT_SH, 0o755)
  writeOwned(join(p.bin, 'hachaos-rc'), RC_SH, 0o755)
  const secret = randomBytes(20).toString('hex')
  for (const n of t.nodes) {
    const d = p.node(n.name)
    mkdirOwned(d, 0o755)
    mkdirOwned(join(d, 'newrun'), 0o755)
    await copyTree('/etc/ha.d', join(d, 'etc-ha.d'))
    writeOwned(join(d, 'etc-ha.d', 'ha.cf'), renderHaCf(t), 0o644)
    writeOwned(join(d, 'etc-ha.d', 'haresources'), renderHaresources(t), 0o644)
    writeOwned(join(d, 'etc-ha.d', 'authkeys'), renderAuthkeys(secret), 0o600)
    await copyTree('/var/lib/heartbeat', join(d, 'var-lib-heartbeat'))
    // bound over /var/lib/nginx whenever nginx is installed (the init binds it): the package's copy for nginx
    if (t.resource === 'nginx') await copyTree('/var/lib/nginx', join(d, 'var-lib-nginx'))
    else mkdirOwned(join(d, 'var-lib-nginx'), 0o755)
    // the node's own ServerRoot, bound over /etc/apache2 in the node (an nginx node gets it too: then the
    // machine's apache2 config stays out of the node, and nothing in it starts apache2)
    mkdirOwned(join(d, 'etc-apache2'), 0o755)
    writeOwned(join(d, 'etc-apache2', 'apache2.conf'), renderNodeApacheConf(n), 0o644)
    writeOwned(join(d, 'etc-apache2', 'envvars'), renderApacheEnvvars(), 0o644)
    mkdirOwned(join(d, 'var-log'), 0o755)
    mkdirOwned(join(d, 'var-log', 'hachaos'), 0o755)
    mkdirOwned(join(d, 'var-log', t.resource), 0o755)
    mkdirOwned(join(d, 'www'), 0o755)
    writeOwned(join(d, 'www', 'index.html'), renderIndex(n), 0o644)
  }
}

/** One HTTP GET from the client namespace; the node that answered ("served by hbN"), or null. */
export async function clientGet(clientNs: string, url: string, timeoutS = 1): Promise<string | null> {
  const r = await new NetnsExecutor('client', clientNs).run(['curl', '-s', '-m', String(timeoutS), url])
  if (r.code !== 0) return null
  return /served by (\S+)/.exec(r.stdout)?.[1] ?? null
}

function hostsOf(t: HbTopology): LabHostView[] {
  return [...t.nodes.map((n) => ({name: n.name, role: 'heartbeat-node', ns: n.ns, ip: n.ip, mac: n.mac})), {name: 'client', role: 'client', ns: t.clientNs, ip: t.clientIp, mac: t.clientMac}]
}

export async function labStatus(prefix: string): Promise<LabStatus> {
  const st = readLabState(stateFile(prefix, TOPOLOGY))
  if (st === null) return labNotUp(TOPOLOGY, prefix)
  const p = hbPaths(st.dir)
  const existing = new Set(await listNetns())
  const problems: string[] = []
  for (const ns of st.namespaces) if (!existing.has(ns)) problems.push(`namespace ${ns} is missing`)
  const nodes: LabNodeStatus[] = []
  const clStatus: Record<string, unknown> = {}
  // Which web server haresources names: read from hb1's file as written (a lab of an older hachaos has no
  // `resource` in its state); the state's value when the file is unreadable.
  const res = resourceOf(st, p)
  // any lab web server found running is listed (a stray nginx next to apache2 is worth seeing)
  const webComms = [...new Set([...res.services, ...RESOURCES])]
  for (const n of st.nodes) {
    const daemons: DaemonStatus[] = []
    if (n.role === 'heartbeat-node') {
      const init = readInitPid(p.initPidFile(n.name))
      if (init === null) problems.push(`${n.name} is not running (no init)`)
      const procs = init === null ? [] : processesInNode(init)
      for (const comm of ['heartbeat', ...webComms]) {
        const pids = procs.filter((q) => q.comm === comm).map((q) => q.pid)
        if (comm !== 'heartbeat' && pids.length === 0) continue
        daemons.push({service: comm, running: pids.length > 0, pids})
        if (pids.length === 0 && init !== null) problems.push(`heartbeat is not running on ${n.name}`)
      }
      if (init !== null) {
        try {
          const cs = await readClStatus(nodeExecutor(n.name, p.initPidFile(n.name), NS), st.nodes.filter((x) => x.role === 'heartbeat-node').map((x) => x.name))
          clStatus[n.name] = cs
          for (const [peer, s] of Object.entries(cs.nodes)) if (s !== 'active') problems.push(`${n.name} sees ${peer} ${s}`)
        } catch (e) {
          clStatus[n.name] = {error: errorMessage(e)}
        }
      }
    }
    nodes.push({name: n.name, role: n.role, ns: n.ns, ip: n.ip, mac: n.mac, nsExists: existing.has(n.ns), daemons})
  }
  const cluster = st.nodes.filter((n) => n.role === 'heartbeat-node' && existing.has(n.ns))
  const owners = st.vip === null ? [] : await vipOwners(cluster, st.vip)
  if (owners.length === 0) problems.push('no node holds the VIP')
  if (owners.length > 1) problems.push(`the VIP is on ${owners.length} nodes at once: ${owners.join(', ')}`)
  const x = extraOf(st)
  if (res.problem !== null) problems.push(res.problem)
  const details: Record<string, unknown> = {clStatus, keepaliveMs: x.keepaliveMs, warntimeMs: x.warntimeMs, deadtimeMs: x.deadtimeMs, initdeadMs: x.initdeadMs, autoFailback: x.autoFailback, resource: res.services.join(' ') || x.resource, haresources: res.group}
  return {topology: TOPOLOGY, prefix, up: true, healthy: problems.length === 0, vip: st.vip, vipOwners: owners, nodes, inventory: st.inventory, problems, details}
}

/** haresources of the first node (the same file on both), parsed: its services and its group's text. */
function resourceOf(st: LabState, p: HbPaths): {services: string[]; group: string | null; problem: string | null} {
  const first = st.nodes.find((n) => n.role === 'heartbeat-node')?.name ?? 'hb1'
  const file = join(p.node(first), 'etc-ha.d', 'haresources')
  try {
    const h = haresourcesServices(readFileSync(file, 'utf8'), file)
    return {services: h.services, group: h.group, problem: null}
  } catch (e) {
    const r = extraOf(st).resource
    return {services: typeof r === 'string' ? [r] : [], group: null, problem: `cannot read ${file}: ${errorMessage(e)}`}
  }
}

function str(v: string | number | boolean | undefined): string | undefined {
  return v === undefined ? undefined : String(v)
}

export async function labUp(opts: LabUpOptions): Promise<LabUpResult> {
  const progress = opts.onProgress ?? ((): void => undefined)
  const o = opts.options ?? {}
  const t = heartbeatTopology(opts.prefix, {
    subnet: typeof o['subnet'] === 'string' ? o['subnet'] : DEFAULT_SUBNET,
    keepalive: str(o['keepalive']),
    deadtime: str(o['deadtime']),
    warntime: str(o['warntime']),
    initdead: str(o['initdead']),
    autoFailback: str(o['autoFailback']),
    resource: str(o['resource']),
  })
  requireRoot('hachaos lab up')
  requireBinaries(['ip', 'unshare', 'nsenter', 'perl', 'bash', 'cp', 'cl_status', t.resource, 'ifconfig', 'curl'])
  if (!existsSync(`/etc/init.d/${t.resource}`)) throw new HachaosError(`missing init script: /etc/init.d/${t.resource} (haresources runs it)`, {code: 'E_MISSING_BINARY', exit: 'ENVIRONMENT', suggestions: [`install it: apt-get install ${t.resource === 'nginx' ? 'nginx-light' : 'apache2'}   (or run scripts/setup.sh on this machine)`]})
  if (!existsSync(HEARTBEAT_BIN)) throw new HachaosError(`missing program: ${HEARTBEAT_BIN}`, {code: 'E_MISSING_BINARY', exit: 'ENVIRONMENT', suggestions: ['install it: apt-get install heartbeat   (or run scripts/setup.sh on this machine)']})
  const dir = labDir(opts.prefix, TOPOLOGY)
  const p = hbPaths(dir)
  const sf = stateFile(opts.prefix, TOPOLOGY)
  const inv = inventoryFile(opts.prefix, TOPOLOGY)
  const start = nowUs()
  const since = (): number => Math.round((nowUs() - start) / 1000)
  const timeout = opts.timeoutMs ?? 60_000

  const before = await labStatus(opts.prefix)
  if (before.up) {
    const st = readLabState(sf)
    const x = st === null ? null : extraOf(st)
    const same = x !== null && x.keepaliveMs === t.keepaliveMs && x.deadtimeMs === t.deadtimeMs && x.warntimeMs === t.warntimeMs && x.initdeadMs === t.initdeadMs && x.autoFailback === t.autoFailback && x.resource === t.resource
    if (same && before.healthy) {
      progress('lab is already up and healthy')
      return {topology: TOPOLOGY, prefix: opts.prefix, alreadyUp: true, vip: t.vip, vipOwner: before.vipOwners[0] ?? null, answeredBy: before.vipOwners, hosts: hostsOf(t), inventory: inv, stateFile: sf, timings: {readyMs: since()}, details: before.details}
    }
    progress(same ? `lab is half up (${before.problems[0] ?? 'unhealthy'}): rebuilding it` : 'the lab is up with other timers or another resource: rebuilding it')
    await labDown(opts.prefix)
  }

  const ours = [t.switchNs, ...t.nodes.map((n) => n.ns), t.clientNs]
  await refuseTakenNamespaces(ours, 'HACHAOS_LAB_PREFIX=hc2 hachaos lab up --topology heartbeat')
  if ((await subnetTakenOnHost(t.base)) !== null) {
    throw new HachaosError(`the lab subnet ${t.base}.0/24 is already used on this machine`, {code: 'E_ADDRESS_TAKEN', exit: 'CONFLICT', suggestions: ['pick another private /24: --subnet 10.72.0.0/24']})
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
    nodes: [...t.nodes.map((n) => ({name: n.name, role: 'heartbeat-node', ns: n.ns, ip: n.ip, mac: n.mac, dev: t.dev})), {name: 'client', role: 'client', ns: t.clientNs, ip: t.clientIp, mac: t.clientMac, dev: t.dev}],
    daemons: daemonsOf(t, p),
    inventory: inv,
    extra: {clientNs: t.clientNs, switchNs: t.switchNs, keepaliveMs: t.keepaliveMs, warntimeMs: t.warntimeMs, deadtimeMs: t.deadtimeMs, initdeadMs: t.initdeadMs, autoFailback: t.autoFailback, resource: t.resource, unshare: {}} satisfies HbExtra,
  }
  mkdirSync(dir, {recursive: true, mode: 0o755})
  chmodSync(dir, 0o755)
  writeLabState(sf, state)

  try {
    progress('writing ha.cf, haresources, authkeys and the node files')
    await writeLabFiles(t, p)
    const invText = renderInventory(t, p, sf)
    writeFileAtomic(inv, invText)
    writeFileAtomic(inv.replace(/\.yaml$/, '.ini'), labInventoryIni(invText, inv))

    progress(`creating namespaces ${ours.join(', ')}`)
    await createSwitch(t.switchNs, t.bridge, ['stp_state', '0', 'forward_delay', '0'])
    const sw = {ns: t.switchNs, bridge: t.bridge}
    await Promise.all(t.nodes.map((n) => plugIntoSwitch(sw, n.ns, n.swPort, t.dev, n.mac)))
    await plugIntoSwitch(sw, t.clientNs, 'v-client', t.dev, t.clientMac)
    await addressUp(t.clientNs, t.dev, `${t.clientIp}/${t.prefixLen}`)
    const namespacesMs = since()

    progress(`booting ${t.nodes.map((n) => n.name).join(', ')}`)
    const unshare: Record<string, number> = {}
    for (const n of t.nodes) {
      const b = await bootNode({
        ns: n.ns,
        argv: ['bash', join(p.bin, 'node-init.sh'), n.name, p.node(n.name), p.shared, `${n.ip}/${t.prefixLen}`, t.dev],
        log: join(p.node(n.name), 'init.log'),
        bootedFile: join(p.shared, `booted-${n.name}`),
        initPidFile: p.initPidFile(n.name),
        namespaces: NS,
      })
      unshare[n.name] = b.unsharePid
      state.extra = {...state.extra, unshare}
      writeLabState(sf, state)
    }
    const bootedMs = since()

    progress(`starting heartbeat on both nodes (initdead ${t.initdeadMs / 1000} s)`)
    await Promise.all(t.nodes.map((n) => runOk(nodeExecutor(n.name, p.initPidFile(n.name), NS), [RC, 'start', 'heartbeat'], {timeoutMs: 20_000, what: `start heartbeat on ${n.name}`})))
    const heartbeatMs = since()

    progress(`waiting for http://${t.vip}/ to answer from the client`)
    const answered = await waitFor(async () => (await clientGet(t.clientNs, `http://${t.vip}/`, 1)) ?? undefined, timeout, 100)
    if (answered === undefined) throw notReady(`the VIP ${t.vip} does not answer HTTP from the client within ${timeout / 1000} s`, t.nodes.map((n) => `${n.name}: ${logTail(join(p.node(n.name), 'var-log', 'ha-log'), 2)}`))
    const readyMs = since()
    const owners = await vipOwners(t.nodes, t.vip, t.dev)
    progress(`lab up in ${(readyMs / 1000).toFixed(2)} s; VIP and ${t.resource} on ${owners.join(', ')}`)
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
      timings: {namespacesMs, bootedMs, heartbeatMs, readyMs},
      details: {keepaliveMs: t.keepaliveMs, warntimeMs: t.warntimeMs, deadtimeMs: t.deadtimeMs, initdeadMs: t.initdeadMs, autoFailback: t.autoFailback, resource: t.resource},
    }
  } catch (e) {
    return failedLabUp(e, 'heartbeat', progress, () => labDown(opts.prefix))
  }
}

const notReady = (msg: string, logs: string[]): HachaosError => labNotReady(msg, logs, 'heartbeat')

export async function labDown(prefix: string): Promise<LabDownResult> {
  requireRoot('hachaos lab down')
  const st = readLabState(stateFile(prefix, TOPOLOGY))
  let ended = 0
  if (st !== null) {
    const p = hbPaths(st.dir)
    // SIGKILL to a node's init ends its whole PID namespace (heartbeat, nginx or apache2, everything); their
    // pid and lock files are in the node's private /run (a tmpfs that goes with its mount namespace).
    const pids: number[] = []
    for (const n of st.nodes.filter((q) => q.role === 'heartbeat-node')) {
      const init = readInitPid(p.initPidFile(n.name))
      if (init !== null) {
        ended += processesInNode(init).length
        pids.push(init)
      }
      const u = extraOf(st).unshare?.[n.name]
      if (u !== undefined && alive(u)) pids.push(u)
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone already
      }
    }
    await terminate(pids, 2000)
  }
  return finishLabDown({topology: TOPOLOGY, prefix, dir: labDir(prefix, TOPOLOGY), st, switchSuffix: '-hbsw', ended})
}

export const heartbeatLab: LabDriver = {
  topology: TOPOLOGY,
  summary: 'hb1, hb2 (Heartbeat 3 v1 + nginx or apache2, haresources: IPaddr VIP then the web server on hb1), client',
  up: labUp,
  status: labStatus,
  down: labDown,
}

export type {HbNode}
