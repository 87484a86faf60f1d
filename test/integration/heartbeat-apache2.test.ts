/**
 * The Heartbeat lab with `--resource apache2` (haresources `hb1 IPaddr::VIP/24/eth0 apache2`: Heartbeat runs
 * /etc/init.d/apache2, each node with its own ServerRoot, pid file and run dir) through the real CLI, short
 * timers (keepalive 200 ms, deadtime 1 s): lab up, lab status names the resource, a nic-down on hb1 — the VIP
 * moves within the model's range (deadtime − keepalive … deadtime + resource start + allowance,
 * src/stacks/heartbeat/predict.ts, ± the 150 ms VIP poll tolerance of heartbeat.test.ts) and the client's
 * probes see the page move from hb1 to hb2 — and `lab down` leaves no apache2 process and no pid or lock file.
 * Bounded: about 1.5 minutes (lab up ~35 s, the drill with its reconnect ~45 s); the lab is removed in
 * after(), even on failure.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {LabDownResult, LabStatus, LabUpResult} from '../../src/lab/driver.js'
import {auditLab} from '../../src/lab/audit.js'
import {listNetns} from '../../src/lab/netns-ops.js'
import {readInitPid} from '../../src/lab/node-ns.js'
import {labDir} from '../../src/lab/paths.js'
import type {DrillRun} from '../../src/store/run-types.js'
import {hbPaths} from '../../src/stacks/heartbeat/lab/lab.js'
import {labPrefixForTests, runCli} from '../helpers/cli.js'

const prefix = labPrefixForTests()
const HOME = mkdtempSync(join(tmpdir(), 'hachaos-hb-apache2-'))
const env = {HACHAOS_HOME: HOME}
const TOPO = ['--topology', 'heartbeat']
/** The VIP owner is polled every 100 ms (plus the read itself): the tolerance of heartbeat.test.ts. */
const POLL_TOL_MS = 150
/** Where Debian's apache2 would put its pid file and locks on this machine (the lab must not touch them). */
const HOST_APACHE_PATHS = ['/run/apache2/apache2.pid', '/run/lock/apache2']

async function status(): Promise<LabStatus> {
  const r = await runCli(['lab', 'status', ...TOPO, '--json'], {env})
  return r.json as LabStatus
}

/** This machine's PIDs of the processes whose PID namespace is `ns` (e.g. "pid:[4026532583]"). */
function processesInPidNs(ns: string): Array<{pid: number; comm: string}> {
  const out: Array<{pid: number; comm: string}> = []
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      if (readlinkSync(`/proc/${e}/ns/pid`) === ns) out.push({pid: Number(e), comm: readFileSync(`/proc/${e}/comm`, 'utf8').trim()})
    } catch {
      // exited meanwhile
    }
  }
  return out
}

