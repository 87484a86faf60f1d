/**
 * VRRP and ARP events from classic pcap files (`tcpdump -w`; microsecond magic a1b2c3d4 and nanosecond magic
 * a1b23c4d, either byte order), read as a stream, and the frame decoder shared with the pcapng reader
 * (pcapng.ts). Frames are decoded by hand: Ethernet, 802.1Q / 802.1ad tags, ARP (RFC 826), IPv4 protocol 112
 * and IPv6 next header 112 (VRRPv3 over IPv6, RFC 5798, to ff02::12), VRRP v2 (RFC 3768) and v3 headers.
 * By hand because no maintained JavaScript decoder covers these: node_pcap's decoders need its native
 * libpcap binding, and the pure-JS packet decoders on npm are unmaintained and know neither VRRP nor 802.1ad;
 * the few fields we need are fixed offsets (below), easy to check against tcpdump's text of the same capture
 * (the unit tests do: text and pcap of one capture give the same events).
 *
 * The record loop is hand-written too (it replaced pcap-parser 0.2.1): pcap-parser concatenated its buffer on
 * every chunk and re-scanned it, which went quadratic on a record length larger than the snapshot length (a
 * corrupt file: 12 s for 32 MB), knew no nanosecond pcap, masked no link-type flag bits and emitted one object
 * per packet; the format is 24 bytes of file header and 16 bytes per record, so a loop over a fixed-size
 * buffer (source.ts) is short and reads 1 M frames in a fraction of tcpdump's time (npm run bench).
 *
 * Checks, as libpcap does them (sf-pcap.c): the link type is the low 16 bits of its field (the upper bits carry
 * the FCS length and flags); a snapshot length of 0 or above 262144 means 262144; a record whose captured
 * length is larger than the snapshot length is corruption: the read stops with a BAD_INPUT error naming the
 * record and its byte offset (as tcpdump does), never reading on. A frame is decoded from its captured bytes
 * only: a frame cut by the snapshot length is reported truncated ([|vrrp], [|arp]) as tcpdump prints it.
 *
 * Timestamps: epoch µs from the record header (seconds × 10⁶ + microseconds, integer; nanoseconds are
 * truncated to µs, as everywhere in hachaos).
 */
import {HachaosError} from '../errors.js'
import {
  type ArpEvent,
  type CaptureEvent,
  type CaptureParse,
  CaptureTally,
  type VrrpAdvertEvent,
  hexPreview,
  vrrpAuthName,
} from './events.js'
import {n, q} from '../timeline/json-lines.js'
import {BATCH, ByteSource, framed} from './source.js'
import {type Around, around} from '../util/digits.js'

export const LINKTYPE_ETHERNET = 1

const ETH_HEADER = 14
const ETHERTYPE_IPV4 = 0x0800
const ETHERTYPE_ARP = 0x0806
const ETHERTYPE_IPV6 = 0x86dd
/** 802.1Q, 802.1ad (QinQ) and the old 0x9100 QinQ tag. */
const isVlanTpid = (t: number): boolean => t === 0x8100 || t === 0x88a8 || t === 0x9100
const IPPROTO_VRRP = 112
/** libpcap's largest snapshot length for Ethernet (MAXIMUM_SNAPLEN): 0 or more in a file header means this. */
export const MAX_SNAPLEN = 262144

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

/** The link type of a pcap header or pcapng interface field, as libpcap reads it (LT_LINKTYPE: low 16 bits). */
export function linkTypeOf(field: number): {linkType: number; fcsBytes: number} {
  // LT_FCS_LENGTH_PRESENT (0x04000000): the upper 4 bits give the FCS length in 16-bit words.
  const fcsBytes = (field & 0x04000000) !== 0 ? (field >>> 28) * 2 : 0
  return {linkType: field & 0xffff, fcsBytes}
}

export type FrameOutcome =
  | {kind: 'event'; event: CaptureEvent; vlan: boolean}
  | {kind: 'unparsed'; reason: string; vlan: boolean}
  | {kind: 'ignored'; vlan: boolean}

const HEX2 = Array.from({length: 256}, (_, i) => i.toString(16).padStart(2, '0'))
const HEX = Array.from({length: 256}, (_, i) => i.toString(16))
const DEC = Array.from({length: 256}, (_, i) => String(i))
/**
 * Address strings, cached by value: a capture repeats a handful of MACs and IPs a million times, and building
 * each string anew was half the reading time (in the garbage collector). At most CACHE entries each (cleared
 * when full): bounded memory.
 */
