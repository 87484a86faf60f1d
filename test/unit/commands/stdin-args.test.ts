/**
 * Optional positional arguments never come from stdin. oclif reads a missing argument from stdin when stdin
 * is not a TTY; under CI, cron or a pipe, `hachaos run --soak 10` then took whatever was piped in (an HTML page,
 * once) as the plan path, and `hachaos nines` took it as an objective. Every command's args set `ignoreStdin`;
 * this spawns the CLI with a busy, open stdin and checks the argument stayed missing.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
const BIN = join(ROOT, 'bin', 'run.js')
const home = mkdtempSync(join(tmpdir(), 'hachaos-stdin-'))
const env = {...process.env, HACHAOS_HOME: home, HACHAOS_LAB_ROOT: join(home, 'labs'), HACHAOS_LAB_PREFIX: 'zq', HACHAOS_INVENTORY: ''}

/** Runs the CLI with stdin a pipe that holds a page of HTML and stays open until the CLI exits. */
function withBusyStdin(args: string[]): Promise<{code: number | null; out: string}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {env, stdio: ['pipe', 'pipe', 'pipe']})
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stdin.on('error', () => undefined)
    child.stdin.write('<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n')
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, out})
    })
  })
}

after(() => rmSync(home, {recursive: true, force: true}))

describe('positional arguments ignore stdin', () => {
  it('hachaos nines: no objective given → the default table, not "<html>" as an objective', async () => {
    const r = await withBusyStdin(['nines', '--json'])
    assert.equal(r.code, 0, r.out)
    assert.doesNotMatch(r.out, /html/)
  })

  it('hachaos run --soak --dry-run: the plan stays absent (a soak needs none), not the piped page', async () => {
    const r = await withBusyStdin(['run', '--soak', '3', '--seed', '1', '--targets', 'lb1', '--dry-run', '--json'])
    assert.doesNotMatch(r.out, /html/, r.out)
    assert.doesNotMatch(r.out, /E_PLAN_READ/, r.out)
  })
})
