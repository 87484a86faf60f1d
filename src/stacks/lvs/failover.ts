/**
 * How long the cluster takes to replace a dead director (or node), from the configs one doctor run reads
 * together: what a real-server checker is compared with (ldirectord's and keepalived's "removal slower than
 * failover" rules). Pure.
 */
import type {Loc} from '../../config/common.js'
import type {DoctorInput} from '../../doctor/types.js'

export interface FailoverBudget {
  ms: number
  what: string
  at: Loc
  host: string
}

/** Every director/node failover time the configs describe, with where it comes from. */
export function failoverBudgets(input: DoctorInput): FailoverBudget[] {
  const out: FailoverBudget[] = []
  for (const host of input.hosts) {
    for (const k of host.keepalived) {
      for (const inst of k.vrrpInstances) {
        // RFC 3768 / 5798: Master_Down_Interval = 3 × advert + Skew_Time of this instance as a backup
        const skew = inst.version === 2 ? ((256 - inst.priority) / 256) * 1000 : (((256 - inst.priority) * Math.round(inst.advertInt * 100)) / 256) * 10
        out.push({ms: 3 * inst.advertInt * 1000 + skew, what: `VRRP ${inst.name} Master_Down_Interval`, at: {file: inst.file, line: inst.line}, host: host.host})
      }
    }
    for (const c of host.haCf) {
      const d = c.deadtime
      out.push({ms: d?.ms ?? 30_000, what: 'Heartbeat deadtime', at: d ?? {file: c.file, line: 1}, host: host.host})
    }
    for (const c of host.corosync) {
      const t = c.totem.token
      if (t !== undefined) out.push({ms: t.ms, what: 'Corosync totem token', at: {file: c.file, line: t.line}, host: host.host})
    }
  }
  return out
}

/** The slowest of them (the first of equals), or null when the run has no failover config. */
export function slowestFailover(input: DoctorInput): FailoverBudget | null {
  const budgets = failoverBudgets(input)
  return budgets.length === 0 ? null : budgets.reduce((a, b) => (b.ms > a.ms ? b : a))
}

/** ms as seconds with up to 3 decimals, trailing zeros dropped: 3609 → "3.609 s", 4000 → "4 s". */
export const fmtS = (ms: number): string => `${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')} s`
