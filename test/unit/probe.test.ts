import assert from 'node:assert/strict'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {after, before, describe, it} from 'node:test'

import {backendOf, classifyError, runProbes, type ProbeResult} from '../../src/probe/http.js'

describe('HTTP probes (against a server on loopback)', () => {
  let server: Server
  let port = 0
  const connections: number[] = []
  let mode: 'ok' | 'slow' | '503' = 'ok'

  before(async () => {
    server = createServer((req, res) => {
      if (mode === 'slow') return void setTimeout(() => res.end('late'), 400)
      if (mode === '503') {
        res.statusCode = 503
        return void res.end('down')
      }
      res.setHeader('X-Served-By', connections.length % 2 === 0 ? 'web1' : 'web2')
      res.end('<h1>served by someone</h1>')
    })
    server.on('connection', () => connections.push(Date.now()))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as AddressInfo).port
  })
  after(() => server.close())

  it('sends ceil(duration × rate) probes, one new TCP connection each, at the rate asked', async () => {
    mode = 'ok'
    connections.length = 0
    const got: ProbeResult[] = []
    const s = await runProbes({url: `http://127.0.0.1:${port}/`, ratePerS: 50, timeoutMs: 500, durationMs: 1000, onResult: (r) => got.push(r)})
    assert.equal(s.sent, 50)
    assert.equal(s.ok, 50)
    assert.equal(connections.length, 50, 'a new connection per probe')
    const ts = got.map((r) => r.t).sort((a, b) => a - b)
    const spanMs = ((ts[ts.length - 1] as number) - (ts[0] as number)) / 1000
    // 49 intervals of 20 ms: scheduled on absolute times, so the span does not drift.
    assert.ok(Math.abs(spanMs - 980) < 60, `span ${spanMs} ms`)
    assert.deepEqual(Object.keys(s.byBackend).sort(), ['web1', 'web2'])
    assert.ok(got.every((r) => r.latencyMs > 0 && r.latencyMs < 500))
  })

  it('a probe that exceeds its timeout is a failure of kind timeout, and does not delay the next probe', async () => {
    mode = 'slow'
    const got: ProbeResult[] = []
    const s = await runProbes({url: `http://127.0.0.1:${port}/`, ratePerS: 20, timeoutMs: 200, durationMs: 500, onResult: (r) => got.push(r)})
    assert.equal(s.sent, 10)
    assert.equal(s.failed, 10)
    assert.ok(got.every((r) => r.error === 'timeout' && r.latencyMs >= 195 && r.latencyMs < 350))
  })

  it('HTTP 503 is a failure of kind http-status; a closed port is refused', async () => {
    mode = '503'
    const got: ProbeResult[] = []
    await runProbes({url: `http://127.0.0.1:${port}/`, ratePerS: 10, timeoutMs: 500, durationMs: 200, onResult: (r) => got.push(r)})
    assert.ok(got.length === 2 && got.every((r) => !r.ok && r.error === 'http-status' && r.status === 503))
    const closed: ProbeResult[] = []
    await runProbes({url: 'http://127.0.0.1:1/', ratePerS: 10, timeoutMs: 500, durationMs: 100, onResult: (r) => closed.push(r)})
    assert.equal(closed[0]?.error, 'refused')
  })

  it('stops when aborted, after the probes in flight', async () => {
    mode = 'ok'
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 250)
    const s = await runProbes({url: `http://127.0.0.1:${port}/`, ratePerS: 20, timeoutMs: 500, signal: ac.signal, onResult: () => undefined})
    assert.ok(s.sent >= 4 && s.sent <= 7, `sent ${s.sent}`)
    assert.equal(s.ok + s.failed, s.sent)
  })

  it('backend from the header, else from the body', () => {
    assert.equal(backendOf({'x-served-by': 'web2'}, ''), 'web2')
    assert.equal(backendOf({}, '<h1>served by web1</h1>'), 'web1')
    assert.equal(backendOf({}, 'hello'), null)
    assert.equal(classifyError(Object.assign(new Error('x'), {code: 'EHOSTUNREACH'})), 'unreachable')
    assert.equal(classifyError(Object.assign(new Error('x'), {code: 'ECONNRESET'})), 'reset')
  })
})
