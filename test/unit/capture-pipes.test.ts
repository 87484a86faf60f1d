/**
 * A capture from a pipe that has a name: a FIFO, or bash's `<(zcat day.pcap.gz)` (/dev/fd/63). The reader read
 * at offsets (pread), which a pipe refuses: `cannot read /dev/fd/63: ESPIPE`, exit 3. It now reads at the file's
 * own position, and the output is the same as from the file.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {createReadStream, createWriteStream, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pipeline} from 'node:stream/promises'
import {after, describe, it} from 'node:test'

import type {CaptureAnalyzeResult} from '../../commands/capture/analyze.js'
import {ROOT, runCli} from '../helpers/cli.js'

const FIX = join(ROOT, 'test', 'fixtures', 'capture')
const dir = mkdtempSync(join(tmpdir(), 'hachaos-fifo-'))
after(() => rmSync(dir, {recursive: true, force: true}))

describe('capture analyze from a FIFO', () => {
  for (const f of ['nicdown-v2.pcap', 'nicdown-v2.txt', 'two-ifaces.pcapng']) {
    it(`${f}: the same analysis as from the file`, async () => {
      const fifo = join(dir, `${f}.fifo`)
      execFileSync('mkfifo', [fifo])
      const args = ['--fault-at', '1795388398.646432', '--vip', '10.66.0.100', '--json', '-q']
      // the writer opens the FIFO when the reader does, and writes in pieces (a pipe gives short reads)
      const [piped] = await Promise.all([runCli(['capture', 'analyze', fifo, ...args]), pipeline(createReadStream(join(FIX, f), {highWaterMark: 700}), createWriteStream(fifo))])
      const direct = await runCli(['capture', 'analyze', join(FIX, f), ...args])
      assert.equal(piped.code, direct.code, piped.stderr)
      const a = piped.json as CaptureAnalyzeResult
      const b = direct.json as CaptureAnalyzeResult
      assert.ok(b.events > 0)
      assert.deepEqual({...a, file: ''}, {...b, file: ''})
    })
  }
})
