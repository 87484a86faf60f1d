/**
 * The timeline's list entries as JSON text, byte for byte what JSON.stringify writes for them (same key order,
 * numbers as String() writes them), by template: `capture analyze --json` writes millions of them, and
 * JSON.stringify's generic walk over each small object was the largest part of its time (npm run bench).
 * Strings are quoted by JSON.stringify once and cached (names, addresses and MACs repeat; at most QUOTES
 * entries, cleared when full: bounded memory).
 */
import {type Around, around, putBytes, writeUint} from '../util/digits.js'
import {FLUSH_AT, type Splice, type StreamOut} from '../util/json-out.js'
import {GAP_FIELDS, MASTER_FIELDS, type RawRecords} from './machine.js'
import type {AdvertGap, GarpEntry, MasterSpan, PriorityChange} from './types.js'

const QUOTES = 4096
const quoted = new Map<string, string>()

/** JSON.stringify(s), cached. */
export function q(s: string): string {
  let r = quoted.get(s)
  if (r === undefined) {
    if (quoted.size >= QUOTES) quoted.clear()
    r = JSON.stringify(s)
    quoted.set(s, r)
  }
  return r
}

/** "0000" … "9999". */
const FOUR = Array.from({length: 10000}, (_, i) => String(i).padStart(4, '0'))
/** Zeros to pad the µs part of an epoch to 6 digits. */
const ZEROS = ['', '0', '00', '000', '0000', '00000', '000000']
let lastSec = -1
let lastSecText = ''
/**
 * A finite number as JSON writes it (non-finite: null, as JSON.stringify). Epoch µs (integers of 16 digits)
 * are written as their seconds (cached: they repeat) and 6 digits of µs, the same digits String() writes:
 * String() of a 16-digit double was a third of the time of these templates.
 */
export function n(x: number): string {
  if (x >= 1e15 && x <= Number.MAX_SAFE_INTEGER && Math.floor(x) === x) {
    // 16 digits (epoch µs, the years 2001 to 2286): four groups of 4 from a table, no number printed at all (the
    // seconds cached above missed whenever the times alternate, e.g. a master span's start and end)
    const a = Math.floor(x / 1e12)
    const r = x - a * 1e12
    const b = Math.floor(r / 1e8)
    const r2 = r - b * 1e8
    const c = (r2 / 1e4) | 0
    return (FOUR[a] as string) + (FOUR[b] as string) + (FOUR[c] as string) + (FOUR[r2 - c * 1e4] as string)
  }
  if (x >= 1e9 && x <= Number.MAX_SAFE_INTEGER && Math.floor(x) === x) {
    const sec = Math.floor(x / 1e6)
    const us = x - sec * 1e6
    if (sec !== lastSec) {
      lastSec = sec
      lastSecText = `${sec}`
    }
    if (us < 0 || us >= 1e6) return `${x}`
    const u = `${us}`
    return lastSecText + (ZEROS[6 - u.length] as string) + u
  }
  if (x > 0 && x < 1e9) {
    // milliseconds from µs (a gap's length: k/1000 for an integer k), the slowest numbers for String() (its
    // shortest round-trip digits of a fraction): the decimal k/1000 is those digits, as no other decimal of at
    // most 3 places is within half a unit of the last place of a double below 10^9
    const k = Math.round(x * 1000)
    if (k / 1000 === x && k % 1000 !== 0) {
      const whole = Math.floor(k / 1000)
      let frac = k - whole * 1000
      let places = 3
      while (frac % 10 === 0) {
        frac /= 10
        places -= 1
      }
      const f = `${frac}`
      return `${whole}.${(ZEROS[places - f.length] as string) + f}`
    }
  }
  return Number.isFinite(x) ? `${x}` : 'null'
}

export const masterJson = (m: MasterSpan): string =>
  `{"vrid":${n(m.vrid)},"source":${q(m.source)},"ip":${q(m.ip)},"mac":${q(m.mac)},"startUs":${n(m.startUs)},"endUs":${n(m.endUs)},"prio":${n(m.prio)},"adverts":${n(m.adverts)},"intervalMs":${n(m.intervalMs)},"resigned":${m.resigned}}`

export const garpJson = (g: GarpEntry): string =>
  `{"t":${n(g.t)},"op":${q(g.op)},"source":${q(g.source)},"mac":${q(g.mac)},"ip":${q(g.ip)},"forVip":${g.forVip}}`

export const priorityChangeJson = (c: PriorityChange): string => `{"t":${n(c.t)},"vrid":${n(c.vrid)},"source":${q(c.source)},"from":${n(c.from)},"to":${n(c.to)}}`

