/**
 * VRRP and ARP events from pcap files (`tcpdump -w`). pcap-parser reads the file format (global header,
 * record headers with µs timestamps, frame bytes); the frames are decoded here by hand: Ethernet, 802.1Q /
 * 802.1ad tags, ARP (RFC 826) and IPv4 protocol 112, VRRP v2 (RFC 3768) and v3 (RFC 5798) headers.
 * By hand because no maintained JavaScript decoder covers these: node_pcap's decoders need its native
 * libpcap binding, and the pure-JS packet decoders on npm are unmaintained and know neither VRRP nor 802.1ad;
 * the few fields we need are fixed offsets (below), easy to check against tcpdump's text of the same capture
 * (the unit tests do: text and pcap of one capture give the same events).
 *
 * Timestamps: epoch µs from the record header (seconds × 10⁶ + microseconds, integer). pcap-parser only
 * knows the microsecond magic (a1b2c3d4); a nanosecond pcap (a1b23c4d) or a pcapng file is refused with a
 * clear error and the tcpdump command that converts it.
 */
import {createReadStream} from 'node:fs'
import {open} from 'node:fs/promises'

import {parse as parsePcap, type GlobalHeader, type Packet} from 'pcap-parser'

import {HachaosError, fileErrorText} from '../errors.js'
import {
  type ArpEvent,
  type CaptureEvent,
  type CaptureParse,
  type Unparsed,
  type VrrpAdvertEvent,
  hexPreview,
  isGratuitous,
  vrrpAuthName,
} from './events.js'

export const LINKTYPE_ETHERNET = 1

const ETH_HEADER = 14
const ETHERTYPE_IPV4 = 0x0800
const ETHERTYPE_ARP = 0x0806
/** 802.1Q, 802.1ad (QinQ) and the old 0x9100 QinQ tag. */
const VLAN_TPIDS = new Set([0x8100, 0x88a8, 0x9100])
const IPPROTO_VRRP = 112

export type PcapMagic = 'pcap-us' | 'pcap-ns' | 'pcapng' | 'unknown'

/** Which capture format the first 4 bytes announce. */
export function pcapMagic(head: Uint8Array): PcapMagic {
  if (head.length < 4) return 'unknown'
  const hex = Buffer.from(head.subarray(0, 4)).toString('hex')
  if (hex === 'a1b2c3d4' || hex === 'd4c3b2a1') return 'pcap-us'
  if (hex === 'a1b23c4d' || hex === '4d3cb2a1') return 'pcap-ns'
  if (hex === '0a0d0d0a') return 'pcapng'
  return 'unknown'
}

export type FrameOutcome =
  | {kind: 'event'; event: CaptureEvent; vlan: boolean}
  | {kind: 'unparsed'; reason: string; vlan: boolean}
  | {kind: 'ignored'; vlan: boolean}

const mac = (b: Uint8Array, off: number): string =>
  Array.from(b.subarray(off, off + 6), (x) => x.toString(16).padStart(2, '0')).join(':')
const ipv4 = (b: Uint8Array, off: number): string => Array.from(b.subarray(off, off + 4)).join('.')
const u16 = (b: Uint8Array, off: number): number => ((b[off] as number) << 8) | (b[off + 1] as number)

/**
 * Decode one Ethernet frame. `t` is its epoch µs timestamp, `host` the capture host.
 *
 * Offsets (after the Ethernet header and any VLAN tags):
 *   ARP:  htype(2) ptype(2) hlen(1) plen(1) op(2) sha(6) spa(4) tha(6) tpa(4)            = 28 bytes
 *   IPv4: ver/ihl(1) … protocol at 9, source address at 12; VRRP starts at ihl × 4:
 *   VRRP: ver/type(1) vrid(1) prio(1) count(1) then v2: authtype(1) adver_int s(1)
 *                                                 or v3: rsvd(4 bits) max_adver_int cs(12 bits)
 */
