/**
 * QEMU for the bond lab: the argv that boots the guest under TCG (software emulation: KVM is not usable
 * here), and a client for QEMU's human monitor (HMP), whose `set_link NETDEV off|on` is a cable pull.
 */
import {connect} from 'node:net'

import {HachaosError} from '../../errors.js'
import {nowUs, type EpochMicros} from '../../time.js'
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

export interface HmpReply {
  command: string
  output: string
  /** Epoch µs when the command was sent and when QEMU's answer (the next prompt) arrived. */
  sentAt: EpochMicros
  answeredAt: EpochMicros
}

const PROMPT = '(qemu) '

/**
 * One HMP command: connect, wait for the prompt, send, read up to the next prompt, disconnect.
 * QEMU's monitor socket serves one client at a time; a concurrent caller waits its turn.
 */
export function hmp(socket: string, command: string, timeoutMs = 10_000): Promise<HmpReply> {
  if (/[\r\n]/.test(command)) return Promise.reject(new HachaosError('an HMP command is one line', {code: 'E_INTERNAL', exit: 'INTERNAL'}))
  return new Promise<HmpReply>((resolve, reject) => {
    const s = connect(socket)
    s.setEncoding('utf8')
    let buf = ''
    let sentAt = 0
    const timer = setTimeout(() => {
      s.destroy()
      reject(new HachaosError(`QEMU monitor ${socket} did not answer "${command}" within ${timeoutMs} ms`, {code: 'E_QEMU_MONITOR', exit: 'TIMEOUT', suggestions: ['is the bond lab up? hachaos lab status --topology bond']}))
    }, timeoutMs)
    s.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(new HachaosError(`cannot reach the QEMU monitor ${socket} (${e.code ?? e.message})`, {code: 'E_QEMU_MONITOR', exit: 'HOST', suggestions: ['is the bond lab up? hachaos lab status --topology bond']}))
    })
    s.on('data', (chunk: string) => {
      buf += chunk
      if (sentAt === 0) {
        if (buf.includes(PROMPT)) {
          buf = ''
          sentAt = nowUs()
          s.write(`${command}\n`)
        }
        return
      }
      const at = buf.indexOf(PROMPT)
      if (at >= 0) {
        const answeredAt = nowUs()
        clearTimeout(timer)
        s.end()
        // QEMU echoes the command line (with terminal escapes); the answer is what follows it.
        const text = buf.slice(0, at).replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '')
        const lines = text.split('\n')
        const output = (lines[0]?.includes(command) === true ? lines.slice(1) : lines).join('\n').trim()
        resolve({command, output, sentAt, answeredAt})
      }
    })
  })
}

/** `set_link` with a check of QEMU's answer (it prints nothing on success). */
export async function setLink(socket: string, netdev: string, up: boolean): Promise<HmpReply> {
  if (!/^[A-Za-z][A-Za-z0-9_.-]{0,31}$/.test(netdev)) throw new HachaosError(`"${netdev}" is not a QEMU netdev id`, {code: 'E_USAGE', exit: 'USAGE'})
  const r = await hmp(socket, `set_link ${netdev} ${up ? 'on' : 'off'}`)
  if (r.output !== '') {
    throw new HachaosError(`QEMU refused set_link ${netdev}: ${r.output}`, {code: 'E_QEMU_MONITOR', exit: 'HOST', suggestions: ['list the links: hachaos lab status --topology bond']})
  }
  return r
}

/** Tap netdev ids in `info network` (QEMU 7.2 does not show link state there; the guest's carrier does). */
export function parseInfoNetwork(text: string): string[] {
  const out: string[] = []
  for (const l of text.split('\n')) {
    const m = /^\s*(?:\\\s*)?([A-Za-z][\w.-]*): index=\d+,type=tap/.exec(l)
    if (m?.[1] !== undefined) out.push(m[1])
  }
  return out
}