const CACHE = 4096
const macs = new Map<number, string>()
const ip4s = new Map<number, string>()
function mac(b: Uint8Array, o: number): string {
  const k = (((b[o] as number) << 16) | ((b[o + 1] as number) << 8) | (b[o + 2] as number)) * 16777216 + (((b[o + 3] as number) << 16) | ((b[o + 4] as number) << 8) | (b[o + 5] as number))
  let s = macs.get(k)
  if (s === undefined) {
    if (macs.size >= CACHE) macs.clear()
    s = `${HEX2[b[o] as number]}:${HEX2[b[o + 1] as number]}:${HEX2[b[o + 2] as number]}:${HEX2[b[o + 3] as number]}:${HEX2[b[o + 4] as number]}:${HEX2[b[o + 5] as number]}`
    macs.set(k, s)
  }
  return s
}
function ipv4(b: Uint8Array, o: number): string {
  const k = (((b[o] as number) << 24) | ((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number)) >>> 0
  let s = ip4s.get(k)
  if (s === undefined) {
    if (ip4s.size >= CACHE) ip4s.clear()
    s = `${DEC[b[o] as number]}.${DEC[b[o + 1] as number]}.${DEC[b[o + 2] as number]}.${DEC[b[o + 3] as number]}`
    ip4s.set(k, s)
  }
  return s
}
/** An IPv4 address as a 32-bit unsigned number. */
const ip4n = (b: Uint8Array, o: number): number => (((b[o] as number) << 24) | ((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number)) >>> 0
/** An IPv4 address (a number, ip4n) as text, cached. */
function ipv4n(k: number): string {
  let s = ip4s.get(k)
  if (s === undefined) {
    if (ip4s.size >= CACHE) ip4s.clear()
    s = `${DEC[k >>> 24]}.${DEC[(k >>> 16) & 255]}.${DEC[(k >>> 8) & 255]}.${DEC[k & 255]}`
    ip4s.set(k, s)
  }
  return s
}
const u16 = (b: Uint8Array, off: number): number => ((b[off] as number) << 8) | (b[off + 1] as number)
/** A 32-bit unsigned integer in either byte order (plain byte reads: cheaper than Buffer.readUInt32LE's checks). */
export const u32 = (b: Uint8Array, o: number, le: boolean): number =>
  le
    ? ((b[o] as number) | ((b[o + 1] as number) << 8) | ((b[o + 2] as number) << 16)) + (b[o + 3] as number) * 16777216
    : (((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number)) + (b[o] as number) * 16777216
const isBroadcast = (b: Uint8Array, o: number): boolean =>
  b[o] === 0xff && b[o + 1] === 0xff && b[o + 2] === 0xff && b[o + 3] === 0xff && b[o + 4] === 0xff && b[o + 5] === 0xff

/** An IPv6 address as glibc's inet_ntop (and so tcpdump -n) prints it: RFC 5952, "::" for the longest zero run ≥ 2. */
export function ipv6(b: Uint8Array, o: number): string {
  const w: number[] = []
  for (let i = 0; i < 8; i++) w.push(u16(b, o + 2 * i))
  let best = -1
  let bestLen = 0
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && w[j] === 0) j++
    if (j - i > bestLen) {
      best = i
      bestLen = j - i
    }
    i = j
  }
  if (bestLen < 2) best = -1
  if (best === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
    return `::${bestLen === 5 ? 'ffff:' : ''}${ipv4(b, o + 12)}`
  }
  let s = ''
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      s += '::'
      i += bestLen - 1
      continue
    }
    if (s !== '' && !s.endsWith(':')) s += ':'
    s += ((w[i] as number) >> 8 === 0 ? HEX[w[i] as number] : (w[i] as number).toString(16)) as string
  }
  return s
}

/**
 * What decodeAt() said besides its return value (module state, so that a frame costs no outcome object):
 * `reason` is why it returned null ('' = a well-formed frame of another kind, ignored; else unparsed), `tagged`
 * whether the frame had VLAN tags.
 */
export const decoded = {reason: '', tagged: false}

