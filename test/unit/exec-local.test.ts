import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {HachaosError} from '../../src/errors.js'
import {LineQueue, MAX_QUEUED} from '../../src/exec/line-queue.js'
import {LocalExecutor} from '../../src/exec/local.js'
import {NetnsExecutor} from '../../src/exec/netns.js'
import {RecordingExecutor} from '../../src/exec/recording.js'
import {runOk} from '../../src/exec/run-ok.js'
import {nowUs} from '../../src/time.js'

describe('local executor', () => {
  const ex = new LocalExecutor()

  it('returns exit code, stdout, stderr and start/end timestamps in epoch µs', async () => {
    const before = nowUs()
    const r = await ex.run([process.execPath, '-e', 'process.stdout.write("out"); process.stderr.write("err"); process.exit(3)'])
    const after = nowUs()
    assert.equal(r.code, 3)
    assert.equal(r.stdout, 'out')
    assert.equal(r.stderr, 'err')
    assert.ok(r.t0 >= before && r.t1 <= after && r.t1 > r.t0, `${before} <= ${r.t0} < ${r.t1} <= ${after}`)
    // epoch µs, not ms or ns: within a minute of Date.now()
    assert.ok(Math.abs(r.t0 / 1000 - Date.now()) < 60_000)
  })

  it('passes argv unchanged (no shell): glob and $ stay literal', async () => {
    const r = await ex.run(['echo', '*', '$HOME', '`x`'])
    assert.equal(r.stdout, '* $HOME `x`\n')
  })

  it('feeds stdin and environment', async () => {
    const r = await ex.run([process.execPath, '-e', 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(s+process.env.HC_T))'], {input: 'in-', env: {HC_T: 'env'}})
    assert.equal(r.stdout, 'in-env')
  })

  it('times out and says so', async () => {
    const t0 = Date.now()
    const r = await ex.run(['sleep', '5'], {timeoutMs: 200})
    assert.equal(r.timedOut, true)
    assert.ok(Date.now() - t0 < 3000)
  })

  it('a missing program is an ENVIRONMENT error naming it and its Debian package', async () => {
    await assert.rejects(ex.run(['keepalived-does-not-exist-x']), (e: unknown) => e instanceof HachaosError && e.exitName === 'ENVIRONMENT' && /keepalived-does-not-exist-x/.test(e.message))
    await assert.rejects(ex.run(['tcpdump-not-here']), (e: unknown) => e instanceof HachaosError && e.code === 'E_MISSING_BINARY')
  })

  it('runOk turns a failure into a HOST error with the command and stderr', async () => {
    await assert.rejects(runOk(ex, ['sh', '-c', 'echo boom >&2; exit 4']), (e: unknown) => e instanceof HachaosError && e.exitName === 'HOST' && /boom/.test(e.message) && /exit 4/.test(e.message))
  })

  it('streams lines as they come, with timestamps, and stops cleanly', async () => {
    const s = ex.spawn([process.execPath, '-e', 'let i=0; const t=setInterval(()=>{console.log("line"+(i++)); if(i===3) console.error("err-line")}, 20)'])
    const got: string[] = []
    let lastT = 0
    for await (const l of s.lines()) {
      got.push(`${l.stream}:${l.text}`)
      assert.ok(l.t >= lastT)
      lastT = l.t
      // stdout and stderr are two pipes: under load the stderr line can come after several stdout lines
      if ((got.length >= 5 && got.includes('stderr:err-line')) || got.length >= 50) break
    }
    const r = await s.stop({graceMs: 500})
    assert.ok(got.includes('stdout:line0') && got.includes('stdout:line1') && got.includes('stderr:err-line'), got.join(','))
    assert.equal(r.signal, 'SIGTERM')
    // Stopping again is a no-op returning the same result.
    assert.equal(await s.stop(), r)
  })

  it('a stream with onLine keeps no line for lines(): 20,000 lines reach the sink, none wait in the queue', async () => {
    let n = 0
    const s = ex.spawn([process.execPath, '-e', 'for (let i = 0; i < 20000; i++) console.log("l" + i)'], {onLine: () => n++})
    await s.done
    assert.equal(n, 20_000)
    let queued = 0
    for await (const _ of s.lines()) queued++
    assert.equal(queued, 0)
  })

  it('a lines() queue with no reader keeps at most MAX_QUEUED lines, the oldest dropped and counted', () => {
    const q = new LineQueue()
    for (let i = 0; i < MAX_QUEUED + 5; i++) q.push({stream: 'stdout', text: `l${i}`, t: i})
    assert.equal(q.dropped, 5)
    q.finish()
    return (async () => {
      let first: string | undefined
      let count = 0
      for await (const l of q.lines()) {
        first ??= l.text
        count++
      }
      assert.equal(count, MAX_QUEUED)
      assert.equal(first, 'l5')
    })()
  })

  it('a spawned process that ignores SIGTERM is SIGKILLed after the grace period', async () => {
    const s = ex.spawn([process.execPath, '-e', 'process.on("SIGTERM",()=>{}); console.log("ready"); setInterval(()=>{},1000)'])
    for await (const l of s.lines()) if (l.text === 'ready') break
    const t0 = Date.now()
    const r = await s.stop({graceMs: 300})
    assert.equal(r.signal, 'SIGKILL')
    assert.ok(Date.now() - t0 >= 250)
  })
})

describe('netns executor', () => {
  it('wraps argv with ip netns exec', () => {
    const ex = new NetnsExecutor('lb1', 'hc-lb1')
    assert.deepEqual(ex.command(['ip', 'addr']), ['ip', 'netns', 'exec', 'hc-lb1', 'ip', 'addr'])
    assert.equal(ex.describe(), 'netns hc-lb1')
  })

  it('refuses namespace names that could be read as options or paths', () => {
    for (const bad of ['-n', '../x', 'a b', 'a;b', '']) assert.throws(() => new NetnsExecutor('x', bad), /not a valid network namespace name/)
  })
})

describe('recording executor', () => {
  it('records argv and answers scripted replies, later rules first', async () => {
    const ex = new RecordingExecutor('lb1', (a) => ['ip', 'netns', 'exec', 'hc-lb1', ...a])
    ex.on(['pgrep'], {stdout: '12\n34\n'}).on(['ip', 'link'], {code: 1, stderr: 'no'})
    assert.deepEqual(await ex.pidsOf('haproxy'), [12, 34])
    const r = await ex.run(['ip', 'link', 'set', 'eth0', 'down'])
    assert.equal(r.code, 1)
    assert.deepEqual(ex.calls.map((c) => c.argv[0]), ['pgrep', 'ip'])
    assert.deepEqual(ex.transcript(), ['ip netns exec hc-lb1 pgrep -x haproxy', 'ip netns exec hc-lb1 ip link set eth0 down'])
  })
})
