/**
 * A game day as a file (issue 19): a YAML plan naming the inventory, defaults for every drill, stop conditions
 * and the steps — drills (the same drill as `hachaos failover`), pauses and checks — and/or a seeded random soak.
 * Parsed with the `yaml` package and validated with zod (src/util/yaml-zod.ts): every error names file:line:col.
 *
 *   name: keepalived game day
 *   inventory: lab
 *   defaults: {rate: 20, slo: 99.99, tolerance: 100ms}
 *   stop_when: {budget_share: 10%, split_brain: true, outage_over: 10s, check: {http: "http://10.66.0.100/", expect: 200}}
 *   steps:
 *     - drill: {target: lb1, fault: nic-down}
 *     - pause: 5s
 *     - check: {http: "http://10.66.0.100/", expect: 200}
 *     - bond: {host: guest, bond: bond0, member: eth0, trials: 1, gate: {max_outage: 1s}}   # a lab's own step kind
 */
import {readFileSync} from 'node:fs'
import {dirname, isAbsolute, resolve} from 'node:path'

import {z} from 'zod'

import {HachaosError, fileErrorText} from '../errors.js'
import {parseDuration} from '../time.js'
import {parseYamlWith} from '../util/yaml-zod.js'

/** A duration: "500ms", "2.5s", "1m", or a bare number of seconds (as on the command line). */
const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    const ms = typeof v === 'number' ? v * 1000 : parseDuration(v)
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`${String(v)} is not a duration`)
    return ms
  } catch (e) {
    ctx.addIssue({code: 'custom', message: `${(e as Error).message} (a duration: 500ms, 5s, 1m)`})
    return z.NEVER
  }
})

/** A share in percent: "10%", or a number of percent (10 = 10 %). */
const percent = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : /^\s*\d+(\.\d+)?\s*%\s*$/.test(v) ? Number(v.trim().replace('%', '')) : NaN
  if (!Number.isFinite(n) || n <= 0 || n > 100) {
    ctx.addIssue({code: 'custom', message: `${String(v)}: a share of the budget between 0 and 100 % (e.g. 10%)`})
    return z.NEVER
  }
  return n
})

const hostName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'a host name of the inventory')

const GateSchema = z
  .object({
    max_outage: duration.optional(),
    tolerance: duration.optional(),
    /** true: this step must show a split brain (drop-vrrp); false: it must not; absent: the drill's verdict decides. */
    split_brain: z.boolean().optional(),
  })
  .strict()

const DrillSchema = z
  .object({
    target: hostName,
    fault: z.string().min(1).default('nic-down'),
    params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
    hold: duration.optional(),
    rate: z.number().int().min(1).max(200).optional(),
    gate: GateSchema.default({}),
  })
  .strict()

/** An interface name (a bond, a member). */
const ifName = z.string().regex(/^[A-Za-z0-9_.:@-]{1,15}$/, 'an interface name')

/**
 * A failover a lab measures with its own command (src/drill/step-kind.ts; the bond's `hachaos bond failover`):
 * `bond: {host: guest, bond: bond0, member: eth0, action: member-down, trials: 1, gate: {max_outage: 1s}}`.
 */
const LabStepSchema = z
  .object({
    host: hostName,
    action: z.enum(['member-down', 'flap']).default('member-down'),
    bond: ifName.optional(),
    /** Default: the active member at each trial. */
    member: ifName.optional(),
    trials: z.number().int().min(1).max(50).default(1),
    hold: duration.optional(),
    /** A flap's pull → plug back → pull spacing (default 300ms). */
    flap: duration.optional(),
    /** The guest watcher's poll period (ms, default 2). */
    poll: z.number().int().min(1).max(100).optional(),
    /** The client that pings the bond (default: the first client; "none": no traffic view). */
    probe_from: z.union([hostName, z.literal('none')]).optional(),
    gate: z.object({max_outage: duration.optional(), tolerance: duration.optional()}).strict().default({}),
  })
  .strict()

const CheckSchema = z
  .object({
    http: z.string().regex(/^https?:\/\/\S+$/, 'an http:// or https:// URL'),
    expect: z.number().int().min(100).max(599).default(200),
    /** The host the check runs from (default: the inventory's client, else this machine). */
    from: hostName.optional(),
    timeout: duration.default(2000),
  })
  .strict()

