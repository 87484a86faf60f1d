/**
 * Every example in every command's --help, run as written (issue 20: examples must not rot). The examples
 * are read from oclif.manifest.json (what --help prints); this file says, for each one, which built-in lab
 * it needs and what its working directory must hold (the files it names: prod.yaml, drill.pcap …), or why
 * it cannot run here (skip, with the reason). An example this table does not know fails the test: a new
 * example must be classified here when it is added.
 *
 * Not a test file itself: test/integration/examples-{keepalived,pacemaker,bond}.test.ts run one lab each.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {openSync, closeSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {BIN, ROOT} from '../helpers/cli.js'

export type Lab = 'keepalived' | 'pacemaker' | 'bond' | 'heartbeat' | 'gluster' | 'none'

export interface ExampleMeta {
  /** The lab it runs on ('none': no lab needed; run with the keepalived file). */
  lab: Lab
  /** Why it cannot run on any built-in lab (it is then listed, and skipped, with this reason). */
  skip?: string
  /** Exit code it must give, when not 0, and why (e.g. a split brain is what the example shows). */
  exit?: {code: number | number[]; why: string}
  /** hachaos argv run (in the working directory) before / after the example, e.g. to take a lab down first. */
  before?: string[][]
  after?: string[][]
  /** A command that does not end by itself (a live monitor): SIGINT after this long; it must then exit 0. */
  stopAfterMs?: number
  /** Run on this lab host (through its executor), e.g. a command meant for a cluster node's own files. */
  onNode?: string
  /** Order within its lab's run (lower first; default 50): lab-changing examples last. */
  order?: number
}

