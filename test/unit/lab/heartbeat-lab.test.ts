/** The Heartbeat lab's rendered files and shape (pure), read back with the product's own readers. */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {haCfTimers, parseAuthkeys, parseHaCf, parseHaresources} from '../../../src/config/heartbeat.js'
import {isHachaosError} from '../../../src/errors.js'
import {LAB_DRIVERS} from '../../../src/lab/registry.js'
import {NODE_INIT_SH, RC_SH, renderAuthkeys, renderHaCf, renderHaresources} from '../../../src/stacks/heartbeat/lab/render.js'
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
})