const StepSchema = z
  .object({
    name: z.string().optional(),
    drill: DrillSchema.optional(),
    pause: duration.optional(),
    check: CheckSchema.optional(),
    bond: LabStepSchema.optional(),
    /** `audit`: a failed audit after this step does not stop the plan. */
    continue_on: z.enum(['audit']).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const n = [s.drill, s.pause, s.check, s.bond].filter((x) => x !== undefined).length
    if (n !== 1) ctx.addIssue({code: 'custom', message: `a step is exactly one of drill, bond, pause or check (this one has ${n === 0 ? 'none' : 'several'})`})
  })

/**
 * The external check of `stop_when` (as AWS FIS stops on an alarm): an HTTP URL that must answer `expect`
 * (curl from `from`, else the inventory's client, else this machine) and/or a command (argv, never a shell
 * string, run on this machine) that must exit 0; before every step and every `every` during a step.
 */
const StopCheckSchema = z
  .object({
    http: z.string().regex(/^https?:\/\/\S+$/, 'an http:// or https:// URL').optional(),
    expect: z.number().int().min(100).max(599).default(200),
    from: hostName.optional(),
    command: z.array(z.string().min(1)).min(1, 'an argv array: [curl, -sf, http://…] (no shell string)').optional(),
    /** How long one run of the check may take (default: 2 s for http, 10 s for a command). */
    timeout: duration.optional(),
    /** How often it runs during a step (default 2 s). */
    every: duration.optional(),
  })
  .strict()
  .refine((c) => c.http !== undefined || c.command !== undefined, {message: 'a check needs http: URL, command: [argv], or both'})

const StopSchema = z
  .object({
    budget_share: percent.optional(),
    split_brain: z.boolean().optional(),
    outage_over: duration.optional(),
    time_limit: duration.optional(),
    /** The external check: `check: {http, expect, from, command, timeout, every}`. */
    check: StopCheckSchema.optional(),
    /** The same check spelt flat (kept for older plans): http, http_expect, http_from, command, check_every. */
    http: z.string().regex(/^https?:\/\/\S+$/, 'an http:// or https:// URL').optional(),
    http_expect: z.number().int().min(100).max(599).default(200),
    http_from: hostName.optional(),
    command: z.array(z.string()).min(1).optional(),
    check_every: duration.default(2000),
  })
  .strict()
  .refine((st) => st.check === undefined || (st.http === undefined && st.command === undefined), {
    message: 'give the external check once: check: {http, command, …}, or the flat http:/command: keys, not both',
    path: ['check'],
  })

const SoakSchema = z
  .object({
    count: z.number().int().min(1).max(10_000),
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
    targets: z.array(hostName).min(1).optional(),
    /** Catalogue entry names or fault kinds to draw from (default: every one that applies). */
    faults: z.array(z.string()).min(1).optional(),
    hold: z.object({min: duration, max: duration}).strict().optional(),
  })
  .strict()
  .refine((s) => s.hold === undefined || s.hold.min <= s.hold.max, {message: 'hold.min must not exceed hold.max', path: ['hold']})

export const PlanSchema = z
  .object({
    name: z.string().min(1),
    /** `lab` (the lab that is up with these targets), or a path to an inventory (ours or an Ansible one). */
    inventory: z.string().optional(),
    defaults: z
      .object({
        rate: z.number().int().min(1).max(200).default(20),
        hold: duration.optional(),
        tolerance: duration.default(100),
        max_outage: duration.optional(),
        probe_timeout: duration.default(1000),
        slo: z.union([z.string(), z.number()]).transform(String).default('99.99'),
      })
      .strict()
      .default({rate: 20, tolerance: 100, probe_timeout: 1000, slo: '99.99'}),
    stop_when: StopSchema.default({http_expect: 200, check_every: 2000}),
    /** Audit the lab before the first step and after every step (default: on for a lab inventory). */
    audit: z.boolean().default(true),
    /** How long an audit may wait for the lab to settle (default 30 s). */
    audit_settle: duration.default(30_000),
    steps: z.array(StepSchema).default([]),
    soak: SoakSchema.optional(),
  })
  .strict()
  .refine((p) => p.steps.length > 0 || p.soak !== undefined, {message: 'a plan needs steps, a soak, or both', path: ['steps']})

