/**
 * Runs `hachaos probe` on the client host (through its executor: `ip netns exec` in the lab, ssh elsewhere)
 * and turns its NDJSON stream into probe timeline events.
 */
import type {Executor, Spawned} from '../exec/types.js'
import type {InventoryHost} from '../inventory/inventory.js'
import type {ProbeResult} from '../probe/http.js'
import type {DrillRun, TimelineEvent} from '../store/run-types.js'

export interface ProbeSessionOptions {
  exec: Executor
  /** argv that starts hachaos on that host, e.g. [node, /path/bin/run.js] or ['hachaos']. */
  hachaosArgv: string[]
  url: string
  ratePerS: number
  timeoutMs: number
  onEvent: (e: Extract<TimelineEvent, {type: 'probe'}>) => void
}

export class ProbeSession {
  private proc: Spawned | undefined
  private garbage = 0
  readonly lastLines: string[] = []

  constructor(private readonly o: ProbeSessionOptions) {}

  get pid(): number | undefined {
    return this.proc?.pid
  }

  get argv(): string[] {
    return [...this.o.hachaosArgv, 'probe', '--url', this.o.url, '--rate', String(this.o.ratePerS), '--forever', '--timeout', `${this.o.timeoutMs}ms`]
  }

  start(): void {
    this.proc = this.o.exec.spawn(this.argv, {
      onLine: (l) => {
        if (l.stream === 'stderr') {
          this.lastLines.push(l.text)
          if (this.lastLines.length > 20) this.lastLines.shift()
          return
        }
        let r: ProbeResult
        try {
          r = JSON.parse(l.text) as ProbeResult
        } catch {
          this.garbage++
          return
        }
        if (r.type !== 'probe') return
        this.o.onEvent({type: 'probe', t: r.t, host: this.o.exec.host, ok: r.ok, latencyMs: r.latencyMs, backend: r.backend, error: r.error, ...(r.status === null ? {} : {status: r.status})})
      },
    })
  }

  /** Whether the probe process is still running. */
  async exited(): Promise<boolean> {
    if (this.proc === undefined) return true
    const done = await Promise.race([this.proc.done.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 0))])
    return done
  }

  async stop(): Promise<void> {
    await this.proc?.stop({signal: 'SIGTERM', graceMs: 3000})
  }
}

/** http://VIP/ (an IPv6 VIP in brackets). */
export function vipUrl(vip: string): string {
  return `http://${vip.includes(':') ? `[${vip}]` : vip}/`
}

/** What a drill's probes are started with (part of DrillOptions, src/drill/options.ts). */
export interface DrillProbeOptions {
  /** argv that starts hachaos on the probe host. */
  hachaosArgv: (host: InventoryHost) => string[]
  ratePerS: number
  probeTimeoutMs: number
}

/** A drill's probe session from its client host, and what the run record says about it. */
export function drillProbe(o: DrillProbeOptions, client: InventoryHost, exec: Executor, url: string, onEvent: ProbeSessionOptions['onEvent']): {probe: ProbeSession; info: NonNullable<DrillRun['probe']>} {
  return {
    probe: new ProbeSession({exec, hachaosArgv: o.hachaosArgv(client), url, ratePerS: o.ratePerS, timeoutMs: o.probeTimeoutMs, onEvent}),
    info: {url, ratePerS: o.ratePerS, timeoutMs: o.probeTimeoutMs},
  }
}
