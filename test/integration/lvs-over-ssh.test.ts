/**
 * LVS drills over ssh, the way they run against real hosts: `lab up --topology lvs --ssh --sync` starts a
 * dropbear (root, key only, :22) in dir1, dir2, rs1 and rs2 and writes inventory-ssh.yaml (the same hosts
 * `via: ssh`, host-key checking on with the lab's known_hosts); hachaos runs inside the client namespace
 * (PREFIX-lc) and reaches the directors only over ssh — keepalived.conf, the IPVS tables, the tc fault and its
 * revert all go through the ssh executor. One boot for the file:
 * - nic-down on dir1 is refused (E_MGMT_INTERFACE: eth0 carries the ssh session) and breaks nothing;
 * - drop-vrrp on dir1: dir2 takes over after Master_Down_Interval (3.609 s) ± 100 ms from dir1's last advert on
 *   the wire, both hold the VIP until the revert (WARN), no filter left, no ssh ControlMaster left;
 * - drop-sync on dir1: the streams opened during the drop are on dir1's table and missing from dir2's
 *   (divergence reported), tables read over ssh;
 * - `lab down` leaves no namespace, no lab directory (the keys with it), no ssh process.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {parse} from 'yaml'

import {VmExecutor} from '../../src/exec/vm.js'
import type {LabUpResult} from '../../src/lab/driver.js'
import {listNetns} from '../../src/lab/netns-ops.js'
import {labDir} from '../../src/lab/paths.js'
import {masterDownIntervalMs} from '../../src/stacks/keepalived/timing.js'
import type {DrillRun} from '../../src/store/run-types.js'
import {type CliResult, labPrefixForTests, runCli, waitVipHome} from '../helpers/cli.js'

const prefix = labPrefixForTests()
const HOME = mkdtempSync(join(tmpdir(), 'hachaos-lvs-ssh-'))
const env = {HACHAOS_HOME: HOME}
const TOPO = ['--topology', 'lvs']
const TAKEOVER_TOL_MS = 100
const MDI_MS = masterDownIntervalMs(100, 1, 2)
const ADDRESSES = ['10.98.0.2', '10.98.0.3', '10.98.0.11', '10.98.0.12']
const dir = labDir(prefix, 'lvs')
const inv = join(dir, 'inventory-ssh.yaml')

/** ssh processes on this machine that talk to the lab's hosts, or masters of ours (renamed "ssh: …/hachaos-ssh-UID/PID-HASH [mux]"). */
function sshToLab(): string[] {
  const out: string[] = []
  for (const n of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const cmd = readFileSync(`/proc/${n}/cmdline`, 'utf8').split('\0')
      if ((cmd[0] === 'ssh' && cmd.some((c) => ADDRESSES.includes(c))) || /^ssh: .*\/hachaos-ssh-\d+\/\d+-[0-9a-f]+ \[mux\]/.test(cmd[0] ?? '')) {
        const state = /\) (\S)/.exec(readFileSync(`/proc/${n}/stat`, 'utf8'))?.[1] ?? '?'
        out.push(`${n} [${state}] ${cmd.filter((c) => c !== '').join(' ').slice(0, 300)}`)
      }
    } catch {
      // gone
    }
  }
  return out
}

/** No ssh process of ours is left (a master told to exit may take a moment to go): waits up to 3 s. */
async function noSshLeft(): Promise<void> {
  let left = sshToLab()
  for (let i = 0; i < 30 && left.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    left = sshToLab()
  }
  assert.deepEqual(left, [])
}

/** The CLI inside the client namespace, as an operator on the client host runs it. */
function fromClient(args: string[], timeoutMs = 120_000): Promise<CliResult> {
  return runCli(args, {netns: `${prefix}-lc`, env, timeoutMs})
}

