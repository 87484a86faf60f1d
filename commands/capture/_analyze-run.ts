/**
 * `hachaos capture analyze` itself, without oclif: the oclif command (analyze.ts) and the start-up fast path
 * (_analyze-fast.ts, taken by bin/run.js for this command) both run this, so the two give the same output,
 * errors and exit codes. Importing oclif and loading its config was most of this command's start-up (issue 11:
 * 0.2 CPU-s of a run that tcpdump does in 0.8).
 */
import {basename} from 'node:path'

import {type CaptureEvent, epochUsFromDecimal, isIpv4, isMac} from '../../src/capture/events.js'
import {decodedEventJson, eventJsonParts, type FrameBatch, type SharedEvent} from '../../src/capture/pcap.js'
import {eventsOf} from '../../src/capture/open.js'
import {ExitCode, usageError} from '../../src/errors.js'
import {type AnalyzeContext, type TimelineAnalysis, type TimelineSink, TimelineMachine} from '../../src/timeline/analyze.js'
import type {TimelineEvent} from '../../src/store/run-types.js'
import {advertGapJson, GarpText, garpJson, masterJson, priorityChangeJson, spliceAdvertGaps, spliceMasters} from '../../src/timeline/json-lines.js'
import {FLUSH_AT, type Splice, StreamOut, spliceBytes, spliceInto, spliceOf, writeJson} from '../../src/util/json-out.js'

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

/** The command's flags and argument, as parsed (by oclif, or by the fast path with the same table). */
export interface CaptureAnalyzeOptions {
  file: string
  faultAt?: string
  revertAt?: string
  vip?: string
  vrid?: number
  name?: string[]
  inventory?: string
  events?: string
  /** --json (or HACHAOS_CONTENT_TYPE=json): oclif's jsonEnabled(). */
  json: boolean
}

/** What the command writes besides its streamed JSON: progress on stderr, and text lines (oclif's `log`). */
export interface CaptureAnalyzeIo {
  progress(message: string): void
  log(message?: string, ...args: string[]): void
}

/** The analysis; `wroteJson`: the JSON result was streamed to stdout (the caller must not print it again). */
export async function runCaptureAnalyze(o: CaptureAnalyzeOptions, io: CaptureAnalyzeIo): Promise<{result: CaptureAnalyzeResult; wroteJson: boolean}> {
  const faultAtUs = epochFlag('fault-at', o.faultAt)
  const revertAtUs = epochFlag('revert-at', o.revertAt)
  if (faultAtUs !== null && revertAtUs !== null && revertAtUs < faultAtUs) throw usageError('--revert-at is before --fault-at')

  const hosts: AnalyzeContext['hosts'] = []
  let vip = o.vip ?? null
  if (o.inventory !== undefined) {
    // imported here: the inventory readers (yaml, zod, the executors) are most of this command's start-up
    const {loadInventory} = await import('../../src/inventory/index.js')
    const inv = await loadInventory(o.inventory)
    for (const h of inv.hosts) hosts.push({name: h.name, ip: h.address})
    vip ??= inv.vip ?? null
  }
  for (const n of o.name ?? []) {
    const m = /^([^=]+)=(.+)$/.exec(n)
    const key = m?.[1]?.toLowerCase() ?? ''
    if (m === null || (!isIpv4(key) && !isMac(key))) throw usageError(`--name ${n}: expected IP=NAME or MAC=NAME`, 'e.g. --name 10.66.0.11=lb1')
    hosts.unshift(isIpv4(key) ? {name: m[2] as string, ip: key} : {name: m[2] as string, mac: key})
  }
  if (vip !== null && !isIpv4(vip)) throw usageError(`--vip ${vip} is not an IPv4 address`)

  io.progress(`reading ${o.file}`)
  const cap = await eventsOf(o.file, basename(o.file))
  const ndjson = o.events === 'ndjson'
  const json = o.json
  const out = new StreamOut(process.stdout)
  const garpLines = new GarpText('"type":"timeline.garp",', '\n')
  const garpEntries = new GarpText()
  // the entries by json-lines.ts's templates (what JSON.stringify writes for {type, ...entry}, faster);
  // the events of a pcap or pcapng by decodedEventJson (likewise), a text capture's by JSON.stringify
  const sink: TimelineSink = ndjson
    ? {
        master: (m) => out.write(`{"type":"timeline.master",${masterJson(m).slice(1)}\n`),
        garp: (g) => out.write(`{"type":"timeline.garp",${garpJson(g).slice(1)}\n`),
        // the same text, cached by the ARP event that made the GARP, around the time's digits
        garpAt: (t, from, source, forVip) => {
          out.around(garpLines.get(from, source, forVip), t)
        },
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
    {vip, vrid: o.vrid ?? null, faultAtUs, revertAtUs, hosts},
    {reorderWindowUs: REORDER_US, keep: all ? 'all' : LIST_KEEP, sink, ...(all ? {spill: {runSize: SPILL_RUN, entryJson: {master: masterJson, advertGap: advertGapJson}, garpJson: {json: garpJson, sep: `,\n${GARP_INDENT}`, parts: (from, source, forVip) => garpEntries.get(from, source, forVip)}}} : {})},
  )
  try {
    let events = 0
    let nextProgress = PROGRESS_EVERY
    if (cap.frames !== undefined && cap.frames !== null) {
      // pcap, pcapng: one shared event per distinct frame, its time beside it (no object per frame); with
      // --events ndjson each line is the event's cached JSON text around the time's digits
      for await (const fb of cap.frames) {
        if (ndjson) feedFramesNdjson(machine, out, fb)
        else feedFrames(machine, fb)
        events += fb.events.length
        if (out.pending > FLUSH_AT) await out.flush()
        if (events >= nextProgress) {
          io.progress(`${events} events`)
          nextProgress += PROGRESS_EVERY
        }
      }
    } else {
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
          io.progress(`${events} events`)
          nextProgress += PROGRESS_EVERY
        }
      }
    }
    const st = cap.stats()
    const unparsed = {count: st.unparsed.count, sample: st.unparsed.sample}
    const analysis = machine.finish(unparsed)
    if (analysis.splitBrain.length > 0) process.exitCode = ExitCode.FINDINGS
    const format = cap.format === 'pcap' || cap.format === 'pcapng' ? cap.format : 'text'
    const result: CaptureAnalyzeResult = {file: o.file, format, total: st.frames, events, ignored: st.ignored ?? 0, vlanTagged: st.vlanTagged ?? 0, unparsed, vip, analysis}
    if (ndjson || json) {
      if (ndjson) out.line({type: 'result', ...result})
      else {
        const splices = new Map<unknown, Splice>()
        const lists = machine.spooled()
        if (lists !== null) {
          // the master spans and advert gaps from their spooled records, their text made straight into the output
          splices.set(analysis.masters, lists.mastersRaw !== null ? spliceMasters(lists.mastersRaw) : spliceOf(lists.masters, masterJson))
          // the GARPs (the longest list) were spooled as their JSON text: copied, not decoded, unless a sender
          // was named only after some of its GARPs; made straight into the output from the spool's (text, time) pairs
          splices.set(
            analysis.garps,
            lists.garpsInto !== null
              ? spliceInto(lists.garpsInto, analysis.counts.garps, GARP_INDENT)
              : lists.garpsJson !== null
                ? spliceBytes(lists.garpsJson, analysis.counts.garps, GARP_INDENT)
                : spliceOf(lists.garps, garpJson),
          )
          splices.set(analysis.priorityChanges, spliceOf(lists.priorityChanges, priorityChangeJson))
          splices.set(analysis.advertGaps, lists.advertGapsRaw !== null ? spliceAdvertGaps(lists.advertGapsRaw) : spliceOf(lists.advertGaps, advertGapJson))
        }
        await writeJson(result, out, '', splices)
        out.write('\n')
      }
      await out.flush()
      return {result, wroteJson: true}
    }
    const {renderTimelineText} = await import('../../reports/timeline-text.js')
    text(io, o.file, format, result, faultAtUs, renderTimelineText)
    return {result, wroteJson: false}
  } finally {
    machine.removeSpool()
  }
}

