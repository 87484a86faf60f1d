/**
 * One drill per fault on the keepalived lab, through the real CLI. Every timing is checked against the
 * protocol's own formula (src/stacks/keepalived/timing.ts), with the tolerance stated next to it; after every drill the
 * lab must be exactly as before: links up, daemons running, no nftables table, the VIP back on lb1 only.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {NetnsExecutor} from '../../src/exec/netns.js'
import type {LabStatus} from '../../src/lab/driver.js'
import {CHECK, HTTP_CHECK, LB_PRIORITY} from '../../src/stacks/keepalived/lab/render.js'
import type {DrillRun} from '../../src/store/run-types.js'
import {sleep} from '../../src/time.js'
import {masterDownIntervalMs, skewTimeMs} from '../../src/stacks/keepalived/timing.js'
import {BIN, labPrefixForTests, runCli} from '../helpers/cli.js'

const prefix = labPrefixForTests()
const HOME = mkdtempSync(join(tmpdir(), 'hachaos-drills-'))
const env = {HACHAOS_HOME: HOME}
/** Stated tolerance for takeover timings measured from packet timestamps (the issue's ±50 ms). */
const TOL_MS = 50
/** HAProxy state is polled every 100 ms: the eject time is known to that resolution. */
const POLL_TOL_MS = 150

const lb2Prio = LB_PRIORITY['lb2'] as number
const lb1Prio = LB_PRIORITY['lb1'] as number
const MDI_LB2 = masterDownIntervalMs(lb2Prio, 1, 2) // 3.609 s
const SKEW_LB2 = skewTimeMs(lb2Prio, 1, 2) // 0.609 s

async function drill(args: string[], expectCode = 0): Promise<DrillRun> {
  const r = await runCli(['failover', ...args, '--json'], {env, timeoutMs: 120_000})
  assert.equal(r.code, expectCode, `exit ${r.code}\n${r.stderr}\n${r.stdout.slice(0, 3000)}`)
  return r.json as DrillRun
}

async function labSettled(): Promise<LabStatus> {
  // After a failback the lab must return to its steady state by itself: VIP on lb1 only, every daemon up.
  let s: LabStatus | undefined
  for (let i = 0; i < 60; i++) {
    const r = await runCli(['lab', 'status', '--json'])
    s = r.json as LabStatus
    if (s.healthy && s.vipOwners.length === 1 && s.vipOwners[0] === 'lb1') return s
    await sleep(250)
  }
  assert.fail(`lab did not settle: ${JSON.stringify(s?.problems)} VIP on ${JSON.stringify(s?.vipOwners)}`)
}

async function assertNothingLeft(): Promise<void> {
  const s = await labSettled()
  for (const n of s.nodes) for (const d of n.daemons) assert.ok(d.running, `${d.service} not running on ${n.name}`)
  for (const node of ['lb1', 'lb2', 'web1', 'web2', 'client']) {
    const ex = new NetnsExecutor(node, `${prefix}-${node}`)
    const link = await ex.run(['ip', '-o', 'link', 'show', 'dev', 'eth0'])
    assert.match(link.stdout, /state UP/, `eth0 on ${node}: ${link.stdout}`)
    const nft = await ex.run(['nft', 'list', 'ruleset'])
    assert.doesNotMatch(nft.stdout, /hachaos/, `nftables on ${node}`)
  }
  const open = existsSync(join(HOME, 'journal')) ? readdirSync(join(HOME, 'journal')).filter((f) => f.endsWith('.json')) : []
  assert.deepEqual(open, [], 'open journal entries')
}

