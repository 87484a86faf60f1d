/** Types for pcap-parser 0.2 (CommonJS, ships none): only what src/capture/pcap.ts uses. */
declare module 'pcap-parser' {
  import type {EventEmitter} from 'node:events'
  import type {Readable} from 'node:stream'

  export interface GlobalHeader {
    magicNumber: number
    majorVersion: number
    minorVersion: number
    gmtOffset: number
    timestampAccuracy: number
    snapshotLength: number
    linkLayerType: number
  }

  export interface PacketHeader {
    timestampSeconds: number
    timestampMicroseconds: number
    capturedLength: number
    originalLength: number
  }

  export interface Packet {
    header: PacketHeader
    data: Buffer
  }

  export interface Parser extends EventEmitter {
    /** Bytes read but not consumed yet (a record cut short at the end of the file stays here). */
    buffer: Buffer | null
    on(event: 'globalHeader', listener: (h: GlobalHeader) => void): this
    on(event: 'packetHeader', listener: (h: PacketHeader) => void): this
    on(event: 'packet', listener: (p: Packet) => void): this
    on(event: 'end', listener: () => void): this
    on(event: 'error', listener: (e: Error) => void): this
  }

  export function parse(input: string | Readable): Parser
}
