import {join} from 'node:path'

import {Args, Flags} from '@oclif/core'

import {FAULTS, faultDefinition} from '../chaos/registry.js'
import {HachaosError} from '../src/errors.js'
import {loadPlan, type GameDayPlan} from '../src/gameday/plan.js'
import {gameDayExitCode, runGameDay, type GameDayResult} from '../src/gameday/runner.js'
import {catalogueText} from '../src/gameday/soak.js'
import {parseObjective} from '../src/sla/nines.js'
import {parseDuration} from '../src/time.js'
import {writeFileAtomic} from '../src/util/atomic.js'
import {gameDayJunit, gameDayText} from '../reports/gameday.js'
import {HachaosCommand, type BaseFlags} from './_base.js'

export type RunCommandResult = GameDayResult

const dur = (flag: string, v: string): number => {
  try {
    return parseDuration(v)
  } catch (e) {
    throw new HachaosError(`--${flag}: ${(e as Error).message}`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['e.g. 500ms, 5s, 1m']})
  }
}

const list = (v: string | undefined): string[] | null => (v === undefined ? null : v.split(',').map((x) => x.trim()).filter((x) => x !== ''))

export default class Run extends HachaosCommand {
  static override summary = 'Run a game day from a plan file: drills, pauses and checks with audits and stop conditions, or a seeded random soak.'
  static override description = `A plan (YAML, README: Game days) names the inventory, defaults (rate, hold, tolerance, slo), stop conditions
and steps: drills (the same drill as \`hachaos failover\`, saved in the run store with the game day's id), pauses,
HTTP checks and bond: steps (the same trial as \`hachaos bond failover\`, on the bond lab's guest). The lab audit runs before the first step and after every step (a failed audit stops the plan
unless the step says continue_on: audit). A stop condition (budget_share, outage_over, split_brain, time_limit,
an external http/command check) reverts the open fault at once and ends the plan with the reason. --soak N
draws N drills from the faults that apply to each target, from one printed seed (the same seed replays the same
series). Progress is journaled in $HACHAOS_HOME/plans: after a crash \`hachaos recover\` reverts and lists the
game day, \`hachaos run --resume ID\` continues from the next step. Exit 0 when every gate passed, 7 when a gate
failed or a stop condition ended the plan, 8 when a fault could not be reverted, 130 when interrupted.
Soak catalogues (each stack's): ${catalogueText().join('; ')}.`

  static override examples = [
    {description: 'The keepalived game day, every step\'s exact commands first (keepalived lab: hachaos lab up).', command: '<%= config.bin %> run examples/gameday-keepalived.yaml --dry-run'},
    {description: 'Run it, JUnit per step for the CI gate.', command: '<%= config.bin %> run examples/gameday-keepalived.yaml --junit gameday.xml'},
    {description: 'A seeded soak of 10 drills on lb1 and web1 (keepalived lab).', command: '<%= config.bin %> run --soak 10 --seed 42 --targets lb1,web1'},
    {description: 'The drawn series only.', command: '<%= config.bin %> run --soak 10 --seed 42 --targets lb1,web1 --dry-run --json'},
    {description: 'Continue a game day after a crash and `hachaos recover`.', command: '<%= config.bin %> run --resume gd-20261205T081500Z-keepalived_game_day-3f2a'},
  ]

  static override args = {plan: Args.string({description: 'The plan file (YAML). Optional with --soak or --resume.', required: false, ignoreStdin: true})}

  static override flags = {
    'dry-run': Flags.boolean({description: 'Print every step\'s exact plan (commands, prediction); touch nothing.'}),
    inventory: Flags.string({char: 'i', description: 'Inventory file (over the plan\'s; default: $HACHAOS_INVENTORY, else the lab\'s).'}),
    resume: Flags.string({description: 'Continue this game day (its id) from the first step not done.'}),
    soak: Flags.integer({description: 'Draw this many drills at random (seeded) from the faults that apply to the targets.', min: 1}),
    seed: Flags.integer({description: 'Seed of the soak (default: the plan\'s, else a fresh one, printed).', min: 0}),
    targets: Flags.string({description: 'Soak targets, comma-separated (default: the plan\'s drill targets).'}),
    faults: Flags.string({description: 'Soak: only these catalogue entries or fault kinds, comma-separated.'}),
    'soak-hold': Flags.string({description: 'Soak: random hold within MIN..MAX (e.g. 2s..6s); default: until recovered.'}),
    'budget-share': Flags.string({description: 'Stop when the game day has used more than this share of the monthly error budget (e.g. 10%).'}),
    'outage-over': Flags.string({description: 'Stop when one drill\'s client outage exceeds this (e.g. 10s).'}),
    'time-limit': Flags.string({description: 'Stop when the game day has run longer than this (e.g. 30m).'}),
    'stop-http': Flags.string({description: 'Stop when this URL does not answer 200 (curl from the inventory\'s client): before each step and every 2 s during steps.'}),
    'split-brain': Flags.boolean({description: 'Stop when a drill shows a split brain its step did not expect.'}),
    slo: Flags.string({description: 'Objective for the budget (over the plan\'s defaults.slo).'}),
    junit: Flags.string({description: 'Write JUnit XML (one testcase per step) to this file.'}),
  }

