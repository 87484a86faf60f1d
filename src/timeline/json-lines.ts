/**
 * The timeline's list entries as JSON text, byte for byte what JSON.stringify writes for them (same key order,
 * numbers as String() writes them), by template: `capture analyze --json` writes millions of them, and
 * JSON.stringify's generic walk over each small object was the largest part of its time (npm run bench).
 * Strings are quoted by JSON.stringify once and cached (names, addresses and MACs repeat; at most QUOTES
 * entries, cleared when full: bounded memory).
 */
import {type Around, around} from '../util/digits.js'
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

  constructor(
    private readonly prefix = '',
    private readonly suffix = '',
  ) {}

  get(from: GarpSource, source: string, forVip: boolean): Around {
    const hit = this.memo.get(from)
    if (hit !== undefined && hit.source === source && hit.forVip === forVip) return hit.text
    if (this.memo.size >= GARP_TEXTS) this.memo.clear()
    const s = garpJson({t: 0, op: from.op, source, mac: from.smac, ip: from.sip, forVip})
    const text = around(Buffer.from(`{${this.prefix}"t":`, 'utf8'), Buffer.from(`${s.slice('{"t":0'.length)}${this.suffix}`, 'utf8'))
    this.memo.set(from, {source, forVip, text})
    return text
  }
}
