/**
 * A capture as a stream of events: the one place `hachaos capture analyze` gets its events from.
 *
 * Today this wraps the whole-file readers (readCaptureFile: pcap or tcpdump text) in an async iterable; the
 * streaming readers (feat/pcap's `openCapture(path)` in src/capture/file.ts, same shape) replace the body of
 * `eventsOf` when they land. Until then the reader holds the file's events while they are fed; each is
 * dropped from the array as soon as it has been handed on.
 */
import type {TimelineEvent} from '../store/run-types.js'
import type {CaptureEvent} from './events.js'
import {readCaptureFile} from './file.js'

export interface CaptureStream {
  format: string
  /** The events in capture order (a reorder window puts several hosts' events in time order). */
  events: AsyncIterable<TimelineEvent>
  /** Known once `events` is done. `unparsed.sample`: "N: reason: text" (N = frame or line number). */
  stats(): {frames: number; unparsed: {count: number; sample: string[]}; ignored?: number; vlanTagged?: number}
}

/** Unparsed lines/frames kept as samples (all are counted). */
const SAMPLE = 20

export async function eventsOf(path: string, host: string): Promise<CaptureStream> {
  const cap = await readCaptureFile(path, host)
  const held: Array<CaptureEvent | undefined> = cap.events
  cap.events = []
  async function* events(): AsyncGenerator<TimelineEvent> {
    for (let i = 0; i < held.length; i++) {
      const e = held[i] as CaptureEvent
      held[i] = undefined
      yield e
    }
    held.length = 0
  }
  return {
    format: cap.format,
    events: events(),
    stats: () => ({
      frames: cap.total,
      unparsed: {count: cap.unparsed.length, sample: cap.unparsed.slice(0, SAMPLE).map((u) => `${u.n}: ${u.reason}: ${u.text}`)},
      ignored: cap.ignored,
      vlanTagged: cap.vlanTagged,
    }),
  }
}
