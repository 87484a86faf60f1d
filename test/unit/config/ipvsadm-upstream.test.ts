/**
 * ipvsadm output nobody here wrote (test/fixtures/ipvsadm-upstream/, sources in its README): the values the
 * doctor's reader (src/config/ipvs.ts) and the drills' reader (src/stacks/lvs/readers.ts) take from it, and
 * the LVS rules on it.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseIpvsadm} from '../../../src/config/ipvs.js'
import {addSource, detectKind, notAConfig} from '../../../src/doctor/collect.js'
import {runDoctor} from '../../../src/doctor/index.js'
import {emptyHost} from '../../../src/doctor/types.js'
import {isHachaosError} from '../../../src/errors.js'
import {parseIpvsList, parseIpvsStats} from '../../../src/stacks/lvs/readers.js'
import {doctorRules} from '../../../src/stacks/registry.js'
import {readFixture} from '../../fixture.js'

const up = (name: string): string => readFixture('ipvsadm-upstream', name)
const table = (name: string): ReturnType<typeof parseIpvsadm> => parseIpvsadm(up(name), {file: name})
const reals = (s: ReturnType<typeof parseIpvsadm>['services'][number] | undefined): string[] =>
  (s?.reals ?? []).map((r) => `${r.address}:${r.port}/${r.forward}/w${r.weight ?? '-'}/${r.activeConn ?? '-'}/${r.inactConn ?? '-'}`)

function lvsFindings(name: string): string[] {
  const h = emptyHost('d')
  addSource(h, 'ipvsadm', name, up(name))
  return runDoctor({hosts: [h]}, {rules: doctorRules()})
    .findings.filter((f) => f.area === 'lvs')
    .map((f) => `${f.rule}: ${f.message} @${f.evidence.map((e) => `${e.file ?? ''}:${e.line ?? ''}`).join(',')}`)
    .sort()
}

describe('ipvsadm -Ln from upstream and field sources', () => {
  it('gnl2go README: "FWM  1 IPv6 wrr" is firewall mark 1, IPv6, scheduler wrr (was read as scheduler "IPv6")', () => {
    const t = table('gnl2go-fwm-ipv6-Ln.txt')
    assert.deepEqual(
      t.services.map((s) => [s.protocol, s.address, s.port, s.family, s.scheduler, s.line]),
      [
        ['TCP', '192.168.1.1', 80, undefined, 'wrr', 4],
        ['FWM', '1', 0, 'inet6', 'wrr', 7],
      ],
    )
    assert.deepEqual(reals(t.services[1]), ['fc00:1::12:0/TUN/w10/0/0', 'fc00:2:3::12:0/TUN/w33/0/0'])
    assert.deepEqual(
      parseIpvsList(up('gnl2go-fwm-ipv6-Ln.txt')).map((s) => [s.protocol, s.address, s.scheduler, s.reals.map((r) => r.weight)]),
      [
        ['TCP', '192.168.1.1', 'wrr', [10, 20]],
        ['FWM', '1', 'wrr', [10, 33]],
      ],
    )
    // the finding names the IPv6 mark, at its line
    assert.ok(lvsFindings('gnl2go-fwm-ipv6-Ln.txt').includes('lvs-no-health-check: d FWM 1 IPv6: no keepalived virtual_server checks its 2 real servers @gnl2go-fwm-ipv6-Ln.txt:7'))
  })

  it('lvs-devel (maglev): "mh (mh-port)" is scheduler mh with flag mh-port; weights 100 and 0 (inhibited), so one live real server', () => {
    const t = table('lvs-devel-mh-port-Ln.txt')
    assert.deepEqual([t.services[0]?.scheduler, t.services[0]?.schedFlags, t.services[0]?.persistent], ['mh', ['mh-port'], undefined])
    assert.deepEqual(reals(t.services[0]), ['172.16.42.168:2222/DR/w100/0/0', '172.16.42.169:2222/DR/w0/0/0'])
    assert.deepEqual(lvsFindings('lvs-devel-mh-port-Ln.txt'), [
      'lvs-dr-arp: d TCP 172.16.42.170:2222 uses direct routing: check ARP on its 2 real servers @lvs-devel-mh-port-Ln.txt:4',
      'lvs-no-health-check: d TCP 172.16.42.170:2222: no keepalived virtual_server checks its 2 real servers @lvs-devel-mh-port-Ln.txt:4',
      'lvs-single-real-server: d TCP 172.16.42.170:2222: 1 real server with weight > 0 (of 2) @lvs-devel-mh-port-Ln.txt:4',
    ])
  })

  it('kubernetes ipvs README: persistent 10800 on 10.0.0.1:443, Masq, ActiveConn 1 / InActConn 0 read in both readers', () => {
    const t = table('kubernetes-ipvs-readme-Ln.txt')
    assert.deepEqual(
      t.services.map((s) => [s.protocol, s.address, s.port, s.scheduler, s.persistent, reals(s)]),
      [
        ['TCP', '10.0.0.1', 443, 'rr', 10800, ['192.168.0.1:6443/NAT/w1/1/0']],
        ['TCP', '10.0.0.10', 53, 'rr', undefined, ['172.17.0.2:53/NAT/w1/0/0']],
        ['UDP', '10.0.0.10', 53, 'rr', undefined, ['172.17.0.2:53/NAT/w1/0/0']],
      ],
    )
    assert.deepEqual(
      parseIpvsList(up('kubernetes-ipvs-readme-Ln.txt')).map((s) => [s.address, s.port, s.persistent, s.reals.map((r) => [r.weight, r.activeConn, r.inactConn])]),
      [
        ['10.0.0.1', 443, 10800, [[1, 1, 0]]],
        ['10.0.0.10', 53, null, [[1, 0, 0]]],
        ['10.0.0.10', 53, null, [[1, 0, 0]]],
      ],
    )
  })

  it('k0s cplb doc (the -Ln layout under a "--save -n" prompt): persistent 360, three Route real servers of weight 1', () => {
    const t = table('k0s-cplb-save-n.txt')
    assert.equal(t.format, 'list')
    assert.deepEqual([t.services[0]?.scheduler, t.services[0]?.persistent], ['rr', 360])
    assert.deepEqual(reals(t.services[0]), ['192.168.122.185:6443/DR/w1/0/0', '192.168.122.87:6443/DR/w1/0/0', '192.168.122.122:6443/DR/w1/0/0'])
    assert.deepEqual(lvsFindings('k0s-cplb-save-n.txt'), [
      'lvs-dr-arp: d TCP 192.168.122.200:6443 uses direct routing: check ARP on its 3 real servers @k0s-cplb-save-n.txt:4',
      'lvs-no-health-check: d TCP 192.168.122.200:6443: no keepalived virtual_server checks its 3 real servers @k0s-cplb-save-n.txt:4',
    ])
  })

  it('Diamond --stats --exact: the header says counters, so no scheduler is read from the Conns column', () => {
    const t = table('diamond-ipvsadm-Ln-stats-exact.txt')
    assert.deepEqual(
      t.services.map((s) => [s.address, s.port, s.scheduler, reals(s)]),
      [
        ['172.16.1.56', 80, undefined, ['10.68.15.66:80/UNKNOWN/w-/-/-']],
        ['172.16.1.56', 443, undefined, ['10.68.15.66:443/UNKNOWN/w-/-/-']],
      ],
    )
    // the drills' counter reader: every column, exact
    assert.deepEqual(
      parseIpvsStats(up('diamond-ipvsadm-Ln-stats-exact.txt')).map((r) => [r.kind, r.address, r.port, r.conns, r.inPkts, r.outPkts, r.inBytes, r.outBytes]),
      [
        ['service', '172.16.1.56', 80, 116, 582893, 578642, 45293116, 826814146],
        ['real', '10.68.15.66', 80, 116, 582893, 578642, 45293116, 826814146],
        ['service', '172.16.1.56', 443, 59, 469, 469, 57558, 216873],
        ['real', '10.68.15.66', 443, 59, 469, 469, 57558, 216873],
      ],
    )
  })

  it('big_brother --save --numeric: firewall marks 3, 1, 2 with wrr and IPIP (-i) real servers of weight 1', () => {
    const t = table('big-brother-save-numeric.txt')
    assert.equal(t.format, 'save')
    assert.deepEqual(
      t.services.map((s) => [s.protocol, s.address, s.scheduler, s.family, s.reals.map((r) => `${r.address}/${r.forward}/${r.weight ?? '-'}`)]),
      [
        ['FWM', '3', 'wrr', undefined, ['10.0.1.220/TUN/1', '10.0.1.221/TUN/1', '10.0.1.222/TUN/1']],
        ['FWM', '1', 'wrr', undefined, ['10.0.1.223/TUN/1', '10.0.1.224/TUN/1']],
        ['FWM', '2', 'wrr', undefined, ['10.0.1.225/TUN/1']],
      ],
    )
  })

  it('the same table indented as a whole (as pasted from a page\'s code block) is still ipvsadm output, read the same', () => {
    const text = up('kubernetes-ipvs-readme-Ln.txt').replace(/^(?=.)/gm, '    ')
    assert.equal(notAConfig('ipvsadm', 'k', text), null)
    assert.equal(detectKind('k', text), 'ipvsadm')
    assert.deepEqual(parseIpvsadm(text, {file: 'k'}).services, table('kubernetes-ipvs-readme-Ln.txt').services.map((s) => ({...s, file: 'k', reals: s.reals.map((r) => ({...r, file: 'k'}))})))
  })

  it('the connection table (ipvsadm -Lnc, its two header lines as list_conn prints them) is refused at its first line, saying what it is', () => {
    const lnc = 'IPVS connection entries\npro expire state       source             virtual            destination\n'
    assert.throws(
      () => parseIpvsadm(lnc, {file: 'c'}),
      (e: unknown) => isHachaosError(e) && e.where === 'c:1' && /connection table \(`ipvsadm -Lnc`\)/.test(e.message) && e.suggestions.some((s) => /ipvsadm -Ln/.test(s)),
    )
  })
})
