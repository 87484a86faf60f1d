/**
 * `hachaos report` as a user runs it (node bin/run.js): a --store that does not exist is an error, -o refuses a
 * directory that does not exist, an empty store's OpenMetrics is `hachaos_drills_total 0`, a corrupt run file is
 * named and skipped, the drop-vrrp drill is WARN (exit 0), and --timelines bounds the timelines drawn.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

import type {ReportCommandResult} from '../../../commands/report.js'

const BIN = fileURLToPath(new URL('../../../../bin/run.js', import.meta.url))
const LAB = fileURLToPath(new URL('../../../../test/fixtures/runs-lab', import.meta.url))
const home = mkdtempSync(join(tmpdir(), 'hachaos-report-cli-'))
after(() => rmSync(home, {recursive: true, force: true}))
/** The recorded runs whose fault was reverted (the lab store also holds one real failed revert: a FAIL). */
const REVERTED = join(home, 'reverted')
cpSync(LAB, REVERTED, {recursive: true, filter: (src) => !src.endsWith('.json') || src.endsWith('runs-lab') || (JSON.parse(readFileSync(src, 'utf8')) as {reverted?: boolean}).reverted === true})

function run(...args: string[]): {code: number | null; out: string; err: string} {
  const r = spawnSync(process.execPath, [BIN, 'report', ...args], {encoding: 'utf8', env: {...process.env, HACHAOS_HOME: home}})
  return {code: r.status, out: r.stdout, err: r.stderr}
}

describe('hachaos report (CLI)', () => {
  it('--store that does not exist: exit 3 naming it (and the error as JSON with --json); the default store missing is an empty report', () => {
    const r = run('--store', '/nonexistent/dir', '-q')
    assert.equal(r.code, 3, r.err)
    assert.match(r.err, /the run store \/nonexistent\/dir does not exist/)
    assert.doesNotMatch(r.out, /No drills/)
    const j = run('--store', '/nonexistent/dir', '--json')
    assert.equal(j.code, 3)
    assert.equal((JSON.parse(j.out) as {error: {code: string}}).error.code, 'E_STORE_MISSING')
    const d = run('-q')
    assert.equal(d.code, 0, d.err)
    assert.match(d.out, /No drills in the run store/)
  })

  it('an empty store in OpenMetrics: `hachaos_drills_total 0`, no made-up series', () => {
    const r = run('--format', 'openmetrics', '-q')
    assert.equal(r.code, 0, r.err)
    assert.match(r.out, /^hachaos_drills_total 0$/m)
    assert.doesNotMatch(r.out, /fault="none"/)
  })

  it('-o into a directory that does not exist: exit 2, nothing created', () => {
    const out = join(home, 'no', 'such', 'dir', 'r.html')
    const r = run('--store', LAB, '--format', 'html', '-o', out, '-q')
    assert.equal(r.code, 2, r.err)
    const err = r.err.replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' ')
    assert.match(err, /the directory \S*no\/such\/dir does not exist/)
    assert.match(err, /mkdir -p/)
    assert.ok(!existsSync(join(home, 'no')))
  })

  it('the recorded drop-vrrp drill is WARN in the report too: exit 0; a corrupt run file is named and skipped', () => {
    const store = join(home, 'store')
    cpSync(REVERTED, store, {recursive: true})
    writeFileSync(join(store, 'broken.json'), '{"schema": "hachaos.run/1", "id": ')
    const r = run('--store', store, '--json')
    assert.equal(r.code, 0, r.err)
    const j = JSON.parse(r.out) as ReportCommandResult
    assert.equal(j.verdict.status, 'warn')
    assert.equal(j.drills.find((d) => d.fault === 'drop-vrrp')?.verdict, 'warn')
    assert.equal(j.skipped.length, 1)
    assert.match(j.skipped[0]?.reason ?? '', /^not JSON \(line 1, column \d+\)/)
    assert.match(r.err, new RegExp(`skipped ${join(store, 'broken.json')}: not JSON`))
    assert.ok(existsSync(join(store, 'broken.json')), 'the file is left in place')
  })

  it('--timelines 0: no timeline but for failing drills, and the HTML says what was left out', () => {
    const file = join(home, 'r.html')
    const r = run('--store', REVERTED, '--format', 'html', '--timelines', '0', '-o', file, '-q')
    assert.equal(r.code, 0, r.err)
    const h = readFileSync(file, 'utf8')
    assert.equal((h.match(/<svg class="timeline"/g) ?? []).length, 0)
    assert.match(h, /No timelines drawn \(--timelines 0 and no failing drill\)/)
    const all = run('--store', REVERTED, '--format', 'html', '-o', file, '-q')
    assert.equal(all.code, 0)

    assert.match(readFileSync(file, 'utf8'), /Timelines drawn for the \d+ worst others? by client downtime \(--timelines 20\): every drill\./)
    const labFile = join(home, 'lab.html')
    const lab = run('--store', LAB, '--format', 'html', '--timelines', '0', '-o', labFile, '-q')
    assert.equal(lab.code, 7, 'the failed revert fails the report')
    assert.equal((readFileSync(labFile, 'utf8').match(/<svg class="timeline"/g) ?? []).length, 1, 'the failing drill is drawn')
  })
})
