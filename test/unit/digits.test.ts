/**
 * writeUint (src/util/digits.ts): the digits String() writes, for every length of non-negative safe integer,
 * the 16-digit fast path (epoch µs) and its edges included.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {writeUint} from '../../src/util/digits.js'
import {rng} from '../helpers/rng.js'

const text = (x: number): string => {
  const b = Buffer.alloc(40, 0x2e)
  const end = writeUint(b, 3, x)
  assert.equal(b[2], 0x2e, 'nothing written before pos')
  assert.equal(b[end], 0x2e, 'nothing written after the digits')
  return b.toString('latin1', 3, end)
}

describe('writeUint', () => {
  it('writes what String() writes, at every length and edge', () => {
    const xs = [0, 1, 9, 10, 99, 100, 12345678, 99_999_999, 100_000_000, 100_000_001, 999_999_999_999_999, 1e15, 1e15 + 1, 1795388396259732, 1795388396000000, 1795388396000009, 9_007_199_254_740_991, 2 ** 32, 2 ** 32 - 1]
    for (const x of xs) assert.equal(text(x), String(x))
    const rnd = rng(7)
    for (let i = 0; i < 100_000; i++) {
      const digits = 1 + Math.floor(rnd() * 16)
      const x = Math.min(Number.MAX_SAFE_INTEGER, Math.floor(rnd() * 10 ** digits))
      assert.equal(text(x), String(x))
    }
  })
})
