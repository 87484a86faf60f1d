/**
 * The read-only commands as an unprivileged user (`runuser -u nobody`), with the keepalived lab up (issue 20,
 * item 5): each gives the answer root gets (same exit code, same stdout), or exit 4 with "needs root" — never
 * a symptom (a lab that looks down, a missing interface, an ERROR finding). With --json, the "needs root"
 * error is the small JSON object on stdout.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {fixturePath} from '../fixture.js'
import {BIN, runCli} from '../helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'hachaos-nobody-'))
chmodSync(dir, 0o755)
const env: NodeJS.ProcessEnv = {...process.env, HACHAOS_HOME: join(dir, 'home'), HOME: dir}
delete env['HACHAOS_INVENTORY']

interface Out {
  code: number | null
  out: string
  err: string
}

function as(user: 'root' | 'nobody', args: string[]): Out {
  const argv = user === 'root' ? [process.execPath, BIN, ...args] : ['runuser', '-u', 'nobody', '--', process.execPath, BIN, ...args]
  const r = spawnSync(argv[0] as string, argv.slice(1), {encoding: 'utf8', env, cwd: dir, timeout: 120_000})
  return {code: r.status, out: r.stdout, err: r.stderr}
}

/** Same answer as root, or exit 4 saying "needs root". */
function sameOrNeedsRoot(args: string[], {mustNeedRoot = false, sameStdout = true}: {mustNeedRoot?: boolean; sameStdout?: boolean} = {}): void {
  const n = as('nobody', args)
  if (n.code === 4) {
    const text = args.includes('--json') ? (JSON.parse(n.out) as {error: {code: string; message: string}}).error.message : n.err
    assert.match(text, /needs root/, `${args.join(' ')}: exit 4 without "needs root": ${n.err}${n.out}`)
    if (args.includes('--json')) assert.equal((JSON.parse(n.out) as {error: {code: string}}).error.code, 'E_NOT_ROOT')
    return
  }
  assert.ok(!mustNeedRoot, `${args.join(' ')} as nobody: exit ${n.code}, expected 4 (needs root): ${n.err}${n.out.slice(0, 500)}`)
  const r = as('root', args)
  assert.equal(n.code, r.code, `${args.join(' ')}: nobody exit ${n.code}, root exit ${r.code}: ${n.err}`)
  if (sameStdout) assert.equal(n.out, r.out, `${args.join(' ')}: nobody and root print different answers`)
  else assert.doesNotThrow(() => JSON.parse(n.out), `${args.join(' ')}: --json stdout as nobody`)
}

describe('read-only commands as nobody (keepalived lab up)', () => {
  before(async () => {
    // Whatever lab of this prefix an earlier file left up goes first: this file's answers are about the
    // keepalived lab alone.
    for (const topology of ['keepalived', 'pacemaker', 'bond', 'heartbeat', 'lvs', 'gluster']) await runCli(['lab', 'down', '--topology', topology])
    const up = await runCli(['lab', 'up', '--quiet'], {timeoutMs: 90_000})
    if (up.code !== 0) throw new Error(`lab up: ${up.stderr}`)
    mkdirSync(join(dir, 'home'), {recursive: true, mode: 0o777})
    chmodSync(join(dir, 'home'), 0o777)
    copyFileSync(fixturePath('capture', 'nicdown-v2.pcap'), join(dir, 'drill.pcap'))
    copyFileSync(fixturePath('keepalived', 'lab-lb1.conf'), join(dir, 'keepalived.conf'))
  })

  after(async () => {
    await runCli(['lab', 'down'])
    rmSync(dir, {recursive: true, force: true})
  })

  it('lab status: needs root (as nobody it cannot see into the namespaces), text and --json', () => {
    sameOrNeedsRoot(['lab', 'status'], {mustNeedRoot: true})
    sameOrNeedsRoot(['lab', 'status', '--json'], {mustNeedRoot: true})
  })
  it('failover --dry-run, doctor --target lb1, probe --from client: needs root', () => {
    sameOrNeedsRoot(['failover', '--target', 'lb1', '--dry-run', '--json'], {mustNeedRoot: true})
    sameOrNeedsRoot(['doctor', '--target', 'lb1', '--json'], {mustNeedRoot: true})
    sameOrNeedsRoot(['probe', '--from', 'client', '--url', 'http://10.66.0.100/', '--duration', '1s', '--json'], {mustNeedRoot: true})
  })
  it('files and arithmetic: the same answer as root', () => {
    sameOrNeedsRoot(['nines', '99.99', '--json'])
    sameOrNeedsRoot(['capture', 'analyze', 'drill.pcap', '--fault-at', '1795388398.646432', '--json'])
    sameOrNeedsRoot(['doctor', '--keepalived', 'keepalived.conf', '--json'])
    sameOrNeedsRoot(['report', '--json'], {sameStdout: false}) // it states when it was made
    sameOrNeedsRoot(['doctor', '--list-rules'])
  })
  it('(as root) a Pacemaker node name with the keepalived lab up: names the lab that is up, suggests --topology pacemaker', () => {
    const r = as('root', ['failover', '--target', 'n1', '--json'])
    assert.equal(r.code, 2, r.err)
    const e = (JSON.parse(r.out) as {error: {message: string; suggestions: string[]}}).error
    // Another lab left up on the machine (another prefix, another checkout) is named too: the message must
    // name the keepalived lab among those up and say whose host n1 is.
    assert.match(e.message, /no lab inventory has a host "n1": the labs? up: ([^;]*, )?keepalived \(prefix \w+\)(, [^;]*)?; n1 is a host of the pacemaker lab/)
    assert.ok(e.suggestions.includes('bring up the pacemaker lab: hachaos lab up --topology pacemaker'), e.suggestions.join(' | '))
  })
})