export function decodeFrame(frame: Uint8Array, t: number, host: string): FrameOutcome {
  if (frame.length < ETH_HEADER) return {kind: 'unparsed', reason: `truncated Ethernet header (${frame.length} bytes)`, vlan: false}
  const dmac = mac(frame, 0)
  const smac = mac(frame, 6)
  let type = u16(frame, 12)
  let off = ETH_HEADER
  let vlan = false
  for (let tags = 0; VLAN_TPIDS.has(type); tags++) {
    vlan = true
    if (tags >= 4) return {kind: 'unparsed', reason: 'more than four VLAN tags', vlan}
    if (frame.length < off + 4) return {kind: 'unparsed', reason: 'truncated 802.1Q tag', vlan}
    type = u16(frame, off + 2)
    off += 4
  }
  if (type === ETHERTYPE_ARP) return arp(frame, off, t, host, dmac, vlan)
  if (type === ETHERTYPE_IPV4) return vrrp(frame, off, t, host, smac, vlan)
  return {kind: 'ignored', vlan}
}

function arp(b: Uint8Array, off: number, t: number, host: string, dmac: string, vlan: boolean): FrameOutcome {
  if (b.length < off + 8) return {kind: 'unparsed', reason: 'truncated ARP header ([|arp])', vlan}
  const htype = u16(b, off)
  const ptype = u16(b, off + 2)
  const hlen = b[off + 4]
  const plen = b[off + 5]
  const op = u16(b, off + 6)
  if (htype !== 1 || ptype !== ETHERTYPE_IPV4 || hlen !== 6 || plen !== 4) return {kind: 'ignored', vlan}
  if (op !== 1 && op !== 2) return {kind: 'ignored', vlan}
  if (b.length < off + 28) return {kind: 'unparsed', reason: 'truncated ARP body ([|arp])', vlan}
  const opName = op === 1 ? 'request' : 'reply'
  const sip = ipv4(b, off + 14)
  const tip = ipv4(b, off + 24)
  const ev: ArpEvent = {
    type: 'arp',
    t,
    host,
    op: opName,
    sip,
    smac: mac(b, off + 8),
    tip,
    tmac: mac(b, off + 18),
    garp: isGratuitous(opName, sip, tip, dmac),
  }
  return {kind: 'event', event: ev, vlan}
}

function vrrp(b: Uint8Array, off: number, t: number, host: string, smac: string, vlan: boolean): FrameOutcome {
  if (b.length < off + 20) return {kind: 'unparsed', reason: 'truncated IPv4 header ([|ip])', vlan}
  const verIhl = b[off] as number
  if (verIhl >> 4 !== 4) return {kind: 'unparsed', reason: `IPv4 ethertype but IP version ${verIhl >> 4}`, vlan}
  if (b[off + 9] !== IPPROTO_VRRP) return {kind: 'ignored', vlan}
  const ihl = (verIhl & 0x0f) * 4
  if (ihl < 20) return {kind: 'unparsed', reason: `bad IPv4 header length ${ihl}`, vlan}
  if ((u16(b, off + 6) & 0x1fff) !== 0) return {kind: 'ignored', vlan} // a later fragment
  const src = ipv4(b, off + 12)
  const v = off + ihl
  if (b.length < v + 6) return {kind: 'unparsed', reason: 'truncated VRRP header ([|vrrp])', vlan}
  const verN = (b[v] as number) >> 4
  const vtype = (b[v] as number) & 0x0f
  if ((verN !== 2 && verN !== 3) || vtype !== 1) return {kind: 'ignored', vlan}
  const ver: 2 | 3 = verN
  const vrid = b[v + 1] as number
  if (vrid === 0) return {kind: 'unparsed', reason: 'VRRP advert with vrid 0', vlan}
  const ev: VrrpAdvertEvent = {
    type: 'vrrp.advert',
    t,
    host,
    src,
    smac,
    vrid,
    prio: b[v + 2] as number,
    intvl: ver === 2 ? (b[v + 5] as number) : ((((b[v + 4] as number) & 0x0f) << 8) | (b[v + 5] as number)) / 100,
    ver,
    ...(ver === 2 ? {auth: vrrpAuthName(b[v + 4] as number)} : {}),
  }
  return {kind: 'event', event: ev, vlan}
}

export interface PcapParse extends CaptureParse {
  linkType: number
  snaplen: number
}

function notPcap(path: string, message: string, ...suggestions: string[]): HachaosError {
  return new HachaosError(message, {code: 'E_CAPTURE_FORMAT', exit: 'BAD_INPUT', where: path, suggestions})
}

