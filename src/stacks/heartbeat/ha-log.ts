/**
 * Heartbeat's log (ha.cf `logfile`, /var/log/ha-log, or syslog with `logfacility`): the lines that mark what
 * the cluster did. The shapes (cluster-glue's cl_log.c writes the first three):
 *   - heartbeat's own in a log file, syslog format (the default, `syslog_logfilefmt on`):
 *     `Dec 04 20:21:07 hb2 heartbeat: [133]: WARN: node hb1: is dead` (no year);
 *   - the same through syslog (`logfacility`), and the resource scripts through syslog:
 *     `May  9 12:10:40 gw2 ResourceManager[26976]: info: Acquiring resource group: gw2 IPaddr2::1.2.3.4`;
 *   - heartbeat's own in a log file with `syslog_logfilefmt off` (and Heartbeat 2.x's ha-log):
 *     `heartbeat[2872]: 2008/06/10_16:25:05 WARN: node node2: is dead`;
 *   - the resource scripts in a log file: `2026/12/04_20:21:08  mach_down(default)[217]:    info: Taking over
 *     resource group IPaddr::…`.
 * All have 1-second resolution. One line at a time, O(1) each (a stream reader).
 */

export type HaLogKind =
  | 'node-dead'
  | 'takeover'
  | 'acquiring'
  | 'takeover-complete'
  | 'acquired'
  | 'partition-return'
  | 'late-heartbeat'
  | 'giving-up'
  | 'relinquished'
  | 'restart'
  | 'shutdown'
  | 'resource-start'
  | 'resource-stop'
  | 'link-dead'
  | 'link-up'
  | 'no-stonith'

export interface HaLogLine {
  /** Epoch ms of the line's time (local time of the node; 1 s resolution). */
  atMs: number
  /** The program that wrote it (heartbeat, mach_down, ResourceManager, IPaddr …). */
  source: string
  level: string
  message: string
  /** What the line means, when it is one of the marked ones. */
  kind?: HaLogKind
  /** The node the line is about (`node hb1: is dead`, `Cluster node hb2 returning …`), else null. */
  node: string | null
  /** Late heartbeat interval (ms), for `late-heartbeat`. */
  intervalMs?: number
}

const MONTHS: Record<string, number> = {Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11}

/** cl_log's priority strings (prio2str) and the scripts' (INFO, WARNING …), any case. */
const LEVEL = '(?:emerg|alert|crit|error|err|warn|warning|notice|info|debug)'
/** `Mon DD HH:MM:SS HOST PROG: [PID]: LEVEL: msg` or, through syslog, `… HOST PROG(…)[PID]: LEVEL: msg` (the level may be missing). */
const HB_LINE = new RegExp(`^([A-Z][a-z]{2}) +(\\d{1,2}) (\\d\\d):(\\d\\d):(\\d\\d) (\\S+) ([^:\\s\\[(]+)(?:\\([^)]*\\))?(?:: \\[\\d+\\]|\\[\\d+\\]):\\s+(?:(${LEVEL}):\\s+)?(.*)$`, 'i')
/** `PROG[PID]: YYYY/MM/DD_HH:MM:SS LEVEL: msg` (cl_log's file format with syslog_logfilefmt off; the level may be missing). */
const CL_LINE = new RegExp(`^([^\\s\\[(]+)(?:\\([^)]*\\))?\\[\\d+\\]: (\\d{4})\\/(\\d\\d)\\/(\\d\\d)_(\\d\\d):(\\d\\d):(\\d\\d)\\s+(?:(${LEVEL}):\\s+)?(.*)$`, 'i')
/** `YYYY/MM/DD_HH:MM:SS  PROG(…)[PID]:  level: msg` (the resource scripts; the level may be missing). */
const RA_LINE = /^(\d{4})\/(\d\d)\/(\d\d)_(\d\d):(\d\d):(\d\d)\s+(\S+?)(?:\([^)]*\))?\[\d+\]:\s+(?:(\w+):\s+)?(.*)$/

