import {LineCounter, isNode, parseDocument} from 'yaml'
import type {z} from 'zod'

import {HachaosError} from '../errors.js'

/**
 * Parse YAML and validate it with a zod schema. Every error names `file:line:col` (from the YAML node
 * the failing path points at) and what was expected, so the user can go straight to the line.
 */
export function parseYamlWith<S extends z.ZodType>(text: string, file: string, schema: S, what: string): z.output<S> {
  const lc = new LineCounter()
  const doc = parseDocument(text, {lineCounter: lc, prettyErrors: false, uniqueKeys: true})
  const fail = (msg: string, offset: number | undefined, tips: string[]): never => {
    const pos = offset === undefined ? undefined : lc.linePos(offset)
    const where = pos === undefined ? file : `${file}:${pos.line}:${pos.col}`
    throw new HachaosError(`${what} ${where}: ${msg}`, {code: 'E_PARSE', exit: 'BAD_INPUT', where, suggestions: tips})
  }
  const first = doc.errors[0]
  if (first !== undefined) {
    fail(first.message.split('\n')[0] ?? 'YAML syntax error', first.pos[0], ['fix the YAML syntax at that line (indentation, quotes, colons)'])
  }
  const value: unknown = doc.toJS({maxAliasCount: 100})
  const res = schema.safeParse(value ?? {})
  if (res.success) return res.data
  const issue = res.error.issues[0]
  if (issue === undefined) return fail('invalid', undefined, [])
  // Walk down to the deepest node that exists for this path, for the line number.
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))
  let offset: number | undefined
  for (let n = path.length; n >= 0 && offset === undefined; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true)
    if (isNode(node) && node.range) offset = node.range[0]
  }
  const at = path.length === 0 ? '' : `${path.join('.')}: `
  return fail(`${at}${issue.message}`, offset, ['see the example in the README (Inventory section)'])
}
