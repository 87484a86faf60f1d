/**
 * The store under damage and contention: locks (busy, stale, refused stale), journal entries corrupted by
 * hand or truncated, store write errors with the path and what to do, and recover going on past what it
 * cannot read.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {HachaosError, ExitCode} from '../../../src/errors.js'
import {recover} from '../../../src/fault/recover.js'
import type {FaultPlan} from '../../../src/fault/types.js'
import {closeJournal, openEntries, openJournal, recordHelpers, updateJournal} from '../../../src/store/journal.js'
import {LockSet, lockFile, sweepStaleLocks, type LockHolder} from '../../../src/store/locks.js'
import {jsonFileProblem, storeWriteError} from '../../../src/store/store-error.js'

const plan = (target: string): FaultPlan => ({
  kind: 'nic-down',
  target,
  summary: `ip link set dev eth0 down on ${target}`,
  effect: 'node-loss',
  params: {},
  inject: [{type: 'sleep', ms: 1, what: 'inject'}],
  revert: [{type: 'sleep', ms: 1, what: `bring eth0 up on ${target}`}],
  warnings: [],
})

/** A PID that is surely gone: a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'])
  return Number(r.stdout.toString().trim())
}

let home: string
let locks: string
const saved: Record<string, string | undefined> = {}
before(() => {
  home = mkdtempSync(join(tmpdir(), 'hachaos-store-'))
  locks = join(home, 'locks')
  for (const k of ['HACHAOS_HOME', 'HACHAOS_LOCK_DIR']) saved[k] = process.env[k]
  process.env['HACHAOS_HOME'] = home
  process.env['HACHAOS_LOCK_DIR'] = locks
})
after(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  rmSync(home, {recursive: true, force: true})
})

describe('locks: one drill per target', () => {
  it('a second holder is refused at once with BUSY (exit 10), naming the PID and run id', () => {
    const a = new LockSet({runId: 'run-a', what: 'failover --target lb1'})
    a.acquire(['lab-k-hc-lb1', 'lab-k-hc-lb2'])
    const b = new LockSet({runId: 'run-b', what: 'failover --target lb2'})
    assert.throws(
      () => b.acquire(['lab-k-hc-lb2']),
      (e: unknown) => e instanceof HachaosError && e.exit === ExitCode.BUSY && e.exit === 10 && e.message.includes(`PID ${process.pid}`) && e.message.includes('run-a') && e.where === lockFile('lab-k-hc-lb2'),
    )
    // All or none: b holds nothing after a refusal in the middle of its set.
    assert.throws(() => b.acquire(['lab-k-hc-aaa', 'lab-k-hc-lb1']))
    assert.equal(existsSync(lockFile('lab-k-hc-aaa')), false)
    a.release()
    b.acquire(['lab-k-hc-lb2'])
    b.release()
    assert.deepEqual(readdirSync(locks), [])
  })

  it('a stale lock (its PID gone) is taken over with a warning', () => {
    mkdirSync(locks, {recursive: true})
    const was: LockHolder = {schema: 'hachaos.lock/1', key: 'lab-k-hc-lb1', pid: deadPid(), pidStart: null, machine: (process.env['HOSTNAME'] ?? ''), runId: 'dead-run', what: 'failover', since: new Date().toISOString()}
    was.machine = JSON.parse(JSON.stringify(require_hostname()))
    writeFileSync(lockFile('lab-k-hc-lb1'), JSON.stringify(was))
    const warned: string[] = []
    const s = new LockSet({runId: 'run-c', what: 'failover', onStale: (k, h) => warned.push(`${k} ${h?.runId ?? ''}`)})
    s.acquire(['lab-k-hc-lb1'])
    assert.deepEqual(warned, ['lab-k-hc-lb1 dead-run'])
    assert.equal((JSON.parse(readFileSync(lockFile('lab-k-hc-lb1'), 'utf8')) as LockHolder).runId, 'run-c')
    s.release()
  })

  it('a stale lock whose drill may have left its fault is refused (BUSY): recover first', () => {
    const was: LockHolder = {schema: 'hachaos.lock/1', key: 'lab-k-hc-lb1', pid: deadPid(), pidStart: null, machine: require_hostname(), runId: 'dead-run-2', what: 'failover', since: new Date().toISOString()}
    writeFileSync(lockFile('lab-k-hc-lb1'), JSON.stringify(was))
    const s = new LockSet({runId: 'run-d', what: 'failover', refuseStale: (h) => new HachaosError(`fault left by ${h.runId}`, {code: 'E_BUSY_FAULT_LEFT', exit: 'BUSY'})})
    assert.throws(() => s.acquire(['lab-k-hc-lb1']), /fault left by dead-run-2/)
    // recover (owner of that run id) takes it, and a sweep removes what is stale.
    assert.equal(sweepStaleLocks().length, 1)
    assert.deepEqual(readdirSync(locks), [])
  })
})

function require_hostname(): string {
  return spawnSync('hostname').stdout.toString().trim()
}

describe('the lock directory', () => {
  it('is private (0700), but a parent it creates keeps the default mode: /run/hachaos also holds the labs, whose daemons run as other users', () => {
    const saved = process.env['HACHAOS_LOCK_DIR']
    const parent = join(home, 'run-hachaos')
    process.env['HACHAOS_LOCK_DIR'] = join(parent, 'locks')
    const old = process.umask(0o022)
    try {
      const s = new LockSet({runId: 'run-m', what: 'failover'})
      s.acquire(['lab-k-hc-lb1'])
      s.release()
      assert.equal(statSync(join(parent, 'locks')).mode & 0o777, 0o700)
      assert.equal(statSync(parent).mode & 0o777, 0o755, 'the parent traversable by www-data (the keepalived lab\'s apache2 answered 403 under a 0700 /run/hachaos)')
    } finally {
      process.umask(old)
      process.env['HACHAOS_LOCK_DIR'] = saved
    }
  })
})

describe('journal: from the first side effect, damaged files, recover', () => {
  it('entries open as planned, record helpers once each, and close as not-injected or reverted', () => {
    const dir = join(home, 'j1')
    const e = openJournal('r1', plan('lb1'), dir, ['lab-k-hc-lb1'])
    assert.equal(e.state, 'planned')
    assert.equal(recordHelpers(e, [{host: 'client', pid: 11, argv: ['tcpdump']}], dir), true)
    assert.equal(recordHelpers(e, [{host: 'client', pid: 11, argv: ['tcpdump']}], dir), false)
    recordHelpers(e, [{host: 'client', pid: 12, argv: ['node']}], dir)
    const back = openEntries(dir).entries[0]
    assert.deepEqual(back?.helpers.map((h) => h.pid), [11, 12])
    assert.deepEqual(back?.locks, ['lab-k-hc-lb1'])
    closeJournal(e, dir, 'not-injected')
    assert.deepEqual(openEntries(dir).entries, [])
    assert.equal((JSON.parse(readFileSync(join(dir, 'done', 'r1-nic-down.json'), 'utf8')) as {state: string}).state, 'not-injected')
  })

  it('a truncated entry (partial last line) and one corrupted by hand are named with the line, what to do, and the revert steps', () => {
    const dir = join(home, 'j2')
    const e = openJournal('r2', plan('lb1'), dir)
    updateJournal(e, 'injected', [], dir)
    const text = readFileSync(join(dir, 'r2-nic-down.json'), 'utf8')
    writeFileSync(join(dir, 'r2-nic-down.json'), text.slice(0, text.length - 40))
    writeFileSync(join(dir, 'hand.json'), '{"schema": "hachaos.journal/1", oops}\n')
    writeFileSync(join(dir, 'empty.json'), '')
    const o = openEntries(dir)
    assert.equal(o.entries.length, 0)
    const by = Object.fromEntries(o.unreadable.map((u) => [u.file.split('/').pop(), u]))
    assert.match(by['r2-nic-down.json']?.reason ?? '', /truncated JSON at line \d+/)
    assert.match(by['r2-nic-down.json']?.suggestion ?? '', /bring eth0 up on lb1/)
    assert.match(by['r2-nic-down.json']?.suggestion ?? '', /done\//)
    assert.match(by['hand.json']?.reason ?? '', /not valid JSON at line 1, column \d+/)
    assert.match(by['empty.json']?.reason ?? '', /empty/)
  })

  it('recover reverts every entry it can read, skips (and says so) the never injected, and names the unreadable', async () => {
    const dir = join(home, 'journal')
    const dead = deadPid()
    const mk = (run: string, state: 'planned' | 'injected' | 'failback'): void => {
      const e = openJournal(run, plan(run), dir)
      e.pid = dead
      updateJournal(e, state, [], dir)
    }
    mk('a-injected', 'injected')
    mk('b-planned', 'planned')
    mk('c-failback', 'failback')
    writeFileSync(join(dir, 'zz-broken.json'), '{"schema":"hachaos.journal/1","plan":{"revert":[{"what":"x"')
    const r = await recover()
    const act = Object.fromEntries(r.entries.map((x) => [x.runId, x.action]))
    assert.deepEqual(act, {'a-injected': 'reverted', 'b-planned': 'not-injected', 'c-failback': 'observers-ended'})
    assert.equal(r.unreadable.length, 1)
    assert.match(r.unreadable[0]?.reason ?? '', /truncated/)
    assert.equal(r.ok, true)
    assert.deepEqual(openEntries(dir).entries, [])
  })
})

describe('store write errors say which file, what happened and what to do', () => {
  const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: boom, write`), {code})
  it('ENOSPC, EACCES, EROFS map to ENVIRONMENT (exit 4) with the path and a suggestion', () => {
    for (const [code, words] of [['ENOSPC', /file system is full/], ['EACCES', /permission denied/], ['EROFS', /read-only/]] as const) {
      const e = storeWriteError(errno(code), '/x/journal/a.json', 'the fault journal entry')
      assert.equal(e.exit, 4)
      assert.match(e.message, /^cannot write the fault journal entry \/x\/journal\/a\.json: /)
      assert.match(e.message, words)
      assert.ok(e.suggestions.some((s) => s.includes('HACHAOS_HOME')), e.suggestions.join(' | '))
    }
  })

  it('an unwritable journal directory is reported by openJournal with its path (not as a bare EACCES)', {skip: process.getuid?.() === 0 ? 'root writes anywhere' : false}, () => {
    const dir = join(home, 'ro')
    mkdirSync(dir)
    chmodSync(dir, 0o500)
    assert.throws(() => openJournal('r3', plan('lb1'), dir), (e: unknown) => e instanceof HachaosError && e.message.includes(dir) && /permission denied/.test(e.message))
  })

  it('jsonFileProblem: line and column, truncated vs wrong', () => {
    assert.match(jsonFileProblem('{\n"a": 1,\n', new SyntaxError('Unexpected end of JSON input')), /truncated JSON at line 3/)
    let err: unknown
    try {
      JSON.parse('{\n"a": x}')
    } catch (e) {
      err = e
    }
    assert.match(jsonFileProblem('{\n"a": x}', err), /not valid JSON at line 2, column 6/)
  })
})
