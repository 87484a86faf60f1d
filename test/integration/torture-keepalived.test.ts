/**
 * Crash safety on the keepalived lab (issue 12):
 *  - the torture series: 10 drills, each killed by a seeded random signal (KILL, TERM, INT) at a seeded random
 *    moment (0.3–9 s) of a seeded random fault (every fault kind of the stack, kill --signal STOP included),
 *    `hachaos recover`, then the CTS-style audit (src/lab/audit.ts). The seed is printed; a failure names
 *    the seed and the try (replay: TORTURE_SEED=N).
 *  - one drill per target: a second drill 0.3 s after the first is refused at once (exit 10, naming the PID
 *    and run id), as is a drill on the VRRP peer; the first one runs to its end.
 *  - a full $HACHAOS_HOME (a 64 KiB tmpfs): the drill stops before the fault with the path and what to do.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {auditLab} from '../../src/lab/audit.js'
import type {DrillRun} from '../../src/store/run-types.js'
import {LocalExecutor} from '../../src/exec/local.js'
import {BIN, labPrefixForTests, runCli} from '../helpers/cli.js'
import {describeTry, KEEPALIVED_FAULTS, tortureSeed, tortureSeries} from '../helpers/torture.js'

const prefix = labPrefixForTests()
const TRIES = Number(process.env['TORTURE_TRIES'] ?? 10)

describe('crash safety on the keepalived lab', () => {
  before(async () => {
    await runCli(['lab', 'down'])
    const r = await runCli(['lab', 'up', '--json'], {timeoutMs: 90_000})
    assert.equal(r.code, 0, r.stderr)
  })
  after(async () => {
    await runCli(['lab', 'down'])
  })

  it(`torture: ${TRIES} drills killed by a random signal at a random moment, then recover: the audit finds nothing left`, async () => {
    const seed = tortureSeed()
    const s = await tortureSeries({topology: 'keepalived', prefix, faults: KEEPALIVED_FAULTS, tries: TRIES, seed})
    const dirty = s.tries.filter((t) => !t.clean)
    assert.equal(dirty.length, 0, `left behind (seed ${seed}):\n${dirty.map((t) => describeTry(seed, t)).join('\n')}`)
  })

  it('two drills on lb1 0.3 s apart: the second is refused at once (exit 10, naming PID and run id), so is one on the VRRP peer lb2; the first passes', async () => {
    const home = mkdtempSync(join(tmpdir(), 'hachaos-busy-'))
    const env = {HACHAOS_HOME: home}
    try {
      const first = spawn(process.execPath, [BIN, 'failover', '--target', 'lb1', '--json'], {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']})
      let out = ''
      first.stdout.on('data', (d: Buffer) => (out += d.toString()))
      const firstDone = new Promise<number | null>((res) => first.on('close', (c) => res(c)))
      await new Promise((r) => setTimeout(r, 300))
      const t0 = Date.now()
      const second = await runCli(['failover', '--target', 'lb1'], {env, timeoutMs: 60_000})
      const took = Date.now() - t0
      assert.equal(second.code, 10, `second drill: exit ${second.code}\n${second.stderr}`)
      assert.match(second.stderr, new RegExp(`PID ${first.pid ?? 0}`))
      assert.match(second.stderr, /drill run \d{8}T\d{6}Z-lb1-nic-down-[0-9a-f]+/)
      assert.ok(took < 5000, `refused after ${took} ms`)
      // lb2 shares lb1's VRRP instance: its drill would measure (and revert) the same takeover.
      await new Promise((r) => setTimeout(r, 2500))
      const peer = await runCli(['failover', '--target', 'lb2', '--fault', 'kill', '--process', 'haproxy'], {env, timeoutMs: 60_000})
      assert.equal(peer.code, 10, `peer drill: exit ${peer.code}\n${peer.stderr}`)
      assert.equal(await firstDone, 0)
      const run = JSON.parse(out) as DrillRun
      assert.equal(run.verdict, 'pass')
      assert.equal(run.reverted, true)
      const a = await auditLab({topology: 'keepalived', prefix, journalDir: join(home, 'journal')})
      assert.ok(a.clean, JSON.stringify(a.findings))
    } finally {
      rmSync(home, {recursive: true, force: true})
    }
  })

  it('a full $HACHAOS_HOME (64 KiB tmpfs): exit 4 before the fault, the message names the path and what to do, the lab is untouched', async () => {
    const mnt = mkdtempSync(join(tmpdir(), 'hachaos-full-'))
    const local = new LocalExecutor()
    const m = await local.run(['mount', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt])
    assert.equal(m.code, 0, m.stderr)
    try {
      mkdirSync(join(mnt, 'runs'))
      mkdirSync(join(mnt, 'journal'))
      // Fill it: the drill's first write (the journal entry) meets ENOSPC.
      let i = 0
      try {
        for (;; i++) writeFileSync(join(mnt, `fill-${i}`), Buffer.alloc(4096))
      } catch (e) {
        assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC')
      }
      const r = await runCli(['failover', '--target', 'lb1'], {env: {HACHAOS_HOME: mnt}, timeoutMs: 60_000})
      assert.equal(r.code, 4, `exit ${r.code}\n${r.stderr}`)
      assert.match(r.stderr, new RegExp(`cannot write the fault journal entry ${mnt}/journal/\\S+\\.json: the file system is full`))
      assert.match(r.stderr, /free some space/)
      assert.match(r.stderr, /HACHAOS_HOME/)
      assert.doesNotMatch(r.stderr, /^Error: ENOSPC/m)
      const a = await auditLab({topology: 'keepalived', prefix, journalDir: join(mnt, 'journal'), settleMs: 5000})
      assert.ok(a.clean, JSON.stringify(a.findings))
    } finally {
      await local.run(['umount', mnt])
      rmSync(mnt, {recursive: true, force: true})
    }
  })
})
