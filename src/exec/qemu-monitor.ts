/**
 * QEMU's human monitor (HMP) over its UNIX socket: one command at a time, and `set_link` with a check of the
 * answer. Used by the VM broker (vm-main.ts) and the bond lab (src/lab/bond/qemu.ts).
 */
import {connect} from 'node:net'

import {HachaosError} from '../errors.js'
import {nowUs, type EpochMicros} from '../time.js'

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

