/**
 * `npm run torture`: long CTS-style torture series (issue 12) on the labs — drills each killed by a seeded
 * random signal (KILL, TERM, INT) at a seeded random moment of a seeded random fault, `hachaos recover`, then
 * the lab audit (src/lab/audit.ts). Prints tries / clean / left behind by kind per lab; the goal is 0 left
 * behind in 50 tries per lab. Needs root (it builds the labs); on a shared machine run it under the lab lock:
 *
 *   flock /work/lab.lock npm run torture -- --lab keepalived --tries 50
 *
 * Options: --lab keepalived|pacemaker|bond|all (default all), --tries N (default 50), --seed N (default: new,
 * printed; also TORTURE_SEED), --max-ms N (latest signal moment, default 9000: the issue's 0.3–9 s; on a
 * loaded machine a drill may not have reached its fault by then — the summary counts the phases signalled).
 */
import {labPrefixForTests, runCli} from '../helpers/cli.js'
import {BOND_FAULTS, describeTry, KEEPALIVED_FAULTS, PACEMAKER_FAULTS, tortureSeed, tortureSeries, type TortureFault, type TortureSummary} from '../helpers/torture.js'

interface LabPlan {
  topology: string
  faults: TortureFault[]
  upArgs: string[]
  settleMs: number
  maxMs?: number
}

const LABS: LabPlan[] = [
  {topology: 'keepalived', faults: KEEPALIVED_FAULTS, upArgs: [], settleMs: 45_000},
  {topology: 'pacemaker', faults: PACEMAKER_FAULTS, upArgs: ['--nodes', '3'], settleMs: 90_000, maxMs: 20_000},
  {topology: 'bond', faults: BOND_FAULTS, upArgs: [], settleMs: 45_000, maxMs: 7000},
]

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i < 0 ? undefined : process.argv[i + 1]
}

async function main(): Promise<void> {
  const which = arg('lab') ?? 'all'
  const tries = Number(arg('tries') ?? 50)
  const seedArg = arg('seed')
  const seed = seedArg !== undefined ? Number(seedArg) : tortureSeed()
  const prefix = labPrefixForTests()
  const out: TortureSummary[] = []
  for (const lab of LABS.filter((l) => which === 'all' || l.topology === which)) {
    await runCli(['lab', 'down', '--topology', lab.topology], {timeoutMs: 120_000})
    const up = await runCli(['lab', 'up', '--topology', lab.topology, ...lab.upArgs], {timeoutMs: 300_000})
    if (up.code !== 0) {
      process.stderr.write(`lab up --topology ${lab.topology} failed:\n${up.stderr}\n`)
      continue
    }
    try {
      const maxMs = arg('max-ms') !== undefined ? Number(arg('max-ms')) : lab.maxMs
      out.push(await tortureSeries({topology: lab.topology, prefix, faults: lab.faults, tries, seed, settleMs: lab.settleMs, labUpArgs: lab.upArgs, ...(maxMs === undefined ? {} : {maxMs})}))
    } finally {
      await runCli(['lab', 'down', '--topology', lab.topology], {timeoutMs: 120_000})
    }
  }
  console.log(`\ntorture (seed ${seed})`)
  console.log(`${'lab'.padEnd(12)}${'tries'.padStart(6)}${'clean'.padStart(7)}  left behind by kind`)
  for (const s of out) console.log(`${s.topology.padEnd(12)}${String(s.tries.length).padStart(6)}${String(s.clean).padStart(7)}  ${Object.entries(s.leftBehind).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`)
  for (const s of out) {
    const byFault = new Map<string, {n: number; clean: number}>()
    for (const t of s.tries) {
      const x = byFault.get(t.fault) ?? {n: 0, clean: 0}
      x.n++
      if (t.clean) x.clean++
      byFault.set(t.fault, x)
    }
    console.log(`\n${s.topology}: by fault`)
    for (const [f, x] of byFault) console.log(`  ${f.padEnd(28)} ${x.clean}/${x.n} clean`)
    const signals = new Map<string, number>()
    for (const t of s.tries) signals.set(`${t.signal}${t.endedBeforeSignal ? ' (after its end)' : ''}`, (signals.get(t.signal) ?? 0) + 1)
    console.log(`  signals: ${[...signals].map(([k, v]) => `${k} ${v}`).join(', ')}`)
    const phases = new Map<string, {n: number; clean: number}>()
    for (const t of s.tries) {
      const x = phases.get(t.phase) ?? {n: 0, clean: 0}
      x.n++
      if (t.clean) x.clean++
      phases.set(t.phase, x)
    }
    console.log(`  signalled in phase: ${[...phases].map(([k, x]) => `${k} ${x.clean}/${x.n} clean`).join(', ')}`)
    for (const t of s.tries.filter((x) => !x.clean)) console.log(`  ${describeTry(s.seed, t)}`)
  }
  if (out.some((s) => s.clean !== s.tries.length)) process.exitCode = 1
}

await main()