export interface DrillStep {
  kind: 'drill'
  name: string
  target: string
  fault: string
  params: Record<string, string | number | boolean>
  holdMs: number | null
  rate: number
  probeTimeoutMs: number
  toleranceMs: number
  maxOutageMs: number | null
  /** Expected split brain: true must see one, false must not, null: the drill's verdict decides. */
  splitBrain: boolean | null
  continueOnAudit: boolean
  /** Drawn by the soak (its catalogue entry's name), else null. */
  soak: string | null
}

export interface PauseStep {
  kind: 'pause'
  name: string
  ms: number
  continueOnAudit: boolean
}

export interface CheckStep {
  kind: 'check'
  name: string
  url: string
  expect: number
  from: string | null
  timeoutMs: number
  continueOnAudit: boolean
}

/** A step of a lab's own step kind (src/drill/step-kind.ts): `bond:` (the bond's cable pull). */
export interface LabStep {
  kind: 'lab'
  /** The plan's key: the step kind (src/lab/registry.ts LAB_STEP_KINDS). */
  key: string
  name: string
  /** The host (named `target` as a drill's is). */
  target: string
  action: string
  params: Record<string, string>
  trials: number
  holdMs: number | null
  maxOutageMs: number | null
  /** Over the kind's own tolerance of its prediction; null: the kind's. */
  toleranceMs: number | null
  continueOnAudit: boolean
  /** Drawn by the soak (its catalogue entry's name), else null. */
  soak: string | null
}

export type PlanStep = DrillStep | PauseStep | CheckStep | LabStep

export interface StopConditions {
  budgetSharePct: number | null
  splitBrain: boolean
  outageOverMs: number | null
  timeLimitMs: number | null
  http: {url: string; expect: number; from: string | null} | null
  command: string[] | null
  checkEveryMs: number
  /** One run of the external check may take this long; null: 2 s for http, 10 s for a command. */
  checkTimeoutMs: number | null
}

export interface SoakSpec {
  count: number
  seed: number | null
  targets: string[] | null
  faults: string[] | null
  hold: {minMs: number; maxMs: number} | null
}

export interface GameDayPlan {
  name: string
  /** The plan file (absolute), or null when built from flags only. */
  file: string | null
  /** `lab`, an absolute inventory path, or null (as `failover`: $HACHAOS_INVENTORY, else the lab that is up). */
  inventory: string | null
  slo: string
  defaults: {rate: number; holdMs: number | null; toleranceMs: number; maxOutageMs: number | null; probeTimeoutMs: number}
  stop: StopConditions
  audit: boolean
  auditSettleMs: number
  steps: PlanStep[]
  soak: SoakSpec | null
}

export function stepText(s: PlanStep): string {
  switch (s.kind) {
    case 'drill': {
      const params = Object.entries(s.params).map(([k, v]) => `${k}=${String(v)}`)
      return `drill ${s.target} ${s.fault}${params.length > 0 ? ` ${params.join(' ')}` : ''}${s.holdMs === null ? '' : ` hold ${(s.holdMs / 1000).toFixed(1)} s`}`
    }
    case 'lab': {
      const params = Object.entries(s.params).map(([k, v]) => `${k}=${v}`)
      return `${s.key} ${s.target} ${s.action}${params.length > 0 ? ` ${params.join(' ')}` : ''}${s.trials > 1 ? ` ×${s.trials}` : ''}${s.holdMs === null ? '' : ` hold ${(s.holdMs / 1000).toFixed(1)} s`}`
    }
    case 'pause':
      return `pause ${(s.ms / 1000).toFixed(1)} s`
    case 'check':
      return `check ${s.url} → ${s.expect}${s.from === null ? '' : ` from ${s.from}`}`
  }
}

/** The external check of `stop_when`, from `check: {…}` or the flat keys. */
function externalCheckOf(st: z.infer<typeof StopSchema>): Pick<StopConditions, 'http' | 'command' | 'checkEveryMs' | 'checkTimeoutMs'> {
  const c = st.check
  if (c === undefined) {
    return {http: st.http === undefined ? null : {url: st.http, expect: st.http_expect, from: st.http_from ?? null}, command: st.command ?? null, checkEveryMs: st.check_every, checkTimeoutMs: null}
  }
  return {
    http: c.http === undefined ? null : {url: c.http, expect: c.expect, from: c.from ?? null},
    command: c.command ?? null,
    checkEveryMs: c.every ?? st.check_every,
    checkTimeoutMs: c.timeout ?? null,
  }
}

