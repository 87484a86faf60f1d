/**
 * `hachaos lab up|status|down --topology gluster`: a GlusterFS replicated volume on this machine. g1..g3 run
 * real glusterd (Debian glusterfs-server) in a trusted pool, bricks on a tmpfs inside each server node's mount
 * namespace, the volume `gv` started; gc and gc2 mount it with the FUSE client. Every node is its own network
 * + PID + mount + UTS + IPC namespace (src/lab/node-ns.ts: the node plumbing of the Pacemaker and Heartbeat
 * labs). Recipe, traps and measured timings: ../shared/labs/heartbeat-gluster-notes.md (Q2).
 */
import {chmodSync, existsSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'

import {stringify} from 'yaml'

import {HachaosError, errorMessage} from '../../../errors.js'
import {failedLabUp, labNotReady} from '../../../lab/lab-up.js'
import {LocalExecutor} from '../../../exec/local.js'
import {runOk} from '../../../exec/run-ok.js'
import type {Executor} from '../../../exec/types.js'
import {labInventoryIni} from '../../../inventory/inventory.js'
import {addressUp, alive, createSwitch, finishLabDown, labNotUp, listNetns, logTail, plugIntoSwitch, refuseTakenNamespaces, requireBinaries, requireRoot, subnetTakenOnHost, terminate, waitFor} from '../../../lab/netns-ops.js'
import {bootNode, mkdirOwned, nodeExecutor, processesInNode, readInitPid, writeOwned} from '../../../lab/node-ns.js'
import {inventoryFile, labDir, stateFile} from '../../../lab/paths.js'
import {readLabState, writeLabState, type LabDaemon, type LabState} from '../../../lab/state.js'
import type {DaemonStatus, LabDownResult, LabDriver, LabHostView, LabNodeStatus, LabStatus, LabUpOptions, LabUpResult} from '../../../lab/driver.js'
import {nowUs} from '../../../time.js'
import {writeFileAtomic} from '../../../util/atomic.js'
import {readGlusterState, type GlusterState} from '../cli.js'
import {GLUSTER_CLIENT_ROLE, GLUSTER_ROLE} from '../roles.js'
import {NODE_INIT_SH, RC, renderRc} from './render.js'
import {BRICK_DIR, CLIENT_MOUNT, DEFAULT_SUBNET, TOPOLOGY, glusterTopology, volumeCreateArgv, volumeOptions, type GlNode, type GlTopology} from './topology.js'

export {TOPOLOGY}

const local = new LocalExecutor()
/** Node namespaces: an IPC namespace of its own too, as the recipe's nodes. */
const NS = {ipc: true} as const

export interface GlPaths {
  dir: string
  shared: string
  bin: string
  node(name: string): string
  initPidFile(name: string): string
}

export function glPaths(dir: string): GlPaths {
  const shared = join(dir, 'shared')
  return {dir, shared, bin: join(shared, 'bin'), node: (n) => join(dir, 'nodes', n), initPidFile: (n) => join(dir, 'nodes', n, 'init.pid')}
}

/** What the state file keeps beyond the common LabState. */
export interface GlExtra {
  switchNs: string
  volume: string
  replica: number
  arbiter: boolean
  pingTimeoutS: number
  quorum: string | null
  /** Host PID of every node's `unshare` (the init's parent). */
  unshare: Record<string, number>
  [k: string]: unknown
}

const extraOf = (st: LabState): GlExtra => st.extra as GlExtra

function allNodes(t: GlTopology): GlNode[] {
  return [...t.servers, ...t.clients]
}

function daemonsOf(t: GlTopology, p: GlPaths): LabDaemon[] {
  return t.servers.flatMap((n) => {
    const log = join(p.node(n.name), 'var-log', 'hachaos', 'rc.log')
    const initPidFile = p.initPidFile(n.name)
    const d = (service: string): LabDaemon => ({node: n.name, service, comm: service, ns: null, argv: [RC, 'start', service], log, initPidFile, control: {start: [RC, 'start', service], stop: [RC, 'stop', service]}})
    return n.brick === null ? [d('glusterd')] : [d('glusterd'), d('glusterfsd')]
  })
}

function renderInventory(t: GlTopology, p: GlPaths, state: string): string {
  const hosts: Record<string, unknown> = {}
  for (const n of t.servers) {
    hosts[n.name] = {
      address: n.ip,
      via: 'nsenter',
      init_pid_file: p.initPidFile(n.name),
      // "storage": doctor reads `gluster volume info` on these hosts
      roles: [GLUSTER_ROLE, 'storage'],
      services: 'lab',
      facts: {interface: t.dev, gluster_volume: t.volume, ...(n.brick === null ? {} : {gluster_brick: `${n.ip}:${BRICK_DIR}`, gluster_brick_kind: n.brick}), netns: n.ns, mac: n.mac},
    }
  }
  for (const n of t.clients) {
    hosts[n.name] = {
      address: n.ip,
      via: 'nsenter',
      init_pid_file: p.initPidFile(n.name),
      roles: [GLUSTER_CLIENT_ROLE, 'client'],
      services: 'none',
      facts: {interface: t.dev, gluster_volume: t.volume, gluster_mount: CLIENT_MOUNT, netns: n.ns, mac: n.mac},
    }
  }
  const doc = {version: 1, name: `hachaos lab (${TOPOLOGY}, prefix ${t.prefix})`, lab: {topology: TOPOLOGY, prefix: t.prefix, state}, hosts}
  return `# Written by \`hachaos lab up --topology gluster\`; removed by \`hachaos lab down\`.\n# Nodes are reached with nsenter into their init (own PID, mount, UTS, IPC and network namespaces).\n${stringify(doc)}`
}

async function copyTree(from: string, to: string): Promise<void> {
  // cp -a keeps owners and modes of the package's files
  mkdirSync(to, {recursive: true})
  if (existsSync(from)) await runOk(local, ['cp', '-a', `${from}/.`, to], {what: `cp -a ${from}`})
}

async function writeLabFiles(t: GlTopology, p: GlPaths): Promise<void> {
  mkdirOwned(p.shared, 0o755)
  mkdirOwned(p.bin, 0o755)
  writeOwned(join(p.bin, 'node-init.sh'), NODE_INIT_SH, 0o755)
  writeOwned(join(p.bin, 'hachaos-rc'), renderRc({volume: t.volume, volfileServers: t.servers.map((s) => s.ip)}), 0o755)
  for (const n of allNodes(t)) {
    const d = p.node(n.name)
    mkdirOwned(d, 0o755)
    mkdirOwned(join(d, 'newrun'), 0o755)
    mkdirOwned(join(d, 'mnt'), 0o755)
    mkdirOwned(join(d, 'var-lib-glusterd'), 0o755)
    if (n.kind === 'server') await copyTree('/var/lib/glusterd', join(d, 'var-lib-glusterd'))
    await copyTree('/etc/glusterfs', join(d, 'etc-glusterfs'))
    mkdirOwned(join(d, 'var-log'), 0o755)
    mkdirOwned(join(d, 'var-log', 'hachaos'), 0o755)
    mkdirOwned(join(d, 'var-log', 'glusterfs'), 0o755)
  }
}

function hostsOf(t: GlTopology): LabHostView[] {
  return allNodes(t).map((n) => ({name: n.name, role: n.kind === 'server' ? GLUSTER_ROLE : GLUSTER_CLIENT_ROLE, ns: n.ns, ip: n.ip, mac: n.mac}))
}

const exec = (p: GlPaths, name: string): Executor => nodeExecutor(name, p.initPidFile(name), NS)

/** One small write + read back on a client's mount; true when it worked. */
export async function clientWriteOk(e: Executor, timeoutMs = 5000): Promise<boolean> {
  const f = `${CLIENT_MOUNT}/.hachaos-lab-check`
  const r = await e.run(['sh', '-c', `echo ok >${f} && cat ${f}`], {timeoutMs})
  return r.code === 0 && r.stdout.trim() === 'ok'
}

export async function labStatus(prefix: string): Promise<LabStatus> {
  const st = readLabState(stateFile(prefix, TOPOLOGY))
  if (st === null) return labNotUp(TOPOLOGY, prefix)
  const p = glPaths(st.dir)
  const x = extraOf(st)
  const existing = new Set(await listNetns())
  const problems: string[] = []
  for (const ns of st.namespaces) if (!existing.has(ns)) problems.push(`namespace ${ns} is missing`)
  const nodes: LabNodeStatus[] = []
  let gluster: GlusterState | {error: string} | null = null
  const mounts: Record<string, boolean> = {}
  for (const n of st.nodes) {
    const daemons: DaemonStatus[] = []
    const init = readInitPid(p.initPidFile(n.name))
    if (init === null) problems.push(`${n.name} is not running (no init)`)
    const procs = init === null ? [] : processesInNode(init)
    const comms = n.role === GLUSTER_ROLE ? ['glusterd', 'glusterfsd', 'glusterfs'] : ['glusterfs']
    for (const comm of comms) {
      const pids = procs.filter((q) => q.comm === comm).map((q) => q.pid)
      daemons.push({service: comm, running: pids.length > 0, pids})
    }
    if (n.role === GLUSTER_ROLE && init !== null && !daemons.some((d) => d.service === 'glusterd' && d.running)) problems.push(`glusterd is not running on ${n.name}`)
    if (n.role === GLUSTER_CLIENT_ROLE && init !== null) {
      const m = await exec(p, n.name).run(['findmnt', '-n', '-t', 'fuse.glusterfs', CLIENT_MOUNT], {timeoutMs: 3000})
      mounts[n.name] = m.code === 0
      if (m.code !== 0) problems.push(`${n.name}: ${x.volume} is not mounted on ${CLIENT_MOUNT}`)
    }
    nodes.push({name: n.name, role: n.role, ns: n.ns, ip: n.ip, mac: n.mac, nsExists: existing.has(n.ns), daemons})
  }
  // the pool as the first server whose glusterd answers sees it
  for (const n of st.nodes.filter((q) => q.role === GLUSTER_ROLE)) {
    if (readInitPid(p.initPidFile(n.name)) === null) continue
    try {
      gluster = await readGlusterState(exec(p, n.name), x.volume, {timeoutMs: 10_000})
      break
    } catch (e) {
      gluster = {error: `${n.name}: ${errorMessage(e)}`}
    }
  }
  if (gluster === null) problems.push('no glusterd answers')
  else if ('error' in gluster) problems.push(gluster.error)
  else {
    for (const peer of gluster.peers) if (!peer.connected) problems.push(`peer ${peer.hostname} is ${peer.stateText} (disconnected)`)
    for (const b of gluster.status?.bricks ?? []) if (!b.online) problems.push(`brick ${b.hostname}:${b.path} is offline`)
    if (gluster.info?.status !== 'Started') problems.push(`volume ${x.volume} is ${gluster.info?.status ?? 'missing'}`)
  }
  const details: Record<string, unknown> = {volume: x.volume, replica: x.replica, arbiter: x.arbiter, pingTimeoutS: x.pingTimeoutS, quorum: x.quorum, mounts, gluster}
  return {topology: TOPOLOGY, prefix, up: true, healthy: problems.length === 0, vip: null, vipOwners: [], nodes, inventory: st.inventory, problems, details}
}

function str(v: string | number | boolean | undefined): string | undefined {
  return v === undefined ? undefined : String(v)
}

export async function labUp(opts: LabUpOptions): Promise<LabUpResult> {
  const progress = opts.onProgress ?? ((): void => undefined)
  const o = opts.options ?? {}
  const t = glusterTopology(opts.prefix, {
    subnet: typeof o['subnet'] === 'string' ? o['subnet'] : DEFAULT_SUBNET,
    replica: str(o['replica']),
    arbiter: o['arbiter'] === true,
    pingTimeout: str(o['pingTimeout']),
    quorum: str(o['quorum']),
  })
  requireRoot('hachaos lab up')
  requireBinaries(['ip', 'unshare', 'nsenter', 'perl', 'bash', 'cp', 'gluster', 'glusterd', 'glusterfs', 'mount.glusterfs'])
  const dir = labDir(opts.prefix, TOPOLOGY)
  const p = glPaths(dir)
  const sf = stateFile(opts.prefix, TOPOLOGY)
  const inv = inventoryFile(opts.prefix, TOPOLOGY)
  const start = nowUs()
  const since = (): number => Math.round((nowUs() - start) / 1000)
  const timeout = opts.timeoutMs ?? 60_000
  const details = {volume: t.volume, replica: t.replica, arbiter: t.arbiter, pingTimeoutS: t.pingTimeoutS, quorum: t.quorum}

  const before = await labStatus(opts.prefix)
  if (before.up) {
    const st = readLabState(sf)
    const x = st === null ? null : extraOf(st)
    const same = x !== null && x.replica === t.replica && x.arbiter === t.arbiter && x.pingTimeoutS === t.pingTimeoutS && x.quorum === t.quorum
    if (same && before.healthy) {
      progress('lab is already up and healthy')
      return {topology: TOPOLOGY, prefix: opts.prefix, alreadyUp: true, vip: null, vipOwner: null, answeredBy: [], hosts: hostsOf(t), inventory: inv, stateFile: sf, timings: {readyMs: since()}, details: before.details}
    }
    progress(same ? `lab is half up (${before.problems[0] ?? 'unhealthy'}): rebuilding it` : 'the lab is up with other settings: rebuilding it')
    await labDown(opts.prefix)
  }

  const ours = [t.switchNs, ...allNodes(t).map((n) => n.ns)]
  await refuseTakenNamespaces(ours, 'HACHAOS_LAB_PREFIX=hc2 hachaos lab up --topology gluster')
  if ((await subnetTakenOnHost(t.base)) !== null) {
    throw new HachaosError(`the lab subnet ${t.base}.0/24 is already used on this machine`, {code: 'E_ADDRESS_TAKEN', exit: 'CONFLICT', suggestions: ['pick another private /24: --subnet 10.75.0.0/24']})
  }
  const state: LabState = {
    schema: 'hachaos.lab/1',
    topology: TOPOLOGY,
    prefix: opts.prefix,
    dir,
    createdAt: new Date().toISOString(),
    subnet: `${t.base}.0/${t.prefixLen}`,
    vip: null,
    namespaces: ours,
    nodes: allNodes(t).map((n) => ({name: n.name, role: n.kind === 'server' ? GLUSTER_ROLE : GLUSTER_CLIENT_ROLE, ns: n.ns, ip: n.ip, mac: n.mac, dev: t.dev})),
    daemons: daemonsOf(t, p),
    inventory: inv,
    extra: {switchNs: t.switchNs, volume: t.volume, replica: t.replica, arbiter: t.arbiter, pingTimeoutS: t.pingTimeoutS, quorum: t.quorum, unshare: {}} satisfies GlExtra,
  }
  mkdirSync(dir, {recursive: true, mode: 0o755})
  chmodSync(dir, 0o755)
  writeLabState(sf, state)

  try {
    progress('writing the node files')
    await writeLabFiles(t, p)
    const invText = renderInventory(t, p, sf)
    writeFileAtomic(inv, invText)
    writeFileAtomic(inv.replace(/\.yaml$/, '.ini'), labInventoryIni(invText, inv))

    progress(`creating namespaces ${ours.join(', ')}`)
    await createSwitch(t.switchNs, t.bridge, ['stp_state', '0', 'forward_delay', '0'])
    const sw = {ns: t.switchNs, bridge: t.bridge}
    await Promise.all(allNodes(t).map((n) => plugIntoSwitch(sw, n.ns, n.swPort, t.dev, n.mac)))
    const namespacesMs = since()

    progress(`booting ${allNodes(t).map((n) => n.name).join(', ')}`)
    const unshare: Record<string, number> = {}
    await Promise.all(
      allNodes(t).map(async (n) => {
        const b = await bootNode({
          ns: n.ns,
          argv: ['bash', join(p.bin, 'node-init.sh'), n.name, n.kind, p.node(n.name), p.shared, `${n.ip}/${t.prefixLen}`, t.dev],
          log: join(p.node(n.name), 'init.log'),
          bootedFile: join(p.shared, `booted-${n.name}`),
          initPidFile: p.initPidFile(n.name),
          namespaces: NS,
        })
        unshare[n.name] = b.unsharePid
      }),
    )
    state.extra = {...state.extra, unshare}
    writeLabState(sf, state)
    const bootedMs = since()

    progress(`starting glusterd on ${t.servers.map((n) => n.name).join(', ')}`)
    await Promise.all(t.servers.map((n) => runOk(exec(p, n.name), [RC, 'start', 'glusterd'], {timeoutMs: 45_000, what: `start glusterd on ${n.name}`})))
    const glusterdMs = since()

    const [g1, ...others] = t.servers
    if (g1 === undefined) throw new Error('no servers')
    const e1 = exec(p, g1.name)
    progress(`trusted pool: ${g1.name} probes ${others.map((n) => n.name).join(', ')}`)
    for (const n of others) await runOk(e1, ['gluster', '--mode=script', 'peer', 'probe', n.ip], {timeoutMs: 30_000, what: `gluster peer probe ${n.ip}`})
    const pooled = await waitFor(
      async () => {
        try {
          const s = await readGlusterState(e1, null, {timeoutMs: 5000})
          return s.peers.length === others.length && s.peers.every((q) => q.connected && q.state === 3) ? true : undefined
        } catch {
          return undefined
        }
      },
      timeout,
      250,
    )
    if (pooled !== true) throw notReady(`the trusted pool did not form within ${timeout / 1000} s`, t.servers.map((n) => `${n.name}: ${logTail(join(p.node(n.name), 'var-log', 'glusterfs', 'glusterd.log'), 2)}`))
    const poolMs = since()

    progress(`creating and starting volume ${t.volume} (${t.arbiter ? 'replica 3 arbiter 1' : `replica ${t.replica}`}, ping-timeout ${t.pingTimeoutS} s${t.quorum === null ? '' : `, quorum ${t.quorum}`})`)
    await runOk(e1, ['gluster', ...volumeCreateArgv(t)], {timeoutMs: 60_000, what: 'gluster volume create'})
    for (const [k, v] of volumeOptions(t)) await runOk(e1, ['gluster', '--mode=script', 'volume', 'set', t.volume, k, v], {timeoutMs: 30_000, what: `gluster volume set ${t.volume} ${k} ${v}`})
    await runOk(e1, ['gluster', '--mode=script', 'volume', 'start', t.volume], {timeoutMs: 60_000, what: `gluster volume start ${t.volume}`})
    const bricks = t.servers.filter((s) => s.brick !== null).length
    const online = await waitFor(
      async () => {
        try {
          const s = await readGlusterState(e1, t.volume, {timeoutMs: 5000})
          return (s.status?.bricks.filter((b) => b.online).length ?? 0) >= bricks ? true : undefined
        } catch {
          return undefined
        }
      },
      timeout,
      250,
    )
    if (online !== true) throw notReady(`the bricks of ${t.volume} did not come online within ${timeout / 1000} s`, t.servers.map((n) => `${n.name}: ${logTail(join(p.node(n.name), 'var-log', 'glusterfs', 'glusterd.log'), 2)}`))
    const volumeMs = since()

    progress(`mounting ${t.volume} on ${t.clients.map((n) => n.name).join(', ')} (FUSE)`)
    await Promise.all(t.clients.map((n) => runOk(exec(p, n.name), [RC, 'mount'], {timeoutMs: 30_000, what: `mount ${t.volume} on ${n.name}`})))
    const ok = await waitFor(async () => ((await Promise.all(t.clients.map((n) => clientWriteOk(exec(p, n.name))))).every(Boolean) ? true : undefined), timeout, 200)
    if (ok !== true) throw notReady(`the clients cannot write to ${t.volume} within ${timeout / 1000} s`, t.clients.map((n) => `${n.name}: ${logTail(join(p.node(n.name), 'var-log', 'glusterfs', 'mnt.log'), 2)}`))
    const readyMs = since()
    progress(`lab up in ${(readyMs / 1000).toFixed(2)} s; ${t.volume} mounted on ${t.clients.map((n) => `${n.name}:${CLIENT_MOUNT}`).join(', ')}`)
    return {
      topology: TOPOLOGY,
      prefix: opts.prefix,
      alreadyUp: false,
      vip: null,
      vipOwner: null,
      answeredBy: t.clients.map((n) => n.name),
      hosts: hostsOf(t),
      inventory: inv,
      stateFile: sf,
      timings: {namespacesMs, bootedMs, glusterdMs, poolMs, volumeMs, readyMs},
      details,
    }
  } catch (e) {
    return failedLabUp(e, 'gluster', progress, () => labDown(opts.prefix))
  }
}

const notReady = (msg: string, logs: string[]): HachaosError => labNotReady(msg, logs, 'gluster')

export async function labDown(prefix: string): Promise<LabDownResult> {
  requireRoot('hachaos lab down')
  const st = readLabState(stateFile(prefix, TOPOLOGY))
  let ended = 0
  if (st !== null) {
    const p = glPaths(st.dir)
    // The FUSE mounts first (lazily: a client stalled on a vanished brick must not hold us), then SIGKILL to
    // every node's init: that ends its whole PID namespace, and with its last process the mount namespace
    // goes, with the brick tmpfs and whatever mount is left in it.
    await Promise.all(
      st.nodes
        .filter((n) => n.role === GLUSTER_CLIENT_ROLE && readInitPid(p.initPidFile(n.name)) !== null)
        .map((n) => exec(p, n.name).run(['umount', '-l', CLIENT_MOUNT], {timeoutMs: 5000}).catch(() => undefined)),
    )
    const pids: number[] = []
    for (const n of st.nodes) {
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
  return finishLabDown({topology: TOPOLOGY, prefix, dir: labDir(prefix, TOPOLOGY), st, switchSuffix: '-glsw', ended})
}

export const glusterLab: LabDriver = {
  topology: TOPOLOGY,
  summary: 'g1..g3 (glusterd, trusted pool, replicated volume gv on tmpfs bricks), gc and gc2 (FUSE clients)',
  up: labUp,
  status: labStatus,
  down: labDown,
}
