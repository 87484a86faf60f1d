import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {describe, it} from 'node:test'

import {SshExecutor} from '../../src/exec/ssh.js'
import {shJoin, shQuote} from '../../src/exec/quote.js'

/** Arguments a remote shell would love to misread. */
const HOSTILE = [
  'plain',
  '',
  ' ',
  'two words',
  'semi;colon; rm -rf /tmp/should-not-run',
  '$(touch /tmp/hachaos-pwned)',
  '`touch /tmp/hachaos-pwned`',
  "it's",
  '"double"',
  "'single'",
  "mixed '\"` $HOME ${PATH} \\ end",
  'new\nline',
  'tab\there',
  '*',
  '/etc/*',
  '?',
  '[a-z]',
  '~',
  '~root',
  '-n',
  '--rm',
  '-e',
  'a&&b||c',
  '|pipe',
  '>redirect',
  '<in',
  '#comment',
  'a=b',
  '!bang',
  '\\',
  'unicode: 高可用 ✓',
  '%s%n',
]

/** A program that prints the argv it received as JSON: node itself. */
const PRINT_ARGV = [process.execPath, '-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', '--']

function throughShell(shell: string, cmdline: string): string[] {
  const r = spawnSync(shell, ['-c', cmdline], {encoding: 'utf8', cwd: '/'})
  assert.equal(r.status, 0, `${shell} failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as string[]
}

describe('shell quoting for ssh (the remote shell must see exactly the argv given)', () => {
  for (const shell of ['sh', 'bash', 'dash'].filter((s) => spawnSync('which', [s]).status === 0)) {
    it(`round-trips every hostile argument through ${shell} -c`, () => {
      const got = throughShell(shell, shJoin([...PRINT_ARGV, ...HOSTILE]))
      // node drops the `--` separator itself
      assert.deepEqual(got, HOSTILE)
    })

    it(`round-trips each hostile argument alone through ${shell} -c`, () => {
      for (const h of HOSTILE) assert.deepEqual(throughShell(shell, shJoin([...PRINT_ARGV, h])), [h], JSON.stringify(h))
    })
  }

  it('leaves plain words unquoted and quotes the rest', () => {
    assert.equal(shQuote('eth0'), 'eth0')
    assert.equal(shQuote('/usr/sbin/ip'), '/usr/sbin/ip')
    assert.equal(shQuote(''), "''")
    assert.equal(shQuote("it's"), `'it'\\''s'`)
    assert.equal(shQuote('~'), "'~'")
    assert.equal(shQuote('$(x)'), "'$(x)'")
  })

  it('the ssh executor builds BatchMode/ControlMaster/StrictHostKeyChecking options and one quoted remote string', () => {
    const ex = new SshExecutor('lb1', {address: '192.0.2.10', user: 'root', port: 2222, key: '/root/.ssh/id_ed25519'})
    const argv = ex.command(['kill', '-s', 'TERM', '$(reboot)'])
    assert.equal(argv[0], 'ssh')
    const opts = argv.join(' ')
    assert.match(opts, /-o BatchMode=yes/)
    assert.match(opts, /-o StrictHostKeyChecking=yes/)
    assert.match(opts, /-o ControlMaster=auto/)
    assert.match(opts, /-o ControlPersist=60s/)
    assert.deepEqual(argv.slice(-3), ['--', '192.0.2.10', "kill -s TERM '$(reboot)'"])
    assert.ok(argv.includes('-p') && argv[argv.indexOf('-p') + 1] === '2222')
    assert.ok(argv.includes('-l') && argv[argv.indexOf('-l') + 1] === 'root')
    // What the remote shell receives runs the argv unchanged:
    assert.deepEqual(throughShell('sh', ex.remoteCommand([...PRINT_ARGV, ...HOSTILE])), HOSTILE)
  })

  it('passes environment variables inside the remote command, quoted', () => {
    const ex = new SshExecutor('lb1', {address: 'lb1.example.net'})
    assert.equal(ex.remoteCommand(['true'], {LC_ALL: 'C', X: 'a b'}), "env LC_ALL=C 'X=a b' true")
  })

  it('refuses hostile host names, users, and turning host-key checking off', () => {
    for (const address of ['-oProxyCommand=touch /tmp/x', 'host name', 'a;b', '$(x)', '', 'ho`st`', '-p']) {
      assert.throws(() => new SshExecutor('x', {address}), /is not a host name or IP address/, address)
    }
    assert.throws(() => new SshExecutor('x', {address: 'ok.example', user: '-oProxyCommand=x'}), /not a valid user name/)
    assert.throws(() => new SshExecutor('x', {address: 'ok.example', options: {StrictHostKeyChecking: 'no'}}), /does not turn host-key checking off/)
    assert.doesNotThrow(() => new SshExecutor('x', {address: '2001:db8::1'}))
    assert.doesNotThrow(() => new SshExecutor('x', {address: '10.0.0.1'}))
  })
})