describe('heartbeat lab with --resource apache2: nic-down on the active node, lab down leaves nothing', () => {
  const hostApacheBefore = new Map(HOST_APACHE_PATHS.map((p) => [p, existsSync(p)]))
  /** The nodes' PID namespaces and the apache2 PIDs seen while up: all must be gone after lab down. */
  const pidNamespaces: string[] = []
  const apachePids: number[] = []

  before(async () => {
    await runCli(['lab', 'down', ...TOPO])
  })
  after(async () => {
    await runCli(['lab', 'down', ...TOPO])
    rmSync(HOME, {recursive: true, force: true})
  })

  it('lab up --resource apache2: the VIP and apache2 on hb1, the page names hb1; status names the resource', async () => {
    const r = await runCli(['lab', 'up', ...TOPO, '--keepalive', '200ms', '--deadtime', '1', '--resource', 'apache2', '--json'], {env, timeoutMs: 150_000})
    assert.equal(r.code, 0, r.stderr.slice(-2000))
    const up = r.json as LabUpResult
    assert.equal(up.vipOwner, 'hb1')
    assert.deepEqual(up.answeredBy, ['hb1'])
    assert.equal(up.details['resource'], 'apache2')
    const st = await status()
    assert.ok(st.healthy, st.problems.join('; '))
    assert.deepEqual(st.vipOwners, ['hb1'])
    assert.equal(st.details['resource'], 'apache2')
    assert.equal(st.details['haresources'], 'IPaddr::10.71.0.100/24/eth0 apache2')
    const services = Object.fromEntries(st.nodes.map((n) => [n.name, n.daemons.filter((d) => d.running).map((d) => d.service)]))
    assert.deepEqual(services, {hb1: ['heartbeat', 'apache2'], hb2: ['heartbeat'], client: []})
    apachePids.push(...st.nodes.flatMap((n) => n.daemons.filter((d) => d.service === 'apache2').flatMap((d) => d.pids)))
    assert.ok(apachePids.length > 0)
    const p = hbPaths(labDir(prefix, 'heartbeat'))
    for (const n of ['hb1', 'hb2']) {
      const init = readInitPid(p.initPidFile(n))
      assert.ok(init !== null, `${n} init`)
      pidNamespaces.push(readlinkSync(`/proc/${init}/ns/pid`))
    }
  })

  it('nic-down hb1: the VIP moves to hb2 within deadtime + apache2 start (± allowance), the client sees the page move from hb1 to hb2', async (t) => {
    const r = await runCli(['failover', '--target', 'hb1', '--fault', 'nic-down', '--json'], {env, timeoutMs: 200_000})
    // the isolated hb1 keeps the VIP: a split brain, which fails the verdict (exit 7), as with nginx
    assert.equal(r.code, 7, `exit ${r.code}\n${r.stderr.slice(-2000)}`)
    const run = r.json as DrillRun
    assert.equal(run.stack, 'heartbeat')
    assert.equal(run.reverted, true)
    const pr = run.prediction
    assert.equal(pr.metric, 'relocationMs')
    assert.match(pr.formula, /^deadtime 1 s \+ resource start /)
    assert.equal(pr.inputs['deadtimeMs'], 1000)
    assert.ok(pr.minMs !== null && pr.maxMs !== null && pr.takeoverMs !== null)
    assert.equal(pr.minMs, 800)
    assert.equal(pr.maxMs, pr.takeoverMs + 200 + 1300 + 1000)
    const moved = run.metrics.extra['relocationMs']
    assert.ok(typeof moved === 'number', 'relocation measured')
    assert.ok(moved >= pr.minMs - POLL_TOL_MS && moved <= pr.maxMs + POLL_TOL_MS, `relocation ${moved} ms outside ${pr.minMs}..${pr.maxMs} ms ± ${POLL_TOL_MS}`)
    assert.equal(run.metrics.oldOwner, 'hb1')
    assert.equal(run.metrics.newOwner, 'hb2')
    // the client's view: "served by hb1" before the fault, then (after failed probes) "served by hb2"
    const fault = run.metrics.faultAtUs
    assert.ok(fault !== null)
    const probes = run.events.flatMap((e) => (e.type === 'probe' ? [e] : []))
    const before = probes.filter((e) => e.t < fault && e.ok)
    assert.ok(before.length > 0 && before.every((e) => e.backend === 'hb1'), 'hb1 served before the fault')
    const firstHb2 = probes.find((e) => e.t > fault && e.ok && e.backend === 'hb2')
    assert.ok(firstHb2 !== undefined, 'the client got the page from hb2')
    // served by hb2 no earlier than the VIP moved there (the probe and the poll run on separate timers)
    assert.ok((firstHb2.t - fault) / 1000 >= moved - POLL_TOL_MS, `hb2 answered at ${(firstHb2.t - fault) / 1000} ms, VIP there at ${moved} ms`)
    const x = run.metrics.extra
    t.diagnostic(`relocation ${moved} ms (predicted ${pr.takeoverMs} ms, ${pr.minMs}..${pr.maxMs}); hb2 served at ${Math.round((firstHb2.t - fault) / 1000)} ms; garp ${run.metrics.garpMs} ms; outage ${run.metrics.outageMs} ms; split brain ${x['splitBrainMs']} ms; reconnect no owner ${x['reconnectNoOwnerMs']} ms, outage ${x['reconnectOutageMs']} ms`)
    assert.ok(run.splitBrain.some((s) => s.kind === 'dual-vip'), 'split brain reported')
    assert.equal(run.metrics.extra['finalOwnerCount'], 1)
    const st = await status()
    assert.equal(st.vipOwners.length, 1, `owners ${st.vipOwners.join(',')}`)
    const a = await auditLab({topology: 'heartbeat', prefix, journalDir: join(HOME, 'journal'), settleMs: 60_000})
    assert.ok(a.clean, JSON.stringify(a.findings))
    apachePids.push(...st.nodes.flatMap((n) => n.daemons.filter((d) => d.service === 'apache2').flatMap((d) => d.pids)))
  })

  it('lab down leaves nothing: no apache2 (nor any process of the nodes), no pid or lock file, no namespace', async () => {
    const r = await runCli(['lab', 'down', ...TOPO, '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal((r.json as LabDownResult).topology, 'heartbeat')
    assert.ok(!existsSync(labDir(prefix, 'heartbeat')), 'lab directory (the nodes\' /run with apache2.pid) removed')
    for (const ns of pidNamespaces) assert.deepEqual(processesInPidNs(ns), [], `processes left in ${ns}`)
    const left = apachePids.filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'apache2'
      } catch {
        return false
      }
    })
    assert.deepEqual(left, [], 'apache2 processes left')
    for (const [path, was] of hostApacheBefore) assert.equal(existsSync(path), was, `${path} on this machine`)
    const ns = (await listNetns()).filter((n) => n.startsWith(`${prefix}-hb`))
    assert.deepEqual(ns, [], `namespaces left: ${ns.join(', ')}`)
  })
})
