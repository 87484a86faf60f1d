/**
 * Heartbeat as each node sees it, polled with cl_status during a drill: for every node, whether its
 * heartbeat runs and whether it sees every peer active. Emits a `cluster` event (resource `@node:NAME`,
 * role active | stopped | sees-PEER-STATUS | unreachable) only on change: O(nodes) state.
 */
import type {Executor} from '../../exec/types.js'
import type {TimelineEvent} from '../../store/run-types.js'
import {PollLoop} from '../../util/poll-loop.js'
import {readClStatus, type ClStatus} from './cl-status.js'

/** The one-word role of a node from its own cl_status. */
export function nodeRole(self: string, cs: ClStatus | null): string {
  if (cs === null) return 'unreachable'
  if (!cs.running) return 'stopped'
  const bad = Object.entries(cs.nodes).find(([n, s]) => n !== self && s !== 'active')
  return bad === undefined ? 'active' : `sees-${bad[0]}-${bad[1]}`
}

export class HeartbeatWatcher extends PollLoop {
  private readonly last = new Map<string, string>()

  constructor(
    private readonly nodes: Array<{name: string; exec: Executor}>,
    private readonly emit: (e: TimelineEvent) => void,
    everyMs = 500,
  ) {
    super(everyMs)
  }

  protected async round(): Promise<void> {
    const names = this.nodes.map((n) => n.name)
    await Promise.all(
      this.nodes.map(async (n) => {
        let cs: ClStatus | null = null
        try {
          cs = await readClStatus(n.exec, names, 2000)
        } catch {
          cs = null
        }
        const t = Math.round((performance.timeOrigin + performance.now()) * 1000)
        const role = nodeRole(n.name, cs)
        if (this.last.get(n.name) !== role) {
          this.last.set(n.name, role)
          this.emit({type: 'cluster', t, host: n.name, resource: `@node:${n.name}`, node: n.name, role})
        }
      }),
    )
  }
}
