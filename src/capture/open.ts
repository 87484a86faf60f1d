/**
 * A capture as a stream of events: the one place `hachaos capture analyze` gets its events from.
 *
 * It is the streaming reader, `openCapture(path, {host})` (src/capture/file.ts: pcap, pcapng, tcpdump text,
 * '-' for stdin, read through a fixed buffer), seen through the few fields the analysis needs.
 */
import type {TimelineEvent} from '../store/run-types.js'
import type {FrameBatch} from './pcap.js'
import {openCapture} from './file.js'

export interface CaptureStream {
  format: string
  /** The events in capture order (a reorder window puts several hosts' events in time order). Read once. */
  events: AsyncIterable<TimelineEvent>
  /** The same events a batch at a time (fewer awaits); read either this or `events`. */
  batches?: AsyncIterable<TimelineEvent[]>
  /** pcap and pcapng: the events as frame batches (shared events, their times beside them); read one of the three. */
  frames?: AsyncIterable<FrameBatch> | null
  /** Known once `events` is done. `unparsed.sample`: "N: reason: text" (N = frame or line number). */
  stats(): {frames: number; unparsed: {count: number; sample: string[]}; ignored?: number; vlanTagged?: number}
}


export async function eventsOf(path: string, host: string): Promise<CaptureStream> {
  return openCapture(path, {host})
}
