/**
 * Parser for the text tcpdump prints with `tcpdump -l -n -tt -e -i IF 'vrrp or arp'` (with or without -v),
 * line by line, into typed events. tcpdump 4.99's formats (print-ether.c, print-vrrp.c, print-arp.c):
 *
 *   1795388385.257350 02:48:43:00:00:0b > 01:00:5e:00:00:12, ethertype IPv4 (0x0800), length 54: 10.66.0.11 >
 *     224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 150, authtype simple, intvl 1s, length 20
 *   … VRRPv3, Advertisement, vrid 51, prio 150, intvl 100cs, length 12           (v3: centiseconds, no auth)
 *   … ethertype ARP (0x0806), length 42: Request who-has 10.66.0.100 (ff:ff:ff:ff:ff:ff) tell 10.66.0.100, length 28
 *   … ethertype ARP (0x0806), length 42: Reply 10.66.0.100 is-at 02:48:43:00:00:0b, length 28
 *   … ethertype 802.1Q (0x8100), length 50: vlan 10, p 0, ethertype IPv4 (0x0800), 10.66.10.1 > …   (802.1Q)
 *   … length 54: 10.66.0.11 > 224.0.0.18: VRRPv2, Advertisement [|vrrp]                    (truncated, -s)
 *   -v: the IPv4 header "(tos 0xc0, ttl 255, … proto VRRP (112), length 40)" ends the line and the VRRP part
 *       follows on the next line, indented by 4 spaces (then ", addrs: VIP auth "…""; the password is not kept).
 *       ECN bits show in the TOS as "(tos 0xc3,CE, ttl …"; an address list cut by the snapshot length ends in
 *       "[|vrrp]" after a complete header (the advert is kept, as the pcap reader keeps it).
 *   VRRPv3 over IPv6 (RFC 5798, to ff02::12), on one line, -v or not:
 *   … ethertype IPv6 (0x86dd), length 78: fe80::48:43ff:fe00:601 > ff02::12: VRRPv3, Advertisement, vrid 61,
 *     prio 150, intvl 100cs, length 24
 *   -v: … length 78: (class 0xc0, flowlabel 0x484e8, hlim 255, next-header VRRP (112) payload length: 24)
 *     fe80::48:43ff:fe00:601 > ff02::12: VRRPv3, Advertisement, …, length 24, addrs: fd66::100
 *   Older tcpdump releases (upstream tests/vrrp-v.out before 4.99) print -v adverts as "A > B: vrrp A > B: VRRPv2, …"
 *   (read alike), VRRPv3 with -v as "VRRPv3, Advertisement" without its fields and VRRP over IPv6 as
 *   "ip-proto-112 40": both unparsed, saying so (read the pcap instead).
 *   ARP with another hardware type than Ethernet but 6-byte addresses (IEEE 802, …) prints as Ethernet's
 *   without -v and as "IEEE 802 (len 6), IPv4 (len 4), Request …" with -v: read alike (as the pcap reader).
 *   ARP that is not for IPv4 ("Unknown Protocol (0x0000) (len 4)", "802.1Q-9200 (len 4)"), has hardware
 *   addresses of another length ("(len 14)", or a 14-byte "(01:01:…)" without -v) or an unknown operation
 *   ("Unknown (29953)") is ignored, as the pcap reader ignores those frames (upstream tests/arp-oobr.out).
 *   -q prints the type's name without "ethertype" and its number ("…, IPv4, length 54: …", "vlan 10, p 0, ARP, …"):
 *   read alike. -# (packet numbers, "    1  1795388385.257350 …"): the number is skipped. -x/-X/-xx/-XX hex dumps
 *   ("\t0x0000:  4500 …", also printed by tcpdump after an ARP of unknown operation) are skipped (kind
 *   'dump'): they belong to the frame line before them. -A's ASCII dump cannot be told apart: unparsed.
 *
 * Written by hand: no library parses tcpdump's text output (it is meant for people, and changes little).
 * Rules:
 * - t is epoch µs from the -tt timestamp, parsed from the decimal string (no float rounding).
 * - A request's sender MAC is the Ethernet source (tcpdump does not print the ARP sender hardware address of
 *   a request); a reply's is its "is-at" address. A request's target MAC is the "(MAC)" tcpdump prints when it
 *   is not zero, else 00:00:00:00:00:00. tcpdump prints neither the target IP nor the target MAC of a reply:
 *   a reply from text has `tip: ''` and no `tmac` (the pcap reader has both).
 * - `vlan` on an event: the id of the innermost 802.1Q/802.1ad tag ("vlan 10, p 0, …"), when there is one.
 * - A UTF-8 byte-order mark before the first line is skipped.
 * - Lines it cannot parse are counted and kept with a reason (never fatal); blank lines are skipped; tcpdump's
 *   own status lines (stderr, or a file saved with 2>&1) go to `info`; well-formed frames of other kinds
 *   (other protocols, VRRP packets that are not adverts, RARP/InARP) are counted as `ignored`.
 */