function classify(message: string): Pick<HaLogLine, 'kind' | 'node' | 'intervalMs'> {
  let m: RegExpExecArray | null
  if ((m = /^node (\S+): is dead/.exec(message)) !== null) return {kind: 'node-dead', node: m[1] as string}
  if ((m = /^Cluster node (\S+) returning after partition/.exec(message)) !== null) return {kind: 'partition-return', node: m[1] as string}
  if ((m = /^Late heartbeat: Node (\S+): interval (\d+) ms/.exec(message)) !== null) return {kind: 'late-heartbeat', node: m[1] as string, intervalMs: Number(m[2])}
  if ((m = /^Link (\S+?):(\S+) dead\./.exec(message)) !== null) return {kind: 'link-dead', node: m[1] as string}
  if ((m = /^Link (\S+?):(\S+) up\./.exec(message)) !== null) return {kind: 'link-up', node: m[1] as string}
  if (/^Taking over resource group/.test(message)) return {kind: 'takeover', node: null}
  if ((m = /^Acquiring resource group: (\S+)/.exec(message)) !== null) return {kind: 'acquiring', node: m[1] as string}
  if (/takeover complete/.test(message)) return {kind: 'takeover-complete', node: null}
  if (/^Local Resource acquisition completed/.test(message)) return {kind: 'acquired', node: null}
  if (/^Giving up all HA resources/.test(message)) return {kind: 'giving-up', node: null}
  if (/^All HA resources relinquished/.test(message)) return {kind: 'relinquished', node: null}
  if (/^Heartbeat restart triggered/.test(message)) return {kind: 'restart', node: null}
  if (/^Heartbeat shutdown in progress/.test(message)) return {kind: 'shutdown', node: null}
  if (/^No STONITH device configured/.test(message)) return {kind: 'no-stonith', node: null}
  if (/^Running \S+\s.*\bstart$/.test(message)) return {kind: 'resource-start', node: null}
  if (/^Running \S+\s.*\bstop$/.test(message)) return {kind: 'resource-stop', node: null}
  return {node: null}
}

/**
 * One ha-log line, or null when it has neither shape (continuations, stderr noise). `year` completes
 * heartbeat's own timestamps (they have none; default: the current year).
 */
export function parseHaLogLine(line: string, year = new Date().getFullYear()): HaLogLine | null {
  let m = HB_LINE.exec(line)
  if (m !== null) {
    const mon = MONTHS[m[1] as string]
    if (mon === undefined) return null
    const atMs = new Date(year, mon, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])).getTime()
    const message = (m[9] as string).trim()
    return {atMs, source: (m[7] as string).replace(/^.*\//, ''), level: (m[8] ?? 'info').toLowerCase(), message, ...classify(message)}
  }
  m = CL_LINE.exec(line)
  if (m !== null) {
    const atMs = new Date(Number(m[2]), Number(m[3]) - 1, Number(m[4]), Number(m[5]), Number(m[6]), Number(m[7])).getTime()
    const message = (m[9] as string).trim()
    return {atMs, source: (m[1] as string).replace(/^.*\//, ''), level: (m[8] ?? 'info').toLowerCase(), message, ...classify(message)}
  }
  m = RA_LINE.exec(line)
  if (m !== null) {
    const atMs = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])).getTime()
    const message = (m[9] as string).trim()
    return {atMs, source: (m[7] as string).replace(/^.*\//, ''), level: (m[8] ?? 'info').toLowerCase(), message, ...classify(message)}
  }
  return null
}

/** The marked lines of a whole log (unmarked lines dropped), in file order. */
export function haLogEvents(text: string, year?: number): HaLogLine[] {
  const out: HaLogLine[] = []
  for (const l of text.split('\n')) {
    const p = parseHaLogLine(l, year)
    if (p?.kind !== undefined) out.push(p)
  }
  return out
}

/**
 * How long the node took to start its resource group, from the log: from each "Acquiring resource group"
 * to the last "Running … start" after it (before the next acquire/release) — the resource scripts' own time
 * (IPaddr's ARP checks, the service's init script). 1 s resolution. Spans in file order (ms).
 */
export function acquisitionSpansMs(lines: readonly HaLogLine[]): number[] {
  const spans: number[] = []
  let from: number | null = null
  let last: number | null = null
  const close = (): void => {
    if (from !== null && last !== null) spans.push(last - from)
    from = null
    last = null
  }
  for (const l of lines) {
    if (l.kind === 'acquiring') {
      close()
      from = l.atMs
    } else if (l.kind === 'resource-start' && from !== null) last = l.atMs
    else if (l.kind === 'giving-up' || l.kind === 'resource-stop' || l.kind === 'takeover-complete') close()
  }
  close()
  return spans
}

/**
 * How long each give-up took (ms): "Giving up all HA resources" → "All HA resources relinquished" (the
 * node's own resource stops, before its peer may take the group on a graceful stop). 1 s resolution.
 */
export function releaseSpansMs(lines: readonly HaLogLine[]): number[] {
  const spans: number[] = []
  let from: number | null = null
  for (const l of lines) {
    if (l.kind === 'giving-up') from = l.atMs
    else if (l.kind === 'relinquished' && from !== null) {
      spans.push(l.atMs - from)
      from = null
    }
  }
  return spans
}
