/**
 * Live capture: `tcpdump -l -n -tt -e -i IF FILTER` on a host, through its Executor, parsed line by line into
 * VRRP/ARP events as they arrive. Optionally writes a pcap of the same packets at once (`-w FILE --print`,
 * tcpdump ≥ 4.99), so a drill keeps the raw capture next to its events.
 *
 * start() returns once tcpdump is capturing (its "listening on …" line on stderr): packets after that moment
 * are seen. tcpdump failures (no such device, no permission, bad filter, not installed) become HachaosErrors
 * with a suggestion. stop() ends it with SIGINT (tcpdump flushes the pcap and prints its counters).
 */
import {HachaosError} from '../errors.js'
import {missingBinaryError, missingBinaryIn} from '../exec/process.js'
import type {ExecResult, Executor, OutputLine, Spawned} from '../exec/types.js'
import {nowUs} from '../time.js'
import type {CaptureEvent, Unparsed} from './events.js'
import {type LineOutcome, TcpdumpTextParser} from './tcpdump-text.js'

/**
 * VRRP (over IPv4, and VRRPv3 over IPv6: libpcap's `vrrp` is IPv4 protocol 112 only, `ip6 proto 112` also
 * follows an IPv6 extension-header chain) and ARP, untagged or in one 802.1Q tag (the `vlan` keyword shifts the
 * offsets of what follows it). Checked with the real tcpdump on real captures (test/unit/capture-formats).
 */
export const DEFAULT_FILTER = 'vrrp or arp or ip6 proto 112 or (vlan and (vrrp or arp or ip6 proto 112))'

/** Raw stdout lines kept in memory (the pcap, when asked for, keeps everything). */
const RAW_KEEP = 200_000

export interface CaptureOptions {
  executor: Executor
  /** Interface on that host, e.g. eth0. */
  iface: string
  /** Host name on every event (default: the executor's host). */
  host?: string
  filter?: string
  /** Also write the packets to this pcap file on the capture host (tcpdump -w FILE --print). */
  pcapPath?: string
  /** tcpdump -s (snapshot length); default tcpdump's own (262144). */
  snaplen?: number
  /** Called for every event, as it is parsed. */
  onEvent?: (e: CaptureEvent) => void
  onUnparsed?: (u: Unparsed) => void
  /** How long to wait for tcpdump to start capturing (default 10 s). */
  readyTimeoutMs?: number
  /**
   * false: a consumer that runs for days (`hachaos watch`) takes the events from onEvent only, and the capture
   * keeps nothing that grows: no events, no raw lines, only the first UNPARSED_KEEP unparsed lines. Default true
   * (a drill keeps its capture).
   */
  keep?: boolean
}

/** Unparsed lines a capture with keep: false holds. */
const UNPARSED_KEEP = 100

export interface CaptureStats {
  captured: number | null
  receivedByFilter: number | null
  droppedByKernel: number | null
}

export interface CaptureResult {
  host: string
  iface: string
  argv: string[]
  events: CaptureEvent[]
  unparsed: Unparsed[]
  ignored: number
  /** Every stdout line, in order (at most 200 000; rawDropped counts the rest). */
  raw: string[]
  rawDropped: number
  stderr: string[]
  stats: CaptureStats
  pcapPath: string | null
  /** Epoch µs on the machine running hachaos: start() called, tcpdump ready, stop() done. */
  startedAtUs: number
  readyAtUs: number
  stoppedAtUs: number
  exit: {code: number | null; signal: string | null}
}

/** The tcpdump argv the runner starts (what `--dry-run` shows). */
export function tcpdumpArgv(o: Pick<CaptureOptions, 'iface' | 'filter' | 'pcapPath' | 'snaplen'>): string[] {
  if (!/^[A-Za-z0-9_.:@-]{1,32}$/.test(o.iface) || o.iface.startsWith('-')) {
    throw new HachaosError(`"${o.iface}" is not an interface name`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['e.g. eth0 (see ip -br link on the capture host)']})
  }
  return [
    'tcpdump',
    '-l',
    '-n',
    '-tt',
    '-e',
    '-i',
    o.iface,
    ...(o.snaplen === undefined ? [] : ['-s', String(o.snaplen)]),
    // Debian's tcpdump drops to the tcpdump user after opening the device; the pcap goes where hachaos keeps
    // its runs (e.g. under /root), so keep root for it.
    ...(o.pcapPath === undefined ? [] : ['-Z', 'root', '-w', o.pcapPath, '--print']),
    o.filter ?? DEFAULT_FILTER,
  ]
}

