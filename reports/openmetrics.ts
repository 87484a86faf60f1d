/**
 * Metrics for the Prometheus node_exporter textfile collector (write with -o into its directory, e.g.
 * /var/lib/prometheus/node-exporter/hachaos.prom). The collector reads the Prometheus text exposition format
 * 0.0.4, so that is what this emits, with OpenMetrics naming: base units (seconds), counters end in _total,
 * HELP and TYPE for every family, no timestamps (the collector rejects them). `promtool check metrics` passes.
 * Counters count drills in the report: without --since they only grow, as counters must.
 * Written by hand: the format is a few lines of text and no exposition library is installed.
 */
import type {ReportModel} from '../src/report/model.js'
import type {Renderer} from '../src/report/renderer.js'
import type {Spread} from '../src/sla/budget.js'

type Labels = Record<string, string>

const escLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
const escHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Infinity) return '+Inf'
  if (v === -Infinity) return '-Inf'
  return String(Number(v.toPrecision(12)))
}

class Family {
  readonly samples: string[] = []
  constructor(
    readonly name: string,
    readonly type: 'gauge' | 'counter',
    readonly help: string,
  ) {}
  add(labels: Labels, value: number | null): void {
    if (value === null) return
    const l = Object.entries(labels)
      .map(([k, v]) => `${k}="${escLabel(v)}"`)
      .join(',')
    this.samples.push(`${this.name}${l === '' ? '' : `{${l}}`} ${num(value)}`)
  }
  text(): string[] {
    return this.samples.length === 0 ? [] : [`# HELP ${this.name} ${escHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`, ...this.samples]
  }
}

const sec = (v: number | null): number | null => (v === null ? null : v / 1000)

function stats(fam: Family, base: Labels, s: Spread): void {
  fam.add({...base, stat: 'min'}, sec(s.min))
  fam.add({...base, stat: 'p50'}, sec(s.p50))
  fam.add({...base, stat: 'p95'}, sec(s.p95))
  fam.add({...base, stat: 'max'}, sec(s.max))
}

export const openmetricsRenderer: Renderer = {
  format: 'openmetrics',
  mediaType: 'text/plain; version=0.0.4; charset=utf-8',
  extension: 'prom',
  render(m: ReportModel): string {
    const drills = new Family('hachaos_drills_total', 'counter', 'Drills in the report, by fault, target and verdict (pass/warn/fail).')
    const splits = new Family('hachaos_split_brain_drills_total', 'counter', 'Drills in which a split brain was observed.')
    const unreverted = new Family('hachaos_revert_failures_total', 'counter', 'Drills whose fault could not be reverted (run hachaos recover).')
    const lost = new Family('hachaos_lost_probes_total', 'counter', 'Client probes lost during failovers.')
    const takeover = new Family('hachaos_failover_takeover_seconds', 'gauge', 'Takeover (new master\'s first advert − fault), min/p50/p95/max over the drills of a fault.')
    const outage = new Family('hachaos_failover_outage_seconds', 'gauge', 'Client-side outage (first good probe after the fault − last good before), min/p50/p95/max.')
    const predicted = new Family('hachaos_failover_predicted_takeover_seconds', 'gauge', 'Takeover predicted by the configuration (lower and upper bound).')
    const lastTs = new Family('hachaos_last_drill_timestamp_seconds', 'gauge', 'Start of the latest drill of a fault on a target, Unix time.')
    const lastOutage = new Family('hachaos_last_drill_outage_seconds', 'gauge', 'Client-side outage of the latest drill of a fault on a target.')
    const lastPassed = new Family('hachaos_last_drill_passed', 'gauge', '1 when the latest drill of a fault on a target did not fail (verdict pass or warn), else 0.')
    const budget = new Family('hachaos_error_budget_seconds', 'gauge', 'Allowed downtime per period for the objective.')
    const windowBudget = new Family('hachaos_error_budget_window_seconds', 'gauge', 'Allowed downtime over the report window.')
    const consumed = new Family('hachaos_error_budget_consumed_seconds', 'gauge', 'Downtime caused by the drills in the report window.')
    const remaining = new Family('hachaos_error_budget_remaining_seconds', 'gauge', 'Window budget minus consumed (negative: overspent).')
    const burn = new Family('hachaos_error_budget_burn_rate', 'gauge', 'Consumed / window budget (1 spends the budget exactly).')
    const affordable = new Family('hachaos_failovers_affordable', 'gauge', 'Failovers per period that fit in the budget at the measured outage (p50, p95, worst).')
    const verdict = new Family('hachaos_report_failed', 'gauge', '1 when the report verdict is fail, else 0.')
    const generated = new Family('hachaos_report_generated_timestamp_seconds', 'gauge', 'When this report was generated, Unix time.')

    const counts = new Map<string, {labels: Labels; n: number}>()
    const last = new Map<string, (typeof m.drills)[number]>()
    for (const d of m.drills) {
      const labels = {fault: d.faultLabel, target: d.target, result: d.verdict}
      const k = JSON.stringify(labels)
      counts.set(k, {labels, n: (counts.get(k)?.n ?? 0) + 1})
      last.set(JSON.stringify([d.faultLabel, d.target]), d) // drills are in start order: the last one wins
    }
    for (const {labels, n} of counts.values()) drills.add(labels, n)
    if (m.empty) drills.add({}, 0) // README: an empty store is `hachaos_drills_total 0`, no made-up labels
    for (const s of m.byFault) {
      const base = {fault: s.faultLabel}
      splits.add(base, s.splitBrains)
      unreverted.add(base, s.revertFailures)
      lost.add(base, s.lostProbes)
      stats(takeover, base, s.takeoverMs)
      stats(outage, base, s.outageMs)
      predicted.add({...base, bound: 'min'}, sec(s.predictedMinMs))
      predicted.add({...base, bound: 'max'}, sec(s.predictedMaxMs))
    }
    for (const d of last.values()) {
      const base = {fault: d.faultLabel, target: d.target}
      lastTs.add(base, Date.parse(d.startedAt) / 1000)
      lastOutage.add(base, sec(d.outageMs))
      lastPassed.add(base, d.verdict === 'fail' ? 0 : 1)
    }
    for (const b of m.budgets) {
      const base = {objective: b.objective.label.replace(/ %$/, ''), period: b.period}
      budget.add(base, b.periodBudgetMs / 1000)
      windowBudget.add(base, b.windowBudgetMs / 1000)
      consumed.add(base, b.consumedMs / 1000)
      remaining.add(base, b.remainingMs / 1000)
      burn.add(base, b.burnRate)
      affordable.add({...base, at: 'p50'}, b.affordable.p50.perPeriod)
      affordable.add({...base, at: 'p95'}, b.affordable.p95.perPeriod)
      affordable.add({...base, at: 'worst'}, b.affordable.worst.perPeriod)
    }
    verdict.add({}, m.verdict.status === 'fail' ? 1 : 0)
    generated.add({}, Date.parse(m.generatedAt) / 1000)
    const fams = [drills, splits, unreverted, lost, takeover, outage, predicted, lastTs, lastOutage, lastPassed, budget, windowBudget, consumed, remaining, burn, affordable, verdict, generated]
    return `${fams.flatMap((x) => x.text()).join('\n')}\n`
  },
}