/** Parse a plan's text (file names the errors). */
export function parsePlan(text: string, file: string): GameDayPlan {
  const p = parseYamlWith(text, file, PlanSchema, 'plan', ['see the game day section of the README (plan format)', 'hachaos run PLAN.yaml --dry-run checks a plan without touching anything'])
  const d = p.defaults
  const steps: PlanStep[] = p.steps.map((s, i) => {
    const continueOnAudit = s.continue_on === 'audit'
    if (s.drill !== undefined) {
      const x = s.drill
      const step: DrillStep = {
        kind: 'drill',
        name: s.name ?? `step ${i + 1}`,
        target: x.target,
        fault: x.fault,
        params: x.params,
        holdMs: x.hold ?? d.hold ?? null,
        rate: x.rate ?? d.rate,
        probeTimeoutMs: d.probe_timeout,
        toleranceMs: x.gate.tolerance ?? d.tolerance,
        maxOutageMs: x.gate.max_outage ?? d.max_outage ?? null,
        splitBrain: x.gate.split_brain ?? null,
        continueOnAudit,
        soak: null,
      }
      return step
    }
    if (s.bond !== undefined) {
      const b = s.bond
      const params: Record<string, string> = {}
      if (b.bond !== undefined) params['bond'] = b.bond
      if (b.member !== undefined) params['member'] = b.member
      if (b.flap !== undefined) params['flap_ms'] = String(Math.round(b.flap))
      if (b.poll !== undefined) params['poll'] = String(b.poll)
      if (b.probe_from !== undefined) params['probe_from'] = b.probe_from
      const step: LabStep = {
        kind: 'lab',
        key: 'bond',
        name: s.name ?? `step ${i + 1}`,
        target: b.host,
        action: b.action,
        params,
        trials: b.trials,
        holdMs: b.hold ?? d.hold ?? null,
        maxOutageMs: b.gate.max_outage ?? d.max_outage ?? null,
        toleranceMs: b.gate.tolerance ?? null,
        continueOnAudit,
        soak: null,
      }
      return step
    }
    if (s.pause !== undefined) return {kind: 'pause', name: s.name ?? `step ${i + 1}`, ms: s.pause, continueOnAudit}
    const c = s.check as NonNullable<typeof s.check>
    return {kind: 'check', name: s.name ?? `step ${i + 1}`, url: c.http, expect: c.expect, from: c.from ?? null, timeoutMs: c.timeout, continueOnAudit}
  })
  const st = p.stop_when
  const base = file.startsWith('<') ? process.cwd() : dirname(resolve(file))
  const inventory = p.inventory === undefined ? null : p.inventory === 'lab' ? 'lab' : isAbsolute(p.inventory) ? p.inventory : resolve(base, p.inventory)
  return {
    name: p.name,
    file: file.startsWith('<') ? null : resolve(file),
    inventory,
    slo: d.slo,
    defaults: {rate: d.rate, holdMs: d.hold ?? null, toleranceMs: d.tolerance, maxOutageMs: d.max_outage ?? null, probeTimeoutMs: d.probe_timeout},
    stop: {
      budgetSharePct: st.budget_share ?? null,
      splitBrain: st.split_brain ?? false,
      outageOverMs: st.outage_over ?? null,
      timeLimitMs: st.time_limit ?? null,
      ...externalCheckOf(st),
    },
    audit: p.audit,
    auditSettleMs: p.audit_settle,
    steps,
    soak:
      p.soak === undefined
        ? null
        : {count: p.soak.count, seed: p.soak.seed ?? null, targets: p.soak.targets ?? null, faults: p.soak.faults ?? null, hold: p.soak.hold === undefined ? null : {minMs: p.soak.hold.min, maxMs: p.soak.hold.max}},
  }
}

export function loadPlan(file: string): GameDayPlan {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new HachaosError(`cannot read the plan ${file}: ${fileErrorText(e)}`, {code: 'E_PLAN_READ', exit: 'BAD_INPUT', where: file, suggestions: ['check the path of the plan (examples/ holds some)']})
  }
  return parsePlan(text, file)
}
