import {statSync} from 'node:fs'
import {dirname, resolve} from 'node:path'

import {Flags} from '@oclif/core'

import {HachaosError} from '../src/errors.js'
import {buildReport, DEFAULT_TIMELINES, type ReportModel} from '../src/report/model.js'
import {REPORT_FORMATS, type ReportFormat} from '../src/report/renderer.js'
import {parseObjective} from '../src/sla/nines.js'
import {calendarFromOptions, durationOption, parsePeriod, sinceOption} from '../src/sla/options.js'
import {runsDir} from '../src/store/paths.js'
import {loadRunEvents, loadRunSummaries} from '../src/store/runs.js'
import {exitCodeFor} from '../src/store/verdict.js'
import {writeFileAtomic} from '../src/util/atomic.js'
import {RENDERERS} from '../reports/index.js'
import {GAMEDAY_FORMATS, renderGameDay, type GameDayFormat} from '../reports/gameday.js'
import {loadRecord, recordFile} from '../src/gameday/record.js'
import {gameDayExitCode, resultOf, type GameDayResult} from '../src/gameday/runner.js'
import {HachaosCommand} from './_base.js'
import {calendarFlags, calendarOptions} from './_sla.js'

export type ReportCommandResult = ReportModel & {format: ReportFormat; output: string | null}
/** `report --plan ID`: one game day. */
export type ReportPlanResult = GameDayResult & {format: GameDayFormat; output: string | null}

export default class Report extends HachaosCommand {
  static override summary = 'Report on the drills in the run store: every drill, per-fault statistics, error budgets, split brain, a verdict.'
  static override description = `Reads the run store ($HACHAOS_HOME/runs, or --store) that \`hachaos failover\` fills: the drills'
summaries first, the recorded events only for the drills whose timeline is drawn. Formats: text (default), md,
html (one self-contained file: summary tables, trend plots and histograms per fault, one line per drill, and SVG
timelines for the failing drills and the worst --timelines N), json, junit (one testcase per drill, failed when
the drill's verdict is FAIL) and openmetrics (Prometheus text format for the node_exporter textfile collector).
Each drill is judged by the same rules as \`hachaos failover\` (README: Verdicts). An empty store gets a clear
message and exit 0; a --store that does not exist is an error (exit 3). -o refuses a directory that does not
exist (exit 2). Exit 7 when the verdict is FAIL (a failing drill, or an objective's budget spent in the window),
unless --exit-zero; WARN exits 0.`

  static override examples = [
    '<%= config.bin %> report',
    '<%= config.bin %> report --since 30d --slo 99.99 --slo 99.999',
    '<%= config.bin %> report --target lb1 --fault nic-down --format md',
    '<%= config.bin %> report --format html -o drills.html',
    '<%= config.bin %> report --format html --timelines 50 -o drills.html',
    '<%= config.bin %> report --format junit --max-outage 4s -o drills.xml',
    '<%= config.bin %> report --format openmetrics -o /var/lib/prometheus/node-exporter/hachaos.prom --exit-zero',
    '<%= config.bin %> report --calendar business --hours-per-day 12 --days mon-fri --holidays 10',
    '<%= config.bin %> report --json',
  ]

  static override flags = {
    since: Flags.string({description: 'Only drills started since: a duration back from now (30d, 12h) or a date (2026-11-01).'}),
    target: Flags.string({description: 'Only drills on this target host.'}),
    fault: Flags.string({description: 'Only drills of this fault kind (nic-down, kill, …).'}),
    slo: Flags.string({description: 'Objective(s) for the budget table: 99.99, 99.99%, 0.9999 or 4. Repeatable.', multiple: true, default: ['99.99']}),
    'max-outage': Flags.string({description: 'Per-event allowance: a drill whose outage exceeds it fails (e.g. 4s).'}),
    period: Flags.string({description: 'Budget period: year, quarter, month, week or day.', default: 'month'}),
    format: Flags.string({description: 'Output format.', options: [...REPORT_FORMATS], default: 'text'}),
    output: Flags.string({char: 'o', description: 'Write the report to this file (atomically) instead of stdout.'}),
    store: Flags.string({description: 'Run store directory (default $HACHAOS_HOME/runs). Must exist.'}),
    timelines: Flags.integer({description: 'Draw the timelines of the failing drills and of this many of the worst others (by client downtime).', default: DEFAULT_TIMELINES, min: 0}),
    plan: Flags.string({description: 'Report one game day (`hachaos run`) by its id: every step with its gate, the score and its rule, the budget burn (text, md, html, json, junit).'}),
    'exit-zero': Flags.boolean({description: 'Exit 0 even when the verdict is FAIL (let a JUnit consumer gate).'}),
    ...calendarFlags,
  }

