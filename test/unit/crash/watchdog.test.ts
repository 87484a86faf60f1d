/**
 * Streams die with hachaos: a program started through Executor.spawn ends within a second when the hachaos
 * process that started it is SIGKILLed (its pipe closes; the watchdog shell ends the program).
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {createInterface} from 'node:readline'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, it} from 'node:test'

import {fromWatchdogCode} from '../../../src/exec/process.js'
import {sleep} from '../../../src/time.js'

const LOCAL = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'exec', 'local.js')

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** A parent (standing in for hachaos) that spawns a long program through the local executor and prints its PID. */
function parentWithStream(program: string): Promise<{parent: number; program: number}> {
  const script = `
    const {LocalExecutor} = await import(${JSON.stringify(LOCAL)})
    const s = new LocalExecutor('h').spawn([process.execPath, '-e', ${JSON.stringify(program)}], {onLine: (l) => { if (l.text.startsWith('pid ')) console.log(l.text) }})
    setInterval(() => {}, 1000)
  `
  const p = spawn(process.execPath, ['--input-type=module', '-e', script], {stdio: ['ignore', 'pipe', 'inherit']})
  return new Promise((resolve, reject) => {
    const rl = createInterface({input: p.stdout})
    rl.on('line', (l) => {
      const m = /^pid (\d+)/.exec(l)
      if (m !== null && p.pid !== undefined) resolve({parent: p.pid, program: Number(m[1])})
    })
    p.on('exit', () => reject(new Error('parent exited early')))
  })
}

describe('streams die with their parent (watchdog)', () => {
  for (const sig of ['SIGKILL', 'SIGTERM'] as const) {
    it(`the program ends within 1 s of its parent's ${sig}`, async () => {
      // The program ignores its stdout breaking (like a probe loop would keep going): only the watchdog stops it.
      const {parent, program} = await parentWithStream('console.log("pid " + process.pid); process.stdout.on("error", () => {}); setInterval(() => {}, 1000)')
      assert.ok(alive(program))
      process.kill(parent, sig)
      const t0 = Date.now()
      while (alive(program) && Date.now() - t0 < 3000) await sleep(20)
      const took = Date.now() - t0
      assert.ok(!alive(program), `program ${program} still running 3 s after its parent died`)
      assert.ok(took <= 1000, `program ended ${took} ms after the parent (goal ≤ 1000 ms)`)
    })
  }

  it('maps the watchdog exit status 128+N back to the program\'s signal', () => {
    assert.deepEqual(fromWatchdogCode(143), [null, 'SIGTERM'])
    assert.deepEqual(fromWatchdogCode(137), [null, 'SIGKILL'])
    assert.deepEqual(fromWatchdogCode(3), [3, null])
    assert.deepEqual(fromWatchdogCode(127), [127, null])
    assert.deepEqual(fromWatchdogCode(null), [null, null])
  })
})
