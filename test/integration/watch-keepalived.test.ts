/**
 * `hachaos watch` on the keepalived lab: a NIC set down by hand (`ip link` in lb1's namespace, not by hachaos)
 * must be recorded as exactly one incident whose takeover (lb2's first advert − lb1's last) is lb2's
 * Master_Down_Interval (3 × 1 s + (256 − 100)/256 s = 3.609 s) within ±50 ms; /metrics must show the incident
 * and the state change, a real Prometheus server (Debian's prometheus, on loopback) must scrape it, and
 * `promtool check metrics` must accept it. The incident's pcap slice (runs/<id>.pcap) must be read by
 * `tcpdump -r` and hold lb1's adverts before the takeover and lb2's after, as far apart as the takeover. SIGINT stops the watch cleanly (exit 0, its tcpdump and probe gone).
 */
import assert from 'node:assert/strict'
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {LB_PRIORITY} from '../../src/stacks/keepalived/lab/render.js'
import {masterDownIntervalMs} from '../../src/stacks/keepalived/timing.js'
import type {DrillRun} from '../../src/store/run-types.js'
import {sleep} from '../../src/time.js'
import type {WatchResult} from '../../commands/watch.js'
import {BIN, labPrefixForTests, runCli} from '../helpers/cli.js'

const prefix = labPrefixForTests()
const HOME = mkdtempSync(join(tmpdir(), 'hachaos-watch-'))
const TOL_MS = 50
const MDI_LB2 = masterDownIntervalMs(LB_PRIORITY['lb2'] as number, 1, 2)
const PORT = 19_400 + Math.floor(Math.random() * 500)
const PROM_PORT = PORT + 1000

const ipLink = (state: 'up' | 'down'): void => {
  const r = spawnSync('ip', ['netns', 'exec', `${prefix}-lb1`, 'ip', 'link', 'set', 'eth0', state])
  assert.equal(r.status, 0, r.stderr.toString())
}

async function scrape(): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${PORT}/metrics`)
  assert.equal(r.status, 200)
  return r.text()
}

const sample = (text: string, name: string, labels = ''): number | null => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels === '' ? ' ' : `{${labels}`}`))
  return line === undefined ? null : Number(line.slice(line.lastIndexOf(' ') + 1))
}

const havePrometheus = existsSync('/usr/bin/prometheus') && existsSync('/usr/bin/promtool')