/** Keyed by the example's command with `<%= config.bin %>` written as `hachaos`. */
export const EXAMPLES: Record<string, ExampleMeta> = {
  // nines: arithmetic only
  'hachaos nines': {lab: 'none'},
  'hachaos nines 99.95 4 0.99999': {lab: 'none'},
  'hachaos nines 3.5 --nines': {lab: 'none'},
  'hachaos nines --year-days seeds': {lab: 'none'},
  'hachaos nines --calendar business --hours-per-day 12 --days mon-fri --holidays 10': {lab: 'none'},
  'hachaos nines 99.99 --month 2026-02': {lab: 'none'},
  'hachaos nines 99.99 --outage 3.6s': {lab: 'none'},
  'hachaos nines --downtime 5m --period month': {lab: 'none'},
  'hachaos nines 99.99 --json': {lab: 'none'},
  // recover: the journal (empty here: every drill of these tests reverted)
  'hachaos recover': {lab: 'none', order: 90},
  'hachaos recover --dry-run': {lab: 'none', order: 90},
  'hachaos recover --force --json': {lab: 'none', order: 90},
  // capture analyze: the committed captures of real drills (test/fixtures/capture/README.md)
  'hachaos capture analyze drill.pcap': {lab: 'none'},
  'hachaos capture analyze drill.pcap --fault-at 1795388398.646432 --revert-at 1795388406.651997 --vip 10.66.0.100': {lab: 'none'},
  'hachaos capture analyze capture.txt --fault-at 1795388462.118095 --name 10.66.0.11=lb1 --name 10.66.0.12=lb2 --json': {lab: 'none'},
  'hachaos capture analyze drill.pcap --inventory hosts.yaml --fault-at 1795388398.6': {lab: 'keepalived'},
  'hachaos capture analyze day.pcap --events ndjson > day.ndjson': {lab: 'none'},
  // inventory show: the committed Ansible inventories (test/fixtures/inventory/ansible), and the lab's own
  'hachaos inventory show --inventory hosts.ini': {lab: 'none'},
  'hachaos inventory show --inventory inventory/prod.yml --json': {lab: 'none'},
  'hachaos inventory show': {lab: 'keepalived'},
  // cluster status from a saved crm_mon XML
  'hachaos cluster status --crm-mon-xml crm_mon.xml --json': {lab: 'none'},

  // keepalived lab
  'hachaos lab up': {lab: 'keepalived', order: 10},
  'hachaos lab status': {lab: 'keepalived', order: 10},
  'hachaos lab status --json': {lab: 'keepalived', order: 10},
  'hachaos failover --target lb1': {lab: 'keepalived'},
  'hachaos failover --target lb1 --fault kill --process keepalived --signal TERM': {lab: 'keepalived'},
  'hachaos failover --target lb1 --fault kill --process haproxy': {lab: 'keepalived'},
  'hachaos failover --target web1 --fault kill --process apache2': {lab: 'keepalived'},
  // After the report examples (order 85), so their figures are the other drills'.
  // drop-vrrp: the split brain is what the drill shows — a WARN, exit 0 (README "Verdicts")
  'hachaos failover --target lb1 --fault drop-vrrp --hold 8s': {lab: 'keepalived', order: 85},
  'hachaos failover --target lb1 --dry-run': {lab: 'keepalived'},
  // watch: no fault; the ones that run until stopped get SIGINT (a clean stop, exit 0)
  'hachaos watch --duration 10s': {lab: 'keepalived'},
  'hachaos watch --listen :9464': {lab: 'keepalived', stopAfterMs: 4000},
  'hachaos watch --listen 127.0.0.1:9464 --rate 10 --duration 5s --json': {lab: 'keepalived'},
  'hachaos watch --tui': {lab: 'keepalived', skip: 'needs a terminal (refused without a TTY); the dashboard itself is tested in tmux by test/unit/tui/tmux.test.ts and test/integration/failover-tui.test.ts'},
  'hachaos watch --inventory prod.yaml --listen :9464': {lab: 'keepalived', stopAfterMs: 4000},
  // run (game days): the dry runs here (examples/ is copied into the working directory); the whole plans and the soak in gameday-keepalived.test.ts
  'hachaos run examples/gameday-keepalived.yaml --dry-run': {lab: 'keepalived'},
  'hachaos run examples/gameday-keepalived.yaml --junit gameday.xml': {lab: 'keepalived', skip: 'runs the whole 7-step game day (about a minute and a half): test/integration/gameday-keepalived.test.ts runs plans like it, with audits, a stop condition and a resume'},
  'hachaos run --soak 10 --seed 42 --targets lb1,web1': {lab: 'keepalived', skip: 'ten drills (about two minutes): test/integration/gameday-keepalived.test.ts runs a seeded soak on the same lab'},
  'hachaos run --soak 10 --seed 42 --targets lb1,web1 --dry-run --json': {lab: 'keepalived'},
  'hachaos run --resume gd-20261205T081500Z-keepalived_game_day-3f2a': {lab: 'keepalived', skip: 'needs an interrupted game day of that id: test/integration/gameday-keepalived.test.ts interrupts one (SIGTERM), recovers and resumes it'},
  'hachaos failover --inventory prod.yaml --target lb1 --capture-on client1 --rate 50 --json': {lab: 'keepalived'},
  'hachaos probe --from client --url http://10.66.0.100/ --rate 20 --duration 10s': {lab: 'keepalived'},
  'ip netns exec hc-client hachaos probe --url http://10.66.0.100/ --rate 50 --duration 5s --json': {lab: 'keepalived'},
  'hachaos doctor': {lab: 'keepalived'},
  'hachaos doctor --target lb1': {lab: 'keepalived'},
  'hachaos doctor --inventory prod.yaml --format sarif --output doctor.sarif': {lab: 'keepalived'},
  'hachaos doctor --keepalived lb1=lb1/keepalived.conf --keepalived lb2=lb2/keepalived.conf --haproxy lb1=lb1/haproxy.cfg': {lab: 'keepalived'},
  'hachaos doctor --dir collected/ --json': {lab: 'keepalived'},
  'hachaos doctor --explain haproxy-server-no-check': {lab: 'none'},
  'hachaos doctor --list-rules': {lab: 'none'},
  // report: after the drills above, on the run store they filled
  'hachaos report': {lab: 'keepalived', order: 80},
  'hachaos report --since 30d --slo 99.99 --slo 99.999': {lab: 'keepalived', order: 80},
  'hachaos report --target lb1 --fault nic-down --format md': {lab: 'keepalived', order: 80},
  'hachaos report --format html -o drills.html': {lab: 'keepalived', order: 80},
  'hachaos report --format html --timelines 50 -o drills.html': {lab: 'keepalived', order: 80},
  'hachaos report --format junit --max-outage 4s -o drills.xml': {
    lab: 'keepalived',
    order: 80,
    exit: {code: [0, 7], why: 'a CI gate: 7 when a drill\'s client outage exceeds 4 s (the NIC-down drills here measure 3.3–4.2 s), else 0'},
  },
  'hachaos report --format openmetrics -o /var/lib/prometheus/node-exporter/hachaos.prom --exit-zero': {
    lab: 'none',
    skip: 'writes into node_exporter\'s textfile directory /var/lib/prometheus/node-exporter, which a test machine does not have (and a test must not create)',
  },
  'hachaos report --calendar business --hours-per-day 12 --days mon-fri --holidays 10': {lab: 'keepalived', order: 80},
  'hachaos report --json': {lab: 'keepalived', order: 80},
  'hachaos lab up --subnet 10.67.0.0/24': {lab: 'keepalived', order: 95, before: [['lab', 'down']], after: [['lab', 'down']]},
  'HACHAOS_LAB_PREFIX=hc2 hachaos lab up --json': {lab: 'keepalived', order: 96, after: [['lab', 'down'], ['lab', 'down', '--prefix', 'hc2']]},
  'hachaos lab down': {lab: 'keepalived', order: 99},

  // Pacemaker lab
  'hachaos lab up --topology pacemaker --nodes 3': {lab: 'pacemaker', order: 10},
  'hachaos cluster status': {lab: 'pacemaker'},
  'hachaos cluster status --inventory cluster.yaml --host node2': {lab: 'pacemaker'},
  'hachaos failover --target n1 --fault cluster-standby': {lab: 'pacemaker'},
  'hachaos failover --target n1 --fault cluster-kill --param daemon=corosync': {
    lab: 'pacemaker',
    order: 40,
    exit: {code: [0, 7], why: 'without fencing, killing corosync on the node that holds the VIP leaves the VIP on two nodes: 7, the split brain this example shows (README: Pacemaker); 0 when n1 did not hold the VIP'},
  },
  'hachaos doctor --corosync /etc/corosync/corosync.conf --cib cib.xml': {
    lab: 'pacemaker',
    onNode: 'n1',
    exit: {code: 7, why: 'the lab runs without fencing (stonith-enabled=false): the ERROR finding pacemaker-stonith-disabled, exit 7, is the right answer'},
  },
  'hachaos lab up --topology pacemaker --nodes 2 --fencing': {lab: 'pacemaker', order: 95, before: [['lab', 'down', '--topology', 'pacemaker']]},
  'hachaos lab down --topology pacemaker --json': {lab: 'pacemaker', order: 99},

  // bond lab
  'hachaos bond monitor --once': {lab: 'bond'},
  'hachaos bond monitor': {lab: 'bond', stopAfterMs: 3000},
  'hachaos bond monitor --load': {lab: 'bond', stopAfterMs: 4000},
  'hachaos bond monitor bond0 --host guest --interval 500ms': {lab: 'bond', stopAfterMs: 3000},
  'hachaos bond monitor --json --quit-after 10s > samples.ndjson': {lab: 'bond'},
  'hachaos bond capture --out ./bond0-tree': {lab: 'bond'},
  'hachaos bond monitor bond0 --root ./captured-tree --once --json': {lab: 'bond', before: [['bond', 'capture', '--out', './captured-tree']]},
  'hachaos bond capture bond1 --host db1 --inventory hosts.yaml --out /tmp/db1-bond1': {lab: 'none', skip: 'a real host db1 with a bond1 (hosts.yaml of your own): the bond lab has one guest with bond0'},
  'hachaos bond failover': {lab: 'bond'},
  'hachaos bond failover --member eth0 --hold 2s': {lab: 'bond'},
  'hachaos bond failover --trials 5 --json': {lab: 'bond'},
  'hachaos load': {lab: 'bond'},
  'hachaos load --time 10s -P 4': {lab: 'bond'},
  'hachaos load --client client1 --target guest:8001 -R': {lab: 'bond'},
  'hachaos load --udp --bitrate 200M --time 5s': {lab: 'bond'},
  'hachaos load --inventory hosts.yaml --client c1 --client c2 --target 192.168.200.179:8001 --target 192.168.200.179:8002 --json': {
    lab: 'none',
    skip: 'the seed\'s own machines (192.168.200.179 and clients c1, c2): no built-in lab has those addresses',
  },
  'hachaos doctor --bond /proc/net/bonding/bond0': {lab: 'none', skip: 'reads this machine\'s /proc/net/bonding/bond0: the bond lab\'s bond lives in its QEMU guest, where hachaos does not run'},
  // run by test/integration/heartbeat.test.ts after its drills (each rebuilds the lab with its timers)
  'hachaos lab up --topology heartbeat': {lab: 'heartbeat', order: 95},
  'hachaos lab up --topology heartbeat --keepalive 200ms --deadtime 1 --auto-failback on': {lab: 'heartbeat', order: 96, after: [['lab', 'down', '--topology', 'heartbeat']]},
  'hachaos lab up --topology heartbeat --resource apache2': {lab: 'heartbeat', skip: 'test/integration/heartbeat-apache2.test.ts builds this lab (with short timers), drills it and checks that lab down leaves no apache2'},
  // run by test/integration/gluster.test.ts after its drills (the first finds the lab up with its settings)
  'hachaos probe --from gc --fs /mnt --interval 100ms --duration 5s': {lab: 'gluster', order: 90},
  'hachaos lab up --topology gluster --ping-timeout 5': {lab: 'gluster', order: 95},
  'hachaos lab up --topology gluster --replica 2 --arbiter --quorum auto': {lab: 'gluster', order: 96, after: [['lab', 'down', '--topology', 'gluster']]},
  'hachaos lab up --topology lvs --sync': {lab: 'none', skip: 'boots the LVS lab\'s QEMU guest: test/integration/lvs.test.ts runs it (with and without --sync) and drills it'},
  'hachaos lab up --topology lvs --forwarding nat --sync': {lab: 'none', skip: 'boots the LVS lab\'s QEMU guest: test/integration/lvs-nat.test.ts runs it and drills it'},
  'hachaos lab up --topology lvs --forwarding tun --persistence 60': {lab: 'none', skip: 'boots the LVS lab\'s QEMU guest: test/integration/lvs-nat.test.ts boots TUN with --persistence 30'},
  'hachaos lab up --topology lvs --checker http': {lab: 'none', skip: 'boots the LVS lab\'s QEMU guest: test/integration/lvs-health.test.ts runs it and drills rs1'},
  'hachaos lab up --topology lvs --health ldirectord': {lab: 'none', skip: 'boots the LVS lab\'s ldirectord guest image: test/integration/lvs-health.test.ts runs it and drills rs1'},
  'hachaos lab up --topology lvs --ssh': {lab: 'none', skip: 'boots the LVS lab with dropbear in each namespace: test/integration/lvs-over-ssh.test.ts runs it (with --sync) and drills dir1 over ssh'},
  'hachaos probe --fs /var/tmp --fsync --interval 50ms --duration 2s --json': {lab: 'none'},
  'hachaos lab up --topology bond --mode balance-rr': {lab: 'bond', order: 95, before: [['lab', 'down', '--topology', 'bond']]},
  'hachaos lab up --topology bond --mode active-backup --miimon 100 --downdelay 200 --updelay 200': {lab: 'bond', order: 96, before: [['lab', 'down', '--topology', 'bond']]},
  'hachaos lab up --topology bond --mode active-backup --arp-interval 100 --arp-ip-target 10.88.0.11': {lab: 'bond', order: 97, before: [['lab', 'down', '--topology', 'bond']], after: [['lab', 'down', '--topology', 'bond']]},
}

