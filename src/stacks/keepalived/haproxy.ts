/**
 * HAProxy in the keepalived stack: the health-check timing of a backend server from each load balancer's
 * haproxy.cfg (the backend-loss prediction), and the poller of HAProxy's own view of its servers (`show stat`
 * through the admin socket), which emits `lb.server` on every change.
 */
import {parseHaproxyCfg, splitAddrPort} from '../../config/haproxy.js'
import type {Executor} from '../../exec/types.js'
import {executorFor, type InventoryHost} from '../../inventory/inventory.js'
import type {TimelineEvent} from '../../store/run-types.js'
import {parseDuration} from '../../time.js'
import {PollLoop} from '../../util/poll-loop.js'

/** HAProxy's health-check timing of the server at `address`, from each lb's haproxy.cfg. */
export async function httpCheckFor(lbs: InventoryHost[], target: InventoryHost, lbServer: string | undefined): Promise<{server: string; interMs: number; fall: number; timeoutMs: number} | null> {
  for (const lb of lbs) {
    const path = lb.facts.haproxy_cfg ?? '/etc/haproxy/haproxy.cfg'
    let text: string
    try {
      text = await executorFor(lb).readFile(path)
    } catch {
      continue
    }
    const cfg = parseHaproxyCfg(text, {file: `${lb.name}:${path}`})
    for (const s of cfg.sections) {
      for (const srv of s.servers) {
        const {address} = splitAddrPort(`${srv.address}${srv.port === undefined ? '' : `:${srv.port}`}`)
        if (srv.name !== lbServer && address !== target.address && srv.name !== target.name) continue
        if (!srv.check) return {server: srv.name, interMs: -1, fall: 0, timeoutMs: 0}
        const ms = (v: string | true | undefined, dflt: number): number => (typeof v === 'string' ? parseDuration(/^\d+$/.test(v) ? `${v}ms` : v) : dflt)
        return {server: srv.name, interMs: ms(srv.effective['inter'], 2000), fall: Number(srv.effective['fall'] ?? 3), timeoutMs: 0}
      }
    }
  }
  return null
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
