import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {VmExecutor} from '../../../src/exec/vm.js'
import {decodeAnswer, encodeRequest, guestScript} from '../../../src/exec/vm-protocol.js'
import {busyboxPath, startFakeGuest, type FakeGuest} from './vm-harness.js'

const HOSTILE = [
  'plain',
  '',
  ' leading and trailing spaces ',
  "it's",
  '"double"',
  '$(touch /tmp/hx-pwned)',
  '`touch /tmp/hx-pwned`',
  '; rm -rf / ;',
  'a\nb\nc',
  'tab\there',
  '--help',
  '-n',
  '*',
  '~',
  '\\backslash\\',
  'ünïcødé ✓',
  "'; echo injected; '",
  '__HX_R deadbeefdeadbeef 0  ',
  'R 0123456789abcdef Zm9v',
]

describe('vm protocol (pure)', () => {
  it('encodes argv as one request line whatever the arguments hold', () => {
    const line = encodeRequest('R', 'abcdef0123456789', ['printf', '%s\\n', ...HOSTILE], {input: 'x\ny\n', env: {A: 'b c'}})
    assert.equal(line.split('\n').length, 2, 'exactly one line')
    assert.match(line, /^R abcdef0123456789 [A-Za-z0-9+/=]+ [A-Za-z0-9+/=]+\n$/)
  })
  it('runs through env when the command starts with "-"', () => {
    assert.equal(guestScript(['-x']), "exec env -- -x\n")
  })
  it('refuses bad environment names', () => {
    assert.throws(() => guestScript(['true'], {'A B': '1'}), /not an environment variable name/)
  })
  it('decodes results, lines and exits, and ignores noise', () => {
    const r = decodeAnswer(`__HX_R abcdef0123456789 3 ${Buffer.from('out').toString('base64')} ${Buffer.from('err').toString('base64')}`)
    assert.deepEqual(r, {type: 'result', tag: 'abcdef0123456789', code: 3, stdout: 'out', stderr: 'err'})
    assert.deepEqual(decodeAnswer('__HX_O abcdef0123456789 hello world'), {type: 'line', tag: 'abcdef0123456789', stream: 'stdout', text: 'hello world'})
    assert.deepEqual(decodeAnswer('__HX_X abcdef0123456789 0'), {type: 'exit', tag: 'abcdef0123456789', code: 0})
    assert.equal(decodeAnswer('[    1.234] random kernel line'), null)
  })
})

describe('vm executor against the real guest command server (busybox ash)', {skip: busyboxPath() === null ? 'busybox not installed' : false}, () => {
  let g: FakeGuest
  let vm: VmExecutor
  before(async () => {
    g = await startFakeGuest()
    vm = new VmExecutor('guest', g.brokerSocket)
  })
  after(async () => {
    await g.close()
  })

  it('passes hostile arguments through unchanged', async () => {
    const r = await vm.run(['printf', '%s\\0', ...HOSTILE])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(r.stdout.split('\0').slice(0, -1), HOSTILE)
  })
  it('keeps stdout, stderr, exit code and stdin apart', async () => {
    const r = await vm.run(['sh', '-c', 'cat; echo oops >&2; exit 7'], {input: 'line1\nline2 $(x)\n'})
    assert.equal(r.code, 7)
    assert.equal(r.stdout, 'line1\nline2 $(x)\n')
    assert.equal(r.stderr, 'oops\n')
  })
  it('passes environment variables', async () => {
    const r = await vm.run(['sh', '-c', 'printf %s "$GREETING"'], {env: {GREETING: "it's $(here)"}})
    assert.equal(r.stdout, "it's $(here)")
  })
  it('reports a missing program as such', async () => {
    await assert.rejects(vm.run(['no-such-program-hx']), /not installed on guest/)
  })
  it('runs requests concurrently (a slow one does not block a fast one)', async () => {
    const slow = vm.run(['sleep', '1'])
    const t0 = Date.now()
    const fast = await vm.run(['echo', 'fast'])
    assert.equal(fast.stdout, 'fast\n')
    assert.ok(Date.now() - t0 < 900, 'the fast command answered before the slow one ended')
    assert.equal((await slow).code, 0)
  })
  it('times out and kills the job', async () => {
    const r = await vm.run(['sleep', '30'], {timeoutMs: 300})
    assert.equal(r.timedOut, true)
    assert.equal(r.code, null)
  })
  it('streams lines and stops a spawned job', async () => {
    const s = vm.spawn(['sh', '-c', 'i=0; while true; do echo "tick $i"; echo "warn $i" >&2; i=$((i+1)); sleep 0.05; done'])
    const got: string[] = []
    for await (const l of s.lines()) {
      got.push(`${l.stream}:${l.text}`)
      if (got.filter((x) => x.startsWith('stdout:')).length >= 3) break
    }
    const r = await s.stop({graceMs: 500})
    assert.ok(got.includes('stdout:tick 0') && got.includes('stdout:tick 2'), got.join('|'))
    assert.ok(got.some((x) => x.startsWith('stderr:warn')), got.join('|'))
    assert.notEqual(r.code, 0)
  })
  it('a spawned job that ends reports its exit code', async () => {
    const s = vm.spawn(['sh', '-c', 'echo one; echo two; exit 3'])
    const r = await s.done
    assert.equal(r.code, 3)
    assert.equal(r.stdout, 'one\ntwo')
  })
})
