/**
 * House rules that the compiler does not check: src/ imports nothing from commands/, chaos/ or reports/ (and
 * never oclif); chaos/ and reports/ never import commands/; no import circle in src/ and no import from a lower
 * floor to a higher one (test/helpers/layering.ts); no `any` in the code; no shell strings handed to
 * child_process.
 */
import assert from 'node:assert/strict'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'
import {describe, it} from 'node:test'

import {FLOORS, findCycles, floorOf, floorViolations, importGraph, type Graph} from '../helpers/layering.js'

const ROOT = join(import.meta.dirname, '..', '..', '..')

function files(dir: string): string[] {
  const out: string[] = []
  for (const n of readdirSync(dir)) {
    const p = join(dir, n)
    if (statSync(p).isDirectory()) out.push(...files(p))
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p)
  }
  return out
}

const imports = (file: string): string[] => [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] as string)

describe('layering and house rules', () => {
  it('src/ imports nothing from commands/, chaos/, reports/, and not oclif', () => {
    const bad: string[] = []
    for (const f of files(join(ROOT, 'src'))) {
      for (const i of imports(f)) {
        if (/(^|\/)(commands|chaos|reports)\//.test(i) && i.startsWith('.') && !join(f, '..', i).startsWith(join(ROOT, 'src'))) bad.push(`${relative(ROOT, f)} → ${i}`)
        if (i.startsWith('@oclif/')) bad.push(`${relative(ROOT, f)} → ${i}`)
      }
    }
    assert.deepEqual(bad, [])
  })

  it('chaos/ and reports/ do not import commands/', () => {
    const bad: string[] = []
    for (const d of ['chaos', 'reports']) for (const f of files(join(ROOT, d))) for (const i of imports(f)) if (/commands\//.test(i)) bad.push(`${relative(ROOT, f)} → ${i}`)
    assert.deepEqual(bad, [])
  })

  it('no import circles in src/ (a depth-first search over the import graph, type-only imports included)', () => {
    const g = importGraph(ROOT)
    assert.ok(g.size > 100, `the graph has ${g.size} files`)
    assert.deepEqual(findCycles(g).map((c) => c.join(' → ')), [])
  })

  it('no import from a lower floor of src/ to a higher one, and every file on a floor', () => {
    assert.deepEqual(floorViolations(importGraph(ROOT)), [])
  })

  it('the checker finds a planted circle and a planted upward import', () => {
    // the real graph with one planted edge back: the registry imports the engine; the engine (planted) the registry
    const g: Graph = new Map([...importGraph(ROOT)].map(([k, v]) => [k, [...v]]))
    g.get('src/drill/engine.ts')?.push('src/stacks/registry.ts')
    const cycles = findCycles(g)
    assert.equal(cycles.length > 0, true)
    assert.ok(cycles.some((c) => c[0] === c[c.length - 1] && c.includes('src/drill/engine.ts') && c.includes('src/stacks/registry.ts')), JSON.stringify(cycles))
    assert.deepEqual(floorViolations(g), ['src/drill/engine.ts (floor 4) → src/stacks/registry.ts (floor 6)'])
    // a small circle on its own, reported as its path
    assert.deepEqual(findCycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), [['a', 'b', 'c', 'a']])
    assert.deepEqual(findCycles(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]])), [])
    // floors: the most specific prefix wins
    assert.equal(floorOf('src/stacks/registry.ts'), 6)
    assert.equal(floorOf('src/stacks/keepalived/live.ts'), 5)
    assert.equal(floorOf('src/stacks/keepalived/lab/lab.ts', FLOORS), 6)
    assert.equal(floorOf('src/lab/netns-ops.ts'), 2)
  })

  it('no `any` in the code', () => {
    const bad: string[] = []
    for (const d of ['src', 'commands', 'chaos', 'reports', 'test']) {
      for (const f of files(join(ROOT, d))) {
        if (f.endsWith('layering.test.ts')) continue // its own patterns
        readFileSync(f, 'utf8')
          .split('\n')
          .forEach((l, n) => {
            const t = l.trim()
            if (t.startsWith('*') || t.startsWith('/*') || t.startsWith('//')) return
            const code = l.replace(/\/\/.*$/, '').replace(/'[^']*'|"[^"]*"|`[^`]*`/g, '""')
            // `any` in a type position: `: any` before a delimiter, `as any`, `<any>`, `any[]`
            if (/(:\s*any\s*([,;)=|>\]}]|$)|\bas\s+any\b|<any>|\bany\[\])/.test(code)) bad.push(`${relative(ROOT, f)}:${n + 1}`)
          })
      }
    }
    assert.deepEqual(bad, [])
  })

  it('no shell strings: child_process is used with argv arrays only (no exec/execSync, no shell: true)', () => {
    const bad: string[] = []
    for (const d of ['src', 'commands', 'chaos', 'reports']) {
      for (const f of files(join(ROOT, d))) {
        const t = readFileSync(f, 'utf8')
        if (/\b(exec|execSync)\s*\(/.test(t) && /from 'node:child_process'/.test(t) && /import\s*\{[^}]*\bexec(Sync)?\b/.test(t)) bad.push(relative(ROOT, f))
        if (/shell:\s*true/.test(t)) bad.push(`${relative(ROOT, f)} (shell: true)`)
      }
    }
    assert.deepEqual(bad, [])
  })
})