/**
 * Decode one Ethernet frame held in b[s, e) (its captured bytes: nothing past e is read). `t` is its epoch µs
 * timestamp, `host` the capture host, `iface` the capture interface when the file names it (pcapng).
 * Returns the event, or null (see `decoded`).
 *
 * Offsets (after the Ethernet header and any VLAN tags; `vlan` on the event is the innermost tag's id):
 *   ARP:  htype(2) ptype(2) hlen(1) plen(1) op(2) sha(6) spa(4) tha(6) tpa(4)            = 28 bytes
 *         (any hardware type with 6-byte addresses, as tcpdump's text shows them alike)
 *   IPv4: ver/ihl(1) … protocol at 9, source address at 12; VRRP starts at ihl × 4
 *   IPv6: next header at 6, source address at 8 (16 bytes); hop-by-hop, routing and destination options
 *         headers are skipped; VRRP follows
 *   VRRP: ver/type(1) vrid(1) prio(1) count(1) then v2: authtype(1) adver_int s(1)
 *                                                 or v3: rsvd(4 bits) max_adver_int cs(12 bits)
 */
export function decodeAt(b: Uint8Array, s: number, e: number, t: number, host: string, iface: string | undefined): CaptureEvent | null {
  const kind = parseAt(b, s, e)
  return kind === NONE ? null : build(b, t, host, iface)
}

/**
 * What parseAt() found, as numbers (module state: a frame costs no object): the fields an event is made of,
 * and the offsets of its MACs (and of an IPv6 source) in the frame.
 */
const NONE = 0
const ARP = 1
const VRRP4 = 2
const VRRP6 = 3
const F = {kind: NONE, vlan: -1, op: 0, sip: 0, tip: 0, smacAt: 0, tmacAt: 0, garp: false, vrid: 0, prio: 0, ver: 0, intvl: 0, auth: 0, src6At: 0}

/** Decode the frame's headers into F; the kind (NONE: no event, see `decoded`). */
function parseAt(b: Uint8Array, s: number, e: number): number {
  decoded.tagged = false
  decoded.reason = ''
  F.kind = NONE
  if (e - s < ETH_HEADER) return unparsedBecause(`truncated Ethernet header (${e - s} bytes) ([|ether])`)
  let type = u16(b, s + 12)
  let off = s + ETH_HEADER
  let vlanId = -1
  for (let tags = 0; isVlanTpid(type); tags++) {
    decoded.tagged = true
    if (tags >= 4) return unparsedBecause('more than four VLAN tags')
    if (e < off + 4) return unparsedBecause('truncated 802.1Q tag ([|vlan])')
    vlanId = u16(b, off) & 0x0fff
    type = u16(b, off + 2)
    off += 4
  }
  F.vlan = vlanId
  if (type === ETHERTYPE_ARP) F.kind = arp(b, s, off, e)
  else if (type === ETHERTYPE_IPV4) F.kind = vrrp4(b, s, off, e)
  else if (type === ETHERTYPE_IPV6) F.kind = vrrp6(b, s, off, e)
  return F.kind
}

/** The event parseAt() found (F), as a new object. */
function build(b: Uint8Array, t: number, host: string, iface: string | undefined): CaptureEvent {
  let ev: CaptureEvent
  if (F.kind === ARP) {
    const a: ArpEvent = {type: 'arp', t, host, op: F.op === 1 ? 'request' : 'reply', sip: ipv4n(F.sip), smac: mac(b, F.smacAt), tip: ipv4n(F.tip), tmac: mac(b, F.tmacAt), garp: F.garp}
    ev = a
  } else {
    const src = F.kind === VRRP4 ? ipv4n(F.sip) : ipv6(b, F.src6At)
    const smac = mac(b, F.smacAt)
    const v: VrrpAdvertEvent =
      F.ver === 2
        ? {type: 'vrrp.advert', t, host, src, smac, vrid: F.vrid, prio: F.prio, intvl: F.intvl, ver: 2, auth: vrrpAuthName(F.auth)}
        : {type: 'vrrp.advert', t, host, src, smac, vrid: F.vrid, prio: F.prio, intvl: F.intvl / 100, ver: 3}
    ev = v
  }
  if (F.vlan >= 0) ev.vlan = F.vlan
  if (iface !== undefined) ev.iface = iface
  return ev
}

