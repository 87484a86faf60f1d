/**
 * Crash safety on the bond lab (issue 12): `hachaos bond failover` (member-down: a QEMU cable pull) killed by a
 * seeded random signal at a seeded random moment, `hachaos recover`, then the audit (src/lab/audit.ts: every
 * bond member's MII up again in the guest, no ping or watchdog of ours left, no open journal entry).
 */
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {labPrefixForTests, runCli} from '../helpers/cli.js'
import {BOND_FAULTS, describeTry, tortureSeed, tortureSeries} from '../helpers/torture.js'

const prefix = labPrefixForTests()
const TRIES = Number(process.env['TORTURE_TRIES'] ?? 3)
const TOPO = ['--topology', 'bond']

describe('crash safety on the bond lab', {skip: process.getuid?.() === 0 ? false : 'needs root (namespaces, QEMU taps)'}, () => {
  before(async () => {
    await runCli(['lab', 'down', ...TOPO])
    const r = await runCli(['lab', 'up', ...TOPO, '--json'], {timeoutMs: 240_000})
    assert.equal(r.code, 0, r.stderr)
  })
  after(async () => {
    await runCli(['lab', 'down', ...TOPO])
  })

  it(`torture: ${TRIES} member-down drills killed by a random signal at a random moment, then recover: nothing left`, async () => {
    const seed = tortureSeed()
    const s = await tortureSeries({topology: 'bond', prefix, faults: BOND_FAULTS, tries: TRIES, seed, maxMs: 7000})
    const dirty = s.tries.filter((t) => !t.clean)
    assert.equal(dirty.length, 0, `left behind (seed ${seed}):\n${dirty.map((t) => describeTry(seed, t)).join('\n')}`)
  })
})
