import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {describe, it} from 'node:test'

import {XMLValidator} from 'fast-xml-parser'

import {corosyncSummary, parseCorosyncConf} from '../../../src/config/corosync.js'
import {crmConfigOptions, fenceXml, groupXml, renderApacheConf, renderCorosyncConf} from '../../../src/stacks/pacemaker/lab/render.js'
import {CHASSIS_SH, FENCE_AGENT_SH, NODE_INIT_SH, RC_SH} from '../../../src/stacks/pacemaker/lab/scripts.js'
import {pacemakerTopology} from '../../../src/stacks/pacemaker/lab/topology.js'
import {keepalivedTopology} from '../../../src/stacks/keepalived/lab/topology.js'

describe('pacemaker lab: topology and rendered files', () => {
  it('names never collide with the keepalived lab of the same prefix', () => {
    const p = pacemakerTopology('hcp')
    const k = keepalivedTopology('hcp')
    const pk = new Set([p.switchNs, p.clientNs, ...p.nodes.map((n) => n.ns)])
    const ka = new Set([k.switchNs, ...k.nodes.map((n) => n.ns)])
    assert.deepEqual([...pk].filter((n) => ka.has(n)), [])
    assert.equal(p.switchNs, 'hcp-pksw')
    assert.deepEqual(p.nodes.map((n) => [n.name, n.ns, n.ip]), [['n1', 'hcp-n1', '10.77.0.11'], ['n2', 'hcp-n2', '10.77.0.12'], ['n3', 'hcp-n3', '10.77.0.13']])
    assert.equal(p.vip, '10.77.0.100')
    assert.throws(() => pacemakerTopology('hcp', {nodes: 4}), /2 or 3 nodes/)
  })

  it('corosync.conf reads back with the timers the lab means: 3 nodes → token 1650, consensus 1980; 2 nodes → two_node', () => {
    const c3 = corosyncSummary(parseCorosyncConf(renderCorosyncConf(pacemakerTopology('hc')), {file: '<corosync.conf>'}))
    assert.deepEqual([c3.totem.token, c3.effective.tokenMs, c3.effective.consensusMs, c3.quorum.twoNode, c3.transport], [1000, 1650, 1980, false, 'knet'])
    assert.deepEqual(c3.nodes.map((n) => n.rings[0]), ['10.77.0.11', '10.77.0.12', '10.77.0.13'])
    const c2 = corosyncSummary(parseCorosyncConf(renderCorosyncConf(pacemakerTopology('hc', {nodes: 2})), {file: '<corosync.conf>'}))
    assert.deepEqual([c2.effective.tokenMs, c2.effective.consensusMs, c2.quorum.twoNode], [1000, 1200, true])
  })

  it('the CIB pieces are well-formed XML; fencing adds the device and turns stonith on', () => {
    const t = pacemakerTopology('hc')
    for (const x of [groupXml(t), fenceXml(t)]) assert.equal(XMLValidator.validate(x), true)
    assert.match(groupXml(t), /type="IPaddr2"[\s\S]*name="ip" value="10\.77\.0\.100"[\s\S]*type="apache"/)
    assert.deepEqual(crmConfigOptions(t), [['stonith-enabled', 'false'], ['dc-deadtime', '2s']])
    const f = pacemakerTopology('hc', {fencing: true})
    assert.deepEqual(crmConfigOptions(f)[0], ['stonith-enabled', 'true'])
    assert.match(fenceXml(f), /pcmk_host_list" value="n1 n2 n3"/)
    assert.match(fenceXml(pacemakerTopology('hc', {fencing: true, nodes: 2})), /pcmk_delay_max/)
    assert.match(renderApacheConf(), /PidFile "\/run\/apache2\/apache2.pid"/)
  })

  it('the node scripts are valid bash, and no template placeholder leaked into them', () => {
    for (const [name, text] of Object.entries({NODE_INIT_SH, CHASSIS_SH, RC_SH, FENCE_AGENT_SH})) {
      const r = spawnSync('bash', ['-n'], {input: text})
      assert.equal(r.status, 0, `${name}: ${r.stderr.toString()}`)
      assert.ok(text.startsWith('#!/bin/bash\n'), name)
      assert.doesNotMatch(text, /\$\{|undefined|\[object/, name)
    }
  })

  it('the fence agent speaks the fence-agent protocol: metadata, list, status of an absent chassis', () => {
    const meta = spawnSync('bash', ['-c', FENCE_AGENT_SH, 'fence_hachaos_lab', '-o', 'metadata'], {input: ''})
    assert.equal(meta.status, 0)
    assert.equal(XMLValidator.validate(meta.stdout.toString()), true)
    assert.match(meta.stdout.toString(), /<action name="reboot"\/>/)
    // options on stdin, as Pacemaker passes them; no power directory here: the node is unknown → exit 1
    const st = spawnSync('bash', ['-c', FENCE_AGENT_SH], {input: 'action=status\nplug=n9\npower_dir=/nonexistent\n'})
    assert.equal(st.status, 1)
  })
})
