import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {offsetFromBounds} from '../../src/drill/clock.js'

describe("clock offsets by Cristian's bounds", () => {
  it('no correction when 0 lies within what can be measured (NTP-synchronised hosts over a slow ssh)', () => {
    assert.deepEqual(offsetFromBounds(-90_000, 30_000), {offsetUs: 0, uncertaintyUs: 60_000})
  })
  it('the smallest correction consistent with every sample otherwise', () => {
    assert.deepEqual(offsetFromBounds(250_000, 280_000), {offsetUs: 250_000, uncertaintyUs: 15_000})
    assert.deepEqual(offsetFromBounds(-280_000, -250_000), {offsetUs: -250_000, uncertaintyUs: 15_000})
  })
  it('no samples: no correction, unknown uncertainty; inconsistent bounds: the middle', () => {
    assert.deepEqual(offsetFromBounds(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY), {offsetUs: 0, uncertaintyUs: null})
    assert.deepEqual(offsetFromBounds(10, 0), {offsetUs: 5, uncertaintyUs: 5})
  })
})
