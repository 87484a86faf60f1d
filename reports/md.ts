import type {ReportModel} from '../src/report/model.js'
import type {Renderer} from '../src/report/renderer.js'
import {budgetTable, drillsTable, faultTable, headerLines, splitBrainTable, verdictLines, type Table} from './tables.js'

/** A cell: pipes escaped, newlines flattened (GitHub-flavoured Markdown tables). */
const cell = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')

function table(t: Table): string[] {
  const align = t.header.map((_, i) => (t.right.has(i) ? '---:' : '---'))
  return [
    `## ${t.title}`,
    '',
    `| ${t.header.map(cell).join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
    ...(t.note === undefined ? [] : ['', `_${cell(t.note)}_`]),
    '',
  ]
}

export const mdRenderer: Renderer = {
  format: 'md',
  mediaType: 'text/markdown; charset=utf-8',
  extension: 'md',
  render(m: ReportModel): string {
    const out = [`# hachaos report: ${m.drills.length} drill${m.drills.length === 1 ? '' : 's'}`, '', ...headerLines(m).map((l) => `- ${cell(l)}`), '']
    if (m.empty) return `${[...out, `**${cell(m.emptyMessage ?? '')}**`].join('\n')}\n`
    out.push(...table(drillsTable(m)), ...table(faultTable(m)), ...table(budgetTable(m)))
    if (m.splitBrain.length > 0) out.push(...table(splitBrainTable(m)))
    else out.push('## Split-brain findings', '', 'none', '')
    const [head, ...rest] = verdictLines(m)
    out.push(`## ${head ?? ''}`, '', ...rest.map(cell))
    return `${out.join('\n')}\n`
  },
}
