/**
 * VRRPv3 over IPv6, live (root): a keepalived pair with an IPv6 VIP in namespaces of its own, the live capture
 * with hachaos's default filter (real tcpdump) in a third, a graceful stop of the master; the events seen live
 * (tcpdump's text), the pcap written at the same time, and the VRRPv3 Skew_Time.
 */
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {CaptureEvent, VrrpAdvertEvent} from '../../src/capture/events.js'
import {openCapture} from '../../src/capture/file.js'
import {DEFAULT_FILTER, startCapture} from '../../src/capture/runner.js'
import {LocalExecutor} from '../../src/exec/local.js'
import {NetnsExecutor} from '../../src/exec/netns.js'
import {sleep} from '../../src/time.js'
import {labPrefixForTests} from '../helpers/cli.js'

const P = `${labPrefixForTests()}6`
const local = new LocalExecutor()
const ns = (n: string): string => `${P}-${n}`
const ip = async (...argv: string[]): Promise<void> => {
  const r = await local.run(['ip', ...argv])
  assert.equal(r.code, 0, `ip ${argv.join(' ')}: ${r.stderr}`)
}

describe('VRRPv3 over IPv6, live capture', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hachaos-v6-'))
  const daemons = new Map<string, ChildProcess>()

  const teardown = async (): Promise<void> => {
    for (const p of daemons.values()) p.kill('SIGTERM')
    await sleep(500)
    for (const n of ['a', 'b', 'c', 's']) await local.run(['ip', 'netns', 'del', ns(n)])
  }

  before(async () => {
    await teardown()
    await ip('netns', 'add', ns('s'))
    await ip('-n', ns('s'), 'link', 'add', 'br0', 'type', 'bridge')
    await ip('-n', ns('s'), 'link', 'set', 'br0', 'up')
    let i = 0
    for (const n of ['a', 'b', 'c']) {
      i += 1
      await ip('netns', 'add', ns(n))
      await ip('-n', ns('s'), 'link', 'add', `p-${n}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns(n))
      await ip('-n', ns('s'), 'link', 'set', `p-${n}`, 'master', 'br0', 'up')
      await ip('-n', ns(n), 'link', 'set', 'eth0', 'address', `02:48:43:00:16:0${i}`)
      await ip('-n', ns(n), 'link', 'set', 'eth0', 'up')
    }
    await sleep(2500) // link-local addresses leave DAD
  })

  after(async () => {
    await teardown()
    rmSync(dir, {recursive: true, force: true})
  })

  it('the default filter catches the IPv6 adverts; live text and pcap agree; priority 0 → backup in Skew_Time ± 50 ms', async () => {
    const client = new NetnsExecutor('client', ns('c'))
    const pcap = join(dir, 'v6.pcap')
    const live: CaptureEvent[] = []
    const cap = await startCapture({executor: client, iface: 'eth0', pcapPath: pcap, onEvent: (e) => live.push(e)})
    assert.ok(cap.argv.includes(DEFAULT_FILTER))
    try {
      for (const [n, prio] of [
        ['a', 150],
        ['b', 100],
      ] as const) {
        const conf = join(dir, `${n}.conf`)
        writeFileSync(
          conf,
          `global_defs {\n  router_id ${n}\n  vrrp_version 3\n}\nvrrp_instance V6 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 62\n` +
            `  priority ${prio}\n  advert_int 1\n  virtual_ipaddress {\n    fd66::200/64 dev eth0\n  }\n}\n`,
        )
        const argv = ['netns', 'exec', ns(n), 'keepalived', '-n', '-l', '-D', '-P', '-f', conf, '-p', join(dir, `${n}.pid`), '-r', join(dir, `${n}.vrrp.pid`)]
        daemons.set(n, spawn('ip', argv, {stdio: 'ignore'}))
        if (n === 'a') await sleep(300) // a first: it becomes master after its Master_Down_Interval
      }
      const lla = '02:48:43:00:16:01'
      for (let i = 0; i < 100 && !live.some((e) => e.type === 'vrrp.advert' && e.smac === lla && e.prio === 150); i++) await sleep(100)
      await sleep(1200)
      daemons.get('a')?.kill('SIGTERM')
      await sleep(2500)
    } finally {
      await cap.stop()
    }
    const adv = live.filter((e): e is VrrpAdvertEvent => e.type === 'vrrp.advert')
    const a = adv.filter((e) => e.smac === '02:48:43:00:16:01')
    const b = adv.filter((e) => e.smac === '02:48:43:00:16:02' && e.prio === 100)
    assert.ok(a.length >= 2, JSON.stringify(adv))
    assert.ok(a.every((e) => e.ver === 3 && e.vrid === 62 && e.src.startsWith('fe80::') && e.intvl === 1))
    const zero = a.find((e) => e.prio === 0)
    assert.ok(zero !== undefined, 'the graceful stop sends a priority-0 advert')
    const firstB = b.find((e) => e.t > zero.t)
    assert.ok(firstB !== undefined, 'the backup takes over')
    const skewMs = (firstB.t - zero.t) / 1000
    const expected = ((256 - 100) / 256) * 1000 // v3: (256 − prio) × advert_int / 256
    assert.ok(Math.abs(skewMs - expected) < 50, `skew ${skewMs} ms, expected ${expected} ± 50`)
    // the pcap written by the same tcpdump gives exactly the live (text) events
    const c = await openCapture(pcap, {host: 'client'})
    const fromPcap: CaptureEvent[] = []
    for await (const e of c.events) fromPcap.push(e as CaptureEvent)
    const vrrpOnly = (es: CaptureEvent[]): CaptureEvent[] => es.filter((e) => e.type === 'vrrp.advert')
    assert.deepEqual(vrrpOnly(fromPcap), vrrpOnly(live))
  })
})
