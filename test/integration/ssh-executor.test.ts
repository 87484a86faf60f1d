/**
 * The ssh executor against a real OpenSSH server of our own on loopback (127.0.0.1, a free port, its own host
 * key, config and authorized key; ended by PID in after()). Checks what unit tests cannot: the remote shell
 * really receives the argv unchanged, host keys are checked, BatchMode never prompts, one ControlMaster is
 * reused, and a stopped stream leaves no process behind on the remote side.
 */
import assert from 'node:assert/strict'
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {HachaosError} from '../../src/errors.js'
import {SshExecutor} from '../../src/exec/ssh.js'
import {sleep} from '../../src/time.js'

const HOSTILE = ['semi;colon', '$(touch /tmp/hachaos-ssh-pwned)', '`id`', "it's", '"dq"', 'new\nline', '*', '~', '-n', '--', 'a b', '', '\\', '高可用']
const PRINT_ARGV = [process.execPath, '-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', '--']

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      const port = typeof a === 'object' && a !== null ? a.port : 0
      s.close(() => resolve(port))
    })
  })
}

describe('ssh executor against a real sshd on loopback', {skip: !existsSync('/usr/sbin/sshd') && 'openssh-server not installed'}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hachaos-ssh-'))
  let sshd: ChildProcess | undefined
  let port = 0
  let ex: SshExecutor

  before(async () => {
    port = await freePort()
    const keygen = (f: string): void => {
      const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, f)])
      assert.equal(r.status, 0, String(r.stderr))
    }
    keygen('host_key')
    keygen('id_ed25519')
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'id_ed25519.pub')), {mode: 0o600})
    writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${readFileSync(join(dir, 'host_key.pub'), 'utf8')}`)
    writeFileSync(join(dir, 'wrong_known_hosts'), `[127.0.0.1]:${port} ${readFileSync(join(dir, 'id_ed25519.pub'), 'utf8')}`)
    writeFileSync(
      join(dir, 'sshd_config'),
      [`Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'host_key')}`, `PidFile ${join(dir, 'sshd.pid')}`, `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PermitRootLogin prohibit-password', 'StrictModes no', 'UsePAM no', 'LogLevel ERROR', ''].join('\n'),
    )
    mkdirSync('/run/sshd', {recursive: true, mode: 0o755})
    sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], {stdio: 'ignore'})
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((r) => {
        const s = createServer()
        s.once('error', () => r(true))
        s.listen(port, '127.0.0.1', () => s.close(() => r(false)))
      })
      if (ok) break
      await sleep(50)
    }
    ex = new SshExecutor('remote', {address: '127.0.0.1', port, user: 'root', key: join(dir, 'id_ed25519'), knownHostsFile: join(dir, 'known_hosts')})
  })

  after(async () => {
    await ex?.close().catch(() => undefined)
    if (sshd?.pid !== undefined) process.kill(sshd.pid, 'SIGTERM')
    rmSync(dir, {recursive: true, force: true})
  })

  it('the remote side receives exactly the argv given, hostile arguments included', async () => {
    const r = await ex.run([...PRINT_ARGV, ...HOSTILE])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(JSON.parse(r.stdout), HOSTILE)
    assert.equal(existsSync('/tmp/hachaos-ssh-pwned'), false)
  })

  it('exit code, stderr and timestamps come back', async () => {
    const r = await ex.run(['sh', '-c', 'echo oops >&2; exit 3'])
    assert.equal(r.code, 3)
    assert.equal(r.stderr.trim(), 'oops')
    assert.ok(r.t1 > r.t0)
  })

  it('one ControlMaster connection is shared by every command', async () => {
    await ex.run(['true'])
    const check = spawnSync('ssh', [...ex.sshOptions(), '-O', 'check', '--', '127.0.0.1'], {encoding: 'utf8'})
    assert.equal(check.status, 0, check.stderr)
    assert.match(check.stderr, /Master running/)
  })

  it('reads files and finds processes on the host', async () => {
    assert.match(await ex.readFile(join(dir, 'sshd_config')), new RegExp(`Port ${port}`))
    await assert.rejects(ex.readFile('/nonexistent/file'), (e: unknown) => e instanceof HachaosError && e.exitName === 'BAD_INPUT')
    assert.ok((await ex.pidsOf('sshd')).includes(sshd?.pid ?? -1))
  })

  it('a stopped stream leaves no process on the remote side', async () => {
    const marker = `hachaos-stream-${process.pid}`
    const s = ex.spawn([process.execPath, '-e', `process.title='${marker}'; console.log(process.pid); setInterval(()=>console.log('tick'), 50)`])
    let remotePid = 0
    let ticks = 0
    for await (const l of s.lines()) {
      if (remotePid === 0 && /^\d+$/.test(l.text)) remotePid = Number(l.text)
      else if (l.text === 'tick') ticks++
      if (ticks >= 3) break
    }
    assert.ok(remotePid > 0 && existsSync(`/proc/${remotePid}`), `remote pid ${remotePid}, ticks ${ticks}`)
    await s.stop({graceMs: 2000})
    for (let i = 0; i < 40 && existsSync(`/proc/${remotePid}`); i++) await sleep(50)
    assert.equal(existsSync(`/proc/${remotePid}`), false, 'the remote process ended with the stream')
  })

  it('host keys are checked: a wrong key is refused, never accepted', async () => {
    const bad = new SshExecutor('impostor', {address: '127.0.0.1', port, user: 'root', key: join(dir, 'id_ed25519'), knownHostsFile: join(dir, 'wrong_known_hosts'), options: {ControlPath: 'none'}})
    await assert.rejects(bad.run(['true']), (e: unknown) => e instanceof HachaosError && e.code === 'E_SSH' && e.exitName === 'HOST')
  })

  it('BatchMode: without a usable key it fails at once instead of prompting', async () => {
    const nokey = new SshExecutor('nokey', {address: '127.0.0.1', port, user: 'root', key: join(dir, 'host_key'), knownHostsFile: join(dir, 'known_hosts'), options: {ControlPath: 'none', IdentitiesOnly: 'yes'}})
    const t0 = Date.now()
    await assert.rejects(nokey.run(['true']), (e: unknown) => e instanceof HachaosError && e.code === 'E_SSH')
    assert.ok(Date.now() - t0 < 10_000)
  })
})
