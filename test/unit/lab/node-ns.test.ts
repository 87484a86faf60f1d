/**
 * The labs' node-namespace module: the init's namespaces (IPC as a parameter), its PID-1 script (valid bash,
 * no template leaks), and the tmpfiles.d pass that makes the /run directories packages declare — run for real
 * on a staged directory with a tmpfiles.d file like Heartbeat's.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, mkdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {nodeInitScript, nodeNamespaces, unshareArgv, type NodeInitSpec} from '../../../src/lab/node-ns.js'
import {NODE_INIT_SH} from '../../../src/stacks/pacemaker/lab/scripts.js'

/** A Heartbeat node as in ../shared/labs/heartbeat/node-init.sh: own IPC, private /run with tmpfiles.d dirs. */
const heartbeat: NodeInitSpec = {
  title: 'hachaos Heartbeat lab: PID 1 of one node',
  about: ['Heartbeat, nginx, a private /run'],
  args: [
    {name: 'N', usage: 'NODE'},
    {name: 'R', usage: 'NODEDIR'},
  ],
  hostname: '"$N"',
  binds: [
    {from: '"$R/log"', to: '/var/log'},
    {from: '"$R/etc-ha.d"', to: '/etc/ha.d'},
    {from: '"$R/www"', to: '/var/www/html', ifDir: true},
  ],
  overlays: [],
  run: {
    stage: '"$R/newrun"',
    why: 'private /run',
    dirs: [{path: 'heartbeat', mode: '0750', owner: 'hacluster', group: 'haclient'}, {path: 'resource-agents', mode: '1755'}, {path: 'lock', mode: '1777'}],
    links: [],
    tmpfilesD: true,
  },
  boot: ['echo "$N up" >"$R/ready"'],
  reaperWhy: ['PID 1 reaps orphans'],
}

describe('lab node namespaces', () => {
  it('the init gets PID, mount and UTS namespaces, IPC when asked; nsenter joins the same ones', () => {
    assert.deepEqual(unshareArgv(), ['unshare', '--pid', '--fork', '--mount-proc', '--mount', '--uts', '--propagation', 'private'])
    assert.deepEqual(unshareArgv({ipc: true}), ['unshare', '--pid', '--fork', '--mount-proc', '--mount', '--uts', '--ipc', '--propagation', 'private'])
    assert.deepEqual(nodeNamespaces(), ['pid', 'mount', 'uts', 'net'])
    assert.deepEqual(nodeNamespaces({ipc: true}), ['pid', 'mount', 'uts', 'ipc', 'net'])
  })

  it('renders valid bash for the Pacemaker node and a Heartbeat-like node (owners, modes, tmpfiles.d, reaper)', () => {
    const hb = nodeInitScript(heartbeat)
    for (const text of [hb, NODE_INIT_SH]) {
      const r = spawnSync('bash', ['-n'], {input: text})
      assert.equal(r.status, 0, r.stderr.toString())
      assert.ok(text.startsWith('#!/bin/bash\n'))
      assert.doesNotMatch(text, /\$\{|undefined|\[object/)
      assert.match(text, /exec perl -e '\$0 = "hachaos-init"; while \(1\) \{ sleep 1 if waitpid\(-1, 0\) < 0 \}'\n$/)
    }
    assert.match(hb, /^chown hacluster:haclient "\$R\/newrun\/heartbeat"$/m)
    assert.match(hb, /^chmod 1755 "\$R\/newrun\/resource-agents"$/m)
    assert.match(hb, /tmpfiles\.d/)
    assert.doesNotMatch(NODE_INIT_SH, /tmpfiles\.d\/\*\.conf/, 'the Pacemaker node makes its /run directories by hand')
    // everything before `mount --move`: the staged /run is complete when it replaces /run
    assert.ok(hb.indexOf('done <"$f"') < hb.indexOf('mount -n --move'))
  })

  it('the tmpfiles.d pass creates the declared /run directories with their modes (skips other paths and specifiers)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hachaos-nodens-'))
    try {
      const conf = join(dir, 'tmpfiles.d')
      const stage = join(dir, 'newrun')
      mkdirSync(conf)
      mkdirSync(stage)
      writeFileSync(join(conf, 'heartbeat.conf'), ['# Heartbeat', 'd /run/heartbeat 0750 root root -', 'd /run/heartbeat/ccm 0700 - - -', 'D /run/crm - - - -', 'd /var/lib/heartbeat 0755 root root -', 'd /run/user/%U 0700 - - -', 'f /run/some.pid 0644 root root -', ''].join('\n'))
      // the pass, taken from the rendered script, pointed at this tmpfiles.d and staged /run
      const script = nodeInitScript({...heartbeat, run: {...heartbeat.run, dirs: []}})
      const pass = script.slice(script.indexOf('for f in /usr/lib/tmpfiles.d'), script.indexOf('done <"$f"\ndone') + 'done <"$f"\ndone'.length).replace('/usr/lib/tmpfiles.d/*.conf /etc/tmpfiles.d/*.conf', `${conf}/*.conf`)
      const r = spawnSync('bash', ['-euc', `R=${dir}\n${pass}`])
      assert.equal(r.status, 0, r.stderr.toString())
      assert.equal(statSync(join(stage, 'heartbeat')).mode & 0o7777, 0o750)
      assert.equal(statSync(join(stage, 'heartbeat', 'ccm')).mode & 0o7777, 0o700)
      assert.equal(statSync(join(stage, 'crm')).mode & 0o7777, 0o755)
      assert.throws(() => statSync(join(stage, 'user')), 'a line with a specifier is skipped')
      assert.throws(() => statSync(join(stage, 'some.pid')), 'only directories')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
