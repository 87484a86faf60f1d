/**
 * `capture analyze` output, byte for byte: the text, --json and --events ndjson outputs of real captures (and of
 * a 200,000-frame pcap made from one, which makes --json spill its lists to sorted runs) must hash to what
 * main produced before the speed work of issue 11 (test/fixtures/capture/analyze-golden.json, made by this file
 * with HACHAOS_GOLDEN_WRITE=1 on a build of that main). The files are named relative to the working directory,
 * so that the paths in the outputs are the same wherever the repository is.
 * One deliberate change since: two-ifaces.pcapng (vrid 61 over IPv4 on one interface and over IPv6 on another)
 * was a dual master and is now two instances (issue 13 item 15: an instance is vrid + VLAN + interface).
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {BIN, ROOT} from '../helpers/cli.js'
import {writeRepeatedPcap} from '../helpers/pcap-repeat.js'

const FIX = join(ROOT, 'test', 'fixtures', 'capture')
const GOLDEN = join(FIX, 'analyze-golden.json')
const BIG = 'nicdown-x200000.pcap'
const NICDOWN = ['--fault-at', '1795388398.646432', '--revert-at', '1795388406.651997', '--vip', '10.66.0.100', '--name', '10.66.0.11=lb1', '--name', '10.66.0.12=lb2']

/** [case name, cwd ('fix' or 'tmp'), args]. */
const CASES: Array<[string, 'fix' | 'tmp', string[]]> = [
  ['nicdown-v2.pcap metrics', 'fix', ['nicdown-v2.pcap', ...NICDOWN]],
  ['nicdown-v2.txt metrics', 'fix', ['nicdown-v2.txt', ...NICDOWN]],
  ['nicdown-v3.pcap', 'fix', ['nicdown-v3.pcap']],
  ['graceful-v2.pcap', 'fix', ['graceful-v2.pcap', '--fault-at', '1795388462.118095', '--vip', '10.66.0.100']],
  ['splitbrain-v2.pcap', 'fix', ['splitbrain-v2.pcap', '--vip', '10.66.0.100']],
  ['splitbrain-in-v2.pcap', 'fix', ['splitbrain-in-v2.pcap']],
  ['garp.pcap', 'fix', ['garp.pcap', '--name', '10.66.0.11=lb1']],
  ['two-ifaces.pcapng', 'fix', ['two-ifaces.pcapng']],
  ['v6.pcap', 'fix', ['v6.pcap']],
  ['steady-v2-nano.pcap', 'fix', ['steady-v2-nano.pcap']],
  ['truncated-s36.pcap', 'fix', ['truncated-s36.pcap']],
  ['cut.pcap', 'fix', ['cut.pcap']],
  ['linktype-fcs.pcap', 'fix', ['linktype-fcs.pcap']],
  ['arp-ieee802.pcap', 'fix', ['arp-ieee802.pcap']],
  ['steady-v3-verbose.txt', 'fix', ['steady-v3-verbose.txt']],
  ['garbage.txt', 'fix', ['garbage.txt']],
  ['200,000 frames', 'tmp', [BIG, '--vip', '10.66.0.100', '--fault-at', '1795388398.646432', '--name', '10.66.0.11=lb1']],
]
const MODES: Array<[string, string[]]> = [
  ['text', []],
  ['json', ['--json']],
  ['ndjson', ['--events', 'ndjson']],
]

interface Out {
  code: number | null
  bytes: number
  sha256: string
}

function run(cwd: string, args: string[]): Promise<Out> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'capture', 'analyze', ...args], {cwd, stdio: ['ignore', 'pipe', 'ignore']})
    const h = createHash('sha256')
    let bytes = 0
    child.stdout.on('data', (d: Buffer) => {
      h.update(d)
      bytes += d.length
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({code, bytes, sha256: h.digest('hex')}))
  })
}

describe('capture analyze: outputs byte-identical to main before issue 11 speed work', () => {
  let tmp = ''
  const write = process.env.HACHAOS_GOLDEN_WRITE === '1'
  const got: Record<string, Out> = {}
  const golden = write ? {} : (JSON.parse(readFileSync(GOLDEN, 'utf8')) as Record<string, Out>)
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'hachaos-golden-'))
    await writeRepeatedPcap(join(FIX, 'nicdown-v2.pcap'), join(tmp, BIG), 200_000)
  })
  after(() => {
    if (write) writeFileSync(GOLDEN, `${JSON.stringify(got, null, 2)}\n`)
    rmSync(tmp, {recursive: true, force: true})
  })
  for (const [name, where, args] of CASES) {
    for (const [mode, extra] of MODES) {
      const key = `${name} (${mode})`
      it(key, async () => {
        const r = await run(where === 'fix' ? FIX : tmp, [...args, ...extra])
        got[key] = r
        if (!write) assert.deepEqual(r, golden[key], `${key}: capture analyze ${[...args, ...extra].join(' ')}`)
      })
    }
  }
})
