/**
 * PartsSpool (src/util/parts-spool.ts): lines kept as (text pair, number) read back as the same bytes a
 * LineSpool gives for their text — with lines given as text among them, lines longer than its buffers, more
 * text pairs than its table holds, multi-byte characters, and numbers past 2^32.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {PartsSpool} from '../../src/util/parts-spool.js'
import {rng} from '../helpers/rng.js'

describe('PartsSpool', () => {
  it('gives back the lines joined by the separator, pairs and text mixed, as LineSpool would', () => {
    const sep = ',\n      '
    const rnd = rng(11)
    const sp = new PartsSpool(sep)
    // 5,000 distinct pairs: more than the table's 4,096, so the last are spooled as text
    const pairs = Array.from({length: 5000}, (_, i) => ({head: Buffer.from(`{"t":`), tail: Buffer.from(`,"i":${i},"s":"${'é€'.repeat(i % 4)}"}`)}))
    const want: string[] = []
    for (let i = 0; i < 200_000; i++) {
      const r = rnd()
      if (r < 0.01) {
        const line = i % 50_000 === 0 ? 'é😀'.repeat(100_000) : `{"text":${i}}`
        sp.append(line)
        want.push(line)
      } else {
        const p = pairs[Math.floor(rnd() * (i < 100_000 ? 100 : pairs.length))] as {head: Buffer; tail: Buffer}
        const x = i % 7 === 0 ? 1795388396259732 + i : i % 11 === 0 ? 0 : Math.floor(rnd() * 2 ** 40)
        sp.appendAround(p.head, x, p.tail)
        want.push(`${p.head.toString()}${x}${p.tail.toString()}`)
      }
    }
    assert.equal(sp.count, want.length)
    const chunks: Buffer[] = []
    for (const b of sp.bytes()) chunks.push(Buffer.from(b))
    assert.ok(chunks.length > 1)
    assert.ok(Buffer.concat(chunks).toString('utf8') === want.join(sep), 'the bytes are the lines joined by the separator')
    assert.deepEqual([...sp.lines()], want)
    sp.remove()
    const empty = new PartsSpool(sep)
    assert.deepEqual([...empty.bytes()], [])
    assert.deepEqual([...empty.lines()], [])
    empty.remove()
  })
})
