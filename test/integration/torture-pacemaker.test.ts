/**
 * Crash safety on the Pacemaker lab (issue 12): a short torture series — standby, move, kill, partition, each
 * drill killed by a seeded random signal at a seeded random moment, `hachaos recover`, then the CTS-style
 * audit (src/lab/audit.ts: links, nftables, daemons running and not stopped, our processes, journal, the VIP
 * on one node and answering, crm_mon healthy). TORTURE_SEED replays a series; TORTURE_TRIES sets its length.
 */
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {labPrefixForTests, runCli} from '../helpers/cli.js'
import {describeTry, PACEMAKER_FAULTS, tortureSeed, tortureSeries} from '../helpers/torture.js'

const prefix = labPrefixForTests()
const TRIES = Number(process.env['TORTURE_TRIES'] ?? 4)
const TOPO = ['--topology', 'pacemaker']

describe('crash safety on the pacemaker lab', () => {
  before(async () => {
    await runCli(['lab', 'down', ...TOPO])
    const r = await runCli(['lab', 'up', ...TOPO, '--nodes', '3', '--json'], {timeoutMs: 180_000})
    assert.equal(r.code, 0, r.stderr)
  })
  after(async () => {
    await runCli(['lab', 'down', ...TOPO])
  })

  it(`torture: ${TRIES} drills (standby, move, kill, partition) killed by a random signal at a random moment, then recover: nothing left`, async () => {
    const seed = tortureSeed()
    // A Pacemaker drill reaches its fault later than a keepalived one (crm_mon, the nodes' clocks): signals up to
    // 20 s reach it in every phase (the series prints the phase each signal met).
    const s = await tortureSeries({topology: 'pacemaker', prefix, faults: PACEMAKER_FAULTS, tries: TRIES, seed, settleMs: 90_000, maxMs: 20_000, labUpArgs: ['--nodes', '3']})
    const dirty = s.tries.filter((t) => !t.clean)
    assert.equal(dirty.length, 0, `left behind (seed ${seed}):\n${dirty.map((t) => describeTry(seed, t)).join('\n')}`)
  })
})