import {isAscii} from 'node:buffer'
import {StringDecoder} from 'node:string_decoder'

import {
  type ArpEvent,
  type CaptureEvent,
  type CaptureParse,
  type CaptureTally,
  type Unparsed,
  type VrrpAdvertEvent,
  epochUsFromDecimal,
  isGratuitous,
  isIpv4,
  isIpv6,
  isMac,
  ZERO_MAC,
} from './events.js'

export type LineOutcome =
  | {kind: 'event'; event: CaptureEvent}
  | {kind: 'unparsed'; unparsed: Unparsed}
  | {kind: 'info'}
  | {kind: 'blank'}
  | {kind: 'ignored'}
  /** A -v IPv4 header line: its VRRP part comes on the next line. */
  | {kind: 'pending'}
  /** A line of a -x/-X hex dump (of the frame line before it): skipped. */
  | {kind: 'dump'}

const MAC_RE = '[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}'
/** TIMESTAMP SRCMAC > DSTMAC, ethertype NAME (0xNNNN), length N: REST */
const FRAME = new RegExp(`^(\\d+)\\.(\\d+) (${MAC_RE}) > (${MAC_RE}), (?:ethertype (.+?) \\((0x[0-9a-fA-F]{4})\\)|(802\\.3|LLC)|(IPv4|IPv6|ARP|802\\.1Q(?:-QinQ|-9100)?)), length (\\d+): ?(.*)$`)
/** vlan 10, p 0[, DEI], ethertype IPv4 (0x0800), REST  (one per 802.1Q / 802.1ad tag) */
const VLAN = /^vlan (\d+), p (\d+)(?:, DEI)?, (?:ethertype )?(.+?)(?: \((0x[0-9a-fA-F]{4})\))?, (.*)$/
const VRRP =
  /^(\S+) > (\S+): (?:vrrp \S+ > \S+: )?VRRPv(\d+), (Advertisement|unknown type \(\d+\))(?:, \(ttl \d+\))?(?:, vrid (\d+), prio (\d+)(?:, authtype (\S+))?, intvl (\d+)(s|cs), length (\d+)(.*))?$/
const ARP_REQUEST = new RegExp(`^Request who-has (\\S+)(?: \\((${MAC_RE})\\))? tell (\\S+), length \\d+$`)
const ARP_REPLY = new RegExp(`^Reply (\\S+) is-at (${MAC_RE}), length \\d+$`)
/** -v: "Ethernet (len 6), IPv4 (len 4), " — or another hardware type with 6-byte addresses ("IEEE 802 (len 6)"). */
const ARP_VERBOSE_PREFIX = /^[A-Za-z0-9 ./()-]+? \(len 6\), IPv4 \(len 4\), /
/** -v IPv4 header, alone on its line; the TOS may carry ECN ("tos 0x2,ECT(0)", "tos 0xc3,CE"). */
const VERBOSE_IP_HEADER = /^\(tos 0x[0-9a-f]+(?:,(?:ECT\([01]\)|CE))?, ttl \d+, .*\)$/
/** -v IPv6 header before the addresses on the same line: "(class 0xc0, flowlabel 0x484e8, hlim 255, next-header VRRP (112) payload length: 24) " */
const VERBOSE_IP6_HEADER = /^\((?:[^()]|\([^()]*\))*\) /
/** IPv6 hop-by-hop / destination options headers as tcpdump prints them, between the addresses and VRRP. */
const IP6_EXT_HEADERS = /^(\S+ > \S+: )(?:(?:HBH|DSTOPT) (?:\([^()]*(?:\([^()]*\)[^()]*)*\) ?)*)+(?=VRRPv\d)/
/** tcpdump's own lines (stderr, or a capture saved with 2>&1). */
const INFO = [
  /^tcpdump: /,
  /^listening on /,
  /^reading from file /,
  /^\d+ packets? (captured|received by filter|dropped by kernel)$/,
  /^\(.*\)$/,
]

