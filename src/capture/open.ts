/**
 * A capture as a stream of events: the one place `hachaos capture analyze` gets its events from.
 *
 * Today this wraps the whole-file readers (readCaptureFile: pcap or tcpdump text) in an async iterable; the
 * streaming readers (feat/pcap's `openCapture(path, {host})` in src/capture/file.ts, same shape) replace the
 * body of `eventsOf` when they land (`return openCapture(path, {host})`). Until then the reader holds the
 * file's events while they are fed; each batch is dropped as soon as it has been handed on.
 */
import type {TimelineEvent} from '../store/run-types.js'
import type {CaptureEvent} from './events.js'
import {readCaptureFile} from './file.js'

export interface CaptureStream {
  format: string
  /** The events in capture order (a reorder window puts several hosts' events in time order). Read once. */
  events: AsyncIterable<TimelineEvent>
  /** The same events a batch at a time (fewer awaits); read either this or `events`. */
  batches?: AsyncIterable<TimelineEvent[]>
  /** Known once `events` is done. `unparsed.sample`: "N: reason: text" (N = frame or line number). */
  stats(): {frames: number; unparsed: {count: number; sample: string[]}; ignored?: number; vlanTagged?: number}
}

/** Unparsed lines/frames kept as samples (all are counted). */
const SAMPLE = 20
/** Events per batch. */
const BATCH = 4096

export async function eventsOf(path: string, host: string): Promise<CaptureStream> {
  const cap = await readCaptureFile(path, host)
  let held: CaptureEvent[] = cap.events
  cap.events = []
  async function* batches(): AsyncGenerator<TimelineEvent[]> {
    const all = held
    held = []
    for (let i = 0; i < all.length; i += BATCH) {
      const b = all.slice(i, i + BATCH)
      all.fill(undefined as unknown as CaptureEvent, i, i + BATCH)
      yield b
    }
  }
  async function* events(): AsyncGenerator<TimelineEvent> {
    for await (const b of batches()) yield* b
  }
  return {
    format: cap.format,
    events: events(),
    batches: batches(),
    stats: () => ({
      frames: cap.total,
      unparsed: {count: cap.unparsed.length, sample: cap.unparsed.slice(0, SAMPLE).map((u) => `${u.n}: ${u.reason}: ${u.text}`)},
      ignored: cap.ignored,
      vlanTagged: cap.vlanTagged,
    }),
  }
}
