// Minimal types for the parts of blessed-contrib the dashboard uses (the package ships none).
declare module 'blessed-contrib' {
  import type {Widgets} from 'blessed'

  interface LineSeries {
    title: string
    x: string[]
    y: number[]
    style?: {line?: string}
  }
  interface LineOptions extends Widgets.BoxOptions {
    style?: {line?: string; text?: string; baseline?: string}
    xLabelPadding?: number
    xPadding?: number
    showLegend?: boolean
    legend?: {width?: number}
    wholeNumbersOnly?: boolean
    minY?: number
    maxY?: number
    numYLabels?: number
    abbreviate?: boolean
  }
  interface LineElement extends Widgets.BoxElement {
    options: LineOptions
    setData(data: LineSeries[]): void
  }
  function line(opts: LineOptions): LineElement

  interface LogOptions extends Widgets.BoxOptions {
    bufferLength?: number
    fg?: string
    selectedFg?: string
  }
  interface LogElement extends Widgets.BoxElement {
    logLines: string[]
    log(s: string): void
    setItems(items: string[]): void
    scrollTo(index: number): void
  }
  function log(opts: LogOptions): LogElement
}
