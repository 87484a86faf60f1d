/**
 * Measure Pacemaker failovers on the running pacemaker lab through the real CLI (`hachaos failover`):
 * every fault R times, predicted vs measured, and the ratio.
 *   node dist/test/bench/pacemaker-failover.js [ROUNDS] [FAULT…]
 *   FAULT: standby move nic-down corosync pacemakerd controld partition (default: all)
 * Needs root and `hachaos lab up --topology pacemaker [--fencing]` (same HACHAOS_LAB_PREFIX). Stops by itself.
 */
import type {DrillRun} from '../../src/store/run-types.js'
import {labPrefix} from '../../src/lab/paths.js'
import {runCli} from '../helpers/cli.js'
import {labContext, vipOwners, waitHealthy} from '../helpers/pacemaker.js'

const FAULTS: Record<string, string[]> = {
  standby: ['--fault', 'cluster-standby'],
  move: ['--fault', 'cluster-move'],
  'nic-down': ['--fault', 'nic-down'],
  corosync: ['--fault', 'cluster-kill', '--param', 'daemon=corosync'],
  pacemakerd: ['--fault', 'cluster-kill', '--param', 'daemon=pacemakerd'],
  controld: ['--fault', 'cluster-kill', '--param', 'daemon=pacemaker-controld'],
  partition: ['--fault', 'cluster-partition'],
}

const s = (ms: number | null | undefined): string => (ms === null || ms === undefined ? '-' : `${(ms / 1000).toFixed(3)} s`)

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 1)
  const kinds = process.argv.slice(3).length > 0 ? process.argv.slice(3) : Object.keys(FAULTS)
  const ctx = await labContext(labPrefix())
  for (let r = 1; r <= rounds; r++) {
    for (const k of kinds) {
      const args = FAULTS[k]
      if (args === undefined) throw new Error(`unknown fault ${k}`)
      const h = await waitHealthy(ctx, 90_000)
      if (!h.ok) throw new Error(`lab not healthy before ${k}: ${h.last.problems.join('; ')}`)
      const target = (await vipOwners(ctx))[0] ?? 'n1'
      const res = await runCli(['failover', '--target', target, ...args, '--no-save', '--json'], {timeoutMs: 240_000})
      const run = res.json as DrillRun | undefined
      if (run === undefined || run.metrics === undefined) {
        console.log(`${r} ${k}: exit ${res.code}: ${res.stderr.split('\n').slice(-5).join(' | ')}`)
        continue
      }
      const m = run.metrics
      const p = run.prediction
      const rel = m.extra['relocationMs'] ?? null
      const ratio = p.takeoverMs !== null && rel !== null ? (rel / p.takeoverMs).toFixed(2) : '-'
      const sb = run.splitBrain.map((x) => `${x.kind} ${x.parties.join('+')} ${s(x.durationMs)}`).join(', ') || 'none'
      console.log(
        `${r} ${k.padEnd(10)} ${target}${p.inputs['targetIsDc'] === true ? ' (DC)' : ''}: VIP on ${m.newOwner ?? '-'} after ${s(rel)}, off ${target} ${s(m.extra['vipRemovedMs'])}, ` +
          `crm_mon ${s(m.extra['resourceRelocationMs'])}, node lost ${s(m.extra['nodeLostMs'])}, GARP ${s(m.garpMs)}, outage ${s(m.outageMs)} (${m.lostProbes} lost); ` +
          `predicted ${s(p.takeoverMs)} [${s(p.minMs)} … ${s(p.maxMs)}] ratio ${ratio}; split brain: ${sb}; verdict ${run.verdict}, exit ${res.code}`,
      )
    }
  }
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
