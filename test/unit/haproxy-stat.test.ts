import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {parseShowStat} from '../../src/stacks/keepalived/haproxy.js'

const FIX = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'haproxy')

describe("HAProxy `show stat` (captured from the lab's lb1)", () => {
  it('all servers UP', () => {
    const s = parseShowStat(readFileSync(join(FIX, 'show-stat-up.csv'), 'utf8'))
    assert.deepEqual(s, [
      {backend: 'www_servers', server: 'web1', status: 'UP'},
      {backend: 'www_servers', server: 'web2', status: 'UP'},
    ])
  })

  it('web1 DOWN after Apache was killed on it', () => {
    const s = parseShowStat(readFileSync(join(FIX, 'show-stat-web1-down.csv'), 'utf8'))
    assert.equal(s.find((x) => x.server === 'web1')?.status, 'DOWN')
    assert.equal(s.find((x) => x.server === 'web2')?.status, 'UP')
  })

  it('garbage gives nothing, not an exception', () => {
    assert.deepEqual(parseShowStat(''), [])
    assert.deepEqual(parseShowStat('Unknown command\n'), [])
  })
})
