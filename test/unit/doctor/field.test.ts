/**
 * Issue 13 items 1–11 and issue 20 item 2: what hachaos got wrong on configs and cluster state written by
 * others. Every input is a file of test/fixtures/field (written for these tests; the crm_mon outputs are
 * real crm_mon 2.1.5 runs on those CIBs, see make-fixtures.sh) or test/fixtures/cluster/crm_mon-*.xml.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {clusterHealth, collectionSummary, isBundleNode} from '../../../src/stacks/pacemaker/crm-mon.js'
import {failedActionText, maintenanceReasons, parseCrmMon} from '../../../src/config/crm-mon.js'
import {parseHaproxyCfg} from '../../../src/config/haproxy.js'
import {parseKeepalivedConf} from '../../../src/config/keepalived.js'
import {clusterProperty, parseCib} from '../../../src/config/pacemaker.js'
import {addSource, collectFiles, collectHost, notAConfig, SOURCE_KINDS} from '../../../src/doctor/collect.js'
import {RecordingExecutor} from '../../../src/exec/recording.js'
import {parseInventory} from '../../../src/inventory/inventory.js'
import {runDoctor as runDoctorWith} from '../../../src/doctor/index.js'
import {doctorRules} from '../../../src/stacks/registry.js'
import {type DoctorInput, type Finding, type SourceKind, emptyHost} from '../../../src/doctor/types.js'
import {isHachaosError} from '../../../src/errors.js'
import {REPO_ROOT, fixturePath, readFixture} from '../../fixture.js'

/** Every rule the command runs: the shared ones and each stack's own (src/stacks/registry.ts). */
const ALL_RULES = doctorRules()
const RULES = ALL_RULES
const runDoctor = (input: DoctorInput, opts: {rules: typeof ALL_RULES} = {rules: ALL_RULES}): ReturnType<typeof runDoctorWith> => runDoctorWith(input, opts)

const fx = (name: string): string => readFixture('field', name)
const one = (kind: SourceKind, text: string, file: string, configId?: string): DoctorInput => {
  const h = emptyHost('h')
  addSource(h, kind, file, text, configId === undefined ? {} : {configId})
  return {hosts: [h]}
}
const rule = (input: DoctorInput, id: string): Finding[] => runDoctor(input).findings.filter((f) => f.rule === id)
const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1

function cli(...args: string[]): {code: number | null; stdout: string; stderr: string} {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'run.js'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: {...process.env, HACHAOS_LAB_PREFIX: 'zzznone', HACHAOS_INVENTORY: '', NO_COLOR: '1'},
    timeout: 60000,
  })
  return {code: r.status, stdout: r.stdout, stderr: r.stderr}
}

