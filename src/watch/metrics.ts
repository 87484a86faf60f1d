/**
 * `hachaos watch --listen`: the Prometheus endpoint (GET /metrics, text exposition format 0.0.4), by prom-client.
 * The names follow the exporters SREs already run, under the `hachaos_` prefix: keepalived-exporter's
 * `keepalived_vrrp_state{iname,vrid,intf}` (0 INIT/unknown, 1 BACKUP, 2 MASTER, 3 FAULT) becomes
 * `hachaos_vrrp_state{iname,vrid,intf,host}` (one series per node: we see the pair from outside). Every value is
 * read from the watch when scraped (collect()), so a scrape costs O(nodes) and the watch keeps no series history.
 */
import {createServer, type Server} from 'node:http'
import {getHeapSpaceStatistics} from 'node:v8'

import {Counter, Gauge, Registry} from 'prom-client'

import {HachaosError} from '../errors.js'
import {nowUs} from '../time.js'
import type {Watch} from './watcher.js'

/** The families served, with their help text (the README's metrics table is this list). */
export const METRIC_HELP = {
  hachaos_vrrp_state: 'VRRP state of each node as seen from the client: 0 unknown, 1 BACKUP, 2 MASTER (the state values of the VRRP exporters)',
  hachaos_vip_holder: '1 when the node holds the VIP (VIP owner poll), else 0',
  hachaos_vrrp_adverts_total: 'VRRP adverts seen from each node by the client capture',
  hachaos_incidents_total: 'Incidents recorded (real changes of master, VIP moves or losses, split brains)',
  hachaos_split_brain_incidents_total: 'Incidents with a split brain (dual master, dual ARP or dual VIP)',
  hachaos_last_takeover_seconds: 'Takeover of the last incident: new master\'s first advert - old master\'s last advert',
  hachaos_last_takeover_predicted_seconds: 'What the configuration predicts for that takeover (Master_Down_Interval, Skew_Time, preemption)',
  hachaos_probes_total: 'HTTP probes to the VIP by result',
  hachaos_probe_success_ratio: 'Good probes / probes sent over the last 60 s',
  hachaos_outage_seconds_total: 'Client-observed outage of the incidents with lost probes, summed',
  hachaos_split_brain_seconds_total: 'Split-brain intervals of the incidents, summed',
  hachaos_budget_remaining_seconds: 'This month\'s downtime budget for the objective, less the recorded drills and incidents',
  hachaos_watch_events_total: 'Events folded by the watch (adverts, ARP, probes, polls)',
  hachaos_watch_resident_memory_bytes: 'Resident memory of the watch process',
  hachaos_watch_heap_used_bytes: 'V8 heap in use by the watch process',
  hachaos_watch_external_memory_bytes: 'Memory outside the V8 heap held by the watch process\'s objects (Buffers, pipes)',
  hachaos_watch_heap_space_bytes: 'Each V8 heap space of the watch process (new, old, code, large objects …): its committed size and the part in use',
  hachaos_watch_cpu_seconds_total: 'CPU time (user + system) of the watch process',
} as const

