/**
 * Every stack a drill can run on, registered once here (one line per stack folder), like the fault registry
 * (chaos/registry.ts) and the lab registry (src/lab/registry.ts). A drill's stack is the first whose
 * `matches(target, inventory)` holds — from the target's roles and facts, never an `if` chain by name.
 */
import {HachaosError} from '../errors.js'
import {SHARED_RULES} from '../doctor/index.js'
import {hostLockKey} from '../drill/drill-lock.js'
import type {Rule} from '../doctor/types.js'
import type {DrillOptions, PreparedDrill} from '../drill/options.js'
import {phases, type Phase} from '../drill/summary.js'
import {findHost, type Inventory, type InventoryHost} from '../inventory/inventory.js'
import type {DrillRun, Stack} from '../store/run-types.js'
import {keepalivedStack} from './keepalived/stack.js'
import {pacemakerStack} from './pacemaker/stack.js'
import {heartbeatStack} from './heartbeat/stack.js'
import {glusterStack} from './gluster/stack.js'
import {lvsStack} from './lvs/stack.js'
import type {SoakFault, StackModule} from './types.js'

/**
 * In order of precedence: a host that is both a cluster node and a load balancer is drilled as a cluster node;
 * an LVS director (keepalived with virtual_servers) as a director, before keepalived's lb.
 */
export const STACKS: readonly StackModule[] = [pacemakerStack, lvsStack, keepalivedStack, heartbeatStack, glusterStack]

/** The stack a drill on `target` is, or undefined when none takes it. */
export function findStack(target: InventoryHost, inventory: Inventory): StackModule | undefined {
  return STACKS.find((x) => x.matches(target, inventory))
}

export function stackFor(target: InventoryHost, inventory: Inventory): StackModule {
  const s = findStack(target, inventory)
  if (s === undefined) {
    throw new HachaosError(`no stack takes ${target.name} as a drill target (roles: ${target.roles.join(', ') || 'none'})`, {
      code: 'E_TARGET_ROLE',
      exit: 'USAGE',
      where: target.name,
      suggestions: STACKS.map((x) => x.summary),
    })
  }
  return s
}

/**
 * What a seeded soak may draw on `target` (src/gameday/soak.ts): its stack's soak faults, with the stack's
 * record kinds (to match the fault registry's `stacks`); no stack, or one without a soak catalogue: none.
 */
export function soakFaultsFor(target: InventoryHost, inventory: Inventory): {stack: string | null; records: readonly Stack[]; faults: readonly SoakFault[]} {
  const s = findStack(target, inventory)
  if (s === undefined) return {stack: null, records: [], faults: []}
  return {stack: s.name, records: s.records, faults: s.soakFaults?.(target, inventory) ?? []}
}

/** Every stack's soak catalogue, for listings (`run --help`, the error when no fault applies). */
export function soakCatalogue(): {stack: string; entries: readonly SoakFault[]}[] {
  return STACKS.flatMap((s) => (s.soakCatalogue === undefined || s.soakCatalogue.length === 0 ? [] : [{stack: s.name, entries: s.soakCatalogue}]))
}

/** From an inventory and a target to a drill ready to run, by the target's stack. */
export function prepareDrill(o: DrillOptions): Promise<PreparedDrill> {
  const stack = stackFor(findHost(o.inventory, o.target), o.inventory)
  const keys = Object.keys(stack.params ?? {})
  if (keys.length === 0) return stack.prepare(o)
  // the stack's own --param keys go to it, the others to the fault (whose schema refuses keys it does not know)
  const stackParams: Record<string, string> = {}
  for (const k of keys) if (o.params?.[k] !== undefined) stackParams[k] = String(o.params[k])
  return stack.prepare({...o, stackParams, planFault: (env, omit = []) => o.planFault(env, [...omit, ...keys])})
}

/** The stack that watches an inventory's pair (`hachaos watch`): the first whose watch hook takes it. */
export function watchStackFor(inventory: Inventory): StackModule & {watch: NonNullable<StackModule['watch']>} {
  for (const s of STACKS) if (s.watch !== undefined && s.watch.matches(inventory)) return {...s, watch: s.watch}
  throw new HachaosError(`no stack can watch ${inventory.file}: no pair it knows in its hosts`, {
    code: 'E_TARGET_ROLE',
    exit: 'USAGE',
    where: inventory.file,
    suggestions: [...STACKS.flatMap((x) => (x.watch === undefined ? [] : [x.watch.summary])), 'bring up the keepalived lab: hachaos lab up'],
  })
}

/** The moments of a drill for a reader, with those of the stack that ran it. */
export function drillPhases(run: DrillRun): Phase[] {
  return phases(run, (r) => STACKS.filter((s) => s.records.includes(r.stack)).flatMap((s) => s.phases(r)))
}

export type {DrillOptions, PreparedDrill} from '../drill/options.js'

/** Every doctor rule: the shared ones (src/doctor/rules: infrastructure, doctor's own) and each stack's own. */
export function doctorRules(): readonly Rule[] {
  return [...SHARED_RULES, ...STACKS.flatMap((s) => s.rules ?? [])]
}

/** What a stack without `lockRoles` locks: the hosts that share a role with the target (a client never counts). */
const defaultLockRoles = (target: InventoryHost): string[] => target.roles.filter((r) => r !== 'client')

/**
 * The hosts a drill on `target` locks (src/drill/drill-lock.ts, "One drill per target"): the target and every
 * host with one of the `lockRoles` of each stack that takes the target (all of them, not only the first: a host
 * that is both a cluster node and a load balancer locks both its cluster and its VRRP peers). A target no stack
 * takes locks itself only.
 */
export function stackHosts(inv: Inventory, target: InventoryHost, stacks: readonly StackModule[] = STACKS): InventoryHost[] {
  const roles = new Set(stacks.filter((s) => s.matches(target, inv)).flatMap((s) => s.lockRoles ?? defaultLockRoles(target)))
  return inv.hosts.filter((h) => h.name === target.name || h.roles.some((r) => roles.has(r)))
}

/** Lock keys of a drill on `target` (sorted, unique). */
export function drillLockKeys(inv: Inventory, target: InventoryHost): string[] {
  return [...new Set(stackHosts(inv, target).map((h) => hostLockKey(inv, h)))].sort()
}

/** What a run record's `stack` is, in words (from the stack that writes it; the key itself when none does). */
export function stackLabel(key: string): string {
  for (const s of STACKS) {
    const label = (s.recordLabels as Readonly<Record<string, string | undefined>>)[key]
    if (label !== undefined) return label
  }
  return key
}
