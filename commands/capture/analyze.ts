import {basename} from 'node:path'

import {Args, Flags} from '@oclif/core'

import {type CaptureEvent, epochUsFromDecimal, isIpv4, isMac} from '../../src/capture/events.js'
import {decodedEventJson} from '../../src/capture/pcap.js'
import {eventsOf} from '../../src/capture/open.js'
import {ExitCode, usageError} from '../../src/errors.js'
import {type AnalyzeContext, type TimelineAnalysis, type TimelineSink, TimelineMachine} from '../../src/timeline/analyze.js'
import type {TimelineEvent} from '../../src/store/run-types.js'
import {advertGapJson, garpJson, masterJson, priorityChangeJson} from '../../src/timeline/json-lines.js'
import {FLUSH_AT, type Splice, StreamOut, spliceBytes, spliceOf, writeJson} from '../../src/util/json-out.js'
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
/** --json: entries of each list held in memory before a sorted run goes to disk (about 100 bytes each). */
const SPILL_RUN = 16_384
/** The indentation of analysis.garps entries in the --json output (writeJson's layout: 2 spaces a level). */
const GARP_INDENT = '      '
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
    file: Args.string({description: "Capture file: a pcap or pcapng (tcpdump -w) or tcpdump -n -tt -e text; '-' reads stdin.", required: true, ignoreStdin: true}),
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
      // imported here: the inventory readers (yaml, zod, the executors) are most of this command's start-up
      const {loadInventory} = await import('../../src/inventory/index.js')
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
    // the entries by json-lines.ts's templates (what JSON.stringify writes for {type, ...entry}, faster);
    // the events of a pcap or pcapng by decodedEventJson (likewise), a text capture's by JSON.stringify
    const sink: TimelineSink = ndjson
      ? {
          master: (m) => out.write(`{"type":"timeline.master",${masterJson(m).slice(1)}\n`),
          garp: (g) => out.write(`{"type":"timeline.garp",${garpJson(g).slice(1)}\n`),
          priorityChange: (c) => out.write(`{"type":"timeline.priorityChange",${priorityChangeJson(c).slice(1)}\n`),
          advertGap: (g) => out.write(`{"type":"timeline.advertGap",${advertGapJson(g).slice(1)}\n`),
          splitBrain: (f) => out.line({type: 'timeline.splitBrain', ...f}),
        }
      : {}
    const eventJson: (e: TimelineEvent) => string =
      cap.format === 'pcap' || cap.format === 'pcapng' ? (e) => decodedEventJson(e as CaptureEvent) : (e) => JSON.stringify(e)
    // --json lists every entry: the lists (master spans, GARPs, priority changes, advert gaps) are spooled
    // to sorted runs in a temporary file past SPILL_RUN entries each and merged into the output, so memory
    // stays flat; text and ndjson keep the first and last LIST_KEEP
    const all = json && !ndjson
    const machine = new TimelineMachine(
      {vip, vrid: flags.vrid ?? null, faultAtUs, revertAtUs, hosts},
      {reorderWindowUs: REORDER_US, keep: all ? 'all' : LIST_KEEP, sink, ...(all ? {spill: {runSize: SPILL_RUN, garpJson: {json: garpJson, sep: `,\n${GARP_INDENT}`}}} : {})},
    )
    try {
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
          if (ndjson) out.write(`${eventJson(e)}\n`)
        }
        events += batch.length
        if (out.pending > FLUSH_AT) await out.flush()
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
          const lists = machine.spooled()
          if (lists !== null) {
            splices.set(analysis.masters, spliceOf(lists.masters, masterJson))
            // the GARPs (the longest list) were spooled as their JSON text: copied, not decoded, unless a sender
            // was named only after some of its GARPs
            splices.set(analysis.garps, lists.garpsJson !== null ? spliceBytes(lists.garpsJson, analysis.counts.garps, GARP_INDENT) : spliceOf(lists.garps, garpJson))
            splices.set(analysis.priorityChanges, spliceOf(lists.priorityChanges, priorityChangeJson))
            splices.set(analysis.advertGaps, spliceOf(lists.advertGaps, advertGapJson))
          }
          await writeJson(result, out, '', splices)
          out.write('\n')
        }
        await out.flush()
        this.wroteJson = true
        return result
      }
      const {renderTimelineText} = await import('../../reports/timeline-text.js')
      this.text(args.file, format, result, faultAtUs, renderTimelineText)
      return result
    } finally {
      machine.removeSpool()
    }
  }

  private text(file: string, format: string, result: CaptureAnalyzeResult, faultAtUs: number | null, renderTimelineText: typeof import('../../reports/timeline-text.js').renderTimelineText): void {
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
