import assert from 'node:assert/strict'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import type {CaptureAnalyzeResult} from '../../commands/capture/analyze.js'
import {ROOT, runCli, runCliClosingStdout} from '../helpers/cli.js'

const FIX = join(ROOT, 'test', 'fixtures', 'capture')
const NAMES = ['--name', '10.66.0.11=lb1', '--name', '10.66.0.12=lb2']
/** Master_Down_Interval, VRRPv2, advert_int 1 s, backup priority 100: 3 + 156/256 s. */
const MDI_MS = 3000 + (156 / 256) * 1000
const TOL_MS = 50

async function analyze(args: string[]): Promise<{code: number | null; r: CaptureAnalyzeResult; stdout: string}> {
  const res = await runCli(['capture', 'analyze', ...args, '--json'])
  return {code: res.code, r: res.json as CaptureAnalyzeResult, stdout: res.stdout}
}

describe('hachaos capture analyze (CLI)', () => {
  it('NIC-down pcap with --fault-at/--revert-at: takeover, takeover from the last advert, GARP, failback', async () => {
    const {code, r} = await analyze([join(FIX, 'nicdown-v2.pcap'), '--fault-at', '1795388398.646432', '--revert-at', '1795388406.651997', '--vip', '10.66.0.100', ...NAMES])
    assert.equal(code, 0)
    assert.equal(r.format, 'pcap')
    assert.equal(r.total, 41)
    assert.equal(r.unparsed.count, 0)
    const m = r.analysis.metrics
    assert.ok(m !== null)
    assert.deepEqual([m.oldOwner, m.newOwner], ['lb1', 'lb2'])
    assert.equal(m.faultAtUs, 1795388398646432)
    assert.equal(m.takeoverMs, 3223.707)
    assert.ok(Math.abs((m.takeoverFromLastAdvertMs ?? 0) - MDI_MS) <= TOL_MS)
    assert.equal(m.garpMs, 3223.829)
    assert.equal(m.failbackMs, 3418.051)
    assert.deepEqual(
      r.analysis.masters.map((x) => x.source),
      ['lb1', 'lb2', 'lb1'],
    )
    assert.deepEqual(r.analysis.splitBrain, [])
  })

  it('the same capture as tcpdump text gives the same metrics', async () => {
    const args = ['--fault-at', '1795388398.646432', '--revert-at', '1795388406.651997', '--vip', '10.66.0.100', ...NAMES]
    const p = await analyze([join(FIX, 'nicdown-v2.pcap'), ...args])
    const t = await analyze([join(FIX, 'nicdown-v2.txt'), ...args])
    assert.equal(t.r.format, 'text')
    assert.deepEqual(t.r.analysis.metrics, p.r.analysis.metrics)
  })

  it('graceful stop: Skew_Time from the priority-0 advert', async () => {
    const {r} = await analyze([join(FIX, 'graceful-v2.txt'), '--fault-at', '1795388462.118095', '--vip', '10.66.0.100'])
    assert.ok(Math.abs((r.analysis.metrics?.takeoverFromLastAdvertMs ?? 0) - (156 / 256) * 1000) <= TOL_MS)
    assert.deepEqual(
      r.analysis.priorityChanges.map((c) => [c.from, c.to]),
      [
        [150, 0],
        [0, 150],
      ],
    )
  })

  it('split brain: findings in the JSON and exit code 7', async () => {
    const {code, r} = await analyze([join(FIX, 'splitbrain-in-v2.pcap'), '--vip', '10.66.0.100', ...NAMES])
    assert.equal(code, 7)
    assert.deepEqual(r.analysis.splitBrain.map((s) => s.kind).sort(), ['dual-arp', 'dual-master'])
    assert.equal(r.analysis.metrics, null)
  })

  it('the timeline without --fault-at; the text output names the phases', async () => {
    const res = await runCli(['capture', 'analyze', join(FIX, 'nicdown-v3.pcap'), '--quiet', ...NAMES])
    assert.equal(res.code, 0)
    assert.match(res.stdout, /41 frames\): 19 VRRP adverts, 22 ARP \(20 gratuitous\)/)
    assert.match(res.stdout, /no master advertising for 3\.610 s/)
    assert.match(res.stdout, /5× for 10\.66\.0\.100 from lb2/)
    assert.doesNotMatch(res.stdout, /Failover/)
  })

  it('truncated and garbage captures: unparsed counted, not fatal', async () => {
    const t = await analyze([join(FIX, 'truncated-s36.pcap')])
    assert.equal(t.code, 0)
    assert.deepEqual([t.r.events, t.r.unparsed.count], [0, 6])
    const g = await analyze([join(FIX, 'garbage.txt')])
    assert.equal(g.code, 0)
    assert.deepEqual([g.r.events, g.r.unparsed.count, g.r.analysis.unparsed?.count], [1, 5, 5])
  })

  it('bad files: exit 3 (BAD_INPUT) naming the file', async () => {
    for (const f of ['garbage.bin', 'corrupt-caplen.pcap', 'does-not-exist.pcap']) {
      const res = await runCli(['capture', 'analyze', join(FIX, f), '--json'])
      assert.equal(res.code, 3, f)
      const err = (res.json as {error: {exit: number; message: string}}).error
      assert.equal(err.exit, 3)
      assert.ok(err.message.includes(join(FIX, f)), err.message)
    }
  })

  it('bad flags: exit 2', async () => {
    const res = await runCli(['capture', 'analyze', join(FIX, 'steady-v2.pcap'), '--fault-at', 'yesterday', '--json'])
    assert.equal(res.code, 2)
    const vip = await runCli(['capture', 'analyze', join(FIX, 'steady-v2.pcap'), '--vip', '10.66.0.300', '--json'])
    assert.equal(vip.code, 2)
  })
})

