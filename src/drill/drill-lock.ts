/**
 * One drill per target. The rule (README "One drill per target"): a drill locks its target AND every host its
 * stack's reaction involves — the load balancers (keepalived peers, and the HAProxies in front of a backend),
 * the nodes of a Pacemaker cluster, the bond's host — for its whole run, from before its first side effect
 * until its revert and failback are over. The set is taken at once, from the inventory's roles, before the
 * drill reads anything: two drills started together cannot both pass half-way. So two drills on one VRRP
 * pair or one cluster are refused (they would break each other's fault and measure each other's takeover),
 * and drills on stacks that share no host (another inventory, another lab) run side by side. Conservative: two
 * VRRP instances on the load balancers of one inventory count as one stack. `hachaos recover` takes the same
 * locks while it reverts.
 *
 * A host's key is its lab and name inside a lab (`lab-keepalived-hc-lb1`), its address elsewhere (two
 * inventories naming one machine differently still collide).
 *
 * Which hosts a drill locks is each stack's own word (StackModule.lockRoles): src/stacks/registry.ts
 * stackHosts() / drillLockKeys(); this file knows no stack.
 */
import {HachaosError} from '../errors.js'
import type {Inventory, InventoryHost} from '../inventory/inventory.js'
import {mayBeInjected, openEntries} from '../store/journal.js'
import {LockSet, type LockHolder} from '../store/locks.js'

export function hostLockKey(inv: Pick<Inventory, 'lab'>, h: Pick<InventoryHost, 'name' | 'address'>): string {
  if (inv.lab !== undefined) return `lab-${inv.lab.topology}-${inv.lab.prefix}-${h.name}`
  return `host-${h.address !== '' ? h.address : h.name}`
}

/**
 * Refuse to take over the stale lock of a drill that died with its fault possibly in place: the target may
 * still be broken, and a new drill would measure (and later "revert") a broken stack.
 */
export function refuseIfFaultLeft(was: LockHolder): HachaosError | null {
  const left = openEntries().entries.find((e) => (e.runId === was.runId || (e.pid === was.pid && e.machine === was.machine)) && mayBeInjected(e))
  if (left === undefined) return null
  return new HachaosError(`drill run ${was.runId} (PID ${was.pid}) died and may have left its fault in place: ${left.plan.summary}`, {
    code: 'E_BUSY_FAULT_LEFT',
    exit: 'BUSY',
    where: left.plan.target,
    suggestions: ['hachaos recover (reverts it from the journal), then run the drill again'],
  })
}

/** The lock set of one drill (what = the command line, shown to whoever is refused). */
export function drillLocks(runId: string, what: string, onWarn: (m: string) => void): LockSet {
  return new LockSet({
    runId,
    what,
    refuseStale: refuseIfFaultLeft,
    onStale: (key, was) => onWarn(`took over a stale lock on ${key}${was === null ? '' : ` (drill run ${was.runId}, PID ${was.pid}, is gone)`}`),
  })
}
