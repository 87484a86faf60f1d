/**
 * Measure a bond failover: a member goes down (the caller's inject, e.g. QEMU set_link off = cable pull)
 * → the bond's link monitor sees it → the active member changes → traffic flows again; then the member
 * comes back (revert). Three clocks, kept apart:
 *   - the bond host's monotonic clock (watch.ts): carrier drop, MII down, active change — their spacing
 *     is exact up to the watcher's poll period;
 *   - this machine's clock: the inject moment (QEMU's answer) and the client's ping replies (ping -D on
 *     this machine: the lab clients are namespaces here);
 *   - the link between them: a measured offset (best of 3 round trips, ± half the round trip).
 * Predicted: MII monitoring notices within miimon + downdelay (a check every miimon ms, then downdelay);
 * the ARP monitor within (arp_missed_max + 1.5) × arp_interval (see predictDetection).
 */
import {HachaosError} from '../errors.js'
import type {Executor} from '../exec/types.js'
import {sleep, type EpochMicros} from '../time.js'
import {parseBondProc, type BondProc} from './proc.js'
import {startWatch, type WatchState} from './watch.js'

export interface PingReply {
  t: EpochMicros
  seq: number
}

export function parsePingLine(line: string): PingReply | null {
  const m = /^\[(\d+)\.(\d+)\].*icmp_seq=(\d+)/.exec(line)
  if (m === null) return null
  const frac = (m[2] as string).padEnd(6, '0').slice(0, 6)
  return {t: Number(m[1]) * 1_000_000 + Number(frac), seq: Number(m[3])}
}

export interface ClockOffset {
  /** Bond host's monotonic µs minus this machine's epoch µs. */
  offsetUs: number
  /** ± this much (half the best round trip). */
  uncertaintyUs: number
}

const MONO_SH = "while read -r x y z w; do if [ \"$x $y\" = 'now at' ]; then echo $z; break; fi; done < /proc/timer_list"

export async function measureClockOffset(exec: Executor, tries = 3): Promise<ClockOffset | null> {
  let best: ClockOffset | null = null
  for (let i = 0; i < tries; i++) {
    const r = await exec.run(['sh', '-c', MONO_SH], {timeoutMs: 10_000})
    const ns = r.stdout.trim()
    if (r.code !== 0 || !/^\d+$/.test(ns)) return null
    const half = (r.t1 - r.t0) / 2
    const o = {offsetUs: Number(BigInt(ns) / 1000n) - (r.t0 + half), uncertaintyUs: half}
    if (best === null || o.uncertaintyUs < best.uncertaintyUs) best = o
  }
  return best
}

export interface Prediction {
  monitor: 'mii' | 'arp' | 'none'
  maxDetectMs: number | null
  formula: string
}

export function predictDetection(p: BondProc): Prediction {
  const miimon = p.miimonMs ?? 0
  if (miimon > 0) {
    const dd = p.downdelayMs ?? 0
    return {monitor: 'mii', maxDetectMs: miimon + dd, formula: `miimon ${miimon} ms + downdelay ${dd} ms = ${miimon + dd} ms`}
  }
  if (p.arp !== null && (p.arp.intervalMs ?? 0) > 0) {
    // bond_ab_arp_inspect: the active member is down once nothing arrived for missed_max × Δ + Δ/2
    // (bond_time_in_interval), and that is checked every Δ: at most (missed_max + 1.5) × Δ after the last frame.
    const iv = p.arp.intervalMs ?? 0
    const mm = p.arp.missedMax ?? 2
    const max = (mm + 1.5) * iv
    return {monitor: 'arp', maxDetectMs: max, formula: `(arp_missed_max ${mm} + ½ + 1 check) × arp_interval ${iv} ms = ${max} ms`}
  }
  return {monitor: 'none', maxDetectMs: null, formula: 'no link monitoring (miimon 0, no ARP monitor): the bond never notices'}
}

export interface FailoverTiming {
  /** ms from the guest's carrier drop (its first sign of the pull) to the event, by its own monotonic clock. */
  carrierDownToMiiDownMs: number | null
  carrierDownToActiveChangeMs: number | null
  /** ms from the inject (this machine) to the guest's carrier drop, through the clock offset (± uncertainty). */
  injectToCarrierDownMs: number | null
  clockUncertaintyMs: number | null
  /** Best estimate of inject → active change: injectToCarrierDown + carrierDownToActiveChange. */
  injectToActiveChangeMs: number | null
}

export interface TrafficOutage {
  replies: number
  /** Last reply before the inject, first reply after it (epoch µs, this machine). */
  lastBefore: EpochMicros | null
  firstAfter: EpochMicros | null
  /** firstAfter − lastBefore (ms): what the client saw. */
  outageMs: number | null
  /** firstAfter − inject (ms): traffic flows again. */
  resumeMs: number | null
  lostReplies: number
}

