/**
 * The VIP owner poller every stack with a floating address uses: which node holds the VIP, a state the packets
 * do not show. It runs on its own timer (src/util/poll-loop.ts) and emits timeline events only on change.
 */
import type {Executor} from '../exec/types.js'
import type {TimelineEvent} from '../store/run-types.js'
import {PollLoop} from '../util/poll-loop.js'

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