const TRUNCATED = /\[\|(\w+)\]/
const TIMESTAMP_START = /^\d+\.\d/
/** tcpdump -#: the packet number ("%5u  ") before the timestamp (-tt or time of day). */
const PACKET_NUMBER = /^ *\d+ {2}(?=\d)/
/** A line of tcpdump's -x/-X/-xx/-XX hex dump: a tab, the offset, two spaces, hex. */
const HEX_DUMP = /^\t0x[0-9a-f]{4}: {2}[0-9a-f]/
/** -v ARP of a protocol other than IPv4, or with hardware addresses of another length than 6. */
const ARP_VERBOSE_OTHER = /^[A-Za-z0-9 ./()-]+? \(len \d+\), [^,]+ \(len \d+\), /
/** A hardware address of another length than 6 bytes, as tcpdump prints it ("(01:01:10:18:00:10:00:…)"). */
const ODD_HW_ADDR = /(?:^| |\()(?:[0-9a-f]{2}:){6,}[0-9a-f]{2}\b|(?:^| |\()(?:[0-9a-f]{2}:){0,4}[0-9a-f]{2}\)/

/** The ethertype of a name tcpdump prints without its number (-q; inside a VLAN tag in newer releases). */
function quickEther(name: string): string {
  return name === 'IPv4' ? '0x0800' : name === 'ARP' ? '0x0806' : name === 'IPv6' ? '0x86dd' : name === '802.1Q' ? '0x8100' : name === '802.1Q-QinQ' ? '0x88a8' : name === '802.1Q-9100' ? '0x9100' : ''
}

/** A name where an address should be: tcpdump resolved it (run without -n). */
function hostHint(s: string): string {
  return /^[A-Za-z][A-Za-z0-9.-]*$/.test(s) ? ' (a host name: capture with tcpdump -n)' : ''
}

function unparsed(n: number, text: string, reason: string): LineOutcome {
  return {kind: 'unparsed', unparsed: {n, text, reason}}
}

/**
 * Streaming parser: feed it lines as they come (live capture) and read the outcome of each; or use
 * parseTcpdumpText() on a whole file.
 */
export class TcpdumpTextParser {
  private n = 0
  /** Frames whose 802.1Q/802.1ad tags were stripped. */
  vlanTagged = 0
  private pending: {n: number; text: string; head: FrameHead} | null = null

  /** @param host the name of the host the capture ran on (every event carries it) */
  constructor(readonly host: string) {}

  /** One line of tcpdump output (without its newline). */
  push(raw: string): LineOutcome[] {
    this.n += 1
    let line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw
    const out: LineOutcome[] = []
    const c0 = line.charCodeAt(0)
    if (c0 === 9 && HEX_DUMP.test(line)) {
      // a hex dump line (-x): it belongs to the frame before; a -v header still waiting had no VRRP line
      if (this.pending !== null) out.push(this.orphan())
      out.push({kind: 'dump'})
      return out
    }
    if (c0 === 32) {
      // -#: a packet number before the timestamp (never before a -v continuation line: that is an address)
      const num = PACKET_NUMBER.exec(line)
      if (num !== null) line = line.slice(num[0].length)
    }
    // A -v continuation: the VRRP part of the previous line's IPv4 header.
    if (this.pending !== null && /^\s+\S/.test(line)) {
      const p = this.pending
      this.pending = null
      out.push(this.ipv4(p.n, `${p.text}\n${line}`, p.head, line.trim()))
      return out
    }
    if (this.pending !== null) out.push(this.orphan())
    out.push(this.line(this.n, line))
    return out
  }

  /** The -v header waiting for its VRRP line, which did not come: unparsed. */
  private orphan(): LineOutcome {
    const p = this.pending as {n: number; text: string}
    this.pending = null
    return unparsed(p.n, p.text, 'verbose IPv4 header without the line that should follow it')
  }

  /** End of input: a -v header still waiting for its continuation is unparsed. */
  end(): LineOutcome[] {
    if (this.pending === null) return []
    const p = this.pending
    this.pending = null
    return [unparsed(p.n, p.text, 'verbose IPv4 header at the end of the capture, without its VRRP line')]
  }

  private line(n: number, line: string): LineOutcome {
    if (n === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1)
    if (line.trim() === '') return {kind: 'blank'}
    // (a line that starts like a -tt timestamp is not one of tcpdump's status lines: skip the five tests)
    if (!TIMESTAMP_START.test(line) && INFO.some((re) => re.test(line))) return {kind: 'info'}
    if (/^\s/.test(line)) return unparsed(n, line, 'continuation line without a verbose header before it')
    const m = FRAME.exec(line)
    if (m === null) {
      // a frame cut inside its Ethernet header ("1795388385.257350  [|ether]"), a record tcpdump rejects
      const cut = /^\d+\.\d+ (?:\S+ > \S+, )? *\[\|(ether|vlan)\]$/.exec(line)
      if (cut !== null) return unparsed(n, line, `truncated ([|${cut[1]}])`)
      if (/^\[Invalid header: .*\]$/.test(line)) return unparsed(n, line, 'invalid record header (as tcpdump printed it)')
      if (/^\d+\.\d+ (IP|ARP|IP6|vlan)\b/.test(line)) return unparsed(n, line, 'no link-level header: capture with tcpdump -e')
      if (/^\d{2}:\d{2}:\d{2}\.\d+ /.test(line)) return unparsed(n, line, 'time of day instead of epoch seconds: capture with tcpdump -tt')
      if (/^(?:IP6?|ARP|vlan|[0-9a-f]{2}(?::[0-9a-f]{2}){5} >)[ ,]/.test(line)) return unparsed(n, line, 'no timestamp (tcpdump -t): capture with tcpdump -tt -e')
      return unparsed(n, line, 'not a tcpdump -n -tt -e line')
    }
    const [, sec, frac, smacRaw, dmacRaw, etherName, etherHex, llc, quick, , restRaw] = m as unknown as string[]
    const t = epochUsFromDecimal(sec as string, frac as string)
    if (t === null) return unparsed(n, line, 'bad timestamp')
    if (llc !== undefined) return {kind: 'ignored'}
    const head: FrameHead = {t, smac: (smacRaw as string).toLowerCase(), dmac: (dmacRaw as string).toLowerCase(), vlan: -1}
    // -q prints the type's name alone ("IPv4, length 54: …"): its number from the name
    let ether = quick === undefined ? (etherHex as string).toLowerCase() : quickEther(quick)
    let name = quick ?? (etherName as string)
    let rest = restRaw as string
    // Strip 802.1Q / 802.1ad tags (tcpdump prints each as "vlan N, p P, ethertype X (0x…), ").
    for (let tags = 0; ether === '0x8100' || ether === '0x88a8' || ether === '0x9100'; tags++) {
      const v = VLAN.exec(rest)
      if (v === null || tags > 4) {
        const tr = TRUNCATED.exec(rest)
        return unparsed(n, line, tr !== null ? `truncated ([|${tr[1]}])` : `802.1Q tag not understood: ${rest.slice(0, 40)}`)
      }
      head.vlan = Number(v[1]) & 0x0fff
      name = v[3] as string
      ether = (v[4] ?? '').toLowerCase()
      rest = v[5] as string
      if (tags === 0) this.vlanTagged += 1
      if (ether === '') ether = quickEther(name)
    }
    if (ether === '0x0806') return this.arp(n, line, head, rest)
    if (ether === '0x0800') {
      if (VERBOSE_IP_HEADER.test(rest.trim())) {
        if (!/proto VRRP \(112\)/.test(rest)) return {kind: 'ignored'}
        this.pending = {n, text: line, head}
        return {kind: 'pending'}
      }
      return this.ipv4(n, line, head, rest)
    }
    if (ether === '0x86dd') {
      const h = VERBOSE_IP6_HEADER.exec(rest)
      // hop-by-hop or destination options before VRRP (as the pcap reader skips them): "fe80::1 > ff02::12:
      // HBH (rtalert: 0x0000) (padn) VRRPv3, …"
      const ext = IP6_EXT_HEADERS.exec(h === null ? rest : rest.slice(h[0].length))
      if (h !== null) {
        if (!/next-header VRRP \(112\)/.test(h[0]) && ext === null) return {kind: 'ignored'}
        rest = rest.slice(h[0].length)
      }
      if (ext !== null) rest = `${ext[1] as string}${rest.slice(ext[0].length)}`
      return this.ipv4(n, line, head, rest)
    }
    return {kind: 'ignored'}
  }

  /** The IP part of an IPv4 or IPv6 frame (after a -v header). */
  private ipv4(n: number, line: string, head: FrameHead, rest: string): LineOutcome {
    const tr = TRUNCATED.exec(rest)
    const v = VRRP.exec(rest)
    // "[|vrrp]" after a whole header (vrid … length N) is a cut address list (-v): the advert is still whole
    if (tr !== null && (tr[1] === 'ip' || tr[1] === 'ip6' || (tr[1] === 'vrrp' && v?.[5] === undefined))) return unparsed(n, line, `truncated ([|${tr[1]}])`)
    if (!/: VRRPv\d/.test(rest)) {
      // VRRP that this tcpdump did not decode (older releases print VRRPv3 over IPv6 so): not an event, not ignorable
      if (/: ip-proto-112 \d+$/.test(rest)) return unparsed(n, line, 'VRRP not decoded by this tcpdump ("ip-proto-112"): read the pcap, or print it with tcpdump 4.99 or later')
      return /^\S+ > \S+: /.test(rest) ? {kind: 'ignored'} : unparsed(n, line, 'IP part not understood')
    }
    if (v === null) return unparsed(n, line, 'VRRP part not understood')
    const [, src, , verS, type, vridS, prioS, auth, intvlS, unit, lenS, tail] = v as unknown as Array<string | undefined>
    if (type !== 'Advertisement') return {kind: 'ignored'}
    const ver = Number(verS)
    if (ver !== 2 && ver !== 3) return {kind: 'ignored'}
    if (vridS === undefined || prioS === undefined || intvlS === undefined) {
      return unparsed(n, line, `VRRP advert without vrid/prio/intvl${ver === 3 ? ' (older tcpdump releases print VRRPv3 so with -v: read the pcap, or print it with tcpdump 4.99 or later)' : ''}`)
    }
    const vrid = Number(vridS)
    const prio = Number(prioS)
    const intvlRaw = Number(intvlS)
    if (!isIpv4(src as string) && !isIpv6(src as string)) return unparsed(n, line, `bad source address "${src}"${hostHint(src as string)}`)
    if (vrid < 1 || vrid > 255) return unparsed(n, line, `vrid ${vrid} is outside 1–255`)
    if (prio > 255) return unparsed(n, line, `priority ${prio} is outside 0–255`)
    if ((ver === 2 && unit !== 's') || (ver === 3 && unit !== 'cs')) return unparsed(n, line, `VRRPv${ver} interval in "${unit}"`)
    if (ver === 2 && intvlRaw > 255) return unparsed(n, line, `advert interval ${intvlRaw} s is outside 0–255`)
    if (ver === 3 && intvlRaw > 4095) return unparsed(n, line, `advert interval ${intvlRaw} cs is outside 0–4095`)
    if (ver === 2 && tail !== undefined && tail !== '') {
      // -v shows the address count: a VRRPv2 advert holds count × 4 bytes of addresses and 8 of authentication
      // data; CARP, which tcpdump prints as VRRP without -T carp, does not fit (as the pcap reader checks)
      // "addrs(3): a,b,c", "addrs: a" (one), "addrs: auth …" or "addrs:" (none)
      const a = /^, addrs(?:\((\d+)\))?: ?(\S?)/.exec(tail)
      const count = a === null ? 0 : a[1] !== undefined ? Number(a[1]) : /\d/.test(a[2] ?? '') ? 1 : 0
      const len = Number(lenS)
      if (len < 16 + 4 * count) return unparsed(n, line, `IP protocol 112, version 2, but not a VRRPv2 advert: ${count} addresses and the authentication data need ${16 + 4 * count} bytes, it has ${len} (CARP? hachaos reads VRRP)`)
    }
    const ev: VrrpAdvertEvent = {
      type: 'vrrp.advert',
      t: head.t,
      host: this.host,
      src: src as string,
      smac: head.smac,
      vrid,
      prio,
      // v3 carries centiseconds: 100 cs = 1 s (integer maths, then one division)
      intvl: ver === 3 ? intvlRaw / 100 : intvlRaw,
      ver,
      ...(ver === 2 && auth !== undefined ? {auth} : {}),
    }
    if (head.vlan >= 0) ev.vlan = head.vlan
    return {kind: 'event', event: ev}
  }

  private arp(n: number, line: string, head: FrameHead, restRaw: string): LineOutcome {
    const rest = restRaw.trim().replace(ARP_VERBOSE_PREFIX, '')
    const tr = TRUNCATED.exec(rest)
    if (tr !== null) return unparsed(n, line, `truncated ([|${tr[1]}])`)
    const rq = ARP_REQUEST.exec(rest)
    if (rq !== null) {
      const [, tip, tmac, sip] = rq as unknown as [string, string, string | undefined, string]
      if (!isIpv4(tip) || !isIpv4(sip)) return unparsed(n, line, `bad address in ARP request${hostHint(isIpv4(tip) ? sip : tip)}`)
      const ev: ArpEvent = {
        type: 'arp',
        t: head.t,
        host: this.host,
        op: 'request',
        sip,
        smac: head.smac,
        tip,
        tmac: tmac === undefined ? ZERO_MAC : tmac.toLowerCase(),
        garp: isGratuitous('request', sip, tip, head.dmac),
      }
      if (head.vlan >= 0) ev.vlan = head.vlan
      return {kind: 'event', event: ev}
    }
    const rp = ARP_REPLY.exec(rest)
    if (rp !== null) {
      const [, sip, smac] = rp as unknown as [string, string, string]
      if (!isIpv4(sip) || !isMac(smac.toLowerCase())) return unparsed(n, line, `bad address in ARP reply${isIpv4(sip) ? '' : hostHint(sip)}`)
      const ev: ArpEvent = {
        type: 'arp',
        t: head.t,
        host: this.host,
        op: 'reply',
        sip,
        smac: smac.toLowerCase(),
        tip: '',
        garp: isGratuitous('reply', sip, null, head.dmac),
      }
      if (head.vlan >= 0) ev.vlan = head.vlan
      return {kind: 'event', event: ev}
    }
    if (/^(Reverse |InARP |NAK|ATMARP|ARP, )/.test(rest) || /^(Reverse Request|Reverse Reply|Inverse)/.test(rest)) return {kind: 'ignored'}
    // Well-formed ARP that is not Ethernet/IPv4 request or reply (as the pcap reader, which ignores them):
    // an unknown operation, another protocol than IPv4 or hardware addresses of another length (-v says so in
    // its prefix; without -v only the length of the address shows)
    if (/^Unknown \(\d+\)\s*$/.test(rest) || ARP_VERBOSE_OTHER.test(rest) || (/^(?:Request who-has|Reply) /.test(rest) && ODD_HW_ADDR.test(rest))) return {kind: 'ignored'}
    return unparsed(n, line, 'ARP part not understood')
  }
}

interface FrameHead {
  t: number
  smac: string
  dmac: string
  /** Innermost VLAN id, -1 when untagged. */
  vlan: number
}

/** Parse a whole text capture. */
export function parseTcpdumpText(text: string, host: string): CaptureParse {
  const p = new TcpdumpTextParser(host)
  const res: CaptureParse = {events: [], unparsed: [], ignored: 0, info: [], total: 0, vlanTagged: 0}
  const lines = text.split('\n')
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  const take = (o: LineOutcome, raw: string): void => {
    if (o.kind === 'event') res.events.push(o.event)
    else if (o.kind === 'unparsed') res.unparsed.push(o.unparsed)
    else if (o.kind === 'ignored') res.ignored += 1
    else if (o.kind === 'info') res.info.push(raw)
  }
  for (const raw of lines) {
    res.total += 1
    for (const o of p.push(raw)) take(o, raw)
  }
  for (const o of p.end()) take(o, '')
  res.vlanTagged = p.vlanTagged
  return res
}

/** Does b end inside a UTF-8 character (a lead byte whose continuation bytes are not all there)? */
function cutCharacter(b: Buffer): boolean {
  for (let i = b.length - 1, k = 1; i >= 0 && k <= 4; i--, k++) {
    const x = b[i] as number
    if ((x & 0xc0) === 0x80) continue // a continuation byte: look further back
    const need = x >= 0xf0 ? 4 : x >= 0xe0 ? 3 : x >= 0xc0 ? 2 : 1
    return need > k
  }
  return false
}

/** The longest line kept whole; a longer one is unparsed (its first bytes kept) and skipped to its end. */
export const MAX_LINE = 1 << 20

/**
 * A text capture as a stream of chunks: lines split as they come (no whole-file string), each parsed and
 * dropped; yields the events of each chunk, counts the rest in `tally`. Memory: one chunk's text and at most
 * one partial line (≤ MAX_LINE).
 */
/**
 * The input in pieces of at most PIECE bytes: the text of a piece is a string small enough for V8's young
 * generation, where it dies young; a 1 MiB chunk's string went straight to the old generation and grew the
 * heap by a MiB per chunk until a full collection (peak RSS 176–184 MB reading 10^6–4.5·10^6 lines, live heap
 * under 20 MB).
 */
const PIECE = 64 * 1024
async function* pieces(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const c of chunks) for (let i = 0; i < c.length; i += PIECE) yield c.subarray(i, Math.min(c.length, i + PIECE))
}