async function drill(args: string[]): Promise<DrillRun> {
  const r = await fromClient(['failover', '-i', inv, '--target', 'dir1', ...args, '--tolerance', `${TAKEOVER_TOL_MS}ms`, '--json'])
  assert.ok(r.json !== undefined, `exit ${r.code}\n${r.stdout.slice(0, 1000)}\n${r.stderr.slice(-3000)}`)
  const run = r.json as DrillRun
  const keep = process.env['HACHAOS_TEST_KEEP']
  if (keep !== undefined && keep !== '') writeFileSync(join(keep, `${run.id}.json`), r.stdout)
  assert.equal(run.stack, 'lvs')
  assert.equal(run.reverted, true, run.revertError ?? '')
  // the drill ended the ssh ControlMasters it opened when it returned
  await noSshLeft()
  return run
}

/** No clsact qdisc (ours) left on dir1's eth0: read through the guest's console, not over ssh. */
async function noFilterLeft(): Promise<void> {
  const vm = new VmExecutor('dir1', join(dir, 'hx.sock'), 'dir1')
  const q = await vm.run(['/sbin/tc', 'qdisc', 'show', 'dev', 'eth0'], {timeoutMs: 10_000})
  assert.equal(q.code, 0, q.stderr)
  assert.doesNotMatch(q.stdout, /clsact/)
}

