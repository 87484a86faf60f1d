/**
 * The VIP owner poller every stack with a floating address uses: which node holds the VIP, a state the packets
 * do not show. It runs on its own timer (src/util/poll-loop.ts) and emits timeline events only on change.
 */
import {errorMessage} from '../errors.js'
import type {Executor, Spawned} from '../exec/types.js'
import type {TimelineEvent} from '../store/run-types.js'
import {nowUs} from '../time.js'
import {PollLoop, type Poller} from '../util/poll-loop.js'

/** Does a host carry the VIP on any interface? (`ip -o -4 addr show`; IPv6 VIPs with -6.) */
export async function hostHasAddress(exec: Executor, vip: string): Promise<boolean> {
  const r = await exec.run(['ip', '-o', vip.includes(':') ? '-6' : '-4', 'addr', 'show'], {timeoutMs: 2000})
  return r.code === 0 && r.stdout.split('\n').some((l) => l.includes(` ${vip}/`))
}

/** The hosts (in the order given) that carry the VIP now; a host that cannot be asked counts as not. */
export async function vipHolders(hosts: Array<{name: string; exec: Executor}>, vip: string): Promise<string[]> {
  const have = await Promise.all(hosts.map(async (h) => ((await hostHasAddress(h.exec, vip).catch(() => false)) ? h.name : null)))
  return have.filter((x): x is string => x !== null)
}

/**
 * The holders, sorted, with two or more confirmed by an immediate second reading: only hosts seen in both
 * count. The hosts are asked in parallel but not at one instant, so a takeover that lands between the answers
 * reads as "both hold it" for one round (lb1 asked just before it drops the VIP, lb2 just after it adds it): a
 * dual VIP of one poll that never was (CI saw it fail a keepalived TERM drill). A real dual VIP survives the
 * second reading; a transition does not. One reading costs one `ip addr` per host, so this doubles only the
 * rounds that see two holders.
 */
export async function confirmedHolders(read: () => Promise<string[]>): Promise<string[]> {
  const first = (await read()).sort()
  if (first.length < 2) return first
  const again = new Set(await read())
  return first.filter((h) => again.has(h))
}

/** Emits `vip.owner` whenever the set of hosts holding the VIP changes. */
export class VipOwnerPoller extends PollLoop {
  private last = ''

  constructor(
    private readonly hosts: Array<{name: string; exec: Executor}>,
    private readonly vip: string,
    private readonly observer: string,
    private readonly emit: (e: TimelineEvent) => void,
    everyMs = 200,
  ) {
    super(everyMs)
  }

  protected async round(): Promise<void> {
    const t = Math.round((performance.timeOrigin + performance.now()) * 1000)
    const owners = await confirmedHolders(() => vipHolders(this.hosts, this.vip))
    const key = owners.join(',')
    if (key !== this.last) {
      this.last = key
      this.emit({type: 'vip.owner', t, host: this.observer, owners})
    }
  }
}

/** How a watch follows the VIP owner: a monitor per host (default) or the poll of every drill. */
export type VipOwnerMode = 'monitor' | 'poll'

/** The VIP owner observer of a watch: VipOwnerMonitor (a full reading every max(5 s, pollMs)) or VipOwnerPoller. */
export function vipOwnerObserver(mode: VipOwnerMode, hosts: Array<{name: string; exec: Executor}>, vip: string, observer: string, emit: (e: TimelineEvent) => void, pollMs: number): Poller {
  return mode === 'poll' ? new VipOwnerPoller(hosts, vip, observer, emit, pollMs) : new VipOwnerMonitor(hosts, vip, observer, emit, {reconcileMs: Math.max(5000, pollMs)})
}

/** `ip -o monitor address` lines: `[Deleted ]N: DEV    inet[6] ADDR/PLEN …` (iproute2, checked on Debian 12). */
const MONITOR_LINE = /^(Deleted )?\d+: (\S+)\s+inet6? (\S+)\/\d+ /

/** One monitor line, or null for any other line (pure: test/unit/drill/vip-monitor.test.ts). */
export function parseMonitorLine(text: string): {deleted: boolean; dev: string; address: string} | null {
  const m = MONITOR_LINE.exec(text)
  if (m === null) return null
  return {deleted: m[1] !== undefined, dev: m[2] as string, address: m[3] as string}
}

/** A holder known from a reading (interface unknown). */
const READ = '(read)'

export interface VipOwnerMonitorOptions {
  /** A full reading (`ip addr` on every host) this often, to correct what a monitor missed. Default 5000. */
  reconcileMs?: number
  /** Two or more holders are emitted only when they still hold it this much later (see confirmedHolders). Default 150. */
  confirmMs?: number
  /** A monitor that exits is started again after this long (the reconciliation covers the gap). Default 1000. */
  restartMs?: number
}

/**
 * The VIP owner for long watches: one long-lived `ip -o monitor address` per host instead of one `ip addr` per
 * host per round. The poller (above) spawns two processes every 200 ms on a pair, the most of a watch's CPU
 * (¼ core in a measured hour at --rate 5); the monitor spawns one per host for the whole watch, and its events
 * carry the instant the kernel's notification was read, not the next poll round. A reading every reconcileMs
 * (and at start) corrects anything a monitor missed; a monitor that exits is started again. A set of two or
 * more holders is emitted (stamped when it began) only if it still stands confirmMs later, as confirmedHolders
 * does for polls: a takeover where one adds the VIP a few ms before the other removes it is no dual VIP.
 *
 * Memory: per host one Set of the interfaces that carry the VIP and one child process; O(hosts).
 */
