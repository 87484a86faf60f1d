import {randomBytes} from 'node:crypto'
import {chmodSync, mkdirSync, writeFileSync} from 'node:fs'
import {dirname} from 'node:path'

import {stringify} from 'yaml'

import {HachaosError} from '../../../errors.js'
import {NetnsExecutor} from '../../../exec/netns.js'
import {nowUs} from '../../../time.js'
import {writeFileAtomic} from '../../../util/atomic.js'
import {addressUp, createSwitch, finishLabDown, labNotUp, listNetns, logTail, plugIntoSwitch, refuseTakenNamespaces, requireBinaries, requireRoot, startDetached, subnetTakenOnHost, vipOwners, waitFor} from '../../../lab/netns-ops.js'
import {inventoryFile, labDir, stateFile} from '../../../lab/paths.js'
import {labInventoryIni} from '../../../inventory/inventory.js'
import {labDaemonPids} from '../../../lab/services.js'
import {readLabState, writeLabState, type LabState} from '../../../lab/state.js'
import type {DaemonStatus, LabDownResult, LabDriver, LabHostView, LabNodeStatus, LabStatus, LabUpOptions, LabUpResult} from '../../../lab/driver.js'
import {masterDownIntervalMs} from '../timing.js'
import {HEALTH_PORT, LB_PRIORITY, daemonSpecs, renderAll, type LabSecrets} from './render.js'
import {DEFAULT_SUBNET, keepalivedTopology, type KaTopology, type KaVrrpOptions} from './topology.js'
import {parseSubnet} from '../../../lab/subnet.js'

export const TOPOLOGY = 'keepalived'

function secrets(): LabSecrets {
  // 8 characters: keepalived silently truncates PASS authentication beyond that.
  return {vrrpPass: randomBytes(6).toString('base64url').slice(0, 8), statsPass: randomBytes(12).toString('base64url')}
}

/** Does this node's HAProxy answer on its monitor URI (what keepalived's track_script asks)? */
async function haproxyHealthy(ns: string): Promise<boolean> {
  const r = await new NetnsExecutor(ns, ns).run(['curl', '-fsS', '-o', '/dev/null', '-m', '1', `http://127.0.0.1:${HEALTH_PORT}/healthz`])
  return r.code === 0
}

/** One HTTP request from the client namespace; returns which web server answered (X-Served-By), or null. */
export async function clientRequest(clientNs: string, url: string, timeoutS = 1): Promise<string | null> {
  const r = await new NetnsExecutor('client', clientNs).run(['curl', '-s', '-m', String(timeoutS), '-D', '-', '-o', '/dev/null', url])
  if (r.code !== 0) return null
  const m = /^x-served-by:\s*(\S+)/im.exec(r.stdout)
  return m?.[1] ?? (/^HTTP\/\S+ 200/m.test(r.stdout) ? 'unknown' : null)
}

function hostsOf(t: KaTopology): LabHostView[] {
  return t.nodes.map((n) => ({name: n.name, role: n.role, ns: n.ns, ip: n.ip, mac: n.mac}))
}

function renderInventory(t: KaTopology, dir: string, state: string): string {
  const hosts: Record<string, unknown> = {}
  for (const n of t.nodes) {
    const facts: Record<string, string> = {interface: t.dev}
    if (n.role === 'lb') {
      facts['vip'] = t.vip
      facts['keepalived_conf'] = `${dir}/${n.name}/keepalived.conf`
      facts['haproxy_cfg'] = `${dir}/${n.name}/haproxy.cfg`
      facts['haproxy_socket'] = `${dir}/${n.name}/haproxy.sock`
    }
    if (n.role === 'web') facts['apache_conf'] = `${dir}/${n.name}/apache2.conf`
    hosts[n.name] = {address: n.ip, via: 'netns', netns: n.ns, roles: [n.role], services: 'lab', facts}
  }
  const doc = {
    version: 1,
    name: `hachaos lab (${TOPOLOGY}, prefix ${t.prefix})`,
    vip: t.vip,
    lab: {topology: TOPOLOGY, prefix: t.prefix, state},
    hosts,
  }
  return `# Written by \`hachaos lab up\`; removed by \`hachaos lab down\`. Copy it as a model for real hosts.\n${stringify(doc)}`
}