  async run(): Promise<ReportCommandResult | ReportPlanResult> {
    const {flags} = await this.parse(Report)
    const nowMs = Date.now()
    const calendar = calendarFromOptions(calendarOptions(flags))
    const objectives = flags.slo.map((s) => parseObjective(s))
    const period = parsePeriod(flags.period)
    const maxOutageMs = flags['max-outage'] === undefined ? null : durationOption('--max-outage', flags['max-outage'])
    const sinceMs = flags.since === undefined ? undefined : sinceOption(flags.since, nowMs)
    const format = flags.format as ReportFormat
    if (flags.plan !== undefined) return this.gameDay(flags.plan, format, flags.output, flags['exit-zero'])
    const dir = flags.store ?? runsDir()
    if (flags.output !== undefined) checkOutputDir(flags.output)
    this.progress(`reading drills from ${dir}`)
    const filters = {
      ...(sinceMs === undefined ? {} : {sinceMs, sinceText: flags.since}),
      ...(flags.target === undefined ? {} : {target: flags.target}),
      ...(flags.fault === undefined ? {} : {fault: flags.fault}),
    }
    const loaded = loadRunSummaries(filters, dir, {mustExist: flags.store !== undefined})
    if (loaded.summarized > 0) {
      this.progress(`${loaded.summarized} run file(s) had no summary: read once${loaded.cached > 0 ? `, ${loaded.cached} summaries cached in ${dir}/.summaries` : ' (the store is not writable: not cached)'}`)
    }
    const files = new Map(loaded.runs.map((r) => [r.run.id, r.file]))
    const model = buildReport(
      loaded.runs.map((r) => r.run),
      {
        objectives,
        period,
        calendar,
        maxOutageMs,
        filters,
        nowMs,
        storeDir: dir,
        skipped: loaded.skipped,
        timelines: flags.timelines,
        loadEvents: (run) => loadRunEvents(files.get(run.id) ?? `${dir}/${run.id}.json`),
      },
    )
    // on stderr even with --json (the skipped files are also in the result's `skipped`)
    for (const s of model.skipped) process.stderr.write(`Warning: skipped ${s.file}: ${s.reason} (the file is left as it is)\n`)
    const doc = RENDERERS[format].render(model)
    if (flags.output !== undefined) {
      writeFileAtomic(flags.output, doc)
      this.log(`${format} report of ${model.drills.length} drill(s), verdict ${model.verdict.status.toUpperCase()}: ${flags.output}`)
      if (model.empty) this.log(model.emptyMessage ?? '')
    } else {
      this.log(doc.trimEnd())
    }
    if (model.empty && (format === 'json' || format === 'junit' || format === 'openmetrics') && flags.output === undefined) {
      process.stderr.write(`${model.emptyMessage ?? ''}\n`)
    }
    const code = exitCodeFor(model.verdict.status)
    if (code !== 0 && !flags['exit-zero']) {
      process.exitCode = code
      process.stderr.write(`verdict FAIL (exit ${code}; --exit-zero to exit 0): ${model.drills.filter((d) => d.verdict === 'fail').length} failing drill(s) of ${model.drills.length}\n`)
    }
    return {...model, format, output: flags.output ?? null}
  }

  /** `--plan ID`: the game day's record ($HACHAOS_HOME/plans) as one report; JUnit: one testcase per step. */
  private gameDay(id: string, format: ReportFormat, output: string | undefined, exitZero: boolean): ReportPlanResult {
    if (!(GAMEDAY_FORMATS as readonly string[]).includes(format)) {
      throw new HachaosError(`--plan: no ${format} format for a game day`, {code: 'E_USAGE', exit: 'USAGE', suggestions: [`formats: ${GAMEDAY_FORMATS.join(', ')}`]})
    }
    if (output !== undefined) checkOutputDir(output)
    const g = resultOf(loadRecord(id), recordFile(id))
    const doc = renderGameDay(g, format as GameDayFormat)
    if (output !== undefined) {
      writeFileAtomic(output, doc)
      this.log(`${format} report of game day ${g.id ?? id}: ${output}`)
    } else this.log(doc.trimEnd())
    const code = gameDayExitCode(g)
    if (code !== 0 && !exitZero) process.exitCode = code
    return {...g, format: format as GameDayFormat, output: output ?? null}
  }
}

/** -o into a directory that does not exist is refused (not created behind the user's back). */
function checkOutputDir(output: string): void {
  const dir = dirname(resolve(output))
  let isDir = false
  try {
    isDir = statSync(dir).isDirectory()
  } catch {
    isDir = false
  }
  if (!isDir) {
    throw new HachaosError(`-o ${output}: the directory ${dir} does not exist`, {code: 'E_OUTPUT_DIR', exit: 'USAGE', where: dir, suggestions: [`create it first: mkdir -p ${dir}`]})
  }
}
