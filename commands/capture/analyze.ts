import {once} from 'node:events'
import {createReadStream, createWriteStream} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'
import {createInterface} from 'node:readline'

import {Args, Flags} from '@oclif/core'

import {renderTimelineText} from '../../reports/timeline-text.js'
import {epochUsFromDecimal, isIpv4, isMac} from '../../src/capture/events.js'
import {eventsOf} from '../../src/capture/open.js'
import {ExitCode, usageError} from '../../src/errors.js'
import {loadInventory} from '../../src/inventory/index.js'
import {type AnalyzeContext, type GarpEntry, type TimelineAnalysis, type TimelineSink, TimelineMachine} from '../../src/timeline/analyze.js'
import type {TimelineEvent} from '../../src/store/run-types.js'
import {FLUSH_AT, type Splice, StreamOut, writeJson} from '../../src/util/json-out.js'
import {HachaosCommand} from '../_base.js'

export interface CaptureAnalyzeResult {
  file: string
  format: 'pcap' | 'pcapng' | 'text'
  /** Text lines or pcap frames read. */
  total: number
  events: number
  /** Well-formed frames of other kinds (not VRRP adverts or ARP requests/replies). */
  ignored: number
  vlanTagged: number
  /** All unparsed lines/frames are counted; the first 20 are kept as "N: reason: text" (N: line or frame). */
  unparsed: {count: number; sample: string[]}
  vip: string | null
  /**
   * With --json the lists (masters, GARPs, …) are complete. Without it, and with --events ndjson (where every
   * entry has been written as its own line), they hold the first and last LIST_KEEP of each and
   * `analysis.listed` gives the totals.
   */
  analysis: TimelineAnalysis
}

/** Entries of each list kept for the text summary and the last line of --events ndjson: the first and last N. */
const LIST_KEEP = 20
/** Events may be this much out of time order in a capture (µs): merged captures, clock steps. */
const REORDER_US = 2_000_000
/** A progress line every this many events. */
const PROGRESS_EVERY = 1_000_000

/** Control characters from a hostile or binary file are shown escaped, never sent to the terminal. */
const printable = (s: string): string =>
  s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)

/** "1795388398.646432" (epoch seconds, up to µs) → epoch µs, exactly. */
function epochFlag(name: string, v: string | undefined): number | null {
  if (v === undefined) return null
  const m = /^(\d{9,11})(?:\.(\d{1,9}))?$/.exec(v.trim())
  const us = m === null ? null : epochUsFromDecimal(m[1] as string, m[2] ?? '0')
  if (us === null) throw usageError(`--${name} ${v} is not epoch seconds`, `e.g. --${name} 1795388398.646432 (date +%s.%6N when the fault was injected)`)
  return us
}

export default class CaptureAnalyze extends HachaosCommand {
  static override summary = 'Analyse a saved VRRP/ARP capture (pcap or tcpdump text): who was master when, GARPs, failover metrics.'
  static override description = `Reads a pcap written by tcpdump -w (recognised by its magic number) or the text of
tcpdump -n -tt -e (with or without -v), e.g. from: tcpdump -l -n -tt -e -i eth0 'vrrp or arp'.
Prints who was VRRP master when, gratuitous ARPs, priority changes and advert gaps. With --fault-at (epoch
seconds) it also measures the failover: takeover after the fault and after the old master's last advert
(Master_Down_Interval for a node loss, Skew_Time after a graceful stop), the first GARP for the VIP from the
new MAC, and with --revert-at the failback. Split brain (two masters advertising for one vrid, or two MACs
answering ARP for the VIP in turn) is reported and makes the exit code 7. Lines or frames that cannot be
parsed are counted, never fatal. No root needed.

The capture is analysed in one pass as it is read, in bounded memory: the text summary lists the first and
last 20 entries of each list and says how many there were; --json lists all; --events ndjson writes every
event and every entry as one JSON line as it goes, and the result last.`

  static override examples = [
    '<%= config.bin %> capture analyze drill.pcap',
    '<%= config.bin %> capture analyze drill.pcap --fault-at 1795388398.646432 --revert-at 1795388406.651997 --vip 10.66.0.100',
    '<%= config.bin %> capture analyze capture.txt --fault-at 1795388462.118095 --name 10.66.0.11=lb1 --name 10.66.0.12=lb2 --json',
    '<%= config.bin %> capture analyze drill.pcap --inventory hosts.yaml --fault-at 1795388398.6',
    '<%= config.bin %> capture analyze day.pcap --events ndjson > day.ndjson',
  ]

  static override args = {
    file: Args.string({description: "Capture file: a pcap or pcapng (tcpdump -w) or tcpdump -n -tt -e text; '-' reads stdin.", required: true}),
  }