describe('hachaos capture analyze, streamed', () => {
  it('--events ndjson: one line per event and per timeline entry as it closes, the result last; the same figures as --json', async () => {
    const args = [join(FIX, 'nicdown-v2.pcap'), '--fault-at', '1795388398.646432', '--revert-at', '1795388406.651997', '--vip', '10.66.0.100', ...NAMES]
    const nd = await runCli(['capture', 'analyze', ...args, '--events', 'ndjson', '-q'])
    assert.equal(nd.code, 0)
    const lines = nd.stdout.trim().split('\n').map((l) => JSON.parse(l) as {type: string} & Record<string, unknown>)
    const kinds = new Map<string, number>()
    for (const l of lines) kinds.set(l.type, (kinds.get(l.type) ?? 0) + 1)
    assert.equal((kinds.get('vrrp.advert') ?? 0) + (kinds.get('arp') ?? 0), 41)
    assert.deepEqual([kinds.get('timeline.master'), kinds.get('timeline.garp'), kinds.get('timeline.advertGap'), kinds.get('result')], [3, 20, 1, 1])
    const last = lines[lines.length - 1] as unknown as {type: string} & CaptureAnalyzeResult
    assert.equal(last.type, 'result')
    const {r} = await analyze(args)
    assert.deepEqual(last.analysis.metrics, r.analysis.metrics)
    assert.deepEqual(last.analysis.masters, r.analysis.masters)
    assert.equal(last.events, 41)
  })

  it('a long capture (the NIC-down capture 60 times): the text lists the first and last 20 and says how many in all; --json lists all', async () => {
    const {mkdtempSync, rmSync} = await import('node:fs')
    const {tmpdir} = await import('node:os')
    const {writeRepeatedPcap} = await import('../helpers/pcap-repeat.js')
    const dir = mkdtempSync(join(tmpdir(), 'hachaos-cap-'))
    try {
      const file = join(dir, 'long.pcap')
      assert.equal(await writeRepeatedPcap(join(FIX, 'nicdown-v2.pcap'), file, 41 * 60), 60)
      const text = await runCli(['capture', 'analyze', file, '-q', '--vip', '10.66.0.100'])
      assert.equal(text.code, 0)
      assert.match(text.stdout, /2460 frames\): 1140 VRRP adverts, 1320 ARP \(1200 gratuitous\)/)
      assert.match(text.stdout, /… 81 more: 121 master spans in all, the first and last 20 shown/)
      assert.match(text.stdout, /… 1160 more: 1200 gratuitous ARPs in all/)
      const {r} = await analyze([file, '--vip', '10.66.0.100'])
      assert.equal(r.analysis.masters.length, 121) // lb1 keeps one span across repetitions (1 s apart)
      assert.equal(r.analysis.garps.length, 1200)
      assert.equal(r.analysis.listed, undefined)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('sources without a name are shown by their IP once', async () => {
    const res = await runCli(['capture', 'analyze', join(FIX, 'nicdown-v2.pcap'), '-q'])
    assert.match(res.stdout, /^ {2}10\.66\.0\.11 +prio 150/m)
    assert.doesNotMatch(res.stdout, /10\.66\.0\.11 +10\.66\.0\.11/)
  })
})

describe('hachaos capture analyze --json, GARPs spooled', () => {
  it('the GARPs in the --json output are exactly the analysis of the same events (names learned later too)', async () => {
    const {readCaptureFile} = await import('../../src/capture/file.js')
    const {analyzeTimeline} = await import('../../src/timeline/analyze.js')
    for (const f of ['nicdown-v2.pcap', 'garp.pcap', 'splitbrain-v2.pcap', 'graceful-v2.txt', 'steady-v2.pcap']) {
      const {r} = await analyze([join(FIX, f), '--vip', '10.66.0.100', ...NAMES])
      const cap = await readCaptureFile(join(FIX, f), 'client')
      const want = analyzeTimeline(cap.events, {vip: '10.66.0.100', vrid: null, faultAtUs: null, revertAtUs: null, hosts: [{name: 'lb2', ip: '10.66.0.12'}, {name: 'lb1', ip: '10.66.0.11'}], unparsed: {count: 0, sample: []}})
      assert.deepEqual(r.analysis.garps, want.garps, f)
      assert.deepEqual(r.analysis, want, f)
    }
  })

  it("a GARP seen before its sender's first advert is named as the in-memory analysis names it", async () => {
    const {mkdtempSync, readFileSync, rmSync, writeFileSync} = await import('node:fs')
    const {tmpdir} = await import('node:os')
    const {analyzeTimeline} = await import('../../src/timeline/analyze.js')
    const {readCaptureFile} = await import('../../src/capture/file.js')
    const dir = mkdtempSync(join(tmpdir(), 'hachaos-cap-'))
    try {
      // without lb2's first advert, its first GARPs come before anything ties its MAC to 10.66.0.12
      const lines = readFileSync(join(FIX, 'nicdown-v2.txt'), 'utf8').split('\n')
      const file = join(dir, 'late-name.txt')
      writeFileSync(file, lines.filter((l) => !l.startsWith('1795388401.870139 ')).join('\n'))
      const {r} = await analyze([file, '--vip', '10.66.0.100', ...NAMES])
      const cap = await readCaptureFile(file, 'client')
      const want = analyzeTimeline(cap.events, {vip: '10.66.0.100', vrid: null, faultAtUs: null, revertAtUs: null, hosts: [{name: 'lb1', ip: '10.66.0.11'}, {name: 'lb2', ip: '10.66.0.12'}]})
      assert.deepEqual(r.analysis.garps, want.garps)
      assert.equal(r.analysis.garps[0]?.source, 'lb2')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('hachaos capture analyze | head (the reader goes away)', () => {
  // Before src/util/stdio.ts, the EPIPE was an unhandled 'error' event: a stack trace on stderr and exit 1.
  it('--json, --events ndjson and the oclif path: exit 141 (as SIGPIPE), nothing on stderr, no spool left', async () => {
    const {mkdtempSync, readdirSync, rmSync} = await import('node:fs')
    const {tmpdir} = await import('node:os')
    const {writeRepeatedPcap} = await import('../helpers/pcap-repeat.js')
    const dir = mkdtempSync(join(tmpdir(), 'hachaos-epipe-'))
    try {
      // 20,000 frames: about 1.6 MB of --json, far more than a pipe holds (64 KiB)
      const file = join(dir, 'long.pcap')
      await writeRepeatedPcap(join(FIX, 'nicdown-v2.pcap'), file, 20_000)
      for (const args of [
        ['capture', 'analyze', file, '-q', '--json'],
        ['capture', 'analyze', file, '-q', '--events', 'ndjson'],
        ['capture:analyze', file, '-q', '--json'],
      ]) {
        const r = await runCliClosingStdout(args, {env: {TMPDIR: dir}})
        assert.ok(r.firstBytes > 0, args.join(' '))
        assert.equal(r.signal, null, args.join(' '))
        assert.equal(r.code, 141, `${args.join(' ')}: ${r.stderr}`)
        assert.equal(r.stderr, '', args.join(' '))
        assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('hachaos-spool-')), [], args.join(' '))
      }
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