/**
 * An event shared by every frame of the same content (`ev.t` is 0: the frame's time goes beside it, e.g.
 * TimelineMachine.pushAt). A capture repeats a handful of frames (each master's advert, each GARP) a million
 * times: one object per distinct frame instead of one per frame took the garbage collector (a fifth of
 * `capture analyze`) out of the read. `k0`…`k6`: the fields it was made of, as numbers; `json`: the NDJSON
 * text around its time, made by the first writer that needs it (see eventJsonParts).
 */
export interface SharedEvent {
  ev: CaptureEvent
  k0: number
  k1: number
  k2: number
  k3: number
  k4: number
  k5: number
  k6: number
  json: Around | null
}

/** Slots of an EventCache (direct-mapped: a new event takes its slot's place): bounded memory. */
const SLOTS = 4096

/** The shared events of one capture host and interface (decodeShared). */
export class EventCache {
  private readonly slots: Array<SharedEvent | undefined> = new Array<SharedEvent | undefined>(SLOTS)
  constructor(
    readonly host: string,
    readonly iface: string | undefined,
  ) {}

  /** The shared event for F (made when its slot holds another). */
  lookup(b: Uint8Array): SharedEvent {
    let k0: number, k1: number, k2: number, k3: number, k4: number, k5: number
    const smacHi = ((b[F.smacAt] as number) << 16) | ((b[F.smacAt + 1] as number) << 8) | (b[F.smacAt + 2] as number)
    const smacLo = ((b[F.smacAt + 3] as number) << 16) | ((b[F.smacAt + 4] as number) << 8) | (b[F.smacAt + 5] as number)
    if (F.kind === ARP) {
      k0 = F.sip
      k1 = F.tip
      k2 = smacHi | (F.op << 24) | (F.garp ? 1 << 27 : 0)
      k3 = smacLo
      k4 = ((b[F.tmacAt] as number) << 16) | ((b[F.tmacAt + 1] as number) << 8) | (b[F.tmacAt + 2] as number)
      k5 = ((b[F.tmacAt + 3] as number) << 16) | ((b[F.tmacAt + 4] as number) << 8) | (b[F.tmacAt + 5] as number)
    } else {
      k0 = F.sip
      k1 = F.vrid | (F.prio << 8) | (F.ver << 16) | (F.auth << 20)
      k2 = smacHi
      k3 = smacLo
      k4 = F.intvl
      k5 = 0
    }
    const k6 = (F.vlan + 1) | (F.kind << 16)
    let h = Math.imul(k0 ^ 0x5bd1e995, 0x9e3779b1)
    h = Math.imul(h ^ k1 ^ (h >>> 15), 0x85ebca6b)
    h = Math.imul(h ^ k2 ^ (h >>> 13), 0xc2b2ae35)
    h = Math.imul(h ^ k3 ^ (h >>> 16), 0x9e3779b1)
    h = Math.imul(h ^ k4 ^ (h >>> 15), 0x85ebca6b)
    h = Math.imul(h ^ k5 ^ k6 ^ (h >>> 13), 0xc2b2ae35)
    const i = (h ^ (h >>> 16)) & (SLOTS - 1)
    const hit = this.slots[i]
    if (hit !== undefined && hit.k0 === k0 && hit.k1 === k1 && hit.k2 === k2 && hit.k3 === k3 && hit.k4 === k4 && hit.k5 === k5 && hit.k6 === k6) return hit
    const made: SharedEvent = {ev: build(b, 0, this.host, this.iface), k0, k1, k2, k3, k4, k5, k6, json: null}
    // an IPv6 source is not in the key: such events are not shared
    if (F.kind !== VRRP6) this.slots[i] = made
    return made
  }
}

/** Decode one Ethernet frame in b[s, e) into the cache's shared event, or null (see `decoded`). */
export function decodeShared(b: Uint8Array, s: number, e: number, cache: EventCache): SharedEvent | null {
  return parseAt(b, s, e) === NONE ? null : cache.lookup(b)
}

/**
 * The NDJSON line of a shared event without its time: what decodedEventJson writes before and after the
 * value of "t" (the time is written between them, as n() writes it: a plain integer).
 */
