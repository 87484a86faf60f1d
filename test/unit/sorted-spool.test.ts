/**
 * The sorted spool (src/util/sorted-spool.ts): any input order, any run size, gives the entries sorted by key
 * then tie, as an in-memory sort does; lines longer than the read buffer and multi-byte characters cut by it
 * read back intact; memory holds at most runSize entries while adding, none when they come in order; the file
 * is removed.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import fc from 'fast-check'

import {LineSpool, type SpoolCodec, SortedSpool} from '../../src/util/sorted-spool.js'

interface E {
  k: number
  g: number
  s: string
}
const codec: SpoolCodec<E> = {
  encode: (e) => JSON.stringify([e.k, e.g, e.s]),
  decode: (l) => {
    const [k, g, s] = JSON.parse(l) as [number, number, string]
    return {k, g, s}
  },
  key: (e) => e.k,
  tie: (e) => e.g,
}
const byKey = (x: E, y: E): number => x.k - y.k || x.g - y.g

describe('SortedSpool', () => {
  it('any order and run size: the entries sorted by key, then tie (fast-check)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-test-'))
    try {
      fc.assert(
        fc.property(
          fc.array(fc.record({k: fc.integer({min: -50, max: 50}), s: fc.string({unit: 'grapheme', maxLength: 12})}), {maxLength: 300}),
          fc.integer({min: 1, max: 40}),
          (xs, runSize) => {
            const es = xs.map((x, g) => ({...x, g}))
            const sp = new SortedSpool(codec, runSize, dir)
            try {
              for (const e of es) sp.add(e)
              assert.ok(sp.inMemory < runSize)
              assert.equal(sp.count, es.length)
              assert.deepEqual([...sp.sorted()], [...es].sort(byKey))
            } finally {
              sp.remove()
            }
          },
        ),
        {numRuns: 300},
      )
      assert.deepEqual(readdirSync(dir), [], 'every spool file removed')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('lines longer than the 64 KiB read buffer and multi-byte characters across its boundaries read back intact', () => {
    const sp = new SortedSpool(codec, 10)
    const es: E[] = []
    for (let g = 0; g < 200; g++) es.push({k: (g * 7919) % 200, g, s: 'é€😀'.repeat(g % 17 === 0 ? 30_000 : 1 + (g % 50))})
    for (const e of es) sp.add(e)
    assert.ok(sp.runCount >= 10, String(sp.runCount))
    assert.deepEqual([...sp.sorted()], [...es].sort(byKey))
    sp.remove()
  })

  it('10^6 entries in runs of 10^4: at most 10^4 in memory while adding, all back in order, the file removed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-test-'))
    const num: SpoolCodec<number> = {encode: (x) => String(x), decode: Number, key: (x) => x, tie: () => 0}
    const sp = new SortedSpool(num, 10_000, dir)
    let x = 12345
    let maxMem = 0
    for (let i = 0; i < 1_000_000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648
      sp.add(x)
      maxMem = Math.max(maxMem, sp.inMemory)
    }
    assert.ok(maxMem <= 10_000)
    assert.ok(sp.runCount >= 90, String(sp.runCount))
    let n = 0
    let prev = -1
    for (const v of sp.sorted()) {
      assert.ok(v >= prev)
      prev = v
      n += 1
    }
    assert.equal(n, 1_000_000)
    sp.remove()
    assert.ok(!existsSync(join(dir, readdirSync(dir)[0] ?? 'none')))
    rmSync(dir, {recursive: true, force: true})
  })
  it('10^6 entries added in order (GARPs): none held in memory, one run streamed to disk, read back in order', () => {
    const num: SpoolCodec<number> = {encode: (x) => String(x), decode: Number, key: (x) => x, tie: () => 0}
    const sp = new SortedSpool(num, 1000)
    for (let i = 0; i < 1_000_000; i++) {
      sp.add(i * 3)
      assert.equal(sp.inMemory, 0)
    }
    assert.equal(sp.runCount, 1)
    let n = 0
    for (const v of sp.sorted()) assert.equal(v, 3 * n++)
    assert.equal(n, 1_000_000)
    sp.remove()
  })
})

describe('LineSpool', () => {
  it('lines back as written, joined by the separator (raw bytes) or one by one; multi-byte characters and lines longer than the buffer intact', () => {
    const sep = ',\n      '
    const sp = new LineSpool(sep)
    const want: string[] = []
    for (let i = 0; i < 50_000; i++) want.push(i % 9973 === 0 ? 'é😀'.repeat(100_000) : `{"n":${i},"s":"${'é€'.repeat(i % 5)}"}`)
    for (const l of want) sp.append(l)
    assert.equal(sp.count, want.length)
    // each chunk is valid until the next is asked for: copied as it comes
    const chunks: Buffer[] = []
    for (const b of sp.bytes()) chunks.push(Buffer.from(b))
    assert.ok(chunks.length > 1)
    assert.ok(Buffer.concat(chunks).toString('utf8') === want.join(sep), 'the bytes are the lines joined by the separator')
    assert.deepEqual([...sp.lines()], want)
    sp.remove()
    const empty = new LineSpool(sep)
    assert.deepEqual([...empty.lines()], [])
    assert.deepEqual([...empty.bytes()], [])
    empty.remove()
  })
})
