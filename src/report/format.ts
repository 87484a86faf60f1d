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

/**
 * Lay out rows as aligned columns (plain text). Hand-written: @oclif/core 4 dropped ux.table and the few lines
 * here are smaller than a table dependency.
 */
export function columns(header: string[], rows: string[][], right: ReadonlySet<number> = new Set()): string[] {
  const width = header.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...(r[i] ?? '')].length)))
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => {
        const pad = ' '.repeat(Math.max(0, (width[i] as number) - [...c].length))
        return right.has(i) ? pad + c : c + pad
      })
      .join('  ')
      .trimEnd()
  return [line(header), line(width.map((w) => '-'.repeat(w))), ...rows.map(line)]
}
