/**
 * A QEMU guest's life as a lab runs it, shared by the labs that boot the cached Debian cloud kernel (the bond
 * lab here, the LVS lab in src/stacks/lvs/lab): start QEMU in the switch namespace with the console broker
 * beside it, wait for the guest's init to print HX-READY (or FAILED lines), and stop both by their PIDs.
 * Only processes we started, checked by PID and command name before any signal.
 */
import {existsSync, readFileSync} from 'node:fs'

import {HachaosError} from '../../errors.js'
import {NetnsExecutor} from '../../exec/netns.js'
import {runOk} from '../../exec/run-ok.js'
import {VM_MAIN} from '../../exec/vm.js'
import {alive, commOf, ip, logTail, startDetached, terminate, waitFor} from '../netns-ops.js'
import {hmp, type QemuFiles} from './qemu.js'

/** QEMU's command name as /proc shows it (comm is cut to 15 characters). */
export const QEMU_COMM = 'qemu-system-x86'

export interface GuestFiles extends QemuFiles {
  brokerSocket: string
  brokerLog: string
}

/** QEMU's tap NICs need /dev/net/tun: say so before anything is built. */
export function requireTun(): void {
  if (!existsSync('/dev/net/tun')) {
    throw new HachaosError('/dev/net/tun is missing: QEMU cannot make tap devices', {code: 'E_NO_TUN', exit: 'ENVIRONMENT', suggestions: ['modprobe tun', 'inside a container: pass --device /dev/net/tun']})
  }
}

/** One tap per guest NIC in the switch namespace, each a port of the lab's bridge. */
export async function addTaps(switchNs: string, bridge: string, taps: readonly string[]): Promise<void> {
  for (const tap of taps) {
    await ip(['-n', switchNs, 'tuntap', 'add', 'dev', tap, 'mode', 'tap'])
    await ip(['-n', switchNs, 'link', 'set', tap, 'master', bridge, 'up'])
  }
}

export function readPid(file: string): number | null {
  try {
    const n = Number(readFileSync(file, 'utf8').trim())
    return Number.isInteger(n) && n > 1 ? n : null
  } catch {
    return null
  }
}

/** Our QEMU, by the PID in its pid file (else the one recorded), if that process is still a QEMU. */
export function ourQemu(files: Pick<QemuFiles, 'pidFile'>, recorded: number | null): number | null {
  const p = readPid(files.pidFile) ?? recorded
  return p !== null && alive(p) && commOf(p) === QEMU_COMM ? p : null
}

/** Our console broker (a node process we started), if it still runs. */
export function ourBroker(recorded: number | null): number | null {
  return recorded !== null && alive(recorded) && commOf(recorded) === 'node' ? recorded : null
}

export function guestNotReady(msg: string, log: string): HachaosError {
  return new HachaosError(msg, {
    code: 'E_LAB_NOT_READY',
    exit: 'TIMEOUT',
    suggestions: [`last lines of ${log}: ${logTail(log, 4).replace(/\n/g, ' | ')}`, 'the lab was removed again; retry, or look at the log above'],
  })
}

/**
 * Start QEMU (argv from qemuArgv) daemonised in the switch namespace, then the console broker; `record` is
 * called as each PID is known (the caller writes its lab state at once, so `lab down` finds them after a
 * crash). Waits for HX-READY on the console (timeoutMs); a FAILED line from the guest's init is an error
 * naming `what` (e.g. "bond0", "its namespaces").
 */
export async function bootGuest(o: {
  switchNs: string
  argv: string[]
  files: GuestFiles
  timeoutMs: number
  what: string
  record: (pids: {qemu: number | null; broker: number | null}) => void
}): Promise<void> {
  const {files} = o
  await runOk(new NetnsExecutor('guest-switch', o.switchNs), o.argv, {timeoutMs: 30_000, what: 'qemu-system-x86_64', suggestions: [`see ${files.consoleLog}`]})
  const qemu = readPid(files.pidFile)
  o.record({qemu, broker: null})
  const broker = startDetached(o.switchNs, [process.execPath, VM_MAIN, 'broker', files.consoleSocket, files.brokerSocket], files.brokerLog)
  o.record({qemu, broker})
  const ready = await waitFor(async () => {
    const log = existsSync(files.consoleLog) ? readFileSync(files.consoleLog, 'utf8') : ''
    if (log.includes('HX-READY')) return 'ready'
    if (ourQemu(files, qemu) === null) return 'dead'
    return undefined
  }, o.timeoutMs, 50)
  if (ready !== 'ready') throw guestNotReady(ready === 'dead' ? 'QEMU exited while the guest booted' : `the guest did not boot within ${o.timeoutMs / 1000} s`, files.consoleLog)
  const failed = readFileSync(files.consoleLog, 'utf8').split('\n').filter((l) => l.includes('FAILED'))
  if (failed.length > 0) throw guestNotReady(`the guest could not set ${o.what} up: ${failed.join(' | ')}`, files.consoleLog)
}

/** QEMU first (a graceful quit through the monitor, then signals: the guest and all it runs go with it), then the broker. Returns how many processes were ended. */
export async function stopGuest(files: Pick<QemuFiles, 'pidFile' | 'monitorSocket'>, qemuPid: number | null, brokerPid: number | null): Promise<number> {
  let ended = 0
  const q = ourQemu(files, qemuPid)
  if (q !== null) {
    await hmp(files.monitorSocket, 'quit', 2000).catch(() => undefined)
    await waitFor(async () => (alive(q) ? undefined : true), 3000, 50)
    if (alive(q)) await terminate([q])
    ended++
  }
  const b = ourBroker(brokerPid)
  if (b !== null) ended += (await terminate([b])).length
  return ended
}
