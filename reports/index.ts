/** The renderers of `hachaos report`, one per format (the Renderer contract is in src/report/renderer.ts). */
import type {Renderer, ReportFormat} from '../src/report/renderer.js'
import {htmlRenderer} from './html.js'
import {jsonRenderer} from './json.js'
import {junitRenderer} from './junit.js'
import {mdRenderer} from './md.js'
import {openmetricsRenderer} from './openmetrics.js'
import {textRenderer} from './text.js'

export const RENDERERS: Readonly<Record<ReportFormat, Renderer>> = {
  text: textRenderer,
  md: mdRenderer,
  html: htmlRenderer,
  json: jsonRenderer,
  junit: junitRenderer,
  openmetrics: openmetricsRenderer,
}
