/**
 * Every --help example that needs the bond lab, run as written on it (issue 20): the monitor, capture,
 * failover and load examples, then the `lab up` variants (each on a fresh lab). Live monitors without an end
 * get SIGINT after a few seconds and must then exit 0.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {runCli} from '../helpers/cli.js'
import {checkExample, examplesFor} from './examples.js'

const cwd = mkdtempSync(join(tmpdir(), 'hachaos-examples-b-'))
const env = {HACHAOS_HOME: join(cwd, '.hachaos')}

describe('--help examples on the bond lab', () => {
  before(async () => {
    await runCli(['lab', 'down', '--topology', 'bond'])
    const up = await runCli(['lab', 'up', '--topology', 'bond', '--quiet'], {timeoutMs: 300_000})
    if (up.code !== 0) throw new Error(`lab up: ${up.stderr}`)
  })

  after(async () => {
    await runCli(['lab', 'down', '--topology', 'bond'])
    rmSync(cwd, {recursive: true, force: true})
  })

  for (const e of examplesFor('bond')) {
    it(e.command, {skip: e.meta.skip ?? false}, async () => {
      await checkExample(e, cwd, env)
    })
  }
})
