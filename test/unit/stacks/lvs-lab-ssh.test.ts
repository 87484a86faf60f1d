/**
 * `lab up --topology lvs --ssh`: the pure parts — dropbear's argv, the host key from dropbearkey's output,
 * known_hosts, and inventory-ssh.yaml written from the lab's own inventory (valid, the same hosts via ssh).
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {stringify} from 'yaml'

import {SshExecutor} from '../../../src/exec/ssh.js'
import {executorFor, parseInventory} from '../../../src/inventory/inventory.js'
import {inventoryDoc, keepalivedArgv, type LvsLabExtra} from '../../../src/stacks/lvs/lab/lab.js'
import {dropbearArgv, knownHostsText, parseDropbearPublicKey, sshInventoryDoc, unwrapGuestNs} from '../../../src/stacks/lvs/lab/ssh.js'
import {lvsTopology, optionsKey, parseLvsLabOptions} from '../../../src/stacks/lvs/lab/topology.js'

const DROPBEARKEY_Y = `Public key portion is:
ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHQb2WramFSOeNEVJwoO1wkBoV7Y1oUpVFtrms7WeB0Y root@hx-lvs
Fingerprint: sha1!! 4c:2a:9e:01:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99
`
const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHQb2WramFSOeNEVJwoO1wkBoV7Y1oUpVFtrms7WeB0Y'

function labDoc(sync = false): Record<string, unknown> {
  const o = parseLvsLabOptions({sync, ssh: true})
  const t = lvsTopology('hs')
  const files = {consoleLog: '/run/l/console.log', consoleSocket: '/run/l/console.sock', monitorSocket: '/run/l/monitor.sock', pidFile: '/run/l/qemu.pid', brokerSocket: '/run/l/hx.sock', brokerLog: '/run/l/broker.log'}
  const x: LvsLabExtra = {options: o, optionsKey: optionsKey(o), kernelVersion: '6.1.0', files, qemuPid: null, brokerPid: null, switchNs: t.switchNs, nodes: t.nodes}
  return inventoryDoc(t, x, '/run/l/state.json')
}

describe('lvs lab --ssh', () => {
  it('the option is absent unless asked for: a lab without --ssh keeps its options key', () => {
    assert.equal('ssh' in parseLvsLabOptions({}), false)
    assert.equal('ssh' in parseLvsLabOptions({ssh: false}), false)
    assert.equal(parseLvsLabOptions({ssh: true}).ssh, true)
  })

  it('dropbear: in the namespace, on its address only, key only, no forwarding, foreground with a log', () => {
    const a = dropbearArgv('dir1', '10.98.0.2')
    assert.deepEqual(a.slice(4), ['/run/dropbear-dir1.log', '/bin/ip', 'netns', 'exec', 'dir1', '/usr/sbin/dropbear', '-F', '-E', '-s', '-j', '-k', '-r', '/etc/dropbear/host_ed25519', '-p', '10.98.0.2:22', '-P', '/run/dropbear-dir1.pid'])
    assert.ok(!a.includes('-w'), 'root may log in (by key)')
  })

  it('the host key from dropbearkey -y, and known_hosts for port 22 and another port', () => {
    assert.equal(parseDropbearPublicKey(DROPBEARKEY_Y), HOST_KEY)
    assert.throws(() => parseDropbearPublicKey('Error: no such file\n'), /no ssh-ed25519 public key/)
    assert.equal(knownHostsText(['10.98.0.2', '10.98.0.3'], HOST_KEY), `10.98.0.2 ${HOST_KEY}\n10.98.0.3 ${HOST_KEY}\n`)
    assert.equal(knownHostsText(['10.98.0.2'], HOST_KEY, 2222), `[10.98.0.2]:2222 ${HOST_KEY}\n`)
  })

  it('unwrapGuestNs drops only the guest namespace wrapper', () => {
    const k = keepalivedArgv('dir1')
    const u = unwrapGuestNs(k)
    assert.equal(u.length, k.length - 4)
    assert.deepEqual(u.slice(0, 6), ['sh', '-c', 'log=$1; shift; "$@" > "$log" 2>&1 < /dev/null &', 'sh', '/run/ka-dir1.log', 'keepalived'])
    assert.deepEqual(unwrapGuestNs(['httpd', '-p', '80']), ['httpd', '-p', '80'])
  })

  it('inventory-ssh.yaml: a valid inventory, the guest hosts via ssh with the lab key and known_hosts, the client local, no lab section', () => {
    const lab = labDoc(true)
    const before = JSON.stringify(lab)
    const doc = sshInventoryDoc(lab, {key: '/run/l/id_ed25519', knownHostsFile: '/run/l/known_hosts'})
    assert.equal(JSON.stringify(lab), before, 'the lab inventory is not changed')
    const inv = parseInventory(stringify(doc), '/run/l/inventory-ssh.yaml')
    assert.equal(inv.lab, undefined)
    assert.equal(inv.vip, '10.98.0.100')
    assert.deepEqual(inv.hosts.map((h) => `${h.name} ${h.via} ${h.address}`), ['dir1 ssh 10.98.0.2', 'dir2 ssh 10.98.0.3', 'rs1 ssh 10.98.0.11', 'rs2 ssh 10.98.0.12', 'client local 10.98.0.10'])
    const dir1 = inv.hosts[0]
    assert.ok(dir1 !== undefined)
    assert.deepEqual(dir1.ssh, {user: 'root', key: '/run/l/id_ed25519', knownHostsFile: '/run/l/known_hosts', strictHostKeyChecking: 'yes', options: {ControlMaster: 'no'}})
    assert.equal(dir1.vm_socket, undefined)
    assert.equal(dir1.vm_netns, undefined)
    assert.equal(dir1.facts['qemu_monitor'], undefined)
    assert.equal(dir1.facts['qemu_netdev'], undefined)
    assert.equal(dir1.facts.keepalived_conf, '/etc/keepalived/dir1.conf')
    assert.equal(dir1.facts['lvs_sync'], true)
    assert.deepEqual(dir1.roles, ['lvs-director'])
    const start = dir1.facts['lab_start'] as {keepalived: string[]}
    assert.ok(!start.keepalived.includes('netns'), start.keepalived.join(' '))
    assert.equal(inv.hosts[4]?.netns, undefined)
    // the executor the drills get: ssh with host-key checking on, the key and the user
    const ex = executorFor(dir1)
    assert.ok(ex instanceof SshExecutor)
    const opts = ex.sshOptions().join(' ')
    assert.match(opts, /StrictHostKeyChecking=yes/)
    assert.match(opts, /UserKnownHostsFile=\/run\/l\/known_hosts/)
    assert.match(opts, /-i \/run\/l\/id_ed25519 -l root/)
    assert.doesNotMatch(opts, / -p /)
  })
})
