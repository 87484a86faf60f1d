/**
 * The CLI's promises (issue 20), as a user meets them: node bin/run.js with the built commands, no lab. Each
 * case asserts the exit code and the shape of stdout/stderr: with --json, stdout is exactly one small JSON
 * object (errors included) and nothing else; without it, errors are "Error: …" on stderr, unwrapped.
 */
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

import {faultDefinition} from '../../../chaos/registry.js'
import {cleanParseMessage, editDistance, nearestCommands} from '../../../commands/_errors.js'
import {softWrap, unwrap} from '../../../commands/_help.js'
import {EXIT_CODE_TABLE} from '../../../src/errors.js'
import type {FaultEnv} from '../../../src/fault/types.js'
import {showAction} from '../../../src/fault/display.js'
import {labOfHostName} from '../../../src/inventory/resolve.js'
import {faultText, rangeText} from '../../../src/store/run-metrics.js'
import {parseDuration} from '../../../src/time.js'

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
const BIN = join(ROOT, 'bin', 'run.js')
const home = mkdtempSync(join(tmpdir(), 'hachaos-cli-promises-'))
// No lab may leak in (another one may be up on this machine): an empty lab root, a prefix no lab uses.
const env = {...process.env, HACHAOS_HOME: home, HACHAOS_LAB_ROOT: join(home, 'labs'), HACHAOS_LAB_PREFIX: 'zq', HACHAOS_INVENTORY: ''}

interface Out {
  code: number | null
  out: string
  err: string
}

function run(...args: string[]): Out {
  const r = spawnSync(process.execPath, [BIN, ...args], {encoding: 'utf8', env, timeout: 60_000})
  return {code: r.status, out: r.stdout, err: r.stderr}
}

interface ErrorJson {
  error: {code: string; exit: number; message: string; where?: string; suggestions: string[]}
}

/** stdout is one JSON error object, small, with the exit code it claims. */
function jsonError(r: Out, exit: number): ErrorJson['error'] {
  assert.equal(r.code, exit, `exit ${r.code}: ${r.out}${r.err}`)
  assert.ok(r.out.length < 2000, `stdout is ${r.out.length} bytes`)
  const j = JSON.parse(r.out) as ErrorJson
  assert.deepEqual(Object.keys(j), ['error'])
  assert.equal(j.error.exit, exit)
  assert.equal(typeof j.error.message, 'string')
  assert.ok(Array.isArray(j.error.suggestions))
  assert.doesNotMatch(r.out, /"(config|pjson|options|parse)"/)
  return j.error
}

/** Text errors: nothing on stdout, "Error: …" first on stderr, no "Code:" line, no oclif dump. */
function textError(r: Out, exit: number): string {
  assert.equal(r.code, exit, `exit ${r.code}: ${r.out}${r.err}`)
  assert.equal(r.out, '')
  const e = r.err.replace(/^\[ *\d+\.\d+s\] .*\n/gm, '')
  assert.match(e, /^Error: /)
  assert.doesNotMatch(e, /Code: |USAGE\n|›/)
  return e
}

after(() => rmSync(home, {recursive: true, force: true}))