export async function* textEvents(chunks: AsyncIterable<Buffer>, host: string, tally: CaptureTally): AsyncGenerator<CaptureEvent[]> {
  const p = new TcpdumpTextParser(host)
  const dec = new StringDecoder('utf8')
  let carry = ''
  let overlong = false
  const take = (outs: LineOutcome[], raw: string, out: CaptureEvent[]): void => {
    for (const o of outs) {
      if (o.kind === 'event') out.push(o.event)
      else if (o.kind === 'unparsed') tally.addUnparsed(o.unparsed)
      else if (o.kind === 'ignored') tally.ignored += 1
      else if (o.kind === 'info') tally.addInfo(raw)
    }
  }
  const lineOf = (raw: string, out: CaptureEvent[]): void => {
    tally.frames += 1
    take(p.push(raw), raw, out)
  }
  const flushOverlong = (out: CaptureEvent[]): void => {
    tally.frames += 1
    // keep the line count in step with the parser's own numbering
    take(p.push(''), '', out)
    tally.addUnparsed({n: tally.frames, text: carry.slice(0, 100), reason: `a line longer than ${MAX_LINE} characters`})
  }
  let pending = false // the decoder holds the first bytes of a character cut by the last chunk
  for await (const chunk of pieces(chunks)) {
    // tcpdump's text is ASCII (it escapes the rest): decode it as one-byte text, the fast way; else UTF-8
    const ascii = !pending && isAscii(chunk)
    const text = carry + (ascii ? chunk.toString('latin1') : dec.write(chunk))
    if (!ascii) pending = cutCharacter(chunk)
    const out: CaptureEvent[] = []
    let start = 0
    for (;;) {
      const nl = text.indexOf('\n', start)
      if (nl < 0) break
      if (overlong) {
        overlong = false
      } else lineOf(text.slice(start, nl), out)
      start = nl + 1
    }
    carry = text.slice(start)
    if (carry.length > MAX_LINE) {
      if (!overlong) flushOverlong(out)
      overlong = true
      carry = ''
    }
    tally.vlanTagged = p.vlanTagged
    if (out.length > 0) yield out
  }
  const out: CaptureEvent[] = []
  carry += dec.end()
  if (carry !== '' && !overlong) lineOf(carry, out)
  take(p.end(), '', out)
  tally.vlanTagged = p.vlanTagged
  if (out.length > 0) yield out
}
