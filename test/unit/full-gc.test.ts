import assert from 'node:assert/strict'
import {getHeapSpaceStatistics} from 'node:v8'
import {describe, it} from 'node:test'

import {fullGc} from '../../src/util/full-gc.js'

function oldSpaceUsed(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')?.space_used_size ?? 0
}

describe('fullGc (the watch\'s full GC a minute)', () => {
  it('is available on this runtime, and frees objects that died in old space', () => {
    const gc = fullGc()
    assert.ok(gc !== null, 'node 20 exposes gc to a new context once --expose-gc is set')
    // a window of 1,000 live objects, 200,000 made: most die after a scavenge or two, promoted
    const window: Array<{i: number; s: string}> = []
    for (let i = 0; i < 200_000; i++) {
      window.push({i, s: `x${i}`})
      if (window.length > 1000) window.shift()
    }
    gc()
    const after = oldSpaceUsed()
    for (let i = 0; i < 200_000; i++) {
      window.push({i, s: `y${i}`})
      if (window.length > 1000) window.shift()
    }
    const grown = oldSpaceUsed()
    gc()
    const again = oldSpaceUsed()
    // a full GC may not shrink old space when little died there, and code that V8 compiled meanwhile (the test
    // runner's, under the parallel unit run) lands in it: +147 KB was seen at load 5, so allow 512 KB
    assert.ok(again <= grown + 512 * 1024, `a full GC does not grow old space: ${grown} → ${again}`)
    assert.ok(again < after * 1.5 + 1_000_000, `old space back near its live size after a full GC: ${after} → ${again}`)
    assert.equal(window.length, 1000)
  })
  it('gives the same function each time and adds no global gc', () => {
    assert.equal(fullGc(), fullGc())
    assert.equal((globalThis as {gc?: unknown}).gc, undefined)
  })
})