export interface FailoverMeasurement {
  bond: string
  host: string
  member: string
  mode: string | null
  activeBefore: string | null
  activeAfter: string | null
  miimonMs: number | null
  downdelayMs: number | null
  updelayMs: number | null
  prediction: Prediction
  injectAt: EpochMicros
  /** QEMU's (or the inject's) answer time minus its send time (µs). */
  injectWindowUs: number
  revertAt: EpochMicros | null
  timing: FailoverTiming
  traffic: TrafficOutage | null
  /** After the revert: the member's MII up again, from its carrier up (guest clock, ms): ≈ updelay. */
  carrierUpToMiiUpMs: number | null
  /** Watcher poll period (the measurement's resolution on the guest side). */
  pollMs: number
  watch: WatchState[]
  procBefore: BondProc
  procAfter: BondProc | null
  warnings: string[]
}

export interface FailoverOptions {
  exec: Executor
  host: string
  bond: string
  /** Member to take down; default: the active member (or the first one). */
  member?: string
  /** Take it down; resolve with this machine's epoch µs when it took effect (and the send time). */
  inject: (member: string) => Promise<{sentAt: EpochMicros; answeredAt: EpochMicros}>
  revert: (member: string) => Promise<EpochMicros>
  /** Ping the bond from a client on this machine (executor + bond address). */
  probe?: {exec: Executor; address: string; intervalMs?: number}
  /** How long the member stays down (default: 3 × the predicted detection, at least 1.5 s). */
  holdMs?: number
  pollMs?: number
  onProgress?: (m: string) => void
  signal?: AbortSignal
  /** Each helper process as it starts (the guest watcher, the client's ping), for the drill's journal. */
  onHelper?: (h: {host: string; pid: number; argv: string[]}) => void
}

const msBetween = (a: bigint, b: bigint): number => Number(b - a) / 1e6

export async function readProc(exec: Executor, bond: string): Promise<BondProc> {
  const r = await exec.run(['cat', `/proc/net/bonding/${bond}`], {timeoutMs: 15_000})
  if (r.code !== 0) throw new HachaosError(`no bond ${bond} on ${exec.host}: ${r.stderr.trim()}`, {code: 'E_NO_BOND', exit: 'USAGE', where: exec.host})
  return parseBondProc(r.stdout)
}

export function pickMember(p: BondProc, wanted?: string): string {
  const names = p.members.map((m) => m.name)
  if (wanted !== undefined) {
    if (!names.includes(wanted)) throw new HachaosError(`${wanted} is not a member of the bond (members: ${names.join(', ') || 'none'})`, {code: 'E_USAGE', exit: 'USAGE'})
    return wanted
  }
  const m = p.activeSlave ?? p.members.find((x) => x.miiStatus === 'up')?.name ?? names[0]
  if (m === undefined) throw new HachaosError('the bond has no members', {code: 'E_USAGE', exit: 'USAGE'})
  return m
}

