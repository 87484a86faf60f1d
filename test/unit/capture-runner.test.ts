import assert from 'node:assert/strict'
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {DEFAULT_FILTER, startCapture, tcpdumpArgv, tcpdumpError} from '../../src/capture/runner.js'
import {HachaosError} from '../../src/errors.js'
import {LocalExecutor} from '../../src/exec/local.js'
import {ROOT} from '../helpers/cli.js'

const FIX = join(ROOT, 'test', 'fixtures', 'capture')
const stderrOf = (name: string): string => readFileSync(join(FIX, `stderr-${name}.txt`), 'utf8')

describe('capture runner: argv and tcpdump errors (real tcpdump stderr)', () => {
  it('builds the tcpdump argv: line-buffered, numeric, epoch timestamps, link headers; pcap with --print', () => {
    assert.deepEqual(tcpdumpArgv({iface: 'eth0'}), ['tcpdump', '-l', '-n', '-tt', '-e', '-i', 'eth0', DEFAULT_FILTER])
    assert.deepEqual(tcpdumpArgv({iface: 'eth0', pcapPath: '/tmp/x.pcap', snaplen: 96, filter: 'vrrp'}), [
      'tcpdump', '-l', '-n', '-tt', '-e', '-i', 'eth0', '-s', '96', '-Z', 'root', '-w', '/tmp/x.pcap', '--print', 'vrrp',
    ])
    assert.throws(() => tcpdumpArgv({iface: '-w/etc/passwd'}), HachaosError)
    assert.throws(() => tcpdumpArgv({iface: 'eth0; reboot'}), HachaosError)
  })

  it('maps no such device, permission and filter errors to exit names with suggestions', () => {
    const dev = tcpdumpError(stderrOf('nodevice'), 'client', 'nosuch')
    assert.deepEqual([dev.code, dev.exitName], ['E_CAPTURE_NO_DEVICE', 'HOST'])
    assert.match(dev.suggestions.join(' '), /ip -br link/)
    const perm = tcpdumpError(stderrOf('permission'), 'client', 'eth0')
    assert.deepEqual([perm.code, perm.exitName], ['E_CAPTURE_PERMISSION', 'ENVIRONMENT'])
    assert.match(perm.suggestions.join(' '), /root|CAP_NET_RAW/)
    const filt = tcpdumpError(stderrOf('filter'), 'client', 'eth0')
    assert.deepEqual([filt.code, filt.exitName], ['E_CAPTURE_FILTER', 'USAGE'])
    const other = tcpdumpError('tcpdump: something new', 'client', 'eth0')
    assert.deepEqual([other.code, other.exitName], ['E_CAPTURE_FAILED', 'HOST'])
  })
})

describe('capture runner with a stand-in tcpdump (no root needed)', () => {
  // A script named tcpdump first on PATH: it replays a real text capture after a "listening on" line, or
  // misbehaves on purpose. The real tcpdump is exercised by test/integration/capture-runner.test.ts.
  const dir = mkdtempSync(join(tmpdir(), 'hachaos-fake-tcpdump-'))
  const oldPath = process.env['PATH']
  const fake = (body: string): void => {
    writeFileSync(join(dir, 'tcpdump'), `#!/bin/sh\n${body}\n`)
    chmodSync(join(dir, 'tcpdump'), 0o755)
  }
  before(() => {
    process.env['PATH'] = `${dir}:${oldPath ?? ''}`
  })
  after(() => {
    process.env['PATH'] = oldPath
    rmSync(dir, {recursive: true, force: true})
  })

  it('waits for "listening on", streams events as lines arrive, keeps raw lines, stops cleanly', async () => {
    fake(`echo 'tcpdump: listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes' >&2
cat '${join(FIX, 'steady-v2.txt')}' '${join(FIX, 'truncated-s36.txt')}'
trap 'echo "13 packets captured" >&2; exit 0' INT TERM
while :; do sleep 0.05; done`)
    const seen: string[] = []
    const cap = await startCapture({executor: new LocalExecutor('client'), iface: 'eth0', onEvent: (e) => seen.push(e.type)})
    assert.ok(cap.readyAtUs >= cap.startedAtUs)
    for (let i = 0; i < 100 && seen.length < 7; i++) await new Promise((r) => setTimeout(r, 20))
    const r = await cap.stop()
    assert.equal(r.events.length, 7)
    assert.deepEqual(seen, r.events.map((e) => e.type))
    assert.equal(r.unparsed.length, 6)
    assert.equal(r.raw.length, 13)
    assert.equal(r.stats.captured, 13)
    assert.equal(r.events[0]?.host, 'client')
    assert.equal(await cap.stop(), r) // idempotent
  })

  it('tcpdump exiting before it is ready: its error, mapped', async () => {
    fake(`cat '${join(FIX, 'stderr-nodevice.txt')}' >&2; exit 1`)
    await assert.rejects(startCapture({executor: new LocalExecutor('client'), iface: 'nosuch'}), (e: unknown) => {
      assert.ok(e instanceof HachaosError)
      assert.equal(e.code, 'E_CAPTURE_NO_DEVICE')
      return true
    })
  })

  it('tcpdump that never gets ready: TIMEOUT, and the process is stopped', async () => {
    fake('exec sleep 30')
    const t0 = Date.now()
    await assert.rejects(startCapture({executor: new LocalExecutor('client'), iface: 'eth0', readyTimeoutMs: 300}), (e: unknown) => {
      assert.ok(e instanceof HachaosError)
      assert.equal(e.exitName, 'TIMEOUT')
      return true
    })
    assert.ok(Date.now() - t0 < 5000)
  })
})