  async run(): Promise<RunCommandResult> {
    const {args, flags} = await this.parse(Run)
    if (args.plan === undefined && flags.soak === undefined && flags.resume === undefined) {
      throw new HachaosError('run what? give a plan file, --soak N or --resume ID', {code: 'E_USAGE', exit: 'USAGE', suggestions: ['hachaos run examples/gameday-keepalived.yaml --dry-run', 'hachaos run --soak 10 --seed 42 --targets lb1,web1']})
    }
    if (flags.resume !== undefined && (args.plan !== undefined || flags.soak !== undefined)) {
      throw new HachaosError('--resume continues the recorded plan: give no plan file and no --soak with it', {code: 'E_USAGE', exit: 'USAGE', suggestions: [`hachaos run --resume ${flags.resume}`]})
    }
    const plan = this.planFrom(args.plan, flags)
    const ac = new AbortController()
    let signals = 0
    const onSignal = (sig: NodeJS.Signals): void => {
      signals++
      if (signals === 1) this.progress(`${sig}: stopping the game day (the open fault is reverted now; resume later with --resume)`)
      ac.abort()
      if (signals >= 3) {
        process.stderr.write('giving up: run `hachaos recover` to revert what is left\n')
        process.exit(130)
      }
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    let r: GameDayResult
    try {
      r = await runGameDay(
        {plan, dryRun: flags['dry-run'], ...(flags.inventory === undefined ? {} : {inventory: flags.inventory}), ...(flags.seed === undefined ? {} : {seed: flags.seed}), ...(flags.resume === undefined ? {} : {resume: flags.resume})},
        {
          planFault: (kind, params, env) => faultDefinition(kind).plan(params, env),
          faults: FAULTS,
          hachaosArgv: (h) => (h.via === 'ssh' ? ['hachaos'] : [process.execPath, join(this.config.root, 'bin', 'run.js')]),
          progress: this.progress,
          warn: (m) => this.warn(m),
          signal: ac.signal,
        },
      )
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
    if (flags.junit !== undefined) writeFileAtomic(flags.junit, gameDayJunit(r))
    if (!this.jsonEnabled()) this.log(gameDayText(r).trimEnd())
    process.exitCode = gameDayExitCode(r)
    return r
  }

  private planFrom(file: string | undefined, flags: BaseFlags<typeof Run>): GameDayPlan {
    const base: GameDayPlan =
      file !== undefined
        ? loadPlan(file)
        : {
            name: flags.resume !== undefined ? 'resume' : `soak of ${String(flags.soak)}`,
            file: null,
            inventory: null,
            slo: '99.99',
            defaults: {rate: 20, holdMs: null, toleranceMs: 100, maxOutageMs: null, probeTimeoutMs: 1000},
            stop: {budgetSharePct: null, splitBrain: false, outageOverMs: null, timeLimitMs: null, http: null, command: null, checkEveryMs: 2000, checkTimeoutMs: null},
            audit: true,
            auditSettleMs: 30_000,
            steps: [],
            soak: null,
          }
    const soakN = flags.soak
    if (soakN !== undefined) {
      let hold: {minMs: number; maxMs: number} | null = base.soak?.hold ?? null
      const sh = flags['soak-hold']
      if (sh !== undefined) {
        const [a, b] = sh.split('..')
        if (a === undefined || b === undefined) throw new HachaosError(`--soak-hold ${sh}: expected MIN..MAX`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['e.g. --soak-hold 2s..6s']})
        hold = {minMs: dur('soak-hold', a), maxMs: dur('soak-hold', b)}
        if (hold.minMs > hold.maxMs) throw new HachaosError(`--soak-hold ${sh}: MIN exceeds MAX`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['e.g. --soak-hold 2s..6s']})
      }
      base.soak = {count: soakN, seed: flags.seed ?? base.soak?.seed ?? null, targets: list(flags.targets) ?? base.soak?.targets ?? null, faults: list(flags.faults) ?? base.soak?.faults ?? null, hold}
    }
    const bs = flags['budget-share']
    if (bs !== undefined) {
      const n = Number(bs.replace('%', '').trim())
      if (!Number.isFinite(n) || n <= 0 || n > 100) throw new HachaosError(`--budget-share ${bs}: a share between 0 and 100 %`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['e.g. --budget-share 10%']})
      base.stop.budgetSharePct = n
    }
    const oo = flags['outage-over']
    if (oo !== undefined) base.stop.outageOverMs = dur('outage-over', oo)
    const tl = flags['time-limit']
    if (tl !== undefined) base.stop.timeLimitMs = dur('time-limit', tl)
    if (flags['split-brain']) base.stop.splitBrain = true
    const sh = flags['stop-http']
    if (sh !== undefined) {
      if (!/^https?:\/\/\S+$/.test(sh)) throw new HachaosError(`--stop-http ${sh}: an http:// or https:// URL`, {code: 'E_USAGE', exit: 'USAGE', suggestions: ['e.g. --stop-http http://10.66.0.100/']})
      base.stop.http = {url: sh, expect: 200, from: null}
    }
    const slo = flags.slo
    if (slo !== undefined) {
      parseObjective(slo)
      base.slo = slo
    }
    return base
  }
}
