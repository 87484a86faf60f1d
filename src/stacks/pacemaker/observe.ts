/**
 * Observers of a Pacemaker cluster during a drill, each on its own timer (the ClusterWatcher on
 * src/util/poll-loop.ts, like the drill's pollers), emitting TimelineEvents (the VIP
 * owner poller is the drill's own, src/drill/pollers.ts):
 *   ClusterWatcher  polls `crm_mon --output-as=xml` (the first node that answers, preferring the ones not
 *                   under fault) → {type:'cluster'} per change of a resource's placement/role, of a node's
 *                   condition (resource "@node"), of the DC ("@dc") and new fence events ("@fence")
 *   ArpProber       `arping -b` from the client: every reply → {type:'arp', op:'reply'} (two MACs answering
 *                   for the VIP = split brain seen from the network)
 * All go through Executors, so they work in the lab (nsenter) and on real clusters (ssh).
 * Times are epoch µs on this machine (the executor's t0/t1 around each read).
 */
import type {ClusterState} from '../../config/crm-mon.js'
import type {Executor, Spawned} from '../../exec/types.js'
import type {TimelineEvent} from '../../store/run-types.js'
import type {EpochMicros} from '../../time.js'
import {PollLoop} from '../../util/poll-loop.js'
import {nodeCondition, readCrmMon} from './crm-mon.js'

export type Emit = (e: TimelineEvent) => void

export interface WatchedNode {
  name: string
  exec: Executor
}

/** The facts of one crm_mon reading the ClusterWatcher compares between rounds. */
export function clusterFacts(s: ClusterState): Map<string, {node: string | null; role: string}> {
  const m = new Map<string, {node: string | null; role: string}>()
  for (const r of s.resources) {
    const nodes = r.active ? r.nodes : []
    m.set(r.id, {node: nodes.length === 0 ? null : nodes.join('+'), role: r.failed ? `${r.role} (failed)` : nodes.length > 1 ? `${r.role} (on ${nodes.length} nodes)` : r.role})
  }
  for (const n of s.nodes) m.set(`@node:${n.name}`, {node: n.name, role: nodeCondition(n)})
  m.set('@dc', {node: s.dc, role: s.dc === null ? 'none' : s.quorum === false ? 'dc (no quorum)' : 'dc'})
  for (const f of s.fencing) m.set(`@fence:${f.target}:${f.action}:${f.completed ?? 'pending'}`, {node: f.target, role: `${f.action} ${f.status}`})
  return m
}

export class ClusterWatcher extends PollLoop {
  private last = new Map<string, {node: string | null; role: string}>()
  private order: WatchedNode[]
  latest: ClusterState | null = null
  latestFrom: string | null = null

  constructor(
    private readonly opts: {nodes: WatchedNode[]; avoid?: string[]; intervalMs?: number; emit: Emit},
  ) {
    super(opts.intervalMs ?? 500)
    const avoid = new Set(opts.avoid ?? [])
    this.order = [...opts.nodes.filter((n) => !avoid.has(n.name)), ...opts.nodes.filter((n) => avoid.has(n.name))]
  }

  /** The first node whose crm_mon answers with a DC (a node cut off from corosync has none). */
  async read(): Promise<{t: EpochMicros; host: string; state: ClusterState} | null> {
    let fallback: {t: EpochMicros; host: string; state: ClusterState} | null = null
    for (const n of this.order) {
      try {
        const r = await readCrmMon(n.exec, {timeoutMs: 3000})
        if (r.state.dc !== null && r.state.quorum !== false) {
          // keep asking this node first
          this.order = [n, ...this.order.filter((x) => x !== n)]
          return {t: r.t, host: n.name, state: r.state}
        }
        fallback ??= {t: r.t, host: n.name, state: r.state}
      } catch {
        // next node
      }
    }
    return fallback
  }

  protected async round(): Promise<void> {
    const r = await this.read()
    if (r === null) return
    this.latest = r.state
    this.latestFrom = r.host
    const now = clusterFacts(r.state)
    for (const [resource, v] of now) {
      const before = this.last.get(resource)
      if (before === undefined || before.node !== v.node || before.role !== v.role) {
        this.opts.emit({type: 'cluster', t: r.t, host: r.host, resource, node: v.node, role: v.role})
      }
    }
    for (const [resource] of this.last) {
      if (!now.has(resource) && !resource.startsWith('@fence')) this.opts.emit({type: 'cluster', t: r.t, host: r.host, resource, node: null, role: 'gone'})
    }
    this.last = now
  }
}

/** "Unicast reply from 10.77.0.100 [02:48:43:77:00:0C]  0.542ms" (iputils and busybox arping). */
export function parseArpingLine(line: string): {sip: string; smac: string; broadcast: boolean} | null {
  const m = /^(Unicast|Broadcast) reply from (\S+) \[([0-9A-Fa-f:]{17})\]/.exec(line.trim())
  return m === null ? null : {sip: m[2] as string, smac: (m[3] as string).toLowerCase(), broadcast: m[1] === 'Broadcast'}
}

/**
 * Asks "who has the VIP?" from the client once a second, always by broadcast (`arping -b`), so every node
 * holding the VIP answers, and emits each reply as an ARP event.
 */
export class ArpProber {
  private proc: Spawned | undefined
  replies = 0

  get pid(): number | undefined {
    return this.proc?.pid
  }

  constructor(
    private readonly opts: {exec: Executor; vip: string; dev: string; clientIp?: string; deadlineS: number; emit: Emit},
  ) {}

  start(): void {
    if (this.proc !== undefined) return
    this.proc = this.opts.exec.spawn(['arping', '-b', '-I', this.opts.dev, '-w', String(Math.ceil(this.opts.deadlineS)), this.opts.vip], {
      onLine: (l) => {
        const r = parseArpingLine(l.text)
        if (r === null || r.sip !== this.opts.vip) return
        this.replies++
        this.opts.emit({type: 'arp', t: l.t, host: this.opts.exec.host, op: 'reply', sip: r.sip, smac: r.smac, tip: this.opts.clientIp ?? '', garp: false})
      },
    })
  }

  async stop(): Promise<void> {
    await this.proc?.stop({graceMs: 500})
  }
}
