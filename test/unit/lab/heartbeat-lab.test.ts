/** The Heartbeat lab's rendered files and shape (pure), read back with the product's own readers. */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {haCfTimers, parseAuthkeys, parseHaCf, parseHaresources} from '../../../src/config/heartbeat.js'
import {isHachaosError} from '../../../src/errors.js'
import {LAB_DRIVERS} from '../../../src/lab/registry.js'
import {APACHE_PID_FILE, NODE_INIT_SH, RC_SH, renderApacheEnvvars, renderAuthkeys, renderHaCf, renderHaresources, renderNodeApacheConf} from '../../../src/stacks/heartbeat/lab/render.js'
import {haresourcesServices} from '../../../src/stacks/heartbeat/lab/resource.js'
import {heartbeatTopology} from '../../../src/stacks/heartbeat/lab/topology.js'
import {readFixture} from '../../fixture.js'

describe('heartbeat lab', () => {
  it('is a registered topology', () => {
    assert.ok(LAB_DRIVERS.some((d) => d.topology === 'heartbeat'))
  })

  it('defaults: keepalive 1 / warntime 3 / deadtime 5 / initdead 10, auto_failback off', () => {
    const t = heartbeatTopology('hc')
    assert.deepEqual([t.keepaliveMs, t.warntimeMs, t.deadtimeMs, t.initdeadMs, t.autoFailback], [1000, 3000, 5000, 10_000, 'off'])
    assert.deepEqual(t.nodes.map((n) => [n.name, n.ns, n.ip]), [['hb1', 'hc-hb1', '10.71.0.11'], ['hb2', 'hc-hb2', '10.71.0.12']])
    assert.equal(t.vip, '10.71.0.100')
  })

  it('short timers as the integration test uses them render as the committed lab ha.cf', () => {
    const t = heartbeatTopology('hb', {keepalive: '200ms', deadtime: '1'})
    assert.deepEqual([t.warntimeMs, t.initdeadMs], [600, 2000])
    const text = renderHaCf(t)
    assert.equal(text.replace(/prefix \w+/, 'prefix X'), readFixture('heartbeat', 'ha.cf').replace(/prefix \w+/, 'prefix X'))
    assert.deepEqual(haCfTimers(parseHaCf(text, {file: 'x'})), {keepaliveMs: 200, warntimeMs: 600, deadtimeMs: 1000, initdeadMs: 2000})
    assert.equal(renderHaresources(t), readFixture('heartbeat', 'haresources'))
    assert.equal(parseHaresources(renderHaresources(t), {file: 'x'}).groups[0]?.node, 'hb1')
    assert.equal(parseAuthkeys(renderAuthkeys('ab'.repeat(20)), {file: 'x'}).keys[0]?.method, 'sha1')
  })

  it('refuses bad timers and options with a usage error', () => {
    for (const o of [{deadtime: 'soon'}, {keepalive: '2', deadtime: '1'}, {autoFailback: 'maybe'}, {resource: 'tomcat'}]) {
      assert.throws(() => heartbeatTopology('hc', o), (e: unknown) => isHachaosError(e) && e.exitName === 'USAGE', JSON.stringify(o))
    }
  })

  it('the node init makes /run/resource-agents 1755 and the heartbeat dirs, with its own IPC namespace plumbing', () => {
    assert.match(NODE_INIT_SH, /chmod 1755 "\$R\/newrun\/resource-agents"/)
    assert.match(NODE_INIT_SH, /chown hacluster:haclient "\$R\/newrun\/heartbeat"/)
    assert.match(NODE_INIT_SH, /mount -n --bind "\$R\/etc-ha\.d"\s+\/etc\/ha\.d/)
    assert.match(RC_SH, /\/usr\/libexec\/heartbeat\/heartbeat" -k|\$HB" -k/)
  })

  it('--resource apache2: haresources names apache2 after the VIP, as the lab wrote it (test/fixtures/heartbeat/haresources.apache2)', () => {
    const t = heartbeatTopology('hx', {keepalive: '200ms', deadtime: '1', resource: 'apache2'})
    assert.equal(t.resource, 'apache2')
    assert.equal(heartbeatTopology('hx').resource, 'nginx')
    const text = renderHaresources(t)
    assert.equal(text, readFixture('heartbeat', 'haresources.apache2'))
    const g = parseHaresources(text, {file: 'haresources'}).groups[0]
    assert.equal(g?.node, 'hb1')
    assert.deepEqual(g?.resources.map((r) => [r.agent, r.args]), [['IPaddr', ['10.71.0.100/24/eth0']], ['apache2', []]])
  })

  it('haresourcesServices: the service after the address (the lab status "resource"), on the lab files and variants', () => {
    assert.deepEqual(haresourcesServices(readFixture('heartbeat', 'haresources.apache2'), 'h'), {group: 'IPaddr::10.71.0.100/24/eth0 apache2', node: 'hb1', services: ['apache2']})
    assert.deepEqual(haresourcesServices(readFixture('heartbeat', 'haresources'), 'h').services, ['nginx'])
    // the package's sample is comments only
    assert.deepEqual(haresourcesServices(readFixture('heartbeat', 'haresources.debian-sample'), 'h'), {group: null, node: null, services: []})
    // IPaddr2, a bare address (Heartbeat reads it as IPaddr), IPsrcaddr are addresses; Filesystem::… is a service
    const h = haresourcesServices('n1 10.0.0.5 IPaddr2::10.0.0.6/24/eth0 IPsrcaddr::10.0.0.6 Filesystem::/dev/sdb1::/srv::ext4 \\\n  apache2 # web\n', 'h')
    assert.deepEqual(h.services, ['Filesystem', 'apache2'])
    assert.throws(() => haresourcesServices('hb1\n', '/etc/ha.d/haresources'), (e: unknown) => isHachaosError(e) && /haresources:1/.test(String(e.where ?? e.message)))
  })

  it('--resource apache2: each node its own ServerRoot, pid file and run dir in its private /run, the page and header name the node', () => {
    const t = heartbeatTopology('hx', {resource: 'apache2'})
    const [hb1, hb2] = t.nodes.map((n) => renderNodeApacheConf(n))
    for (const [conf, name] of [[hb1, 'hb1'], [hb2, 'hb2']] as const) {
      assert.ok(conf !== undefined)
      assert.match(conf, /^ServerRoot "\/etc\/apache2"$/m)
      assert.match(conf, new RegExp(`^ServerName ${name}$`, 'm'))
      assert.match(conf, /^PidFile "\/run\/apache2\/apache2\.pid"$/m)
      assert.match(conf, /^Mutex file:\/run\/apache2 default$/m)
      assert.match(conf, /^ErrorLog "\/var\/log\/apache2\/error\.log"$/m)
      assert.match(conf, /^Listen 80$/m)
      assert.match(conf, new RegExp(`^Header always set X-Served-By "${name}"$`, 'm'))
    }
    // the init script and apache2ctl take the pid file from envvars: the same file as PidFile
    const env = renderApacheEnvvars()
    assert.match(env, new RegExp(`^export APACHE_PID_FILE=${APACHE_PID_FILE}$`, 'm'))
    assert.match(env, /^export APACHE_LOCK_DIR=\/run\/lock\/apache2$/m)
    // the node's directory over /etc/apache2 (ServerRoot), and the service manager runs the LSB script
    assert.match(NODE_INIT_SH, /if \[ -d \/etc\/apache2 \]; then mount -n --bind "\$R\/etc-apache2" \/etc\/apache2; fi/)
    assert.match(RC_SH, /"start apache2"\) \/etc\/init\.d\/apache2 start ;;/)
    assert.match(RC_SH, /"stop apache2"\) \/etc\/init\.d\/apache2 stop ;;/)
  })
})
