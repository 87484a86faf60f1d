/** Number formatting shared by the report renderers (they never compute, only print). */
import {formatDowntime, formatOutage} from '../sla/nines.js'
import type {Spread} from '../sla/budget.js'

export {formatDowntime, formatOutage}

/** ms → "3.191 s", "614 ms"; null → "—". */
export function ms(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : formatOutage(v)
}

/** A budget amount (whole seconds above 10 s): "4m 19s", "19.3s"; negative as "−4.1s". */
export function budget(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  return v < 0 ? `−${formatDowntime(-v)}` : formatDowntime(v)
}

export function pct(fraction: number | null | undefined, digits = 1): string {
  if (fraction === null || fraction === undefined) return '—'
  if (!Number.isFinite(fraction)) return '∞'
  return `${(fraction * 100).toFixed(digits)} %`
}

export function predicted(min: number | null, max: number | null): string {
  if (min === null && max === null) return '—'
  if (min === null || max === null || Math.abs(max - min) < 0.5) return ms(max ?? min)
  return `${ms(min).replace(/ s$/, '')}–${ms(max)}`
}

/** "2.681 / 3.191 / 3.475 / 3.506 s" */
export function spread(s: Spread): string {
  if (s.n === 0) return '—'
  const vals = [s.min, s.p50, s.p95, s.max].map((v) => (v === null ? '—' : (v / 1000).toFixed(3)))
  return `${vals.join(' / ')} s`
}

export function utc(iso: string | number): string {
  const d = typeof iso === 'number' ? new Date(iso) : new Date(iso)
  return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}

export function count(n: number | null): string {
  return n === null ? '—' : String(n)
}

/** Width of the text report (lines of tables include their 2-space indent): fits a 120-column terminal. */
export const TEXT_WIDTH = 118

const len = (s: string): number => [...s].length

/** Word-wrap a cell to `w` columns (words longer than w are cut). */
export function wrapCell(text: string, w: number): string[] {
  if (len(text) <= w) return [text]
  const out: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    let rest = [...word]
    while (rest.length > 0) {
      const room = line === '' ? w : w - len(line) - 1
      if (rest.length <= room) {
        line = line === '' ? rest.join('') : `${line} ${rest.join('')}`
        rest = []
      } else if (line !== '') {
        out.push(line)
        line = ''
      } else {
        out.push(rest.slice(0, w).join(''))
        rest = rest.slice(w)
      }
    }
  }
  if (line !== '') out.push(line)
  return out
}

/**
 * Lay out rows as aligned columns (plain text), at most `maxWidth` columns wide: when the natural widths do not
 * fit, the widest columns are narrowed (not below their header's longest word, nor 6) and their cells wrap onto
 * continuation lines. Hand-written: @oclif/core 4 dropped ux.table and the few lines here are smaller than a
 * table dependency.
 */
export function columns(header: string[], rows: string[][], right: ReadonlySet<number> = new Set(), maxWidth = Infinity, nowrap: ReadonlySet<number> = new Set()): string[] {
  const width = header.map((h, i) => Math.max(len(h), ...rows.map((r) => len(r[i] ?? ''))))
  // A column is not narrowed below its longest word (at most 16: longer ones are cut), nor, when it is `nowrap`,
  // below its longest cell (then only its header wraps).
  const longestWord = (s: string): number => s.split(' ').reduce((a, w) => Math.max(a, len(w)), 0)
  const floor = header.map((h, i) =>
    nowrap.has(i) ? rows.reduce((a, r) => Math.max(a, len(r[i] ?? '')), 6) : Math.max(6, Math.min(16, rows.reduce((a, r) => Math.max(a, longestWord(r[i] ?? '')), longestWord(h)))),
  )
  const total = (): number => width.reduce((a, w) => a + w, 0) + 2 * (width.length - 1)
  while (total() > maxWidth) {
    let wi = -1
    for (let i = 0; i < width.length; i++) if ((width[i] as number) > (floor[i] as number) && (wi < 0 || (width[i] as number) > (width[wi] as number))) wi = i
    if (wi < 0) break
    width[wi] = (width[wi] as number) - 1
  }
  const line = (cells: string[]): string[] => {
    const wrapped = cells.map((c, i) => wrapCell(c, width[i] as number))
    const height = Math.max(1, ...wrapped.map((w) => w.length))
    const out: string[] = []
    for (let k = 0; k < height; k++) {
      out.push(
        wrapped
          .map((w, i) => {
            const c = w[k] ?? ''
            const pad = ' '.repeat(Math.max(0, (width[i] as number) - len(c)))
            return right.has(i) ? pad + c : c + pad
          })
          .join('  ')
          .trimEnd(),
      )
    }
    return out
  }
  return [...line(header), line(width.map((w) => '-'.repeat(w)))[0] as string, ...rows.flatMap(line)]
}
