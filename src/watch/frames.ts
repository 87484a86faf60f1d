/**
 * The pcap slice of an incident: the watcher keeps the raw frames of the last minutes in a bounded ring and,
 * once an incident is recorded, writes the frames of [incident start − margin, incident end + margin] as a
 * classic pcap file (LINKTYPE_ETHERNET, µs timestamps) next to the incident's record, which `tcpdump -r` and
 * Wireshark read.
 *
 * Where the frames come from: a second tcpdump on the capture host printing every frame in hex
 * (`tcpdump -l -n -tt -xx -s 256 …`), read line by line through the host's Executor like the event capture
 * (src/capture/runner.ts). Hand-written because the Executor streams lines, not bytes (a `-w -` pcap stream
 * would need a binary channel through ssh and nsenter), and tcpdump's hex dump is a stable, line-oriented
 * rendering of the same bytes. The captured length is at most SNAPLEN (VRRP and ARP frames are < 100 bytes),
 * and the pcap record's original length is the captured one (tcpdump -xx does not print the wire length).
 *
 * Memory bound (FrameRing, checked with counts in test/unit/watch/frames.test.ts): at most `maxFrames` frames
 * and `maxBytes` bytes of frame data (defaults 16,384 frames, 4 MiB), oldest dropped first, and none older
 * than `keepUs` before the newest (the watcher: what a slice can reach back to); plus one frame being
 * assembled (≤ SNAPLEN bytes). Nothing grows with the time the watch runs.
 */
import {writeFile} from 'node:fs/promises'

import type {Executor, Spawned} from '../exec/types.js'

/** Bytes of each frame tcpdump prints (and the pcap's snaplen). */
export const SNAPLEN = 256
export const DEFAULT_MAX_FRAMES = 16_384
export const DEFAULT_MAX_BYTES = 4 << 20

export interface Frame {
  /** Capture time, epoch µs (the capture host's clock, like the events). */
  t: number
  data: Uint8Array
}

/** tcpdump argv of the frame capture (what `--dry-run` would show). */
export function frameCaptureArgv(iface: string, filter: string): string[] {
  return ['tcpdump', '-l', '-n', '-tt', '-xx', '-s', String(SNAPLEN), '--immediate-mode', '-i', iface, filter]
}

const HEADER = /^(\d{9,})\.(\d{6})\s/
const HEX = /^\s+0x[0-9a-f]+:\s+((?:[0-9a-f]{2,4}\s?)+)/i

/**
 * tcpdump -tt -xx text → frames: a header line ("SECONDS.MICROS …") starts a frame, the indented
 * "0xOFFS:  hhhh hhhh …" lines after it are its bytes. A frame is complete when the next header comes
 * (or flush()). Lines of anything else are ignored (counted in `skipped`).
 */
export class HexFrameParser {
  private t: number | null = null
  private readonly buf = new Uint8Array(SNAPLEN)
  private len = 0
  skipped = 0

  constructor(private readonly onFrame: (f: Frame) => void) {}

  line(text: string): void {
    const h = HEADER.exec(text)
    if (h !== null) {
      this.flush()
      this.t = Number(h[1]) * 1e6 + Number(h[2])
      this.len = 0
      return
    }
    const x = this.t === null ? null : HEX.exec(text)
    if (x === null) {
      this.skipped++
      return
    }
    const hex = (x[1] as string).replace(/\s+/g, '')
    for (let i = 0; i + 1 < hex.length && this.len < SNAPLEN; i += 2) this.buf[this.len++] = parseInt(hex.slice(i, i + 2), 16)
  }

  flush(): void {
    if (this.t !== null && this.len > 0) this.onFrame({t: this.t, data: this.buf.slice(0, this.len)})
    this.t = null
    this.len = 0
  }
}

/** A ring of the most recent frames, bounded in frames and in bytes (oldest dropped first). */
export class FrameRing {
  private readonly buf: Array<Frame | undefined>
  private head = 0
  size = 0
  bytes = 0
  dropped = 0

