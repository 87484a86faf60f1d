/**
 * The contract between `hachaos report` and its output formats. Implementations live in reports/ (one file
 * per format) and are wired in commands/report.ts; the library only defines the shape.
 */
import type {ReportModel} from './model.js'

export const REPORT_FORMATS = ['text', 'md', 'html', 'json', 'junit', 'openmetrics'] as const
export type ReportFormat = (typeof REPORT_FORMATS)[number]

export interface Renderer {
  format: ReportFormat
  /** MIME type of the output (for -o FILE naming and for anyone serving it). */
  mediaType: string
  /** Usual file extension, without the dot. */
  extension: string
  /** Pure: the model in, the whole document out (ends with a newline). */
  render(model: ReportModel): string
}
