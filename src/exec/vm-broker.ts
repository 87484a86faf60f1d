/**
 * The broker of a QEMU guest's command console. QEMU's chardev socket serves one client at a time, but a
 * lab is used by several hachaos processes at once (a dashboard, a load run, a fault). The broker holds the
 * single console connection and relays tagged request lines from any number of local clients, routing each
 * answer back to the client that sent its tag. When a client goes away, its streaming jobs in the guest are
 * killed (like the ssh executor's watchdog), so nothing it started keeps running.
 */
import {chmodSync, rmSync} from 'node:fs'
import {connect, createServer, type Server, type Socket} from 'node:net'

import {sleep} from '../time.js'
import {decodeAnswer, encodeKill, LineSplitter, requestTag} from './vm-protocol.js'

export interface BrokerOptions {
  /** QEMU's virtconsole chardev socket (server=on). */
  consoleSocket: string
  /** Where clients connect. */
  listen: string
  /** Give up connecting to QEMU after this long. */
  connectTimeoutMs?: number
  log?: (msg: string) => void
}

export interface RunningBroker {
  server: Server
  /** Resolves when the console connection is gone (QEMU exited) and the broker closed. */
  closed: Promise<void>
  close(): void
}

async function connectRetry(path: string, timeoutMs: number): Promise<Socket> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = connect(path)
        s.once('connect', () => resolve(s))
        s.once('error', reject)
      })
    } catch (e) {
      if (Date.now() > deadline) throw e
      await sleep(50)
    }
  }
}

export async function startBroker(o: BrokerOptions): Promise<RunningBroker> {
  const log = o.log ?? ((): void => undefined)
  const guest = await connectRetry(o.consoleSocket, o.connectTimeoutMs ?? 60_000)
  guest.setEncoding('utf8')
  log(`connected to ${o.consoleSocket}`)
  /** tag → client, and which tags are streams (to kill when their client leaves). */
  const owner = new Map<string, Socket>()
  const streams = new Map<Socket, Set<string>>()
  const fromGuest = new LineSplitter()
  guest.on('data', (chunk: string) => {
    for (const line of fromGuest.push(chunk)) {
      const a = decodeAnswer(line)
      if (a === null) {
        if (line.trim() !== '') log(`guest: ${line.slice(0, 200)}`)
        continue
      }
      if (a.type === 'hello') continue
      const c = owner.get(a.tag)
      if (c !== undefined && !c.destroyed) c.write(`${line}\n`)
      if (a.type === 'result' || a.type === 'exit') {
        owner.delete(a.tag)
        if (c !== undefined) streams.get(c)?.delete(a.tag)
      }
    }
  })

  const server = createServer((client) => {
    client.setEncoding('utf8')
    const mine = new Set<string>()
    streams.set(client, mine)
    const split = new LineSplitter()
    client.on('data', (chunk: string) => {
      for (const line of split.push(chunk)) {
        const r = requestTag(line)
        if (r === null) continue
        if (r.kind !== 'K') {
          owner.set(r.tag, client)
          mine.add(r.tag)
        } else if (owner.get(r.tag) !== client) {
          continue // only the owner may signal a job
        }
        guest.write(`${line}\n`)
      }
    })
    const gone = (): void => {
      for (const tag of mine) {
        if (owner.get(tag) === client) guest.write(encodeKill(tag, 'TERM'))
      }
      streams.delete(client)
    }
    client.on('close', gone)
    client.on('error', () => undefined)
  })
  rmSync(o.listen, {force: true})
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(o.listen, () => resolve())
  })
  chmodSync(o.listen, 0o600)
  log(`listening on ${o.listen}`)

  let closeIt: () => void = () => undefined
  const closed = new Promise<void>((resolve) => {
    closeIt = (): void => {
      server.close()
      for (const c of streams.keys()) c.destroy()
      guest.destroy()
      rmSync(o.listen, {force: true})
      resolve()
    }
  })
  guest.on('close', () => {
    log('console connection closed (QEMU gone): exiting')
    closeIt()
  })
  guest.on('error', (e) => log(`console error: ${e.message}`))
  return {server, closed, close: closeIt}
}