/** Turn tcpdump's stderr (it exited or never got ready) into an error with a suggestion. */
export function tcpdumpError(stderr: string, host: string, iface: string): HachaosError {
  const where = `${host}:${iface}`
  const tail = stderr.trim().split('\n').slice(-3).join(' / ')
  if (/No such device exists|No such device|doesn't exist|SIOCGIFHWADDR/.test(stderr)) {
    return new HachaosError(`tcpdump on ${host}: there is no interface "${iface}" (${tail})`, {
      code: 'E_CAPTURE_NO_DEVICE',
      exit: 'HOST',
      where,
      suggestions: [`list the interfaces on ${host}: ip -br link`, 'name the capture interface in the inventory (facts.interface)'],
    })
  }
  if (/permission|Operation not permitted|not permitted/i.test(stderr)) {
    return new HachaosError(`tcpdump on ${host} may not capture on ${iface} (${tail})`, {
      code: 'E_CAPTURE_PERMISSION',
      exit: 'ENVIRONMENT',
      where,
      suggestions: ['run hachaos as root (or with CAP_NET_RAW and CAP_NET_ADMIN)', 'for ssh hosts: log in as root or allow sudo tcpdump'],
    })
  }
  if (/syntax error|filter expression|can't parse filter/i.test(stderr)) {
    return new HachaosError(`tcpdump on ${host} rejected the capture filter (${tail})`, {
      code: 'E_CAPTURE_FILTER',
      exit: 'USAGE',
      where,
      suggestions: [`use a pcap-filter(7) expression, e.g. ${DEFAULT_FILTER}`],
    })
  }
  if (/(unrecognized|invalid) option.*print|--print/.test(stderr)) {
    return new HachaosError(`tcpdump on ${host} cannot print and write a pcap at once (--print needs tcpdump ≥ 4.99): ${tail}`, {
      code: 'E_CAPTURE_OLD_TCPDUMP',
      exit: 'ENVIRONMENT',
      where,
      suggestions: ['capture without a pcap file, or install tcpdump 4.99 or later'],
    })
  }
  return new HachaosError(`tcpdump on ${host} stopped: ${tail || 'no message'}`, {
    code: 'E_CAPTURE_FAILED',
    exit: 'HOST',
    where,
    suggestions: [`try it by hand on ${host}: tcpdump -n -i ${iface} vrrp`],
  })
}

function statsFrom(stderr: string[]): CaptureStats {
  const num = (re: RegExp): number | null => {
    for (const l of stderr) {
      const m = re.exec(l)
      if (m !== null) return Number(m[1])
    }
    return null
  }
  return {
    captured: num(/^(\d+) packets? captured$/),
    receivedByFilter: num(/^(\d+) packets? received by filter$/),
    droppedByKernel: num(/^(\d+) packets? dropped by kernel$/),
  }
}

/** A running capture. */
export class LiveCapture {
  readonly events: CaptureEvent[] = []
  readonly unparsed: Unparsed[] = []
  readonly raw: string[] = []
  readonly stderr: string[] = []
  ignored = 0
  rawDropped = 0
  readyAtUs = 0
  private readonly parser: TcpdumpTextParser
  private proc: Spawned | null = null
  private result: Promise<CaptureResult> | null = null
  private exited = false

  private constructor(
    private readonly o: CaptureOptions,
    readonly argv: string[],
    readonly host: string,
    readonly startedAtUs: number,
  ) {
    this.parser = new TcpdumpTextParser(host)
  }

  /** Start tcpdump and resolve once it is capturing. */
  static async start(o: CaptureOptions): Promise<LiveCapture> {
    const argv = tcpdumpArgv(o)
    const host = o.host ?? o.executor.host
    const cap = new LiveCapture(o, argv, host, nowUs())
    await cap.launch()
    return cap
  }

