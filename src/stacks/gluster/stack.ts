/**
 * The Gluster stack (targets with role gluster-node): a GlusterFS replicated volume and its FUSE clients.
 * From an inventory and a target to a ready DrillSpec: `volume info` and `volume get VOL all` (read on another
 * server) give the bricks the fault takes away, network.ping-timeout and the quorum settings for the
 * prediction (./predict.ts); the storage probe runs on a client (role gluster-client: `hachaos probe --fs` on
 * its mount) and a watcher follows the bricks and the heal backlog on a server that is not the target
 * (./observe.ts), triggering a heal after the revert (`--param heal=trigger`, the default) or leaving it to the
 * self-heal daemon (`--param heal=wait`, or the target's fact `gluster_heal: false`).
 */
import {HachaosError, errorMessage} from '../../errors.js'
import {clockOffsetsOf} from '../../drill/clock.js'
import {EventLog, type DrillSpec} from '../../drill/engine.js'
import type {DrillOptions, PreparedDrill} from '../../drill/options.js'
import {extraPhases} from '../../drill/summary.js'
import {commonSpec, display, faultEnv} from '../../drill/setup-kit.js'
import {executorFor, findHost, hostsWithRole, type InventoryHost} from '../../inventory/inventory.js'
import type {StackModule} from '../types.js'
import {soakFaultsByRole, type SoakFault} from '../types.js'
import {glusterXml, optionsThatMatter, parseVolumeGetXml, parseVolumeInfoXml} from './cli.js'
import {GlusterLive} from './live.js'
import {HEAL_MODES, healDrainModel, type HealMode} from './metrics.js'
import {BrickIndexWatcher, FsProbeSession, GlusterWatcher, type WatcherShared} from './observe.js'
import {predictGluster} from './predict.js'
import {GLUSTER_CLIENT_ROLE, GLUSTER_ROLE} from './roles.js'
import {GLUSTER_RULES} from './rules.js'

export {GLUSTER_CLIENT_ROLE, GLUSTER_ROLE}
export const DEFAULT_VOLUME = 'gv'
export const DEFAULT_MOUNT = '/mnt'
export const FS_PROBE_INTERVAL_MS = 100
export const WATCH_MS = 1000
/** One index crawl and the watcher's reading of it, the drain bound's allowance over heal-timeout (ms). */
export const HEAL_CRAWL_MS = 15_000
export const GLUSTER_PARAMS: Readonly<Record<string, string>> = {
  heal: 'trigger (default): run `gluster volume heal VOL` right after the revert | wait: leave the backlog to the self-heal daemon (its crawl every cluster.heal-timeout s, and one when the brick comes back up)',
}

/** The heal mode from --param heal=… (else the target's fact gluster_heal: false → wait). */
export function healModeOf(param: string | undefined, target: InventoryHost): HealMode {
  if (param !== undefined) {
    if (!(HEAL_MODES as readonly string[]).includes(param)) throw new HachaosError(`--param heal=${param}: expected trigger or wait`, {code: 'E_USAGE', exit: 'USAGE', suggestions: [`heal: ${GLUSTER_PARAMS['heal']}`]})
    return param as HealMode
  }
  return target.facts['gluster_heal'] === false || target.facts['gluster_heal'] === 'false' ? 'wait' : 'trigger'
}

function fact(h: InventoryHost, key: string): string | undefined {
  const v = h.facts[key]
  return typeof v === 'string' && v !== '' ? v : undefined
}

/**
 * The bricks a client loses in a partition (plan.params.sides: two lists of host names): those of the servers on
 * the side without the client. Null when the plan is no partition (then the target's bricks are lost).
 */
export function partitionLoss<B>(sides: unknown, client: string, servers: InventoryHost[], bricksOf: (h: InventoryHost) => B[]): B[] | null {
  if (!Array.isArray(sides) || sides.length !== 2 || !sides.every((s) => Array.isArray(s))) return null
  const mySide = (sides as unknown[][]).find((s) => s.includes(client))
  if (mySide === undefined) return null
  return servers.filter((h) => !mySide.includes(h.name)).flatMap(bricksOf)
}

