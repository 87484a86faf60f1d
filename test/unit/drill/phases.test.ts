/** The phase list of a saved run: the generic moments, plus those of the stack that ran it (its folder's). */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {STACKS, drillPhases} from '../../../src/stacks/registry.js'
import type {DrillRun} from '../../../src/store/run-types.js'

const RUN = join(import.meta.dirname, '..', '..', '..', '..', 'test', 'fixtures', 'runs', '20261109T104100Z-lb1-kill-hand.json')

describe('drill phases by stack', () => {
  it('a keepalived run: the VRRP moments from the keepalived stack, in time order', () => {
    const run = JSON.parse(readFileSync(RUN, 'utf8')) as DrillRun
    const ph = drillPhases(run)
    assert.ok(ph.some((p) => p.atMs === 0 && p.what.startsWith('fault: ')))
    if (run.metrics.takeoverMs !== null) assert.ok(ph.some((p) => p.atMs === run.metrics.takeoverMs && /takes over \(first advert as master\)/.test(p.what)))
    assert.deepEqual(ph.map((p) => p.atMs), [...ph.map((p) => p.atMs)].sort((a, b) => a - b))
  })

  it('a pacemaker run: the relocation moments, and none of the VRRP ones', () => {
    const base = JSON.parse(readFileSync(RUN, 'utf8')) as DrillRun
    const run: DrillRun = {...base, stack: 'pacemaker', metrics: {...base.metrics, newOwner: 'n2', extra: {relocationMs: 1234, nodeLostMs: 900, backendEjectMs: 50}}}
    const what = drillPhases(run).map((p) => p.what)
    assert.ok(what.includes('the VIP is configured on n2'))
    assert.ok(what.includes(`crm_mon: ${run.target} lost (offline or unclean)`))
    assert.ok(!what.some((w) => /advert|HAProxy/.test(w)), what.join('; '))
  })

  it('every stack takes its targets by roles: one stack per role set, in the registry order', () => {
    const host = (roles: string[]) => ({name: 'h', address: '10.0.0.1', roles, facts: {}}) as unknown as Parameters<(typeof STACKS)[number]['matches']>[0]
    const inv = {} as Parameters<(typeof STACKS)[number]['matches']>[1]
    const pick = (roles: string[]): string | undefined => STACKS.find((s) => s.matches(host(roles), inv))?.name
    assert.equal(pick(['lb']), 'keepalived')
    assert.equal(pick(['web']), 'keepalived')
    assert.equal(pick(['cluster-node']), 'pacemaker')
    assert.equal(pick(['cluster-node', 'lb']), 'pacemaker')
    assert.equal(pick(['client']), undefined)
  })
})
