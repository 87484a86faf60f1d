import {columns, TEXT_WIDTH, wrapCell} from '../src/report/format.js'
import type {ReportModel} from '../src/report/model.js'
import type {Renderer} from '../src/report/renderer.js'
import {budgetTable, headerLines, splitBrainTable, textDrillsTable, textFaultTables, verdictLines, type Table} from './tables.js'

function section(t: Table): string[] {
  return [t.title.toUpperCase(), ...columns(t.header, t.rows, t.right, TEXT_WIDTH - 2, t.nowrap).map((l) => `  ${l}`), ...(t.note === undefined ? [] : wrapCell(t.note, TEXT_WIDTH - 2).map((l) => `  ${l}`)), '']
}

export const textRenderer: Renderer = {
  format: 'text',
  mediaType: 'text/plain; charset=utf-8',
  extension: 'txt',
  render(m: ReportModel): string {
    const out = [`hachaos report: ${m.counts.incidents === 0 ? `${m.drills.length} drill${m.drills.length === 1 ? '' : 's'}` : `${m.counts.drills} drill${m.counts.drills === 1 ? '' : 's'}, ${m.counts.incidents} incident${m.counts.incidents === 1 ? '' : 's'}`}`, ...headerLines(m).flatMap((l) => wrapCell(l, TEXT_WIDTH)), '']
    if (m.empty) return `${[...out, m.emptyMessage ?? ''].join('\n')}\n`
    out.push(...section(textDrillsTable(m)), ...textFaultTables(m).flatMap(section), ...section(budgetTable(m)))
    if (m.splitBrain.length > 0) out.push(...section(splitBrainTable(m)))
    else out.push('SPLIT-BRAIN FINDINGS', '  none', '')
    out.push(...verdictLines(m).flatMap((l) => wrapCell(l, TEXT_WIDTH).map((x, i) => (i === 0 ? x : `  ${x}`))))
    return `${out.join('\n')}\n`
  },
}