describe('item 1: --json with a flag error, unknown commands', () => {
  it('a missing required flag: exit 2, the small error JSON on stdout, "--target" spelled with dashes', () => {
    const e = jsonError(run('failover', '--json'), 2)
    assert.equal(e.code, 'E_USAGE')
    assert.equal(e.message, 'Missing required flag --target')
    assert.match(textError(run('failover'), 2), /^Error: Missing required flag --target\n/)
  })
  it('an unknown flag, a bad option value: exit 2 JSON', () => {
    assert.equal(jsonError(run('nines', '--frob', '--json'), 2).message, 'Nonexistent flag: --frob')
    assert.match(jsonError(run('failover', '-t', 'lb1', '--fault', 'foo', '--json'), 2).message, /^Expected --fault=foo to be one of: nic-down, kill/)
    assert.equal(jsonError(run('probe', '--url', 'http://x/', '--rate', 'abc', '--json'), 2).message, '--rate: Expected an integer but received: abc')
  })
  it('an unknown command: exit 2, JSON with the nearest command; text says "did you mean"', () => {
    const e = jsonError(run('falover', '--json'), 2)
    assert.equal(e.code, 'E_UNKNOWN_COMMAND')
    assert.equal(e.suggestions[0], 'did you mean: hachaos failover')
    assert.match(textError(run('capture', 'analyz', 'x.pcap'), 2), /did you mean: hachaos capture analyze\n/)
    const none = textError(run('zzzzzz'), 2)
    assert.doesNotMatch(none, /did you mean/)
  })
  it('nearest commands: edit distance, as many words as the command has', () => {
    assert.equal(editDistance('falover', 'failover'), 1)
    assert.equal(editDistance('', 'abc'), 3)
    const ids = ['failover', 'bond:monitor', 'bond:failover', 'capture:analyze', 'lab:up', 'nines']
    assert.deepEqual(nearestCommands('bnd:monitor', ids), ['bond monitor'])
    assert.deepEqual(nearestCommands('nine', ids), ['nines'])
    assert.deepEqual(nearestCommands('xyzzy', ids), [])
  })
  it("oclif's parse messages, cleaned", () => {
    assert.equal(cleanParseMessage('The following error occurred:\n  \u001B[2mMissing required flag target\u001B[22m\nSee more help with --help'), 'Missing required flag --target')
  })
})

describe('item 5: root where root is needed', () => {
  it('lab status as another user says "needs root", exit 4', { skip: process.getuid?.() !== 0 ? 'needs root to switch to nobody' : false }, () => {
    const r = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, BIN, 'lab', 'status', '--json'], {encoding: 'utf8', env: {...env, HOME: '/tmp'}})
    const e = jsonError({code: r.status, out: r.stdout, err: r.stderr}, 4)
    assert.equal(e.code, 'E_NOT_ROOT')
    assert.match(e.message, /needs root/)
  })
})

describe('item 6: the lab a host belongs to', () => {
  it('a Pacemaker node name asks for the Pacemaker lab', () => {
    const e = jsonError(run('failover', '--target', 'n1', '--json'), 2)
    assert.match(e.message, /n1 is a host of the pacemaker lab/)
    assert.ok(e.suggestions.some((s) => s.includes('hachaos lab up --topology pacemaker')), e.suggestions.join(' | '))
    assert.equal(labOfHostName('lb1'), 'keepalived')
    assert.equal(labOfHostName('guest'), 'bond')
    assert.equal(labOfHostName('db7'), undefined)
  })
  it('failover --help: every example says which lab (or inventory) it needs', () => {
    const m = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {examples?: Array<string | {description: string; command: string}>}>}
    for (const ex of m.commands['failover']?.examples ?? []) {
      assert.equal(typeof ex, 'object', String(ex))
      if (typeof ex === 'object') assert.match(ex.description, /keepalived lab|Pacemaker lab|inventory/i, ex.command)
    }
  })
})

describe('item 7: probe', () => {
  it('every probe failed: exit 5, the summary still the last stdout line, the reason on stderr', () => {
    const r = run('probe', '--url', 'http://127.0.0.1:9/', '--rate', '20', '--duration', '500ms', '--json')
    assert.equal(r.code, 5, r.err)
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as {type: string; ok?: boolean; failed?: number; sent?: number})
    const s = lines[lines.length - 1]
    assert.equal(s?.type, 'probe.summary')
    assert.equal(s?.failed, s?.sent)
    assert.ok((s?.sent ?? 0) >= 9)
    assert.ok(lines.slice(0, -1).every((l) => l.type === 'probe' && l.ok === false))
    assert.match(r.err, /every probe failed \(\d+ of \d+: refused \d+\)/)
  })
  it('some probes answered: exit 0', async () => {
    const {createServer} = await import('node:http')
    const srv = createServer((_, res) => res.end('served by test'))
    await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok))
    const port = (srv.address() as {port: number}).port
    const r = await new Promise<Out>((ok) => {
      const c = spawn(process.execPath, [BIN, 'probe', '--url', `http://127.0.0.1:${port}/`, '--rate', '20', '--duration', '300ms', '--json'], {env})
      let out = ''
      let err = ''
      c.stdout.on('data', (b: Buffer) => (out += b.toString()))
      c.stderr.on('data', (b: Buffer) => (err += b.toString()))
      c.on('close', (code) => ok({code, out, err}))
    })
    srv.close()
    assert.equal(r.code, 0, r.err)
    assert.match(r.out, /"type":"probe.summary".*"failed":0/)
  })
  it('--timeout 0 and --probe-timeout 0 are refused (exit 2)', () => {
    assert.match(jsonError(run('probe', '--url', 'http://x/', '--timeout', '0', '--json'), 2).message, /--timeout 0: must be longer than 0/)
    assert.match(jsonError(run('failover', '-t', 'lb1', '--probe-timeout', '0', '--json'), 2).message, /--probe-timeout 0: must be longer than 0/)
  })
  it('--from names an inventory host; without a lab the error says which lab has it', () => {
    const e = jsonError(run('probe', '--from', 'client', '--url', 'http://10.66.0.100/', '--json'), 2)
    assert.equal(e.code, 'E_NO_INVENTORY')
  })
})

