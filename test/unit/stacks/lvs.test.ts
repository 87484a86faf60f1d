/**
 * The LVS stack: IPVS readers on real ipvsadm 1.31 outputs and keepalived 2.2.7 logs captured in the LVS
 * lab's guest (test/fixtures/lvs/), the survival fold of the long-lived streams (bounded by the number of
 * streams, not of lines), the lab's keepalived.conf and options, and the doctor rules only LVS has.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseKeepalivedConf} from '../../../src/config/keepalived.js'
import {emptyHost, type DoctorInput} from '../../../src/doctor/types.js'
import {keepalivedConf} from '../../../src/stacks/lvs/lab/render.js'
import {lvsTopology, parseLvsLabOptions} from '../../../src/stacks/lvs/lab/topology.js'
import {ipvsCounter, lastVrrpState, parseIpvsConns, parseIpvsDaemon, parseIpvsList, parseIpvsStats, parseKeepalivedLine, parseVsSysctls} from '../../../src/stacks/lvs/readers.js'
import {LVS_RULES, hasSyncDaemon} from '../../../src/stacks/lvs/rules.js'
import {predictCheckerRemoval} from '../../../src/stacks/lvs/predict.js'
import {StreamFold, parseStreamLine} from '../../../src/stacks/lvs/streams.js'
import {doctorRules, stackFor} from '../../../src/stacks/registry.js'
import {readFixture} from '../../fixture.js'

const fx = (name: string): string => readFixture('lvs', name)

describe('IPVS readers (ipvsadm 1.31 in the lab guest)', () => {
  it('ipvsadm -Ln: two DR services, two real servers each, weights and connection counts', () => {
    const s = parseIpvsList(fx('d1-ipvsadm-Ln-sync.txt'))
    assert.deepEqual(s.map((x) => `${x.protocol} ${x.address}:${x.port} ${x.scheduler}`), ['TCP 10.98.0.100:7 rr', 'TCP 10.98.0.100:80 rr'])
    for (const x of s) {
      assert.deepEqual(x.reals.map((r) => `${r.address}:${r.port} ${r.forward} w${r.weight}`), [`10.98.0.11:${x.port} DR w1`, `10.98.0.12:${x.port} DR w1`])
      assert.equal(x.persistent, null)
    }
    const echo = s[0]
    assert.ok(echo !== undefined)
    // the 5 streams open during the capture, and the earlier drill's that the table still lists
    assert.ok(echo.reals.reduce((n, r) => n + r.activeConn, 0) >= 5)
  })

  it('ipvsadm -Ln with a real server down: removed from the table', () => {
    const s = parseIpvsList(fx('d1-ipvsadm-Ln-rs1-down.txt'))
    const web = s.find((x) => x.port === 80)
    assert.deepEqual(web?.reals.map((r) => r.address), ['10.98.0.12'])
  })

  it('ipvsadm -Ln with persistence: the service line says persistent N', () => {
    const s = parseIpvsList(fx('d1-ipvsadm-Ln-persistent.txt'))
    assert.equal(s.find((x) => x.port === 81)?.persistent, 60)
  })

  it('ipvsadm -Ln --stats: per service and real server, counters (K/M suffixes too)', () => {
    const rows = parseIpvsStats(fx('d1-ipvsadm-Ln-stats-sync.txt'))
    assert.equal(rows.filter((r) => r.kind === 'service').length, 2)
    assert.equal(rows.filter((r) => r.kind === 'real').length, 4)
    const echo = rows.find((r) => r.kind === 'service' && r.port === 7)
    assert.ok(echo !== undefined && echo.conns >= 5 && echo.inPkts > 0, JSON.stringify(echo))
    // DR: the director never sees the real servers' answers
    assert.ok(rows.every((r) => r.outPkts === 0 && r.outBytes === 0))
    assert.equal(ipvsCounter('12K'), 12_000)
    assert.equal(ipvsCounter('3M'), 3_000_000)
    assert.ok(Number.isNaN(ipvsCounter('x')))
  })

  it('ipvsadm -Lnc: the master\'s connection table and the backup\'s synced copy', () => {
    const m = parseIpvsConns(fx('d1-ipvsadm-Lnc-sync.txt'))
    const b = parseIpvsConns(fx('d2-ipvsadm-Lnc-sync.txt'))
    const streams = (c: typeof m): string[] => c.filter((x) => x.virtual === '10.98.0.100:7' && x.state === 'ESTABLISHED').map((x) => x.source).sort()
    // the 5 streams open during the capture are on both; the master also still lists 6 entries of the earlier
    // drill's streams, closed while dir2 was master (their FIN went through dir2), kept until they expire
    assert.equal(streams(m).length, 11)
    assert.equal(streams(b).length, 5)
    const onMaster = new Set(streams(m))
    assert.deepEqual(streams(b).filter((x) => !onMaster.has(x)), [], 'the backup\'s synced streams are the master\'s')
    assert.ok(m.every((x) => x.protocol === 'TCP' && x.expireS > 0 && !x.template))
    const none = parseIpvsConns(fx('d2-ipvsadm-Lnc-nosync.txt'))
    assert.equal(none.length, 0, 'without the sync daemon the backup knows no connection')
  })

  it('ipvsadm -Lnc: persistence templates (protocol IP, port 0)', () => {
    const c = parseIpvsConns(fx('d1-ipvsadm-Lnc-persistent.txt'))
    const t = c.filter((x) => x.template)
    assert.ok(t.length >= 1, 'a template')
    assert.ok(t.every((x) => x.source.endsWith(':0') && x.virtual.endsWith(':81')))
  })

  it('ipvsadm --daemon: master on dir1, backup on dir2 with --sync; nothing without', () => {
    const m = parseIpvsDaemon(fx('d1-ipvsadm-daemon-sync.txt'))
    const b = parseIpvsDaemon(fx('d2-ipvsadm-daemon-sync.txt'))
    assert.deepEqual(m.map((x) => x.role), ['master'])
    assert.deepEqual(b.map((x) => x.role), ['backup'])
    assert.equal(m[0]?.params['mcast'], 'eth0')
    assert.equal(m[0]?.params['syncid'], '98')
    assert.deepEqual(parseIpvsDaemon(fx('d1-ipvsadm-daemon-nosync.txt')), [])
  })

  it('IPVS sysctls from /proc/sys/net/ipv4/vs and from sysctl(8)', () => {
    const s = parseVsSysctls(fx('d1-vs-sysctls.txt'))
    assert.equal(s['expire_nodest_conn'], '0')
    assert.equal(s['sync_threshold'], '3 50')
    assert.equal(s['backup_only'], '0')
    assert.deepEqual(parseVsSysctls('net.ipv4.vs.expire_quiescent_template = 1\n'), {expire_quiescent_template: '1'})
  })

  it('keepalived log: VRRP states, checker failures, real servers removed and added', () => {
    const log = fx('d1-keepalived-rs1-down.log')
    const ev = log.split('\n').map(parseKeepalivedLine).filter((e) => e !== null)
    assert.ok(ev.some((e) => e.kind === 'vrrp-state' && e.state === 'MASTER'))
    const removed = ev.filter((e) => e.kind === 'rs-removed')
    assert.ok(removed.some((e) => e.kind === 'rs-removed' && e.real === '[10.98.0.11]:tcp:80' && e.service === '[10.98.0.100]:tcp:80'), JSON.stringify(removed))
    assert.ok(ev.some((e) => e.kind === 'checker-failed'))
    assert.equal(lastVrrpState(fx('d1-keepalived-sync.log'), 'VI_LVS'), 'MASTER')
    assert.equal(lastVrrpState(fx('d2-keepalived-sync.log'), 'VI_LVS'), 'BACKUP')
    assert.equal(lastVrrpState('', 'VI_LVS'), null)
  })
})

describe('established-connection survival (the streams fold)', () => {
  it('charges each loss to the phase it happened in; a stall to its last echo', () => {
    const f = new StreamFold()
    for (let i = 0; i < 4; i++) f.add({ev: 'open', conn: i, t: 100})
    f.add({ev: 'lost', conn: 0, t: 500, error: 'ECONNRESET', lastEchoT: 400})
    f.add({ev: 'lost', conn: 1, t: 5000, error: 'stalled', lastEchoT: 900})
    f.add({ev: 'lost', conn: 1, t: 6000, error: 'closed', lastEchoT: 900})
    f.add({ev: 'lost', conn: 2, t: 2500, error: 'ECONNRESET', lastEchoT: 2000})
    f.add({ev: 'summary', t: 7000, wanted: 4, opened: 4, alive: 1})
    const s = f.survival(1000, 2000)
    assert.deepEqual(s, {wanted: 4, opened: 4, lostBeforeFault: 2, survivedTakeover: 2, lostInTakeover: 0, survivedFailback: 1, lostInFailback: 1, errors: {ECONNRESET: 2, stalled: 1}})
    assert.equal(f.survival(0, null).survivedFailback, null)
  })

  it('holds one record per stream, whatever the number of lines', () => {
    const f = new StreamFold()
    for (let k = 0; k < 10_000; k++) f.add({ev: 'open', conn: k % 20, t: k})
    for (let k = 0; k < 10_000; k++) f.add({ev: 'lost', conn: k % 20, t: k, error: 'ECONNRESET', lastEchoT: null})
    assert.equal(f.size(), 40)
  })

  it('reads the helper\'s NDJSON lines', () => {
    assert.deepEqual(parseStreamLine('{"ev":"open","conn":3,"t":5}'), {ev: 'open', conn: 3, t: 5})
    assert.equal(parseStreamLine('garbage'), null)
    assert.equal(parseStreamLine('{"ev":"other"}'), null)
  })
})

describe('the LVS lab: options and keepalived.conf', () => {
  it('options: defaults, --sync, bad values refused', () => {
    const o = parseLvsLabOptions({})
    assert.deepEqual(o, {sync: false, advertInt: 1, scheduler: 'rr', delayLoop: 1, connectTimeout: 1, retry: 1, delayBeforeRetry: 1, checker: 'tcp', health: 'keepalived', memMb: 256, forwarding: 'dr', persistence: 0})
    assert.equal(parseLvsLabOptions({sync: true}).sync, true)
    assert.throws(() => parseLvsLabOptions({scheduler: 'fancy'}), /scheduler/)
    assert.throws(() => parseLvsLabOptions({advertInt: 0}), /advert-int/)
  })

  it('keepalived.conf as the guest runs it (the captured file), parsed by hachaos\'s own parser', () => {
    const t = lvsTopology('hc')
    const dir1 = t.nodes[0]
    assert.ok(dir1 !== undefined)
    const conf = keepalivedConf(dir1, parseLvsLabOptions({sync: true}))
    assert.equal(conf, fx('dir1-keepalived-sync.conf'))
    const k = parseKeepalivedConf(conf, {file: 'dir1.conf'})
    assert.equal(k.vrrpInstances[0]?.priority, 150)
    assert.deepEqual(k.virtualServers.map((v) => [v.port, v.lbKind, v.realServers.length]), [[80, 'DR', 2], [7, 'DR', 2]])
    assert.equal(hasSyncDaemon(k), true)
    assert.equal(hasSyncDaemon(parseKeepalivedConf(keepalivedConf(dir1, parseLvsLabOptions({})), {file: 'dir1.conf'})), false)
  })
})

function directorInput(conf: string): DoctorInput {
  const h = emptyHost('dir1')
  h.keepalived.push(parseKeepalivedConf(conf, {file: 'dir1/keepalived.conf'}))
  return {hosts: [h]}
}

describe('LVS doctor rules (every rule: a failing and a passing case, on the lab\'s configs)', () => {
  const rule = (id: string): (typeof LVS_RULES)[number] => {
    const r = LVS_RULES.find((x) => x.id === id)
    assert.ok(r !== undefined, id)
    return r
  }
  const noSync = fx('dir1-keepalived-nosync.conf')
  const sync = fx('dir1-keepalived-sync.conf')
  const persistent = (c: string): string => c.replaceAll('  lb_kind DR\n', '  lb_kind DR\n  persistence_timeout 60\n')

  it('lvs-pair-no-sync', () => {
    const f = rule('lvs-pair-no-sync').check(directorInput(noSync))
    assert.equal(f.length, 1)
    assert.match(f[0]?.message ?? '', /without lvs_sync_daemon/)
    assert.equal(f[0]?.evidence[0]?.line, 2, 'global_defs')
    assert.deepEqual(rule('lvs-pair-no-sync').check(directorInput(sync)), [])
  })

  it('lvs-persistence-no-sync', () => {
    const f = rule('lvs-persistence-no-sync').check(directorInput(persistent(noSync)))
    assert.equal(f.length, 2, 'both virtual servers are persistent')
    assert.match(f[0]?.message ?? '', /persistence_timeout 60 without lvs_sync_daemon/)
    assert.deepEqual(rule('lvs-persistence-no-sync').check(directorInput(persistent(sync))), [])
    assert.deepEqual(rule('lvs-persistence-no-sync').check(directorInput(noSync)), [])
  })

  it('the rules are registered with the stack, and directors are the LVS stack\'s targets (before keepalived\'s lb)', () => {
    const ids = doctorRules().map((r) => r.id)
    for (const r of LVS_RULES) assert.ok(ids.includes(r.id), r.id)
    const inv = {file: 'x', name: 'x', hosts: []} as unknown as Parameters<typeof stackFor>[1]
    const host = (roles: string[]): Parameters<typeof stackFor>[0] => ({name: 'dir1', address: '10.98.0.2', via: 'local', roles, services: 'none', facts: {}}) as Parameters<typeof stackFor>[0]
    assert.equal(stackFor(host(['lvs-director']), inv).name, 'lvs')
    assert.equal(stackFor(host(['lvs-director', 'lb']), inv).name, 'lvs')
    assert.equal(stackFor(host(['lb']), inv).name, 'keepalived')
  })
})

describe('real-server loss: keepalived checker removal time', () => {
  it('refused: U[0, delay_loop] + retry × delay_before_retry; blackhole adds (retry + 1) × connect_timeout', () => {
    const t = {delayLoopS: 1, connectTimeoutS: 1, retry: 1, delayBeforeRetryS: 1}
    const r = predictCheckerRemoval(t, 'refused', 'rs1')
    assert.deepEqual([r.minMs, r.maxMs], [1000, 2000])
    assert.match(r.formula, /= 1\.0–2\.0 s/)
    const b = predictCheckerRemoval(t, 'blackhole', 'rs1')
    assert.deepEqual([b.minMs, b.maxMs], [3000, 4000])
    // the seed's timers: delay_loop 6, connect_timeout 3, nb_get_retry 3, delay_before_retry 3
    const s = predictCheckerRemoval({delayLoopS: 6, connectTimeoutS: 3, retry: 3, delayBeforeRetryS: 3}, 'blackhole', 'rs1')
    assert.deepEqual([s.minMs, s.maxMs], [21_000, 27_000])
  })
})
