/**
 * The ssh ControlMasters of a drill (issue 12): found by PID (`ssh -O check`), journaled with their start time,
 * and those of a hachaos process that is gone found by their socket's name and swept by `hachaos recover`.
 * The real master (an sshd) is in test/integration/failover-over-ssh.test.ts; here the parts that need none.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {SshExecutor, leftoverSshMasters, parseMasterPid, sshMasters, sweepSshMasters} from '../../../src/exec/ssh.js'
import {cmdlineOf, pidAlive, pidStartOf, sameStart, startOfStat} from '../../../src/util/proc.js'

const dir = mkdtempSync(join(tmpdir(), 'hachaos-ssh-unit-'))
const servers: Server[] = []
after(() => {
  for (const s of servers) s.close()
  rmSync(dir, {recursive: true, force: true})
})

/** A PID that was ours and is gone (a child that exited). */
function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$'], {encoding: 'utf8'})
  const pid = Number(r.stdout.trim())
  assert.ok(pid > 0 && !pidAlive(pid))
  return pid
}

const listen = (path: string): Promise<void> =>
  new Promise((resolve) => {
    const s = createServer((c) => c.destroy())
    servers.push(s)
    s.listen(path, () => resolve())
  })

describe('proc: PID start times (recover never signals a recycled PID)', () => {
  it('field 22 of /proc/PID/stat, also when comm holds spaces and parentheses', () => {
    const own = readFileSync('/proc/self/stat', 'utf8')
    assert.equal(pidStartOf(process.pid), startOfStat(readFileSync(`/proc/${process.pid}/stat`, 'utf8')))
    assert.match(startOfStat(own) ?? '', /^\d+$/)
    // captured from a process named "a) (b" (prctl PR_SET_NAME)
    const line = '4242 (a) (b) S 1 4242 4242 0 -1 4194560 120 0 0 0 1 2 0 0 20 0 1 0 987654 3133440 388 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0'
    assert.equal(startOfStat(line), '987654')
    assert.equal(startOfStat('garbage'), null)
  })

  it('a gone PID has no start, argv or life; ours has all three', () => {
    const gone = deadPid()
    assert.equal(pidStartOf(gone), null)
    assert.equal(cmdlineOf(gone), null)
    assert.equal(sameStart(gone, '1'), false)
    assert.ok(sameStart(process.pid, pidStartOf(process.pid)))
    assert.ok((cmdlineOf(process.pid) ?? [])[0]?.includes('node'))
  })
})

describe('ssh ControlMasters', () => {
  it('the PID of `ssh -O check`', () => {
    assert.equal(parseMasterPid('Master running (pid=31337)\r\n'), 31337)
    assert.equal(parseMasterPid('Control socket connect(/tmp/x): No such file or directory\r\n'), null)
  })

  it('the ControlPath is this process\'s own (its PID in the socket name); an inventory\'s own ControlPath is left alone', () => {
    const ex = new SshExecutor('h', {address: '192.0.2.1'})
    const cp = ex.sshOptions().find((o) => o.startsWith('ControlPath='))
    assert.match(cp ?? '', new RegExp(`/hachaos-ssh-\\d+/${process.pid}-%C$`))
    // ssh keeps the first value: the inventory's ControlPath wins, and its master is not ours to track
    const theirs = new SshExecutor('h', {address: '192.0.2.1', options: {ControlPath: 'none'}})
    assert.equal(theirs.sshOptions().find((o) => o.startsWith('ControlPath=')), 'ControlPath=none')
    assert.deepEqual(sshMasters(), [])
  })

  it('sockets of a gone owner are leftovers (a stale one: no master answers), a live owner\'s are not; the sweep removes them', async () => {
    const hash = 'a'.repeat(40)
    const gone = deadPid()
    const stale = join(dir, `${gone}-${hash}`)
    const live = join(dir, `${process.pid}-${hash}`)
    await listen(stale)
    await listen(live)
    const left = await leftoverSshMasters(dir)
    assert.deepEqual(left, [{socket: stale, ownerPid: gone, pid: null}])
    const swept = await sweepSshMasters(dir)
    assert.equal(swept.length, 1)
    assert.equal(existsSync(stale), false)
    assert.equal(existsSync(live), true, 'a live owner\'s socket stays')
    assert.deepEqual(await leftoverSshMasters(join(dir, 'none')), [])
  })
})