describe('field configs and cluster state (issue 13 items 1–11)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'hachaos-field-'))
  after(() => rmSync(tmp, {recursive: true, force: true}))

  it('1. HAProxy peers: the local peer `server NAME` without an address is read, not refused', () => {
    const text = fx('haproxy-peers.cfg')
    const cfg = parseHaproxyCfg(text, {file: 'haproxy-peers.cfg'})
    const peers = cfg.sections.find((s) => s.type === 'peers')
    assert.deepEqual(peers?.servers.map((s) => [s.name, s.address, s.port, s.localPeer === true, s.line]), [
      ['lb-east', '', undefined, true, lineOf(text, 'server lb-east')],
      ['lb-west', '192.0.2.12', '10000', false, lineOf(text, 'server lb-west')],
    ])
    // peers are no proxy servers: nothing to health-check there
    assert.deepEqual(rule(one('haproxy', text, 'haproxy-peers.cfg'), 'haproxy-server-no-check'), [])
    // outside peers a server still needs an address
    assert.throws(() => parseHaproxyCfg('backend b\n  server a1\n', {file: 'x.cfg'}), (e: unknown) => isHachaosError(e) && e.where === 'x.cfg:2')
  })

  it('2. Pacemaker resource templates: class, provider, type, params and ops come from the <template>', () => {
    const text = fx('cib-template.xml')
    const cib = parseCib(text, {file: 'cib-template.xml'})
    const shop = cib.primitives.find((p) => p.id === 'vm-shop')
    const mail = cib.primitives.find((p) => p.id === 'vm-mail')
    assert.equal(shop?.agent, 'ocf:heartbeat:VirtualDomain')
    assert.equal(shop?.template, 'vm-template')
    assert.deepEqual(shop?.params, {hypervisor: 'qemu:///system', config: '/etc/libvirt/qemu/shop.xml'})
    assert.deepEqual(shop?.ops.map((o) => [o.name, o.interval, o.timeout]), [['monitor', '30s', '60s']])
    assert.deepEqual(mail?.ops.map((o) => [o.name, o.interval, o.timeout]), [['monitor', '30s', '120s']], "the primitive's own op replaces the template's")
    const input = one('cib', text, 'cib-template.xml')
    assert.deepEqual(rule(input, 'pacemaker-no-monitor-op'), [], 'the monitor comes from the template')
    assert.deepEqual(rule(input, 'pacemaker-vip-not-colocated'), [], 'colocated with the template = with every primitive made from it')
    // a template that does not exist: BAD_INPUT at the primitive's line, naming the template
    const bad = text.replace('<primitive id="vm-mail" template="vm-template">', '<primitive id="vm-mail" template="vm-tmpl">')
    assert.throws(
      () => parseCib(bad, {file: 'c.xml'}),
      (e: unknown) => isHachaosError(e) && e.exitName === 'BAD_INPUT' && e.where === `c.xml:${lineOf(text, 'id="vm-mail"')}` && /no <template id="vm-tmpl">/.test(e.message),
    )
  })

  it('3. one unreadable file does not stop doctor: an error finding, the other files audited', () => {
    const good = fixturePath('haproxy', 'seed-lb1.cfg')
    const input = collectFiles([
      {kind: 'keepalived', path: join(tmp, 'missing.conf')},
      {kind: 'corosync', path: tmp}, // a directory
      {kind: 'haproxy', path: good},
    ])
    const r = runDoctor(input)
    const bad = r.findings.filter((f) => f.rule === 'doctor-source-unreadable')
    assert.deepEqual(bad.map((f) => [f.severity, f.evidence[0]?.file ?? '']).sort(), [
      ['error', tmp],
      ['error', join(tmp, 'missing.conf')],
    ])
    assert.ok(r.findings.some((f) => f.rule === 'haproxy-server-no-check'), 'the readable file was audited')
    // a file its parser rejects: the same finding, at the parser's line
    const broken = join(tmp, 'broken.cfg')
    writeFileSync(broken, 'global\n  maxconn 10\nbackend b\n  server\n')
    const p = runDoctor(collectFiles([{kind: 'haproxy', path: broken}])).findings.filter((f) => f.rule === 'doctor-source-unreadable')
    assert.deepEqual(p.map((f) => [f.evidence[0]?.file, f.evidence[0]?.line]), [[broken, 4]])
  })

  it('4. Pacemaker 3 option names: fencing-enabled wins over stonith-enabled; the other renamed options alike', () => {
    const text = fx('cib-pcmk3-fencing.xml')
    const cib = parseCib(text, {file: 'c.xml'})
    assert.equal(clusterProperty(cib, 'stonith-enabled', 'true').value, 'false')
    assert.equal(clusterProperty(cib, 'fencing-enabled', 'true').value, 'false')
    assert.equal(clusterProperty(cib, 'stonith-timeout', '60s').value, '90s', 'fencing-timeout wins over stonith-timeout')
    assert.equal(clusterProperty(cib, 'stonith-action', 'reboot').value, 'off')
    const input = one('cib', text, 'c.xml')
    const off = rule(input, 'pacemaker-stonith-disabled')
    assert.deepEqual(off.map((f) => [f.severity, f.evidence[0]?.line, f.message]), [['error', lineOf(text, 'name="fencing-enabled"'), 'h: fencing-enabled=false in the CIB']])
    assert.deepEqual(rule(input, 'pacemaker-no-stonith-device'), [], 'fencing is off: no "fencing enabled but no device"')
    // the old name alone still counts
    const old = one('cib', text.replace(/ *<nvpair id="opt-fencing-enabled"[^\n]*\n/, '').replace('name="stonith-enabled" value="true"', 'name="stonith-enabled" value="false"'), 'c.xml')
    assert.equal(rule(old, 'pacemaker-stonith-disabled')[0]?.message, 'h: stonith-enabled=false in the CIB')
  })

  it('5. doctor --crm-mon on an unreachable or unquorate cluster: an error finding', () => {
    const unreachable = readFixture('cluster', 'crm_mon-unreachable.xml')
    const u = rule(one('crm_mon', unreachable, 'crm_mon-unreachable.xml'), 'pacemaker-no-quorum')
    assert.deepEqual(u.map((f) => f.severity), ['error'])
    assert.match(u[0]?.message ?? '', /could not reach the cluster: error: Could not connect to launcher: Connection refused; crm_mon: Connection to cluster failed/)
    const noq = rule(one('crm_mon', readFixture('cluster', 'crm_mon-no-quorum.xml'), 'q.xml'), 'pacemaker-no-quorum')
    assert.deepEqual(noq.map((f) => [f.severity, f.message]), [['error', 'h: partition without quorum (DC n1)']])
    const r = cli('doctor', '--crm-mon', fixturePath('cluster', 'crm_mon-unreachable.xml'), '--json')
    assert.equal(r.code, 7, r.stderr)
    assert.ok((JSON.parse(r.stdout) as {findings: Array<{rule: string}>}).findings.some((f) => f.rule === 'pacemaker-no-quorum'))
  })

  it('6. a VIP colocated with a container bundle (no primitive inside) is colocated', () => {
    const text = fx('cib-bundle.xml')
    assert.deepEqual(rule(one('cib', text, 'b.xml'), 'pacemaker-vip-not-colocated'), [])
    const alone = text.replace(/ *<rsc_colocation id="colo-vip-with-haproxy"[^\n]*\n/, '')
    assert.deepEqual(rule(one('cib', alone, 'b.xml'), 'pacemaker-vip-not-colocated').map((f) => f.evidence[0]?.line), [lineOf(text, 'id="ip-192.0.2.10"')])
  })

  it('7. failed actions written as <failure id=…> (no op_key) name the resource, not "? ?"', () => {
    const m = parseCrmMon(fx('crm_mon-failure-no-key.xml'), {file: 'f.xml'})
    const f = m.state.failures[0]
    assert.ok(f !== undefined)
    assert.deepEqual([f.opKey, f.resource, f.task, f.node, f.exitCode, f.lastRcChange], ['web_last_failure_0', 'web', '?', 'storage-node-alpha', 7, null])
    assert.equal(failedActionText(f), 'web failed on storage-node-alpha: not running, exit 7 (apache is not running)')
    const withKey = parseCrmMon(fx('crm_mon-clone-disabled.xml'), {file: 'g.xml'}).state.failures[0]
    assert.ok(withKey !== undefined)
    assert.equal(failedActionText(withKey), 'web monitor (every 10 s) failed on storage-node-alpha: not running, exit 7 (apache is not running) at 2026-11-22 23:03:20Z')
    const d = rule(one('crm_mon', fx('crm_mon-failure-no-key.xml'), 'f.xml'), 'pacemaker-failed-actions')
    assert.deepEqual(d.map((x) => x.message), ['h: web failed on storage-node-alpha: not running, exit 7 (apache is not running)'])
  })

  it('8. keepalived @ID / @^ID lines are evaluated for the config id, and the skipped ones are said', () => {
    const text = fx('keepalived-conditional.conf')
    const on = (id?: string) => parseKeepalivedConf(text, {file: 'k.conf', ...(id === undefined ? {} : {configId: id})})
    const east = on('lb-east')
    const west = on('lb-west')
    const none = on()
    assert.deepEqual([east.globalDefs.routerId, east.vrrpInstances[0]?.state, east.vrrpInstances[0]?.priority, east.vrrpInstances[0]?.trackScripts], ['lb_east', 'MASTER', 150, ['chk_haproxy']])
    assert.deepEqual([west.globalDefs.routerId, west.vrrpInstances[0]?.state, west.vrrpInstances[0]?.priority, west.vrrpInstances[0]?.trackScripts], ['lb_west', 'BACKUP', 100, []])
    // no config id: no @ID line applies, @^ID lines do
    assert.deepEqual([none.globalDefs.routerId, none.vrrpInstances[0]?.state, none.vrrpInstances[0]?.priority], [undefined, 'BACKUP', 100])
    assert.deepEqual(none.skippedConditionals.map((x) => x.line), [3, 4, 17, 19, 20, 25, 26, 27])
    assert.deepEqual(east.skippedConditionals.map((x) => x.line), [4, 18, 20])
    // doctor with --config-id lb-east: the track_script is there (no false "tracks nothing"); the note lists the skipped lines
    const d = runDoctor(one('keepalived', text, 'k.conf', 'lb-east'))
    assert.deepEqual(d.findings.filter((f) => f.rule.startsWith('keepalived-') && f.rule !== 'keepalived-conditional-skipped').map((f) => f.rule), [])
    const note = d.findings.find((f) => f.rule === 'keepalived-conditional-skipped')
    assert.equal(note?.severity, 'note')
    assert.match(note?.message ?? '', /3 conditional lines skipped for config id "lb-east": 4 \(@lb-west router_id lb_west\), 18 \(@\^lb-east state BACKUP\), 20/)
    assert.deepEqual(note?.evidence.map((e) => e.line), [4, 18, 20])
  })

  it('8. live runs use the host\'s own config id (uname -n up to the first dot), as keepalived does; --config-id overrides', async () => {
    const inv = parseInventory('[loadbalancers]\nlb-west ansible_host=192.0.2.12\n', '/nonexistent-field/hosts.ini')
    const h = inv.hosts[0]
    assert.ok(h !== undefined)
    const exec = (): RecordingExecutor =>
      new RecordingExecutor('lb-west')
        .on(['uname', '-n'], {stdout: 'lb-west.shop.example\n'})
        .on(['cat', '--', '/etc/keepalived/keepalived.conf'], {stdout: fx('keepalived-conditional.conf')})
        .on(['cat', '--', '/etc/haproxy/haproxy.cfg'], {code: 1, stderr: 'No such file'})
        .on(['pgrep'], {code: 1})
    const live = await collectHost(h, exec(), inv)
    const k = live.keepalived[0]
    assert.deepEqual([k?.configId, k?.globalDefs.routerId, k?.vrrpInstances[0]?.state, k?.vrrpInstances[0]?.priority], ['lb-west', 'lb_west', 'BACKUP', 100])
    const forced = await collectHost(h, exec(), inv, {configId: 'lb-east'})
    assert.deepEqual([forced.keepalived[0]?.configId, forced.keepalived[0]?.vrrpInstances[0]?.priority], ['lb-east', 150])
  })

  it('9. parser warnings are shown as notes with file:line (an include of a missing file)', () => {
    const f = join(tmp, 'keepalived.conf')
    writeFileSync(f, fx('keepalived-track-file.conf'))
    const w = runDoctor(collectFiles([{kind: 'keepalived', path: f}])).findings.filter((x) => x.rule === 'keepalived-parser-warning')
    assert.deepEqual(w.map((x) => [x.severity, x.evidence[0]?.file, x.evidence[0]?.line]), [['note', f, 19]])
    assert.match(w[0]?.message ?? '', /include \/etc\/keepalived\/shop-extra\.conf: \/etc\/keepalived\/shop-extra\.conf not found/)
  })

  it('10. maintenance mode (cluster, node, resource): doctor warning, cluster status header, maintenanceReasons for the drill', () => {
    const mm = parseCrmMon(fx('crm_mon-maintenance-mode.xml'), {file: 'mm.xml'}).state
    assert.deepEqual(maintenanceReasons(mm), ['the cluster is in maintenance mode (maintenance-mode=true): Pacemaker starts, stops and monitors nothing'])
    const nm = parseCrmMon(fx('crm_mon-maintenance.xml'), {file: 'm.xml'}).state
    assert.deepEqual(maintenanceReasons(nm), [
      'node storage-node-beta is in maintenance: its resources are not monitored or moved',
      'resource web is not managed (maintenance=true or is-managed=false): Pacemaker will not recover it',
    ])
    assert.deepEqual(maintenanceReasons(parseCrmMon(fx('crm_mon-clone-disabled.xml'), {file: 'x'}).state), [])
    // doctor: from crm_mon (warnings at the node's line), and from the CIB (cluster, node, resource)
    const text = fx('crm_mon-maintenance.xml')
    const d = rule(one('crm_mon', text, 'm.xml'), 'pacemaker-maintenance-mode')
    assert.deepEqual(d.map((f) => [f.severity, f.evidence[0]?.line]), [['warning', lineOf(text, 'name="storage-node-beta"')], ['warning', lineOf(text, '<resource id="web"')]])
    const c = rule(one('cib', fx('cib-maintenance-mode.xml'), 'c.xml'), 'pacemaker-maintenance-mode')
    assert.deepEqual(c.map((f) => [f.message, f.evidence[0]?.line]), [['h: the cluster is in maintenance mode (maintenance-mode=true)', lineOf(fx('cib-maintenance-mode.xml'), 'maintenance-mode')]])
    const s = cli('cluster', 'status', '--crm-mon-xml', fixturePath('field', 'crm_mon-maintenance-mode.xml'))
    assert.equal(s.code, 0, s.stderr)
    assert.equal(s.stdout.split('\n')[1], 'MAINTENANCE: the cluster is in maintenance mode (maintenance-mode=true): Pacemaker starts, stops and monitors nothing')
  })

  it('11. keepalived and HAProxy: track_file tracks, http_proxy 0.0.0.0 and stats-only listen are fine, fwmark reals have no port, priority texts agree', () => {
    assert.deepEqual(rule(one('keepalived', fx('keepalived-track-file.conf'), 'k.conf'), 'keepalived-no-service-tracking'), [])
    const hp = runDoctor(one('haproxy', fx('haproxy-proxy-stats.cfg'), 'h.cfg')).findings
    assert.deepEqual(hp.filter((f) => f.rule === 'haproxy-server-no-check' || f.rule === 'haproxy-missing-timeouts').map((f) => f.message), [])
    // the same stats listen with a server does need server timeouts
    const withServer = fx('haproxy-proxy-stats.cfg').replace('    stats uri /\n', '    stats uri /\n    server s 10.0.0.9:80 check\n')
    assert.deepEqual(rule(one('haproxy', withServer, 'h.cfg'), 'haproxy-missing-timeouts').map((f) => f.message), ['h listen stats: no timeout server'])
    const fw = rule(one('keepalived', fx('keepalived-fwmark.conf'), 'k.conf'), 'lvs-no-health-check')
    assert.deepEqual(fw.map((f) => f.message), ['h virtual_server fwmark 80: real_server 10.0.0.32 has no checker'])
    const pr = RULES.find((r) => r.id === 'keepalived-priority-range')
    assert.match(pr?.title ?? '', /255 \(reserved\) or outside 1–255/)
    assert.match(pr?.why ?? '', /1–254/)
  })

  it('11. cluster status: bundle replicas are not offline nodes, disabled groups and clones are not "NOT started exactly once"', () => {
    const b = parseCrmMon(fx('crm_mon-bundle.xml'), {file: 'b.xml'}).state
    assert.deepEqual(b.nodes.filter((n) => isBundleNode(b, n)).map((n) => n.name), ['galera-bundle-0', 'galera-bundle-1', 'galera-bundle-2'])
    const h = clusterHealth(b)
    assert.deepEqual(h.problems, ['bundle galera-bundle: none of its 3 replicas runs'], 'no "node galera-bundle-0 is offline"')
    assert.deepEqual(h.warnings, ['bundle haproxy-bundle: 2 of 3 replicas running'])
    const hb = b.collections.find((c) => c.id === 'haproxy-bundle')
    assert.ok(hb !== undefined)
    assert.equal(collectionSummary(b, hb).text, 'bundle haproxy-bundle (registry.example/haproxy:pcmklatest): 2 of 3 replicas running on controller-0.internalapi, controller-1.internalapi; replica 2 stopped')
    const r = cli('cluster', 'status', '--crm-mon-xml', fixturePath('field', 'crm_mon-clone-disabled.xml'))
    assert.equal(r.code, 0, r.stderr)
    const out = r.stdout.split('\n')
    assert.ok(out.includes('  group g_report: disabled (target-role Stopped)'), r.stdout)
    assert.ok(out.includes('  clone ping-clone (g_ping): Started on storage-node-alpha, storage-node-beta (2 of 2 instances)'), r.stdout)
    assert.ok(!r.stdout.includes('NOT started exactly once'), r.stdout)
    // long node names keep the table aligned: every row's state column starts where the header's does
    const header = out.find((l) => l.startsWith('  node'))
    const rows = out.filter((l) => l.startsWith('  storage-node-'))
    assert.equal(rows.length, 2)
    for (const row of rows) assert.equal(row.indexOf('online'), header?.indexOf('state'))
    // "healthy" does not stand alone above a failed action
    assert.ok(out.includes('  healthy now, with 1 failed action on record (above; clear with crm_resource --cleanup once understood)'), r.stdout)
    const grouped = cli('cluster', 'status', '--crm-mon-xml', fixturePath('field', 'crm_mon-bundle.xml'))
    assert.ok(!/galera-bundle-0\s+offline/.test(grouped.stdout), grouped.stdout)
    assert.match(grouped.stdout, /^ {2}bundle galera-bundle \(registry\.example\/mariadb:pcmklatest\): 0 of 3 replicas running; replica 0, 1, 2 stopped$/m)
  })
})