  static override flags = {
    'fault-at': Flags.string({description: 'When the fault was injected, epoch seconds (e.g. 1795388398.646432): enables the failover metrics.'}),
    'revert-at': Flags.string({description: 'When the fault was reverted, epoch seconds: enables the failback metrics.', dependsOn: ['fault-at']}),
    vip: Flags.string({description: 'The virtual IP (for GARP and dual-ARP findings). Default: the inventory vip, if given.'}),
    vrid: Flags.integer({description: 'The VRRP instance to measure (default: the vrid with the most adverts).', min: 1, max: 255}),
    name: Flags.string({description: 'Name a source: IP=NAME or MAC=NAME (repeatable).', multiple: true}),
    inventory: Flags.string({char: 'i', description: 'Inventory file: names hosts by address and gives the VIP.'}),
    events: Flags.string({
      description:
        'Write the events as they are read, as NDJSON on stdout: one line per event, one per timeline entry as it closes (type timeline.master, timeline.garp, …), and last the result (type "result", lists cut to the first and last 20). Memory stays flat for any capture size.',
      options: ['ndjson'],
    }),
  }

  /** Set once the JSON result has been written here (streamed): oclif must not print it again. */
  private wroteJson = false

  override logJson(json: unknown): void {
    if (!this.wroteJson) super.logJson(json)
  }

  async run(): Promise<CaptureAnalyzeResult> {
    const {args, flags} = await this.parse(CaptureAnalyze)
    const faultAtUs = epochFlag('fault-at', flags['fault-at'])
    const revertAtUs = epochFlag('revert-at', flags['revert-at'])
    if (faultAtUs !== null && revertAtUs !== null && revertAtUs < faultAtUs) throw usageError('--revert-at is before --fault-at')

    const hosts: AnalyzeContext['hosts'] = []
    let vip = flags.vip ?? null
    if (flags.inventory !== undefined) {
      const inv = await loadInventory(flags.inventory)
      for (const h of inv.hosts) hosts.push({name: h.name, ip: h.address})
      vip ??= inv.vip ?? null
    }
    for (const n of flags.name ?? []) {
      const m = /^([^=]+)=(.+)$/.exec(n)
      const key = m?.[1]?.toLowerCase() ?? ''
      if (m === null || (!isIpv4(key) && !isMac(key))) throw usageError(`--name ${n}: expected IP=NAME or MAC=NAME`, 'e.g. --name 10.66.0.11=lb1')
      hosts.unshift(isIpv4(key) ? {name: m[2] as string, ip: key} : {name: m[2] as string, mac: key})
    }
    if (vip !== null && !isIpv4(vip)) throw usageError(`--vip ${vip} is not an IPv4 address`)

    this.progress(`reading ${args.file}`)
    const cap = await eventsOf(args.file, basename(args.file))
    const ndjson = flags.events === 'ndjson'
    const json = this.jsonEnabled()
    const out = new StreamOut(process.stdout)
    const sink: TimelineSink = ndjson
      ? {
          master: (m) => out.line({type: 'timeline.master', ...m}),
          garp: (g) => out.line({type: 'timeline.garp', ...g}),
          priorityChange: (c) => out.line({type: 'timeline.priorityChange', ...c}),
          advertGap: (g) => out.line({type: 'timeline.advertGap', ...g}),
          splitBrain: (f) => out.line({type: 'timeline.splitBrain', ...f}),
        }
      : {}
    // --json keeps every list entry for the result, except the GARPs (the longest list: as many as a tenth
    // of the frames), which are spooled to a temporary file in their final order and copied into the
    // output; text and ndjson keep the first and last LIST_KEEP
    const spool = json && !ndjson ? await GarpSpool.open() : null
    if (spool !== null) sink.garp = (g) => spool.add(g)
    try {
      const machine = new TimelineMachine(
        {vip, vrid: flags.vrid ?? null, faultAtUs, revertAtUs, hosts},
        {reorderWindowUs: REORDER_US, keep: json && !ndjson ? 'all' : LIST_KEEP, sink, omitGarps: spool !== null},
      )
      let events = 0
      let nextProgress = PROGRESS_EVERY
      const batches: AsyncIterable<TimelineEvent[]> =
        cap.batches ??
        (async function* one() {
          for await (const e of cap.events) yield [e]
        })()
      for await (const batch of batches) {
        for (const e of batch) {
          machine.push(e)
          if (ndjson) out.line(e)
        }
        events += batch.length
        if (out.pending > FLUSH_AT) await out.flush()
        if (spool !== null) await spool.flushIfLarge()
        if (events >= nextProgress) {
          this.progress(`${events} events`)
          nextProgress += PROGRESS_EVERY
        }
      }
      const st = cap.stats()
      const unparsed = {count: st.unparsed.count, sample: st.unparsed.sample}
      const analysis = machine.finish(unparsed)
      if (analysis.splitBrain.length > 0) process.exitCode = ExitCode.FINDINGS
      const format = cap.format === 'pcap' || cap.format === 'pcapng' ? cap.format : 'text'
      const result: CaptureAnalyzeResult = {file: args.file, format, total: st.frames, events, ignored: st.ignored ?? 0, vlanTagged: st.vlanTagged ?? 0, unparsed, vip, analysis}
      if (ndjson || json) {
        if (ndjson) out.line({type: 'result', ...result})
        else {
          const splices = new Map<unknown, Splice>()
          if (spool !== null) splices.set(analysis.garps, await spool.splice((mac) => machine.macName(mac)))
          await writeJson(result, out, '', splices)
          out.write('\n')
        }
        await out.flush()
        this.wroteJson = true
        return result
      }
      this.text(args.file, format, result, faultAtUs)
      return result
    } finally {
      await spool?.remove()
    }
  }

