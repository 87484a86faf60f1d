import {columns} from '../src/report/format.js'
import type {ReportModel} from '../src/report/model.js'
import type {Renderer} from '../src/report/renderer.js'
import {budgetTable, drillsTable, faultTable, headerLines, splitBrainTable, verdictLines, type Table} from './tables.js'

function section(t: Table): string[] {
  return [t.title.toUpperCase(), ...columns(t.header, t.rows, t.right).map((l) => `  ${l}`), ...(t.note === undefined ? [] : [`  ${t.note}`]), '']
}

export const textRenderer: Renderer = {
  format: 'text',
  mediaType: 'text/plain; charset=utf-8',
  extension: 'txt',
  render(m: ReportModel): string {
    const out = [`hachaos report: ${m.drills.length} drill${m.drills.length === 1 ? '' : 's'}`, ...headerLines(m), '']
    if (m.empty) return `${[...out, m.emptyMessage ?? ''].join('\n')}\n`
    out.push(...section(drillsTable(m)), ...section(faultTable(m)), ...section(budgetTable(m)))
    if (m.splitBrain.length > 0) out.push(...section(splitBrainTable(m)))
    else out.push('SPLIT-BRAIN FINDINGS', '  none', '')
    out.push(...verdictLines(m))
    return `${out.join('\n')}\n`
  },
}
