/** The VIP owner reading: two holders count only when a second reading confirms them (src/drill/pollers.ts). */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {confirmedHolders} from '../../../src/drill/pollers.js'

/** A reader that returns the given readings in turn and counts the calls. */
function readings(...rs: string[][]): {read: () => Promise<string[]>; calls: () => number} {
  let i = 0
  return {read: async () => [...(rs[Math.min(i++, rs.length - 1)] ?? [])], calls: () => i}
}

describe('confirmedHolders', () => {
  it('one holder: one reading, no second', async () => {
    const r = readings(['lb1'])
    assert.deepEqual(await confirmedHolders(r.read), ['lb1'])
    assert.equal(r.calls(), 1)
  })
  it('none: one reading', async () => {
    const r = readings([])
    assert.deepEqual(await confirmedHolders(r.read), [])
    assert.equal(r.calls(), 1)
  })
  it('a takeover between the answers (both, then lb2 only) is lb2, not a dual VIP', async () => {
    const r = readings(['lb2', 'lb1'], ['lb2'])
    assert.deepEqual(await confirmedHolders(r.read), ['lb2'])
    assert.equal(r.calls(), 2)
  })
  it('a real dual VIP survives the second reading, sorted', async () => {
    const r = readings(['lb2', 'lb1'], ['lb1', 'lb2'])
    assert.deepEqual(await confirmedHolders(r.read), ['lb1', 'lb2'])
  })
  it('three holders, one gone on the second reading: the two confirmed', async () => {
    const r = readings(['a', 'b', 'c'], ['c', 'a'])
    assert.deepEqual(await confirmedHolders(r.read), ['a', 'c'])
  })
})
