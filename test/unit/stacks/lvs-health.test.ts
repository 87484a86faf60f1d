/**
 * The LVS lab's health checkers: --checker http|misc (HTTP_GET and MISC_CHECK in keepalived.conf, their
 * timers read back by checker.ts and the removal formula naming them), and --health ldirectord (keepalived
 * keeps VRRP only, ldirectord.cf as the guest runs it, ldirectord's loop-cost formula checked against the
 * guest's own trace and the drills' measured removals, its log lines and the IPVS tables it leaves).
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseKeepalivedConf} from '../../../src/config/keepalived.js'
import {parseLdirectordCf} from '../../../src/config/ldirectord.js'
import type {TimelineEvent} from '../../../src/store/run-types.js'
import {checkerFor, scriptTimeout} from '../../../src/stacks/lvs/checker.js'
import {LAB_LD_LOOP} from '../../../src/stacks/lvs/lab/lab.js'
import {keepalivedConf, ldirectordCf, miscPath} from '../../../src/stacks/lvs/lab/render.js'
import {lvsTopology, parseLvsLabOptions} from '../../../src/stacks/lvs/lab/topology.js'
import {ldChecksPerLoop, predictLdirectordReadd, predictLdirectordRemoval} from '../../../src/stacks/lvs/ldirectord/predict.js'
import {predictCheckerRemoval, predictReadd} from '../../../src/stacks/lvs/predict.js'
import {parseKeepalivedLine, parseLdirectordLine} from '../../../src/stacks/lvs/readers.js'
import {IpvsRealPoller, RS_TOLERANCE_MS, TABLE_END, ldLoopFact} from '../../../src/stacks/lvs/real-server.js'
import {readFixture} from '../../fixture.js'

const fx = (name: string): string => readFixture('lvs', name)
const VIP = '10.98.0.100'
const dir1 = lvsTopology('hc').nodes[0]
if (dir1 === undefined) throw new Error('no dir1')

describe('lab options: --checker and --health', () => {
  it('defaults tcp / keepalived (256 MiB); ldirectord gets 512 MiB; bad values and --checker with ldirectord refused', () => {
    const o = parseLvsLabOptions({})
    assert.deepEqual([o.checker, o.health, o.memMb], ['tcp', 'keepalived', 256])
    assert.deepEqual([parseLvsLabOptions({checker: 'http'}).checker, parseLvsLabOptions({checker: 'misc'}).checker], ['http', 'misc'])
    const ld = parseLvsLabOptions({health: 'ldirectord'})
    assert.deepEqual([ld.health, ld.memMb], ['ldirectord', 512])
    assert.throws(() => parseLvsLabOptions({checker: 'smtp'}), /--checker "smtp"/)
    assert.throws(() => parseLvsLabOptions({health: 'haproxy'}), /--health "haproxy"/)
    assert.throws(() => parseLvsLabOptions({health: 'ldirectord', checker: 'http'}), /keepalived's/)
  })

  it('tcp renders the same keepalived.conf as before (the captured file)', () => {
    assert.equal(keepalivedConf(dir1, parseLvsLabOptions({})), fx('dir1-keepalived-nosync.conf'))
  })
})

describe('--checker http: HTTP_GET on VIP:80 (the echo service keeps TCP_CHECK)', () => {
  const text = keepalivedConf(dir1, parseLvsLabOptions({checker: 'http'}))
  const cfg = parseKeepalivedConf(text, {file: 'dir1.conf'})

  it('url { path / status_code 200 }, connect_timeout, retry, delay_before_retry', () => {
    assert.match(text, /HTTP_GET \{\n {6}url \{\n {8}path \/\n {8}status_code 200\n {6}\}\n {6}connect_timeout 1\n {6}retry 1\n {6}delay_before_retry 1\n {4}\}/)
    const c = checkerFor(cfg, VIP, 80, '10.98.0.11')
    assert.ok(c !== null)
    assert.deepEqual([c.kind, c.delayLoopS, c.connectTimeoutS, c.retry, c.delayBeforeRetryS], ['HTTP_GET', 1, 1, 1, 1])
    assert.equal(checkerFor(cfg, VIP, 7, '10.98.0.11')?.kind, 'TCP_CHECK')
  })

  it('the formula names HTTP_GET: refused 1–2 s, blackhole (connect_timeout) 3–4 s', () => {
    const c = checkerFor(cfg, VIP, 80, '10.98.0.11')
    assert.ok(c !== null)
    const r = predictCheckerRemoval(c, 'refused', 'rs1')
    assert.deepEqual([r.minMs, r.maxMs, r.inputs['checker']], [1000, 2000, 'HTTP_GET'])
    assert.match(r.formula, /^HTTP_GET: U\[0, delay_loop 1 s\]/)
    const b = predictCheckerRemoval(c, 'blackhole', 'rs1')
    assert.deepEqual([b.minMs, b.maxMs], [3000, 4000])
    assert.match(b.formula, /blackhole: connect_timeout 1 s/)
  })
})

describe('--checker misc: MISC_CHECK running busybox wget under its own timeout', () => {
  const text = keepalivedConf(dir1, parseLvsLabOptions({checker: 'misc'}))
  const cfg = parseKeepalivedConf(text, {file: 'dir1.conf'})

  it('misc_path states the timeout, misc_timeout is 1 s longer, script security on', () => {
    assert.equal(miscPath('10.98.0.11', 80, 1), '/bin/timeout -s KILL 1 /bin/wget -q -O /dev/null http://10.98.0.11:80/')
    assert.match(text, /MISC_CHECK \{\n {6}misc_path "\/bin\/timeout -s KILL 1 \/bin\/wget -q -O \/dev\/null http:\/\/10\.98\.0\.11:80\/"\n {6}misc_timeout 2\n {6}retry 1\n {6}delay_before_retry 1\n/)
    assert.match(text, /script_user root\n {2}enable_script_security/)
    const c = checkerFor(cfg, VIP, 80, '10.98.0.12')
    assert.ok(c !== null)
    assert.deepEqual([c.kind, c.miscTimeoutS, c.scriptTimeoutS, c.connectTimeoutS, c.retry, c.delayBeforeRetryS], ['MISC_CHECK', 2, 1, 1, 1, 1])
  })

  it("the attempt's bound: the script's timeout when shorter, else misc_timeout (default delay_loop)", () => {
    assert.equal(scriptTimeout(['/bin/timeout -s KILL 3 /bin/wget x']), 3)
    assert.equal(scriptTimeout(['"timeout', '-k', '1', '2.5s', 'nc', 'x"']), null, 'a quote glued to the word is not the timeout command')
    assert.equal(scriptTimeout(['timeout', '-k', '1', '2.5s', 'nc']), 2.5)
    assert.equal(scriptTimeout(['/usr/local/bin/check.sh 10.0.0.1']), null)
    const c2 = checkerFor(parseKeepalivedConf(`virtual_server 10.0.0.1 80 {\n  delay_loop 6\n  real_server 10.0.0.2 80 {\n    MISC_CHECK {\n      misc_path "/bin/check.sh"\n    }\n  }\n}\n`, {file: 'k.conf'}), '10.0.0.1', 80, '10.0.0.2')
    assert.deepEqual([c2?.miscTimeoutS, c2?.scriptTimeoutS, c2?.connectTimeoutS], [6, null, 6])
    const b = predictCheckerRemoval(c2 ?? {delayLoopS: 0, connectTimeoutS: 0, retry: 0, delayBeforeRetryS: 0}, 'blackhole', 'x')
    assert.match(b.formula, /misc_timeout 6 s: keepalived kills the script/)
  })

  it('the lab: attempts start delay_before_retry apart from the previous START: refused U[0,1] + 1 × max(1, 0) + 0 = 1–2 s, blackhole U[0,1] + 1 × max(1, 1) + 1 = 2–3 s (measured 1.71–1.75 and 2.30–2.76 s)', () => {
    const c = checkerFor(cfg, VIP, 80, '10.98.0.11')
    assert.ok(c !== null)
    const r = predictCheckerRemoval(c, 'refused', 'rs1')
    assert.deepEqual([r.minMs, r.maxMs, r.inputs['checker'], r.inputs['miscTimeoutS'], r.inputs['scriptTimeoutS']], [1000, 2000, 'MISC_CHECK', 2, 1])
    const b = predictCheckerRemoval(c, 'blackhole', 'rs1')
    assert.deepEqual([b.minMs, b.maxMs], [2000, 3000])
    assert.match(b.formula, /^MISC_CHECK: U\[0, delay_loop 1 s\] \+ retry 1 × max\(delay_before_retry 1 s, t_fail\) \+ t_fail 1 s \(blackhole: the script's own timeout 1 s \(misc_timeout 2 s\); attempts start/)
    // the lab's runs (failover --target rs1, checkerRemovalMs): kill --process httpd, then nic-down
    for (const m of [1751.7, 1705.6]) assert.ok(m >= 1000 - RS_TOLERANCE_MS && m <= 2000 + RS_TOLERANCE_MS)
    for (const m of [2386.3, 2296.6, 2445.7, 2755.6]) assert.ok(m >= 2000 - RS_TOLERANCE_MS && m <= 3000 + RS_TOLERANCE_MS)
    // a script slower than delay_before_retry: its own time is the spacing (3 s timeout, dbr 1, retry 2: 2 × 3 + 3)
    assert.deepEqual([predictCheckerRemoval({...c, connectTimeoutS: 3, retry: 2}, 'blackhole', 'x').minMs], [9000])
    assert.equal(predictReadd(c, 'blackhole').maxMs, 2000)
  })
})

describe('--health ldirectord: keepalived VRRP only, ldirectord.cf', () => {
  const o = parseLvsLabOptions({health: 'ldirectord'})

  it('keepalived.conf has no virtual_server (the captured file)', () => {
    const text = keepalivedConf(dir1, o)
    assert.equal(text, fx('dir1-keepalived-vrrp-only.conf'))
    assert.equal(parseKeepalivedConf(text, {file: 'dir1.conf'}).virtualServers.length, 0)
  })

  it('ldirectord.cf as the guest ran it, read by hachaos\'s parser: checkinterval 1, failurecount 2, negotiate :80, connect :7', () => {
    const text = ldirectordCf(dir1, o)
    assert.equal(text, fx('dir1-ldirectord.cf'))
    const cfg = parseLdirectordCf(text, {file: 'ld-dir1.cf'})
    assert.deepEqual(cfg.virtuals.map((v) => [v.text, v.directives['checktype']?.value, v.reals.length]), [
      ['10.98.0.100:80', 'negotiate', 2],
      ['10.98.0.100:7', 'connect', 2],
    ])
    const v = cfg.virtuals[0]
    assert.ok(v !== undefined)
    assert.equal(ldChecksPerLoop(cfg, v), 4)
  })

  it('with --forwarding nat --persistence 60: masq to the inside addresses, persistent=60 (the parser reads both)', () => {
    const text = ldirectordCf(dir1, parseLvsLabOptions({health: 'ldirectord', forwarding: 'nat', persistence: 60}))
    const cfg = parseLdirectordCf(text, {file: 'ld-dir1.cf'})
    assert.deepEqual(cfg.virtuals.map((v) => [v.text, v.directives['persistent']?.value]), [
      ['10.98.0.100:80', '60'],
      ['10.98.0.100:7', '60'],
    ])
    assert.match(text, /\treal=10\.98\.1\.11:80 masq\n/)
    assert.match(ldirectordCf(dir1, parseLvsLabOptions({health: 'ldirectord', forwarding: 'tun'})), /\treal=10\.98\.0\.12:7 ipip\n/)
  })
})

/** Healthy loop durations of rs1's :80 check in a `ldirectord -d` trace stamped with /proc/uptime (s). */
function loopDurations(trace: string): number[] {
  const starts = trace
    .split('\n')
    .filter((l) => /DEBUG2: Checking negotiate: real server=negotiate:http:tcp:10\.98\.0\.11:80:/.test(l))
    .map((l) => Number(l.split(' ')[0]))
  return starts.slice(1).map((t, i) => Math.round((t - (starts[i] as number)) * 1000))
}

