/**
 * Decimal digits written straight into a byte buffer: `capture analyze` writes millions of epoch-µs times into
 * its JSON, and a string per number (then encoded) was a large part of that output's cost.
 */

/**
 * Write the non-negative safe integer `x` as its decimal digits (what String(x) writes) at buf[pos];
 * returns the position after them. The caller leaves at least 16 bytes of room.
 */
export function writeUint(buf: Uint8Array, pos: number, x: number): number {
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