export function eventJsonParts(se: SharedEvent): Around {
  if (se.json !== null) return se.json
  const s = decodedEventJson(se.ev)
  const at = s.indexOf('"t":0,') + 4
  se.json = around(Buffer.from(s.slice(0, at), 'latin1'), Buffer.from(`${s.slice(at + 1)}\n`, 'utf8'))
  return se.json
}

function unparsedBecause(reason: string): number {
  decoded.reason = reason
  return NONE
}

/** Decode one Ethernet frame (all of `frame` is its captured bytes); see decodeAt. */
export function decodeFrame(frame: Uint8Array, t: number, host: string, iface?: string): FrameOutcome {
  const ev = decodeAt(frame, 0, frame.length, t, host, iface)
  const vlan = decoded.tagged
  if (ev !== null) return {kind: 'event', event: ev, vlan}
  if (decoded.reason === '') return {kind: 'ignored', vlan}
  return {kind: 'unparsed', reason: decoded.reason, vlan}
}

function arp(b: Uint8Array, s: number, off: number, e: number): number {
  if (e < off + 8) return unparsedBecause('truncated ARP header ([|arp])')
  const ptype = u16(b, off + 2)
  const hlen = b[off + 4]
  const plen = b[off + 5]
  const op = u16(b, off + 6)
  if (ptype !== ETHERTYPE_IPV4 || hlen !== 6 || plen !== 4) {
    // not Ethernet/IPv4 ARP: ignored, unless its own lengths run past the captured bytes (tcpdump: [|arp])
    if (e < off + 8 + 2 * ((hlen as number) + (plen as number))) return unparsedBecause(`truncated ARP body: hardware length ${hlen}, protocol length ${plen} ([|arp])`)
    return NONE
  }
  // cut before its addresses: truncated, whatever its operation (as tcpdump: "[|arp]")
  if (e < off + 28) return unparsedBecause('truncated ARP body ([|arp])')
  if (op !== 1 && op !== 2) return NONE
  const sip = ip4n(b, off + 14)
  const tip = ip4n(b, off + 24)
  // isGratuitous() (events.ts) on bytes: sender IP = target IP (not 0.0.0.0), or a reply to the broadcast MAC
  const probe = sip === 0
  F.op = op
  F.sip = sip
  F.tip = tip
  F.smacAt = off + 8
  F.tmacAt = off + 18
  F.garp = !probe && (sip === tip || (op === 2 && isBroadcast(b, s)))
  return ARP
}

function vrrp4(b: Uint8Array, s: number, off: number, e: number): number {
  if (e < off + 20) return unparsedBecause('truncated IPv4 header ([|ip])')
  const verIhl = b[off] as number
  if (verIhl >> 4 !== 4) return unparsedBecause(`IPv4 ethertype but IP version ${verIhl >> 4}`)
  if (b[off + 9] !== IPPROTO_VRRP) return NONE
  const ihl = (verIhl & 0x0f) * 4
  if (ihl < 20) return unparsedBecause(`bad IPv4 header length ${ihl}`)
  if ((u16(b, off + 6) & 0x1fff) !== 0) return NONE // a later fragment
  F.sip = ip4n(b, off + 12)
  const k = vrrp(b, s, off + ihl, e, VRRP4)
  // A VRRPv2 advert (RFC 3768) is 8 bytes, count × 4 of addresses and 8 of authentication data. CARP (OpenBSD,
  // FreeBSD; also IP protocol 112, version 2, type 1, as tcpdump prints it without -T carp) is 36 bytes with its
  // authlen (7) where the count is, its advskew where the priority is: not an advert to read as VRRP.
  if (k === VRRP4 && F.ver === 2 && u16(b, off + 2) - ihl < 16 + 4 * (b[off + ihl + 3] as number)) return notVrrpV2(u16(b, off + 2) - ihl, b[off + ihl + 3] as number)
  return k
}

/** (rare path) a version-2 packet of IP protocol 112 too short for its address count: CARP, or broken. */
function notVrrpV2(len: number, count: number): number {
  F.kind = NONE
  return unparsedBecause(`IP protocol 112, version 2, but not a VRRPv2 advert: ${count} addresses and the authentication data need ${16 + 4 * count} bytes, it has ${len} (CARP? hachaos reads VRRP)`)
}

