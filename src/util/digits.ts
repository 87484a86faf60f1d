/**
 * Decimal digits written straight into a byte buffer: `capture analyze` writes millions of epoch-µs times into
 * its JSON, and a string per number (then encoded) was a large part of that output's cost.
 */

/** "00" … "99" as byte pairs: digits are written two at a time (half the divisions of one at a time). */
const PAIRS = new Uint8Array(200)
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 48 + Math.floor(i / 10)
  PAIRS[2 * i + 1] = 48 + (i % 10)
}

/** The 8 digits of 0 ≤ v < 10^8 (leading zeros included) at buf[at, at + 8). */
function eight(buf: Uint8Array, at: number, v: number): void {
  // v < 2^31: integer arithmetic (`| 0`), which the JIT turns into multiplications
  const hi = (v / 10000) | 0
  const lo = v - hi * 10000
  let q = (hi / 100) | 0
  let k = q << 1
  buf[at] = PAIRS[k] as number
  buf[at + 1] = PAIRS[k + 1] as number
  k = (hi - q * 100) << 1
  buf[at + 2] = PAIRS[k] as number
  buf[at + 3] = PAIRS[k + 1] as number
  q = (lo / 100) | 0
  k = q << 1
  buf[at + 4] = PAIRS[k] as number
  buf[at + 5] = PAIRS[k + 1] as number
  k = (lo - q * 100) << 1
  buf[at + 6] = PAIRS[k] as number
  buf[at + 7] = PAIRS[k + 1] as number
}

/**
 * Write the non-negative safe integer `x` as its decimal digits (what String(x) writes) at buf[pos];
 * returns the position after them. The caller leaves at least 16 bytes of room.
 */
export function writeUint(buf: Uint8Array, pos: number, x: number): number {
  // epoch µs (16 digits, the years 2001 to 2286): two runs of 8 digits, two at a time (the common case: one
  // per frame in `capture analyze --events ndjson`; the general loop below was most of that line's cost)
  if (x >= 1e15 && x < 1e16) {
    const hi = Math.floor(x / 1e8)
    eight(buf, pos, hi)
    eight(buf, pos + 8, x - hi * 1e8)
    return pos + 16
  }
  // x < 2^53: x = hi·10^8 + lo, both small integers
  const hi = Math.floor(x / 1e8)
  let lo = x - hi * 1e8
  let end: number
  if (hi > 0) {
    let d = 1
    for (let h = hi; h >= 10; h = Math.floor(h / 10)) d++
    end = pos + d + 8
    let at = end
    for (let i = 0; i < 8; i++) {
      const q = Math.floor(lo / 10)
      buf[--at] = 48 + lo - q * 10
      lo = q
    }
    for (let h = hi; at > pos; ) {
      const q = Math.floor(h / 10)
      buf[--at] = 48 + h - q * 10
      h = q
    }
  } else {
    let d = 1
    for (let l = lo; l >= 10; l = Math.floor(l / 10)) d++
    end = pos + d
    for (let at = end; at > pos; ) {
      const q = Math.floor(lo / 10)
      buf[--at] = 48 + lo - q * 10
      lo = q
    }
  }
  return end
}

/** Arrays up to this long are copied byte by byte (putBytes): cheaper than a call of TypedArray.prototype.set. */
const SHORT = 24

/**
 * Copy `src` to buf[pos…] and return the position after it: the short texts between an entry's numbers (e.g.
 * `,"endUs":`) byte by byte, in the caller's compiled code — TypedArray.prototype.set costs more in its checks
 * than such a copy (a few million of them in `capture analyze --json`) — and longer ones by set().
 */
export function putBytes(buf: Uint8Array, pos: number, src: Uint8Array): number {
  const n = src.length
  if (n <= SHORT) {
    for (let i = 0; i < n; i++) buf[pos + i] = src[i] as number
  } else buf.set(src, pos)
  return pos + n
}

/**
 * A text around a number (e.g. an NDJSON line around its time): `head`, the number's digits, `tail`. `line` is
 * head + 16 placeholder digits + tail, so that a 16-digit number (epoch µs) costs one copy of the whole line and
 * its digits written in place (writeAround): two copies of short byte arrays cost more than one longer one.
 */
export interface Around {
  head: Uint8Array
  tail: Uint8Array
  line: Uint8Array
}

export function around(head: Uint8Array, tail: Uint8Array): Around {
  const line = new Uint8Array(head.length + 16 + tail.length)
  line.set(head, 0)
  line.fill(48, head.length, head.length + 16)
  line.set(tail, head.length + 16)
  return {head, tail, line}
}

/**
 * Write a.head, the digits of the non-negative safe integer `x` (as writeUint), a.tail at buf[pos]; returns the
 * position after them. The caller leaves at least a.line.length bytes of room.
 */
export function writeAround(buf: Uint8Array, pos: number, a: Around, x: number): number {
  if (x >= 1e15 && x < 1e16) {
    buf.set(a.line, pos)
    const at = pos + a.head.length
    const hi = Math.floor(x / 1e8)
    eight(buf, at, hi)
    eight(buf, at + 8, x - hi * 1e8)
    return pos + a.line.length
  }
  buf.set(a.head, pos)
  const end = writeUint(buf, pos + a.head.length, x)
  buf.set(a.tail, end)
  return end + a.tail.length
}
