/**
 * oclif.manifest.json (written by `npm run build`) lists exactly the built commands with the flags their
 * classes declare: a stale manifest would hide a command or show wrong help. And with it, a command start
 * imports only that command (the manifest's purpose), checked by starting `nines` and looking at what loaded.
 */
import assert from 'node:assert/strict'
import {spawnSync, type SpawnSyncReturns} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join, relative, sep} from 'node:path'
import {pathToFileURL} from 'node:url'
import {describe, it} from 'node:test'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const DIST_COMMANDS = join(ROOT, 'dist', 'commands')

/** The built command files (not the shared `_*.js` bases). */
const commandFiles = (dir: string): string[] =>
  readdirSync(dir, {recursive: true, encoding: 'utf8'})
    .filter((p) => p.endsWith('.js') && !basename(p).startsWith('_'))
    .map((p) => join(dir, p))

interface Manifest {
  version: string
  commands: Record<string, {flags: Record<string, unknown>}>
}

describe('oclif manifest', () => {
  // read in each test: a missing manifest fails them, named
  const manifest = (): Manifest => JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as Manifest
  const files = commandFiles(DIST_COMMANDS)
  const idOf = (f: string): string => relative(DIST_COMMANDS, f).replace(/\.js$/, '').split(sep).join(':')

  it('has every built command and no other, at the package version', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {version: string}
    const m = manifest()
    assert.equal(m.version, pkg.version)
    assert.deepEqual(Object.keys(m.commands).sort(), files.map(idOf).sort())
  })

  it("lists each command's flags as its class declares them", async () => {
    const m = manifest()
    for (const f of files) {
      const mod = (await import(pathToFileURL(f).href)) as {default: {flags?: Record<string, unknown>; baseFlags?: Record<string, unknown>; enableJsonFlag?: boolean}}
      // oclif merges the base command's flags (--quiet, …) into each command's, and adds --json when enabled
      const declared = [...Object.keys({...mod.default.baseFlags, ...mod.default.flags}), ...(mod.default.enableJsonFlag === true ? ['json'] : [])].sort()
      const listed = Object.keys(m.commands[idOf(f)]?.flags ?? {}).sort()
      assert.deepEqual(listed, declared, idOf(f))
    }
  })

  it('a command start loads that command only', () => {
    let r: SpawnSyncReturns<string>
    // a resolve hook reports every module under dist/commands/ that the process imports
    const dir = mkdtempSync(join(tmpdir(), 'hx-manifest-'))
    try {
      writeFileSync(join(dir, 'hook.mjs'), `export async function resolve(s, c, n) {\n  const r = await n(s, c)\n  if (r.url.includes('/dist/commands/')) process.stderr.write('LOADED ' + r.url + '\\n')\n  return r\n}\n`)
      writeFileSync(join(dir, 'register.mjs'), `import {register} from 'node:module'\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hook.mjs')).href)})\n`)
      r = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, join(ROOT, 'bin', 'run.js'), 'nines', '99.9', '--json'], {cwd: ROOT, encoding: 'utf8'})
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
    assert.equal(r.status, 0, r.stderr)
    assert.doesNotThrow(() => JSON.parse(r.stdout))
    const loaded = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('LOADED '))
      .map((l) => l.slice(l.indexOf('/dist/commands/') + '/dist/commands/'.length))
    assert.ok(loaded.includes('nines.js'), r.stderr)
    // nines and the shared bases (_*.js) it extends; no other command
    assert.deepEqual(loaded.filter((l) => !l.startsWith('_') && l !== 'nines.js'), [])
  })
})
