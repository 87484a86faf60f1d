/**
 * `hachaos failover --tui` in a real terminal: tmux (a 160×48 pane) runs a NIC-down drill on the keepalived
 * lab and `capture-pane` reads the screen while it happens. Before the fault lb1 is MASTER; during the outage
 * the clock runs; after the takeover lb2 is MASTER and the clock is frozen at the client outage, which must
 * equal the figure of the saved run. A second drill is aborted with q mid-hold: exit 130, reverted, and the
 * lab back to its steady state (VIP on lb1 only, every daemon up, no journal entry left open).
 */
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {LocalExecutor} from '../../src/exec/local.js'
import {findBinary} from '../../src/exec/which.js'
import type {LabStatus} from '../../src/lab/driver.js'
import type {DrillRun} from '../../src/store/run-types.js'
import {sleep} from '../../src/time.js'
import {BIN, runCli} from '../helpers/cli.js'

const HOME = mkdtempSync(join(tmpdir(), 'hachaos-tui-'))
const env = {HACHAOS_HOME: HOME}
const local = new LocalExecutor()
const socket = `hachaos-tui-${process.pid}`
const tmux = (...args: string[]): Promise<{code: number | null; stdout: string; stderr: string}> => local.run(['tmux', '-L', socket, ...args])
const RATE = 20
/**
 * The live clock follows the analysis's rule on the same events, so it should equal the saved figure; the
 * tolerance is the screen's rounding (1 ms) plus one probe interval (1/rate: a completion the live board saw
 * in a different order than the analysis's time order).
 */
const CLOCK_TOL_MS = 1 + 1000 / RATE

/** lb1's and lb2's node boxes sit side by side: "│STATE  priority N   10.66.0.11 …││STATE  priority N   10.66.0.12". */
const NODES = /│(MASTER|BACKUP|FAULT|UNKNOWN)\s+priority \d+\s+10\.66\.0\.11.*│(MASTER|BACKUP|FAULT|UNKNOWN)\s+priority \d+\s+10\.66\.0\.12/

async function screen(session: string): Promise<string> {
  return (await tmux('capture-pane', '-p', '-t', session)).stdout
}

