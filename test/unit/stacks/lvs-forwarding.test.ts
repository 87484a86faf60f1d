/**
 * The LVS lab's --forwarding nat|tun and --persistence: options, keepalived.conf, the namespace setup argv, and
 * the readers on ipvsadm outputs captured from those labs (test/fixtures/lvs/*-nat*, *-tun*): Masq and Tunnel
 * real servers, persistence templates (source port 0; state ASSURED once a connection went through them on
 * this 6.1 kernel), the backup's synced copy; the sync group's takeover (sync-group.ts).
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseKeepalivedConf} from '../../../src/config/keepalived.js'
import {HachaosError} from '../../../src/errors.js'
import type {TimelineEvent} from '../../../src/store/run-types.js'
import {forwardingSetup, NAT_DIRECTOR_SH, NAT_REAL_SERVER_SH, TUN_REAL_SERVER_SH} from '../../../src/stacks/lvs/lab/lab.js'
import {keepalivedConf} from '../../../src/stacks/lvs/lab/render.js'
import {lvsTopology, parseLvsLabOptions} from '../../../src/stacks/lvs/lab/topology.js'
import {parseIpvsConns, parseIpvsList, parseIpvsStats} from '../../../src/stacks/lvs/readers.js'
import {syncGroupOf, syncGroupTakeoverMs} from '../../../src/stacks/lvs/sync-group.js'
import {readFixture} from '../../fixture.js'

const fx = (name: string): string => readFixture('lvs', name)

function usageError(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => e instanceof HachaosError && e.code === 'E_USAGE' && re.test(e.message))
}

describe('LVS lab: --forwarding and --persistence', () => {
  it('options: dr by default, nat/tun (any case), persistence 0..86400, clear E_USAGE errors', () => {
    assert.equal(parseLvsLabOptions({}).forwarding, 'dr')
    assert.equal(parseLvsLabOptions({}).persistence, 0)
    assert.equal(parseLvsLabOptions({forwarding: 'NAT'}).forwarding, 'nat')
    assert.equal(parseLvsLabOptions({forwarding: 'tun', persistence: '60'}).persistence, 60)
    usageError(() => parseLvsLabOptions({forwarding: 'masq'}), /--forwarding "masq" is not one of dr, nat, tun/)
    usageError(() => parseLvsLabOptions({persistence: '-1'}), /--persistence must be a whole number from 0 to 86400/)
    usageError(() => parseLvsLabOptions({persistence: '1.5'}), /--persistence/)
    usageError(() => parseLvsLabOptions({persistence: 'forever'}), /--persistence/)
  })

  it('topology: NAT puts the real servers on 10.98.1.0/24 and gives the directors an inside address; DR/TUN unchanged', () => {
    const ip = (f: 'dr' | 'nat' | 'tun'): string[] => lvsTopology('hc', f).nodes.map((n) => `${n.name} ${n.ip} ${n.insideIp ?? '-'}`)
    assert.deepEqual(ip('nat'), ['dir1 10.98.0.2 10.98.1.2', 'dir2 10.98.0.3 10.98.1.3', 'rs1 10.98.1.11 -', 'rs2 10.98.1.12 -'])
    assert.deepEqual(ip('dr'), ['dir1 10.98.0.2 -', 'dir2 10.98.0.3 -', 'rs1 10.98.0.11 -', 'rs2 10.98.0.12 -'])
    assert.deepEqual(ip('tun'), ip('dr'))
  })

  it('keepalived.conf NAT: a sync group of the VIP and the gateway instance, lb_kind NAT to the inside addresses', () => {
    const o = parseLvsLabOptions({forwarding: 'nat', sync: true})
    const [dir1, dir2] = lvsTopology('hc', 'nat').nodes
    assert.ok(dir1 !== undefined && dir2 !== undefined)
    const k = parseKeepalivedConf(keepalivedConf(dir2, o), {file: 'dir2.conf'})
    assert.deepEqual(k.syncGroups.map((g) => [g.name, g.group]), [['LVS', ['VI_LVS', 'VI_GW']]])
    assert.deepEqual(k.vrrpInstances.map((i) => [i.name, i.virtualRouterId, i.priority, i.virtualIpaddresses.map((a) => a.address)]), [
      ['VI_LVS', 98, 100, ['10.98.0.100']],
      ['VI_GW', 99, 100, ['10.98.1.1']],
    ])
    assert.deepEqual(k.virtualServers.map((v) => [v.port, v.lbKind, v.persistenceTimeout, v.realServers.map((r) => r.address)]), [
      [80, 'NAT', undefined, ['10.98.1.11', '10.98.1.12']],
      [7, 'NAT', undefined, ['10.98.1.11', '10.98.1.12']],
    ])
    assert.deepEqual(syncGroupOf(k, 'VI_LVS'), {name: 'LVS', instances: ['VI_LVS', 'VI_GW'], vrids: [98, 99]})
    // DR has no group: the takeover stays the VIP instance's
    assert.equal(syncGroupOf(parseKeepalivedConf(keepalivedConf(dir1, parseLvsLabOptions({})), {file: 'dir1.conf'}), 'VI_LVS'), null)
  })

  it('keepalived.conf TUN with persistence: lb_kind TUN, persistence_timeout, the DR addresses, one instance', () => {
    const [dir1] = lvsTopology('hc', 'tun').nodes
    assert.ok(dir1 !== undefined)
    const k = parseKeepalivedConf(keepalivedConf(dir1, parseLvsLabOptions({forwarding: 'tun', persistence: 60})), {file: 'dir1.conf'})
    assert.equal(k.syncGroups.length, 0)
    assert.equal(k.vrrpInstances.length, 1)
    assert.deepEqual(k.virtualServers.map((v) => [v.port, v.lbKind, v.persistenceTimeout, v.realServers.map((r) => r.address)]), [
      [80, 'TUN', 60, ['10.98.0.11', '10.98.0.12']],
      [7, 'TUN', 60, ['10.98.0.11', '10.98.0.12']],
    ])
  })

  it('namespace setup: argv only (fixed scripts, addresses as positional parameters); nothing for DR', () => {
    assert.deepEqual(forwardingSetup(lvsTopology('hc', 'dr'), 'dr'), [])
    const nat = forwardingSetup(lvsTopology('hc', 'nat'), 'nat')
    assert.deepEqual(nat.map((s) => s.node), ['dir1', 'dir2', 'rs1', 'rs2'])
    assert.deepEqual(nat[0]?.argv, ['/bin/ip', 'netns', 'exec', 'dir1', 'sh', '-c', NAT_DIRECTOR_SH, 'sh', '10.98.1.2/24'])
    assert.deepEqual(nat[2]?.argv, ['/bin/ip', 'netns', 'exec', 'rs1', 'sh', '-c', NAT_REAL_SERVER_SH, 'sh', '10.98.0.100', '10.98.1.1'])
    assert.match(NAT_DIRECTOR_SH, /ip_forward/)
    assert.match(NAT_DIRECTOR_SH, /send_redirects/)
    const tun = forwardingSetup(lvsTopology('hc', 'tun'), 'tun')
    assert.deepEqual(tun.map((s) => s.node), ['rs1', 'rs2'])
    assert.deepEqual(tun[1]?.argv, ['/bin/ip', 'netns', 'exec', 'rs2', 'sh', '-c', TUN_REAL_SERVER_SH, 'sh', '10.98.0.100'])
    assert.match(TUN_REAL_SERVER_SH, /tunl0/)
    assert.match(TUN_REAL_SERVER_SH, /rp_filter/)
  })
})

describe('IPVS readers on the NAT and TUN labs (ipvsadm 1.31, kernel 6.1)', () => {
  it('ipvsadm -Ln, NAT: Masq real servers on the inside subnet', () => {
    const s = parseIpvsList(fx('d1-ipvsadm-Ln-nat.txt'))
    assert.deepEqual(s.map((x) => `${x.address}:${x.port} ${x.scheduler} ${x.persistent ?? '-'}`), ['10.98.0.100:7 rr -', '10.98.0.100:80 rr -'])
    assert.deepEqual(s.flatMap((x) => x.reals.map((r) => `${r.address}:${r.port} ${r.forward} ${r.weight} ${r.activeConn} ${r.inactConn}`)), [
      '10.98.1.11:7 NAT 1 12 0',
      '10.98.1.12:7 NAT 1 12 0',
      '10.98.1.11:80 NAT 1 4 52',
      '10.98.1.12:80 NAT 1 3 49',
    ])
  })

  it('ipvsadm -Ln --stats, NAT: the director carries the replies too (OutPkts > 0, unlike DR and TUN)', () => {
    const rows = parseIpvsStats(fx('d1-ipvsadm-Ln-stats-nat.txt'))
    const svc = (f: string, port: number) => parseIpvsStats(fx(f)).find((r) => r.kind === 'service' && r.port === port)
    assert.deepEqual(svc('d1-ipvsadm-Ln-stats-nat.txt', 7), {kind: 'service', protocol: 'TCP', address: '10.98.0.100', port: 7, conns: 64, inPkts: 8108, outPkts: 4396, inBytes: 425922, outBytes: 233314})
    assert.equal(rows.filter((r) => r.kind === 'real').length, 4)
    assert.ok(rows.every((r) => r.outPkts > 0))
    const tun = parseIpvsStats(fx('d1-ipvsadm-Ln-stats-tun.txt'))
    assert.deepEqual(svc('d1-ipvsadm-Ln-stats-tun.txt', 80), {kind: 'service', protocol: 'TCP', address: '10.98.0.100', port: 80, conns: 4, inPkts: 26, outPkts: 0, inBytes: 1684, outBytes: 0})
    assert.ok(tun.every((r) => r.outPkts === 0), 'TUN: the real servers answer the client directly')
  })

  it('ipvsadm -Lnc, NAT with sync: destinations on the inside, the backup holds the streams the master has', () => {
    const m = parseIpvsConns(fx('d1-ipvsadm-Lnc-nat.txt'))
    const b = parseIpvsConns(fx('d2-ipvsadm-Lnc-nat-sync.txt'))
    assert.equal(m.length, 30)
    assert.ok(m.every((c) => c.protocol === 'TCP' && !c.template && c.virtual.startsWith('10.98.0.100:') && c.destination.startsWith('10.98.1.1')))
    assert.deepEqual([...new Set(m.map((c) => c.state))].sort(), ['ESTABLISHED', 'SYN_RECV', 'TIME_WAIT'])
    const est = m.find((c) => c.source === '10.98.0.10:56208')
    assert.deepEqual(est, {protocol: 'TCP', expireS: 14 * 60 + 44, state: 'ESTABLISHED', source: '10.98.0.10:56208', virtual: '10.98.0.100:7', destination: '10.98.1.12:7', template: false})
    assert.equal(b.length, 30)
    assert.ok(b.every((c) => c.destination.startsWith('10.98.1.1')))
  })

  it('ipvsadm -Ln, TUN with persistence: Tunnel real servers, persistent 60; the client stuck to rs2', () => {
    const s = parseIpvsList(fx('d1-ipvsadm-Ln-tun-persistent.txt'))
    assert.deepEqual(s.map((x) => [x.port, x.persistent]), [[7, 60], [80, 60]])
    assert.deepEqual(s.flatMap((x) => x.reals.map((r) => `${r.address}:${r.port} ${r.forward} ${r.activeConn}/${r.inactConn}`)), [
      '10.98.0.11:7 TUN 0/0',
      '10.98.0.12:7 TUN 3/0',
      '10.98.0.11:80 TUN 0/0',
      '10.98.0.12:80 TUN 0/4',
    ])
  })

  it('ipvsadm -Lnc, persistence templates: source port 0, state ASSURED, one per service; synced to the backup', () => {
    for (const f of ['d1-ipvsadm-Lnc-tun-persistent.txt', 'd2-ipvsadm-Lnc-tun-persistent-sync.txt']) {
      const c = parseIpvsConns(fx(f))
      assert.equal(c.length, 9, f)
      const t = c.filter((x) => x.template)
      assert.deepEqual(t.map((x) => `${x.state} ${x.source} ${x.virtual} ${x.destination}`).sort(), ['ASSURED 10.98.0.10:0 10.98.0.100:7 10.98.0.12:7', 'ASSURED 10.98.0.10:0 10.98.0.100:80 10.98.0.12:80'], f)
      assert.ok(t.every((x) => x.expireS > 0 && x.expireS <= 60), f)
      assert.ok(c.filter((x) => !x.template).every((x) => x.destination.startsWith('10.98.0.12:')), `${f}: every connection follows its template`)
    }
  })
})

describe('takeover of a vrrp_sync_group', () => {
  // The adverts of a NAT-lab drill (µs after the fault): dir1's last adverts of vrid 98 and 99 139 ms apart; dir2's
  // first advert is of vrid 99, Master_Down_Interval + 31 ms after dir1's last of 99 (the group waits for its last member)
  const adv = (ms: number, src: string, vrid: number, prio: number): TimelineEvent => ({type: 'vrrp.advert', t: 1_000_000_000 + ms * 1000, host: 'client', src, smac: '52:54:00:98:00:10', vrid, prio, intvl: 1, ver: 2, auth: 'none'})
  const fault = 1_000_000_000
  const events: TimelineEvent[] = [adv(-584.2, '10.98.0.2', 98, 150), adv(-445.5, '10.98.0.2', 99, 150), adv(415.8, '10.98.0.2', 98, 150), adv(554.5, '10.98.0.2', 99, 150), adv(4194.9, '10.98.0.3', 99, 100), adv(4340.6, '10.98.0.3', 98, 100)]

  it('from the latest of the old master\'s last adverts of the group to the new master\'s first of any member', () => {
    assert.deepEqual(syncGroupTakeoverMs(events, [98, 99], '10.98.0.2', '10.98.0.3', fault), {takeoverMs: 3640.4, newFirstVrid: 99, lastAdvertVrid: 99})
    // the VIP instance alone would read 3924.8 ms: its own timer ran out earlier, but the group waited for VI_GW's
    assert.deepEqual(syncGroupTakeoverMs(events, [98], '10.98.0.2', '10.98.0.3', fault), {takeoverMs: 3924.8, newFirstVrid: 98, lastAdvertVrid: 98})
    assert.equal(syncGroupTakeoverMs(events, [98, 99], '10.98.0.2', '10.98.0.9', fault), null, 'no advert of that new master')
    assert.equal(syncGroupTakeoverMs(events.filter((e) => e.type !== 'vrrp.advert' || e.vrid !== 99 || e.src !== '10.98.0.2'), [98, 99], '10.98.0.2', '10.98.0.3', fault), null, 'a member without an advert of the old master')
  })
})