export async function measureFailover(o: FailoverOptions): Promise<FailoverMeasurement> {
  const progress = o.onProgress ?? ((): void => undefined)
  const pollMs = o.pollMs ?? 2
  const before = await readProc(o.exec, o.bond)
  const member = pickMember(before, o.member)
  const members = before.members.map((m) => m.name)
  const prediction = predictDetection(before)
  const warnings: string[] = []
  if (before.members.filter((m) => m.miiStatus === 'up' && m.name !== member).length === 0) warnings.push(`no other member is up: taking ${member} down leaves the bond without a link`)
  const holdMs = o.holdMs ?? Math.max(1500, 3 * (prediction.maxDetectMs ?? 500))

  progress(`watching ${o.bond} on ${o.host} (every ${pollMs} ms)`)
  const w = startWatch(o.exec, o.bond, members, pollMs)
  const pingArgv = ['ping', '-D', '-n', '-i', ((o.probe?.intervalMs ?? 10) / 1000).toFixed(3), '-W', '1', o.probe?.address ?? '']
  const ping = o.probe === undefined ? null : o.probe.exec.spawn(pingArgv)
  // Journaled as they start: a drill killed from here on leaves `hachaos recover` their PIDs (each also dies
  // with us by itself: the watchdog of ProcessExecutor.spawn).
  if (w.proc.pid !== undefined) o.onHelper?.({host: o.host, pid: w.proc.pid, argv: ['sh', '-c', 'hachaos-watch', o.bond]})
  if (ping !== null && ping.pid !== undefined && o.probe !== undefined) o.onHelper?.({host: o.probe.exec.host, pid: ping.pid, argv: pingArgv})
  const replies: PingReply[] = []
  const pingLines = ping === null ? null : (async () => {
    for await (const l of ping.lines()) {
      const r = parsePingLine(l.text)
      if (r !== null) replies.push(r)
    }
  })()
  let injectAt = 0
  let injectWindowUs = 0
  let revertAt: EpochMicros | null = null
  let offset: Awaited<ReturnType<typeof measureClockOffset>> = null
  let after: BondProc | null = null
  try {
    // The 15 s bound is cancelled once the watcher speaks: a pending timer would keep the process alive 15 s
    // after the trial began (a game day's last bond step, `bond failover`'s last trial).
    const firstBound = new AbortController()
    await Promise.race([w.first, sleep(15_000, firstBound.signal).catch(() => undefined)])
    firstBound.abort()
    if (w.states.length === 0) throw new HachaosError(`the watcher on ${o.host} printed nothing`, {code: 'E_WATCH', exit: 'HOST', where: o.host})
    offset = await measureClockOffset(o.exec)
    await sleep(ping === null ? 200 : 800, o.signal)
    if (ping !== null && replies.length === 0) warnings.push(`no ping reply from ${o.probe?.address ?? '?'} before the fault: the traffic view is empty`)
    progress(`taking ${member} down`)
    const inj = await o.inject(member)
    injectAt = inj.answeredAt
    injectWindowUs = inj.answeredAt - inj.sentAt
    await sleep(holdMs, o.signal).catch(() => undefined)
    after = await readProc(o.exec, o.bond).catch(() => null)
  } finally {
    if (injectAt !== 0) {
      progress(`bringing ${member} back`)
      revertAt = await o.revert(member)
      const ud = before.updelayMs ?? 0
      await sleep(Math.max(800, ud + 600))
    }
    await ping?.stop({signal: 'SIGINT', graceMs: 1000})
    await pingLines
    await w.proc.stop({graceMs: 1000})
  }

  // guest-side timeline
  const st = w.states
  const tail = st
  const carrierDown = tail.find((s, i) => i > 0 && s.members[member]?.carrier === false && tail[i - 1]?.members[member]?.carrier !== false)
  const miiDown = tail.find((s) => s.members[member]?.mii === 'down')
  const activeBefore = st[0]?.active ?? before.activeSlave
  const activeChange = tail.find((s) => s.active !== activeBefore)
  const carrierUp = carrierDown === undefined ? undefined : st.find((s) => s.monoNs > carrierDown.monoNs && s.members[member]?.carrier === true)
  const miiUp = carrierUp === undefined ? undefined : st.find((s) => s.monoNs >= carrierUp.monoNs && s.members[member]?.mii === 'up')
  const haveMono = (s: WatchState | undefined): s is WatchState => s !== undefined && s.monoNs > 0n
  const injectToCarrier = haveMono(carrierDown) && offset !== null ? Number(carrierDown.monoNs / 1000n) - offset.offsetUs - injectAt : null
  const c2a = haveMono(carrierDown) && haveMono(activeChange) ? msBetween(carrierDown.monoNs, activeChange.monoNs) : null
  const timing: FailoverTiming = {
    carrierDownToMiiDownMs: haveMono(carrierDown) && haveMono(miiDown) ? msBetween(carrierDown.monoNs, miiDown.monoNs) : null,
    carrierDownToActiveChangeMs: c2a,
    injectToCarrierDownMs: injectToCarrier === null ? null : injectToCarrier / 1000,
    clockUncertaintyMs: offset === null ? null : offset.uncertaintyUs / 1000,
    injectToActiveChangeMs: injectToCarrier !== null && c2a !== null ? injectToCarrier / 1000 + c2a : null,
  }
  if (!haveMono(carrierDown)) warnings.push(`the watcher did not see ${member}'s carrier drop`)

  let traffic: TrafficOutage | null = null
  if (ping !== null) {
    const beforeR = replies.filter((r) => r.t < injectAt)
    const afterR = replies.filter((r) => r.t >= injectAt && (revertAt === null || r.t < revertAt))
    const lastBefore = beforeR.at(-1) ?? null
    const firstAfter = afterR[0] ?? null
    traffic = {
      replies: replies.length,
      lastBefore: lastBefore?.t ?? null,
      firstAfter: firstAfter?.t ?? null,
      outageMs: lastBefore !== null && firstAfter !== null ? (firstAfter.t - lastBefore.t) / 1000 : null,
      resumeMs: firstAfter !== null ? (firstAfter.t - injectAt) / 1000 : null,
      lostReplies: lastBefore !== null && firstAfter !== null ? Math.max(0, firstAfter.seq - lastBefore.seq - 1) : 0,
    }
    if (firstAfter === null) warnings.push('traffic did not flow again while the member was down')
  }
  return {
    bond: o.bond,
    host: o.host,
    member,
    mode: before.mode,
    activeBefore,
    activeAfter: activeChange?.active ?? after?.activeSlave ?? null,
    miimonMs: before.miimonMs,
    downdelayMs: before.downdelayMs,
    updelayMs: before.updelayMs,
    prediction,
    injectAt,
    injectWindowUs,
    revertAt,
    timing,
    traffic,
    carrierUpToMiiUpMs: haveMono(carrierUp) && haveMono(miiUp) ? msBetween(carrierUp.monoNs, miiUp.monoNs) : null,
    pollMs,
    watch: st,
    procBefore: before,
    procAfter: after,
    warnings,
  }
}
