/**
 * The endless streams stop when their reader goes away (`hachaos probe --forever | head -3`): before
 * src/util/stdio.ts, EPIPE killed the process with a stack trace (or, once caught, the stream would have run on,
 * writing into nothing, until killed). Now each stops as on SIGTERM (observers ended) and exits 141.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {ROOT, runCliClosingStdout} from '../../helpers/cli.js'

const home = mkdtempSync(join(tmpdir(), 'hachaos-epipe-'))
const env = {HACHAOS_HOME: home, HACHAOS_INVENTORY: ''}
const server = createServer((_req, res) => res.end('ok\n'))
let url = ''

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
})
after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
  rmSync(home, {recursive: true, force: true})
})

/** Far below the 60 s at which runCliClosingStdout kills a stream that ran on. */
const STOPPED_WITHIN_MS = 15_000

describe('endless streams | head', () => {
  for (const [what, args] of [
    ['probe --forever (HTTP)', () => ['probe', '-u', url, '--forever', '-r', '50', '-q']],
    ['probe --fs --forever', () => ['probe', '--fs', home, '--forever', '--interval', '50ms', '-q']],
    ['bond monitor (NDJSON, offline tree)', () => ['bond', 'monitor', 'bond0', '--root', join(ROOT, 'test', 'fixtures', 'bond', 'active-backup'), '--interval', '100ms', '--no-tui', '-q']],
  ] as const) {
    it(`${what}: exit 141, nothing on stderr, stopped at once`, async () => {
      const r = await runCliClosingStdout(args(), {env})
      assert.ok(r.firstBytes > 0)
      assert.equal(r.signal, null, r.stderr)
      assert.equal(r.code, 141, r.stderr)
      assert.equal(r.stderr, '')
      assert.ok(r.ms < STOPPED_WITHIN_MS, `${r.ms} ms`)
    })
  }
})