export class VipOwnerMonitor implements Poller {
  private readonly held: Array<Set<string>>
  private readonly procs: Array<Spawned | null>
  /** When each host's monitor last reported the VIP (a reading older than that is stale for this host). */
  private readonly lineUs: number[]
  private last = ''
  private current = ''
  private currentSinceUs = 0
  private running = false
  private reconcileTimer: NodeJS.Timeout | undefined
  private confirmTimer: NodeJS.Timeout | undefined
  private readonly restartTimers = new Set<NodeJS.Timeout>()
  private readonly reconcileMs: number
  private readonly confirmMs: number
  private readonly restartMs: number
  /** Monitor lines read, monitors (re)started, readings done: for tests and the bench. */
  lines = 0
  starts = 0
  readings = 0
  errors: string[] = []

  constructor(
    private readonly hosts: Array<{name: string; exec: Executor}>,
    private readonly vip: string,
    private readonly observer: string,
    private readonly emit: (e: TimelineEvent) => void,
    o: VipOwnerMonitorOptions = {},
  ) {
    this.reconcileMs = o.reconcileMs ?? 5000
    this.confirmMs = o.confirmMs ?? 150
    this.restartMs = o.restartMs ?? 1000
    this.held = hosts.map(() => new Set<string>())
    this.procs = hosts.map(() => null)
    this.lineUs = hosts.map(() => 0)
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.hosts.forEach((_, i) => this.spawn(i))
    // the first reading after the monitors are up: a change in between is seen by both
    void this.reconcile()
    this.reconcileTimer = setInterval(() => void this.reconcile(), this.reconcileMs)
  }

  async stop(): Promise<void> {
    this.running = false
    clearInterval(this.reconcileTimer)
    clearTimeout(this.confirmTimer)
    for (const t of this.restartTimers) clearTimeout(t)
    this.restartTimers.clear()
    await Promise.allSettled(this.procs.map((p) => p?.stop({graceMs: 1000})))
  }

  private spawn(i: number): void {
    const h = this.hosts[i] as {name: string; exec: Executor}
    const argv = ['ip', '-o', this.vip.includes(':') ? '-6' : '-4', 'monitor', 'address']
    let p: Spawned
    try {
      p = h.exec.spawn(argv, {onLine: (l) => l.stream === 'stdout' && this.line(i, l.text, l.t)})
    } catch (e) {
      this.error(`${h.name}: ${errorMessage(e)}`)
      this.restartLater(i)
      return
    }
    this.starts++
    this.procs[i] = p
    void p.done.then((r) => {
      if (this.procs[i] === p) this.procs[i] = null
      if (!this.running) return
      this.error(`${h.name}: ip monitor exited (${r.code ?? r.signal})${r.stderr === '' ? '' : `: ${r.stderr.split('\n')[0] ?? ''}`}`)
      this.restartLater(i)
    })
  }

  private restartLater(i: number): void {
    if (!this.running) return
    const t = setTimeout(() => {
      this.restartTimers.delete(t)
      if (this.running) this.spawn(i)
    }, this.restartMs)
    this.restartTimers.add(t)
  }

  private error(m: string): void {
    if (this.errors.length < 20) this.errors.push(m)
  }

  private line(i: number, text: string, t: number): void {
    this.lines++
    const m = parseMonitorLine(text)
    if (m === null || m.address !== this.vip) return
    this.lineUs[i] = t
    const set = this.held[i] as Set<string>
    if (m.deleted) {
      set.delete(m.dev)
      // a reading knows that the host holds it, not on which interface: a deletion ends that knowledge too
      set.delete(READ)
    } else set.add(m.dev)
    this.changed(t)
  }

  private async reconcile(): Promise<void> {
    try {
      const askedUs = nowUs()
      const owners = new Set(await confirmedHolders(() => vipHolders(this.hosts, this.vip)))
      this.readings++
      if (!this.running) return
      this.hosts.forEach((h, i) => {
        // a monitor line that came while the reading was under way is newer than the reading
        if ((this.lineUs[i] as number) >= askedUs) return
        const set = this.held[i] as Set<string>
        if (owners.has(h.name) && set.size === 0) set.add(READ)
        else if (!owners.has(h.name)) set.clear()
      })
      this.changed(nowUs())
    } catch (e) {
      this.error(errorMessage(e))
    }
  }

  private holders(): string[] {
    return this.hosts.filter((_, i) => (this.held[i] as Set<string>).size > 0).map((h) => h.name).sort()
  }

  private changed(t: number): void {
    const owners = this.holders()
    const key = owners.join(',')
    if (key !== this.current) {
      this.current = key
      this.currentSinceUs = t
    }
    clearTimeout(this.confirmTimer)
    this.confirmTimer = undefined
    if (key === this.last) return
    if (owners.length < 2) {
      this.publish(owners, t)
      return
    }
    const since = this.currentSinceUs
    this.confirmTimer = setTimeout(() => {
      this.confirmTimer = undefined
      if (this.running && this.current === key && key !== this.last) this.publish(owners, since)
    }, this.confirmMs)
  }

  private publish(owners: string[], t: number): void {
    this.last = owners.join(',')
    this.emit({type: 'vip.owner', t, host: this.observer, owners})
  }
}
