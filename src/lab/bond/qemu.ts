/**
 * QEMU for the bond lab: the argv that boots the guest under TCG (software emulation: KVM is not usable
 * here); its human monitor (HMP) client, whose `set_link NETDEV off|on` is a cable pull, is src/exec/qemu-monitor.ts.
 */

import type {BondLabMember} from './topology.js'

export interface QemuFiles {
  consoleLog: string
  consoleSocket: string
  monitorSocket: string
  pidFile: string
}

export interface QemuSpec {
  kernel: string
  initrd: string
  cmdline: string
  memMb: number
  nicSpeed: boolean
  members: BondLabMember[]
  files: QemuFiles
  /** Replace each member's `-netdev` value (default: a tap in the switch namespace), e.g. a stream socket. */
  netdevs?: string[]
}

export function qemuArgv(s: QemuSpec): string[] {
  const argv = [
    'qemu-system-x86_64',
    '-accel', 'tcg',
    '-cpu', 'max',
    '-smp', '1',
    '-m', String(s.memMb),
    '-nodefaults',
    '-no-user-config',
    '-display', 'none',
    '-vga', 'none',
    '-no-reboot',
    '-kernel', s.kernel,
    '-initrd', s.initrd,
    '-append', s.cmdline,
    '-serial', `file:${s.files.consoleLog}`,
    '-device', 'virtio-serial-pci',
    '-chardev', `socket,id=hxctl,path=${s.files.consoleSocket},server=on,wait=off`,
    '-device', 'virtconsole,chardev=hxctl',
    '-monitor', `unix:${s.files.monitorSocket},server=on,wait=off`,
  ]
  for (const [i, m] of s.members.entries()) {
    // speed/duplex: without them virtio-net reports "Speed: Unknown" and bonding cannot weigh the links
    argv.push('-netdev', s.netdevs?.[i] ?? `tap,id=${m.netdev},ifname=${m.tap},script=no,downscript=no`)
    argv.push('-device', `virtio-net-pci,netdev=${m.netdev},mac=${m.mac}${s.nicSpeed ? ',speed=1000,duplex=full' : ''}`)
  }
  argv.push('-pidfile', s.files.pidFile, '-daemonize')
  return argv
}

// The monitor client lives with the executors (the VM broker, src/exec/vm-main.ts, sets links through it).
export {hmp, setLink, type HmpReply} from '../../exec/qemu-monitor.js'

/** Tap netdev ids in `info network` (QEMU 7.2 does not show link state there; the guest's carrier does). */
export function parseInfoNetwork(text: string): string[] {
  const out: string[] = []
  for (const l of text.split('\n')) {
    const m = /^\s*(?:\\\s*)?([A-Za-z][\w.-]*): index=\d+,type=tap/.exec(l)
    if (m?.[1] !== undefined) out.push(m[1])
  }
  return out
}
