import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import fc from 'fast-check'

import {parseGlusterVolumeInfo} from '../../../src/config/gluster.js'
import {parseIpvsadm} from '../../../src/config/ipvs.js'
import {parseSysctl} from '../../../src/config/sysctl.js'
import {isHachaosError} from '../../../src/errors.js'
import {readFixture} from '../../fixture.js'
import {cleanFailure} from './helpers.js'

describe('ipvsadm (captured from ipvsadm 1.31)', () => {
  const expectServices = (t: ReturnType<typeof parseIpvsadm>): void => {
    assert.deepEqual(
      t.services.map((s) => [s.protocol, s.address, s.port, s.scheduler, s.persistent, s.reals.map((r) => `${r.address}:${r.port}/${r.forward}/${r.weight}`)]),
      [
        ['TCP', '10.0.0.100', 80, 'rr', undefined, ['10.0.0.21:80/DR/1', '10.0.0.22:80/DR/1']],
        ['TCP', '10.0.0.100', 443, 'wlc', 300, ['192.168.10.21:8443/NAT/2']],
        ['UDP', '10.0.0.100', 53, 'rr', undefined, ['10.0.0.31:53/TUN/1']],
        ['TCP', '2001:db8::100', 80, 'rr', undefined, ['2001:db8::21:80/DR/1']],
        ['FWM', '7', 0, 'sh', undefined, ['10.0.0.21:0/DR/3', '10.0.0.22:0/DR/0']],
      ],
    )
  }
  it('reads -Ln and --save into the same services', () => {
    const list = parseIpvsadm(readFixture('ipvs', 'ipvsadm-Ln.txt'), {file: 'l'})
    assert.equal(list.format, 'list')
    expectServices(list)
    assert.equal(list.services[0]?.line, 4)
    assert.equal(list.services[0]?.reals[1]?.line, 6)
    const save = parseIpvsadm(readFixture('ipvs', 'ipvsadm-save.txt'), {file: 's'})
    assert.equal(save.format, 'save')
    expectServices(save)
    assert.equal(save.services[1]?.line, 4)
  })

  it('reads the --stats layout (no forwarding method there)', () => {
    const st = parseIpvsadm(readFixture('ipvs', 'ipvsadm-Ln-stats.txt'), {file: 'st'})
    assert.deepEqual(st.services.map((s) => s.reals.length), [2, 1, 1, 1, 2])
    assert.equal(st.services[0]?.reals[0]?.forward, 'UNKNOWN')
  })

  it('names file:line for malformed input', () => {
    const cases: Array<[string, string]> = [
      ['IP Virtual Server version 1.2.1 (size=4096)\n  -> 10.0.0.1:80  Route 1 0 0\n', 'x:2'],
      ['IP Virtual Server version 1.2.1 (size=4096)\nTCP  10.0.0.100 rr\n', 'x:2'],
      ['IP Virtual Server version 1.2.1 (size=4096)\nTCP  10.0.0.100:80 rr\n  -> 10.0.0.1:80  Route\n', 'x:3'],
      ['-a -t 10.0.0.100:80 -r 10.0.0.1:80 -g -w 1\n', 'x:1'],
      ['-A -s rr\n', 'x:1'],
      ['hello world\n', 'x:1'],
    ]
    for (const [t, where] of cases) assert.throws(() => parseIpvsadm(t, {file: 'x'}), (e: unknown) => isHachaosError(e) && e.where === where, t)
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom('-A', '-a', '-t', '-f', '-r', '-g', '-w', '-p', '10.0.0.1:80', '[::1]:80', 'TCP', 'FWM', '->', 'Route', '1', ' ', '\n', 'IP Virtual Server version'), fc.string({maxLength: 4})), {maxLength: 40}), (a) =>
        cleanFailure(() => parseIpvsadm(a.join(' '), {file: 'f'}), /^f:\d+$/),
      ),
      {numRuns: 1500},
    )
  })
})

