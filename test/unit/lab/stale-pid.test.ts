/**
 * A lab daemon's restart after a kill: pid files naming a dead (or zombie) PID are removed before the start
 * (keepalived and apache2 refuse to start while their pid file names a PID that still exists, and a killed
 * copy stays a zombie for seconds here); a pid file naming a live process is left alone.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {removeStalePidFiles} from '../../../src/lab/services.js'

const dir = mkdtempSync(join(tmpdir(), 'hachaos-pid-'))
after(() => rmSync(dir, {recursive: true, force: true}))

describe('stale pid files of lab daemons', () => {
  it('removes the files naming a gone PID, keeps the one naming a live process', () => {
    // a PID that existed and is gone (the child was reaped by spawnSync)
    const gone = spawnSync('true').pid as number
    const live = join(dir, 'keepalived.pid')
    const dead = join(dir, 'vrrp.pid')
    const junk = join(dir, 'apache2.pid')
    writeFileSync(live, `${process.pid}\n`)
    writeFileSync(dead, `${gone}\n`)
    writeFileSync(junk, 'not a pid\n')
    const removed = removeStalePidFiles({pidFile: live, pidFiles: [live, dead, junk, join(dir, 'missing.pid')]})
    assert.deepEqual(removed.sort(), [junk, dead].sort())
    assert.ok(existsSync(live))
    assert.ok(!existsSync(dead))
  })
})
