/** `hachaos doctor` end to end on files (no root, no lab): exit codes, --json, SARIF, --explain, --dir. */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {REPO_ROOT, fixturePath, readFixture} from '../../fixture.js'

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function doctor(...args: string[]): Run {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'run.js'), 'doctor', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    // no lab inventory may be picked up by accident
    env: {...process.env, HACHAOS_LAB_PREFIX: 'zzznone', HACHAOS_INVENTORY: '', NO_COLOR: '1'},
    timeout: 60000,
  })
  return {code: r.status, stdout: r.stdout, stderr: r.stderr}
}

interface JsonFinding {
  rule: string
  severity: string
  evidence: Array<{file?: string; line?: number}>
}

describe('hachaos doctor (command)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'hachaos-doctor-cmd-'))
  after(() => rmSync(tmp, {recursive: true, force: true}))

  it('--json on the field-manual haproxy.cfg: the check-less server at its line, exit 7', () => {
    const r = doctor('--haproxy', fixturePath('haproxy', 'seed-lb1.cfg'), '--json')
    assert.equal(r.code, 7, r.stderr)
    const out = JSON.parse(r.stdout) as {findings: JsonFinding[]; summary: {error: number}; failed: boolean}
    const f = out.findings.find((x) => x.rule === 'haproxy-server-no-check')
    assert.deepEqual([f?.severity, f?.evidence[0]?.line, f?.evidence[0]?.file], ['error', 77, fixturePath('haproxy', 'seed-lb1.cfg')])
    assert.equal(out.summary.error, 2)
    assert.equal(out.failed, true)
  })

  it('the lab configs pass (exit 0); --fail-on warning turns warnings into a failing gate', () => {
    const ok = doctor('--keepalived', `lb1=${fixturePath('keepalived', 'lab-lb1.conf')}`, '--keepalived', `lb2=${fixturePath('keepalived', 'lab-lb2.conf')}`, '--haproxy', `lb1=${fixturePath('haproxy', 'lab-lb1.cfg')}`)
    assert.equal(ok.code, 0, ok.stdout + ok.stderr)
    assert.match(ok.stdout, /No findings/)
    const w = doctor('--corosync', fixturePath('corosync', 'pcs-3node-2links.conf'), '--bond', fixturePath('bonding', 'xor-layer2.txt'), '--fail-on', 'note')
    assert.equal(w.code, 7)
    const n = doctor('--haproxy', fixturePath('haproxy', 'seed-lb1.cfg'), '--fail-on', 'never')
    assert.equal(n.code, 0)
  })

  it('text output groups by area and names file:line, why and fix', () => {
    const r = doctor('--haproxy', fixturePath('haproxy', 'seed-lb1.cfg'))
    assert.equal(r.code, 7)
    assert.match(r.stdout, /^haproxy$/m)
    assert.match(r.stdout, /ERROR\s+haproxy-server-no-check/)
    assert.ok(r.stdout.includes(`at ${fixturePath('haproxy', 'seed-lb1.cfg')}:77`))
    assert.match(r.stdout, /why {2}Without health checks/)
    assert.match(r.stdout, /2 errors, 0 warnings, 0 notes/)
    assert.doesNotMatch(r.stdout, /\u001b\[/, 'no colour codes when not a terminal')
  })

  it('--format sarif writes a SARIF 2.1.0 log (to stdout or --output)', () => {
    const r = doctor('--haproxy', fixturePath('haproxy', 'seed-lb1.cfg'), '--format', 'sarif')
    assert.equal(r.code, 7)
    const log = JSON.parse(r.stdout) as {version: string; runs: Array<{results: Array<{ruleId: string}>}>}
    assert.equal(log.version, '2.1.0')
    assert.deepEqual(log.runs[0]?.results.map((x) => x.ruleId).sort(), ['haproxy-server-no-check', 'haproxy-stats-default-credentials'])
    const file = join(tmp, 'out.sarif')
    const w = doctor('--haproxy', fixturePath('haproxy', 'seed-lb1.cfg'), '--format', 'sarif', '--output', file)
    assert.equal(w.code, 7)
    assert.match(w.stdout, /haproxy-server-no-check/, 'the text report still goes to stdout')
  })

  it('--explain prints the rationale; an unknown rule is a usage error', () => {
    const r = doctor('--explain', 'corosync-two-node-missing')
    assert.equal(r.code, 0)
    assert.match(r.stdout, /two_node: 1/)
    assert.match(r.stdout, /Why it matters/)
    const bad = doctor('--explain', 'two-node')
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /corosync-two-node-missing/)
    const list = doctor('--list-rules', '--json')
    assert.ok((JSON.parse(list.stdout) as {rules: unknown[]}).rules.length >= 40)
  })

  it('a broken or unreadable file is an error finding naming file:line; the other files are still checked', () => {
    const f = join(tmp, 'broken.conf')
    writeFileSync(f, 'vrrp_instance VI_1 {\n  state MASTER\n  priority\n}\n')
    const r = doctor('--keepalived', f, '--haproxy', fixturePath('haproxy', 'seed-lb1.cfg'))
    assert.equal(r.code, 7)
    assert.match(r.stdout, /doctor-source-unreadable/)
    assert.ok(r.stdout.includes(`${f}:3`), r.stdout)
    assert.match(r.stdout, /haproxy-server-no-check/, 'the other file was audited')
    const missing = doctor('--haproxy', join(tmp, 'nope.cfg'), '--json')
    assert.equal(missing.code, 7)
    const j = JSON.parse(missing.stdout) as {findings: Array<{rule: string; evidence: Array<{file?: string}>}>}
    assert.deepEqual(j.findings.map((x) => [x.rule, x.evidence[0]?.file]), [['doctor-source-unreadable', join(tmp, 'nope.cfg')]])
  })

  it('--dir: one subdirectory per host, kinds detected, cross-host checks, broken files as findings', () => {
    const d = join(tmp, 'collected')
    mkdirSync(join(d, 'lb1', 'etc', 'keepalived', 'conf.d'), {recursive: true})
    mkdirSync(join(d, 'lb2'), {recursive: true})
    mkdirSync(join(d, 'db1'), {recursive: true})
    // lb1 splits its config with an include; the fragment must not be read on its own
    writeFileSync(join(d, 'lb1', 'etc', 'keepalived', 'keepalived.conf'), 'global_defs {\n  router_id lb1\n}\ninclude conf.d/*.conf\n')
    writeFileSync(join(d, 'lb1', 'etc', 'keepalived', 'conf.d', 'vi1.conf'), readFixture('keepalived', 'lab-lb1.conf').split('\n').slice(9).join('\n'))
    cpSync(fixturePath('haproxy', 'lab-lb1.cfg'), join(d, 'lb1', 'haproxy.cfg'))
    // lb2's copy was edited: another vrid for the same VIP
    writeFileSync(join(d, 'lb2', 'keepalived.conf'), readFixture('keepalived', 'lab-lb2.conf').replace('virtual_router_id 51', 'virtual_router_id 52'))
    cpSync(fixturePath('pacemaker', 'lab-2node-cib.xml'), join(d, 'db1', 'cib-dump.xml'))
    writeFileSync(join(d, 'db1', 'corosync.conf'), 'totem {\n  version: 2\n')
    writeFileSync(join(d, 'README'), 'notes about this collection\n')
    const r = doctor('--dir', d, '--json')
    assert.equal(r.code, 7, r.stderr)
    const out = JSON.parse(r.stdout) as {findings: JsonFinding[]; hosts: Array<{host: string; sources: Array<{kind: string}>}>; skipped: string[]}
    assert.deepEqual(out.hosts.map((h) => [h.host, h.sources.map((s) => s.kind).sort()]).sort(), [
      ['db1', ['cib']],
      ['lb1', ['haproxy', 'keepalived']],
      ['lb2', ['keepalived']],
    ])
    const rules = out.findings.map((f) => f.rule)
    assert.ok(rules.includes('keepalived-peer-vrid-mismatch'))
    assert.ok(rules.includes('pacemaker-stonith-disabled'))
    const broken = out.findings.find((f) => f.rule === 'doctor-source-unreadable')
    assert.deepEqual([broken?.evidence[0]?.file, broken?.evidence[0]?.line], [join(d, 'db1', 'corosync.conf'), 1])
    assert.deepEqual(out.skipped, [join(d, 'README')])
  })

  it('--target with files is a usage error; no source at all says what to give', () => {
    assert.equal(doctor('--target', 'lb1', '--haproxy', fixturePath('haproxy', 'lab-lb1.cfg')).code, 2)
    const none = doctor()
    assert.equal(none.code, 2)
    assert.match(none.stderr, /--keepalived/)
  })
})
