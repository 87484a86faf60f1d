/**
 * The drill's refusal on a Pacemaker cluster in maintenance mode (issue 13, item 10): the Pacemaker stack's
 * prepare() reads the cluster first (clusterBeforeDrill, src/stacks/pacemaker/stack.ts) and, where Pacemaker
 * fails nothing over (maintenance-mode=true, a node in maintenance, an unmanaged resource), refuses with
 * E_MAINTENANCE, exit 6 (CONFLICT), before anything is broken; with --force it warns instead. Run on a scripted
 * executor answering every command prepare's first step asks: crm_mon (the field fixtures), corosync-quorumtool,
 * corosync-cfgtool and corosync-cmapctl (a two-node cluster, written after the lab's 3-node captures in
 * test/fixtures/cluster) and corosync.conf (test/fixtures/corosync/lab-2node.conf).
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {ExitCode, HachaosError} from '../../../src/errors.js'
import {RecordingExecutor} from '../../../src/exec/recording.js'
import {parseInventory} from '../../../src/inventory/inventory.js'
import {clusterBeforeDrill} from '../../../src/stacks/pacemaker/stack.js'
import {readFixture} from '../../fixture.js'

const inv = parseInventory(`
vip: 10.77.0.100
hosts:
  storage-node-alpha: {address: 10.77.0.11, via: ssh, roles: [cluster-node]}
  storage-node-beta: {address: 10.77.0.12, via: ssh, roles: [cluster-node]}
`)
const target = inv.hosts[0]!

const QUORUM_2NODE = `Quorum information
------------------
Date:             Fri Dec  4 16:45:00 2026
Quorum provider:  corosync_votequorum
Nodes:            2
Node ID:          1
Ring ID:          1.8
Quorate:          Yes

Votequorum information
----------------------
Expected votes:   2
Highest expected: 2
Total votes:      2
Quorum:           1  
Flags:            2Node Quorate WaitForAll 

Membership information
----------------------
    Nodeid      Votes Name
         1          1 storage-node-alpha (local)
         2          1 storage-node-beta
`
const LINKS_2NODE = `Local node ID 1, transport knet
LINK ID 0 udp
	addr	= 10.77.0.11
	status:
		nodeid:          1:	localhost
		nodeid:          2:	connected
`

/** The target's executor: every command clusterBeforeDrill runs, answered. */
function node(crmMon: [string, string]): RecordingExecutor {
  return new RecordingExecutor('storage-node-alpha')
    .on(['crm_mon'], {stdout: readFixture(...crmMon)})
    .on(['corosync-quorumtool', '-s'], {stdout: QUORUM_2NODE})
    .on(['corosync-cfgtool', '-s'], {stdout: LINKS_2NODE})
    .on(['corosync-cmapctl', 'runtime.config.totem'], {stdout: readFixture('cluster', 'cmapctl-runtime-totem.txt')})
    .on(['cat', '--', '/etc/corosync/corosync.conf'], {stdout: readFixture('corosync', 'lab-2node.conf')})
}

const ASKED = ['crm_mon -1 --output-as=xml', 'corosync-quorumtool -s', 'corosync-cfgtool -s', 'corosync-cmapctl runtime.config.totem', 'cat -- /etc/corosync/corosync.conf']
const MODE = 'the cluster is in maintenance mode (maintenance-mode=true): Pacemaker starts, stops and monitors nothing'

describe('Pacemaker drill in maintenance mode (issue 13, item 10)', () => {
  it('maintenance-mode=true: the drill is refused with E_MAINTENANCE, exit 6 (CONFLICT), having run only the reads', async () => {
    const exec = node(['field', 'crm_mon-maintenance-mode.xml'])
    let caught: unknown = null
    await clusterBeforeDrill(exec, target, false).catch((e: unknown) => (caught = e))
    assert.ok(caught instanceof HachaosError, `expected a HachaosError, got ${String(caught)}`)
    assert.equal(caught.code, 'E_MAINTENANCE')
    assert.equal(caught.exitName, 'CONFLICT')
    assert.equal(caught.exit, 6)
    assert.equal(caught.exit, ExitCode.CONFLICT)
    assert.equal(caught.where, 'storage-node-alpha')
    assert.equal(caught.message, `refusing the drill on storage-node-alpha: ${MODE}`)
    assert.deepEqual(caught.suggestions, [
      'take the cluster, node or resource out of maintenance first (crm configure property maintenance-mode=false)',
      'or pass --force to drill anyway (nothing will fail over)',
      'nothing was broken',
    ])
    // Nothing but the five reads ran: no fault, no change on the node.
    assert.deepEqual(exec.transcript(), ASKED)
  })

  it('maintenance-mode=true with --force: a warning instead, the snapshot read whole', async () => {
    const exec = node(['field', 'crm_mon-maintenance-mode.xml'])
    const r = await clusterBeforeDrill(exec, target, true)
    assert.deepEqual(r.warnings, [`maintenance mode (--force): ${MODE}`])
    assert.equal(r.snapshot.crmMon.maintenanceMode, true)
    assert.deepEqual(r.snapshot.notes, [])
    assert.equal(r.snapshot.quorum?.quorate, true)
    assert.deepEqual(exec.transcript(), ASKED)
  })

  it('a node in maintenance and an unmanaged resource: refused with both reasons; with --force, both warned', async () => {
    const reasons =
      'node storage-node-beta is in maintenance: its resources are not monitored or moved; resource web is not managed (maintenance=true or is-managed=false): Pacemaker will not recover it'
    await assert.rejects(
      clusterBeforeDrill(node(['field', 'crm_mon-maintenance.xml']), target, false),
      (e: unknown) => e instanceof HachaosError && e.code === 'E_MAINTENANCE' && e.exit === 6 && e.message === `refusing the drill on storage-node-alpha: ${reasons}`,
    )
    const r = await clusterBeforeDrill(node(['field', 'crm_mon-maintenance.xml']), target, true)
    assert.deepEqual(r.warnings, ['the cluster is not healthy before the fault: node storage-node-beta is in maintenance', `maintenance mode (--force): ${reasons}`])
  })

  it('the lab\'s healthy cluster: no refusal, no warning, with or without --force', async () => {
    for (const force of [false, true]) {
      const r = await clusterBeforeDrill(node(['pacemaker', 'lab-2node-crm_mon.xml']), target, force)
      assert.deepEqual(r.warnings, [])
      assert.equal(r.snapshot.crmMon.maintenanceMode, false)
    }
  })
})
