/**
 * The timeline's list entries as JSON text, byte for byte what JSON.stringify writes for them (same key order,
 * numbers as String() writes them), by template: `capture analyze --json` writes millions of them, and
 * JSON.stringify's generic walk over each small object was the largest part of its time (npm run bench).
 * Strings are quoted by JSON.stringify once and cached (names, addresses and MACs repeat; at most QUOTES
 * entries, cleared when full: bounded memory).
 */
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

/** A finite number as JSON writes it (non-finite: null, as JSON.stringify). */
const n = (x: number): string => (Number.isFinite(x) ? `${x}` : 'null')

export const masterJson = (m: MasterSpan): string =>
  `{"vrid":${n(m.vrid)},"source":${q(m.source)},"ip":${q(m.ip)},"mac":${q(m.mac)},"startUs":${n(m.startUs)},"endUs":${n(m.endUs)},"prio":${n(m.prio)},"adverts":${n(m.adverts)},"intervalMs":${n(m.intervalMs)},"resigned":${m.resigned}}`

export const garpJson = (g: GarpEntry): string =>
  `{"t":${n(g.t)},"op":${q(g.op)},"source":${q(g.source)},"mac":${q(g.mac)},"ip":${q(g.ip)},"forVip":${g.forVip}}`

export const priorityChangeJson = (c: PriorityChange): string => `{"t":${n(c.t)},"vrid":${n(c.vrid)},"source":${q(c.source)},"from":${n(c.from)},"to":${n(c.to)}}`

export const advertGapJson = (g: AdvertGap): string =>
  `{"vrid":${n(g.vrid)},"source":${q(g.source)},"fromUs":${n(g.fromUs)},"toUs":${n(g.toUs)},"gapMs":${n(g.gapMs)},"intervalMs":${n(g.intervalMs)}}`