describe('hachaos watch on the keepalived lab', () => {
  let watch: ChildProcess | null = null
  let prom: ChildProcess | null = null
  let stdout = ''
  let stderr = ''

  before(async () => {
    await runCli(['lab', 'down'])
    const r = await runCli(['lab', 'up', '--json'], {timeoutMs: 90_000})
    assert.equal(r.code, 0, r.stderr)
  })
  after(async () => {
    if (watch !== null && watch.exitCode === null) watch.kill('SIGKILL')
    if (prom !== null && prom.exitCode === null) prom.kill('SIGTERM')
    spawnSync('ip', ['netns', 'exec', `${prefix}-lb1`, 'ip', 'link', 'set', 'eth0', 'up'])
    await runCli(['lab', 'down'])
    rmSync(HOME, {recursive: true, force: true})
  })

  it(`a NIC down by hand: one incident, takeover = Master_Down_Interval ${MDI_LB2.toFixed(1)} ms ± ${TOL_MS} ms; /metrics and Prometheus see it`, async () => {
    const w = spawn(process.execPath, [BIN, 'watch', '--listen', `127.0.0.1:${PORT}`, '--settle', '3s', '--json'], {env: {...process.env, HACHAOS_HOME: HOME}, stdio: ['ignore', 'pipe', 'pipe']})
    watch = w
    w.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
    w.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<number | null>((resolve) => w.on('close', (code) => resolve(code)))
    for (let i = 0; i < 100 && !/watching /.test(stderr); i++) await sleep(100)
    assert.match(stderr, /watching lb1, lb2 .*master lb1/, stderr)

    if (havePrometheus) {
      const dir = mkdtempSync(join(HOME, 'prom-'))
      writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: hachaos\n    static_configs:\n      - targets: ['127.0.0.1:${PORT}']\n`)
      prom = spawn('/usr/bin/prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${PROM_PORT}`], {stdio: 'ignore'})
    }

    // steady state: lb1 MASTER, lb2 BACKUP, adverts counted, probes good
    await sleep(3000)
    const before = await scrape()
    const lbl = (h: string): string => `iname="VI_1",vrid="51",intf="eth0",host="${h}"}`
    assert.equal(sample(before, 'hachaos_vrrp_state', lbl('lb1')), 2)
    assert.equal(sample(before, 'hachaos_vrrp_state', lbl('lb2')), 1)
    assert.ok((sample(before, 'hachaos_vrrp_adverts_total', lbl('lb1')) ?? 0) >= 2)
    assert.equal(sample(before, 'hachaos_incidents_total'), 0)
    assert.equal(sample(before, 'hachaos_probe_success_ratio'), 1)

    ipLink('down')
    let after = ''
    for (let i = 0; i < 150; i++) {
      after = await scrape()
      if (sample(after, 'hachaos_incidents_total') === 1) break
      await sleep(100)
    }
    assert.equal(sample(after, 'hachaos_incidents_total'), 1, after)
    assert.equal(sample(after, 'hachaos_vrrp_state', lbl('lb1')), 1)
    assert.equal(sample(after, 'hachaos_vrrp_state', lbl('lb2')), 2)
    assert.equal(sample(after, 'hachaos_vip_holder', 'host="lb2"'), 1)
    const took = sample(after, 'hachaos_last_takeover_seconds') ?? Number.NaN
    assert.ok(Math.abs(took * 1000 - MDI_LB2) <= TOL_MS, `takeover ${took} s vs ${MDI_LB2} ms`)
    assert.ok((sample(after, 'hachaos_outage_seconds_total') ?? 0) > 2, 'the client saw the outage')

    if (havePrometheus) {
      const check = spawnSync('/usr/bin/promtool', ['check', 'metrics'], {input: after})
      assert.equal(check.status, 0, `promtool: ${check.stdout.toString()}${check.stderr.toString()}`)
      let v: string | null = null
      let state: string | null = null
      for (let i = 0; i < 100 && (v !== '1' || state !== '2'); i++) {
        await sleep(200)
        try {
          const q = async (expr: string): Promise<string | null> => {
            const r = (await (await fetch(`http://127.0.0.1:${PROM_PORT}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as {data?: {result?: Array<{value: [number, string]}>}}
            return r.data?.result?.[0]?.value[1] ?? null
          }
          v = await q('hachaos_incidents_total')
          state = await q('hachaos_vrrp_state{host="lb2"}')
        } catch {
          // Prometheus still starting
        }
      }
      assert.equal(v, '1', 'Prometheus scraped incidents_total 1')
      assert.equal(state, '2', 'Prometheus scraped lb2 MASTER')
    }

    // SIGINT before lb1 comes back: a clean stop, exactly one incident
    w.kill('SIGINT')
    assert.equal(await exited, 0, stderr)
    ipLink('up')
    const res = JSON.parse(stdout) as WatchResult
    assert.equal(res.stoppedBy, 'signal')
    assert.equal(res.incidentsTotal, 1)
    const inc = res.incidents[0]
    assert.ok(inc !== undefined && inc.change === 'lb1 → lb2')
    assert.ok(Math.abs((inc.takeoverMs ?? 0) - MDI_LB2) <= TOL_MS, `takeover ${inc.takeoverMs} vs ${MDI_LB2}`)
    assert.equal(inc.predictedMs, Math.round(MDI_LB2 * 1000) / 1000)
    assert.ok(inc.lostProbes > 0)
    process.stderr.write(`measured: takeover ${inc.takeoverMs} ms (Master_Down_Interval ${MDI_LB2} ms), client outage ${inc.outageMs} ms, ${inc.lostProbes} probes lost\n`)
    const files = readdirSync(join(HOME, 'runs')).filter((f) => f.endsWith('.json'))
    assert.equal(files.length, 1)
    assert.equal(readdirSync(join(HOME, 'runs')).filter((f) => f.endsWith('.pcap')).length, 1)
    const run = JSON.parse(readFileSync(join(HOME, 'runs', files[0] as string), 'utf8')) as DrillRun
    assert.equal(run.kind, 'incident')
    assert.equal(run.metrics.takeoverFromLastAdvertMs, inc.takeoverMs)
    assert.equal(run.verdict, 'pass', run.verdictReasons.join('; '))
    // the pcap slice next to the record: tcpdump reads it; lb1's adverts before the takeover, lb2's after
    assert.equal(run.pcap, join(HOME, 'runs', `${run.id}.pcap`))
    assert.equal(inc.pcap, run.pcap)
    const td = spawnSync('tcpdump', ['-r', run.pcap, '-n', '-tt'], {encoding: 'utf8'})
    assert.equal(td.status, 0, td.stderr)
    const adv = td.stdout.split('\n').filter((l) => /VRRPv2, Advertisement, vrid 51/.test(l)).map((l) => ({t: Number(l.split(' ')[0]), src: l.split(' ')[2]}))
    const ipOf = (n: string): string | undefined => run.hosts.find((h) => h.name === n)?.ip
    const firstLb2 = adv.find((a) => a.src === ipOf('lb2'))
    const lastLb1 = [...adv].reverse().find((a) => a.src === ipOf('lb1'))
    assert.ok(firstLb2 !== undefined && lastLb1 !== undefined, td.stdout.slice(0, 2000))
    assert.ok(adv.filter((a) => a.src === ipOf('lb1')).length >= 3, 'lb1 adverts before the takeover')
    assert.ok(Math.abs((firstLb2.t - lastLb1.t) * 1000 - (inc.takeoverMs ?? 0)) <= 1, `pcap takeover ${(firstLb2.t - lastLb1.t) * 1000} ms vs ${inc.takeoverMs}`)
    // nothing left running in the client's namespace (tcpdump, hachaos probe)
    const pids = spawnSync('ip', ['netns', 'pids', `${prefix}-client`]).stdout.toString().split('\n').filter((x) => x !== '')
    const left = pids.map((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ')
      } catch {
        return ''
      }
    }).filter((c) => /tcpdump|probe/.test(c))
    assert.deepEqual(left, [])
    // the report counts it as an incident
    const rep = await runCli(['report'], {env: {HACHAOS_HOME: HOME}})
    assert.match(rep.stdout, /0 drills, 1 incident/)
    if (!havePrometheus) process.stderr.write('prometheus/promtool not installed: the real scrape was not tested (apt-get install prometheus)\n')
  })
})
