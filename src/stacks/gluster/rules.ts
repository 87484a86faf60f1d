/**
 * Doctor rules of the Gluster stack, over `gluster volume info` (src/config/gluster.ts; the same volume read on
 * several peers is reported once).
 * Numbers behind them: the lab (README "GlusterFS lab"): a vanished server stalls the clients' writes between
 * 1× and 2× network.ping-timeout (42 s → 77.5–78.2 s measured); a lost client quorum refuses writes (ENOTCONN).
 */
import type {GlusterVolume} from '../../config/gluster.js'
import {type DoctorInput, type FindingDraft, type HostConfigs, type Rule, ev} from '../../doctor/types.js'

interface VolRef {
  host: HostConfigs
  v: GlusterVolume
}

function volumes(input: DoctorInput): VolRef[] {
  const seen = new Set<string>()
  const out: VolRef[] = []
  for (const host of input.hosts) {
    for (const g of host.gluster) {
      for (const v of g.volumes) {
        const key = `${v.name}|${v.bricks.map((b) => `${b.host}:${b.path}`).join(',')}`
        if (seen.has(key)) continue
        seen.add(key)
        out.push({host, v})
      }
    }
  }
  return out
}

const replicated = (v: GlusterVolume): boolean => /replicate/i.test(v.type) && (v.replica ?? 1) >= 2

/** cluster.quorum-type as Gluster applies it: set, else auto for replica 3 / arbiter volumes, none for replica 2. */
export function quorumType(v: GlusterVolume): string {
  return v.options['cluster.quorum-type'] ?? ((v.replica ?? 1) >= 3 ? 'auto' : 'none')
}

export function pingTimeoutS(v: GlusterVolume): number {
  const t = Number(v.options['network.ping-timeout'] ?? '42')
  return Number.isFinite(t) ? t : 42
}

/** The replica sets: consecutive groups of `replica` bricks, in the volume's order (how Gluster builds them). */
export function replicaSets(v: GlusterVolume): GlusterVolume['bricks'][] {
  const r = v.replica ?? 1
  const out: GlusterVolume['bricks'][] = []
  for (let i = 0; i < v.bricks.length; i += r) out.push(v.bricks.slice(i, i + r))
  return out
}

const at = (v: GlusterVolume, host: string, state: string): ReturnType<typeof ev> => ev({file: v.file, line: v.line}, host, state)

/** Gluster's own refusal at `volume create` (glusterd-utils.c), quoted by the brick-on-root rule. */
export const ROOT_PARTITION_MESSAGE = "is being created in the root partition. It is recommended that you don't use the system's root partition for storage backend. Or use 'force' at the end of the command if you want to override this behavior."