function vrrp6(b: Uint8Array, s: number, off: number, e: number): number {
  if (e < off + 40) return unparsedBecause('truncated IPv6 header ([|ip6])')
  if ((b[off] as number) >> 4 !== 6) return NONE // not IPv6 after all: not VRRP either
  let nh = b[off + 6] as number
  let p = off + 40
  // Extension headers before VRRP (hop-by-hop 0, routing 43, destination options 60; a fragment 44 with a
  // non-zero offset is a later fragment): at most 8, each at least 8 bytes.
  for (let i = 0; i < 8 && (nh === 0 || nh === 43 || nh === 60 || nh === 44); i++) {
    if (e < p + 8) return unparsedBecause('truncated IPv6 extension header ([|ip6])')
    if (nh === 44 && (u16(b, p + 2) & 0xfff8) !== 0) return NONE
    const len = nh === 44 ? 8 : ((b[p + 1] as number) + 1) * 8
    nh = b[p] as number
    p += len
  }
  if (nh !== IPPROTO_VRRP) return NONE
  F.sip = 0
  F.src6At = off + 8
  return vrrp(b, s, p, e, VRRP6)
}

function vrrp(b: Uint8Array, s: number, v: number, e: number, kind: number): number {
  if (e < v + 6) return unparsedBecause('truncated VRRP header ([|vrrp])')
  const verN = (b[v] as number) >> 4
  const vtype = (b[v] as number) & 0x0f
  if ((verN !== 2 && verN !== 3) || vtype !== 1) return NONE
  const vrid = b[v + 1] as number
  if (vrid === 0) return unparsedBecause('VRRP advert with vrid 0')
  F.smacAt = s + 6
  F.vrid = vrid
  F.prio = b[v + 2] as number
  F.ver = verN
  if (verN === 2) {
    F.intvl = b[v + 5] as number
    F.auth = b[v + 4] as number
  } else {
    F.intvl = (((b[v + 4] as number) & 0x0f) << 8) | (b[v + 5] as number)
    F.auth = 0
  }
  return kind
}

export interface PcapParse extends CaptureParse {
  linkType: number
  snaplen: number
}

export function captureError(path: string, message: string, ...suggestions: string[]): HachaosError {
  return new HachaosError(message, {code: 'E_CAPTURE_FORMAT', exit: 'BAD_INPUT', where: path, suggestions})
}

/** A corrupt record or block: the read stops here (as tcpdump's does). */
export function corruptError(path: string, message: string): HachaosError {
  return new HachaosError(message, {
    code: 'E_CAPTURE_CORRUPT',
    exit: 'BAD_INPUT',
    where: path,
    suggestions: [`see what tcpdump makes of it: tcpdump -r ${path} -n | tail`, 'the records before this point were read; the file is damaged from here on'],
  })
}

/** Read the first bytes of a file (clear errors for a missing or unreadable file). */
export async function readHead(path: string, n = 4096): Promise<Buffer> {
  const src = await ByteSource.open(path)
  await src.close()
  return src.head.subarray(0, n)
}

/** The work buffer of the record loop: larger than the largest record (16 + MAX_SNAPLEN) plus one read. */
const WORK = 2 << 20

/** What the pcap file header said. */
export interface PcapHeader {
  linkType: number
  snaplen: number
  nano: boolean
  fcsBytes: number
}

/**
 * The classic pcap record loop over a byte stream: yields the events of each buffer-full, counts the rest in
 * `tally`. Memory: the fixed work buffer and the events of one buffer-full (the caller folds them in).
 */
export async function* pcapEvents(src: ByteSource, host: string, tally: CaptureTally, onHeader?: (h: PcapHeader) => void): AsyncGenerator<CaptureEvent[]> {
  for await (const fb of pcapFrames(src, host, tally, onHeader)) yield eventsOf(fb)
}

/**
 * Frames decoded to shared events (decodeShared), a buffer-full at a time: `events[i]` happened at `times[i]`
 * (epoch µs). The arrays are the batch's own (not reused).
 */
export interface FrameBatch {
  events: SharedEvent[]
  times: number[]
}

/** A batch of frames as events of their own (the object API). */
export function eventsOf(fb: FrameBatch): CaptureEvent[] {
  const out: CaptureEvent[] = new Array<CaptureEvent>(fb.events.length)
  for (let i = 0; i < out.length; i++) out[i] = withTime((fb.events[i] as SharedEvent).ev, fb.times[i] as number)
  return out
}

