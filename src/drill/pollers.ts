/**
 * Small pollers that watch state the packets do not show: which node holds the VIP, and what HAProxy thinks of
 * its servers. Each runs on its own timer (src/util/poll-loop.ts) and emits timeline events only on change.
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
    const owners = (await vipHolders(this.hosts, this.vip)).sort()
    const key = owners.join(',')
    if (key !== this.last) {
      this.last = key
      this.emit({type: 'vip.owner', t, host: this.observer, owners})
    }
  }
}

export interface HaproxyServerState {
  backend: string
  server: string
  status: string
}

/** Parse HAProxy's `show stat` CSV (first line "# pxname,svname,…"): the status of every server. */
export function parseShowStat(csv: string): HaproxyServerState[] {
  const lines = csv.split('\n').filter((l) => l.trim() !== '')
  const header = lines[0]?.replace(/^#\s*/, '').split(',') ?? []
  const px = header.indexOf('pxname')
  const sv = header.indexOf('svname')
  const st = header.indexOf('status')
  if (px < 0 || sv < 0 || st < 0) return []
  const out: HaproxyServerState[] = []
  for (const l of lines.slice(1)) {
    const f = l.split(',')
    const server = f[sv] ?? ''
    if (server === 'FRONTEND' || server === 'BACKEND' || server === '') continue
    out.push({backend: f[px] ?? '', server, status: f[st] ?? ''})
  }
  return out
}

/** Emits `lb.server` whenever HAProxy's status of a server changes (through its admin socket, with socat). */
export class HaproxyServerPoller extends PollLoop {
  private readonly last = new Map<string, string>()

  constructor(
    private readonly exec: Executor,
    private readonly socket: string,
    private readonly emit: (e: TimelineEvent) => void,
    everyMs = 100,
  ) {
    super(everyMs)
  }

  protected async round(): Promise<void> {
    const r = await this.exec.run(['socat', '-t', '1', 'stdio', `UNIX-CONNECT:${this.socket}`], {input: 'show stat\n', timeoutMs: 2000})
    if (r.code !== 0) return
    const t = r.t0 + Math.round((r.t1 - r.t0) / 2)
    for (const s of parseShowStat(r.stdout)) {
      const key = `${s.backend}/${s.server}`
      if (this.last.get(key) !== s.status) {
        this.last.set(key, s.status)
        this.emit({type: 'lb.server', t, host: this.exec.host, backend: s.backend, server: s.server, status: s.status})
      }
    }
  }
}
