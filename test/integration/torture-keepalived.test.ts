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
import {sleep} from '../../src/time.js'
import {BIN, labPrefixForTests, runCli, waitVipHome} from '../helpers/cli.js'
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

  it('two drills on lb1 0.3 s apart: exactly one runs (and passes), the other is refused at once (exit 10, naming its PID and run id); so is a drill on the VRRP peer lb2 meanwhile', async () => {
    const home = mkdtempSync(join(tmpdir(), 'hachaos-busy-'))
    const env = {HACHAOS_HOME: home}
    const start = (args: string[]): {pid: number; done: Promise<{code: number | null; out: string; err: string; at: number}>} => {
      const c = spawn(process.execPath, [BIN, ...args], {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']})
      let out = ''
      let err = ''
      c.stdout.on('data', (d: Buffer) => (out += d.toString()))
      c.stderr.on('data', (d: Buffer) => (err += d.toString()))
      return {pid: c.pid ?? 0, done: new Promise((res) => c.on('close', (code) => res({code, out, err, at: Date.now()})))}
    }
    try {
      // The torture series may end with a fault on lb1 just reverted: lb1 preempts back some seconds later.
      await waitVipHome('lb1', {env})
      const t0 = Date.now()
      const a = start(['failover', '--target', 'lb1', '--json'])
      await sleep(300)
      const b = start(['failover', '--target', 'lb1', '--json'])
      // The loser ends at once; the winner runs its drill.
      const first = await Promise.race([a.done.then((r) => ({who: 'a' as const, r})), b.done.then((r) => ({who: 'b' as const, r}))])
      const [winner, loserR] = first.who === 'a' ? [b, first.r] : [a, first.r]
      assert.equal(loserR.code, 10, `the refused drill: exit ${loserR.code}\n${loserR.err}\n${loserR.out}`)
      assert.ok(loserR.at - t0 < 8000, `refused ${loserR.at - t0} ms after the start`)
      const e = (JSON.parse(loserR.out) as {error: {code: string; message: string}}).error
      assert.equal(e.code, 'E_BUSY')
      assert.match(e.message, new RegExp(`PID ${winner.pid}\\b`))
      assert.match(e.message, /drill run \d{8}T\d{6}Z-lb1-nic-down-[0-9a-f]+/)
      // lb2 shares lb1's VRRP instance: its drill would measure (and revert) the same takeover.
      const peer = await runCli(['failover', '--target', 'lb2', '--fault', 'kill', '--process', 'haproxy', '--json'], {env, timeoutMs: 60_000})
      assert.equal(peer.code, 10, `peer drill: exit ${peer.code}\n${peer.stderr}`)
      const w = await winner.done
      assert.equal(w.code, 0, `${w.err}\n${w.out.slice(0, 4000)}`)
      const run = JSON.parse(w.out) as DrillRun
      assert.equal(run.verdict, 'pass')
      assert.equal(run.reverted, true)
      const audit = await auditLab({topology: 'keepalived', prefix, journalDir: join(home, 'journal')})
      assert.ok(audit.clean, JSON.stringify(audit.findings))
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
      const r = await runCli(['failover', '--target', 'lb1', '--json'], {env: {HACHAOS_HOME: mnt}, timeoutMs: 60_000})
      assert.equal(r.code, 4, `exit ${r.code}\n${r.stderr}\n${r.stdout}`)
      const err = (r.json as {error: {message: string; where: string; suggestions: string[]; code: string}}).error
      assert.equal(err.code, 'E_STORE')
      assert.match(err.message, new RegExp(`^cannot write the fault journal entry ${mnt}/journal/\\S+\\.json: the file system is full$`))
      assert.ok(err.where.startsWith(`${mnt}/journal/`))
      assert.ok(err.suggestions.some((x) => /free some space/.test(x)) && err.suggestions.some((x) => /HACHAOS_HOME/.test(x)), err.suggestions.join(' | '))
      assert.doesNotMatch(r.stderr + r.stdout, /Error: ENOSPC/)
      const a = await auditLab({topology: 'keepalived', prefix, journalDir: join(mnt, 'journal'), settleMs: 5000})
      assert.ok(a.clean, JSON.stringify(a.findings))
    } finally {
      await local.run(['umount', mnt])
      rmSync(mnt, {recursive: true, force: true})
    }
  })
})