/**
 * A shared event as an event of its own at time `t`: the object build() makes, keys in its order (an object
 * literal per kind: spreading the shared event was three times slower).
 */
export function withTime(e: CaptureEvent, t: number): CaptureEvent {
  let ev: CaptureEvent
  if (e.type === 'arp') {
    const a: ArpEvent =
      e.tmac !== undefined
        ? {type: 'arp', t, host: e.host, op: e.op, sip: e.sip, smac: e.smac, tip: e.tip, tmac: e.tmac, garp: e.garp}
        : {type: 'arp', t, host: e.host, op: e.op, sip: e.sip, smac: e.smac, tip: e.tip, garp: e.garp}
    ev = a
  } else {
    const v: VrrpAdvertEvent =
      e.auth !== undefined
        ? {type: 'vrrp.advert', t, host: e.host, src: e.src, smac: e.smac, vrid: e.vrid, prio: e.prio, intvl: e.intvl, ver: e.ver, auth: e.auth}
        : {type: 'vrrp.advert', t, host: e.host, src: e.src, smac: e.smac, vrid: e.vrid, prio: e.prio, intvl: e.intvl, ver: e.ver}
    ev = v
  }
  if (e.vlan !== undefined) ev.vlan = e.vlan
  if (e.iface !== undefined) ev.iface = e.iface
  return ev
}

/** The classic pcap record loop (pcapEvents) as frame batches. */
export async function* pcapFrames(src: ByteSource, host: string, tally: CaptureTally, onHeader?: (h: PcapHeader) => void): AsyncGenerator<FrameBatch> {
  const cache = new EventCache(host, undefined)
  let times: number[] = []
  const path = src.path
  const head = src.head
  const magic = pcapMagic(head)
  if (magic !== 'pcap-us' && magic !== 'pcap-ns') throw captureError(path, `${path} is not a pcap file (magic ${head.subarray(0, 4).toString('hex') || 'none'})`)
  if (head.length < 24) throw captureError(path, `${path} ends inside the pcap file header (${head.length} of 24 bytes)`)
  const le = head[0] === 0xd4 || head[0] === 0x4d
  const nano = magic === 'pcap-ns'
  const rd = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o))
  const lt = linkTypeOf(rd(head, 20))
  const rawSnap = rd(head, 16)
  const snaplen = rawSnap === 0 || rawSnap > MAX_SNAPLEN ? MAX_SNAPLEN : rawSnap
  onHeader?.({linkType: lt.linkType, snaplen: rawSnap, nano, fcsBytes: lt.fcsBytes})
  if (lt.linkType !== LINKTYPE_ETHERNET) {
    throw captureError(
      path,
      `${path} has link type ${lt.linkType}; hachaos decodes Ethernet captures (link type 1) only`,
      'capture on the Ethernet interface itself (tcpdump -i eth0), not on "any"',
    )
  }
  const fracMax = nano ? 999_999_999 : 999_999
  let started = false
  let record = 0
  const gen = framed<SharedEvent>(src.chunks(), WORK, (b, start, end, base) => {
    let p = start
    if (!started) {
      if (end - p < 24) return {used: 0, out: null}
      started = true
      p += 24
    }
    // a batch's arrays made at their full size and cut to what they hold: grown by push() they were made
    // about three times over (a fifth of what the reading allocated, for the garbage collector)
    const out: SharedEvent[] = new Array<SharedEvent>(BATCH)
    times = new Array<number>(BATCH)
    let k = 0
    const cut = (): SharedEvent[] => {
      out.length = k
      times.length = k
      return out
    }
    try {
      while (end - p >= 16) {
        if (k >= BATCH) return {used: p - start, out: cut(), more: true}
        const caplen = u32(b, p + 8, le)
        if (caplen > snaplen) {
          throw corruptError(
            path,
            `${path}: record ${record + 1} (at byte offset ${base + p}) claims ${caplen} captured bytes, more than the snapshot length ${snaplen}: the file is corrupt from there`,
          )
        }
        if (end - p < 16 + caplen) break
        record += 1
        tally.frames += 1
        const sec = u32(b, p, le)
        const frac = u32(b, p + 4, le)
        const fs = p + 16
        const fe = fs + caplen
        p = fe
        const orig = u32(b, fs - 4, le)
        if (orig < caplen) {
          // tcpdump prints "[Invalid header: len(…) < caplen(…)]" and decodes nothing of it: likewise
          tally.addUnparsed({n: record, text: hexPreview(b.subarray(fs, fe)), reason: `invalid record header: len(${orig}) < caplen(${caplen})`})
          continue
        }
        if (frac > fracMax) {
          tally.addUnparsed({n: record, text: hexPreview(b.subarray(fs, fe)), reason: `bad record timestamp (${frac} ${nano ? 'ns' : 'µs'})`})
          continue
        }
        const t = sec * 1_000_000 + (nano ? Math.floor(frac / 1000) : frac)
        const ev = decodeShared(b, fs, fe, cache)
        if (decoded.tagged) tally.vlanTagged += 1
        if (ev !== null) {
          out[k] = ev
          times[k] = t
          k += 1
        }
        else if (decoded.reason === '') tally.ignored += 1
        else tally.addUnparsed({n: record, text: hexPreview(b.subarray(fs, fe)), reason: decoded.reason})
      }
    } catch (error) {
      return {used: p - start, out: cut(), error: error as Error}
    }
    return {used: p - start, out: cut()}
  })
  const {left} = yield* frameBatches(gen, () => times)
  if (!started) throw captureError(path, `${path} ends inside the pcap file header (${left.length} of 24 bytes)`)
  if (left.length > 0) {
    tally.addUnparsed({n: record + 1, text: hexPreview(left), reason: `the file ends inside a record (${left.length} bytes left over): cut short?`})
  }
}

