/**
 * The import graph of src/ and its two house rules (test/unit/layering.test.ts): no circle (a depth-first
 * search over the graph; a back edge is a circle, reported as its path), and no import from a lower floor to
 * a higher one (floors below, most specific prefix wins). Pure over a graph, so a planted circle can be tested.
 */
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'

/**
 * The floors of src/, lowest first. A file may import its own floor and the ones below, never above.
 *   0 core: errors, time, small utilities
 *   1 the machine and the formats: executors, configuration parsers, the HTTP probe
 *   2 hosts: the inventory, service control (systemd or the lab's daemons), the labs' namespace kit
 *   3 records and models: run store and journal, faults, captures, the timeline, SLA, report model, bond, iperf
 *   4 the drill engine and its kit, doctor, the dashboard
 *   5 the stacks (src/stacks/<name>/): each knows its own hosts, configs, prediction, observers, hooks
 *   6 what names every stack or builds one whole: the stack registry, the labs of each topology
 *   7 what looks at every lab at once: the lab audit (src/lab/audit.ts)
 */
export const FLOORS: ReadonlyArray<readonly [string, number]> = [
  ['src/errors.ts', 0],
  ['src/time.ts', 0],
  ['src/util/', 0],
  ['src/types/', 0],
  ['src/exec/', 1],
  ['src/config/', 1],
  ['src/probe/', 1],
  ['src/inventory/', 2],
  ['src/services/', 2],
  ['src/lab/', 2],
  ['src/store/', 3],
  ['src/fault/', 3],
  ['src/capture/', 3],
  ['src/timeline/', 3],
  ['src/sla/', 3],
  ['src/report/', 3],
  ['src/bond/', 3],
  ['src/iperf/', 3],
  ['src/drill/', 4],
  ['src/doctor/', 4],
  ['src/tui/', 4],
  // hachaos watch: the stacks give it their watch hook (src/watch/types.ts); it names none
  ['src/watch/', 4],
  ['src/stacks/', 5],
  ['src/stacks/registry.ts', 6],
  ['src/lab/registry.ts', 6],
  ['src/stacks/keepalived/lab/', 6],
  ['src/stacks/heartbeat/lab/', 6],
  ['src/stacks/pacemaker/lab/', 6],
  ['src/lab/bond/', 6],
  ['src/stacks/gluster/lab/', 6],
  ['src/stacks/lvs/lab/', 6],
  // The lab audit (torture tests, game days) looks at every lab through the registry and at the journal.
  ['src/lab/audit.ts', 7],
  // Game days run drills (the stacks' registry) with the lab audit around every step.
  ['src/gameday/', 8],
]

/** The floor of a file (repository-relative path), or null when no prefix covers it. */
export function floorOf(file: string, floors: ReadonlyArray<readonly [string, number]> = FLOORS): number | null {
  let best: readonly [string, number] | null = null
  for (const f of floors) if (file.startsWith(f[0]) && (best === null || f[0].length > best[0].length)) best = f
  return best === null ? null : best[1]
}

export type Graph = Map<string, string[]>

function tsFiles(dir: string): string[] {
  const out: string[] = []
  for (const n of readdirSync(dir)) {
    const p = join(dir, n)
    if (statSync(p).isDirectory()) out.push(...tsFiles(p))
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p)
  }
  return out
}

const IMPORT = /^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm

/** Relative imports (type-only ones too) of every .ts file under `dir`, as repository-relative paths. */
export function importGraph(root: string, dir = 'src'): Graph {
  const g: Graph = new Map()
  for (const f of tsFiles(join(root, dir))) {
    const from = relative(root, f)
    const to: string[] = []
    for (const m of readFileSync(f, 'utf8').matchAll(IMPORT)) {
      const spec = m[1] as string
      if (!spec.startsWith('.')) continue
      to.push(relative(root, resolve(dirname(f), spec.replace(/\.js$/, '.ts'))))
    }
    g.set(from, to)
  }
  return g
}

/** Every circle found by a depth-first search (one per back edge), each as the path a → … → a. */
export function findCycles(g: Graph): string[][] {
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const cycles: string[][] = []
  // Iterative DFS (src/ is deep enough that recursion depth is no concern, but the graph may grow).
  for (const start of [...g.keys()].sort()) {
    if (state.has(start)) continue
    const work: Array<{node: string; next: number}> = [{node: start, next: 0}]
    state.set(start, 'open')
    stack.push(start)
    while (work.length > 0) {
      const top = work[work.length - 1] as {node: string; next: number}
      const edges = g.get(top.node) ?? []
      if (top.next < edges.length) {
        const to = edges[top.next++] as string
        const s = state.get(to)
        if (s === 'open') cycles.push([...stack.slice(stack.indexOf(to)), to])
        else if (s === undefined) {
          state.set(to, 'open')
          stack.push(to)
          work.push({node: to, next: 0})
        }
      } else {
        state.set(top.node, 'done')
        stack.pop()
        work.pop()
      }
    }
  }
  return cycles
}

/** Imports from a lower floor to a higher one, and files no floor covers. */
export function floorViolations(g: Graph, floors: ReadonlyArray<readonly [string, number]> = FLOORS): string[] {
  const bad: string[] = []
  for (const [from, tos] of g) {
    const a = floorOf(from, floors)
    if (a === null) {
      bad.push(`${from}: on no floor (add it to FLOORS)`)
      continue
    }
    for (const to of tos) {
      const b = floorOf(to, floors)
      if (b !== null && b > a) bad.push(`${from} (floor ${a}) → ${to} (floor ${b})`)
    }
  }
  return bad
}
