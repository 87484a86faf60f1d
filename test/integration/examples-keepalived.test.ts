/**
 * Every --help example that needs the keepalived lab (or nothing), run as written on it (issue 20). The
 * working directory holds what the examples name: prod.yaml / hosts.yaml (the lab's inventory, its client
 * called client1 as in the example), the lab's own keepalived.conf and haproxy.cfg (lb1/…, collected/…),
 * and a committed capture as drill.pcap. The drills fill a run store of their own, which the report examples
 * then read. ~3 min (eight drills).
 */
import assert from 'node:assert/strict'
import {copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {parse, stringify} from 'yaml'

import {inventoryFile} from '../../src/lab/paths.js'
import {fixturePath} from '../fixture.js'
import {labPrefixForTests, ROOT, runCli} from '../helpers/cli.js'
import {checkExample, examplesFor} from './examples.js'

// What the drill summaries say (item 8 and the low items of issue 20): the fault in words, labels instead of
// field names, no failback when the VIP never moved, the real argv in a dry run.
const FIELD_NAMES = /\b[a-z]+(Ms|Probes)\b/
const SUMMARY_CHECKS: Record<string, (stdout: string) => void> = {
  'hachaos failover --target web1 --fault kill --process apache2': (out) => {
    assert.match(out, /^ {2}kill: SIGKILL to every apache2 on web1 \(a web server behind HAProxy\)/m)
    assert.doesNotMatch(out, /\(haproxy\)|failback/)
    assert.match(out, /backend UP again after the revert/)
    assert.doesNotMatch(out, FIELD_NAMES)
  },
  'hachaos failover --target lb1 --fault kill --process haproxy': (out) => {
    assert.match(out, /^ {2}kill: SIGKILL to every haproxy on lb1 \(keepalived\/VRRP in front of HAProxy\)/m)
    assert.doesNotMatch(out, FIELD_NAMES)
  },
  'hachaos failover --target lb1': (out) => {
    assert.match(out, /^ {4}failback +\d/m)
    assert.doesNotMatch(out, /(\d+\.\d) ms\s*[–-]\s*\1 ms/) // no degenerate range
    assert.doesNotMatch(out, FIELD_NAMES)
  },
  'hachaos failover --target lb1 --dry-run': (out) => {
    assert.match(out, /^ {6}ip netns exec hc-lb1 ip link set dev \S+ down$/m)
    assert.doesNotMatch(out, /\$\(|pids of/)
  },
}

const prefix = labPrefixForTests()
const cwd = mkdtempSync(join(tmpdir(), 'hachaos-examples-k-'))
const env = {HACHAOS_HOME: join(cwd, '.hachaos')}

describe('--help examples on the keepalived lab', {skip: prefix !== 'hc' ? 'the examples name the hc- namespaces: run with the default prefix' : false}, () => {
  before(async () => {
    await runCli(['lab', 'down'])
    const up = await runCli(['lab', 'up', '--quiet'], {timeoutMs: 90_000})
    if (up.code !== 0) throw new Error(`lab up: ${up.stderr}`)
    const inv = parse(readFileSync(inventoryFile(prefix, 'keepalived'), 'utf8')) as {hosts: Record<string, {facts?: Record<string, string>}>}
    // prod.yaml / hosts.yaml: an inventory of the lab's hosts, the client named as the example names it.
    const {client, ...rest} = inv.hosts
    writeFileSync(join(cwd, 'prod.yaml'), stringify({...inv, hosts: {...rest, client1: client}}))
    copyFileSync(join(cwd, 'prod.yaml'), join(cwd, 'hosts.yaml'))
    for (const lb of ['lb1', 'lb2']) {
      for (const [fact, name] of [['keepalived_conf', 'keepalived.conf'], ['haproxy_cfg', 'haproxy.cfg']] as const) {
        const from = inv.hosts[lb]?.facts?.[fact]
        if (from === undefined) throw new Error(`no ${fact} for ${lb} in the lab's inventory`)
        for (const d of [join(cwd, lb), join(cwd, 'collected', lb)]) {
          mkdirSync(d, {recursive: true})
          copyFileSync(from, join(d, name))
        }
      }
    }
    copyFileSync(fixturePath('capture', 'nicdown-v2.pcap'), join(cwd, 'drill.pcap'))
    cpSync(join(ROOT, 'examples'), join(cwd, 'examples'), {recursive: true})
  })

  after(async () => {
    await runCli(['lab', 'down', '--prefix', 'hc2'])
    await runCli(['lab', 'down'])
    rmSync(cwd, {recursive: true, force: true})
  })

  for (const e of examplesFor('keepalived')) {
    it(e.command, {skip: e.meta.skip ?? false}, async () => {
      const r = await checkExample(e, cwd, env)
      SUMMARY_CHECKS[e.command]?.(r.stdout)
    })
  }
})