  private text(file: string, format: string, result: CaptureAnalyzeResult, faultAtUs: number | null): void {
    const {analysis, unparsed} = result
    const adverts = analysis.counts.adverts
    this.log(
      `${file} (${format}, ${result.total} ${format !== 'text' ? 'frames' : 'lines'}): ${adverts} VRRP advert${adverts === 1 ? '' : 's'}, ` +
        `${analysis.counts.arps} ARP (${analysis.counts.garps} gratuitous)` +
        `${result.vlanTagged > 0 ? `, ${result.vlanTagged} 802.1Q-tagged` : ''}${result.ignored > 0 ? `, ${result.ignored} other frames ignored` : ''}, ` +
        `${unparsed.count} unparsed`,
    )
    const zeroUs = faultAtUs ?? analysis.firstUs
    for (const line of renderTimelineText(analysis, {zeroUs, zeroLabel: faultAtUs !== null ? 'the fault' : 'the first packet'})) this.log(line)
    if (unparsed.count > 0) {
      this.log('', `Unparsed (${unparsed.count}, counted and skipped)`)
      for (const u of unparsed.sample.slice(0, 5)) this.log(`  ${format !== 'text' ? 'frame' : 'line'} ${printable(u.slice(0, 140))}`)
      if (unparsed.count > 5) this.log(`  … ${unparsed.count - 5} more (--json shows ${unparsed.sample.length})`)
    }
  }
}

/**
 * The GARPs of a --json result, spooled to a temporary file as they are seen (already in their final order
 * and in the output's layout: one per line, comma-separated) and copied into the output at the end, so
 * that their number does not weigh on memory. A GARP from a MAC that had no name yet but got one later (from
 * an advert) is renamed on the way out, as the in-memory result would have it.
 */
class GarpSpool {
  private n = 0
  private readonly unnamed = new Set<string>()
  private readonly out: StreamOut

  private constructor(
    private readonly dir: string,
    private readonly ws: ReturnType<typeof createWriteStream>,
  ) {
    this.out = new StreamOut(ws)
  }

  static async open(): Promise<GarpSpool> {
    const dir = await mkdtemp(join(tmpdir(), 'hachaos-garps-'))
    return new GarpSpool(dir, createWriteStream(join(dir, 'garps.json')))
  }

  add(g: GarpEntry): void {
    if (g.source === g.mac) this.unnamed.add(g.mac)
    this.out.write(this.n++ === 0 ? SPOOL_INDENT : `,\n${SPOOL_INDENT}`)
    this.out.write(JSON.stringify(g))
  }

  async flushIfLarge(): Promise<void> {
    if (this.out.pending > FLUSH_AT) await this.out.flush()
  }

  /** Close the spool; the Splice that copies it (renaming late-named MACs) into the output. */
  async splice(macName: (mac: string) => string): Promise<Splice> {
    await this.out.flush()
    this.ws.end()
    await once(this.ws, 'finish')
    const path = join(this.dir, 'garps.json')
    const renamed = [...this.unnamed].some((m) => macName(m) !== m)
    return async (o: StreamOut): Promise<void> => {
      if (!renamed) {
        for await (const chunk of createReadStream(path)) {
          o.bytes(chunk as Buffer)
          if (o.pending > FLUSH_AT) await o.flush()
        }
        return
      }
      let first = true
      for await (const line of createInterface({input: createReadStream(path), crlfDelay: Infinity})) {
        // the spool's lines: indent, the GARP, a comma (all but the last)
        const g = JSON.parse(line.trim().replace(/,$/, '')) as GarpEntry
        if (g.source === g.mac) g.source = macName(g.mac)
        o.write(`${first ? '' : ',\n'}${SPOOL_INDENT}${JSON.stringify(g)}`)
        first = false
        if (o.pending > FLUSH_AT) await o.flush()
      }
    }
  }

  async remove(): Promise<void> {
    this.ws.destroy()
    await rm(this.dir, {recursive: true, force: true})
  }
}

/** analysis.garps elements sit at this depth in the --json output. */
const SPOOL_INDENT = '      '