export interface HelpExample {
  id: string
  command: string
  description: string | null
}

/** Every example of every command, as --help shows it, with `hachaos` for `<%= config.bin %>`. */
export function helpExamples(): HelpExample[] {
  const m = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {examples?: Array<string | {command: string; description: string}>}>}
  const out: HelpExample[] = []
  for (const [id, c] of Object.entries(m.commands)) {
    for (const e of c.examples ?? []) {
      const command = (typeof e === 'string' ? e : e.command).replaceAll('<%= config.bin %>', 'hachaos').trim()
      out.push({id, command, description: typeof e === 'string' ? null : e.description})
    }
  }
  return out
}

export function examplesFor(lab: Lab | 'offline'): Array<HelpExample & {meta: ExampleMeta}> {
  const all = helpExamples()
  const unknown = all.filter((e) => EXAMPLES[e.command] === undefined).map((e) => `${e.id}: ${e.command}`)
  assert.deepEqual(unknown, [], 'examples not classified in test/integration/examples.ts (say which lab they need, or why they are skipped)')
  return all
    .map((e) => ({...e, meta: EXAMPLES[e.command] as ExampleMeta}))
    .filter((e) => e.meta.lab === lab)
    .sort((a, b) => (a.meta.order ?? 50) - (b.meta.order ?? 50))
}

