import {join} from 'node:path'

import {Flags} from '@oclif/core'

import {ExitCode, HachaosError} from '../src/errors.js'
import {onStdoutClosed} from '../src/util/stdio.js'
import {executorFor, findHost} from '../src/inventory/inventory.js'
import {resolveInventory} from '../src/inventory/resolve.js'
import {MAX_RATE, runProbes, type ProbeSummary} from '../src/probe/http.js'
import {MIN_INTERVAL_MS, runFsProbes, type FsProbeSummary} from '../src/probe/fs.js'
import {parseDuration} from '../src/time.js'
import {HachaosCommand} from './_base.js'

export type ProbeCommandResult = ProbeSummary | FsProbeSummary

export default class Probe extends HachaosCommand {
  static override summary = 'Probe a URL at a fixed rate and stream one NDJSON line per probe.'
  static override description = `Each probe opens a new TCP connection (no keep-alive), sends GET, and records ok/failed, latency, the error
kind (timeout, refused, reset, unreachable, http-status, dns) and which backend answered (X-Served-By header,
else "served by NAME" in the body). Probes are scheduled on absolute times, so the rate does not drift and a
slow probe never delays the next. Made to run on the client host: the drill starts it there (ip netns exec in
the lab, ssh elsewhere) and reads its stream. Ends after --duration (or never with --forever), on SIGINT/SIGTERM,
after the probes in flight finish; with --json a last line carries the summary. Started by a drill, it runs
under a watchdog that ends it within a second when the drill goes away, even after a SIGKILL.

--from HOST runs the probes on that inventory host (the lab's client: \`--from client\`) through its executor
(ip netns exec in the lab, ssh elsewhere: hachaos must be installed there) and relays its lines. A lab's VIP
is reachable only from inside the lab: from this machine, use --from client (or ip netns exec PREFIX-client).

--fs DIR probes a file system instead (a storage client's view, e.g. a GlusterFS FUSE mount): every --interval
it writes a small file in DIR (create/truncate, write, --fsync optionally, close), reads it back and compares;
one NDJSON line per operation with its latency and errno (ENOTCONN, EROFS, EIO …). One operation is in flight
at a time: a write that hangs is the stall, and the ticks it swallows are counted as skipped. At most 64 small
files (in DIR/.hachaos-fsprobe-PID, removed at the end).

Exit 5 (host) when every probe failed: the URL could not be reached at all (or DIR could not be written).`

  static override examples = [
    {description: 'From the keepalived lab\'s client (hachaos lab up): its VIP, 20 probes a second for 10 s.', command: '<%= config.bin %> probe --from client --url http://10.66.0.100/ --rate 20 --duration 10s'},
    {description: 'The same, started by hand inside the lab\'s client namespace, with the summary line.', command: 'ip netns exec hc-client <%= config.bin %> probe --url http://10.66.0.100/ --rate 50 --duration 5s --json'},
    {description: 'A file every 100 ms on the Gluster lab\'s FUSE mount (hachaos lab up --topology gluster), from its client gc.', command: '<%= config.bin %> probe --from gc --fs /mnt --interval 100ms --duration 5s'},
    {description: 'A local directory, with fsync, and the summary line.', command: '<%= config.bin %> probe --fs /var/tmp --fsync --interval 50ms --duration 2s --json'},
  ]

  static override flags = {
    url: Flags.string({char: 'u', description: 'URL to probe (http only).', exactlyOne: ['url', 'fs']}),
    fs: Flags.string({description: 'Probe this directory instead: write and read back a small file every --interval.', exactlyOne: ['url', 'fs']}),
    interval: Flags.string({description: `--fs: time between operations (at least ${MIN_INTERVAL_MS}ms).`, default: '100ms'}),
    fsync: Flags.boolean({description: '--fs: fsync each file before closing it.', default: false}),
    rate: Flags.integer({char: 'r', description: `Probes per second (1–${MAX_RATE}).`, default: 20}),
    duration: Flags.string({char: 'd', description: 'How long (e.g. 10s, 2m). For no end, --forever (0 is refused: an easy typo for a probe loop that never stops).', default: '10s'}),
    forever: Flags.boolean({description: 'Probe until SIGINT/SIGTERM (or, under a drill, until the drill ends).', exclusive: ['duration']}),
    timeout: Flags.string({description: 'Per-probe timeout (more than 0).', default: '1s'}),
    from: Flags.string({description: 'Run the probes on this inventory host (e.g. the lab\'s client), through its executor.'}),
    inventory: Flags.string({char: 'i', description: 'Inventory for --from (default: $HACHAOS_INVENTORY, else the lab\'s).'}),
  }

