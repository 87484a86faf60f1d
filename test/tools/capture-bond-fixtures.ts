/**
 * Capture REAL bonding fixtures from the bond lab (as root): for each scenario, boot the guest with the
 * scenario's options, push iperf3 traffic from both clients, pull cables with QEMU's set_link, and copy the
 * bond's files into test/fixtures/bond/<scenario>/ (a tree `--root` reads).
 *   node dist/test/tools/capture-bond-fixtures.js [scenario …]
 */
import {rmSync} from 'node:fs'
import {join} from 'node:path'

import {captureBondTree} from '../../src/bond/capture.js'
import {ExecBondFs} from '../../src/bond/fs.js'
import {NetnsExecutor} from '../../src/exec/netns.js'
import {VmExecutor} from '../../src/exec/vm.js'
import {bondExtra, labDown, labUp} from '../../src/lab/bond/lab.js'
import {setLink} from '../../src/lab/bond/qemu.js'
import {BOND_MODES} from '../../src/lab/bond/topology.js'
import {labPrefix, stateFile} from '../../src/lab/paths.js'
import {readLabState} from '../../src/lab/state.js'
import {sleep} from '../../src/time.js'

const OUT = join(process.cwd(), 'test', 'fixtures', 'bond')

interface Ctx {
  vm: VmExecutor
  fs: ExecBondFs
  monitor: string
  capture(name: string, note: string): Promise<void>
  traffic(seconds: number, reverse?: boolean): Promise<void>
}

type Scenario = {options: Record<string, string | number>; run(c: Ctx): Promise<void>}

const scenarios: Record<string, Scenario> = {}
for (const mode of BOND_MODES) {
  scenarios[mode] = {
    options: {mode},
    async run(c) {
      await c.traffic(3)
      await c.traffic(3, true)
      await c.capture(mode, `${mode}, both members up, after iperf3 from client1 and client2 (both directions)`)
      await setLink(c.monitor, 'n0', false)
      await sleep(2000)
      await c.traffic(2)
      await c.capture(`${mode}-one-down`, `${mode}, eth0 cable pulled (QEMU set_link n0 off) 2 s before, then iperf3`)
      await setLink(c.monitor, 'n0', true)
    },
  }
}
scenarios['going-down-back'] = {
  options: {mode: 'active-backup', miimon: 100, downdelay: 3000, updelay: 3000},
  async run(c) {
    await setLink(c.monitor, 'n0', false)
    await sleep(600)
    await c.capture('active-backup-going-down', 'active-backup miimon 100 downdelay 3000: 0.6 s after set_link n0 off (inside the down delay)')
    await sleep(4000)
    await c.capture('active-backup-down-delayed', 'active-backup miimon 100 downdelay 3000: 4.6 s after set_link n0 off (member down)')
    await setLink(c.monitor, 'n0', true)
    await sleep(600)
    await c.capture('active-backup-going-back', 'active-backup miimon 100 updelay 3000: 0.6 s after set_link n0 on (inside the up delay)')
    await sleep(4000)
    await c.capture('active-backup-back', 'active-backup miimon 100 updelay 3000: 4.6 s after set_link n0 on (member up again)')
  },
}
scenarios['arp'] = {
  options: {mode: 'active-backup', arpInterval: 100, arpIpTarget: '10.88.0.11'},
  async run(c) {
    await c.traffic(2)
    await c.capture('arp-active-backup', 'active-backup with the ARP monitor (arp_interval 100, arp_ip_target 10.88.0.11), both up')
    await setLink(c.monitor, 'n0', false)
    await sleep(2000)
    await c.capture('arp-active-backup-one-down', 'ARP monitor, 2 s after set_link n0 off')
    await setLink(c.monitor, 'n0', true)
    await sleep(2000)
    await c.capture('arp-active-backup-back', 'ARP monitor, 2 s after set_link n0 on')
  },
}
scenarios['speed-unknown'] = {
  options: {mode: 'balance-alb', nicSpeed: 'false'},
  async run(c) {
    await c.capture('balance-alb-speed-unknown', 'balance-alb with NICs that report no speed/duplex (virtio-net without speed=): "Speed: Unknown"')
  },
}
scenarios['xor-layer34'] = {
  options: {mode: 'balance-xor', xmitHashPolicy: 'layer3+4'},
  async run(c) {
    await c.traffic(3, true)
    await c.capture('balance-xor-layer3+4', 'balance-xor, xmit_hash_policy layer3+4, after iperf3 -R from both clients')
  },
}
scenarios['lacp-fast'] = {
  options: {mode: '802.3ad', lacpRate: 'fast', xmitHashPolicy: 'layer2+3'},
  async run(c) {
    await sleep(3000)
    await c.capture('802.3ad-fast-not-negotiated', '802.3ad lacp_rate fast through a Linux bridge: no LACP partner (LACPDUs are not forwarded)')
  },
}

async function main(): Promise<void> {
  const prefix = labPrefix()
  const want = process.argv.slice(2)
  const names = want.length > 0 ? want : Object.keys(scenarios)
  for (const name of names) {
    const sc = scenarios[name]
    if (sc === undefined) throw new Error(`no scenario ${name}: ${Object.keys(scenarios).join(', ')}`)
    process.stderr.write(`== ${name}\n`)
    try {
      await labUp({prefix, options: sc.options, onProgress: (m) => process.stderr.write(`   ${m}\n`)})
      const st = readLabState(stateFile(prefix, 'bond'))
      if (st === null) throw new Error('no lab state')
      const x = bondExtra(st)
      const vm = new VmExecutor('guest', x.files.brokerSocket)
      const fs = new ExecBondFs(vm)
      const c1 = new NetnsExecutor('client1', `${prefix}-bc1`)
      const c2 = new NetnsExecutor('client2', `${prefix}-bc2`)
      const ctx: Ctx = {
        vm,
        fs,
        monitor: x.files.monitorSocket,
        async capture(fixture, note) {
          const dir = join(OUT, fixture)
          rmSync(dir, {recursive: true, force: true})
          const r = await captureBondTree(fs, 'bond0', dir, {scenario: note, labOptions: x.options, kernel: x.kernelVersion})
          process.stderr.write(`   captured ${fixture}: ${r.files.length} files\n`)
        },
        async traffic(seconds, reverse = false) {
          const args = (port: number): string[] => ['iperf3', '-c', '10.88.0.2', '-p', String(port), '-t', String(seconds), ...(reverse ? ['-R'] : [])]
          const [a, b] = await Promise.all([c1.run(args(8001), {timeoutMs: (seconds + 15) * 1000}), c2.run(args(8002), {timeoutMs: (seconds + 15) * 1000})])
          for (const r of [a, b]) {
            const sum = r.stdout.split('\n').filter((l) => /receiver/.test(l)).pop() ?? r.stderr.trim()
            process.stderr.write(`   iperf3 ${r.host}${reverse ? ' -R' : ''}: ${sum.trim()}\n`)
          }
        },
      }
      await sc.run(ctx)
    } finally {
      await labDown(prefix)
    }
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
