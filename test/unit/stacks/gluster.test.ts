/** Gluster readers (on the lab's real `--xml` outputs and client log, test/fixtures/gluster/lab) and the storage probe. */
import assert from 'node:assert/strict'
import {mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {isHachaosError} from '../../../src/errors.js'
import {runFsProbes, RING, type FsProbeResult} from '../../../src/probe/fs.js'
import {clientDisconnects, optionsThatMatter, parseHealInfoXml, parsePeerStatusXml, parseVolumeGetXml, parseVolumeInfoXml, parseVolumeStatusXml} from '../../../src/stacks/gluster/cli.js'
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

  it('volume get all: the options that matter, "(DEFAULT)" dropped', () => {
    const all = parseVolumeGetXml(lab('healthy', 'volume-get-gv-all.xml'), 'x')
    assert.ok(Object.keys(all).length > 300)
    assert.deepEqual(optionsThatMatter(all), {
      'network.ping-timeout': '5',
      'cluster.quorum-type': 'auto',
      'cluster.quorum-count': '(null)',
      'cluster.server-quorum-type': 'off',
      'cluster.favorite-child-policy': 'none',
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
      const s = await runFsProbes({dir, intervalMs: 20, fsync: true, durationMs: 500, onResult: (r) => got.push(r)})
      const took = performance.now() - t0
      // 500 ms at one every 20 ms: 25 ticks (±3 for timer jitter on a loaded machine; skipped ticks are counted)
      assert.ok(s.sent + s.skipped >= 22 && s.sent + s.skipped <= 28, `sent ${s.sent} skipped ${s.skipped}`)
      assert.equal(s.sent, got.length)
      assert.equal(s.failed, 0)
      assert.ok(got.every((r) => r.ok && r.error === null && r.latencyMs >= 0))
      assert.equal(s.maxLatencyMs, Math.max(...got.map((r) => r.latencyMs)))
      assert.ok(took < 500 + 500, `ended ${took} ms after the start`)
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