async function prepare(o: DrillOptions): Promise<PreparedDrill> {
  const inv = o.inventory
  const target = findHost(inv, o.target)
  const env = faultEnv(o, target)
  const healMode = healModeOf(o.stackParams?.['heal'], target)
  const warnings: string[] = []
  const volume = fact(target, 'gluster_volume') ?? DEFAULT_VOLUME
  const servers = hostsWithRole(inv, GLUSTER_ROLE)
  const watchHost = servers.find((s) => s.name !== target.name) ?? target
  if (watchHost === target) warnings.push(`no other Gluster server than ${target.name}: the bricks and the heal backlog are read on the target itself`)
  const watchExec = executorFor(watchHost)

  let vol
  let opts: Record<string, string>
  try {
    vol = parseVolumeInfoXml(await glusterXml(watchExec, ['volume', 'info', volume]), `${watchHost.name}:gluster volume info ${volume}`).find((v) => v.name === volume)
    opts = optionsThatMatter(parseVolumeGetXml(await glusterXml(watchExec, ['volume', 'get', volume, 'all']), `${watchHost.name}:gluster volume get ${volume} all`))
  } catch (e) {
    throw new HachaosError(`cannot read volume ${volume} on ${watchHost.name}: ${errorMessage(e)}`, {code: 'E_CLUSTER', exit: 'HOST', where: watchHost.name, suggestions: ['set facts.gluster_volume on the target if the volume is not "gv"', 'is glusterd running? hachaos lab status --topology gluster', 'nothing was broken']})
  }
  if (vol === undefined) throw new HachaosError(`no volume ${volume} on ${watchHost.name}`, {code: 'E_CLUSTER', exit: 'HOST', where: watchHost.name, suggestions: ['set facts.gluster_volume on the target', 'nothing was broken']})
  if (vol.status !== 'Started') warnings.push(`volume ${volume} is ${vol.status}, not Started`)

  const clients = hostsWithRole(inv, GLUSTER_CLIENT_ROLE)
  const client = o.captureOn === undefined ? clients[0] : findHost(inv, o.captureOn)
  if (client === undefined) throw new HachaosError('no Gluster client to probe from (role gluster-client)', {code: 'E_USAGE', exit: 'USAGE', suggestions: ['add a host with role gluster-client and facts.gluster_mount, or pass --capture-on HOST']})
  const onHost = (b: (typeof vol.bricks)[number], h: InventoryHost): boolean => b.host === h.address || b.host === h.name
  const mine = vol.bricks.filter((b) => onHost(b, target))
  const pingTimeoutS = Number(opts['network.ping-timeout'] ?? '42')
  const quorumCount = Number(opts['cluster.quorum-count'])
  const plan = await o.planFault(env)
  // a partition: the bricks the probing client loses are those on the other side of the cut (not the target's)
  const lost = partitionLoss(plan.params['sides'], client.name, servers, (h) => vol.bricks.filter((b) => onHost(b, h))) ?? mine
  const prediction = predictGluster({
    effect: plan.effect,
    pingTimeoutS,
    replica: vol.replicaCount,
    bricksLost: lost.length,
    firstBrickLost: vol.bricks[0] !== undefined && lost.includes(vol.bricks[0]),
    quorumType: opts['cluster.quorum-type'] ?? 'none',
    quorumCount: Number.isFinite(quorumCount) ? quorumCount : null,
    probeIntervalMs: FS_PROBE_INTERVAL_MS,
  })
  prediction.inputs['favoriteChildPolicy'] = opts['cluster.favorite-child-policy'] ?? 'none'
  prediction.inputs['serverQuorumType'] = opts['cluster.server-quorum-type'] ?? 'off'
  const healTimeoutS = Number(opts['cluster.heal-timeout'] ?? '600')
  const drain = healDrainModel(healMode, Number.isFinite(healTimeoutS) ? healTimeoutS : 600, HEAL_CRAWL_MS)
  prediction.inputs['healMode'] = healMode
  prediction.inputs['healTimeoutS'] = healTimeoutS
  prediction.inputs['healDrainMaxMs'] = drain.maxMs
  prediction.inputs['healDrainModel'] = drain.formula

  const log = new EventLog()
  const emit = log.emit
  const mount = fact(client, 'gluster_mount') ?? DEFAULT_MOUNT
  const probe = new FsProbeSession({exec: executorFor(client), hachaosArgv: o.hachaosArgv(client), dir: mount, intervalMs: FS_PROBE_INTERVAL_MS, emit})
  const shared: WatcherShared = {revertedAt: null}
  const triggerHeal = healMode === 'trigger'
  const localBricks = vol.bricks.filter((b) => onHost(b, watchHost)).map((b) => b.path)
  const watcher = new GlusterWatcher({exec: watchExec, volume, triggerHeal, shared, emit}, WATCH_MS)
  const indexWatcher = new BrickIndexWatcher({exec: watchExec, bricks: localBricks, emit}, WATCH_MS)
  // waiting for the daemon: up to its bound and a minute more (the heal itself) before the drill gives up settling
  const hooks = new GlusterLive({effect: plan.effect, shared, settleWaitMs: triggerHeal ? 120_000 : Math.max(60_000, drain.maxMs + 60_000), stableMs: 2000})
  const clockOffsets = await clockOffsetsOf([target, client, ...servers])
  const spec: DrillSpec = {
    ...commonSpec(o, inv, null, () => (probe.pid === undefined ? [] : [{host: client.name, pid: probe.pid, argv: probe.argv}])),
    log,
    stack: 'gluster',
    target: target.name,
    plan,
    prediction,
    vip: null,
    vrid: null,
    hosts: [...servers, ...clients].map((h) => ({name: h.name, ip: h.address})),
    oldMaster: null,
    pollers: [probe, watcher, indexWatcher],
    clockOffsets,
    warnings,
    hooks,
  }
  return {spec, plan, prediction, stack: 'gluster', commands: display(plan, inv)}
}

