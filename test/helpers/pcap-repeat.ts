/**
 * A big pcap from a real one: the records of a lab capture repeated with advancing timestamps (for the
 * streaming tests and `npm run bench`). A classic µs pcap writer in a few lines: the format is a 24-byte
 * header and a 16-byte header per record (tcpdump's own; no library writes pcap files without a capture
 * device).
 */
import {createWriteStream, readFileSync} from 'node:fs'
import {once} from 'node:events'

export interface PcapRecord {
  tUs: number
  data: Buffer
}

/** The records of a classic µs pcap (either byte order). */
export function readPcapRecords(path: string): {header: Buffer; little: boolean; records: PcapRecord[]} {
  const b = readFileSync(path)
  const magic = b.readUInt32LE(0)
  const little = magic === 0xa1b2c3d4
  if (!little && b.readUInt32BE(0) !== 0xa1b2c3d4) throw new Error(`${path}: not a µs pcap`)
  const u32 = (o: number): number => (little ? b.readUInt32LE(o) : b.readUInt32BE(o))
  const records: PcapRecord[] = []
  let o = 24
  while (o + 16 <= b.length) {
    const incl = u32(o + 8)
    records.push({tUs: u32(o) * 1_000_000 + u32(o + 4), data: b.subarray(o + 16, o + 16 + incl)})
    o += 16 + incl
  }
  return {header: b.subarray(0, 24), little, records}
}

/**
 * Write `frames` records: the source's records over and over, each repetition shifted by the source's
 * length + `gapUs`. Returns the number of repetitions.
 */
export async function writeRepeatedPcap(src: string, out: string, frames: number, gapUs = 1_000_000): Promise<number> {
  const {header, little, records} = readPcapRecords(src)
  const first = records[0]?.tUs ?? 0
  const span = (records[records.length - 1]?.tUs ?? 0) - first + gapUs
  const ws = createWriteStream(out)
  ws.write(header)
  let chunk: Buffer[] = []
  let size = 0
  let reps = 0
  for (let n = 0; n < frames; ) {
    for (const r of records) {
      if (n >= frames) break
      const t = r.tUs + reps * span
      const h = Buffer.alloc(16)
      const w = (v: number, at: number): void => {
        if (little) h.writeUInt32LE(v, at)
        else h.writeUInt32BE(v, at)
      }
      w(Math.floor(t / 1_000_000), 0)
      w(t % 1_000_000, 4)
      w(r.data.length, 8)
      w(r.data.length, 12)
      chunk.push(h, r.data)
      size += 16 + r.data.length
      n += 1
    }
    reps += 1
    if (size > 1 << 20) {
      if (!ws.write(Buffer.concat(chunk))) await once(ws, 'drain')
      chunk = []
      size = 0
    }
  }
  ws.end(Buffer.concat(chunk))
  await once(ws, 'finish')
  return reps
}