/**
 * One batch of frames into the machine. The per-frame loops are small functions of their own, not the body of
 * runCaptureAnalyze: V8 optimised the whole of that async function (on-stack replacement) to run its loop, the
 * largest single compile of the run, and compiled it again after each deoptimisation anywhere in it.
 */
function feedFrames(machine: TimelineMachine, fb: FrameBatch): void {
  const evs = fb.events
  const ts = fb.times
  for (let i = 0; i < evs.length; i++) machine.pushAt((evs[i] as SharedEvent).ev, ts[i] as number)
}

/** feedFrames, each event also written as its NDJSON line (its cached text around the time's digits). */
function feedFramesNdjson(machine: TimelineMachine, out: StreamOut, fb: FrameBatch): void {
  const evs = fb.events
  const ts = fb.times
  for (let i = 0; i < evs.length; i++) {
    const se = evs[i] as SharedEvent
    const t = ts[i] as number
    machine.pushAt(se.ev, t)
    out.around(se.json ?? eventJsonParts(se), t)
  }
}

function text(io: CaptureAnalyzeIo, file: string, format: string, result: CaptureAnalyzeResult, faultAtUs: number | null, renderTimelineText: typeof import('../../reports/timeline-text.js').renderTimelineText): void {
  const {analysis, unparsed} = result
  const adverts = analysis.counts.adverts
  io.log(
    `${file} (${format}, ${result.total} ${format !== 'text' ? 'frames' : 'lines'}): ${adverts} VRRP advert${adverts === 1 ? '' : 's'}, ` +
      `${analysis.counts.arps} ARP (${analysis.counts.garps} gratuitous)` +
      `${result.vlanTagged > 0 ? `, ${result.vlanTagged} 802.1Q-tagged` : ''}${result.ignored > 0 ? `, ${result.ignored} other frames ignored` : ''}, ` +
      `${unparsed.count} unparsed`,
  )
  const zeroUs = faultAtUs ?? analysis.firstUs
  for (const line of renderTimelineText(analysis, {zeroUs, zeroLabel: faultAtUs !== null ? 'the fault' : 'the first packet'})) io.log(line)
  if (unparsed.count > 0) {
    io.log('', `Unparsed (${unparsed.count}, counted and skipped)`)
    for (const u of unparsed.sample.slice(0, 5)) io.log(`  ${format !== 'text' ? 'frame' : 'line'} ${printable(u.slice(0, 140))}`)
    if (unparsed.count > 5) io.log(`  … ${unparsed.count - 5} more (--json shows ${unparsed.sample.length})`)
  }
}
