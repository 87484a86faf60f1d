/** Gluster readers (on the lab's real `--xml` outputs and client log, test/fixtures/gluster/lab) and the storage probe. */
import assert from 'node:assert/strict'
import {mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {isHachaosError} from '../../../src/errors.js'
import {runFsProbes, RING, type FsProbeResult} from '../../../src/probe/fs.js'
import {clientDisconnects, optionsThatMatter, parseHealInfoXml, parsePeerStatusXml, parseVolumeGetXml, parseVolumeInfoXml, parseVolumeStatusXml} from '../../../src/stacks/gluster/cli.js'
import type {TimelineEvent} from '../../../src/store/run-types.js'
import {readFixture} from '../../fixture.js'

const lab = (...p: string[]): string => readFixture('gluster', 'lab', ...p)

describe('gluster --xml readers (lab captures)', () => {
  it('peer status: two peers in cluster, connected', () => {
    const peers = parsePeerStatusXml(lab('healthy', 'peer-status.xml'), 'peer-status.xml')
    assert.deepEqual(peers.map((p) => [p.hostname, p.connected, p.state, p.stateText]), [
      ['10.74.0.22', true, 3, 'Peer in Cluster'],
      ['10.74.0.23', true, 3, 'Peer in Cluster'],
    ])
  })

  it('volume info: replica 3, started, bricks, reconfigured options', () => {
    const [v] = parseVolumeInfoXml(lab('healthy', 'volume-info.xml'), 'volume-info.xml')
    assert.ok(v !== undefined)
    assert.equal(v.name, 'gv')
    assert.equal(v.status, 'Started')
    assert.equal(v.type, 'Replicate')
    assert.equal(v.replicaCount, 3)
    assert.equal(v.arbiterCount, 0)
    assert.deepEqual(v.bricks.map((b) => [b.host, b.path, b.arbiter]), [
      ['10.74.0.21', '/srv/brick/gv', false],
      ['10.74.0.22', '/srv/brick/gv', false],
      ['10.74.0.23', '/srv/brick/gv', false],
    ])
    assert.equal(v.options['network.ping-timeout'], '5')
  })

  it('volume status: three bricks online with ports and pids, three self-heal daemons; after a brick kill g3 is offline', () => {
    const [s] = parseVolumeStatusXml(lab('healthy', 'volume-status.xml'), 'x')
    assert.ok(s !== undefined)
    assert.equal(s.bricks.length, 3)
    assert.ok(s.bricks.every((b) => b.online && b.port !== null && b.pid !== null))
    assert.equal(s.shd.length, 3)
    const [d] = parseVolumeStatusXml(lab('brick-down', 'volume-status.xml'), 'x')
    assert.deepEqual(d?.bricks.map((b) => [b.hostname, b.online]), [
      ['10.74.0.21', true],
      ['10.74.0.22', true],
      ['10.74.0.23', false],
    ])
    const [q] = parseVolumeStatusXml(lab('quorum-lost', 'volume-status.xml'), 'x')
    assert.equal(q?.bricks.filter((b) => b.online).length, 1)
  })

  it('heal info summary: 0 when healthy; 79 pending after a brick kill; quorum lost: only the answering brick counts', () => {
    assert.equal(parseHealInfoXml(lab('healthy', 'volume-heal-gv-info-summary.xml'), 'x').total, 0)
    const h = parseHealInfoXml(lab('brick-down', 'heal-info-summary.xml'), 'x')
    assert.deepEqual(h.bricks.map((b) => [b.brick, b.entries, b.healPending, b.splitBrain]), [
      ['10.74.0.21:/srv/brick/gv', 39, 39, 0],
      ['10.74.0.22:/srv/brick/gv', 40, 40, 0],
      ['10.74.0.23:/srv/brick/gv', null, null, null],
    ])
    assert.equal(h.total, 79)
    const q = parseHealInfoXml(lab('quorum-lost', 'heal-info-summary.xml'), 'x')
    assert.equal(q.total, 1)
    assert.equal(q.bricks.filter((b) => b.entries === null).length, 2)
    assert.match(q.bricks[1]?.status ?? '', /Transport endpoint is not connected/)
  })

  it('heal info: the files listed per brick (paths)', () => {
    const h = parseHealInfoXml(lab('brick-down', 'heal-info.xml'), 'x')
    const g1 = h.bricks[0]
    assert.ok(g1 !== undefined)
    assert.ok(g1.files.length > 20)
    assert.ok(g1.files.every((f) => f.startsWith('/.hachaos-fsprobe-')))
    assert.equal(parseHealInfoXml(lab('healthy', 'volume-heal-gv-info-split-brain.xml'), 'x').total, 0)
  })

  it('replica 2 split brain (partition, the same file written on both sides): info split-brain lists /sb.txt on both bricks', () => {
    const sb = parseHealInfoXml(lab('split-brain', 'heal-info-split-brain.xml'), 'x')
    assert.deepEqual(sb.bricks.map((b) => [b.brick, b.files, b.entries]), [
      ['10.74.0.21:/srv/brick/gv', ['/sb.txt'], 1],
      ['10.74.0.22:/srv/brick/gv', ['/sb.txt'], 1],
    ])
    const sum = parseHealInfoXml(lab('split-brain', 'heal-info-summary.xml'), 'x')
    assert.deepEqual(sum.bricks.map((b) => b.splitBrain), [1, 1])
    const [v] = parseVolumeInfoXml(lab('split-brain', 'volume-info.xml'), 'x')
    assert.deepEqual([v?.replicaCount, v?.options['cluster.quorum-type']], [2, 'none'])
  })

  it('volume get all: the options that matter, "(DEFAULT)" dropped', () => {
    const all = parseVolumeGetXml(lab('healthy', 'volume-get-gv-all.xml'), 'x')
    assert.ok(Object.keys(all).length > 300)
    assert.deepEqual(optionsThatMatter(all), {
      'network.ping-timeout': '5',
      'cluster.quorum-type': 'auto',
      'cluster.quorum-count': '(null)',
      'cluster.server-quorum-type': 'off',
      'cluster.favorite-child-policy': 'none',
      'cluster.heal-timeout': '600',
    })
  })

  it('client log: the ping-timeout disconnect line', () => {
    const d = clientDisconnects(lab('link-down', 'client-mnt.log'))
    assert.deepEqual(d.map((x) => [x.time, x.subvolume, x.server, x.seconds, x.line]), [['2026-12-05 08:28:42.170688', 'gv-client-2', '10.74.0.23:53837', 5, 143]])
  })

  it('a CLI error or foreign XML is a clear error', () => {
    assert.throws(() => parsePeerStatusXml('<cliOutput><opRet>-1</opRet><opErrno>0</opErrno><opErrstr>Volume gx does not exist</opErrstr></cliOutput>', 'g1:x'), (e) => isHachaosError(e) && /does not exist/.test(e.message))
    assert.throws(() => parsePeerStatusXml('<crm_mon/>', 'f.xml'), (e) => isHachaosError(e) && /cliOutput/.test(e.message))
    assert.throws(() => parsePeerStatusXml('<cliOutput><peer>', 'f.xml'), (e) => isHachaosError(e) && /f\.xml:\d+/.test(e.message))
  })
})

describe('storage probe (hachaos probe --fs) on a local directory', () => {
  it('writes and reads back on schedule, bounded files, removes them at the end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hachaos-fsprobe-'))
    try {
      const got: FsProbeResult[] = []
      const t0 = performance.now()
      const s = await runFsProbes({dir, intervalMs: 20, fsync: false, durationMs: 500, onResult: (r) => got.push(r)})
      const took = performance.now() - t0
      // one tick every 20 ms: every tick up to the end is either sent or skipped (a slow operation on a loaded
      // machine swallows ticks): 500 ms / 20 ms = 25; at least half of them even when a loaded machine delays
      // the timers themselves (the unit suite runs its files in parallel), at most the ticks until the end
      assert.ok(s.sent >= 1 && s.sent + s.skipped >= 12 && s.sent + s.skipped <= Math.ceil(took / 20) + 1, `sent ${s.sent} skipped ${s.skipped} in ${took} ms`)
      assert.equal(s.sent, got.length)
      assert.equal(s.failed, 0)
      assert.ok(got.every((r) => r.ok && r.error === null && r.latencyMs >= 0))
      assert.equal(s.maxLatencyMs, Math.max(...got.map((r) => r.latencyMs)))
      assert.ok(took < 500 + 2000, `ended ${took} ms after the start`)
      assert.deepEqual(readdirSync(dir), [])
      assert.ok(RING >= 1)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('a directory that does not exist: every operation fails with ENOENT, nothing is created', async () => {
    const dir = join(tmpdir(), `hachaos-no-such-${process.pid}`, 'x')
    const s = await runFsProbes({dir, intervalMs: 20, fsync: false, durationMs: 100, onResult: () => undefined})
    assert.ok(s.sent > 0)
    assert.equal(s.ok, 0)
    assert.equal(s.byError['ENOENT'], s.sent)
  })
})

describe('gluster prediction, figures and live hooks', async () => {
  const {predictGluster, clientQuorumMet} = await import('../../../src/stacks/gluster/predict.js')
  const {glusterFigures} = await import('../../../src/stacks/gluster/metrics.js')
  const {GlusterLive} = await import('../../../src/stacks/gluster/live.js')
  const base = {pingTimeoutS: 5, replica: 3, bricksLost: 1, firstBrickLost: false, quorumType: 'auto', quorumCount: null, probeIntervalMs: 100}

  it('a vanished node: between 1× and 2× ping-timeout (+ the probe interval); a killed brick: 0 … 1 s', () => {
    const n = predictGluster({...base, effect: 'node-loss'})
    assert.deepEqual([n.metric, n.minMs, n.takeoverMs, n.maxMs], ['stallMs', 5000, 7500, 10_100])
    assert.match(n.formula, /1× and 2× network\.ping-timeout 5 s/)
    const d = predictGluster({...base, pingTimeoutS: 42, effect: 'node-loss'})
    assert.deepEqual([d.minMs, d.maxMs], [42_000, 84_100])
    const k = predictGluster({...base, effect: 'service-loss'})
    assert.deepEqual([k.takeoverMs, k.minMs, k.maxMs], [0, 0, 1000])
    const none = predictGluster({...base, bricksLost: 0, effect: 'node-loss'})
    assert.equal(none.maxMs, 1000)
  })

  it('client quorum: auto needs more than half, or half with the first brick; losing it is said', () => {
    assert.equal(clientQuorumMet({replica: 3, quorumType: 'auto', quorumCount: null}, 2, true), true)
    assert.equal(clientQuorumMet({replica: 3, quorumType: 'auto', quorumCount: null}, 1, true), false)
    assert.equal(clientQuorumMet({replica: 2, quorumType: 'auto', quorumCount: null}, 1, true), true)
    assert.equal(clientQuorumMet({replica: 2, quorumType: 'auto', quorumCount: null}, 1, false), false)
    assert.equal(clientQuorumMet({replica: 2, quorumType: 'none', quorumCount: null}, 1, false), true)
    assert.equal(clientQuorumMet({replica: 3, quorumType: 'fixed', quorumCount: 2}, 1, true), false)
    const p = predictGluster({...base, replica: 2, firstBrickLost: true, effect: 'node-loss'})
    assert.equal(p.inputs['quorumMetAfterFault'], false)
    assert.match(p.formula, /ENOTCONN/)
  })

  const F = 1_000_000_000_000_000
  const op = (startMs: number, latencyMs: number, ok = true, error: string | null = null): TimelineEvent => ({type: 'probe', t: F + Math.round((startMs + latencyMs) * 1000), host: 'gc', ok, latencyMs, backend: 'fs', error})
  const cl = (atMs: number, resource: string, role: string): TimelineEvent => ({type: 'cluster', t: F + atMs * 1000, host: 'g1', resource, node: null, role})

  it('figures: the longest stall around the fault, failed ops, heal peak and drain after the revert', () => {
    const events: TimelineEvent[] = [op(-200, 5), op(-100, 5), op(-20, 9500), op(9600, 5), op(9700, 5, false, 'ENOTCONN'), op(9800, 5), cl(-500, '@heal-backlog', '0'), cl(3000, '@brick:10.0.0.3:/b', 'offline'), cl(12_000, '@heal-backlog', '90'), cl(12_500, '@heal', 'triggered'), cl(15_000, '@heal-backlog', '0')]
    const f = glusterFigures(events, {faultAtUs: F, revertAtUs: F + 10_000_000})
    assert.equal(f.stallMs, 9500)
    // last good completion before the fault at −95 ms, the stalled write completes at 9480 ms
    assert.equal(f.clientOutageMs, 9575)
    assert.equal(f.failedOps, 1)
    assert.equal(f.firstError, 'ENOTCONN')
    assert.equal(f.healPeak, 90)
    assert.equal(f.healTriggeredMs, 2500)
    assert.equal(f.healDrainedMs, 5000)
    assert.equal(f.brickOfflineMs, 3000)
  })

  it('live hooks: steady with a good write and every brick online; reacted when a write started after the fault; settled only after a backlog read after the revert, O(bricks) state', () => {
    const shared = {revertedAt: null as number | null}
    const h = new GlusterLive({effect: 'node-loss', settleWaitMs: 1000, stableMs: 0, shared})
    assert.equal(h.steady(), false)
    h.observe(op(-300, 5))
    assert.match(h.notSteady(), /brick status/)
    for (let i = 0; i < 1000; i++) h.observe(cl(-200, '@brick:g1:/b', 'online'))
    h.observe(cl(-200, '@heal-backlog', '0'))
    assert.equal(h.steady(), true)
    assert.equal(h.reacted(F), false)
    h.observe(op(-20, 9500))
    assert.equal(h.reacted(F), false)
    h.observe(op(9600, 5))
    assert.equal(h.reacted(F), true)
    const revert = F + 12_000_000
    h.observe({type: 'fault.revert', t: revert, host: 'x', phase: 'after', fault: 'nic-down', ok: true})
    assert.equal(shared.revertedAt, revert)
    assert.equal(h.settled(revert), false, 'no backlog read after the revert yet')
    h.observe(cl(13_000, '@heal-backlog', '0'))
    assert.equal(h.settled(revert), true)
    assert.ok(h.size() <= 5, `state ${h.size()}`)
  })
})

describe('gluster doctor rules', async () => {
  const {parseGlusterVolumeInfo} = await import('../../../src/config/gluster.js')
  const {emptyHost} = await import('../../../src/doctor/types.js')
  const {GLUSTER_RULES} = await import('../../../src/stacks/gluster/rules.js')
  const {doctorRules} = await import('../../../src/stacks/registry.js')
  const LAB = lab('healthy', 'volume-info.txt')
  const input = (text: string, hosts = ['g1']): Parameters<(typeof GLUSTER_RULES)[number]['check']>[0] => ({
    hosts: hosts.map((n) => {
      const h = emptyHost(n)
      h.gluster.push(parseGlusterVolumeInfo(text, {file: `${n}:volume-info`}))
      return h
    }),
  })
  const fired = (id: string, text: string, hosts?: string[]): number => {
    const r = GLUSTER_RULES.find((x) => x.id === id)
    assert.ok(r !== undefined, id)
    return r.check(input(text, hosts)).length
  }
  const withOpt = (text: string, k: string, v: string): string => `${text.trimEnd()}\n${k}: ${v}\n`

  it('registered with the doctor', () => {
    const ids = new Set(doctorRules().map((r) => r.id))
    for (const r of GLUSTER_RULES) assert.ok(ids.has(r.id), r.id)
  })

  it('ping-timeout: the lab (5 s) passes; 42 (set or default) fires, once for the pool read on three hosts', () => {
    assert.equal(fired('gluster-ping-timeout-default', LAB), 0)
    const d = LAB.replace(/network\.ping-timeout: 5\n/, '')
    assert.equal(fired('gluster-ping-timeout-default', d, ['g1', 'g2', 'g3']), 1)
    assert.equal(fired('gluster-ping-timeout-default', LAB.replace('network.ping-timeout: 5', 'network.ping-timeout: 42')), 1)
  })

  it('client quorum: replica 3 defaults to auto (passes); replica 2 without the option, or quorum-type none, fires', () => {
    assert.equal(fired('gluster-client-quorum-off', LAB), 0)
    assert.equal(fired('gluster-client-quorum-off', withOpt(LAB, 'cluster.quorum-type', 'none')), 1)
    const r2 = LAB.replace('1 x 3 = 3', '1 x 2 = 2').replace(/Brick3:.*\n/, '')
    assert.equal(fired('gluster-client-quorum-off', r2), 1)
    assert.equal(fired('gluster-client-quorum-off', withOpt(r2, 'cluster.quorum-type', 'auto')), 0)
  })

  it('replica set on one host: two bricks of the set on 10.74.0.21 fires with both bricks as evidence', () => {
    assert.equal(fired('gluster-replica-set-one-host', LAB), 0)
    const same = LAB.replace('Brick2: 10.74.0.22:/srv/brick/gv', 'Brick2: 10.74.0.21:/srv/brick/gv2')
    const r = GLUSTER_RULES.find((x) => x.id === 'gluster-replica-set-one-host')
    const f = r?.check(input(same)) ?? []
    assert.equal(f.length, 1)
    assert.equal(f[0]?.evidence.length, 2)
  })

  it('the split-brain lab volume (replica 2, quorum none) is found by the quorum rule and the replica-2 rule', () => {
    const sb = lab('split-brain', 'volume-info.txt')
    assert.equal(fired('gluster-client-quorum-off', sb), 1)
    const ids = doctorRules()
      .filter((r) => r.check(input(sb)).length > 0)
      .map((r) => r.id)
    assert.ok(ids.includes('gluster-replica2-no-arbiter'), ids.join(', '))
  })

  it('server quorum: off on a replica 3 volume is a note; set to server, nothing', () => {
    assert.equal(fired('gluster-server-quorum-off', LAB), 1)
    assert.equal(fired('gluster-server-quorum-off', withOpt(LAB, 'cluster.server-quorum-type', 'server')), 0)
  })
})

describe('gluster lab topology', async () => {
  const {glusterTopology, volumeCreateArgv, volumeOptions} = await import('../../../src/stacks/gluster/lab/topology.js')
  const {renderRc, NODE_INIT_SH} = await import('../../../src/stacks/gluster/lab/render.js')

  it('replica 3 on g1..g3; replica 2 on g1, g2; --arbiter: replica 3 arbiter 1 with the arbiter on g3', () => {
    assert.deepEqual(volumeCreateArgv(glusterTopology('hc')), ['--mode=script', 'volume', 'create', 'gv', 'replica', '3', '10.74.0.21:/srv/brick/gv', '10.74.0.22:/srv/brick/gv', '10.74.0.23:/srv/brick/gv'])
    const r2 = glusterTopology('hc', {replica: '2'})
    assert.deepEqual(volumeCreateArgv(r2).slice(4), ['replica', '2', '10.74.0.21:/srv/brick/gv', '10.74.0.22:/srv/brick/gv'])
    assert.equal(r2.servers[2]?.brick, null)
    const a = glusterTopology('hc', {replica: '2', arbiter: true})
    assert.deepEqual(volumeCreateArgv(a).slice(4, 8), ['replica', '3', 'arbiter', '1'])
    assert.equal(a.servers[2]?.brick, 'arbiter')
    assert.deepEqual(a.clients.map((c) => [c.name, c.ns, c.ip]), [['gc', 'hc-gc', '10.74.0.200'], ['gc2', 'hc-gc2', '10.74.0.201']])
  })

  it('options: ping-timeout always, quorum when asked (fixed with a majority count); bad flags are usage errors', () => {
    assert.deepEqual(volumeOptions(glusterTopology('hc', {pingTimeout: '5'})), [['network.ping-timeout', '5']])
    assert.deepEqual(volumeOptions(glusterTopology('hc', {quorum: 'fixed'})), [['network.ping-timeout', '42'], ['cluster.quorum-type', 'fixed'], ['cluster.quorum-count', '2']])
    for (const o of [{replica: '4'}, {replica: '3', arbiter: true}, {pingTimeout: '0'}, {quorum: 'most'}]) {
      assert.throws(() => glusterTopology('hc', o), (e) => isHachaosError(e) && e.exitName === 'USAGE', JSON.stringify(o))
    }
  })

  it('node files: the init mounts the brick tmpfs on servers and makes /run/gluster; the rc script mounts only a fuse.glusterfs', () => {
    assert.match(NODE_INIT_SH, /if \[ "\$KIND" = server \]; then mount -n -t tmpfs .* \/srv/)
    assert.match(NODE_INIT_SH, /chown gluster:gluster "\$R\/newrun\/gluster"/)
    const rc = renderRc({volume: 'gv', volfileServers: ['10.74.0.21', '10.74.0.22', '10.74.0.23']})
    assert.match(rc, /findmnt -n -t fuse\.glusterfs \/mnt/)
    assert.match(rc, /mount -t glusterfs -o backup-volfile-servers=10\.74\.0\.22:10\.74\.0\.23 10\.74\.0\.21:\/\$VOL \/mnt/)
  })
})
