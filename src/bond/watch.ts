/**
 * A watcher that runs ON the bond host (any executor): a shell loop of builtins that polls every member's
 * carrier and MII status (as the bond sees it) and the active member every few ms, and prints a line on
 * each change, stamped with the host's CLOCK_MONOTONIC (from /proc/timer_list) — so the order and spacing of
 * "carrier dropped" → "bond saw the link down" → "active member changed" come from one clock, with the poll
 * period as the only uncertainty.
 */
import type {Executor, Spawned} from '../exec/types.js'

/** $1 = bond, $2 = poll period (s), then the members. */
export const WATCH_SH = [
  'b=$1; p=$2; shift 2; last=',
  'while :; do',
  '  s=',
  '  for m do',
  '    c=?; st=?; st2=',
  '    { read -r c < /sys/class/net/$m/carrier; } 2>/dev/null',
  '    { read -r st st2 < /sys/class/net/$m/bonding_slave/mii_status; } 2>/dev/null',
  '    s="$s $m=$c,$st$st2"',
  '  done',
  '  a=; { read -r a < /sys/class/net/$b/bonding/active_slave; } 2>/dev/null',
  '  s="$s active=${a:--}"',
  '  if [ "$s" != "$last" ]; then',
  '    t=0; { while read -r x y z w; do if [ "$x $y" = "now at" ]; then t=$z; break; fi; done < /proc/timer_list; } 2>/dev/null',
  '    echo "$t$s"; last=$s',
  '  fi',
  '  sleep $p',
  'done',
].join('\n')

export interface WatchState {
  /** CLOCK_MONOTONIC of the bond host, ns (0n when /proc/timer_list was not readable). */
  monoNs: bigint
  /** Epoch µs on this machine when the line arrived. */
  receivedAt: number
  members: Record<string, {carrier: boolean | null; mii: string}>
  active: string | null
}

const MII: Record<string, string> = {goingdown: 'going down', goingback: 'going back'}

export function parseWatchLine(line: string, receivedAt: number): WatchState | null {
  const parts = line.trim().split(/\s+/)
  const ns = parts.shift()
  if (ns === undefined || !/^\d+$/.test(ns)) return null
  const members: WatchState['members'] = {}
  let active: string | null = null
  for (const p of parts) {
    const a = /^active=(.*)$/.exec(p)
    if (a !== null) {
      active = a[1] === '-' || a[1] === undefined ? null : a[1]
      continue
    }
    const m = /^([^=]+)=([01?]),(.+)$/.exec(p)
    if (m === null) continue
    members[m[1] as string] = {carrier: m[2] === '?' ? null : m[2] === '1', mii: MII[m[3] as string] ?? (m[3] as string)}
  }
  return {monoNs: BigInt(ns), receivedAt, members, active}
}

export function startWatch(exec: Executor, bond: string, members: string[], periodMs = 2): {proc: Spawned; states: WatchState[]; first: Promise<void>} {
  const states: WatchState[] = []
  let resolveFirst: () => void = () => undefined
  const first = new Promise<void>((r) => (resolveFirst = r))
  const proc = exec.spawn(['sh', '-c', WATCH_SH, 'hachaos-watch', bond, (periodMs / 1000).toFixed(3), ...members], {
    onLine: (l) => {
      if (l.stream !== 'stdout') return
      const s = parseWatchLine(l.text, l.t)
      if (s !== null) {
        states.push(s)
        resolveFirst()
      }
    },
  })
  void proc.done.then(() => resolveFirst())
  return {proc, states, first}
}