export async function labStatus(prefix: string): Promise<LabStatus> {
  const sf = stateFile(prefix, TOPOLOGY)
  const st = readLabState(sf)
  if (st === null) return labNotUp(TOPOLOGY, prefix)
  const existing = new Set(await listNetns())
  const problems: string[] = []
  const nodes: LabNodeStatus[] = []
  for (const n of st.nodes) {
    const nsExists = existing.has(n.ns)
    if (!nsExists) problems.push(`namespace ${n.ns} (${n.name}) is missing`)
    const daemons: DaemonStatus[] = []
    for (const d of st.daemons.filter((x) => x.node === n.name)) {
      const pids = nsExists ? await labDaemonPids(d) : []
      daemons.push({service: d.service, running: pids.length > 0, pids})
      if (pids.length === 0) problems.push(`${d.service} is not running on ${n.name}`)
    }
    nodes.push({name: n.name, role: n.role, ns: n.ns, ip: n.ip, mac: n.mac, nsExists, daemons})
  }
  if (!existing.has(`${prefix}-sw`)) problems.push(`switch namespace ${prefix}-sw is missing`)
  const lbs = st.nodes.filter((n) => n.role === 'lb' && existing.has(n.ns))
  const owners = st.vip === null ? [] : await vipOwners(lbs, st.vip)
  if (owners.length === 0) problems.push('no node holds the VIP')
  if (owners.length > 1) problems.push(`the VIP is on ${owners.length} nodes at once: ${owners.join(', ')}`)
  return {topology: TOPOLOGY, prefix, up: true, healthy: problems.length === 0, vip: st.vip, vipOwners: owners, nodes, inventory: st.inventory, problems, details: {vrid: st.extra['vrid']}}
}

