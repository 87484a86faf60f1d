/**
 * Long-lived TCP streams through a VIP, run on the client (`node streams-main.js HOST PORT N INTERVAL_MS`,
 * e.g. under `ip netns exec`): N connections to an echo service, opened one after another, each sending
 * one byte every INTERVAL_MS and reading the echo. One NDJSON line per change on stdout: `open`, `lost` (an
 * error, a close, or — at the end — no echo for STALE_MS: a connection the new director silently drops), and
 * on SIGTERM a `summary`. Memory: O(N) (one record per connection), whatever the run length.
 * Hand-written on node:net: nothing more than sockets and a timer is needed.
 */
import {connect, type Socket} from 'node:net'

import {STALE_MS, type StreamLine} from './streams.js'

/** At most this long between two connections' opening (when the first echo is late). */
const OPEN_NEXT_MS = 200

const nowUs = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000)

function main(argv: string[]): void {
  const [host, portS, nS, intervalS] = argv
  const port = Number(portS)
  const n = Number(nS)
  const intervalMs = Number(intervalS ?? 100)
  if (host === undefined || !Number.isInteger(port) || !Number.isInteger(n) || n < 1 || n > 1000 || !(intervalMs >= 10)) {
    process.stderr.write('usage: streams-main HOST PORT N [INTERVAL_MS]\n')
    process.exit(2)
  }
  const say = (l: StreamLine): void => {
    process.stdout.write(`${JSON.stringify(l)}\n`)
  }
  interface Conn {
    sock: Socket
    open: boolean
    dead: boolean
    lastEcho: number | null
  }
  const conns: Conn[] = []
  const lose = (i: number, error: string): void => {
    const c = conns[i]
    if (c === undefined || c.dead) return
    c.dead = true
    say({ev: 'lost', conn: i, t: nowUs(), error, lastEchoT: c.lastEcho})
    c.sock.destroy()
  }
  // One at a time: the next connection opens when this one has echoed its first byte (its server process is
  // running), or after OPEN_NEXT_MS. The lab's echo service (busybox nc -ll -e cat) listens with a backlog of 1:
  // 20 SYNs at once overflowed it (ListenOverflows, syncookies) and streams were reset before any fault.
  let next = 0
  const openNext = (): void => {
    if (next >= n) return
    const i = next++
    let advanced = false
    const advance = (): void => {
      if (advanced) return
      advanced = true
      clearTimeout(fallback)
      openNext()
    }
    const fallback = setTimeout(advance, OPEN_NEXT_MS)
    const sock = connect({host, port})
    sock.setNoDelay(true)
    const c: Conn = {sock, open: false, dead: false, lastEcho: null}
    conns.push(c)
    sock.on('connect', () => {
      c.open = true
      c.lastEcho = nowUs()
      say({ev: 'open', conn: i, t: nowUs()})
      sock.write('x')
    })
    sock.on('data', () => {
      c.lastEcho = nowUs()
      advance()
    })
    sock.on('error', (e: NodeJS.ErrnoException) => {
      lose(i, e.code ?? e.message)
      advance()
    })
    sock.on('close', () => {
      lose(i, 'closed')
      advance()
    })
  }
  openNext()
  const tick = setInterval(() => {
    for (const c of conns) if (c.open && !c.dead) c.sock.write('x')
  }, intervalMs)
  const end = (): void => {
    clearInterval(tick)
    const t = nowUs()
    for (const [i, c] of conns.entries()) {
      if (!c.dead && c.open && c.lastEcho !== null && t - c.lastEcho > STALE_MS * 1000) lose(i, 'stalled')
    }
    const opened = conns.filter((c) => c.open).length
    say({ev: 'summary', t, wanted: n, opened, alive: conns.filter((c) => c.open && !c.dead).length})
    for (const c of conns) {
      c.dead = true
      c.sock.destroy()
    }
    process.exit(0)
  }
  process.on('SIGTERM', end)
  process.on('SIGINT', end)
}

main(process.argv.slice(2))