  constructor(
    readonly maxFrames = DEFAULT_MAX_FRAMES,
    readonly maxBytes = DEFAULT_MAX_BYTES,
    /** Frames older than the newest − keepUs are dropped too (a slice never reaches further back). */
    readonly keepUs = Number.POSITIVE_INFINITY,
  ) {
    this.buf = new Array<Frame | undefined>(maxFrames)
  }

  push(f: Frame): void {
    if (f.data.length > this.maxBytes) return
    while (this.size > 0 && (this.buf[this.head]?.t ?? Infinity) < f.t - this.keepUs) this.shift()
    while (this.size > 0 && (this.size === this.maxFrames || this.bytes + f.data.length > this.maxBytes)) this.shift()
    this.buf[(this.head + this.size) % this.maxFrames] = f
    this.size++
    this.bytes += f.data.length
  }

  private shift(): void {
    const f = this.buf[this.head]
    this.bytes -= f?.data.length ?? 0
    this.buf[this.head] = undefined
    this.head = (this.head + 1) % this.maxFrames
    this.size--
    this.dropped++
  }

  /** The oldest frame's time (null: empty): a slice starting before it is incomplete. */
  oldestUs(): number | null {
    return this.size === 0 ? null : (this.buf[this.head]?.t ?? null)
  }

  /** Frames with fromUs ≤ t ≤ toUs, in capture order. */
  slice(fromUs: number, toUs: number): Frame[] {
    const out: Frame[] = []
    for (let i = 0; i < this.size; i++) {
      const f = this.buf[(this.head + i) % this.maxFrames]
      if (f !== undefined && f.t >= fromUs && f.t <= toUs) out.push(f)
    }
    return out
  }
}

/** A classic pcap file (little-endian, µs, LINKTYPE_ETHERNET) of the frames. */
export function pcapBytes(frames: readonly Frame[]): Buffer {
  const size = 24 + frames.reduce((s, f) => s + 16 + f.data.length, 0)
  const b = Buffer.alloc(size)
  b.writeUInt32LE(0xa1b2c3d4, 0)
  b.writeUInt16LE(2, 4)
  b.writeUInt16LE(4, 6)
  b.writeInt32LE(0, 8)
  b.writeUInt32LE(0, 12)
  b.writeUInt32LE(SNAPLEN, 16)
  b.writeUInt32LE(1, 20)
  let o = 24
  for (const f of frames) {
    b.writeUInt32LE(Math.floor(f.t / 1e6), o)
    b.writeUInt32LE(Math.round(f.t % 1e6), o + 4)
    b.writeUInt32LE(f.data.length, o + 8)
    b.writeUInt32LE(f.data.length, o + 12)
    b.set(f.data, o + 16)
    o += 16 + f.data.length
  }
  return b
}

export async function writePcapSlice(path: string, frames: readonly Frame[]): Promise<void> {
  await writeFile(path, pcapBytes(frames))
}

/** The live frame capture: tcpdump -xx through the capture host's executor into a FrameRing. */
export class FrameCapture {
  readonly ring: FrameRing
  private readonly parser: HexFrameParser
  private proc: Spawned | undefined
  frames = 0

  constructor(
    private readonly exec: Executor,
    private readonly iface: string,
    private readonly filter: string,
    bound: {maxFrames?: number; maxBytes?: number; keepMs?: number} = {},
  ) {
    this.ring = new FrameRing(bound.maxFrames, bound.maxBytes, (bound.keepMs ?? Number.POSITIVE_INFINITY) * 1000)
    this.parser = new HexFrameParser((f) => {
      this.frames++
      this.ring.push(f)
    })
  }

  start(): void {
    if (this.proc !== undefined) return
    this.proc = this.exec.spawn(frameCaptureArgv(this.iface, this.filter), {
      onLine: (l) => {
        if (l.stream === 'stdout') this.parser.line(l.text)
      },
    })
  }

  async stop(): Promise<void> {
    await this.proc?.stop({graceMs: 500})
    this.parser.flush()
  }
}