function startTui(session: string, args: string[]): Promise<{code: number | null; stderr: string}> {
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`
  const cmd = ['env', `HACHAOS_HOME=${HOME}`, 'LANG=C.UTF-8', process.execPath, BIN, 'failover', '--tui', ...args].map(quote).join(' ')
  return tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '48', `${cmd}; echo EXITED:$?; sleep 120`)
}

async function waitFor(session: string, what: RegExp, ms: number): Promise<string> {
  const end = Date.now() + ms
  let s = ''
  while (Date.now() < end) {
    s = await screen(session)
    if (what.test(s)) return s
    await sleep(150)
  }
  assert.fail(`${what} did not appear within ${ms} ms; screen:\n${s}`)
}

function savedRuns(): DrillRun[] {
  const dir = join(HOME, 'runs')
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as DrillRun)
}

async function labSettled(): Promise<LabStatus> {
  let s: LabStatus | undefined
  for (let i = 0; i < 80; i++) {
    const r = await runCli(['lab', 'status', '--json'])
    s = r.json as LabStatus
    if (s.healthy && s.vipOwners.length === 1 && s.vipOwners[0] === 'lb1') return s
    await sleep(250)
  }
  assert.fail(`lab did not settle: ${JSON.stringify(s?.problems)} VIP on ${JSON.stringify(s?.vipOwners)}`)
}

/** Whatever happened in a test, its drill ends: q (abort, revert), then the session goes. */
async function endSession(session: string): Promise<void> {
  if (!/EXITED:/.test(await screen(session))) {
    await tmux('send-keys', '-t', session, 'q')
    for (let i = 0; i < 100 && !/EXITED:/.test(await screen(session)); i++) await sleep(200)
  }
  await tmux('kill-session', '-t', session)
}

const tmuxMissing = findBinary('tmux') === null

describe('failover --tui in tmux on the keepalived lab', {skip: tmuxMissing ? 'tmux not installed' : false}, () => {
  before(async () => {
    await runCli(['lab', 'down'])
    const r = await runCli(['lab', 'up', '--json'], {timeoutMs: 90_000})
    assert.equal(r.code, 0, r.stderr)
  })
  after(async () => {
    await tmux('kill-server')
    await runCli(['lab', 'down'])
    rmSync(HOME, {recursive: true, force: true})
  })

  it('shows MASTER moving from lb1 to lb2 and the outage clock running, then frozen at the saved run\'s figure', async () => {
    const r = await startTui('drill', ['--target', 'lb1', '--rate', String(RATE)])
    assert.equal(r.code, 0, r.stderr)
    try {
      await nicDownOnTheBoard()
    } finally {
      await endSession('drill')
    }
    await labSettled()
  })

  async function nicDownOnTheBoard(): Promise<void> {
    // before the fault: lb1 MASTER, lb2 BACKUP
    const s0 = await waitFor('drill', /│MASTER\s+priority \d+\s+10\.66\.0\.11/, 20_000)
    const n0 = NODES.exec(s0)
    assert.deepEqual([n0?.[1], n0?.[2]], ['MASTER', 'BACKUP'], s0)
    assert.match(s0, /before the fault/)
    // during the outage: the clock runs
    const s1 = await waitFor('drill', /client outage RUNNING\s+\d+\.\d s/, 20_000)
    assert.match(s1, /takeover from lb1's last advert:/)
    // after the takeover: lb2 MASTER (until the failback), the clock frozen
    const s2 = await waitFor('drill', /│MASTER\s+priority \d+\s+10\.66\.0\.12/, 20_000)
    assert.match(s2, /│(FAULT|BACKUP)\s+priority \d+\s+10\.66\.0\.11/, 'lb1 no longer master while lb2 is')
    // the end of the drill: the run's verdict on the board, q exits
    const s3 = await waitFor('drill', /drill over: q to exit/, 40_000)
    assert.match(s3, /run verdict: (PASS|WARN|FAIL)/)
    const frozen = /client outage ([\d.]+) (s|ms)\s+(\d+) probes failed\s+\(frozen\)/.exec(s3)
    assert.ok(frozen !== null, s3)
    const liveMs = Number(frozen[1]) * (frozen[2] === 's' ? 1000 : 1)
    const phases = ['fault injected', 'first failed probe', 'takeover: lb2', 'gratuitous ARP', 'the service answers again', 'fault reverted']
    for (const p of phases) assert.ok(s3.includes(p), `phase "${p}" on the board`)
    await tmux('send-keys', '-t', 'drill', 'q')
    const s4 = await waitFor('drill', /EXITED:\d+/, 10_000)
    // 0: PASS or WARN; 7: the verdict failed (a loaded machine can push a figure out of --tolerance). Not 130.
    assert.match(s4, /EXITED:(0|7)\b/)
    const run = savedRuns().at(-1)
    assert.ok(run !== undefined)
    assert.equal(run.metrics.newOwner, 'lb2')
    assert.equal(run.reverted, true)
    assert.ok(run.metrics.outageMs !== null)
    assert.ok(Math.abs(liveMs - run.metrics.outageMs) <= CLOCK_TOL_MS, `board ${liveMs} ms, saved run ${run.metrics.outageMs} ms (±${CLOCK_TOL_MS} ms)`)
    // the summary printed after the board closed names the same figure
    assert.match(s4, /client outage\s+[\d.]+ (s|ms), \d+ probes lost/)
  }

  it('q mid-hold aborts: reverted at once, exit 130, the lab back to its steady state', async () => {
    const r = await startTui('abort', ['--target', 'lb1', '--rate', String(RATE), '--hold', '30s'])
    assert.equal(r.code, 0, r.stderr)
    try {
      await abortMidHold()
    } finally {
      await endSession('abort')
    }
  })

  async function abortMidHold(): Promise<void> {
    await waitFor('abort', /fault held [1-9]\d* s/, 25_000)
    const t0 = Date.now()
    await tmux('send-keys', '-t', 'abort', 'q')
    const s = await waitFor('abort', /EXITED:\d+/, 20_000)
    assert.match(s, /EXITED:130\b/, s)
    assert.ok(Date.now() - t0 < 15_000, 'q does not wait for the 30 s hold')
    const run = savedRuns().at(-1)
    assert.ok(run !== undefined)
    assert.equal(run.reverted, true)
    assert.equal(run.judgedBy?.interrupted, true)
    assert.ok(run.holdMs < 30_000, `held ${run.holdMs} ms of 30 s`)
    const st = await labSettled()
    for (const n of st.nodes) for (const d of n.daemons) assert.ok(d.running, `${d.service} not running on ${n.name}`)
    const open = existsSync(join(HOME, 'journal')) ? readdirSync(join(HOME, 'journal')).filter((f) => f.endsWith('.json')) : []
    assert.deepEqual(open, [], 'open journal entries')
  }
})
