/**
 * The --help examples that need no lab (nines, recover, capture analyze on committed captures, cluster status
 * on a saved crm_mon XML, doctor's rule list), run as written; and every example is classified in
 * test/integration/examples.ts (which lab it needs, or why it is skipped) — an unclassified one fails here,
 * without root. The lab examples run in test/integration/examples-*.test.ts.
 */
import assert from 'node:assert/strict'
import {copyFileSync, mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {fixturePath} from '../../fixture.js'
import {EXAMPLES, checkExample, examplesFor, helpExamples} from '../../integration/examples.js'

const cwd = mkdtempSync(join(tmpdir(), 'hachaos-examples-0-'))
const env = {HACHAOS_HOME: join(cwd, '.hachaos'), HACHAOS_LAB_ROOT: join(cwd, 'labs')}
copyFileSync(fixturePath('capture', 'nicdown-v2.pcap'), join(cwd, 'drill.pcap'))
copyFileSync(fixturePath('capture', 'graceful-v2.txt'), join(cwd, 'capture.txt'))
copyFileSync(fixturePath('cluster', 'crm_mon-online.xml'), join(cwd, 'crm_mon.xml'))
copyFileSync(fixturePath('capture', 'nicdown-v2.pcap'), join(cwd, 'day.pcap'))
copyFileSync(fixturePath('inventory', 'ansible', 'hosts.ini'), join(cwd, 'hosts.ini'))
mkdirSync(join(cwd, 'inventory'))
copyFileSync(fixturePath('inventory', 'ansible', 'hosts.yml'), join(cwd, 'inventory', 'prod.yml'))

after(() => rmSync(cwd, {recursive: true, force: true}))

describe('--help examples without a lab', () => {
  it('every example is classified: a lab, or a reason to skip it', () => {
    const all = helpExamples()
    assert.ok(all.length > 50, `${all.length} examples`)
    for (const e of all) {
      const m = EXAMPLES[e.command]
      assert.ok(m !== undefined, `unclassified example (${e.id}): ${e.command}`)
      if (m.skip !== undefined) assert.ok(m.skip.length > 20, `skip reason for ${e.command}`)
    }
    // No stale entries: each classified example is still in some --help.
    const shown = new Set(all.map((e) => e.command))
    assert.deepEqual(Object.keys(EXAMPLES).filter((c) => !shown.has(c)), [])
  })
  for (const e of examplesFor('none')) {
    it(e.command, {skip: e.meta.skip ?? false}, async () => {
      await checkExample(e, cwd, env)
    })
  }
})
