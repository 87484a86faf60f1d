/**
 * 802.3ad NEGOTIATED fixtures: LACP does not pass a Linux bridge, so two bond-lab guests are wired back to
 * back (each member a QEMU "stream" netdev over a unix socket; no namespaces, no taps), both in 802.3ad with
 * lacp_rate fast. Captures guest A once both ports sit in one aggregator with a partner, then with one cable
 * pulled, then plugged back (churn). Root; QEMU ended by PID, files removed.
 *   node dist/test/tools/capture-lacp-pair.js
 */
import {existsSync, mkdirSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'

import {captureBondTree} from '../../src/bond/capture.js'
import {ExecBondFs} from '../../src/bond/fs.js'
import {parseBondProc} from '../../src/bond/proc.js'
import {LocalExecutor} from '../../src/exec/local.js'
import {runOk} from '../../src/exec/run-ok.js'
import {VM_MAIN, VmExecutor} from '../../src/exec/vm.js'
import {ensureGuestImage} from '../../src/lab/bond/guest-image.js'
import {labFiles} from '../../src/lab/bond/lab.js'
import {hmp, qemuArgv, setLink} from '../../src/lab/bond/qemu.js'
import {bondTopology, kernelCmdline, parseBondLabOptions} from '../../src/lab/bond/topology.js'
import {alive, startDetached, terminate, waitFor} from '../../src/lab/netns-ops.js'
import {labDir, labPrefix} from '../../src/lab/paths.js'
import {sleep} from '../../src/time.js'

const OUT = join(process.cwd(), 'test', 'fixtures', 'bond')
const local = new LocalExecutor()

async function main(): Promise<void> {
  const dir = labDir(labPrefix(), 'lacp')
  rmSync(dir, {recursive: true, force: true})
  mkdirSync(dir, {recursive: true})
  const img = await ensureGuestImage({progress: (m) => process.stderr.write(`   ${m}\n`)})
  const o = parseBondLabOptions({mode: '802.3ad', lacpRate: 'fast', xmitHashPolicy: 'layer3+4'})
  const pids: number[] = []
  const guests = (['a', 'b'] as const).map((w, gi) => {
    const gdir = join(dir, w)
    mkdirSync(gdir, {recursive: true})
    const files = labFiles(gdir)
    const members = bondTopology('x').members.map((m, i) => ({...m, mac: `52:54:00:88:0${gi}:${w}${i}`}))
    const netdevs = members.map((m, i) => `stream,id=${m.netdev},server=${w === 'a' ? 'on' : 'off'},addr.type=unix,addr.path=${join(dir, `link${i}.sock`)}`)
    return {w, gdir, files, members, netdevs, ip: w === 'a' ? '10.88.0.2' : '10.88.0.3'}
  })
  try {
    for (const g of guests) {
      if (g.w === 'b') await waitFor(async () => (existsSync(join(dir, 'link1.sock')) ? true : undefined), 10_000, 50)
      await runOk(local, qemuArgv({kernel: img.kernel, initrd: img.initrd, cmdline: kernelCmdline(o, g.ip), memMb: 256, nicSpeed: true, members: g.members, files: g.files, netdevs: g.netdevs}), {timeoutMs: 30_000, what: `qemu ${g.w}`})
      const q = Number(readFileSync(g.files.pidFile, 'utf8').trim())
      pids.push(q, startDetached(null, [process.execPath, VM_MAIN, 'broker', g.files.consoleSocket, g.files.brokerSocket], g.files.brokerLog))
    }
    for (const g of guests) {
      const ok = await waitFor(async () => (readFileSync(g.files.consoleLog, 'utf8').includes('HX-READY') ? true : undefined), 60_000, 100)
      if (ok === undefined) throw new Error(`guest ${g.w} did not boot: ${readFileSync(g.files.consoleLog, 'utf8').slice(-500)}`)
    }
    const a = guests[0] as (typeof guests)[number]
    const vm = new VmExecutor('guest-a', a.files.brokerSocket)
    const fs = new ExecBondFs(vm)
    const negotiated = await waitFor(async () => {
      const p = parseBondProc((await vm.run(['cat', '/proc/net/bonding/bond0'])).stdout)
      const agg = p.ad?.activeAggregator
      return agg?.ports === 2 && agg.partnerMac !== '00:00:00:00:00:00' && p.members.every((m) => m.actorLacp?.portState?.distributing === true) ? true : undefined
    }, 30_000, 500)
    if (negotiated === undefined) throw new Error('LACP did not negotiate within 30 s')
    const note = (s: string): Record<string, unknown> => ({scenario: s, labOptions: o, kernel: img.kernelVersion, wiring: 'two guests back to back over QEMU stream netdevs (no bridge)'})
    const cap = async (name: string, s: string): Promise<void> => {
      const d = join(OUT, name)
      rmSync(d, {recursive: true, force: true})
      const r = await captureBondTree(fs, 'bond0', d, note(s))
      process.stderr.write(`   captured ${name}: ${r.files.length} files\n`)
    }
    await cap('802.3ad-negotiated', '802.3ad lacp_rate fast, negotiated with the other guest: both ports in one aggregator, partner known')
    await setLink(a.files.monitorSocket, 'n0', false)
    await sleep(3000)
    await cap('802.3ad-negotiated-one-down', '802.3ad negotiated, 3 s after set_link n0 off on this guest')
    await setLink(a.files.monitorSocket, 'n0', true)
    await sleep(800)
    await cap('802.3ad-negotiated-rejoining', '802.3ad negotiated, 0.8 s after set_link n0 on: eth0 back, LACP re-converging')
    await sleep(4000)
    await cap('802.3ad-negotiated-back', '802.3ad negotiated, 4.8 s after set_link n0 on')
  } finally {
    for (const g of guests) await hmp(g.files.monitorSocket, 'quit', 2000).catch(() => undefined)
    await sleep(500)
    await terminate(pids.filter(alive))
    rmSync(dir, {recursive: true, force: true})
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
