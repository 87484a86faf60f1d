/** Helpers shared by the config parser tests. */
import assert from 'node:assert/strict'

import fc from 'fast-check'

import {HachaosError} from '../../../src/errors.js'

/** 1-based number of the first line of `text` that contains `needle`. */
export function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle))
  assert.ok(i >= 0, `"${needle}" not in the text`)
  return i + 1
}

/** `fn` returns, or throws a HachaosError with exit BAD_INPUT whose `where` matches. */
export function cleanFailure(fn: () => unknown, where: RegExp): void {
  try {
    fn()
  } catch (e) {
    if (!(e instanceof HachaosError)) throw e
    assert.equal(e.exitName, 'BAD_INPUT')
    assert.match(e.where ?? '', where)
  }
}

/** Random concatenations of `words`: the parser returns, or throws BAD_INPUT naming `file`:line. */
export function fuzzFailsCleanly(parse: (t: string) => unknown, words: string[], file: string): void {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constantFrom(...words), fc.string({maxLength: 5})), {maxLength: 50}), (a) => cleanFailure(() => parse(a.join('')), new RegExp(`^${file.replace('.', '\\.')}:\\d+$`))),
    {numRuns: 1500},
  )
}

/** Pieces of CIB and crm_mon XML for the fuzzers of both readers. */
export const PACEMAKER_XML_WORDS = ['<cib>', '</cib>', '<configuration>', '</configuration>', '<resources>', '</resources>', '<primitive id="a" class="ocf" type="x"/>', '<group id="g">', '</group>',
  '<nvpair name="stonith-enabled" value="false"/>', '<', '>', '"', '\n', '<pacemaker-result>', '</pacemaker-result>', '<node name="n" online="true"/>']