export const GLUSTER_RULES: Rule[] = [
  {
    id: 'gluster-replica2-no-arbiter',
    area: 'gluster',
    severity: 'error',
    title: 'Replica 2 volume without an arbiter',
    why: 'Two copies cannot outvote each other: when the bricks lose contact and both take writes, files end up in split-brain and need manual repair (or the volume goes read-only).',
    fix: 'Add an arbiter brick on a third node (`gluster volume add-brick VOL replica 3 arbiter 1 host3:/brick`), or use replica 3.',
    explain: 'Gluster warns at creation that replica 2 volumes are prone to split-brain. An arbiter brick stores only metadata, so it is small, and gives client quorum a third vote. "Number of Bricks: 1 x (2 + 1) = 3" is the arbiter layout.',
    // volumes(): the same volume collected on several peers (`gluster volume info` shows the whole pool) is reported once
    check: (input) =>
      volumes(input)
        .filter(({v}) => /replicate/i.test(v.type) && v.replica === 2 && v.arbiterCount === 0 && v.thinArbiter === undefined)
        .map(({host, v}) => ({
          message: `${host.host}: volume ${v.name} is replica 2 without an arbiter`,
          host: host.host,
          evidence: [ev({file: v.file, line: v.numberOfBricksLine ?? v.line}, host.host, `Number of Bricks: ${v.numberOfBricksText ?? `${v.subvolumes} x 2 = ${v.brickCount}`}`)],
        })),
  },
  {
    id: 'gluster-ping-timeout-default',
    area: 'gluster',
    severity: 'warning',
    title: 'network.ping-timeout left at 42 s (clients hang up to 84 s when a server vanishes)',
    why: 'When a server vanishes without closing its connections (power loss, link down, partition), every client write to its bricks hangs until the client gives the brick up: between 1× and 2× network.ping-timeout — about 78 s at the default 42 s. Applications and their health checks time out long before.',
    fix: 'Lower it for latency-sensitive mounts: `gluster volume set VOL network.ping-timeout 10` (not much lower: a busy brick that misses it is dropped and healed for nothing, and reconnecting costs lock recovery).',
    explain:
      'Measured in the hachaos Gluster lab (replica 3, a client writing every 100 ms, `ip link set eth0 down` on a server): the write in flight stalled 77.5–78.2 s at ping-timeout 42 and 6.9–9.5 s at 5; the client log says "has not responded in the last N seconds, disconnecting" at the end of the stall. A killed brick process (TCP reset) costs nothing: 0.07 s. The documentation suggests 1 × ping-timeout; the measurement says up to 2 ×.',
    check(input): FindingDraft[] {
      return volumes(input)
        .filter(({v}) => replicated(v) && pingTimeoutS(v) >= 42)
        .map(({host, v}) => ({
          message: `volume ${v.name}: network.ping-timeout ${pingTimeoutS(v)} s: a vanished server stalls client writes ${pingTimeoutS(v)}–${2 * pingTimeoutS(v)} s`,
          host: host.host,
          evidence: [at(v, host.host, v.options['network.ping-timeout'] === undefined ? 'network.ping-timeout not set (default 42)' : `network.ping-timeout: ${v.options['network.ping-timeout']}`)],
        }))
    },
  },
  {
    id: 'gluster-client-quorum-off',
    area: 'gluster',
    severity: 'warning',
    title: 'Client quorum off on a replicated volume',
    why: 'Without client quorum each client writes to whatever bricks it still reaches: two clients on either side of a partition write the same file on different bricks, and after the partition the file is in split-brain (heal cannot pick a copy; reads fail with EIO).',
    fix: 'Use replica 3 or an arbiter and `gluster volume set VOL cluster.quorum-type auto` (writes are refused with ENOTCONN when quorum is lost, instead of diverging).',
    explain: 'cluster.quorum-type none is the default for replica 2. With auto, a client needs more than half the bricks of a replica set (or exactly half including the first). In the lab, losing quorum made writes fail at once with "Transport endpoint is not connected" — an outage, but no divergent copies to repair by hand.',
    check(input): FindingDraft[] {
      return volumes(input)
        .filter(({v}) => replicated(v) && quorumType(v) === 'none')
        .map(({host, v}) => ({
          message: `volume ${v.name} (replica ${v.replica ?? '?'}): cluster.quorum-type ${v.options['cluster.quorum-type'] ?? 'none (the default for replica 2)'}`,
          host: host.host,
          evidence: [at(v, host.host, `cluster.quorum-type: ${v.options['cluster.quorum-type'] ?? 'unset'}`)],
        }))
    },
  },
  {
    id: 'gluster-replica-set-one-host',
    area: 'gluster',
    severity: 'error',
    title: 'Two bricks of one replica set on the same host',
    why: 'The copies of a file live in one replica set; with two of them on one server, that server is a single point of failure for the data and for client quorum.',
    fix: 'Recreate the volume (or replace-brick) so that every brick of a replica set is on a different server, in the order the bricks are listed.',
    explain: 'Gluster groups the bricks into replica sets in the order given at `volume create` (N consecutive bricks each); it asks for `force` when two bricks of a set share a host, but many scripts pass force anyway.',
    check(input): FindingDraft[] {
      const out: FindingDraft[] = []
      for (const {host, v} of volumes(input)) {
        if (!replicated(v)) continue
        replicaSets(v).forEach((set, i) => {
          const byHost = new Map<string, number>()
          for (const b of set) byHost.set(b.host, (byHost.get(b.host) ?? 0) + 1)
          for (const [h, n] of byHost) {
            if (n < 2) continue
            const bricks = set.filter((b) => b.host === h)
            out.push({message: `volume ${v.name}: replica set ${i + 1} has ${n} bricks on ${h}`, host: host.host, evidence: bricks.map((b) => ev(b, host.host, `${b.host}:${b.path}`))})
          }
        })
      }
      return out
    },
  },
  {
    id: 'gluster-server-quorum-off',
    area: 'gluster',
    severity: 'note',
    title: 'Server quorum off',
    why: 'Without server quorum a server cut off from the rest of the pool keeps its bricks running and serves the clients that still reach it; with it, glusterd stops the bricks of a server that lost the pool majority.',
    fix: '`gluster volume set VOL cluster.server-quorum-type server` (and `gluster volume set all cluster.server-quorum-ratio 51`) on pools of three or more servers.',
    explain: 'Client quorum (cluster.quorum-type) protects the data per client; server quorum protects the pool from a minority partition. Both are off by default except client quorum on replica 3.',
    check(input): FindingDraft[] {
      return volumes(input)
        .filter(({v}) => replicated(v) && (v.replica ?? 1) >= 3 && (v.options['cluster.server-quorum-type'] ?? 'off') === 'off')
        .map(({host, v}) => ({message: `volume ${v.name}: cluster.server-quorum-type off`, host: host.host, evidence: [at(v, host.host, `cluster.server-quorum-type: ${v.options['cluster.server-quorum-type'] ?? 'unset'}`)]}))
    },
  },
  {
    id: 'gluster-brick-on-root-fs',
    area: 'gluster',
    severity: 'warning',
    title: 'A brick on the root file system',
    why: 'A brick that shares / with the operating system fills it as the volume fills: logs, /var/lib/glusterd (the pool and volume state) and everything else on the node stop with ENOSPC, and the node can stop answering just when a replica needs it. The brick\'s size is then no longer planned either.',
    fix: 'Give every brick its own file system (Gluster recommends XFS, inode size 512), mounted on the brick\'s parent directory (e.g. /data/glusterfs/VOL on its own disk or LV, brick /data/glusterfs/VOL/brick1), and move the brick there: `gluster volume replace-brick VOL OLD NEW commit force`.',
    explain: `Read live on the brick's host: \`findmnt -T BRICK\` says which mount the brick directory is on; "/" is the root file system. Gluster itself refuses such a brick at \`volume create\` ("… ${ROOT_PARTITION_MESSAGE}"), so a brick on / was forced. In the lab the bricks are on a tmpfs of their own (/srv): the rule stays quiet there.`,
    check(input): FindingDraft[] {
      const out: FindingDraft[] = []
      for (const host of input.hosts) {
        for (const {brick, mount} of host.glusterBrickMounts ?? []) {
          if (mount.target !== '/') continue
          // the brick's line in `volume info`, for the evidence (the first volume that lists it)
          const vol = host.gluster.flatMap((g) => g.volumes).find((v) => v.bricks.some((b) => `${b.host}:${b.path}` === brick))
          const line = vol?.bricks.find((b) => `${b.host}:${b.path}` === brick)
          out.push({
            message: `${host.host}: brick ${brick}${vol === undefined ? '' : ` of volume ${vol.name}`} is on the root file system (${mount.source}, ${mount.fstype})`,
            host: host.host,
            evidence: [...(line === undefined ? [] : [ev(line, host.host, brick)]), ev(mount, host.host, `mounted on / (${mount.source} ${mount.fstype})`)],
          })
        }
      }
      return out
    },
  },
]
