/**
 * The brick-on-root doctor rule (src/stacks/gluster/rules.ts gluster-brick-on-root-fs) and the findmnt reader
 * (src/config/findmnt.ts), on outputs captured in the Gluster lab (test/fixtures/gluster/lab/brick-mounts):
 * `gluster volume info` on g3 with the lab's volume gv (bricks on the nodes' /srv tmpfs) and a volume rootvol
 * forced onto a directory on the machine's root file system, and `findmnt -T` for both bricks.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {findmntArgv, parseFindmnt} from '../../../src/config/findmnt.js'
import {parseGlusterVolumeInfo} from '../../../src/config/gluster.js'
import {type HostConfigs, emptyHost} from '../../../src/doctor/types.js'
import {isHachaosError} from '../../../src/errors.js'
import {GLUSTER_RULES, ROOT_PARTITION_MESSAGE} from '../../../src/stacks/gluster/rules.js'
import {doctorRules} from '../../../src/stacks/registry.js'
import {readFixture} from '../../fixture.js'

const fx = (n: string): string => readFixture('gluster', 'lab', 'brick-mounts', n)
const rule = GLUSTER_RULES.find((r) => r.id === 'gluster-brick-on-root-fs')

function host(name: string, address: string, mounts: Array<[string, string]>): HostConfigs {
  const h = {...emptyHost(name), address}
  h.gluster.push(parseGlusterVolumeInfo(fx('volume-info.txt'), {file: `${name}:gluster volume info`}))
  for (const [brick, out] of mounts) {
    const [mount] = parseFindmnt(out, {file: `${name}:findmnt`})
    assert.ok(mount !== undefined)
    ;(h.glusterBrickMounts ??= []).push({brick, mount})
  }
  return h
}

describe('findmnt -P reader', () => {
  it('reads the lab captures: the brick tmpfs on /srv, the root file system', () => {
    const [tmp] = parseFindmnt(fx('findmnt-g1-srv-brick-gv.txt'), {file: 'g1'})
    assert.deepEqual([tmp?.target, tmp?.fstype], ['/srv', 'tmpfs'])
    const [root] = parseFindmnt(fx('findmnt-g3-rootbrick.txt'), {file: 'g3'})
    assert.equal(root?.target, '/')
    assert.deepEqual(findmntArgv('/b'), ['findmnt', '-n', '-P', '-o', 'TARGET,SOURCE,FSTYPE', '-T', '/b'])
  })
  it('unescapes \\xHH; a line without TARGET is a parse error with file:line', () => {
    assert.equal(parseFindmnt('TARGET="/data/my\\x20disk" SOURCE="/dev/sdb1" FSTYPE="xfs"\n', {file: 'f'})[0]?.target, '/data/my disk')
    assert.throws(() => parseFindmnt('\nSOURCE="x"\n', {file: 'f'}), (e: unknown) => isHachaosError(e) && /f:2/.test(e.message))
  })
})

describe('doctor: gluster-brick-on-root-fs', () => {
  it('is registered', () => {
    assert.ok(rule !== undefined)
    assert.ok(doctorRules().some((r) => r.id === rule.id))
    assert.match(rule.explain ?? '', /root partition/)
  })
  it('fires for rootvol\'s brick on g3 (mounted on /), with the brick line and the mount as evidence; not for the tmpfs bricks', () => {
    assert.ok(rule !== undefined)
    const brick = fx('volume-info.txt').match(/^Brick1: (10\.74\.0\.23:\S+)$/m)?.[1]
    assert.ok(brick !== undefined, 'rootvol brick in the capture')
    const input = {
      hosts: [host('g1', '10.74.0.21', [['10.74.0.21:/srv/brick/gv', fx('findmnt-g1-srv-brick-gv.txt')]]), host('g3', '10.74.0.23', [[brick, fx('findmnt-g3-rootbrick.txt')]])],
    }
    const f = rule.check(input)
    assert.equal(f.length, 1)
    assert.equal(f[0]?.host, 'g3')
    assert.match(f[0]?.message ?? '', /volume rootvol is on the root file system/)
    assert.deepEqual(f[0]?.evidence.map((e) => e.file), ['g3:gluster volume info', 'g3:findmnt'])
    // nothing read (an older collector, or --dir files): nothing said
    assert.deepEqual(rule.check({hosts: [{...emptyHost('g3')}]}), [])
  })
  it('quotes the message Gluster refuses such a brick with', () => {
    assert.match(fx('volume-create-refused.txt'), new RegExp(ROOT_PARTITION_MESSAGE.slice(0, 40).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
  })
})