/** The soak catalogue (src/gameday/soak.ts): a server vanishes, or its brick process dies. Append, do not reorder. */
export const GLUSTER_SOAK: readonly SoakFault[] = [
  {name: 'nic-down', fault: 'nic-down', params: {}, roles: [GLUSTER_ROLE]},
  {name: 'kill gluster-brick', fault: 'kill', params: {process: 'gluster-brick'}, roles: [GLUSTER_ROLE]},
]

export const glusterStack: StackModule = {
  name: 'gluster',
  summary: `GlusterFS replicated volumes with FUSE clients: targets with role ${GLUSTER_ROLE} (a probe writes on a ${GLUSTER_CLIENT_ROLE}'s mount)`,
  params: GLUSTER_PARAMS,
  matches: (target) => target.roles.includes(GLUSTER_ROLE),
  prepare,
  records: ['gluster'],
  recordLabels: {gluster: 'a GlusterFS server (replicated volume, FUSE clients)'},
  phases: (run) =>
    extraPhases(run, {
      brickOfflineMs: () => 'a brick is offline (gluster volume status)',
      firstErrorMs: () => 'the client gets its first write error',
    }),
  rules: GLUSTER_RULES,
  // a brick's loss is felt by every server of the volume (heal) and measured on a client's mount
  lockRoles: [GLUSTER_ROLE, GLUSTER_CLIENT_ROLE],
  soakCatalogue: GLUSTER_SOAK,
  soakFaults: (target) => soakFaultsByRole(GLUSTER_SOAK, target),
}
