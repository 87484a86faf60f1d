/**
 * A saved capture, whatever its format: classic pcap (µs or ns, by its magic number), pcapng, or the text of
 * `tcpdump -n -tt -e` (with or without -v); `-` reads stdin. Files that are none of these get a clear BAD_INPUT
 * error naming them.
 *
 * openCapture() streams: events come as they are decoded, through a fixed-size read buffer; nothing per packet
 * is kept once handed out (the unparsed items beyond a sample of 20 are only counted). readCaptureFile() is
 * the array API on top of it (all events and all unparsed items in memory), for small files and the tests.
 */
import {basename} from 'node:path'

import {HachaosError} from '../errors.js'
import type {TimelineEvent} from '../store/run-types.js'
import {type CaptureEvent, type CaptureParse, CaptureTally, type Unparsed, unparsedLine} from './events.js'
import {eventsOf, type FrameBatch, pcapFrames, pcapMagic} from './pcap.js'
import {pcapngFrames} from './pcapng.js'
import {ByteSource} from './source.js'
import {textEvents} from './tcpdump-text.js'

export type CaptureFormat = 'pcap' | 'pcapng' | 'text'

export interface CaptureFile extends CaptureParse {
  path: string
  format: CaptureFormat
}

/** What a streamed read has seen so far (final once the events are exhausted). */
export interface OpenCaptureStats {
  /** Frames (pcap, pcapng) or lines (text) read. */
  frames: number
  /** Unparsed frames/lines: the count, and the first 20 as "N: reason: text" (items: the same as objects). */
  unparsed: {count: number; sample: string[]; items: Unparsed[]}
  /** Well-formed frames that are not VRRP adverts or ARP requests/replies. */
  ignored: number
  /** Frames with 802.1Q/802.1ad tags. */
  vlanTagged: number
  /** Frames cut short by the snapshot length (also in unparsed). */
  truncated: number
  /** tcpdump's own status lines in a text capture. */
  info: number
}

export interface OpenCapture {
  path: string
  /** The host name on every event (default: the file's base name; "stdin" for '-'). */
  host: string
  format: CaptureFormat
  /** The events in capture order. Read once (events or batches, not both). */
  events: AsyncIterable<TimelineEvent>
  /** The same events a buffer-full at a time (fewer awaits for a fast consumer). Read once. */
  batches: AsyncIterable<TimelineEvent[]>
  /**
   * pcap and pcapng (null for text): the same events as frame batches, each frame's event shared with every
   * frame of the same content and its time beside it (pcap.ts FrameBatch): no object per frame. Read once.
   */
  frames: AsyncIterable<FrameBatch> | null
  stats(): OpenCaptureStats
  /** Close the input without reading on (breaking out of a for-await loop over events does it too). */
  close(): Promise<void>
}

/**
 * Binary, not text: more than 5 % of the bytes are C0 controls other than tab, LF, CR, ESC (random bytes
 * have about 11 %; a text capture with a stray junk line, which the text parser counts, far fewer).
 */
function looksBinary(b: Buffer): boolean {
  let bad = 0
  for (const x of b) if (x < 0x20 && x !== 9 && x !== 10 && x !== 13 && x !== 27) bad += 1
  return bad > b.length / 20
}

const FRAME_LIKE = /^\d+\.\d+ [0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5} > /

/** A binary capture's frame batches, and its events made of them (one generator underneath: read one of the two). */
function binary(format: CaptureFormat, frames: AsyncGenerator<FrameBatch>, src: ByteSource): {format: CaptureFormat; gen: AsyncGenerator<CaptureEvent[]>; frames: AsyncGenerator<FrameBatch>; src: ByteSource} {
  const fr = closing(frames, src)
  return {format, gen: (async function* materialize() {
    for await (const fb of fr) yield eventsOf(fb)
  })(), frames: fr, src}
}

async function open(path: string, host: string, tally: CaptureTally): Promise<{format: CaptureFormat; gen: AsyncGenerator<CaptureEvent[]>; frames: AsyncGenerator<FrameBatch> | null; src: ByteSource}> {
  const src = await ByteSource.open(path)
  const head = src.head
  if (head.length === 0) {
    await src.close()
    throw new HachaosError(`${path} is empty`, {code: 'E_CAPTURE_EMPTY', exit: 'BAD_INPUT', where: path, suggestions: ['was tcpdump stopped before any packet arrived?']})
  }
  const magic = pcapMagic(head)
  if (magic === 'pcap-us' || magic === 'pcap-ns') return binary('pcap', pcapFrames(src, host, tally), src)
  if (magic === 'pcapng') return binary('pcapng', pcapngFrames(src, host, tally), src)
  if (looksBinary(head)) {
    await src.close()
    throw new HachaosError(`${path} is neither a pcap file nor a tcpdump text capture (binary, magic ${head.subarray(0, 4).toString('hex')})`, {
      code: 'E_CAPTURE_FORMAT',
      exit: 'BAD_INPUT',
      where: path,
      suggestions: ["capture with: tcpdump -n -tt -e -i IF -w FILE.pcap 'vrrp or arp or ip6 proto 112'  (or save its text output)"],
    })
  }
  return {format: 'text', gen: closing(checkedText(path, textEvents(src.chunks(), host, tally), tally), src), frames: null, src}
}

