/**
 * Ansible inventories (issue 13 item 19): INI and YAML read as Ansible reads them, group_vars/ and host_vars/,
 * roles and facts, ssh options validated as hachaos's own, Vault refused, errors at file:line, a fuzz pass
 * over the INI reader, and the INI writer the labs use (it reads back to the same hosts).
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import fc from 'fast-check'

import {isHachaosError} from '../../src/errors.js'
import {expandHostPattern, parseAnsibleIni, parseAnsibleInventory, renderAnsibleIni, resolveAnsible, sshArgsToOptions} from '../../src/inventory/ansible.js'
import {executorFor, findHost, loadInventory, parseInventory, type Inventory} from '../../src/inventory/inventory.js'
import {REPO_ROOT, fixturePath, readFixture} from '../fixture.js'

const AT = {file: 'i.ini', line: 1}
const view = (inv: Inventory): unknown[] => inv.hosts.map((h) => ({name: h.name, address: h.address, via: h.via, ssh: h.ssh, roles: h.roles, facts: h.facts, services: h.services, netns: h.netns}))

/** BAD_INPUT naming `where` (a file:line), with a message matching `msg`. */
function refused(fn: () => unknown, where: string, msg: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isHachaosError(e), String(e))
    assert.equal(e.exitName, 'BAD_INPUT')
    assert.equal(e.where, where)
    assert.match(e.message, msg)
    return true
  })
}