export async function labUp(opts: LabUpOptions): Promise<LabUpResult> {
  const progress = opts.onProgress ?? ((): void => undefined)
  const subnet = typeof opts.options?.['subnet'] === 'string' ? opts.options['subnet'] : DEFAULT_SUBNET
  const v = opts.options?.['vrrpVersion']
  const a = opts.options?.['advertInt']
  const vrrp: KaVrrpOptions = {...(v === 3 ? {vrrpVersion: 3 as const} : v === 2 ? {vrrpVersion: 2 as const} : {}), ...(typeof a === 'number' ? {advertInt: a} : {})}
  requireRoot('hachaos lab up')
  requireBinaries(['ip', 'keepalived', 'haproxy', 'apache2', 'curl'])
  const t = keepalivedTopology(opts.prefix, subnet, vrrp)
  const dir = labDir(opts.prefix, TOPOLOGY)
  const sf = stateFile(opts.prefix, TOPOLOGY)
  const inv = inventoryFile(opts.prefix, TOPOLOGY)
  const start = nowUs()
  const since = (): number => Math.round((nowUs() - start) / 1000)

  // Already up? Fine when healthy; rebuilt when half-there.
  const before = await labStatus(opts.prefix)
  const prior = readLabState(sf)
  const same = prior !== null && prior.subnet === `${parseSubnet(subnet).base}.0/24` && prior.extra['vrrpVersion'] === t.vrrpVersion && prior.extra['advertInt'] === t.advertInt
  if (before.up && !same) {
    progress('the lab is up with other settings (subnet or VRRP): rebuilding it')
    await labDown(opts.prefix)
  } else if (before.up) {
    if (before.healthy) {
      progress('lab is already up and healthy')
      const answeredBy = await collectBackends(t, 2000)
      return {
        topology: TOPOLOGY, prefix: opts.prefix, alreadyUp: true, vip: t.vip, vipOwner: before.vipOwners[0] ?? null,
        answeredBy, hosts: hostsOf(t), inventory: inv, stateFile: sf, timings: {readyMs: since()}, details: {vrid: t.vrid},
      }
    }
    progress(`lab is half up (${before.problems[0] ?? 'unhealthy'}): rebuilding it`)
    await labDown(opts.prefix)
  }

  // Refuse to clobber what is not ours.
  const ours = [t.switchNs, ...t.nodes.map((n) => n.ns)]
  await refuseTakenNamespaces(ours, 'HACHAOS_LAB_PREFIX=hc2 hachaos lab up')
  const {base} = parseSubnet(subnet)
  const takenBy = await subnetTakenOnHost(base)
  if (takenBy !== null) {
    throw new HachaosError(`the lab subnet ${base}.0/24 is already used on this machine (interface ${takenBy})`, {
      code: 'E_ADDRESS_TAKEN',
      exit: 'CONFLICT',
      suggestions: ['pick another private /24: hachaos lab up --subnet 10.67.0.0/24'],
    })
  }

  const sec = secrets()
  const specs = daemonSpecs(t, dir)
  const state: LabState = {
    schema: 'hachaos.lab/1',
    topology: TOPOLOGY,
    prefix: opts.prefix,
    dir,
    createdAt: new Date().toISOString(),
    subnet: `${base}.0/24`,
    vip: t.vip,
    namespaces: ours,
    nodes: t.nodes.map((n) => ({name: n.name, role: n.role, ns: n.ns, ip: n.ip, mac: n.mac, dev: t.dev})),
    daemons: specs.map((s) => ({node: s.node, service: s.service, comm: s.comm, ns: `${opts.prefix}-${s.node}`, argv: s.argv, log: s.log, pidFile: s.pidFile, ...(s.pidFiles === undefined ? {} : {pidFiles: s.pidFiles})})),
    inventory: inv,
    extra: {vrid: t.vrid, statsUser: 'admin', statsPass: sec.statsPass, vrrpVersion: t.vrrpVersion, advertInt: t.advertInt},
  }
  // Write the state first: if anything below fails, `lab down` knows what to remove.
  mkdirSync(dir, {recursive: true, mode: 0o755})
  chmodSync(dir, 0o755)
  writeLabState(sf, state)

  try {
    progress(`creating namespaces ${ours.join(', ')}`)
    await createSwitch(t.switchNs, t.bridge, ['stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0'])
    await Promise.all(
      t.nodes.map(async (n) => {
        await plugIntoSwitch({ns: t.switchNs, bridge: t.bridge}, n.ns, n.swPort, t.dev, n.mac)
        await addressUp(n.ns, t.dev, `${n.ip}/${t.prefixLen}`)
        if (n.role === 'lb') {
          // HAProxy on the backup binds the VIP it does not hold yet.
          await new NetnsExecutor(n.name, n.ns).run(['sysctl', '-q', '-w', 'net.ipv4.ip_nonlocal_bind=1'])
        }
      }),
    )
    const namespacesMs = since()

    progress('writing keepalived, HAProxy and Apache configurations')
    for (const f of renderAll(t, dir, sec)) {
      mkdirSync(dirname(f.path), {recursive: true, mode: 0o755})
      writeFileSync(f.path, f.content, {mode: f.mode})
      chmodSync(f.path, f.mode)
    }
    const invText = renderInventory(t, dir, sf)
    writeFileAtomic(inv, invText)
    writeFileAtomic(inv.replace(/\.yaml$/, '.ini'), labInventoryIni(invText, inv))

    // Order matters: keepalived's track_script checks HAProxy, so HAProxy must answer before keepalived
    // starts, or lb1 begins in FAULT and lb2 takes the VIP first.
    progress('starting apache2 on web1, web2 and haproxy on lb1, lb2')
    for (const d of state.daemons.filter((x) => x.service !== 'keepalived')) startDetached(d.ns, d.argv, d.log)
    const timeout = opts.timeoutMs ?? 30_000
    // A daemon that exits at start (bad config, port taken) fails the wait at once, with its log.
    const dead = async (services: string[]): Promise<string | undefined> => {
      for (const d of state.daemons.filter((x) => services.includes(x.service))) if ((await labDaemonPids(d)).length === 0) return d.service
      return undefined
    }
    const webs = t.nodes.filter((n) => n.role === 'web')
    const lbs = t.nodes.filter((n) => n.role === 'lb')
    const backendsUp = await waitFor(async () => {
      const gone = await dead(['apache2', 'haproxy'])
      if (gone !== undefined) return gone
      const ok = await Promise.all([
        ...webs.map((n) => clientRequest(`${opts.prefix}-client`, `http://${n.ip}/`, 1)),
        ...lbs.map((n) => haproxyHealthy(n.ns)),
      ])
      return ok.every((x) => x !== null && x !== false) ? true : undefined
    }, timeout)
    if (typeof backendsUp === 'string') throw notReady(`${backendsUp} exited right after its start`, state, backendsUp)
    if (backendsUp === undefined) throw notReady('apache2 (web1/web2) or haproxy (lb1/lb2) did not answer', state, 'apache2')

    progress('starting keepalived on lb1, lb2')
    for (const d of state.daemons.filter((x) => x.service === 'keepalived')) startDetached(d.ns, d.argv, d.log)
    const daemonsStartedMs = since()

    // The intended steady state: the highest-priority node (lb1) holds the VIP, and only it.
    progress(`waiting for VRRP: the VIP ${t.vip} on lb1 (its Master_Down_Interval, ${(masterDownIntervalMs(LB_PRIORITY['lb1'] ?? 150, t.advertInt, t.vrrpVersion) / 1000).toFixed(3)} s)`)
    const settled = await waitFor(async () => {
      const gone = await dead(['keepalived', 'haproxy', 'apache2'])
      if (gone !== undefined) return gone
      const o = await vipOwners(lbs, t.vip, t.dev)
      return o.length === 1 && o[0] === 'lb1' ? true : undefined
    }, timeout)
    if (typeof settled === 'string') throw notReady(`${settled} exited right after its start`, state, settled)
    if (settled === undefined) throw notReady(`the VIP ${t.vip} did not settle on lb1`, state, 'keepalived')
    const answeredBy = await collectBackends(t, timeout)
    if (answeredBy.length < 2) throw notReady(`the VIP ${t.vip} did not answer from both web servers (saw: ${answeredBy.join(', ') || 'nothing'})`, state, 'haproxy')
    const vipAnsweredMs = since()
    const owners = await vipOwners(t.nodes.filter((n) => n.role === 'lb'), t.vip, t.dev)
    progress(`lab up in ${(vipAnsweredMs / 1000).toFixed(2)} s; VIP on ${owners.join(', ') || 'nobody'}`)
    return {
      topology: TOPOLOGY,
      prefix: opts.prefix,
      alreadyUp: false,
      vip: t.vip,
      vipOwner: owners[0] ?? null,
      answeredBy,
      hosts: hostsOf(t),
      inventory: inv,
      stateFile: sf,
      timings: {namespacesMs, daemonsStartedMs, readyMs: vipAnsweredMs},
      details: {vrid: t.vrid, priorities: LB_PRIORITY, vrrpVersion: t.vrrpVersion, advertInt: t.advertInt},
    }
  } catch (e) {
    progress('lab up failed: removing what was made')
    await labDown(opts.prefix).catch(() => undefined)
    throw e
  }
}