describe('a file with none of its kind\'s structure is bad input (issue 20 item 2)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'hachaos-notconfig-'))
  after(() => rmSync(tmp, {recursive: true, force: true}))
  const passwd = 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n'

  it('every kind refuses a passwd file at its first line; real files of each kind pass', () => {
    for (const kind of SOURCE_KINDS) {
      const e = notAConfig(kind, '/etc/passwd', passwd)
      assert.ok(e !== null && e.exitName === 'BAD_INPUT' && e.where === '/etc/passwd:1', kind)
      assert.match(e.message, /root:x:0:0/)
    }
    assert.equal(notAConfig('keepalived', 'k', readFixture('keepalived', 'lab-lb1.conf')), null)
    assert.equal(notAConfig('haproxy', 'h', readFixture('haproxy', 'lab-lb1.cfg')), null)
    assert.equal(notAConfig('corosync', 'c', readFixture('corosync', 'lab-2node.conf')), null)
    assert.equal(notAConfig('cib', 'c', readFixture('pacemaker', 'lab-2node-cib.xml')), null)
    assert.equal(notAConfig('crm_mon', 'c', readFixture('cluster', 'crm_mon-unreachable.xml')), null)
    assert.equal(notAConfig('bonding', 'b', readFixture('bonding', 'ab-single.txt')), null)
    assert.equal(notAConfig('ipvsadm', 'i', readFixture('ipvs', 'ipvsadm-Ln.txt')), null)
    assert.equal(notAConfig('ipvsadm', 'i', readFixture('ipvs', 'ipvsadm-save.txt')), null)
    assert.equal(notAConfig('gluster', 'g', readFixture('gluster', 'volume-info-gluster10.txt')), null)
    assert.equal(notAConfig('sysctl', 's', readFixture('sysctl', 'debian-sysctl.conf')), null)
    assert.equal(notAConfig('keepalived', 'k', fx('keepalived-conditional.conf')), null)
    // an empty file (or only comments) is no config either: line 1
    assert.equal(notAConfig('haproxy', 'e.cfg', '# nothing\n\n')?.where, 'e.cfg:1')
  })

  it('doctor --keepalived /etc/passwd (and --haproxy, --sysctl …): exit 3 naming file:line, JSON error with --json', () => {
    const f = join(tmp, 'passwd')
    writeFileSync(f, `\n${passwd}`)
    for (const flag of ['--keepalived', '--haproxy', '--sysctl', '--crm-mon']) {
      const r = cli('doctor', flag, f)
      assert.equal(r.code, 3, `${flag}: ${r.stdout}${r.stderr}`)
      assert.ok(r.stderr.includes(`${f}:2`), r.stderr)
    }
  })
})
