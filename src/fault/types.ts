/**
 * Faults are data first: validated params → a plan of actions (argv on named hosts, or service start/stop)
 * → journal → inject → revert. The plan is what `--dry-run` shows and what `hachaos recover` replays.
 * Concrete faults live in chaos/ (one file each, registered in chaos/registry.ts); this file is the contract.
 */
import type {z} from 'zod'

import {HachaosError} from '../errors.js'

import type {Executor} from '../exec/types.js'
import type {HostEntry} from '../inventory/schema.js'
import type {Inventory, InventoryHost} from '../inventory/inventory.js'
import type {Stack} from '../store/run-types.js'

/** Enough to reach a host again later (in `hachaos recover`, without the original process). */
export interface HostRef {
  name: string
  entry: HostEntry
  /** The lab state file when the host belongs to a lab (for `services: lab`). */
  labState?: string
}

export type Action =
  | {
      type: 'exec'
      host: HostRef
      argv: string[]
      input?: string
      /** Exit codes that count as success (default [0]). */
      okCodes?: number[]
      what: string
    }
  | {type: 'service'; host: HostRef; service: string; op: 'start' | 'stop'; what: string}
  /** Send a signal to every process named `comm` on the host (scoped to the host's namespace). */
  | {type: 'signal'; host: HostRef; comm: string; signal: NodeJS.Signals; what: string; /** No such process is fine. */ ifAny?: boolean}
  /** Wait, e.g. for a daemon to settle between two steps. */
  | {type: 'sleep'; ms: number; what: string}

/** What the fault does to the service, which decides the prediction model. */
export type FaultEffect =
  | 'node-loss' // the node vanishes for its peers (NIC down, SIGKILL of the VRRP daemon, partition)
  | 'graceful-stop' // the daemon leaves politely (SIGTERM keepalived: priority 0 advert)
  | 'service-loss' // the fronted service dies, a health check must notice (HAProxy killed → track_script)
  | 'advert-loss' // the node lives but its adverts are dropped (split brain expected)
  | 'backend-loss' // a backend behind the load balancer dies (HAProxy check ejects it)
  | 'cluster-standby'
  | 'cluster-move'
  | 'cluster-partition'
  | 'member-down' // a bond member loses its link
  | 'none'

export interface FaultPlan {
  kind: string
  target: string
  summary: string
  effect: FaultEffect
  params: Record<string, unknown>
  inject: Action[]
  revert: Action[]
  warnings: string[]
}

export interface FaultEnv {
  inventory: Inventory
  target: InventoryHost
  exec: Executor
  ref: HostRef
  /** Reach any other host of the inventory. */
  executorFor(host: InventoryHost): Executor
  refFor(host: InventoryHost): HostRef
  /** --force: allow what is refused by default (downing the management interface …). */
  force: boolean
}

export interface FaultDefinition<P extends Record<string, unknown> = Record<string, unknown>> {
  kind: string
  summary: string
  /** Stacks this fault makes sense on. */
  stacks: Stack[]
  /** Parameters, validated; defaults filled by the schema. */
  params: z.ZodType<P>
  /** Describe params for --help. */
  paramHelp: Record<string, string>
  /** Build the plan (may read the host: interface names, which daemons run). Throws HachaosError. */
  plan(params: P, env: FaultEnv): Promise<FaultPlan>
}

export function actionArgvForDisplay(a: Action, exec?: (h: HostRef) => Executor): string {
  switch (a.type) {
    case 'exec':
      return exec === undefined ? `${a.host.name}: ${a.argv.join(' ')}` : exec(a.host).command(a.argv).join(' ')
    case 'service':
      return `${a.host.name}: ${a.op} service ${a.service}`
    case 'signal':
      return `${a.host.name}: kill -s ${a.signal.replace(/^SIG/, '')} <every ${a.comm} on ${a.host.name}>`
    case 'sleep':
      return `sleep ${a.ms / 1000}`
  }
}

/** A fault as the registry holds it: raw params in, validated by the fault's own schema. */
export interface RegisteredFault {
  kind: string
  summary: string
  stacks: Stack[]
  paramHelp: Record<string, string>
  plan(raw: Record<string, unknown>, env: FaultEnv): Promise<FaultPlan>
}

export function registerFault<P extends Record<string, unknown>>(d: FaultDefinition<P>): RegisteredFault {
  return {
    kind: d.kind,
    summary: d.summary,
    stacks: d.stacks,
    paramHelp: d.paramHelp,
    async plan(raw, env) {
      const r = d.params.safeParse(raw)
      if (!r.success) {
        const i = r.error.issues[0]
        const key = i?.path.map(String).join('.') ?? ''
        const given = key !== '' && key in raw ? ` ${JSON.stringify(raw[key])}` : ''
        // zod's own wording ("Invalid option: expected one of …") is reworded; our schemas' messages name what is expected.
        const expected = i?.code === 'invalid_value' ? `one of ${i.values.map(String).join(', ')}` : (i?.message ?? 'valid parameters')
        const what = i?.code === 'unrecognized_keys' ? `unknown parameter ${i.keys.join(', ')}` : `${key === '' ? 'parameters' : `--${key}${given}`}: expected ${expected}`
        throw new HachaosError(`fault ${d.kind}: ${what}`, {
          code: 'E_FAULT_PARAMS',
          exit: 'USAGE',
          suggestions: Object.entries(d.paramHelp).map(([k, v]) => `${k}: ${v}`),
        })
      }
      return d.plan(r.data, env)
    },
  }
}
