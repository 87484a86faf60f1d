/**
 * A seeded random soak, as Pacemaker's CTS draws its tests from a catalogue: N drills drawn from the faults
 * that apply to each target (the target's stack, src/stacks/registry.ts, and its role), random holds within
 * bounds, all from one seed (src/util/rng.ts): the same seed replays the same series, and the seed is printed.
 */
import {HachaosError} from '../errors.js'
import {findHost, type Inventory, type InventoryHost} from '../inventory/inventory.js'
import {STACKS} from '../stacks/registry.js'
import type {Stack} from '../store/run-types.js'
import {rng} from '../util/rng.js'
import type {DrillStep, GameDayPlan, SoakSpec} from './plan.js'

/** One drill of the catalogue: a fault kind with its parameters, for the targets with one of `roles`. */
export interface CatalogueEntry {
  name: string
  fault: string
  params: Record<string, string>
  roles: string[]
  /** A fixed hold (faults that never "recover" by themselves: a split brain lasts as long as the fault). */
  holdMs?: number
  /** Split brain expected (the drill's point). */
  splitBrain?: boolean
}

/** What the fault registry (chaos/registry.ts) says of a fault: its kind and the stacks it makes sense on. */
export interface FaultInfo {
  kind: string
  stacks: readonly Stack[]
}

/** The catalogue: the faults of the built-in stacks, each with the parameters that make it one drill. */
export const CATALOGUE: readonly CatalogueEntry[] = [
  {name: 'nic-down', fault: 'nic-down', params: {}, roles: ['lb']},
  {name: 'kill keepalived TERM', fault: 'kill', params: {process: 'keepalived', signal: 'TERM'}, roles: ['lb']},
  {name: 'kill keepalived KILL', fault: 'kill', params: {process: 'keepalived', signal: 'KILL'}, roles: ['lb']},
  {name: 'kill haproxy', fault: 'kill', params: {process: 'haproxy'}, roles: ['lb']},
  {name: 'service-stop keepalived', fault: 'service-stop', params: {service: 'keepalived'}, roles: ['lb']},
  {name: 'drop-vrrp', fault: 'drop-vrrp', params: {}, roles: ['lb'], holdMs: 6000, splitBrain: true},
  {name: 'kill apache2', fault: 'kill', params: {process: 'apache2'}, roles: ['web']},
  {name: 'cluster-standby', fault: 'cluster-standby', params: {}, roles: ['cluster-node']},
  {name: 'cluster-move', fault: 'cluster-move', params: {}, roles: ['cluster-node']},
  {name: 'cluster-kill corosync', fault: 'cluster-kill', params: {daemon: 'corosync'}, roles: ['cluster-node']},
  {name: 'cluster-partition', fault: 'cluster-partition', params: {}, roles: ['cluster-node'], holdMs: 8000},
  {name: 'nic-down cluster node', fault: 'nic-down', params: {}, roles: ['cluster-node']},
]

/** The stacks a target is drilled as (its stack module's record kinds), none when no stack takes it. */
function stacksOf(h: InventoryHost, inv: Inventory): readonly Stack[] {
  const s = STACKS.find((x) => x.matches(h, inv))
  return s === undefined ? [] : s.records
}

/** Catalogue entries that apply to `target`: its role, a fault its stack has, and the --faults filter. */
export function applicable(inv: Inventory, target: InventoryHost, faults: readonly FaultInfo[], only: readonly string[] | null): CatalogueEntry[] {
  const stacks = stacksOf(target, inv)
  return CATALOGUE.filter((c) => {
    if (!c.roles.some((r) => target.roles.includes(r))) return false
    // the lab host of a cluster node is also no 'lb': one role decides, so a cluster nic-down is not drawn twice
    if (c.roles.includes('cluster-node') !== target.roles.includes('cluster-node')) return false
    const f = faults.find((x) => x.kind === c.fault)
    if (f === undefined || !f.stacks.some((s) => stacks.includes(s))) return false
    return only === null || only.includes(c.name) || only.includes(c.fault)
  })
}

export interface DrawOptions {
  spec: SoakSpec
  /** The seed to use when the spec has none (printed by the caller). */
  seed: number
  inventory: Inventory
  faults: readonly FaultInfo[]
  /** Targets when the spec names none: those of the plan's drill steps. */
  defaultTargets: string[]
  defaults: GameDayPlan['defaults']
}

/** The drawn series: N drill steps, the same for the same seed, catalogue and targets. */
export function drawSoak(o: DrawOptions): {seed: number; steps: DrillStep[]} {
  const seed = o.spec.seed ?? o.seed
  const names = o.spec.targets ?? o.defaultTargets
  if (names.length === 0) {
    throw new HachaosError('the soak has no targets', {code: 'E_USAGE', exit: 'USAGE', suggestions: ['name them: --targets lb1,web1 (or soak: {targets: [lb1, web1]} in the plan)']})
  }
  const pool = [...new Set(names)].map((n) => {
    const h = findHost(o.inventory, n)
    return {host: h, entries: applicable(o.inventory, h, o.faults, o.spec.faults)}
  })
  const empty = pool.filter((p) => p.entries.length === 0)
  if (empty.length > 0) {
    throw new HachaosError(`no fault of the catalogue applies to ${empty.map((p) => `${p.host.name} (roles: ${p.host.roles.join(', ') || 'none'})`).join(', ')}`, {
      code: 'E_USAGE',
      exit: 'USAGE',
      where: empty[0]?.host.name ?? '',
      suggestions: [`the catalogue: ${CATALOGUE.map((c) => `${c.name} (${c.roles.join('/')})`).join('; ')}`, 'drop that target, or widen --faults'],
    })
  }
  const r = rng(seed)
  const steps: DrillStep[] = []
  for (let i = 0; i < o.spec.count; i++) {
    const p = pool[Math.floor(r() * pool.length)] as (typeof pool)[number]
    const c = p.entries[Math.floor(r() * p.entries.length)] as CatalogueEntry
    const h = o.spec.hold
    // Always draw the hold, used or not: the series does not shift when an entry has a fixed hold.
    const u = r()
    const holdMs = c.holdMs ?? (h === null ? null : Math.round((h.minMs + u * (h.maxMs - h.minMs)) / 100) * 100)
    steps.push({
      kind: 'drill',
      name: `soak ${i + 1}/${o.spec.count}`,
      target: p.host.name,
      fault: c.fault,
      params: {...c.params},
      holdMs,
      rate: o.defaults.rate,
      probeTimeoutMs: o.defaults.probeTimeoutMs,
      toleranceMs: o.defaults.toleranceMs,
      maxOutageMs: o.defaults.maxOutageMs,
      splitBrain: c.splitBrain ?? null,
      continueOnAudit: false,
      soak: c.name,
    })
  }
  return {seed, steps}
}

/** A fresh seed (32 bits), when neither the plan nor --seed gives one. */
export function freshSeed(): number {
  return Math.floor(Math.random() * 2 ** 32) >>> 0
}