/**
 * relay() for a framed() generator of shared events whose times the parser collects in `times()` (the
 * array of the batch just parsed): yields them paired.
 */
export async function* frameBatches(gen: AsyncGenerator<SharedEvent[], {left: Buffer; base: number}>, times: () => number[]): AsyncGenerator<FrameBatch, {left: Buffer; base: number}> {
  let r = await gen.next()
  try {
    while (r.done !== true) {
      yield {events: r.value, times: times()}
      r = await gen.next()
    }
  } finally {
    if (r.done !== true) await gen.return({left: Buffer.alloc(0), base: 0})
  }
  return r.value
}

/** Read a whole pcap file into events (the array API; openCapture() in file.ts streams). */
export async function readPcap(path: string, host: string): Promise<PcapParse> {
  const src = await ByteSource.open(path)
  const tally = new CaptureTally(true)
  const res: PcapParse = {events: [], unparsed: tally.unparsed, ignored: 0, info: [], total: 0, vlanTagged: 0, linkType: -1, snaplen: 0}
  try {
    for await (const batch of pcapEvents(src, host, tally, (h) => {
      res.linkType = h.linkType
      res.snaplen = h.snaplen
    })) {
      for (const e of batch) res.events.push(e)
    }
  } finally {
    await src.close()
  }
  res.ignored = tally.ignored
  res.total = tally.frames
  res.vlanTagged = tally.vlanTagged
  return res
}

/**
 * An event made by decodeAt() as JSON text, byte for byte what JSON.stringify writes for it (its keys in the
 * order decodeAt's object literals give them, then vlan and iface when set): `capture analyze --events ndjson`
 * writes one per frame, and JSON.stringify's generic walk (and its printing of 16-digit timestamps) was most
 * of that mode's time. For events of decodeAt only (a text capture's events are written by JSON.stringify).
 */
export function decodedEventJson(e: CaptureEvent): string {
  let s =
    e.type === 'arp'
      ? `{"type":"arp","t":${n(e.t)},"host":${q(e.host)},"op":${q(e.op)},"sip":${q(e.sip)},"smac":${q(e.smac)},"tip":${q(e.tip)}${e.tmac === undefined ? '' : `,"tmac":${q(e.tmac)}`},"garp":${e.garp}`
      : `{"type":"vrrp.advert","t":${n(e.t)},"host":${q(e.host)},"src":${q(e.src)},"smac":${q(e.smac)},"vrid":${n(e.vrid)},"prio":${n(e.prio)},"intvl":${n(e.intvl)},"ver":${e.ver}${e.auth === undefined ? '' : `,"auth":${q(e.auth)}`}`
  if (e.vlan !== undefined) s += `,"vlan":${n(e.vlan)}`
  if (e.iface !== undefined) s += `,"iface":${q(e.iface)}`
  return `${s}}`
}
