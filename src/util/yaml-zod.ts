import {LineCounter, isMap, isNode, isScalar, isSeq, parseDocument, type Node} from 'yaml'
import type {z} from 'zod'

import {HachaosError} from '../errors.js'

/**
 * Parse YAML and validate it with a zod schema. Every error names `file:line:col` (from the YAML node
 * the failing path points at) and what was expected, so the user can go straight to the line.
 */
export function parseYamlWith<S extends z.ZodType>(text: string, file: string, schema: S, what: string, tips: string[] = ['see the example in the README (Inventory section)']): z.output<S> {
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
  // Walk down the path as far as it exists; the line is that of the deepest map key (or list item) found,
  // so a bad key, a bad value and a missing child all point at the entry the user must edit.
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))
  let message = issue.message
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) {
    path.push(issue.keys[0])
    message = `unknown key "${issue.keys[0]}"`
  }
  if (issue.code === 'invalid_key') {
    message = `"${String(path[path.length - 1])}" is not valid here: ${issue.issues[0]?.message ?? issue.message}`
  }
  let offset: number | undefined = doc.contents?.range?.[0]
  let node: unknown = doc.contents
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(seg))
      if (pair === undefined) break
      const key = pair.key as Node
      if (key.range) offset = key.range[0]
      node = pair.value
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg]
      if (!isNode(item)) break
      if (item.range) offset = item.range[0]
      node = item
    } else break
  }
  const at = path.length === 0 ? '' : `${path.join('.')}: `
  return fail(`${at}${message}`, offset, tips)
}
