/**
 * The lazy run store (src/store/runs.ts): summaries without events, the fallback for stores written before
 * summaries existed (read once, cached), stale summaries, and files that are not runs (skipped with a message
 * naming them, left in place). skipEventsJson is checked against JSON.parse on real records and on generated
 * JSON with every awkward character (fast-check).
 */
import assert from 'node:assert/strict'
import {cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

import fc from 'fast-check'

import {HachaosError} from '../../../src/errors.js'
import type {DrillRun} from '../../../src/store/run-types.js'
import {loadRunEvents, loadRunSummaries, loadRuns, saveRun, skipEventsJson, SUMMARY_DIR} from '../../../src/store/runs.js'

const LAB = fileURLToPath(new URL('../../../../test/fixtures/runs-lab', import.meta.url))
const HAND = fileURLToPath(new URL('../../../../test/fixtures/runs', import.meta.url))
const work = mkdtempSync(join(tmpdir(), 'hachaos-store-'))
after(() => rmSync(work, {recursive: true, force: true}))

const records = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
const read = (file: string): DrillRun => JSON.parse(readFileSync(file, 'utf8')) as DrillRun

describe('skipEventsJson', () => {
  it('gives every real record without its events, and counts them', () => {
    for (const dir of [LAB, HAND]) {
      for (const f of records(dir)) {
        const full = read(join(dir, f))
        const {record, eventCount} = skipEventsJson(join(dir, f))
        assert.equal(eventCount, full.events.length, f)
        assert.deepEqual(record, {...full, events: null}, f)
      }
    }
  })

  it('equals JSON.parse minus the top-level events on generated JSON (strings with quotes, brackets, escapes, unicode)', () => {
    const file = join(work, 'gen.json')
    const value = fc.oneof(fc.string({unit: 'grapheme'}), fc.integer(), fc.double({noNaN: true, noDefaultInfinity: true}), fc.boolean(), fc.constant(null))
    const tricky = fc.oneof(value, fc.constantFrom('"events":', '{"events":[1,2]}', ']}', '\\"', '\\\\', '[', '}', '"', 'évents ☃ 🚀'))
    const json = fc.jsonValue()
    fc.assert(
      fc.property(
        fc.dictionary(fc.string().filter((k) => k !== 'events'), fc.oneof(tricky, json), {maxKeys: 6}),
        fc.array(fc.oneof(tricky, json, fc.dictionary(fc.string(), tricky)), {maxLength: 30}),
        fc.nat(6),
        fc.boolean(),
        (rest, events, at, pretty) => {
          const entries = Object.entries(rest)
          entries.splice(Math.min(at, entries.length), 0, ['events', events])
          const obj = Object.fromEntries(entries)
          writeFileSync(file, pretty ? JSON.stringify(obj, null, 2) : JSON.stringify(obj))
          const {record, eventCount} = skipEventsJson(file)
          assert.equal(eventCount, events.length)
          assert.deepEqual(record, JSON.parse(JSON.stringify({...obj, events: null})))
        },
      ),
      {numRuns: 300},
    )
  })

  it('a file that is not JSON throws a SyntaxError', () => {
    const file = join(work, 'broken.json')
    writeFileSync(file, '{"schema":"hachaos.run/1","events":[1,2')
    assert.throws(() => skipEventsJson(file), SyntaxError)
  })
})

describe('the lazy run store', () => {
  it('saveRun writes a summary beside the record; the summaries carry everything but the events', () => {
    const dir = join(work, 'saved')
    for (const f of records(LAB)) saveRun(read(join(LAB, f)), dir)
    assert.deepEqual(readdirSync(join(dir, SUMMARY_DIR)).filter((f) => f !== 'index.json').sort(), records(LAB))
    const s = loadRunSummaries({}, dir)
    assert.equal(s.summarized, 0, 'read from the summaries, no record parsed')
    assert.equal(s.fromIndex, 0, 'no index yet: one summary file per record; the reader writes the index')
    assert.equal(loadRunSummaries({}, dir).fromIndex, records(LAB).length)
    assert.equal(s.runs.length, records(LAB).length)
    for (const r of s.runs) {
      const full = read(r.file)
      assert.ok(!('events' in r.run), 'no events in a summary')
      assert.equal(r.run.eventCount, full.events.length)
      const {events: _e, ...rest} = full
      assert.deepEqual({...r.run, eventCount: undefined}, {...rest, eventCount: undefined})
      assert.deepEqual(loadRunEvents(r.file), full.events)
    }
  })

  it('an old store (no summaries) is read once and its summaries cached; the second read uses them', () => {
    const dir = join(work, 'old')
    cpSync(HAND, dir, {recursive: true, filter: (src) => !src.includes(SUMMARY_DIR)})
    const first = loadRunSummaries({}, dir)
    const n = records(HAND).length
    assert.equal(first.summarized, n)
    assert.equal(first.cached, n)
    assert.equal(readdirSync(join(dir, SUMMARY_DIR)).filter((f) => f !== 'index.json').length, n)
    const second = loadRunSummaries({}, dir)
    assert.equal(second.summarized, 0)
    assert.equal(second.fromIndex, n, 'all from the one index file')
    assert.deepEqual(
      second.runs.map((r) => r.run),
      first.runs.map((r) => r.run),
    )
    // the same runs as whole records, in start order
    assert.deepEqual(
      loadRuns({}, dir).runs.map((r) => r.id),
      records(HAND).map((f) => read(join(HAND, f))).sort((a, b) => a.startedAt.localeCompare(b.startedAt)).map((r) => r.id),
    )
  })

  it('a record changed after its summary was written is read again (size or mtime differ)', () => {
    const dir = join(work, 'stale')
    cpSync(LAB, dir, {recursive: true})
    loadRunSummaries({}, dir)
    const f = join(dir, records(dir)[0] as string)
    const r = read(f)
    writeFileSync(f, `${JSON.stringify({...r, target: 'lb9'})}\n`)
    utimesSync(f, new Date(), new Date(Date.now() + 5000))
    const s = loadRunSummaries({}, dir)
    assert.equal(s.summarized, 1)
    assert.equal(s.fromIndex, records(dir).length - 1, 'the index serves the unchanged ones')
    assert.equal(s.runs.find((x) => x.file === f)?.run.target, 'lb9')
    // a run added by saveRun is picked up beside the index
    saveRun({...r, id: 'added-later'}, dir)
    const t = loadRunSummaries({}, dir)
    assert.equal(t.runs.length, records(dir).length)
    assert.equal(t.summarized, 0)
  })

  it('files that are not runs are skipped with a message naming them, and left where they are', () => {
    const dir = join(work, 'corrupt')
    cpSync(LAB, dir, {recursive: true})
    const notJson = join(dir, 'zz-truncated.json')
    writeFileSync(notJson, '{"schema": "hachaos.run/1",\n  "id": "x",\n  "events": [1, 2')
    const empty = join(dir, 'zz-empty.json')
    writeFileSync(empty, '')
    const other = join(dir, 'zz-other.json')
    writeFileSync(other, '{"schema": "something/else", "id": "y"}')
    const list = join(dir, 'zz-list.json')
    writeFileSync(list, '[1, 2, 3]')
    const s = loadRunSummaries({}, dir)
    assert.equal(s.runs.length, records(LAB).length)
    const reason = (file: string): string => s.skipped.find((x) => x.file === file)?.reason ?? ''
    assert.match(reason(notJson), /^not JSON \(line 3, column \d+\)/)
    assert.match(reason(empty), /^not JSON/)
    assert.match(reason(other), /not a hachaos\.run\/1 record \(schema "something\/else"\)/)
    assert.match(reason(list), /not a hachaos\.run\/1 record \(not a JSON object\)/)
    assert.equal(s.skipped.length, 4)
    for (const f of [notJson, empty, other, list]) assert.ok(existsSync(f), `${f} is left in place`)
  })

  it('a missing store is empty by default, an error when it must exist (report --store)', () => {
    const dir = join(work, 'nowhere', 'runs')
    assert.deepEqual(loadRunSummaries({}, dir).runs, [])
    assert.throws(
      () => loadRunSummaries({}, dir, {mustExist: true}),
      (e: unknown) => e instanceof HachaosError && e.exit === 3 && e.code === 'E_STORE_MISSING' && e.message.includes(dir),
    )
    const file = join(work, 'a-file')
    writeFileSync(file, 'x')
    assert.throws(() => loadRunSummaries({}, file, {mustExist: true}), /is not a directory/)
  })
})
