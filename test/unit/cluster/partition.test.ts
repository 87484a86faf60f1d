import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {PARTITION_TABLE, healScript, partitionScript, planPartition} from '../../../src/fault/nft-partition.js'

describe('corosync partition as data', () => {
  it('each side drops the other side\'s corosync UDP, in and out, in its own table (recreated: idempotent)', () => {
    const p = planPartition([{host: 'n1', addrs: ['10.77.0.11']}], [{host: 'n2', addrs: ['10.77.0.12']}, {host: 'n3', addrs: ['10.77.0.13', 'fd00::13']}], [5405])
    assert.deepEqual(p.sides, [['n1'], ['n2', 'n3']])
    assert.deepEqual(p.rules.map((r) => [r.host, r.blocks]), [['n1', ['10.77.0.12', '10.77.0.13', 'fd00::13']], ['n2', ['10.77.0.11']], ['n3', ['10.77.0.11']]])
    const n1 = p.rules[0]?.script ?? ''
    assert.ok(n1.startsWith(`add table inet ${PARTITION_TABLE}\ndelete table inet ${PARTITION_TABLE}\n`))
    assert.match(n1, /ip saddr \{ 10\.77\.0\.12, 10\.77\.0\.13 \} udp dport \{ 5405 \} drop/)
    assert.match(n1, /ip6 saddr \{ fd00::13 \} udp dport \{ 5405 \} drop/)
    assert.match(n1, /ip daddr \{ 10\.77\.0\.12, 10\.77\.0\.13 \} udp dport \{ 5405 \} drop/)
    assert.doesNotMatch(p.rules[1]?.script ?? '', /ip6/)
  })

  it('the heal deletes the table whether or not it is there', () => {
    assert.equal(healScript(), `add table inet ${PARTITION_TABLE}\ndelete table inet ${PARTITION_TABLE}\n`)
    assert.match(partitionScript(['10.0.0.1'], [5405, 5406]), /udp dport \{ 5405, 5406 \}/)
  })
})
