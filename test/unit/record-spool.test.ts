/**
 * RecordSpool (src/util/record-spool.ts): any input order, any run size, gives the records sorted by field 0
 * then field 1, then in the order added (as a stable in-memory sort does), every field read back exactly
 * (fractions, large integers); records in order are streamed (none held), records past the write and read
 * buffers come back intact; the file is removed.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import fc from 'fast-check'

import {RecordSpool} from '../../src/util/record-spool.js'

type R = [number, number, number]
const read = (f: Float64Array, at: number): R => [f[at] as number, f[at + 1] as number, f[at + 2] as number]
const byKey = (x: R, y: R): number => x[0] - y[0] || x[1] - y[1]

describe('RecordSpool', () => {
  it('any order and run size: the records sorted by key, then tie, then as added (fast-check)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'record-spool-test-'))
    try {
      fc.assert(
        fc.property(
          fc.array(fc.record({k: fc.integer({min: -50, max: 50}), t: fc.integer({min: 0, max: 3}), v: fc.double({noNaN: true})}), {maxLength: 300}),
          fc.integer({min: 1, max: 40}),
          (xs, runSize) => {
            const rs: R[] = xs.map((x) => [x.k, x.t, x.v])
            const sp = new RecordSpool(3, runSize, dir)
            try {
              for (const r of rs) sp.add(r)
              assert.ok(sp.inMemory < runSize)
              assert.equal(sp.count, rs.length)
              assert.deepEqual([...sp.sorted(read)], [...rs].sort(byKey))
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

  it('100,000 records, mostly in order (epoch µs keys), past its buffers: the same as a sort, none held while in order', () => {
    const sp = new RecordSpool(3, 1000)
    try {
      const rs: R[] = []
      let t = 1795388396259732
      for (let i = 0; i < 100_000; i++) {
        t += 1000 + (i % 13)
        // every 97th record a little late (out of order): runs are merged
        const r: R = [i % 97 === 0 ? t - 5000 : t, i % 2, (t / 1000) % 7.3]
        rs.push(r)
        sp.add(r)
        if (i === 50) assert.equal(sp.inMemory, 0, 'in order so far: none held')
      }
      assert.deepEqual([...sp.sorted(read)], [...rs].sort(byKey))
    } finally {
      sp.remove()
    }
  })
})