/** The input is closed however the reading ends: exhausted, broken off, or failed (even before its first read). */
async function* closing<T>(gen: AsyncGenerator<T>, src: ByteSource): AsyncGenerator<T> {
  try {
    yield* gen
  } finally {
    await src.close()
  }
}

/** Refuse, at the end, a text file in which not one line looks like tcpdump's (truncated lines still count). */
async function* checkedText(path: string, gen: AsyncGenerator<CaptureEvent[]>, tally: CaptureTally): AsyncGenerator<CaptureEvent[]> {
  let events = 0
  let frameLike = false
  const add = tally.addUnparsed.bind(tally)
  let first: Unparsed | null = null
  tally.addUnparsed = (u: Unparsed): void => {
    first ??= u
    if (!frameLike && FRAME_LIKE.test(u.text)) frameLike = true
    add(u)
  }
  for await (const b of gen) {
    events += b.length
    yield b
  }
  const f = first as Unparsed | null
  if (events === 0 && tally.ignored === 0 && f !== null && !frameLike) {
    throw new HachaosError(`${path}: no line is a tcpdump -n -tt -e line (${tally.unparsedCount} unparsed; line ${f.n}: ${f.reason})`, {
      code: 'E_CAPTURE_FORMAT',
      exit: 'BAD_INPUT',
      where: `${path}:${f.n}`,
      suggestions: ["capture with: tcpdump -l -n -tt -e -i IF 'vrrp or arp or ip6 proto 112' > FILE.txt  (-e and -tt are needed)"],
    })
  }
}

/** Events one at a time from batches (one promise per event; no copy). */
function flatten<T>(batches: AsyncIterator<T[]>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      let cur: T[] = []
      let i = 0
      const refill = async (): Promise<IteratorResult<T>> => {
        for (;;) {
          const r = await batches.next()
          if (r.done === true) {
            cur = []
            return {done: true, value: undefined}
          }
          cur = r.value
          i = 0
          if (cur.length > 0) return {done: false, value: cur[i++] as T}
        }
      }
      return {
        next: (): Promise<IteratorResult<T>> => (i < cur.length ? Promise.resolve({done: false, value: cur[i++] as T}) : refill()),
        return: async (): Promise<IteratorResult<T>> => {
          cur = []
          await batches.return?.(undefined)
          return {done: true, value: undefined}
        },
      }
    },
  }
}

/**
 * Open a capture for streaming: its format (by magic number, else text), its events as an async iterable, and
 * running counts. Errors: a missing/empty/binary file at once; a corrupt record (pcap/pcapng) or a text file
 * of no tcpdump line while iterating (HachaosError, BAD_INPUT, naming the record or line).
 */
export async function openCapture(path: string, opts: {host?: string} = {}): Promise<OpenCapture> {
  const host = opts.host ?? (path === '-' ? 'stdin' : basename(path))
  const tally = new CaptureTally(false)
  const {format, gen, frames, src} = await open(path, host, tally)
  let used = false
  const once = <T>(g: T): T => {
    if (used) throw new Error(`openCapture(${path}): the events were already read`)
    used = true
    return g
  }
  return {
    path,
    host,
    format,
    events: {[Symbol.asyncIterator]: () => flatten(once(gen))[Symbol.asyncIterator]()},
    batches: {[Symbol.asyncIterator]: () => once(gen)},
    frames: frames === null ? null : {[Symbol.asyncIterator]: () => once(frames)},
    stats: () => ({
      frames: tally.frames,
      unparsed: {count: tally.unparsedCount, sample: tally.unparsed.map(unparsedLine), items: [...tally.unparsed]},
      ignored: tally.ignored,
      vlanTagged: tally.vlanTagged,
      truncated: tally.truncated,
      info: tally.infoCount,
    }),
    close: async () => {
      used = true
      await gen.return(undefined)
      await frames?.return(undefined)
      await src.close()
    },
  }
}

/** Read a whole capture file into events (the array API; `host` names the host the capture ran on). */
export async function readCaptureFile(path: string, host: string): Promise<CaptureFile> {
  const tally = new CaptureTally(true)
  const {format, gen} = await open(path, host, tally)
  const events: CaptureEvent[] = []
  for await (const b of gen) for (const e of b) events.push(e)
  return {path, format, events, unparsed: tally.unparsed, ignored: tally.ignored, info: tally.info, total: tally.frames, vlanTagged: tally.vlanTagged}
}