  /** NDJSON: the summary is one compact line, like every probe line. */
  override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json)}\n`)
  }

  async run(): Promise<ProbeCommandResult> {
    const {flags} = await this.parse(Probe)
    if (flags.fs !== undefined) return this.runFs(flags.fs, flags)
    let url: URL
    try {
      url = new URL(flags.url ?? '')
    } catch {
      throw new HachaosError(`"${flags.url}" is not a URL`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['e.g. --url http://10.66.0.100/']})
    }
    if (url.protocol !== 'http:') throw new HachaosError(`only http:// URLs can be probed (got ${url.protocol})`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['probe the plain HTTP frontend on the VIP']})
    if (flags.rate < 1 || flags.rate > MAX_RATE) throw new HachaosError(`--rate ${flags.rate} is out of range`, {code: 'E_USAGE', exit: 'USAGE', suggestions: [`use 1–${MAX_RATE} probes per second`]})
    const ms = (name: string, v: string): number => {
      try {
        return parseDuration(v)
      } catch (e) {
        throw new HachaosError(`--${name}: ${(e as Error).message}`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['e.g. 500ms, 2s, 1m']})
      }
    }
    const durationMs = flags.forever ? 0 : ms('duration', flags.duration)
    if (!flags.forever && durationMs <= 0) {
      throw new HachaosError(`--duration ${flags.duration} would probe forever`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['give a duration (e.g. --duration 30s)', 'or ask for it explicitly: --forever (ends on SIGINT/SIGTERM)']})
    }
    const timeoutMs = ms('timeout', flags.timeout)
    if (timeoutMs <= 0) throw new HachaosError(`--timeout ${flags.timeout}: must be longer than 0 (every probe would fail)`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['e.g. --timeout 1s']})
    const ac = new AbortController()
    const onSignal = (): void => ac.abort()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    // `probe --forever | head`: stop once the reader has gone, exit 141 (src/util/stdio.ts)
    const offPipe = onStdoutClosed(() => {
      process.exitCode = ExitCode.OUTPUT_CLOSED
      ac.abort()
    })
    let summary: ProbeSummary
    try {
      const o = {url: url.toString(), ratePerS: flags.rate, timeoutMs, durationMs, signal: ac.signal}
      summary = flags.from === undefined ? await this.probeHere(o) : await this.probeFrom(flags.from, flags.inventory, o)
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      offPipe()
    }
    if (summary.sent > 0 && summary.ok === 0) {
      const why = Object.entries(summary.byError).map(([k, n]) => `${k} ${n}`).join(', ')
      process.stderr.write(`every probe failed (${summary.sent} of ${summary.sent}: ${why}): ${summary.url} is not reachable from ${flags.from ?? 'this machine'}\n`)
      process.exitCode = ExitCode.HOST
    }
    return summary
  }

  /** `--fs DIR`: here, or on an inventory host (`--from`, whose summary is relayed like the HTTP probe's). */
  private async runFs(dir: string, flags: {interval: string; fsync: boolean; duration: string; forever: boolean; from?: string; inventory?: string}): Promise<FsProbeSummary> {
    const ms = (name: string, v: string): number => {
      try {
        return parseDuration(v)
      } catch (e) {
        throw new HachaosError(`--${name}: ${(e as Error).message}`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['e.g. 100ms, 2s, 1m']})
      }
    }
    const intervalMs = ms('interval', flags.interval)
    if (intervalMs < MIN_INTERVAL_MS) throw new HachaosError(`--interval ${flags.interval}: at least ${MIN_INTERVAL_MS}ms`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['e.g. --interval 100ms']})
    const durationMs = flags.forever ? 0 : ms('duration', flags.duration)
    if (!flags.forever && durationMs <= 0) throw new HachaosError(`--duration ${flags.duration} would probe forever`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['give a duration (e.g. --duration 30s)', 'or --forever']})
    const ac = new AbortController()
    const onSignal = (): void => ac.abort()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    // `probe --forever | head`: stop once the reader has gone, exit 141 (src/util/stdio.ts)
    const offPipe = onStdoutClosed(() => {
      process.exitCode = ExitCode.OUTPUT_CLOSED
      ac.abort()
    })
    let summary: FsProbeSummary
    try {
      if (flags.from === undefined) {
        summary = await runFsProbes({dir, intervalMs, fsync: flags.fsync, ...(durationMs > 0 ? {durationMs} : {}), signal: ac.signal, onResult: (r) => process.stdout.write(`${JSON.stringify(r)}\n`)})
      } else {
        const argv = ['probe', '--fs', dir, '--interval', `${intervalMs}ms`, ...(flags.fsync ? ['--fsync'] : []), ...(durationMs > 0 ? ['--duration', `${durationMs}ms`] : ['--forever']), '--json']
        summary = await this.relay<FsProbeSummary>(flags.from, flags.inventory, argv, 'fsprobe', `probing ${dir}`, ac.signal)
      }
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      offPipe()
    }
    if (summary.sent > 0 && summary.ok === 0) {
      process.stderr.write(`every operation failed (${Object.entries(summary.byError).map(([k, n]) => `${k} ${n}`).join(', ')}): ${dir} is not writable from ${flags.from ?? 'this machine'}\n`)
      process.exitCode = ExitCode.HOST
    }
    return summary
  }

  private probeHere(o: ProbeRun): Promise<ProbeSummary> {
    return runProbes({
      url: o.url,
      ratePerS: o.ratePerS,
      timeoutMs: o.timeoutMs,
      ...(o.durationMs > 0 ? {durationMs: o.durationMs} : {}),
      signal: o.signal,
      onResult: (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    })
  }

  /** `hachaos probe … --json` on an inventory host; its probe lines are relayed, its summary returned. */
  private probeFrom(hostName: string, inventoryFlag: string | undefined, o: ProbeRun): Promise<ProbeSummary> {
    const argv = ['probe', '--url', o.url, '--rate', String(o.ratePerS), ...(o.durationMs > 0 ? ['--duration', `${o.durationMs}ms`] : ['--forever']), '--timeout', `${o.timeoutMs}ms`, '--json']
    return this.relay<ProbeSummary>(hostName, inventoryFlag, argv, 'probe', `probing ${o.url}`, o.signal)
  }

  /** `hachaos ARGV` (a probe with --json) on an inventory host; its `lineType` lines are relayed, its summary returned. */
  private async relay<S>(hostName: string, inventoryFlag: string | undefined, args: string[], lineType: string, what: string, signal: AbortSignal): Promise<S> {
    const inv = await resolveInventory(inventoryFlag, hostName)
    const host = findHost(inv, hostName)
    const exec = executorFor(host)
    const hachaos = host.via === 'ssh' ? ['hachaos'] : [process.execPath, join(this.config.root, 'bin', 'run.js')]
    const argv = [...hachaos, ...args]
    this.progress(`${what} from ${host.name} (${exec.describe()})`)
    let summary: S | null = null
    const errTail: string[] = []
    const proc = exec.spawn(argv, {
      onLine: (l) => {
        if (l.stream === 'stderr') {
          errTail.push(l.text)
          if (errTail.length > 20) errTail.shift()
          process.stderr.write(`${host.name}: ${l.text}\n`)
          return
        }
        let j: {type?: string}
        try {
          j = JSON.parse(l.text) as {type?: string}
        } catch {
          return
        }
        if (j.type === `${lineType}.summary`) summary = j as S
        else if (j.type === lineType) process.stdout.write(`${l.text}\n`)
      },
    })
    const onAbort = (): void => void proc.stop({signal: 'SIGTERM'})
    signal.addEventListener('abort', onAbort, {once: true})
    const r = await proc.done
    signal.removeEventListener('abort', onAbort)
    if (summary === null) {
      throw new HachaosError(`hachaos probe on ${host.name} ended without a summary (exit ${r.code ?? r.signal ?? '?'})`, {
        code: 'E_PROBE_REMOTE',
        exit: 'HOST',
        where: host.name,
        suggestions: [...(errTail.length > 0 ? [`its last words: ${errTail.slice(-3).join(' | ')}`] : []), host.via === 'ssh' ? 'is hachaos installed on that host (on its PATH)?' : 'is the lab up? hachaos lab status'],
      })
    }
    return summary
  }
}

interface ProbeRun {
  url: string
  ratePerS: number
  timeoutMs: number
  durationMs: number
  signal: AbortSignal
}