export const advertGapJson = (g: AdvertGap): string =>
  `{"vrid":${n(g.vrid)},"source":${q(g.source)},"fromUs":${n(g.fromUs)},"toUs":${n(g.toUs)},"gapMs":${n(g.gapMs)},"intervalMs":${n(g.intervalMs)}}`

/** What a GARP entry is made of besides its time and sender name: the ARP event that made it. */
interface GarpSource {
  op: 'request' | 'reply'
  smac: string
  sip: string
}

/** Entries of a GarpText cache (cleared when full: bounded memory). */
const GARP_TEXTS = 4096

/**
 * GARP entries' JSON text (garpJson, after `prefix` — e.g. `"type":"timeline.garp",` for NDJSON — and before
 * `suffix`) around their time, cached by the ARP event that made them: a capture's frames of one content share
 * one event (src/capture/pcap.ts SharedEvent), so half a million GARPs are a handful of texts. An entry is
 * made again when the sender's name or forVip differ from the cached one's.
 */
export class GarpText {
  private readonly memo = new Map<GarpSource, {source: string; forVip: boolean; text: Around}>()
  // the last answer (GARPs come in runs of the same frame: no Map lookup for those)
  private lastFrom: GarpSource | null = null
  private lastSource = ''
  private lastForVip = false
  private lastText: Around | null = null

  constructor(
    private readonly prefix = '',
    private readonly suffix = '',
  ) {}

  get(from: GarpSource, source: string, forVip: boolean): Around {
    if (from === this.lastFrom && source === this.lastSource && forVip === this.lastForVip && this.lastText !== null) return this.lastText
    let hit = this.memo.get(from)
    if (hit === undefined || hit.source !== source || hit.forVip !== forVip) {
      if (this.memo.size >= GARP_TEXTS) this.memo.clear()
      const s = garpJson({t: 0, op: from.op, source, mac: from.smac, ip: from.sip, forVip})
      const text = around(Buffer.from(`{${this.prefix}"t":`, 'utf8'), Buffer.from(`${s.slice('{"t":0'.length)}${this.suffix}`, 'utf8'))
      hit = {source, forVip, text}
      this.memo.set(from, hit)
    }
    this.lastFrom = from
    this.lastSource = source
    this.lastForVip = forVip
    this.lastText = hit.text
    return hit.text
  }
}

// ---- master spans and advert gaps as bytes --------------------------------------------------------------

/** A number as n() writes it, at buf[pos] (room for 24 bytes): digits straight in for a non-negative safe integer. */
function numAt(buf: Buffer, pos: number, x: number): number {
  if (Number.isSafeInteger(x) && x >= 0) return writeUint(buf, pos, x)
  return pos + buf.write(n(x), pos, 'latin1')
}

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8')
const END_US = bytes(',"endUs":')
const PRIO = bytes(',"prio":')
const ADVERTS = bytes(',"adverts":')
const INTERVAL = bytes(',"intervalMs":')
const RESIGNED = bytes(',"resigned":true}')
const NOT_RESIGNED = bytes(',"resigned":false}')
const TO_US = bytes(',"toUs":')
const GAP_MS = bytes(',"gapMs":')
const CLOSE = bytes('}')
/** Room left for an entry's numbers and the texts between them (at most 6 numbers of 24 bytes, and ~80 bytes). */
const ROOM = 256
/** A longer head (a very long name) goes by the text template instead. */
const HEAD_MAX = 16 * 1024
/** Heads cached per list (cleared when full: bounded memory). */
const HEADS = 4096

/**
 * An entry's text up to its first number (the vrid, the sender's name, addresses: what repeats), cached by
 * vrid and address ids (the names are final when the lists are written).
 */
function heads(raw: RawRecords, f0: {vrid: number; ip: number; mac: number}, make: (vrid: number, ip: number, mac: number) => string): (f: Float64Array, at: number) => Uint8Array {
  const memo = new Map<number, Uint8Array>()
  return (f, at) => {
    const vrid = f[at + f0.vrid] as number
    const ip = f[at + f0.ip] as number
    const mac = f[at + f0.mac] as number
    const cacheable = vrid >= 0 && vrid < 256 && Number.isInteger(vrid) && ip < 1 << 20 && mac < 1 << 20
    const key = cacheable ? vrid + 256 * (ip + 1_048_576 * mac) : -1
    let h = cacheable ? memo.get(key) : undefined
    if (h === undefined) {
      h = bytes(make(vrid, ip, mac))
      if (cacheable) {
        if (memo.size >= HEADS) memo.clear()
        memo.set(key, h)
      }
    }
    return h
  }
}

