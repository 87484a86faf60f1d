/**
 * A stand-in for the bond-lab guest that runs the REAL guest command server (guest-init.ts) under busybox
 * ash on this machine, behind a unix socket that plays QEMU's virtconsole chardev. Only the kernel differs.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, symlinkSync} from 'node:fs'
import {createServer, type Server, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {HX_SERVER_SH} from '../../../src/lab/bond/guest-init.js'
import {findBinary} from '../../../src/exec/which.js'
import {startBroker, type RunningBroker} from '../../../src/exec/vm-broker.js'

export interface FakeGuest {
  dir: string
  brokerSocket: string
  broker: RunningBroker
  close(): Promise<void>
}

export function busyboxPath(): string | null {
  return findBinary('busybox')
}

function killGroup(c: ChildProcess | undefined): void {
  if (c?.pid === undefined) return
  try {
    process.kill(-c.pid, 'SIGKILL')
  } catch {
    // gone
  }
}

export async function startFakeGuest(): Promise<FakeGuest> {
  const busybox = busyboxPath()
  if (busybox === null) throw new Error('busybox is not installed (apt-get install busybox-static)')
  const dir = mkdtempSync(join(tmpdir(), 'hx-vm-'))
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  for (const applet of ['sh', 'base64', 'cat', 'rm', 'mkfifo', 'mkdir', 'printf', 'echo', 'kill', 'sleep', 'env', 'pidof', 'true', 'false', 'stty']) {
    symlinkSync(busybox, join(bin, applet))
  }
  const consoleSock = join(dir, 'console.sock')
  const brokerSocket = join(dir, 'hx.sock')
  let child: ChildProcess | undefined
  const conns: Socket[] = []
  const server: Server = createServer((conn) => {
    child = spawn(join(bin, 'sh'), ['-c', `${HX_SERVER_SH}\nhx_serve -`], {
      env: {PATH: `${bin}:/usr/bin:/bin`, HXD: join(dir, 'hx')},
      stdio: ['pipe', 'pipe', 'inherit'],
      detached: true, // own process group: the server's background writer and jobs die with it
    })
    conn.pipe(child.stdin as NodeJS.WritableStream)
    child.stdout?.pipe(conn)
    conn.on('close', () => killGroup(child))
    conns.push(conn)
  })
  await new Promise<void>((r) => server.listen(consoleSock, () => r()))
  const broker = await startBroker({consoleSocket: consoleSock, listen: brokerSocket, connectTimeoutMs: 5000})
  return {
    dir,
    brokerSocket,
    broker,
    async close() {
      broker.close()
      killGroup(child)
      for (const c of conns) c.destroy()
      await new Promise<void>((r) => server.close(() => r()))
      rmSync(dir, {recursive: true, force: true})
    },
  }
}