export interface Parsed {
  env: Record<string, string>
  argv: string[]
  /** `> FILE`: stdout goes to that file (relative to the working directory). */
  stdoutTo: string | null
}

/** An example's command line as argv: leading VAR=value, words split at spaces, `hachaos` → node bin/run.js, `> file`. */
export function parseExample(command: string): Parsed {
  const words = command.split(/\s+/).filter((w) => w !== '')
  const env: Record<string, string> = {}
  while (/^[A-Z_][A-Z0-9_]*=/.test(words[0] ?? '')) {
    const w = words.shift() as string
    env[w.slice(0, w.indexOf('='))] = w.slice(w.indexOf('=') + 1)
  }
  let stdoutTo: string | null = null
  const gt = words.indexOf('>')
  if (gt >= 0) {
    stdoutTo = words[gt + 1] ?? null
    words.splice(gt, 2)
  }
  const argv = words.flatMap((w) => (w === 'hachaos' ? [process.execPath, BIN] : [w]))
  return {env, argv, stdoutTo}
}

export interface Ran {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Run argv in `cwd` with a timeout; `stopAfterMs`: SIGINT after that long. */
export function runIn(argv: string[], o: {cwd: string; env?: Record<string, string>; stdoutTo?: string | null; stopAfterMs?: number; timeoutMs?: number}): Promise<Ran> {
  return new Promise((resolve) => {
    const [file, ...args] = argv
    const fd = o.stdoutTo === undefined || o.stdoutTo === null ? null : openSync(join(o.cwd, o.stdoutTo), 'w')
    const child = spawn(file as string, args, {cwd: o.cwd, env: {...process.env, ...o.env}, stdio: ['ignore', fd ?? 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (d: Buffer) => {
      if (stdout.length < 200_000) stdout += d.toString()
    })
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 200_000) stderr += d.toString()
    })
    const stop = o.stopAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGINT'), o.stopAfterMs)
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 180_000)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (stop !== undefined) clearTimeout(stop)
      if (fd !== null) closeSync(fd)
      resolve({code, signal, stdout, stderr})
    })
  })
}

