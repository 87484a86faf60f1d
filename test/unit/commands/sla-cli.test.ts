/** `hachaos nines` and `hachaos report` as a user runs them (node bin/run.js, built commands), exit codes included. */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

import {XMLValidator} from 'fast-xml-parser'

import type {NinesResult} from '../../../commands/nines.js'
import type {ReportCommandResult} from '../../../commands/report.js'
import {FIXTURE_STORE, fixtureRuns} from '../report/runs-helper.js'

const BIN = fileURLToPath(new URL('../../../../bin/run.js', import.meta.url))
const home = mkdtempSync(join(tmpdir(), 'hachaos-cli-'))

function run(...args: string[]): {code: number | null; out: string; err: string} {
  const r = spawnSync(process.execPath, [BIN, ...args], {encoding: 'utf8', env: {...process.env, HACHAOS_HOME: home}})
  return {code: r.status, out: r.stdout, err: r.stderr}
}

after(() => rmSync(home, {recursive: true, force: true}))

describe('hachaos nines', () => {
  it('prints the seeds\' rows by default and says which calendar it used', () => {
    const r = run('nines')
    assert.equal(r.code, 0, r.err)
    assert.match(r.out, /calendar: 24x7, 365-day year/)
    for (const l of ['99 %', '99.9 %', '99.99 %', '99.999 %', '99.9999 %']) assert.match(r.out, new RegExp(`^  ${l.replace(/\./g, '\\.')} `, 'm'))
    assert.match(r.out, /^ {2}99 % +3d 15h 36m 0s +21h 54m 0s +7h 18m 0s +1h 40m 48s +14m 24s$/m)
  })
  it('--year-days seeds reproduces the seeds\' 24x7 table (--json)', () => {
    const r = run('nines', '--year-days', 'seeds', '--json')
    assert.equal(r.code, 0, r.err)
    const j = JSON.parse(r.out) as NinesResult
    assert.deepEqual(
      j.rows.map((x) => [x.allowed.year.text, x.allowed.month.text]),
      [
        ['3d 14h 56m 18s', '7h 14m 41s'],
        ['8h 41m 38s', '43m 28s'],
        ['52m 10s', '4m 21s'],
        ['5m 13s', '26s'],
        ['31s', '2.6s'],
      ],
    )
  })
  it('reads targets in every form, and refuses an ambiguous one with exit 2', () => {
    const r = run('nines', '99.95', '4', '0.99999', '99.9%', '--json')
    assert.equal(r.code, 0, r.err)
    assert.deepEqual(
      (JSON.parse(r.out) as NinesResult).rows.map((x) => x.label),
      ['99.95 %', '99.99 %', '99.999 %', '99.9 %'],
    )
    const bad = run('nines', '3.5')
    assert.equal(bad.code, 2)
    assert.match(bad.err, /ambiguous/)
    assert.equal(run('nines', '3.5', '--nines').code, 0)
  })
  it('the inverse: --downtime 5m --period month', () => {
    const r = run('nines', '--downtime', '5m', '--period', 'month', '--json')
    assert.equal(r.code, 0, r.err)
    const j = JSON.parse(r.out) as NinesResult
    assert.ok(j.inverse !== null)
    assert.ok(Math.abs(j.inverse.availability - (1 - 300_000 / ((365 / 12) * 86_400_000))) < 1e-15)
    assert.equal(j.inverse.label, '99.9886 %')
  })
  it('business hours and --outage', () => {
    const r = run('nines', '99.99', '--calendar', 'business', '--outage', '3.609s', '--json')
    assert.equal(r.code, 0, r.err)
    const j = JSON.parse(r.out) as NinesResult
    assert.equal(j.calendar.kind, 'business')
    assert.equal(j.rows[0]?.affordable?.month, Math.floor((j.rows[0]?.allowed.month.ms ?? 0) / 3609))
    assert.equal(run('nines', '--calendar', '24x7', '--holidays', '3').code, 2)
  })
})

describe('hachaos report', () => {
  const n = fixtureRuns().length
  it('reports the fixture store; a FAIL verdict exits 7, or 0 with --exit-zero', () => {
    const r = run('report', '--store', FIXTURE_STORE, '--quiet')
    assert.equal(r.code, 7)
    assert.match(r.out, /Verdict: FAIL/)
    assert.match(r.err, /exit 7/)
    assert.equal(run('report', '--store', FIXTURE_STORE, '--exit-zero', '-q').code, 0)
  })
  it('--json returns the model', () => {
    const r = run('report', '--store', FIXTURE_STORE, '--json', '--slo', '99.99', '--slo', '4', '--slo', '99.999')
    const j = JSON.parse(r.out) as ReportCommandResult
    assert.equal(j.drills.length, n)
    assert.equal(j.budgets.length, 3)
    assert.equal(j.format, 'text')
  })
  it('-o writes the file atomically in the chosen format', () => {
    const file = join(home, 'drills.xml')
    const r = run('report', '--store', FIXTURE_STORE, '--format', 'junit', '--max-outage', '4s', '-o', file, '--exit-zero', '-q')
    assert.equal(r.code, 0, r.err)
    assert.match(r.out, /junit report of \d+ drill\(s\), verdict FAIL/)
    const xml = readFileSync(file, 'utf8')
    assert.equal(XMLValidator.validate(xml), true)
    assert.equal((xml.match(/<testcase /g) ?? []).length, n)
  })
  it('filters by target and fault', () => {
    const runs = fixtureRuns()
    const kind = (runs[0] as (typeof runs)[number]).fault.kind
    const j = JSON.parse(run('report', '--store', FIXTURE_STORE, '--fault', kind, '--json').out) as ReportCommandResult
    assert.equal(j.drills.length, runs.filter((r) => r.fault.kind === kind).length)
    const t = JSON.parse(run('report', '--store', FIXTURE_STORE, '--target', 'nosuchhost', '--json').out) as ReportCommandResult
    assert.equal(t.empty, true)
  })
  it('an empty store: a clear message and exit 0', () => {
    const r = run('report', '-q')
    assert.equal(r.code, 0, r.err)
    assert.match(r.out, /No drills in the run store \(.*hachaos-cli-.*\/runs\)\. Run a drill first/)
  })
  it('bad flags: exit 2 with what was wrong', () => {
    for (const args of [
      ['--since', 'last week'],
      ['--slo', '3.5'],
      ['--max-outage', 'soon'],
      ['--period', 'fortnight'],
      ['--format', 'pdf'],
    ]) {
      const r = run('report', '--store', FIXTURE_STORE, ...args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`)
    }
  })
})