function notReady(msg: string, state: LabState, service: string): HachaosError {
  const logs = state.daemons.filter((d) => d.service === service).map((d) => `${d.node}: ${logTail(d.log, 3).replace(/\n/g, ' | ')}`)
  return new HachaosError(msg, {
    code: 'E_LAB_NOT_READY',
    exit: 'TIMEOUT',
    where: state.dir,
    suggestions: [...logs.filter((l) => !l.endsWith(': ')), 'the lab was removed again; retry with --debug, or look at the daemon logs above'],
  })
}

/** Ask through the VIP until both web servers have answered (or time runs out); returns who answered. */
async function collectBackends(t: KaTopology, timeoutMs: number): Promise<string[]> {
  const seen = new Set<string>()
  const want = t.nodes.filter((n) => n.role === 'web').length
  await waitFor(async () => {
    const who = await clientRequest(`${t.prefix}-client`, `http://${t.vip}/`, 1)
    if (who !== null) seen.add(who)
    return seen.size >= want ? true : undefined
  }, timeoutMs, 20)
  return [...seen].sort()
}

export async function labDown(prefix: string): Promise<LabDownResult> {
  requireRoot('hachaos lab down')
  // Only what the state names: without a state file, namespaces with our names are not provably ours.
  // The daemons all live in the nodes' namespaces: they end with them.
  return finishLabDown({topology: TOPOLOGY, prefix, dir: labDir(prefix, TOPOLOGY), st: readLabState(stateFile(prefix, TOPOLOGY)), switchSuffix: '-sw', ended: 0})
}

export const keepalivedLab: LabDriver = {
  topology: TOPOLOGY,
  summary: 'lb1/lb2 (keepalived VRRPv2 + HAProxy), web1/web2 (Apache), client, VIP',
  up: labUp,
  status: labStatus,
  down: labDown,
}