describe('Ansible inventories', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'hachaos-ansible-'))
  after(() => rmSync(tmp, {recursive: true, force: true}))
  const write = (rel: string, text: string): string => {
    const p = join(tmp, rel)
    mkdirSync(join(p, '..'), {recursive: true})
    writeFileSync(p, text)
    return p
  }

  it('host ranges as Ansible expands them: padded numbers, letters, steps, several ranges', () => {
    assert.deepEqual(expandHostPattern('web[01:04].shop', AT), ['web01.shop', 'web02.shop', 'web03.shop', 'web04.shop'])
    assert.deepEqual(expandHostPattern('db-[a:c]', AT), ['db-a', 'db-b', 'db-c'])
    assert.deepEqual(expandHostPattern('n[1:9:4]', AT), ['n1', 'n5', 'n9'])
    assert.deepEqual(expandHostPattern('r[1:2]-[a:b]', AT), ['r1-a', 'r1-b', 'r2-a', 'r2-b'])
    assert.deepEqual(expandHostPattern('x[:2]', AT), ['x0', 'x1', 'x2'])
    refused(() => expandHostPattern('web[01:100]', AT), 'i.ini:1', /equal-length/)
    refused(() => expandHostPattern('web[5:1]', AT), 'i.ini:1', /ends before it starts/)
    refused(() => expandHostPattern('web[1:99999999]', AT), 'i.ini:1', /more than 10000 hosts/)
  })

  it('INI and YAML versions of one inventory (with group_vars/ and host_vars/) resolve to the same hosts', async () => {
    const ini = await loadInventory(fixturePath('inventory', 'ansible', 'hosts.ini'))
    const yml = await loadInventory(fixturePath('inventory', 'ansible', 'hosts.yml'))
    assert.deepEqual(view(yml), view(ini))
    assert.equal(ini.name, 'shop-prod', 'hachaos_name from group_vars/all.yml')
    assert.equal(ini.vip, '192.0.2.100')
    assert.deepEqual(ini.hosts.map((h) => h.name), ['bastion.shop.example', 'lb1', 'lb2', 'web01.shop.example', 'web02.shop.example', 'web03.shop.example', 'web04.shop.example', 'db-a', 'db-b', 'db-c', 'client'])
    const lb2 = findHost(ini, 'lb2')
    // host_vars/lb2.yml beats [all:vars]; the port from the host line; ssh args from [frontend:vars]
    assert.deepEqual(lb2.ssh, {user: 'ops', port: 2222, key: '/root/.ssh/shop_ed25519', options: {ProxyJump: 'ops@bastion.shop.example', ServerAliveInterval: '5'}})
    assert.deepEqual(lb2.roles, ['lb'])
    // facts: hachaos_facts from group_vars/loadbalancers/main.yml, hachaos_mgmt_interface from network.yaml, hachaos_interface from host_vars
    assert.deepEqual(lb2.facts, {keepalived_conf: '/etc/keepalived/keepalived.conf', haproxy_cfg: '/etc/haproxy/haproxy.cfg', rack: 'B4', interface: 'ens256', mgmt_interface: 'ens224'})
    assert.equal(findHost(ini, 'lb1').facts.interface, 'ens192')
    assert.deepEqual(findHost(ini, 'db-b').ssh?.user, 'postgres', 'inline host var beats [all:vars]')
    assert.deepEqual(findHost(ini, 'db-b').roles, ['cluster-node'], 'role through the parent group pacemaker')
    assert.deepEqual(findHost(ini, 'web03.shop.example').roles, ['web'])
    assert.deepEqual([findHost(ini, 'client').via, findHost(ini, 'client').roles], ['local', ['client']])
    assert.deepEqual(findHost(ini, 'bastion.shop.example').roles, [])
    // the executor hachaos builds from it: the inventory's -o options first, then BatchMode and host-key checking
    const ex = executorFor(lb2)
    assert.equal(ex.describe(), 'ssh ops@192.0.2.12:2222')
    const argv = ex.command(['true'])
    assert.ok(argv.join(' ').includes('-o ProxyJump=ops@bastion.shop.example'), argv.join(' '))
    assert.ok(argv.join(' ').includes('-o BatchMode=yes'))
  })

  it('agrees with Ansible itself: `ansible-inventory --list` (ansible-core 2.14.18) on the same INI file', async () => {
    const inv = (await loadInventory(fixturePath('inventory', 'ansible', 'hosts.ini'))) as Inventory & {origins: Record<string, {groups: string[]}>}
    const list = JSON.parse(readFixture('inventory', 'ansible', 'ansible-inventory-list.json')) as Record<string, {hosts?: string[]; hostvars?: Record<string, Record<string, unknown>>}>
    const hv = list['_meta']?.hostvars ?? {}
    assert.deepEqual(inv.hosts.map((h) => h.name).sort(), Object.keys(hv).sort())
    for (const h of inv.hosts) {
      const v = hv[h.name] ?? {}
      assert.equal(h.address, v['ansible_host'] ?? h.name, h.name)
      for (const [g, d] of Object.entries(list)) if (g !== '_meta' && g !== 'all' && g !== 'ungrouped' && d.hosts?.includes(h.name)) assert.ok(inv.origins[h.name]?.groups.includes(g), `${h.name} in ${g}`)
      assert.equal(h.via, v['ansible_connection'] === 'local' ? 'local' : 'ssh')
      if (h.via === 'local') continue
      assert.equal(h.ssh?.user, v['ansible_user'], `${h.name} user`)
      assert.equal(h.ssh?.port, v['ansible_port'], `${h.name} port`)
      assert.equal(h.ssh?.key, v['ansible_ssh_private_key_file'], `${h.name} key`)
      const args = v['ansible_ssh_common_args']
      assert.deepEqual(h.ssh?.options, typeof args === 'string' ? sshArgsToOptions(args, 'x') : undefined, `${h.name} ssh options`)
    }
    assert.deepEqual(hv['lb2']?.['hachaos_facts'], {haproxy_cfg: '/etc/haproxy/haproxy.cfg', keepalived_conf: '/etc/keepalived/keepalived.conf', rack: 'B4'})
  })

  it('roles: a configurable group mapping (hachaos_group_roles) and hachaos_roles on a host', () => {
    const f = write('roles/hosts.yml', 'all:\n  vars:\n    hachaos_group_roles:\n      edge: [lb]\n      shop_web: web\n  children:\n    edge:\n      hosts:\n        e1:\n    shop_web:\n      hosts:\n        w1:\n        w2:\n          hachaos_roles: [web, real-server]\n')
    const inv = parseInventory(readFixtureAbs(f), f)
    assert.deepEqual(inv.hosts.map((h) => [h.name, h.roles]), [['e1', ['lb']], ['w1', ['web']], ['w2', ['web', 'real-server']]])
    refused(() => parseInventory('[web]\nw1 hachaos_roles=webby\n', join(tmp, 'r.ini')), `${join(tmp, 'r.ini')}:2`, /role "webby" is not a hachaos role/)
  })

  it('ansible_ssh_common_args is validated as hachaos ssh options are', () => {
    assert.deepEqual(sshArgsToOptions('-o ProxyJump=bastion -oServerAliveInterval=5 -J jump2', 'x:1'), {ProxyJump: 'jump2', ServerAliveInterval: '5'})
    const ini = (args: string): string => `[web]\nw1 ansible_host=10.0.0.1\n\n[web:vars]\nansible_ssh_common_args=${args}\n`
    const f = join(tmp, 'ssh.ini')
    refused(() => parseInventory(ini('-o StrictHostKeyChecking=no'), f), `${f}:5`, /StrictHostKeyChecking would override hachaos's host-key checking/)
    refused(() => parseInventory(ini('-o UserKnownHostsFile=/dev/null'), f), `${f}:5`, /host-key checking/)
    refused(() => parseInventory(ini('-o BatchMode=no'), f), `${f}:5`, /BatchMode/)
    refused(() => parseInventory(ini('-o ProxyCommand="ssh -W %h:%p bastion"'), f), `${f}:5`, /ProxyCommand runs a shell command/)
    refused(() => parseInventory(ini('-o ProxyJump=$(whoami)'), f), `${f}:5`, /shell characters/)
    refused(() => parseInventory(ini('-v -o ProxyJump=b'), f), `${f}:5`, /"-v" is not a -o option/)
    // a hostile address or user: file:line of the variable
    refused(() => parseInventory('[web]\nw1 ansible_host=-oProxyCommand=x\n', f), `${f}:2`, /not a host name or IP address/)
    refused(() => parseInventory('[web]\nw1 ansible_host=10.0.0.1 ansible_user="root;id"\n', f), `${f}:2`, /not a valid user name/)
  })

  it('Vault-encrypted values are refused with a clear message at file:line', () => {
    const y = write('vault/hosts.yml', 'all:\n  hosts:\n    h1:\n      ansible_host: 10.0.0.1\n      ansible_become_password: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n        62313365396662343061393464336163383764373764613633653634306231386433626436623361\n')
    refused(() => parseInventory(readFixtureAbs(y), y), `${y}:5`, /variable ansible_become_password is encrypted with Ansible Vault: hachaos does not decrypt Vault/)
    const i = join(tmp, 'v.ini')
    refused(() => parseInventory('[web]\nw1 secret=$ANSIBLE_VAULT;1.1;AES256\n', i), `${i}:2`, /Ansible Vault/)
    const whole = write('vault2/hosts.ini', '[web]\nw1\n')
    write('vault2/group_vars/web.yml', '$ANSIBLE_VAULT;1.1;AES256\n6231336539\n')
    refused(() => parseInventory('[web]\nw1\n', whole), `${join(tmp, 'vault2/group_vars/web.yml')}:1`, /this whole file is encrypted with Ansible Vault/)
  })

  it('errors name file:line: section headers, vars lines, children loops, YAML shape, bad ports', () => {
    const f = join(tmp, 'e.ini')
    refused(() => parseInventory('[web\nw1\n', f), `${f}:1`, /not a section header/)
    refused(() => parseInventory('[web]\nw1\n[web:vars]\njust-a-word\n', f), `${f}:4`, /not key=value/)
    refused(() => parseInventory('[web]\nw1 port\n', f), `${f}:2`, /"port" after host w1 is not key=value/)
    refused(() => parseInventory('[web]\nw1 ansible_port=70000\n', f), `${f}:2`, /port "70000" is not 1–65535/)
    refused(() => parseInventory('[a:children]\nb\n[b:children]\na\n[b]\nh1\n', f), `${f}:2`, /group b is its own ancestor/)
    refused(() => parseInventory("[web]\nw1 ansible_host='10.0.0.1\n", f), `${f}:2`, /unterminated single quote/)
    refused(() => parseInventory('[web]\nw1 ansible_connection=winrm\n', f), `${f}:2`, /ssh \(or local\) only/)
    const y = join(tmp, 'e.yml')
    refused(() => parseInventory('all:\n  children:\n    web:\n      servers:\n        w1:\n', y), `${y}:4`, /"servers" in group web: a group has hosts:, vars: and children: only/)
    refused(() => parseInventory('all:\n  hosts:\n    - w1\n', y), `${y}:2`, /hosts of group all must be a mapping/)
  })

  it('hachaos YAML inventories are still read as before', async () => {
    const inv = await loadInventory(fixturePath('inventory', 'good.yaml'))
    assert.ok(!('format' in inv))
    assert.equal(inv.hosts.length, 5)
  })

  it('the INI writer (used by the labs) reads back to the same hosts', async () => {
    const yaml = await loadInventory(fixturePath('inventory', 'good.yaml'))
    const text = renderAnsibleIni(yaml, 'written by a test')
    const back = parseAnsibleInventory(text, join(tmp, 'nowhere', 'back.ini'), 'ansible-ini')
    const byName = (i: Inventory): unknown[] => view(i).sort((a, b) => String((a as {name: string}).name).localeCompare(String((b as {name: string}).name)))
    assert.deepEqual(byName(back), byName(yaml))
    assert.equal(back.vip, yaml.vip)
    assert.equal(back.name, yaml.name)
  })

  it("inventory show on the keepalived lab's INI inventory (written by hachaos lab up)", () => {
    const file = fixturePath('inventory', 'ansible-lab', 'lab-keepalived.ini')
    const yaml = parseInventory(readFixture('inventory', 'ansible-lab', 'lab-keepalived.yaml'), 'lab.yaml')
    const byName = (i: Inventory): unknown[] => view(i).sort((a, b) => String((a as {name: string}).name).localeCompare(String((b as {name: string}).name)))
    assert.deepEqual(byName(parseInventory(readFixture('inventory', 'ansible-lab', 'lab-keepalived.ini'), file)), byName(yaml), 'both formats the lab writes say the same')
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'run.js'), 'inventory', 'show', '--inventory', file, '--json'], {cwd: REPO_ROOT, encoding: 'utf8', env: {...process.env, HACHAOS_INVENTORY: ''}, timeout: 60000})
    assert.equal(r.status, 0, r.stderr)
    const out = JSON.parse(r.stdout) as {format: string; vip: string; hosts: Array<{name: string; via: string; command: string[]; roles: string[]; groups?: string[]}>}
    assert.equal(out.format, 'ansible-ini')
    assert.equal(out.vip, yaml.vip)
    const lb1 = out.hosts.find((h) => h.name === 'lb1')
    assert.deepEqual([lb1?.via, lb1?.command.slice(0, 3), lb1?.roles, lb1?.groups], ['netns', ['ip', 'netns', 'exec'], ['lb'], ['loadbalancers']])
    const text = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'run.js'), 'inventory', 'show', '--inventory', file], {cwd: REPO_ROOT, encoding: 'utf8', env: {...process.env, HACHAOS_INVENTORY: ''}, timeout: 60000})
    assert.match(text.stdout, /^ {2}lb1 +\S+ +roles lb$/m)
    assert.match(text.stdout, /reached: ip netns exec \S+-lb1/)
  })

  it('fuzz: the INI reader returns or fails with BAD_INPUT naming file:line, never crashes', () => {
    const words = ['[web]', '[web:vars]', '[web:children]', '[all:vars]', '\n', ' ', 'w1', 'web[01:03]', '[a:c]', 'ansible_host=', 'ansible_port=', '10.0.0.1', '22', '=', "'", '"', '#', ';', 'hachaos_roles=', 'lb', 'ansible_ssh_common_args=', '-o ', 'ProxyJump=x', ':', '[', ']', '$ANSIBLE_VAULT', 'ansible_connection=local', 'hachaos_via=netns']
    const file = '/nonexistent-hachaos-fuzz/inv.ini'
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...words), fc.string({maxLength: 6})), {maxLength: 40}), (a) => {
        try {
          resolveAnsible(parseAnsibleIni(a.join(''), file), 'ansible-ini')
        } catch (e) {
          if (!isHachaosError(e)) throw e
          assert.equal(e.exitName, 'BAD_INPUT')
          assert.match(e.where ?? '', /^\/nonexistent-hachaos-fuzz\/inv\.ini(:\d+| \[)/)
        }
      }),
      {numRuns: 3000},
    )
  })
})

function readFixtureAbs(p: string): string {
  return readFileSync(p, 'utf8')
}