/**
 * A Splice writing raw records as spliceOf writes their entries (one compact entry per line, `[]` when there is
 * none), each entry's bytes straight into the output: `head(f, at)`, then `rest` (its numbers, at most ROOM
 * bytes); `text(f, at)`, the entry's JSON text, when the head is too long.
 */
function spliceRaw(
  raw: RawRecords,
  head: (f: Float64Array, at: number) => Uint8Array,
  rest: (buf: Buffer, pos: number, f: Float64Array, at: number) => number,
  text: (f: Float64Array, at: number) => string,
): Splice {
  return async (out: StreamOut, indent: string) => {
    const first = bytes(`[\n${indent}  `)
    const sep = bytes(`,\n${indent}  `)
    let count = 0
    const one = (f: Float64Array, at: number): void => {
      const h = head(f, at)
      const s = count === 0 ? first : sep
      count += 1
      if (h.length > HEAD_MAX) {
        out.write(`${s.toString('utf8')}${text(f, at)}`)
        return
      }
      let pos = out.reserve(s.length + h.length + ROOM)
      const buf = out.target
      pos = putBytes(buf, pos, s)
      buf.set(h, pos)
      out.commit(rest(buf, pos + h.length, f, at))
    }
    for (const _ of raw.each(one)) if (out.pending > FLUSH_AT) await out.flush()
    out.write(count === 0 ? '[]' : `\n${indent}]`)
  }
}

const M = MASTER_FIELDS
const G = GAP_FIELDS

/** The master spans (raw records) as masterJson writes them, the same bytes. */
export function spliceMasters(raw: RawRecords): Splice {
  const make = (vrid: number, ip: number, mac: number): string =>
    `{"vrid":${n(vrid)},"source":${q(raw.source(ip, mac))},"ip":${q(raw.str(ip))},"mac":${q(raw.str(mac))},"startUs":`
  const text = (f: Float64Array, at: number): string =>
    masterJson({
      vrid: f[at + M.vrid] as number,
      source: raw.source(f[at + M.ip] as number, f[at + M.mac] as number),
      ip: raw.str(f[at + M.ip] as number),
      mac: raw.str(f[at + M.mac] as number),
      startUs: f[at + M.startUs] as number,
      endUs: f[at + M.endUs] as number,
      prio: f[at + M.prio] as number,
      adverts: f[at + M.adverts] as number,
      intervalMs: f[at + M.intervalMs] as number,
      resigned: f[at + M.resigned] === 1,
    })
  return spliceRaw(
    raw,
    heads(raw, M, make),
    (buf, pos, f, at) => {
      let p = numAt(buf, pos, f[at + M.startUs] as number)
      p = numAt(buf, putBytes(buf, p, END_US), f[at + M.endUs] as number)
      p = numAt(buf, putBytes(buf, p, PRIO), f[at + M.prio] as number)
      p = numAt(buf, putBytes(buf, p, ADVERTS), f[at + M.adverts] as number)
      p = numAt(buf, putBytes(buf, p, INTERVAL), f[at + M.intervalMs] as number)
      return putBytes(buf, p, f[at + M.resigned] === 1 ? RESIGNED : NOT_RESIGNED)
    },
    text,
  )
}

/** The advert gaps (raw records) as advertGapJson writes them, the same bytes. */
export function spliceAdvertGaps(raw: RawRecords): Splice {
  const make = (vrid: number, ip: number, mac: number): string => `{"vrid":${n(vrid)},"source":${q(raw.source(ip, mac))},"fromUs":`
  const text = (f: Float64Array, at: number): string =>
    advertGapJson({
      vrid: f[at + G.vrid] as number,
      source: raw.source(f[at + G.ip] as number, f[at + G.mac] as number),
      fromUs: f[at + G.fromUs] as number,
      toUs: f[at + G.toUs] as number,
      gapMs: f[at + G.gapMs] as number,
      intervalMs: f[at + G.intervalMs] as number,
    })
  return spliceRaw(
    raw,
    heads(raw, G, make),
    (buf, pos, f, at) => {
      let p = numAt(buf, pos, f[at + G.fromUs] as number)
      p = numAt(buf, putBytes(buf, p, TO_US), f[at + G.toUs] as number)
      p = numAt(buf, putBytes(buf, p, GAP_MS), f[at + G.gapMs] as number)
      p = numAt(buf, putBytes(buf, p, INTERVAL), f[at + G.intervalMs] as number)
      return putBytes(buf, p, CLOSE)
    },
    text,
  )
}