/**
 * Run one example in `cwd` (its before/after steps too) and check its exit code: 0, or the one its metadata
 * gives with the reason. `onNode`: the argv is wrapped by that host's executor (`nodeCommand`).
 */
export async function checkExample(e: HelpExample & {meta: ExampleMeta}, cwd: string, env: Record<string, string>, nodeCommand?: (host: string, argv: string[]) => string[]): Promise<Ran> {
  const hachaos = (args: string[]): Promise<Ran> => runIn([process.execPath, BIN, ...args], {cwd, env})
  for (const b of e.meta.before ?? []) {
    const r = await hachaos(b)
    assert.equal(r.code, 0, `before ${b.join(' ')}: ${r.stderr}`)
  }
  const p = parseExample(e.command)
  let argv = p.argv
  if (e.meta.onNode !== undefined) {
    assert.ok(nodeCommand !== undefined, `${e.command}: needs a way onto ${e.meta.onNode}`)
    argv = nodeCommand(e.meta.onNode, ['env', '-C', cwd, ...argv])
  }
  const r = await runIn(argv, {cwd, env: {...env, ...p.env}, stdoutTo: p.stdoutTo, ...(e.meta.stopAfterMs === undefined ? {} : {stopAfterMs: e.meta.stopAfterMs})})
  for (const a of e.meta.after ?? []) await hachaos(a)
  const want = [e.meta.exit?.code ?? 0].flat()
  assert.ok(r.code !== null && want.includes(r.code), `${e.command}\n  exit ${r.code ?? r.signal}, expected ${want.join(' or ')}${e.meta.exit === undefined ? '' : ` (${e.meta.exit.why})`}\n  stderr: ${r.stderr.slice(-1500)}\n  stdout: ${r.stdout.slice(-800)}`)
  if (e.command.includes('--json') && p.stdoutTo === null && !e.command.includes(' probe ') && !e.command.includes('bond monitor')) {
    assert.doesNotThrow(() => JSON.parse(r.stdout), `${e.command}: --json stdout is not one JSON document`)
  }
  return r
}