export function watchRegistry(w: Watch, o: {sloLabel: string}): Registry {
  const reg = new Registry()
  const t = w.target
  const iname = t.instance ?? ''
  const vrid = t.vrid === null ? '' : String(t.vrid)
  const nodeLabels = ['iname', 'vrid', 'intf', 'host'] as const
  const labelsOf = (host: string): Record<(typeof nodeLabels)[number], string> => ({iname, vrid, intf: t.interfaces[host] ?? '', host})
  const gauge = (name: keyof typeof METRIC_HELP, collect: (g: Gauge) => void, labelNames: readonly string[] = []): void => {
    reg.registerMetric(
      new Gauge({
        name,
        help: METRIC_HELP[name],
        labelNames,
        registers: [],
        collect() {
          collect(this)
        },
      }),
    )
  }
  /** A counter whose value is kept by the watch: set at each scrape (reset + inc: prom-client counters have no set). */
  const counter = (name: keyof typeof METRIC_HELP, collect: (c: Counter) => void, labelNames: readonly string[] = []): void => {
    reg.registerMetric(
      new Counter({
        name,
        help: METRIC_HELP[name],
        labelNames,
        registers: [],
        collect() {
          this.reset()
          collect(this)
        },
      }),
    )
  }
  gauge('hachaos_vrrp_state', (g) => {
    for (const n of w.nodes()) g.set(labelsOf(n.name), n.state)
  }, nodeLabels)
  gauge('hachaos_vip_holder', (g) => {
    for (const n of w.nodes()) g.set({host: n.name, vip: t.vip ?? ''}, n.ownsVip ? 1 : 0)
  }, ['host', 'vip'])
  counter('hachaos_vrrp_adverts_total', (c) => {
    for (const n of w.nodes()) c.inc(labelsOf(n.name), n.adverts)
  }, nodeLabels)
  counter('hachaos_incidents_total', (c) => c.inc(w.stats.incidents))
  counter('hachaos_split_brain_incidents_total', (c) => c.inc(w.stats.splitBrainIncidents))
  gauge('hachaos_last_takeover_seconds', (g) => g.set(w.stats.lastTakeoverMs === null ? Number.NaN : w.stats.lastTakeoverMs / 1000))
  gauge('hachaos_last_takeover_predicted_seconds', (g) => g.set(w.stats.lastPredictedMs === null ? Number.NaN : w.stats.lastPredictedMs / 1000))
  counter('hachaos_probes_total', (c) => {
    c.inc({result: 'ok'}, w.stats.probesOk)
    c.inc({result: 'failed'}, w.stats.probesFailed)
  }, ['result'])
  gauge('hachaos_probe_success_ratio', (g) => g.set(w.stats.successRatio(nowUs()) ?? Number.NaN))
  counter('hachaos_outage_seconds_total', (c) => c.inc(w.stats.outageMsTotal / 1000))
  counter('hachaos_split_brain_seconds_total', (c) => c.inc(w.stats.splitBrainMsTotal / 1000))
  gauge('hachaos_budget_remaining_seconds', (g) => g.set({slo: o.sloLabel}, w.stats.budgetRemainingMs() / 1000), ['slo'])
  counter('hachaos_watch_events_total', (c) => c.inc(w.events))
  // The process's own RSS and CPU: a watch that runs for days shows it stays flat. (prom-client's default
  // metrics are not used: three of its gauges end in _total, which `promtool check metrics` rejects.)
  gauge('hachaos_watch_resident_memory_bytes', (g) => g.set(process.memoryUsage().rss))
  // what the RSS is made of: V8's heap in use, and memory outside it (Buffers, child pipes)
  gauge('hachaos_watch_heap_used_bytes', (g) => g.set(process.memoryUsage().heapUsed))
  gauge('hachaos_watch_external_memory_bytes', (g) => g.set(process.memoryUsage().external))
  // which space a growing heap grows in (the young generation's semi-spaces, old space, compiled code): one
  // series per space and measure, about eight spaces
  gauge('hachaos_watch_heap_space_bytes', (g) => {
    for (const sp of getHeapSpaceStatistics()) {
      g.set({space: sp.space_name, of: 'size'}, sp.space_size)
      g.set({space: sp.space_name, of: 'used'}, sp.space_used_size)
    }
  }, ['space', 'of'])
  counter('hachaos_watch_cpu_seconds_total', (c) => {
    const u = process.cpuUsage()
    c.inc((u.user + u.system) / 1e6)
  })
  return reg
}

export interface MetricsServer {
  /** The address and port it listens on (port 0 given: the one picked). */
  host: string
  port: number
  close(): Promise<void>
}

/** "[HOST]:PORT" / ":PORT" / "PORT" → host and port (":9464" listens on every address). */
export function parseListen(text: string): {host: string | undefined; port: number} {
  const m = /^(?:\[?([^\]]*?)\]?:)?(\d{1,5})$/.exec(text.trim())
  const port = m === null ? Number.NaN : Number(m[2])
  if (m === null || !(port >= 0 && port <= 65535)) {
    throw new HachaosError(`--listen ${text}: expected [HOST]:PORT`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['e.g. --listen :9464 or --listen 127.0.0.1:9464']})
  }
  const host = m[1] === undefined || m[1] === '' ? undefined : m[1]
  return {host, port}
}

/** Serve GET /metrics from the registry (anything else: 404). */
export async function serveMetrics(reg: Registry, listen: string): Promise<MetricsServer> {
  const {host, port} = parseListen(listen)
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, {'content-type': 'text/plain'}).end('only GET /metrics here\n')
      return
    }
    reg.metrics().then(
      (text) => res.writeHead(200, {'content-type': reg.contentType}).end(text),
      (e: unknown) => res.writeHead(500, {'content-type': 'text/plain'}).end(`${(e as Error).message}\n`),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new HachaosError(`--listen ${listen}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message}`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['pick another port, e.g. --listen :9465']})),
    )
    server.listen(port, host, () => resolve())
  })
  const addr = server.address()
  const bound = typeof addr === 'object' && addr !== null ? addr : {address: host ?? '', port}
  return {
    host: bound.address,
    port: bound.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