describe('failover drills on the keepalived lab', () => {
  before(async () => {
    await runCli(['lab', 'down'])
    const r = await runCli(['lab', 'up', '--json'], {timeoutMs: 90_000})
    assert.equal(r.code, 0, r.stderr)
  })
  after(async () => {
    await runCli(['lab', 'down'])
    rmSync(HOME, {recursive: true, force: true})
  })

  it(`NIC down on lb1: lb2 takes over ${MDI_LB2.toFixed(1)} ms (Master_Down_Interval) after lb1's last advert, ±${TOL_MS} ms; failback after the revert`, async () => {
    const run = await drill(['--target', 'lb1'])
    const m = run.metrics
    assert.equal(run.reverted, true)
    assert.equal(m.oldOwner, 'lb1')
    assert.equal(m.newOwner, 'lb2')
    assert.equal(run.prediction.metric, 'takeoverFromLastAdvertMs')
    assert.ok(Math.abs((run.prediction.takeoverMs ?? 0) - MDI_LB2) < 0.01)
    assert.ok(m.takeoverFromLastAdvertMs !== null && Math.abs(m.takeoverFromLastAdvertMs - MDI_LB2) <= TOL_MS, `takeover from last advert ${m.takeoverFromLastAdvertMs}`)
    // From the fault itself it is up to one advert interval less.
    assert.ok(m.takeoverMs !== null && m.takeoverMs <= MDI_LB2 + TOL_MS && m.takeoverMs >= MDI_LB2 - 1000 - TOL_MS, `takeover ${m.takeoverMs}`)
    assert.ok(m.garpMs !== null && m.garpMs >= m.takeoverMs - 5, `garp ${m.garpMs}`)
    assert.ok(m.outageMs !== null && m.outageMs >= m.takeoverMs - 100 && m.lostProbes > 0, `outage ${m.outageMs}, lost ${m.lostProbes}`)
    assert.ok(m.failbackMs !== null, 'failback seen')
    assert.equal(run.splitBrain.length, 0)
    await assertNothingLeft()
  })

  it(`keepalived SIGTERM on lb1: priority-0 advert, lb2 takes over after Skew_Time ${SKEW_LB2.toFixed(1)} ms ±${TOL_MS} ms`, async () => {
    const run = await drill(['--target', 'lb1', '--fault', 'kill', '--process', 'keepalived', '--signal', 'TERM'])
    const m = run.metrics
    assert.equal(run.prediction.metric, 'takeoverFromLastAdvertMs')
    assert.ok(run.events.some((e) => e.type === 'vrrp.advert' && e.prio === 0 && e.t >= m.faultAtUs), 'priority-0 advert captured')
    assert.equal(m.newOwner, 'lb2')
    assert.ok(m.takeoverFromLastAdvertMs !== null && Math.abs(m.takeoverFromLastAdvertMs - SKEW_LB2) <= TOL_MS, `takeover from prio-0 advert ${m.takeoverFromLastAdvertMs}`)
    assert.ok(m.failbackMs !== null)
    await assertNothingLeft()
  })

  it(`keepalived SIGKILL on lb1: no goodbye, lb2 waits the full ${MDI_LB2.toFixed(1)} ms ±${TOL_MS} ms; the VIP left on lb1 is a dual VIP (exit 7)`, async () => {
    const run = await drill(['--target', 'lb1', '--fault', 'kill', '--process', 'keepalived', '--signal', 'KILL'], 7)
    const m = run.metrics
    assert.ok(!run.events.some((e) => e.type === 'vrrp.advert' && e.prio === 0 && e.t >= m.faultAtUs), 'no priority-0 advert after SIGKILL')
    assert.ok(m.takeoverFromLastAdvertMs !== null && Math.abs(m.takeoverFromLastAdvertMs - MDI_LB2) <= TOL_MS, `takeover ${m.takeoverFromLastAdvertMs}`)
    // A SIGKILLed keepalived cannot remove its VIP: lb1 keeps it configured (and answers ARP for it) until the
    // revert restarts keepalived, which removes it at start. From lb2's takeover to that moment both hold it.
    const dual = run.splitBrain.find((x) => x.kind === 'dual-vip')
    assert.ok(dual !== undefined, JSON.stringify(run.splitBrain))
    assert.deepEqual([...dual.parties].sort(), ['lb1', 'lb2'])
    const expected = ((m.revertAtUs ?? 0) - m.faultAtUs) / 1000 - (m.takeoverMs ?? 0)
    // Ownership is polled every 200 ms; the restarted keepalived needs a moment to remove the address.
    assert.ok(dual.durationMs >= expected - 400 && dual.durationMs <= expected + 1500, `dual VIP ${dual.durationMs} ms, expected ≈ ${expected.toFixed(0)} ms`)
    await assertNothingLeft()
  })

  it(`HAProxy killed on lb1: the track_script (interval ${CHECK.interval} s × fall ${CHECK.fall}) moves the VIP within the predicted range`, async () => {
    const run = await drill(['--target', 'lb1', '--fault', 'kill', '--process', 'haproxy'])
    const m = run.metrics
    const p = run.prediction
    assert.equal(p.metric, 'takeoverMs')
    const lo = (CHECK.fall - 1) * CHECK.interval * 1000 + SKEW_LB2
    const hi = CHECK.fall * CHECK.interval * 1000 + CHECK.timeout * 1000 + SKEW_LB2
    assert.ok(Math.abs((p.minMs ?? 0) - lo) < 0.01 && Math.abs((p.maxMs ?? 0) - hi) < 0.01, `${p.minMs}…${p.maxMs}`)
    assert.equal(m.newOwner, 'lb2')
    assert.ok(m.takeoverMs !== null && m.takeoverMs >= lo - TOL_MS && m.takeoverMs <= hi + TOL_MS, `takeover ${m.takeoverMs} not in ${lo}…${hi}`)
    await assertNothingLeft()
  })

  it(`Apache killed on web1: HAProxy ejects it after inter ${HTTP_CHECK.interMs} ms × fall ${HTTP_CHECK.fall}; the VIP stays on lb1`, async () => {
    const run = await drill(['--target', 'web1', '--fault', 'kill', '--process', 'apache2'])
    const m = run.metrics
    const lo = (HTTP_CHECK.fall - 1) * HTTP_CHECK.interMs
    const hi = HTTP_CHECK.fall * HTTP_CHECK.interMs
    assert.equal(run.prediction.metric, 'backendEjectMs')
    const ej = m.extra['backendEjectMs']
    assert.ok(typeof ej === 'number' && ej >= lo - POLL_TOL_MS && ej <= hi + POLL_TOL_MS, `eject ${ej} not in ${lo}…${hi} ±${POLL_TOL_MS}`)
    assert.equal(m.newOwner, null, 'no VRRP takeover for a backend loss')
    // No probe was answered by web1 while it was dead, and web1 answers again after the revert.
    // "Dead" from the moment the kill returned (on a loaded machine the kill itself can take a few hundred ms).
    const probes = run.events.filter((e) => e.type === 'probe')
    const killed = run.events.find((e) => e.type === 'fault.inject' && e.phase === 'after')?.t ?? m.faultAtUs
    const late = probes.filter((p) => p.ok && p.backend === 'web1' && p.t > killed + 100_000 && m.revertAtUs !== null && p.t < m.revertAtUs)
    assert.equal(late.length, 0, `web1 answered after the kill returned (${((killed - m.faultAtUs) / 1000).toFixed(0)} ms after the fault): ${late.map((p) => ((p.t - killed) / 1000).toFixed(0)).join(', ')} ms`)
    assert.ok(probes.some((p) => p.ok && p.backend === 'web1' && m.revertAtUs !== null && p.t > m.revertAtUs), 'web1 answers again after the revert')
    await assertNothingLeft()
  })

  it('VRRP adverts dropped on lb1: lb2 becomes master too — a split brain, reported with its duration (the WARN the drill is meant to show: exit 0)', async () => {
    const run = await drill(['--target', 'lb1', '--fault', 'drop-vrrp', '--hold', '8s'], 0)
    assert.equal(run.verdict, 'warn', run.verdictReasons.join('; '))
    assert.deepEqual(run.judgedBy?.effect, 'advert-loss')
    const m = run.metrics
    // lb1's adverts die in its own nftables output hook, so no capture can see them: the wire shows lb2
    // taking over, and the evidence of the split is the VIP configured on both and ARP answered from both MACs.
    assert.equal(m.newOwner, 'lb2')
    assert.ok(m.takeoverFromLastAdvertMs !== null && Math.abs(m.takeoverFromLastAdvertMs - MDI_LB2) <= TOL_MS, `takeover ${m.takeoverFromLastAdvertMs}`)
    const dual = run.splitBrain.find((x) => x.kind === 'dual-vip')
    assert.ok(dual !== undefined, JSON.stringify(run.splitBrain))
    assert.deepEqual([...dual.parties].sort(), ['lb1', 'lb2'])
    // From lb2's takeover until lb2 hears lb1's first advert after the revert (≤ 1 advert interval), polled every 200 ms.
    const expected = ((m.revertAtUs ?? 0) - m.faultAtUs) / 1000 - (m.takeoverMs ?? 0)
    assert.ok(dual.durationMs >= expected - 400 && dual.durationMs <= expected + 1000 + 400, `dual VIP ${dual.durationMs} ms, expected ≈ ${expected.toFixed(0)} ms`)
    assert.ok(run.splitBrain.some((x) => x.kind === 'dual-arp'), 'ARP for the VIP from both MACs')
    assert.equal(run.reverted, true)
    await assertNothingLeft()
  })

  it('--dry-run shows the exact commands and the prediction, and breaks nothing; a non-master target is warned about', async () => {
    const r = await runCli(['failover', '--target', 'lb2', '--fault', 'kill', '--process', 'keepalived', '--signal', 'TERM', '--dry-run', '--json'], {env})
    assert.equal(r.code, 0, r.stdout)
    const d = r.json as {dryRun: boolean; commands: {inject: string[]; revert: string[]}; warnings: string[]; prediction: {metric: string}}
    assert.equal(d.dryRun, true)
    assert.match(d.commands.inject[0] ?? '', /kill -s TERM/)
    // the revert starts keepalived again, shown as the real argv the lab's service control runs (issue 20)
    assert.match(d.commands.revert[0] ?? '', new RegExp(`ip netns exec ${prefix}-lb2 keepalived -n `))
    assert.ok(d.warnings.some((w) => /lb2 is not the current VRRP master/.test(w)), d.warnings.join('; '))
    const nic = await runCli(['failover', '--target', 'lb1', '--dry-run', '--json'], {env})
    assert.deepEqual((nic.json as {commands: {inject: string[]}}).commands.inject, [`ip netns exec ${prefix}-lb1 ip link set dev eth0 down`])
    await assertNothingLeft()
  })

  it('SIGINT during the hold reverts at once and exits 130', async () => {
    const child = spawn(process.execPath, [BIN, 'failover', '--target', 'lb1', '--hold', '60s', '--json'], {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'ignore']})
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const journal = join(HOME, 'journal')
    let injected = false
    for (let i = 0; i < 200 && !injected; i++) {
      await sleep(100)
      const f = existsSync(journal) ? readdirSync(journal).find((x) => x.endsWith('.json')) : undefined
      if (f !== undefined) injected = (JSON.parse(readFileSync(join(journal, f), 'utf8')) as {state: string}).state === 'injected'
    }
    assert.ok(injected)
    const t0 = Date.now()
    child.kill('SIGINT')
    const code = await new Promise<number | null>((r) => child.once('exit', r))
    assert.equal(code, 130)
    assert.ok(Date.now() - t0 < 10_000, 'reverted without waiting for the hold')
    const run = JSON.parse(out) as DrillRun
    assert.equal(run.reverted, true)
    assert.ok(run.verdictReasons.some((x) => /interrupted/.test(x)))
    await assertNothingLeft()
  })

  it('SIGKILL of hachaos mid-drill: `hachaos recover` reverts the fault and ends its observers; the lab is as before', async () => {
    const child = spawn(process.execPath, [BIN, 'failover', '--target', 'lb1', '--hold', '60s', '--json'], {env: {...process.env, ...env}, stdio: 'ignore'})
    const journal = join(HOME, 'journal')
    let entry: {state: string; helpers: Array<{pid: number}>} | undefined
    for (let i = 0; i < 200 && entry?.state !== 'injected'; i++) {
      await sleep(100)
      const f = existsSync(journal) ? readdirSync(journal).find((x) => x.endsWith('.json')) : undefined
      if (f !== undefined) entry = JSON.parse(readFileSync(join(journal, f), 'utf8')) as typeof entry
    }
    assert.equal(entry?.state, 'injected', 'the drill injected its fault')
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    const lb1 = new NetnsExecutor('lb1', `${prefix}-lb1`)
    assert.doesNotMatch((await lb1.run(['ip', '-o', 'link', 'show', 'dev', 'eth0'])).stdout, /[<,]UP[,>]/, 'eth0 is still down after the crash')
    const helpers = entry?.helpers.map((h) => h.pid) ?? []
    assert.ok(helpers.length >= 2 && helpers.every((p) => existsSync(`/proc/${p}`)), 'the orphaned capture and probe still run')
    const r = await runCli(['recover', '--json'], {env})
    assert.equal(r.code, 0, r.stdout)
    const res = r.json as {entries: Array<{action: string; helpersEnded: number[]}>}
    assert.equal(res.entries.length, 1)
    assert.equal(res.entries[0]?.action, 'reverted')
    for (const p of helpers) assert.equal(existsSync(`/proc/${p}`), false, `observer ${p} still runs`)
    await assertNothingLeft()
  })
})
