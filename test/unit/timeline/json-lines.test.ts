/**
 * The templates of src/timeline/json-lines.ts write exactly what JSON.stringify writes for the same entry
 * (fast-check over names with quotes, control and non-ASCII characters, fractional and negative numbers).
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import fc from 'fast-check'

import {advertGapJson, garpJson, masterJson, priorityChangeJson} from '../../../src/timeline/json-lines.js'

const str = fc.string({unit: 'binary', maxLength: 20})
const num = fc.oneof(fc.integer({min: -1e6, max: 1e6}), fc.double({noNaN: true, noDefaultInfinity: true}), fc.constant(1_795_388_396_259_732))

describe('json-lines: the timeline entries as JSON.stringify writes them', () => {
  it('master spans, GARPs, priority changes, advert gaps (fast-check)', () => {
    fc.assert(
      fc.property(str, str, str, num, num, num, fc.boolean(), fc.constantFrom<'request' | 'reply'>('request', 'reply'), (a, b, c, x, y, z, flag, op) => {
        const m = {vrid: x, source: a, ip: b, mac: c, startUs: y, endUs: z, prio: x, adverts: y, intervalMs: z, resigned: flag}
        assert.equal(masterJson(m), JSON.stringify(m))
        const g = {t: x, op, source: a, mac: b, ip: c, forVip: flag}
        assert.equal(garpJson(g), JSON.stringify(g))
        const p = {t: x, vrid: y, source: a, from: z, to: x}
        assert.equal(priorityChangeJson(p), JSON.stringify(p))
        const gap = {vrid: x, source: a, fromUs: y, toUs: z, gapMs: x, intervalMs: y}
        assert.equal(advertGapJson(gap), JSON.stringify(gap))
      }),
      {numRuns: 2000},
    )
  })
})
