/**
 * Measure Pacemaker failovers on the running pacemaker lab: every fault R times, predicted vs measured.
 *   node dist/test/bench/pacemaker-failover.js [ROUNDS] [KIND[:daemon]…]
 *   KIND: standby move nic-down corosync pacemakerd controld partition (default: all)
 * Needs root and `hachaos lab up --topology pacemaker` with HACHAOS_LAB_PREFIX set as for the lab.
 * Prints one line per run and the ratio measured/predicted; stops by itself.
 */
import {labPrefix} from '../../src/lab/paths.js'
import {drill, fmt, labContext, vipOwner, waitHealthy} from '../integration/pacemaker-harness.js'

const FAULTS: Record<string, {kind: string; params?: Record<string, unknown>}> = {
  standby: {kind: 'cluster-standby'},
  move: {kind: 'cluster-move'},
  'nic-down': {kind: 'nic-down'},
  corosync: {kind: 'cluster-kill', params: {daemon: 'corosync'}},
  pacemakerd: {kind: 'cluster-kill', params: {daemon: 'pacemakerd'}},
  controld: {kind: 'cluster-kill', params: {daemon: 'pacemaker-controld'}},
  partition: {kind: 'cluster-partition'},
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 1)
  const kinds = process.argv.slice(3).length > 0 ? process.argv.slice(3) : Object.keys(FAULTS)
  const ctx = await labContext(labPrefix())
  for (let r = 1; r <= rounds; r++) {
    for (const k of kinds) {
      const f = FAULTS[k]
      if (f === undefined) throw new Error(`unknown fault ${k}`)
      const h = await waitHealthy(ctx, 90_000)
      if (!h.ok) throw new Error(`lab not healthy before ${k}: ${h.last.problems.join('; ')}`)
      const target = (await vipOwner(ctx)) ?? 'n1'
      const o = await drill(ctx, {target, kind: f.kind, ...(f.params ? {params: f.params} : {}), holdMs: 3000, maxWaitMs: k === 'pacemakerd' || k === 'controld' ? 12_000 : 30_000, healTimeoutMs: 120_000})
      const p = o.prediction
      const ratio = p.takeoverMs !== null && o.vip.addedElsewhereMs !== null ? (o.vip.addedElsewhereMs / p.takeoverMs).toFixed(2) : '-'
      const sb = o.splitBrain.map((s) => `${s.kind} ${s.parties.join('+')} ${fmt(s.durationMs)}`).join(', ') || 'none'
      console.log(
        `${r} ${k.padEnd(10)} target ${target}${o.prediction.inputs["targetIsDc"] === true ? " (DC)" : ""}: VIP elsewhere ${fmt(o.vip.addedElsewhereMs)} (→ ${o.vip.newOwner ?? '-'}), off old ${fmt(o.vip.removedFromOldMs)}, ` +
          `crm_mon ${fmt(o.resourceMs)}, node lost ${fmt(o.nodeLostMs)}; predicted ${fmt(p.takeoverMs)} [${fmt(p.minMs)} … ${fmt(p.maxMs)}] ratio ${ratio}; ` +
          `split brain: ${sb}; healed ${fmt(o.healedAfterMs)}${o.reverted.ok ? '' : ` REVERT FAILED ${o.reverted.errors.join('; ')}`}`,
      )
      console.log(`    ${p.formula}`)
    }
  }
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
