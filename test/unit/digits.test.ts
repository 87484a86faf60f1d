/**
 * writeUint (src/util/digits.ts): the digits String() writes, for every length of non-negative safe integer,
 * the 16-digit fast path (epoch µs) and its edges included.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {type Around, around, writeAround, writeUint} from '../../src/util/digits.js'
import {n} from '../../src/timeline/json-lines.js'
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

  it('writeAround: head, digits, tail, for 16-digit numbers (one copy) and others', () => {
    const a: Around = around(Buffer.from('{"t":'), Buffer.from(',"x":"é"}\n'))
    const rnd = rng(9)
    for (let i = 0; i < 20_000; i++) {
      const x = i % 2 === 0 ? 1e15 + Math.floor(rnd() * (Number.MAX_SAFE_INTEGER - 1e15)) : Math.floor(rnd() * 10 ** (1 + (i % 15)))
      const b = Buffer.alloc(64, 0x2e)
      const end = writeAround(b, 2, a, x)
      assert.equal(b.toString('utf8', 0, end + 1), `..{"t":${x},"x":"é"}\n.`)
    }
  })
})

describe('n (json-lines.ts)', () => {
  it('writes what JSON.stringify writes, 16-digit epoch µs included', () => {
    const rnd = rng(5)
    const xs = [0, 1e15, 1e15 - 1, 1e15 + 1, 1795388396259732, 1795388396000000, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 1e16, 1.5, 3610.045, -1795388396259732, NaN, Infinity]
    for (let i = 0; i < 50_000; i++) xs.push(Math.floor(rnd() * 10 ** (1 + (i % 16))))
    // milliseconds from µs (k/1000), fractions of other kinds, around 10^9
    for (let i = 0; i < 100_000; i++) xs.push(Math.floor(rnd() * 10 ** (1 + (i % 13))) / 1000, rnd() * 10 ** (i % 10), 1e9 - Math.floor(rnd() * 1e6) / 1000)
    xs.push(0.001, 0.01, 0.1, 0.5, 999_999_999.999, 1e-7, 5e-324)
    for (const x of xs) assert.equal(n(x), JSON.stringify(x) === 'null' ? 'null' : JSON.stringify(x), String(x))
  })
})
