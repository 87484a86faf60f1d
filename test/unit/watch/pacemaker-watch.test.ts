/**
 * The Pacemaker watch (src/stacks/pacemaker/watch.ts) on the records `hachaos watch` made in the pacemaker lab
 * (test/fixtures/watch-pacemaker, see its README: a standby by hand, then corosync killed by hand): the anchor
 * found again in each record's events is the moment the record was measured from, with the same cause and
 * owners; the stream of both records fed again through the incident tracker with the Pacemaker model gives the
 * same two incidents with the same relocation, outage and split brain.
 */
import assert from 'node:assert/strict'
import {readFileSync, readdirSync} from 'node:fs'
import {describe, it} from 'node:test'

import {pacemakerAnchor, pacemakerIncidentModel} from '../../../src/stacks/pacemaker/watch.js'
import type {DrillRun, Prediction, TimelineEvent} from '../../../src/store/run-types.js'
import {arrivalOrder} from '../../../src/tui/failover-monitor.js'
import {IncidentTracker, type Incident} from '../../../src/watch/incidents.js'
import type {MasterChange} from '../../../src/watch/types.js'
import {fixturePath} from '../../fixture.js'

const dir = fixturePath('watch-pacemaker')
const runs = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(`${dir}/${f}`, 'utf8')) as DrillRun)
const names = new Map([['n1', 'n1'], ['n2', 'n2'], ['n3', 'n3']])

describe('watch: Pacemaker incidents (records of the pacemaker lab)', () => {
  it('two records: a standby, then a corosync loss', () => {
    assert.deepEqual(runs.map((r) => [r.kind, r.stack, r.fault.params['cause']]), [['incident', 'pacemaker', 'standby'], ['incident', 'pacemaker', 'node-loss']])
  })

  it('the anchor found again in each record is the moment it was measured from', () => {
    for (const r of runs) {
      const a = pacemakerAnchor(r.events, names)
      assert.ok(a !== null)
      assert.equal(a.atUs + 1, r.metrics.faultAtUs)
      assert.equal(a.change.cause, r.fault.params['cause'])
      assert.equal(a.change.from, r.metrics.oldOwner)
      assert.equal(a.change.to, r.metrics.newOwner)
      assert.equal(a.change.graceful, a.change.cause === 'standby')
      // the cause is the old node's own reading: standby from crm_mon, corosync down from its liveness poll
      const at = r.events.find((e) => e.t === a.atUs && e.type === 'cluster')
      assert.ok(at !== undefined && at.type === 'cluster')
      assert.equal(at.resource, a.change.cause === 'standby' ? `@node:${a.change.from}` : `@corosync:${a.change.from}`)
    }
  })

  it('a second incident whose events reach back past the first one\'s move: anchored on its own move, not the first', () => {
    // the pre-trigger window (15 s) of the node-loss incident, reaching back to before the standby's move:
    // both records' events, as the watch's ring can hold them when the two come close together
    const [r1, r2] = runs as [DrillRun, DrillRun]
    const seen = new Set<string>()
    const merged = [...r1.events, ...r2.events].filter((e) => {
      const k = JSON.stringify(e)
      if (seen.has(k)) return false
      seen.add(k)
      return true
    })
    merged.sort((x, y) => x.t - y.t)
    // when the second incident opened: its id's second (new Date(openedUs / 1000), cut to the second), after the
    // first move was over (n2 alone since 1796530046.148892) and before the second one began
    const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z/.exec(r2.id)
    assert.ok(m !== null)
    const openedUs = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) * 1000
    // without the opening time, the first move in the window was taken: n1's standby (the bug)
    assert.deepEqual([pacemakerAnchor(merged, names)?.change.from, pacemakerAnchor(merged, names)?.change.cause], ['n1', 'standby'])
    const a = pacemakerAnchor(merged, names, openedUs)
    assert.ok(a !== null)
    assert.deepEqual([a.change.from, a.change.to, a.change.cause], ['n2', 'n1', 'node-loss'])
    assert.equal(a.atUs + 1, r2.metrics.faultAtUs)
  })

  it('fed again through the tracker: the same two incidents, relocation, outage and split brain', () => {
    const seen = new Set<string>()
    const events: TimelineEvent[] = []
    for (const r of runs) {
      for (const e of r.events) {
        const k = JSON.stringify(e)
        if (!seen.has(k)) {
          seen.add(k)
          events.push(e)
        }
      }
    }
    const byCause = new Map(runs.map((r) => [String(r.fault.params['cause']), r.prediction]))
    const predict = (c: MasterChange): Prediction => byCause.get(c.cause ?? '') ?? {metric: 'relocationMs', takeoverMs: null, minMs: null, maxMs: null, formula: 'none', inputs: {}}
    const first = runs[0] as DrillRun
    const macs: Record<string, string> = {}
    for (const h of first.hosts) if (h.mac !== undefined) macs[h.mac] = h.name
    const out: Incident[] = []
    const t = new IncidentTracker(
      {
        stack: 'pacemaker',
        vip: first.vip,
        vrid: null,
        hosts: first.hosts.filter((h) => h.ip !== undefined).map((h) => ({name: h.name, ...(h.ip === undefined ? {} : {ip: h.ip}), ...(h.mac === undefined ? {} : {mac: h.mac})})),
        captureHost: first.captureHost,
        probe: first.probe,
        inventory: null,
        lab: null,
        clockOffsets: [],
        toleranceMs: 100,
        predict,
        model: pacemakerIncidentModel({names, vip: first.vip, macs, firstMember: 'vip'}),
      },
      {settleMs: 3000},
      (i) => out.push(i),
    )
    for (const {e} of arrivalOrder(events)) t.push(e)
    t.flush()
    assert.equal(out.length, 2)
    for (let i = 0; i < 2; i++) {
      const got = out[i] as Incident
      const want = runs[i] as DrillRun
      assert.equal(got.run.fault.params['cause'], want.fault.params['cause'])
      assert.equal(got.run.metrics.faultAtUs, want.metrics.faultAtUs)
      assert.equal(got.run.metrics.extra['relocationMs'], want.metrics.extra['relocationMs'])
      assert.equal(got.measuredMs, want.metrics.extra['relocationMs'])
      assert.equal(got.run.metrics.outageMs, want.metrics.outageMs)
      assert.equal(got.run.metrics.lostProbes, want.metrics.lostProbes)
      assert.deepEqual(got.run.splitBrain.map((s) => s.kind).sort(), want.splitBrain.map((s) => s.kind).sort())
    }
  })
})