describe('item 8: the drill summary in words', () => {
  const run0 = {target: 'web1', fault: {kind: 'kill', params: {process: 'apache2', signal: 'KILL', service: 'apache2'}, inject: [], revert: []}}
  it('a kill names its signal and process', () => {
    assert.equal(faultText(run0), 'kill: SIGKILL to every apache2 on web1')
    assert.equal(faultText({target: 'lb1', fault: {kind: 'nic-down', params: {interface: 'eth1'}, inject: [], revert: []}}), 'nic-down (eth1) on lb1')
  })
  it('a degenerate range is one value', () => {
    assert.equal(rangeText(3609.4, 3609.4), '3609.4 ms')
    assert.equal(rangeText(2000, 3000), '2000.0–3000.0 ms')
  })
})

describe('low items', () => {
  it('--signal FOO: "expected one of KILL, TERM, …", not zod\'s wording', async () => {
    const env0 = {} as FaultEnv
    await assert.rejects(faultDefinition('kill').plan({signal: 'FOO'}, env0), (e: Error) => {
      assert.match(e.message, /^fault kill: --signal "FOO": expected one of KILL, TERM, INT/)
      assert.doesNotMatch(e.message, /Invalid option/)
      return true
    })
  })
  it('durations: negatives refused in so many words; --since mentions dates; no E_CALENDAR for a duration', () => {
    assert.throws(() => parseDuration('-1s'), /"-1s" is negative: durations are 0 or more/)
    assert.match(jsonError(run('probe', '--url', 'http://x/', '--duration=-1s', '--json'), 2).message, /negative/)
    const since = jsonError(run('report', '--since', 'abc', '--json'), 2)
    assert.match(since.message, /neither a duration back from now \(30d, 12h\) nor a date \(2026-11-01/)
    const outage = jsonError(run('nines', '99.99', '--outage', 'abc', '--json'), 2)
    assert.equal(outage.code, 'E_USAGE')
    assert.doesNotMatch(textError(run('nines', '99.99', '--outage', 'abc'), 2), /E_CALENDAR/)
  })
  it('a directory given as a file: "is a directory", exit 3, no errno', () => {
    const e = textError(run('capture', 'analyze', tmpdir()), 3)
    assert.match(e, /it is a directory, not a file/)
    assert.doesNotMatch(e, /EISDIR/)
    assert.match(jsonError(run('failover', '-t', 'lb1', '-i', tmpdir(), '--json'), 3).message, /cannot read inventory .*: it is a directory, not a file/)
  })
  it('a hostile inventory address is refused with file:line, as a hostile name is', () => {
    const f = join(home, 'hostile.yaml')
    writeFileSync(f, 'version: 1\nhosts:\n  lb1:\n    address: "-oProxyCommand=touch /tmp/x"\n    roles: [lb]\n')
    const e = jsonError(run('failover', '-t', 'lb1', '-i', f, '--json'), 3)
    assert.match(e.message, new RegExp(`${f.replace(/[.]/g, '\\.')}:4:\\d+: hosts\\.lb1\\.address: a DNS name, an IPv4 or an IPv6 address`))
  })
  it('--dry-run steps are real argv: kill -s SIG with the PIDs found now', async () => {
    const child = spawn('sleep', ['30'])
    try {
      await new Promise((r) => setTimeout(r, 100))
      const host = {name: 'here', entry: {address: '127.0.0.1', via: 'local' as const, roles: [], services: 'none' as const, facts: {}}}
      const s = await showAction({type: 'signal', host: host as never, comm: 'sleep', signal: 'SIGSTOP', what: 'SIGSTOP to every sleep on here'})
      assert.match(s.command ?? '', new RegExp(`^kill -s STOP (\\d+ )*${child.pid}( \\d+)*$`))
      assert.match(s.note ?? '', /looked up again when the fault runs/)
      assert.doesNotMatch(s.command ?? '', /\$\(|pids of/)
    } finally {
      child.kill()
    }
  })
  it('nines --json: exact values rounded at the µs, no float noise', () => {
    const r = run('nines', '99.99', '--json')
    assert.equal(r.code, 0, r.err)
    const j = JSON.parse(r.out) as {rows: Array<{allowed: Record<string, {ms: number}>}>}
    assert.equal(j.rows[0]?.allowed['year']?.ms, 3153600)
    for (const p of Object.values(j.rows[0]?.allowed ?? {})) assert.ok(Math.abs(p.ms * 1000 - Math.round(p.ms * 1000)) < 1e-6, String(p.ms))
  })
  it('help: descriptions unwrapped, wrapping at spaces only (no value split across lines)', () => {
    assert.equal(unwrap('one\ntwo\n\n- a\n- b\n  indented'), 'one two\n\n- a\n- b\n  indented')
    assert.equal(softWrap('aaa bbb ccc', 7), 'aaa bbb\nccc')
    assert.equal(softWrap('a-very-long-value x', 5), 'a-very-long-value\nx')
    const r = run('failover', '--help')
    assert.equal(r.code, 0)
    assert.match(r.out, /cluster-partition/)
    assert.doesNotMatch(r.out, /cluster-mo\n/)
    // The description's paragraphs are oclif's to wrap: no short ragged line left after a long one.
    const desc = r.out.slice(r.out.indexOf('DESCRIPTION'))
    assert.match(desc, /Captures VRRP adverts and ARP on the client \(tcpdump\), probes the VIP over/)
  })
  it('short flags: one meaning per letter across all commands', () => {
    const m = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {flags: Record<string, {char?: string}>}>}
    // Flags that are one meaning under two names: an output path, a duration.
    const same: Record<string, string> = {out: 'output', time: 'duration'}
    const meaning = new Map<string, Set<string>>()
    for (const c of Object.values(m.commands)) {
      for (const [name, f] of Object.entries(c.flags)) {
        if (f.char === undefined) continue
        meaning.set(f.char, (meaning.get(f.char) ?? new Set()).add(same[name] ?? name))
      }
    }
    const clashes = [...meaning].filter(([, names]) => names.size > 1).map(([ch, names]) => `-${ch}: ${[...names].join(', ')}`)
    assert.deepEqual(clashes, [])
    assert.deepEqual([...(meaning.get('t') ?? [])], ['target'])
    assert.deepEqual([...(meaning.get('i') ?? [])], ['inventory'])
    assert.equal(m.commands['doctor']?.flags['inventory']?.char, 'i')
    // The README's table lists every letter in use.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    for (const ch of meaning.keys()) assert.match(readme, new RegExp(`^\\| \`-${ch}\``, 'm'), `README short-flag table lacks -${ch}`)
  })
})

describe('the exit-code table', () => {
  it('README "Exit codes" says what src/errors.ts says, row for row', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('## Exit codes'))
    const rows = [...section.slice(0, section.indexOf('\n## ', 5)).matchAll(/^\| (\d+) \| (.+) \|$/gm)].map((m) => ({code: Number(m[1]), meaning: (m[2] ?? '').replaceAll('`', '')}))
    assert.deepEqual(
      rows,
      EXIT_CODE_TABLE.map((r) => ({code: r.code, meaning: r.meaning.replaceAll('`', '')})),
    )
  })
})
