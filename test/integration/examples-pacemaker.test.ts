/**
 * Every --help example that needs the Pacemaker lab, run as written on it (issue 20). cluster.yaml is the
 * lab's inventory with n2 named node2, as the example names it; the doctor example that reads a node's own
 * /etc/corosync runs on n1 (through its executor: nsenter), with the CIB saved there by `cibadmin -Q`.
 */
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {parse, stringify} from 'yaml'

import {executorFor, findHost, loadInventory} from '../../src/inventory/inventory.js'
import {inventoryFile} from '../../src/lab/paths.js'
import {labPrefixForTests, runCli} from '../helpers/cli.js'
import {checkExample, examplesFor} from './examples.js'

const prefix = labPrefixForTests()
const cwd = mkdtempSync(join(tmpdir(), 'hachaos-examples-p-'))
const env = {HACHAOS_HOME: join(cwd, '.hachaos')}
const nodeArgv = new Map<string, (argv: string[]) => string[]>()

describe('--help examples on the Pacemaker lab', () => {
  before(async () => {
    await runCli(['lab', 'down', '--topology', 'pacemaker'])
    const up = await runCli(['lab', 'up', '--topology', 'pacemaker', '--nodes', '3', '--quiet'], {timeoutMs: 180_000})
    if (up.code !== 0) throw new Error(`lab up: ${up.stderr}`)
    const file = inventoryFile(prefix, 'pacemaker')
    const inv = parse(readFileSync(file, 'utf8')) as {hosts: Record<string, unknown>}
    const {n2, ...rest} = inv.hosts
    writeFileSync(join(cwd, 'cluster.yaml'), stringify({...inv, hosts: {...rest, node2: n2}}))
    const loaded = await loadInventory(file)
    const n1 = executorFor(findHost(loaded, 'n1'))
    nodeArgv.set('n1', (argv) => n1.command(argv))
    const cib = await n1.run(['cibadmin', '-Q'])
    if (cib.code !== 0) throw new Error(`cibadmin -Q on n1: ${cib.stderr}`)
    writeFileSync(join(cwd, 'cib.xml'), cib.stdout)
  })

  after(async () => {
    await runCli(['lab', 'down', '--topology', 'pacemaker'])
    rmSync(cwd, {recursive: true, force: true})
  })

  for (const e of examplesFor('pacemaker')) {
    it(e.command, {skip: e.meta.skip ?? false}, async () => {
      await checkExample(e, cwd, env, (host, argv) => {
        const f = nodeArgv.get(host)
        if (f === undefined) throw new Error(`no executor for ${host}`)
        return f(argv)
      })
    })
  }
})