describe('gluster volume info and sysctl', () => {
  it('reads replica 2, arbiter and distributed-replicate volumes', () => {
    const g = parseGlusterVolumeInfo(readFixture('gluster', 'volume-info-mixed.txt'), {file: 'g'})
    assert.deepEqual(
      g.volumes.map((v) => [v.name, v.type, v.subvolumes, v.replica, v.arbiterCount, v.brickCount, v.bricks.length, v.bricks.filter((b) => b.arbiter).length]),
      [
        ['gv_web', 'Replicate', 1, 2, 0, 2, 2, 0],
        ['gv_data', 'Replicate', 1, 3, 1, 3, 3, 1],
        ['gv_logs', 'Distributed-Replicate', 2, 3, 0, 6, 6, 0],
      ],
    )
    assert.equal(g.volumes[0]?.numberOfBricksLine, 7)
    assert.equal(g.volumes[0]?.options['nfs.disable'], 'on')
    assert.deepEqual([g.volumes[1]?.bricks[2]?.host, g.volumes[1]?.bricks[2]?.path], ['stor3', '/data/glusterfs/gv_data/arbiter'])
    assert.deepEqual(parseGlusterVolumeInfo('No volumes present\n', {file: 'g'}).volumes, [])
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom('Volume Name: ', 'v', 'Type: Replicate', 'Number of Bricks: ', '1 x 2 = 2', '1 x (2 + 1) = 3', 'Brick1: ', 'h:/b', ' (arbiter)', 'Options Reconfigured:', ':', '\n'), fc.string({maxLength: 4})), {maxLength: 40}), (a) => {
        cleanFailure(() => parseGlusterVolumeInfo(a.join(''), {file: 'f'}), /^f:\d+$/)
        cleanFailure(() => parseSysctl(a.join(''), {file: 'f'}), /^f:\d+$/)
      }),
      {numRuns: 1500},
    )
    for (const [t, where] of [['Type: Replicate\n', 'g:1'], ['Volume Name: v\nNumber of Bricks: lots\n', 'g:2'], ['Volume Name: v\nBrick1: nohostpath\n', 'g:2'], ['hello\n', 'g:1']] as const) {
      assert.throws(() => parseGlusterVolumeInfo(t, {file: 'g'}), (e: unknown) => isHachaosError(e) && e.where === where, t)
    }
  })

  it('reads GlusterFS 10.3 output (captured): all volumes and one volume', () => {
    const g = parseGlusterVolumeInfo(readFixture('gluster', 'volume-info-gluster10.txt'), {file: 'g'})
    assert.deepEqual(
      g.volumes.map((v) => [v.name, v.type, v.status, v.replica, v.arbiterCount, v.bricks.map((b) => `${b.host}:${b.path}${b.arbiter ? '(A)' : ''}`), v.line]),
      [
        ['gv_data', 'Replicate', 'Created', 3, 1, ['10.97.0.1:/tmp/hcd/gl/bricks/c', '10.97.0.1:/tmp/hcd/gl/bricks/d', '10.97.0.1:/tmp/hcd/gl/bricks/e(A)'], 2],
        ['gv_web', 'Replicate', 'Started', 2, 0, ['10.97.0.1:/tmp/hcd/gl/bricks/a', '10.97.0.1:/tmp/hcd/gl/bricks/b'], 20],
      ],
    )
    assert.equal(g.volumes[1]?.numberOfBricksLine, 25)
    assert.deepEqual(parseGlusterVolumeInfo(readFixture('gluster', 'volume-info-one-gluster10.txt'), {file: 'g'}).volumes.map((v) => v.name), ['gv_data'])
  })

  it('reads sysctl output (captured in the lab) and sysctl.conf', () => {
    const s = parseSysctl(readFixture('sysctl', 'lab-lb2-sysctl.txt'), {file: 's'})
    assert.deepEqual([s['net.ipv4.ip_nonlocal_bind']?.value, s['net.ipv4.ip_nonlocal_bind']?.line], ['1', 1])
    const d = parseSysctl(readFixture('sysctl', 'debian-sysctl.conf'), {file: 'd'})
    assert.deepEqual(Object.keys(d), [], "Debian's sysctl.conf is all comments")
    assert.equal(parseSysctl('net/ipv4/ip_forward=1\n', {file: 'x'})['net.ipv4.ip_forward']?.value, '1')
    assert.throws(() => parseSysctl('what\n', {file: 'x'}), (e: unknown) => isHachaosError(e) && e.where === 'x:1')
  })
})
