/**
 * `hachaos doctor` live against the keepalived lab (root): the lab's own configs give no error-level finding;
 * planting a `server` line without `check` in lb1's haproxy.cfg gives exactly that rule, at that line.
 * The lab is brought up here (prefix from HACHAOS_LAB_PREFIX) and torn down in after(), unless it was already up.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {parseInventory} from '../../src/inventory/inventory.js'
import {keepalivedLab} from '../../src/stacks/keepalived/lab/lab.js'
import {inventoryFile, labPrefix} from '../../src/lab/paths.js'
import {REPO_ROOT} from '../fixture.js'

interface JsonFinding {
  rule: string
  severity: string
  host?: string
  evidence: Array<{file?: string; line?: number; host?: string}>
}
interface JsonReport {
  findings: JsonFinding[]
  summary: {error: number; warning: number; note: number}
  hosts: Array<{host: string; sources: Array<{kind: string; path: string}>}>
}

const prefix = labPrefix()

function doctor(...args: string[]): {code: number | null; report: JsonReport; stderr: string} {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'run.js'), 'doctor', '--json', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: {...process.env, HACHAOS_LAB_PREFIX: prefix, NO_COLOR: '1'},
    timeout: 120000,
  })
  let report: JsonReport
  try {
    report = JSON.parse(r.stdout) as JsonReport
  } catch {
    throw new Error(`doctor printed no JSON (exit ${r.status ?? 'signal'}): ${r.stdout}\n${r.stderr}`)
  }
  return {code: r.status, report, stderr: r.stderr}
}

describe('doctor against the keepalived lab', {skip: process.getuid?.() !== 0 ? 'needs root (network namespaces)' : false}, () => {
  let weBroughtItUp = false
  let haproxyCfg = ''
  let original: string | undefined

  before(async () => {
    const up = await keepalivedLab.up({prefix})
    weBroughtItUp = !up.alreadyUp
    const inv = parseInventory(readFileSync(inventoryFile(prefix, 'keepalived'), 'utf8'))
    const lb1 = inv.hosts.find((h) => h.name === 'lb1')
    haproxyCfg = String(lb1?.facts.haproxy_cfg ?? '')
    assert.ok(haproxyCfg !== '', 'the lab inventory names lb1 haproxy_cfg')
  })

  after(async () => {
    // restore the planted file even when a test failed, then remove the lab if this file made it
    if (original !== undefined) writeFileSync(haproxyCfg, original)
    if (weBroughtItUp) await keepalivedLab.down(prefix)
  })

  it('every host of the lab: nothing at error level, exit 0', () => {
    const r = doctor()
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(r.report.findings.filter((f) => f.severity === 'error').map((f) => f.rule), [])
    const read = Object.fromEntries(r.report.hosts.map((h) => [h.host, h.sources.map((s) => s.kind).sort()]))
    assert.deepEqual(read['lb1'], ['haproxy', 'keepalived', 'sysctl'])
    assert.deepEqual(read['lb2'], ['haproxy', 'keepalived', 'sysctl'])
  })

  it('--target lb1: nothing at error level', () => {
    const r = doctor('--target', 'lb1')
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.report.summary.error, 0)
    assert.deepEqual(r.report.hosts.map((h) => h.host), ['lb1'])
  })

  it('a planted check-less server is found: exactly that rule, at that line', () => {
    original = readFileSync(haproxyCfg, 'utf8')
    const lines = original.split('\n')
    const i = lines.findIndex((l) => /^\s*server web2 \S+ check$/.test(l))
    assert.ok(i >= 0, 'the lab config has "server web2 … check"')
    lines[i] = (lines[i] ?? '').replace(/ check$/, '')
    writeFileSync(haproxyCfg, lines.join('\n'))
    const r = doctor('--target', 'lb1')
    assert.equal(r.code, 7, 'an error-level finding fails the gate')
    assert.deepEqual(
      r.report.findings.map((f) => ({rule: f.rule, severity: f.severity, host: f.host, file: f.evidence[0]?.file, line: f.evidence[0]?.line})),
      [{rule: 'haproxy-server-no-check', severity: 'error', host: 'lb1', file: haproxyCfg, line: i + 1}],
    )
    writeFileSync(haproxyCfg, original)
    original = undefined
    assert.equal(doctor('--target', 'lb1').code, 0, 'restored: clean again')
  })
})
