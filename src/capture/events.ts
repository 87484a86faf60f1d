/**
 * The typed events the capture layer produces (a subset of the run record's TimelineEvent), and the rules
 * shared by the tcpdump text parser and the pcap decoder, so that both give the same events for one capture.
 */
import type {TimelineEvent} from '../store/run-types.js'

export type VrrpAdvertEvent = Extract<TimelineEvent, {type: 'vrrp.advert'}>
export type ArpEvent = Extract<TimelineEvent, {type: 'arp'}>
export type CaptureEvent = VrrpAdvertEvent | ArpEvent

/** A line (text) or a frame (pcap) that could not be turned into an event: counted and kept, never fatal. */
export interface Unparsed {
  /** 1-based line number in a text capture, or 1-based frame number in a pcap. */
  n: number
  /** The line itself, or a short hex dump of the frame's first bytes. */
  text: string
  reason: string
}

/** What one capture gave: events in capture order, and everything that did not become an event. */
export interface CaptureParse {
  events: CaptureEvent[]
  unparsed: Unparsed[]
  /** Well-formed frames that are not VRRP adverts or ARP requests/replies (other protocols, other ops). */
  ignored: number
  /** tcpdump's own status lines ("listening on …", "N packets captured", "reading from file …"). */
  info: string[]
  /** Text lines read (text) or frames read (pcap). */
  total: number
  /** Frames whose 802.1Q tag(s) were stripped on the way. */
  vlanTagged: number
}

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff'
export const ZERO_MAC = '00:00:00:00:00:00'

/** VRRP auth types of RFC 2338/3768 (v2 only; v3 has none), named as tcpdump names them. */
export const VRRP_AUTH: Record<number, string> = {0: 'none', 1: 'simple', 2: 'ah'}

export function vrrpAuthName(n: number): string {
  return VRRP_AUTH[n] ?? `#${n}`
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/
/** Addresses already checked (a capture repeats a few a million times); at most 4096, then cleared. */
const seenIpv4 = new Map<string, boolean>()
export function isIpv4(s: string): boolean {
  let ok = seenIpv4.get(s)
  if (ok === undefined) {
    const m = IPV4.exec(s)
    ok = m !== null && m.slice(1).every((o) => Number(o) <= 255 && !(o.length > 1 && o.startsWith('0')))
    if (seenIpv4.size >= 4096) seenIpv4.clear()
    seenIpv4.set(s, ok)
  }
  return ok
}

const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/
export function isMac(s: string): boolean {
  return MAC.test(s)
}

/**
 * Is this ARP frame gratuitous? A request or reply whose sender IP equals its target IP (a GARP, or an
 * RFC 5227 ARP announcement), or a reply sent to the Ethernet broadcast address (`arping -A`: it announces
 * the sender's own binding to everyone; tcpdump's text does not print a reply's target IP, so this is also
 * how the text parser recognises a gratuitous reply). An ARP probe (sender IP 0.0.0.0) is not gratuitous.
 */
export function isGratuitous(op: 'request' | 'reply', sip: string, tip: string | null, dstMac: string): boolean {
  if (sip === '0.0.0.0') return false
  if (tip !== null && sip === tip) return true
  return op === 'reply' && dstMac === BROADCAST_MAC
}

/** Epoch µs from a decimal seconds string ("1795388385.257350"): integer arithmetic, no float rounding. */
export function epochUsFromDecimal(sec: string, frac: string): number | null {
  if (!/^\d{1,12}$/.test(sec) || !/^\d{1,9}$/.test(frac)) return null
  // Nanosecond text (--time-stamp-precision=nano) is truncated to µs, as everywhere else in hachaos.
  const us = Number(sec) * 1_000_000 + Number(frac.padEnd(6, '0').slice(0, 6))
  return Number.isSafeInteger(us) ? us : null
}

/** Count of hex bytes shown for an unparsed frame. */
const HEX_KEEP = 64
export function hexPreview(b: Uint8Array): string {
  const shown = Buffer.from(b.subarray(0, HEX_KEEP)).toString('hex')
  return b.length > HEX_KEEP ? `${shown}… (${b.length} bytes)` : shown
}

/** tcpdump's text names an IPv6 address as inet_ntop does (RFC 5952); this checks the shape only. */
const IPV6 = /^[0-9a-f:.]{2,45}$/
export function isIpv6(s: string): boolean {
  if (!IPV6.test(s) || !s.includes(':')) return false
  const dbl = s.split('::').length - 1
  if (dbl > 1) return false
  const groups = s.split(':').filter((g) => g !== '')
  const last = groups[groups.length - 1] ?? ''
  const v4 = last.includes('.')
  if (v4 && !isIpv4(last)) return false
  const n = groups.length + (v4 ? 1 : 0)
  if (!groups.slice(0, v4 ? -1 : undefined).every((g) => /^[0-9a-f]{1,4}$/.test(g))) return false
  return dbl === 1 ? n <= 7 : n === 8
}

/** Unparsed lines/frames kept as a sample in a streamed read (the count goes on). */
export const UNPARSED_SAMPLE = 20

/** One line for an unparsed item in a sample: "N: reason: text". */
export function unparsedLine(u: Unparsed): string {
  return `${u.n}: ${u.reason}: ${u.text}`
}

/**
 * Counts of one streamed read: O(1) memory — the unparsed items beyond the first UNPARSED_SAMPLE are only
 * counted, unless `keepAll` (the array API, readCaptureFile, which returns them all).
 */
export class CaptureTally {
  /** Frames (pcap, pcapng) or lines (text) read. */
  frames = 0
  ignored = 0
  vlanTagged = 0
  /** Frames or lines cut short by the snapshot length ([|vrrp], [|arp]); also counted as unparsed. */
  truncated = 0
  unparsedCount = 0
  readonly unparsed: Unparsed[] = []
  /** tcpdump's status lines in a text capture (at most 100 kept). */
  readonly info: string[] = []
  infoCount = 0

  constructor(readonly keepAll = false) {}

  addUnparsed(u: Unparsed): void {
    this.unparsedCount += 1
    if (/\[\|\w+\]/.test(u.reason)) this.truncated += 1
    if (this.keepAll || this.unparsed.length < UNPARSED_SAMPLE) this.unparsed.push(u)
  }

  addInfo(line: string): void {
    this.infoCount += 1
    if (this.keepAll || this.info.length < 100) this.info.push(line)
  }
}
