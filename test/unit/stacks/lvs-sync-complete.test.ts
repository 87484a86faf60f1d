/**
 * Sync completeness before a director drill (src/stacks/lvs/sync-complete.ts): the master's sync_threshold
 * read from /proc, and the explanation of what the backup's table lacks, on real `ipvsadm -Lnc` outputs of
 * both directors captured in the LVS lab (test/fixtures/lvs/).
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {explainSyncGap, parseSyncThreshold} from '../../../src/stacks/lvs/sync-complete.js'
import {syncDivergence} from '../../../src/stacks/lvs/sync-drop.js'
import {readFixture} from '../../fixture.js'

const fx = (name: string): string => readFixture('lvs', name)

describe('sync completeness before the fault', () => {
  it('sync_threshold and sync_refresh_period as the kernel prints them (the guest: "3\\t50" and "0")', () => {
    assert.deepEqual(parseSyncThreshold('3\t50\n0\n'), {first: 3, period: 50, refreshS: 0})
    assert.deepEqual(parseSyncThreshold('3 50\n'), {first: 3, period: 50, refreshS: null})
    assert.equal(parseSyncThreshold(''), null)
    assert.equal(parseSyncThreshold('cat: can\'t open\n'), null)
  })

  it('sync running: only short flows missing, explained by the threshold; no stream missing', () => {
    const d = syncDivergence(fx('d1-ipvsadm-Lnc-sync.txt'), fx('d2-ipvsadm-Lnc-sync.txt'), 7)
    const text = explainSyncGap(d, {first: 3, period: 50, refreshS: 0}, 'dir1', 'dir2')
    assert.equal(
      text,
      "before the fault 17 of 163 entries of dir1's connection table were not in dir2's (0 of the 11 long-lived streams): IPVS syncs a connection when it has seen 3 packets, then every 50 (dir1's sync_threshold \"3 50\"); no long-lived stream is missing: the missing entries are short flows (the probes' one-request connections), over before they reached the threshold, which a failover does not need",
    )
  })

  it('sync dropped: the streams missing are named as what a failover resets; unread threshold: the default is stated', () => {
    const d = syncDivergence(fx('d1-ipvsadm-Lnc-drop-sync.txt'), fx('d2-ipvsadm-Lnc-drop-sync.txt'), 7)
    const text = explainSyncGap(d, null, 'dir1', 'dir2')
    assert.match(text, /^before the fault 257 of 410 entries .*\(10 of the 32 long-lived streams\): IPVS syncs a connection only after sync_threshold packets \(default 3, then every 50\); 10 long-lived stream\(s\) missing will be reset by a failover/)
  })

  it('nothing missing: complete', () => {
    const d = syncDivergence(fx('d1-ipvsadm-Lnc-sync.txt'), fx('d1-ipvsadm-Lnc-sync.txt'), 7)
    assert.equal(explainSyncGap(d, null, 'dir1', 'dir2'), "before the fault dir2 held every entry of dir1's connection table (163, 11 long-lived streams): the sync daemon was complete")
  })
})