describe('lvs lab over ssh (--ssh --sync): hachaos in the client namespace, the directors reached by ssh', () => {
  before(async () => {
    await runCli(['lab', 'down', ...TOPO])
    const r = await runCli(['lab', 'up', ...TOPO, '--ssh', '--sync', '--json'], {env, timeoutMs: 150_000})
    assert.equal(r.code, 0, r.stderr.slice(-2000))
    const up = r.json as LabUpResult
    assert.equal(up.details['sshInventory'], inv)
    process.stdout.write(`# lab up --topology lvs --ssh --sync: VIP ready ${up.timings.readyMs} ms, ssh ready ${up.timings['sshMs']} ms\n`)
  })
  after(async () => {
    await runCli(['lab', 'down', ...TOPO])
    rmSync(HOME, {recursive: true, force: true})
  })

  it('inventory-ssh.yaml: the guest hosts via ssh (root, the lab key, host-key checking on), the client local', () => {
    const doc = parse(readFileSync(inv, 'utf8')) as {lab?: unknown; hosts: Record<string, {via: string; address: string; ssh?: {user: string; key: string; knownHostsFile: string; strictHostKeyChecking: string; options?: Record<string, string>}}>}
    assert.equal(doc.lab, undefined)
    for (const h of ['dir1', 'dir2', 'rs1', 'rs2']) {
      const e = doc.hosts[h]
      assert.equal(e?.via, 'ssh', h)
      assert.deepEqual(e?.ssh, {user: 'root', key: join(dir, 'id_ed25519'), knownHostsFile: join(dir, 'known_hosts'), strictHostKeyChecking: 'yes', options: {ControlMaster: 'no'}})
    }
    assert.equal(doc.hosts['client']?.via, 'local')
    const known = readFileSync(join(dir, 'known_hosts'), 'utf8')
    for (const a of ADDRESSES) assert.match(known, new RegExp(`^${a.replace(/\./g, '\\.')} ssh-ed25519 `, 'm'))
  })

  it('nic-down on dir1 over ssh is refused (E_MGMT_INTERFACE: eth0 carries the session), dir1 stays up', async () => {
    const r = await fromClient(['failover', '-i', inv, '--target', 'dir1', '--json'])
    assert.equal(r.code, 2, r.stdout.slice(0, 1000) + r.stderr.slice(-1000))
    assert.equal((r.json as {error: {code: string}}).error.code, 'E_MGMT_INTERFACE')
    const vm = new VmExecutor('dir1', join(dir, 'hx.sock'), 'dir1')
    assert.match((await vm.run(['/bin/ip', '-o', 'link', 'show', 'dev', 'eth0'])).stdout, /state UP/)
    await noSshLeft()
  })

  it('drop-vrrp dir1 over ssh (tc): dir2 takes over after Master_Down_Interval ± 100 ms, both hold the VIP (WARN), reverted, no filter left', async () => {
    await waitVipHome('dir1', {topology: 'lvs', env})
    const run = await drill(['--fault', 'drop-vrrp', '--hold', '6s'])
    assert.deepEqual(run.fault.params, {interface: 'eth0', with: 'tc'})
    // predicted from dir2's keepalived.conf, read over ssh
    assert.equal(run.prediction.takeoverMs, MDI_MS)
    const t = run.metrics.takeoverFromLastAdvertMs
    assert.ok(t !== null && Math.abs(t - MDI_MS) <= TAKEOVER_TOL_MS, `takeover ${String(t)} ms, Master_Down_Interval ${MDI_MS} ms ± ${TAKEOVER_TOL_MS}`)
    assert.equal(run.metrics.oldOwner, 'dir1')
    assert.equal(run.metrics.newOwner, 'dir2')
    const dual = run.splitBrain.find((x) => x.kind === 'dual-vip') ?? run.splitBrain.find((x) => x.kind === 'dual-arp')
    assert.ok(dual !== undefined, JSON.stringify(run.splitBrain))
    assert.deepEqual([...dual.parties].sort(), ['dir1', 'dir2'])
    assert.equal(run.verdict, 'warn', run.verdictReasons.join('; '))
    const inject = (run.events.find((e) => e.type === 'fault.inject' && e.phase === 'after')?.t ?? 0) - run.metrics.faultAtUs
    process.stdout.write(`# over ssh, drop-vrrp dir1: takeover ${t} ms (predicted ${MDI_MS}), inject ${(inject / 1000).toFixed(0)} ms, ${run.splitBrain.map((x) => `${x.kind} ${x.durationMs} ms`).join(', ')}, failback ${run.metrics.failbackMs} ms, streams survived ${run.metrics.extra['streamsSurvivedTakeover']}/20\n`)
    await noFilterLeft()
  })

  it('drop-sync dir1 over ssh: the streams opened during the drop are on dir1 and missing from dir2 (divergence reported)', async () => {
    await waitVipHome('dir1', {topology: 'lvs', env})
    const run = await drill(['--fault', 'drop-sync'])
    assert.equal(run.prediction.metric, 'syncMissingOnBackup')
    assert.deepEqual([run.fault.params['group'], run.fault.params['port'], run.fault.params['with']], ['224.0.0.81', 8848, 'tc'])
    const x = run.metrics.extra
    process.stdout.write(`# over ssh, drop-sync dir1: dir1 ${x['syncMasterConns']} entries, dir2 ${x['syncBackupConns']}; missing on dir2 ${x['syncMissingOnBackup']} (${x['syncMissingStreams']} of ${x['syncMasterStreams']} streams), tables read ${x['syncReadAtMs']} ms after the fault (${x['syncReadMs']} ms), before the fault ${x['syncMissingBefore']}; verdict ${run.verdict}\n`)
    assert.equal(x['dropStreamsOpened'], 10)
    assert.ok((x['syncMissingOnBackup'] ?? 0) > 0, 'the tables diverged')
    assert.ok((x['syncMissingStreams'] ?? 0) >= 10 && (x['syncMissingStreams'] ?? 0) <= 12, `${x['syncMissingStreams']} streams missing`)
    assert.equal(x['dropStreamsLost'], 0, 'nothing breaks the streams while only the sync is dropped')
    assert.notEqual(run.verdict, 'fail', run.verdictReasons.join('; '))
    await noFilterLeft()
  })

  it('lab down leaves nothing: no namespace, no lab directory (nor its keys), no ssh process', async () => {
    const r = await runCli(['lab', 'down', ...TOPO, '--json'], {env})
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual((await listNetns()).filter((n) => n.startsWith(`${prefix}-l`)), [])
    assert.equal(existsSync(dir), false)
    await noSshLeft()
  })
})
