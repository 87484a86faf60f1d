/**
 * `hachaos watch --tui` in a real terminal (tmux, a 160×48 pane) on the pacemaker lab: before anything the node
 * panel shows crm_mon's view (every node online, the VIP on one); a standby done by hand (crm_standby, not by
 * hachaos) shows up in the event log and as an incident line; q stops the watch, which exits 0 and saves the
 * incident. The lab is removed in after(), even on failure.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {LocalExecutor} from '../../src/exec/local.js'
import {executorFor} from '../../src/inventory/inventory.js'
import {inventoryFile} from '../../src/lab/paths.js'
import {clusterNodeName} from '../../src/stacks/pacemaker/targets.js'
import {sleep} from '../../src/time.js'
import {BIN, labPrefixForTests, runCli} from '../helpers/cli.js'
import {labContext, vipOwners} from '../helpers/pacemaker.js'

const prefix = labPrefixForTests()
const HOME = mkdtempSync(join(tmpdir(), 'hachaos-wtui-'))
const TOPO = ['--topology', 'pacemaker']
const local = new LocalExecutor()
const socket = `hachaos-wtui-${process.pid}`
const SESSION = 'w'
const tmux = (...args: string[]): Promise<{code: number | null; stdout: string; stderr: string}> => local.run(['tmux', '-L', socket, ...args])
const screen = async (): Promise<string> => (await tmux('capture-pane', '-p', '-t', SESSION)).stdout
const SAVE = process.env['HACHAOS_SAVE_SCREENS']

async function waitFor(what: RegExp, ms: number): Promise<string> {
  const end = Date.now() + ms
  let s = ''
  while (Date.now() < end) {
    s = await screen()
    if (what.test(s)) return s
    await sleep(200)
  }
  assert.fail(`${what} did not appear within ${ms} ms; screen:\n${s}`)
}

describe('hachaos watch --tui on the pacemaker lab (tmux)', () => {
  before(async () => {
    await runCli(['lab', 'down', ...TOPO])
    const r = await runCli(['lab', 'up', ...TOPO, '--json'], {timeoutMs: 180_000})
    assert.equal(r.code, 0, r.stderr)
  })
  after(async () => {
    await tmux('kill-server')
    await runCli(['lab', 'down', ...TOPO])
    rmSync(HOME, {recursive: true, force: true})
  })

  it('crm_mon view, a standby by hand as an incident, q stops with exit 0', async () => {
    const ctx = await labContext(prefix)
    const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`
    const cmd = ['env', `HACHAOS_HOME=${HOME}`, 'LANG=C.UTF-8', process.execPath, BIN, 'watch', '--tui', '--inventory', inventoryFile(prefix, 'pacemaker'), '--settle', '3s'].map(quote).join(' ')
    const started = await tmux('new-session', '-d', '-s', SESSION, '-x', '160', '-y', '48', `${cmd}; echo EXITED:$?; sleep 120`)
    assert.equal(started.code, 0, started.stderr)
    const owner = (await vipOwners(ctx))[0] as string
    const s1 = await waitFor(/online/, 30_000)
    if (SAVE !== undefined) writeFileSync(join(SAVE, 'watch-tui-1-before.txt'), s1)
    for (const n of ['n1', 'n2', 'n3']) assert.match(s1, new RegExp(n), s1)
    assert.doesNotMatch(s1, /EXITED:/, s1)

    const h = ctx.nodes.find((n) => n.name === owner)
    assert.ok(h !== undefined)
    const sb = await executorFor(h).run(['crm_standby', '--node', clusterNodeName(h), '--update', 'on'])
    assert.equal(sb.code, 0, sb.stderr)
    const s2 = await waitFor(new RegExp(`${owner}: standby`), 15_000)
    if (SAVE !== undefined) writeFileSync(join(SAVE, 'watch-tui-2-standby.txt'), s2)
    const s3 = await waitFor(/incident .*→/, 30_000)
    if (SAVE !== undefined) writeFileSync(join(SAVE, 'watch-tui-3-incident.txt'), s3)
    assert.match(s3, new RegExp(`incident ${owner} → n\\d`), s3)

    await tmux('send-keys', '-t', SESSION, 'q')
    const s4 = await waitFor(/EXITED:\d+/, 20_000)
    if (SAVE !== undefined) writeFileSync(join(SAVE, 'watch-tui-4-exit.txt'), s4)
    assert.match(s4, /EXITED:0/, s4)
    const saved = readdirSync(join(HOME, 'runs')).filter((f) => f.endsWith('.json'))
    assert.equal(saved.length, 1)
  })
})
