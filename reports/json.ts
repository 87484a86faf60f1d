import type {ReportModel} from '../src/report/model.js'
import type {Renderer} from '../src/report/renderer.js'

/** The model as is (schema hachaos.report/1). Infinity (a 100 % objective's burn rate) becomes null. */
export const jsonRenderer: Renderer = {
  format: 'json',
  mediaType: 'application/json',
  extension: 'json',
  render(m: ReportModel): string {
    return `${JSON.stringify(m, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`
  },
}