describe("ldirectord's removal: the loop's costs, measured in the lab guest", () => {
  const cfg = parseLdirectordCf(fx('dir1-ldirectord.cf'), {file: 'ld-dir1.cf'})
  const v = cfg.virtuals[0]
  if (v === undefined) throw new Error('no virtual')
  const loop = ldLoopFact(LAB_LD_LOOP)
  if (loop === undefined) throw new Error('bad loop fact')

  it('without costs: the old bound 1–2 s, which the lab exceeds (2.6–4.3 s measured)', () => {
    const p = predictLdirectordRemoval({cfg, virtual: v, failure: 'refused'})
    assert.deepEqual([p.minMs, p.maxMs], [1000, 2000])
  })

  it("the loop fact spans every healthy loop of the guest's traces (idle and during two drills): 4 × check + overhead + 1 s", () => {
    const [lo, hi] = [1000 + 4 * loop.checkMs[0] + loop.cycleOverheadMs[0], 1000 + 4 * loop.checkMs[1] + loop.cycleOverheadMs[1]]
    assert.deepEqual([lo, hi], [1100, 2010])
    const drill = loopDurations(fx('d1-ldirectord-debug-drill.txt')).slice(1) // the first spans the start-up pass
    const idle = loopDurations(fx('d2-ldirectord-debug-uptime.txt')).slice(1)
    assert.ok(drill.length >= 40 && idle.length >= 5)
    for (const d of [...drill, ...idle]) assert.ok(d >= lo && d <= hi, `a loop of ${d} ms outside ${lo}–${hi}`)
    assert.deepEqual([Math.min(...drill), Math.max(...drill)], [1100, 2010])
  })

  it('the removal in the trace: failing check → table changed 0.40 and 0.61 s, inside remove_ms', () => {
    const lines = fx('d1-ldirectord-debug-drill.txt').split('\n')
    const at = (re: RegExp): number[] => lines.filter((l) => re.test(l)).map((l) => Number(l.split(' ')[0]))
    const refused = at(/DEBUG2: Return status: 500 Can't connect to 10\.98\.0\.11:80/)
    const deleted = at(/DEBUG2: Deleted real server: 10\.98\.0\.11:80/).filter((t) => t > (refused[0] ?? 0))
    const costs = deleted.map((t) => Math.round((t - Math.max(...refused.filter((r) => r < t))) * 1000))
    assert.deepEqual(costs, [610, 400])
    for (const c of costs) assert.ok(c >= loop.removeMs[0] && c <= loop.removeMs[1])
  })

  it('refused: U[0, C0] + (2 − 1) × C1 + removal = 1.475–4.520 s; the drills measured 2.64–4.25 s (within ± RS_TOLERANCE_MS)', () => {
    const p = predictLdirectordRemoval({cfg, virtual: v, failure: 'refused', real: 'rs1', loop})
    assert.deepEqual([p.minMs, p.maxMs, p.inputs['checksPerLoop']], [1475, 4520, 4])
    assert.match(p.formula, /4 checks a loop \(fork=no\): U\[0, C0\] \+ d \+ \(failurecount 2 − 1\) × C1 \+ removal 0\.4–0\.65 s/)
    assert.match(p.formula, /C0 = checkinterval 1 s \+ 4 × check 0\.025–0\.15 s \+ loop overhead 0–0\.41 s = 1\.100 s–2\.010 s/)
    // the lab's drills (failover --target rs1 --fault kill --process httpd), checkerRemovalMs
    for (const m of [2643.6, 3342.1, 4253.6, 3377.7, 2981.5]) assert.ok(m >= (p.minMs ?? 0) - RS_TOLERANCE_MS && m <= (p.maxMs ?? 0) + RS_TOLERANCE_MS, `${m} ms`)
    const b = predictLdirectordRemoval({cfg, virtual: v, failure: 'blackhole', loop})
    assert.deepEqual([b.minMs, b.maxMs], [3475, 6520], 'each failing check waits negotiatetimeout 1 s')
    // rs1's NIC down: its VIP:7 connect check (checktimeout 1 s) times out in the same loop as its VIP:80 check
    const h = predictLdirectordRemoval({cfg, virtual: v, failure: 'blackhole', real: 'rs1', hostAddress: '10.98.0.11', loop})
    assert.deepEqual([h.minMs, h.maxMs, h.inputs['sameHostChecks'], h.inputs['sameHostTimeoutMs']], [4450, 8370, 1, 1000])
    assert.match(h.formula, /U\[0, C0 \+ e\] \+ d \+ \(failurecount 2 − 1\) × C1/)
    assert.match(h.formula, /e 1 s \(the host's 1 other check in the loop time out too\)/)
    assert.match(h.formula, /C1 = checkinterval \+ d \+ e \+ 2 × check \+ overhead = 3\.050 s–3\.710 s/)
    // the lab's drill (failover --target rs1 --fault nic-down): 7.91 s, outside the one-check form, inside this one
    for (const m of [7913.9]) assert.ok(m > (b.maxMs ?? 0) + RS_TOLERANCE_MS && m >= (h.minMs ?? 0) - RS_TOLERANCE_MS && m <= (h.maxMs ?? 0) + RS_TOLERANCE_MS, `${m} ms`)
    // without measured loop costs: failurecount × (ci + d + e), at least that − ci − e
    const z = predictLdirectordRemoval({cfg, virtual: v, failure: 'blackhole', hostAddress: '10.98.0.11'})
    assert.deepEqual([z.minMs, z.maxMs], [4000, 6000])
    // a refused port is not a dead host: the other checks answer
    assert.equal(predictLdirectordRemoval({cfg, virtual: v, failure: 'refused', hostAddress: '10.98.0.11', loop}).maxMs, p.maxMs)
    const r = predictLdirectordReadd({cfg, virtual: v, loop})
    assert.equal(r.maxMs, 2010 + 1000 + 650)
  })

  it('the loop fact: numbers or [low, high] pairs; anything else is no fact', () => {
    assert.deepEqual(ldLoopFact({check_ms: 5, cycle_overhead_ms: [1, 2], remove_ms: 3}), {checkMs: [5, 5], cycleOverheadMs: [1, 2], removeMs: [3, 3]})
    assert.equal(ldLoopFact({check_ms: [2, 1], cycle_overhead_ms: 0, remove_ms: 0}), undefined)
    assert.equal(ldLoopFact({check_ms: 'x', cycle_overhead_ms: 0, remove_ms: 0}), undefined)
    assert.equal(ldLoopFact(null), undefined)
  })
})

describe("ldirectord's log and tables, captured in the lab", () => {
  it('quiescent=no: soft failure 1/2, then Deleted; re-added after the revert', () => {
    const ev = fx('d1-ldirectord-rs1-kill.log').split('\n').map(parseLdirectordLine).filter((e) => e !== null)
    const rs1 = ev.filter((e) => e.real === '10.98.0.11:80').map((e) => e.kind)
    assert.deepEqual(rs1.slice(-8), ['soft-failure', 'rs-removed', 'failure-reset', 'rs-added', 'soft-failure', 'rs-removed', 'failure-reset', 'rs-added'])
    const soft = ev.find((e) => e.kind === 'soft-failure')
    assert.deepEqual(soft?.kind === 'soft-failure' ? [soft.virtual, soft.failure, soft.of] : null, ['tcp:10.98.0.100:80', 1, 2])
  })

  it('quiescent=yes: the server stays with weight 0', () => {
    const ev = fx('d2-ldirectord-quiescent-rs1-kill.log').split('\n').map(parseLdirectordLine).filter((e) => e !== null)
    assert.deepEqual(ev.filter((e) => e.real === '10.98.0.11:80').slice(-4).map((e) => e.kind), ['soft-failure', 'rs-quiesced', 'failure-reset', 'rs-added'])
  })

  it('the IPVS watcher: rs1 absent (quiescent=no) and at weight 0 (quiescent=yes)', () => {
    const events: TimelineEvent[] = []
    const p = new IpvsRealPoller({} as ConstructorParameters<typeof IpvsRealPoller>[0], VIP, (e) => events.push(e))
    const feed = (table: string, t: number): void => {
      for (const l of table.split('\n')) p.line('stdout', l, t)
      p.line('stdout', TABLE_END, t)
    }
    feed(fx('d2-ipvsadm-Ln-ldirectord-quiescent-weight0.txt'), 1)
    feed(fx('d1-ipvsadm-Ln-ldirectord-rs1-removed.txt'), 2)
    const rs1 = events.filter((e) => e.type === 'lb.server' && e.server === '10.98.0.11:80').map((e) => (e.type === 'lb.server' ? e.status : ''))
    assert.deepEqual(rs1, ['DOWN weight 0', 'DOWN absent'])
  })
})

describe("keepalived's HTTP_GET and MISC_CHECK in the lab's log", () => {
  it('HTTP_GET: failed after 1 retries → Removing; two successes (retry + 1) before Adding: the re-add bound grows by retry × delay_before_retry', () => {
    const lines = fx('d1-keepalived-http.log').split('\n')
    const i = lines.findIndex((l) => /HTTP_CHECK on service \[10\.98\.0\.11\]:tcp:80 failed after 1 retries\./.test(l))
    assert.ok(i >= 0)
    assert.match(lines[i + 1] ?? '', /Removing service \[10\.98\.0\.11\]:tcp:80 from VS \[10\.98\.0\.100\]:tcp:80/)
    const after = lines.slice(i + 2)
    const add = after.findIndex((l) => /Adding service \[10\.98\.0\.11\]:tcp:80/.test(l))
    assert.equal(after.slice(0, add).filter((l) => /HTTP status code success to \[10\.98\.0\.11\]:tcp:80 url\(\/\)/.test(l)).length, 2)
    const c = checkerFor(parseKeepalivedConf(fx('dir1-keepalived-http.conf'), {file: 'dir1.conf'}), VIP, 80, '10.98.0.11')
    assert.ok(c !== null)
    assert.deepEqual(predictReadd(c, 'refused'), {minMs: 1000, maxMs: 2000, formula: 'U[0, delay_loop 1 s] + retry 1 × delay_before_retry 1 s (HTTP_GET wants retry + 1 successes) = 1.0–2.0 s'})
    assert.equal(predictReadd(c, 'blackhole').maxMs, 3000)
  })

  it('MISC_CHECK: exit status 1 when refused, signal 9 (its own timeout) when blackholed, both "after 1 retry"', () => {
    const log = fx('d1-keepalived-misc.log')
    assert.match(log, /Misc check for \[\[10\.98\.0\.11\]:tcp:80 VS \[10\.98\.0\.100\]:tcp:80\] by \[\/bin\/timeout\] failed after 1 retry \(exited with status 1\)\./)
    assert.match(log, /Misc check for \[\[10\.98\.0\.11\]:tcp:80 VS \[10\.98\.0\.100\]:tcp:80\] by \[\/bin\/timeout\] failed after 1 retry \(due to signal 9\)\./)
    assert.equal(parseKeepalivedConf(fx('dir1-keepalived-misc.conf'), {file: 'dir1.conf'}).virtualServers.length, 2)
  })
})

describe("keepalived's checker lines of every kind → events", () => {
  it('HTTP_GET and MISC_CHECK failures and successes are read like TCP_CHECK\'s', () => {
    for (const f of ['d1-keepalived-http.log', 'd1-keepalived-misc.log']) {
      const kinds = fx(f)
        .split('\n')
        .map(parseKeepalivedLine)
        .filter((e) => e !== null)
        .map((e) => `${e.kind} ${'real' in e ? e.real : ''}`)
      assert.ok(kinds.includes('checker-failed [10.98.0.11]:tcp:80'), f)
      assert.ok(kinds.includes('checker-success [10.98.0.11]:tcp:80'), f)
      assert.ok(kinds.includes('rs-removed [10.98.0.11]:tcp:80'), f)
    }
  })
})
