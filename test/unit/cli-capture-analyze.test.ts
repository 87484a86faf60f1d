import assert from 'node:assert/strict'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import type {CaptureAnalyzeResult} from '../../commands/capture/analyze.js'
import {ROOT, runCli} from '../helpers/cli.js'

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