  private take(outcomes: LineOutcome[]): void {
    for (const x of outcomes) {
      if (x.kind === 'event') {
        if (this.o.keep !== false) this.events.push(x.event)
        this.o.onEvent?.(x.event)
      } else if (x.kind === 'unparsed') {
        if (this.o.keep !== false || this.unparsed.length < UNPARSED_KEEP) this.unparsed.push(x.unparsed)
        this.o.onUnparsed?.(x.unparsed)
      } else if (x.kind === 'ignored') this.ignored += 1
    }
  }

  private async launch(): Promise<void> {
    let ready: () => void = () => undefined
    const isReady = new Promise<void>((res) => {
      ready = res
    })
    const onLine = (l: OutputLine): void => {
      if (l.stream === 'stderr') {
        this.stderr.push(l.text)
        if (/listening on /.test(l.text)) {
          this.readyAtUs = l.t
          ready()
        }
        return
      }
      if (this.raw.length < RAW_KEEP && this.o.keep !== false) this.raw.push(l.text)
      else this.rawDropped += 1
      this.take(this.parser.push(l.text))
    }
    const proc = this.o.executor.spawn(this.argv, {onLine})
    this.proc = proc
    void proc.done.then(() => {
      this.exited = true
    })
    const timeoutMs = this.o.readyTimeoutMs ?? 10_000
    let timer: NodeJS.Timeout | undefined
    const outcome = await Promise.race([
      isReady.then(() => 'ready' as const),
      proc.done.then((r) => r),
      new Promise<'timeout'>((res) => {
        timer = setTimeout(() => res('timeout'), timeoutMs)
      }),
    ])
    clearTimeout(timer)
    if (outcome === 'ready') return
    if (outcome === 'timeout') {
      const r = await proc.stop({signal: 'SIGINT', graceMs: 1000})
      throw new HachaosError(`tcpdump on ${this.host} did not start capturing on ${this.o.iface} within ${timeoutMs / 1000} s`, {
        code: 'E_CAPTURE_TIMEOUT',
        exit: 'TIMEOUT',
        where: `${this.host}:${this.o.iface}`,
        suggestions: [`its output: ${(r.stderr || this.stderr.join(' / ')).trim().slice(0, 300) || 'none'}`],
      })
    }
    throw this.failure(outcome)
  }

  private failure(r: ExecResult): HachaosError {
    // Every stream runs under the watchdog shell (src/exec/process.ts): "sh: tcpdump: not found", exit 127, also locally.
    const missing = missingBinaryIn(r, true) ?? (/not installed/.test(r.stderr) ? 'tcpdump' : null)
    if (missing !== null && /tcpdump$/.test(missing)) return missingBinaryError('tcpdump', this.host)
    return tcpdumpError(r.stderr || this.stderr.join('\n'), this.host, this.o.iface)
  }

  /** Stop tcpdump (SIGINT: it flushes the pcap and prints its counters); idempotent. */
  stop(): Promise<CaptureResult> {
    if (this.result !== null) return this.result
    const proc = this.proc as Spawned
    this.result = proc.stop({signal: 'SIGINT', graceMs: 3000}).then((r) => {
      this.take(this.parser.end())
      return {
        host: this.host,
        iface: this.o.iface,
        argv: this.argv,
        events: this.events,
        unparsed: this.unparsed,
        ignored: this.ignored,
        raw: this.raw,
        rawDropped: this.rawDropped,
        stderr: this.stderr,
        stats: statsFrom(this.stderr),
        pcapPath: this.o.pcapPath ?? null,
        startedAtUs: this.startedAtUs,
        readyAtUs: this.readyAtUs,
        stoppedAtUs: nowUs(),
        exit: {code: r.code, signal: r.signal},
      }
    })
    return this.result
  }

  /** Whether tcpdump is still running (it can die under us: interface removed, killed). */
  /** PID of tcpdump (or of the ssh client carrying it), for the fault journal. */
  get pid(): number | undefined {
    return this.proc?.pid
  }

  get running(): boolean {
    return !this.exited && this.result === null
  }
}

/** Start a live capture (see LiveCapture). */
export function startCapture(o: CaptureOptions): Promise<LiveCapture> {
  return LiveCapture.start(o)
}
