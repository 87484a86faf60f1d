/**
 * XML → a small element tree with line numbers, on fast-xml-parser (validated first, so malformed XML gives
 * file:line). Used by the Pacemaker CIB and crm_mon readers.
 */
import {XMLParser} from 'fast-xml-parser'

import {type Loc, configError} from './common.js'

export interface XmlEl extends Loc {
  name: string
  attrs: Record<string, string>
  children: XmlEl[]
  text: string
}

/** Offsets of line starts, for offset → line. */
function lineStarts(text: string): number[] {
  const out = [0]
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) out.push(i + 1)
  return out
}

function lineAt(starts: number[], offset: number): number {
  let lo = 0
  let hi = starts.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if ((starts[mid] ?? 0) <= offset) lo = mid
    else hi = mid - 1
  }
  return lo + 1
}

type Ordered = Record<string, unknown>

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Parse XML text; throws HachaosError (BAD_INPUT, file:line) when it is not well-formed. */
export function parseXml(text: string, file: string, what: string): XmlEl[] {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    preserveOrder: true,
    captureMetaData: true,
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: true,
    processEntities: true,
  })
  let raw: unknown
  try {
    raw = parser.parse(text, true)
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e)
    const m = /^(.*):(\d+):(\d+|undefined)$/s.exec(msg)
    const line = m === null ? 1 : Number(m[2])
    throw configError(what, {file, line}, `not well-formed XML: ${m === null ? msg : (m[1] ?? msg)}`, `check the XML at ${file}:${line} (was the output cut short?)`)
  }
  const starts = lineStarts(text)
  const meta = XMLParser.getMetaDataSymbol()
  const convert = (nodes: unknown): XmlEl[] => {
    if (!Array.isArray(nodes)) return []
    const out: XmlEl[] = []
    for (const n of nodes as unknown[]) {
      if (!isRecord(n)) continue
      const name = Object.keys(n).find((k) => k !== ':@')
      if (name === undefined || name === '#text' || name.startsWith('?') || name.startsWith('!')) continue
      const attrsRaw = n[':@']
      const attrs: Record<string, string> = {}
      if (isRecord(attrsRaw)) for (const [k, v] of Object.entries(attrsRaw)) attrs[k] = String(v)
      const md = (n as Ordered & Record<symbol, unknown>)[meta as unknown as symbol]
      const start = isRecord(md) && typeof md['startIndex'] === 'number' ? md['startIndex'] : 0
      const kids = n[name]
      const text = Array.isArray(kids)
        ? (kids as unknown[])
            .map((k) => (isRecord(k) && typeof k['#text'] === 'string' ? k['#text'] : ''))
            .join('')
        : ''
      out.push({name, attrs, children: convert(kids), text, file, line: lineAt(starts, start)})
    }
    return out
  }
  return convert(raw)
}

/** Children named `name` (direct). */
export function kids(el: XmlEl | undefined, name: string): XmlEl[] {
  return el === undefined ? [] : el.children.filter((c) => c.name === name)
}

export function kid(el: XmlEl | undefined, name: string): XmlEl | undefined {
  return el?.children.find((c) => c.name === name)
}

/** Every descendant named `name`, in document order. */
export function descendants(el: XmlEl | undefined, name: string): XmlEl[] {
  if (el === undefined) return []
  const out: XmlEl[] = []
  const walk = (e: XmlEl): void => {
    for (const c of e.children) {
      if (c.name === name) out.push(c)
      walk(c)
    }
  }
  walk(el)
  return out
}
