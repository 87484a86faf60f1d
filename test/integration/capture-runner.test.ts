/**
 * The live capture on the keepalived lab (root): tcpdump in the client namespace through a NetnsExecutor,
 * events streamed while lb1's NIC goes down and up again, a pcap written at the same time, and the timeline
 * analysis of what was seen, checked against the VRRP formulas.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {CaptureEvent} from '../../src/capture/events.js'
import {readPcap} from '../../src/capture/pcap.js'
import {startCapture} from '../../src/capture/runner.js'
import {HachaosError} from '../../src/errors.js'
import {LocalExecutor} from '../../src/exec/local.js'
import {NetnsExecutor} from '../../src/exec/netns.js'
import type {LabUpResult} from '../../src/lab/driver.js'
import {sleep} from '../../src/time.js'
import {analyzeTimeline} from '../../src/timeline/analyze.js'
import {labPrefixForTests, runCli} from '../helpers/cli.js'

const prefix = labPrefixForTests()
const local = new LocalExecutor()
/** VRRPv2 timers of the lab: advert_int 1 s, lb1 priority 150, lb2 priority 100. */
const masterDownMs = (prio: number): number => 3000 + ((256 - prio) / 256) * 1000
const TOL_MS = 50

describe('live capture on the keepalived lab', () => {
  let up: LabUpResult
  const dir = mkdtempSync(join(tmpdir(), 'hachaos-capture-'))

  before(async () => {
    await runCli(['lab', 'down', '--json'])
    const r = await runCli(['lab', 'up', '--json'], {timeoutMs: 90_000})
    assert.equal(r.code, 0, r.stderr + r.stdout)
    up = r.json as LabUpResult
  })

  after(async () => {
    await local.run(['ip', '-n', `${prefix}-lb1`, 'link', 'set', 'eth0', 'up'])
    await runCli(['lab', 'down', '--json'])
    rmSync(dir, {recursive: true, force: true})
  })

  it('streams adverts and GARPs through a NIC-down failover and failback; takeover = Master_Down_Interval ± 50 ms', async (t) => {
    const client = new NetnsExecutor('client', `${prefix}-client`)
    const pcap = join(dir, 'drill.pcap')
    const live: CaptureEvent[] = []
    const cap = await startCapture({executor: client, iface: 'eth0', pcapPath: pcap, onEvent: (e) => live.push(e)})
    let faultAtUs = 0
    let revertAtUs = 0
    try {
      await sleep(1500)
      const down = await local.run(['ip', '-n', `${prefix}-lb1`, 'link', 'set', 'eth0', 'down'])
      assert.equal(down.code, 0, down.stderr)
      faultAtUs = down.t0
      await sleep(5500)
      assert.ok(
        live.some((e) => e.type === 'vrrp.advert' && e.src === up.hosts.find((h) => h.name === 'lb2')?.ip),
        'lb2 adverts were streamed before the capture stopped',
      )
      const upAgain = await local.run(['ip', '-n', `${prefix}-lb1`, 'link', 'set', 'eth0', 'up'])
      assert.equal(upAgain.code, 0, upAgain.stderr)
      revertAtUs = upAgain.t0
      await sleep(5000)
    } finally {
      await cap.stop()
    }
    const r = await cap.stop()
    assert.equal(r.exit.code, 0)
    assert.equal(r.unparsed.length, 0)
    assert.equal(r.stats.droppedByKernel, 0)
    assert.deepEqual(live, r.events)

    // the pcap holds the same packets
    const p = await readPcap(pcap, 'client')
    assert.deepEqual(
      p.events.map((e) => [e.t, e.type]),
      r.events.map((e) => [e.t, e.type]),
    )

    const a = analyzeTimeline(r.events, {
      vip: up.vip,
      vrid: null,
      faultAtUs,
      revertAtUs,
      hosts: up.hosts.map((h) => ({name: h.name, ip: h.ip})),
    })
    const m = a.metrics
    assert.ok(m !== null)
    t.diagnostic(
      `takeover ${m.takeoverMs} ms, from last advert ${m.takeoverFromLastAdvertMs} ms (formula ${masterDownMs(100)}), ` +
        `GARP ${m.garpMs} ms, failback ${m.failbackMs} ms (formula ${masterDownMs(150)})`,
    )
    assert.deepEqual([m.oldOwner, m.newOwner], ['lb1', 'lb2'])
    assert.ok(Math.abs((m.takeoverFromLastAdvertMs ?? 0) - masterDownMs(100)) <= TOL_MS, `takeover from last advert ${m.takeoverFromLastAdvertMs} ms`)
    // the fault fell somewhere in lb1's last advert interval
    assert.ok((m.takeoverMs ?? 0) <= masterDownMs(100) + TOL_MS && (m.takeoverMs ?? 0) >= masterDownMs(100) - 1000 - TOL_MS, `takeover ${m.takeoverMs} ms`)
    assert.ok(m.garpMs !== null && m.garpMs >= (m.takeoverMs ?? 0) && m.garpMs - (m.takeoverMs ?? 0) < TOL_MS, `GARP ${m.garpMs} ms`)
    // failback: lb1 back up waits its own Master_Down_Interval (priority 150) and preempts
    assert.ok(Math.abs((m.failbackMs ?? 0) - masterDownMs(150)) <= TOL_MS, `failback ${m.failbackMs} ms`)
    assert.deepEqual(a.splitBrain, [])
    assert.deepEqual(
      a.masters.map((x) => x.source),
      ['lb1', 'lb2', 'lb1'],
    )
  })

  it('a capture on a missing interface fails with E_CAPTURE_NO_DEVICE', async () => {
    const client = new NetnsExecutor('client', `${prefix}-client`)
    await assert.rejects(startCapture({executor: client, iface: 'nosuch0'}), (e: unknown) => {
      assert.ok(e instanceof HachaosError)
      assert.equal(e.code, 'E_CAPTURE_NO_DEVICE')
      return true
    })
  })
})