/** Read the first bytes of a file (clear errors for a missing or unreadable file). */
export async function readHead(path: string, n = 4096): Promise<Buffer> {
  let fh
  try {
    fh = await open(path, 'r')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new HachaosError(code === 'ENOENT' ? `${path} does not exist` : `cannot read ${path}: ${fileErrorText(e)}`, {
      code: 'E_READ_FILE',
      exit: 'BAD_INPUT',
      where: path,
      suggestions: ['check the path of the capture file'],
    })
  }
  try {
    const buf = Buffer.alloc(n)
    const {bytesRead} = await fh.read(buf, 0, n, 0)
    return buf.subarray(0, bytesRead)
  } catch (e) {
    throw new HachaosError(`cannot read ${path}: ${fileErrorText(e)}`, {code: 'E_READ_FILE', exit: 'BAD_INPUT', where: path})
  } finally {
    await fh.close()
  }
}

/** Read a pcap file into events. Throws HachaosError (BAD_INPUT) for files that are not µs pcaps. */
export async function readPcap(path: string, host: string): Promise<PcapParse> {
  const head = await readHead(path, 24)
  const magic = pcapMagic(head)
  if (magic === 'pcap-ns') {
    throw notPcap(
      path,
      `${path} is a nanosecond-resolution pcap, which the pcap reader (pcap-parser) does not support`,
      `convert it: tcpdump -r ${path} --time-stamp-precision=micro -w OUT.pcap`,
    )
  }
  if (magic === 'pcapng') {
    throw notPcap(path, `${path} is a pcapng file; hachaos reads classic pcap files (tcpdump -w)`, `convert it: tcpdump -r ${path} -w OUT.pcap`)
  }
  if (magic !== 'pcap-us') throw notPcap(path, `${path} is not a pcap file (magic ${head.subarray(0, 4).toString('hex') || 'none'})`)
  if (head.length < 24) throw notPcap(path, `${path} ends inside the pcap file header (${head.length} of 24 bytes)`)

  return new Promise<PcapParse>((resolve, reject) => {
    const res: PcapParse = {events: [], unparsed: [], ignored: 0, info: [], total: 0, vlanTagged: 0, linkType: -1, snaplen: 0}
    const stream = createReadStream(path)
    const parser = parsePcap(stream)
    let failed = false
    let headers = 0
    parser.on('packetHeader', () => {
      headers += 1
    })
    const fail = (e: HachaosError): void => {
      if (failed) return
      failed = true
      stream.destroy()
      reject(e)
    }
    parser.on('globalHeader', (h: GlobalHeader) => {
      res.linkType = h.linkLayerType
      res.snaplen = h.snapshotLength
      if (h.linkLayerType !== LINKTYPE_ETHERNET) {
        fail(
          notPcap(
            path,
            `${path} has link type ${h.linkLayerType}; hachaos decodes Ethernet captures (link type 1) only`,
            'capture on the Ethernet interface itself (tcpdump -i eth0), not on "any"',
          ),
        )
      }
    })
    parser.on('packet', (p: Packet) => {
      if (failed) return
      res.total += 1
      const t = p.header.timestampSeconds * 1_000_000 + p.header.timestampMicroseconds
      if (p.header.timestampMicroseconds > 999_999) {
        res.unparsed.push({n: res.total, text: hexPreview(p.data), reason: `bad record timestamp (${p.header.timestampMicroseconds} µs)`})
        return
      }
      const o = decodeFrame(p.data, t, host)
      if (o.vlan) res.vlanTagged += 1
      if (o.kind === 'event') res.events.push(o.event)
      else if (o.kind === 'ignored') res.ignored += 1
      else {
        const u: Unparsed = {n: res.total, text: hexPreview(p.data), reason: o.reason}
        res.unparsed.push(u)
      }
    })
    parser.on('error', (e: Error) => fail(notPcap(path, `${path}: ${e.message}`)))
    stream.on('error', (e: Error) => fail(notPcap(path, `cannot read ${path}: ${e.message}`)))
    parser.on('end', () => {
      if (failed) return
      const left = parser.buffer?.length ?? 0
      if (left > 0 || headers > res.total) {
        res.unparsed.push({
          n: res.total + 1,
          text: hexPreview(parser.buffer ?? Buffer.alloc(0)),
          reason: `the file ends inside a record (${left} bytes left over): cut short?`,
        })
      }
      resolve(res)
    })
  })
}
