/**
 * The drill's packet capture: src/capture/runner.ts (tcpdump through the capture host's executor, lines parsed
 * as they arrive) seen as a CaptureSource.
 */
import {startCapture, type LiveCapture} from '../capture/runner.js'
import type {Executor} from '../exec/types.js'
import type {TimelineEvent} from '../store/run-types.js'
import type {CaptureSource} from './engine.js'

/**
 * With `pcapPath`, tcpdump also writes the packets there (`-w FILE --print`), on the capture host. With
 * `keep: false` the capture keeps nothing (no raw lines, no events: they go to `emit` only), for watches that
 * run for days.
 */
export function makeTcpdumpCapture(exec: Executor, iface: string, emit: (e: TimelineEvent) => void, pcapPath?: string, keep = true): CaptureSource {
  let live: LiveCapture | undefined
  return {
    host: exec.host,
    get pid() {
      return live?.pid
    },
    async start() {
      live = await startCapture({executor: exec, iface, onEvent: emit, ...(pcapPath === undefined ? {} : {pcapPath}), ...(keep ? {} : {keep: false as const})})
    },
    async stop() {
      if (live === undefined) return {unparsed: {count: 0, sample: []}, rawLines: [], pcap: null}
      const r = await live.stop()
      return {unparsed: {count: r.unparsed.length, sample: r.unparsed.slice(0, 20).map((u) => u.text)}, rawLines: keep ? r.raw : [], pcap: keep ? r.pcapPath : null}
    },
  }
}
