import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {after, describe, it} from 'node:test'

import {daemonSpecs, renderAll, renderApache, renderHaproxy, renderKeepalived} from '../../src/stacks/keepalived/lab/render.js'
import {keepalivedTopology, nodeByName} from '../../src/stacks/keepalived/lab/topology.js'
import {parseSubnet} from '../../src/lab/subnet.js'

const t = keepalivedTopology('hc')
const DIR = mkdtempSync(join(tmpdir(), 'hachaos-render-'))
chmodSync(DIR, 0o755)
const secrets = {vrrpPass: 'abcdefgh', statsPass: 's3cr3t-long-pass'}
after(() => rmSync(DIR, {recursive: true, force: true}))

const text = (files: Array<{path: string; content: string}>, name: string): string => {
  const f = files.find((x) => x.path.endsWith(name))
  assert.ok(f, `no ${name}`)
  return f.content
}

describe('lab topology', () => {
  it("follows the seed: lb1, lb2, web1, web2, client on one /24 with a VIP", () => {
    assert.deepEqual(t.nodes.map((n) => `${n.name}=${n.ip}`), ['lb1=10.66.0.11', 'lb2=10.66.0.12', 'web1=10.66.0.21', 'web2=10.66.0.22', 'client=10.66.0.50'])
    assert.equal(t.vip, '10.66.0.100')
    assert.deepEqual(t.nodes.map((n) => n.ns), ['hc-lb1', 'hc-lb2', 'hc-web1', 'hc-web2', 'hc-client'])
    assert.equal(new Set(t.nodes.map((n) => n.mac)).size, t.nodes.length)
    assert.throws(() => parseSubnet('10.66.0.0/16'), /not an IPv4 \/24/)
    assert.throws(() => parseSubnet('300.1.1.0/24'), /not an IPv4 \/24/)
  })
})

describe('rendered keepalived.conf', () => {
  const lb1 = text(renderKeepalived(t, nodeByName(t, 'lb1'), DIR, secrets), 'keepalived.conf')
  const lb2 = text(renderKeepalived(t, nodeByName(t, 'lb2'), DIR, secrets), 'keepalived.conf')

  it('lb1 MASTER priority 150, lb2 BACKUP priority 100, VRRPv2 advert_int 1, same vrid', () => {
    assert.match(lb1, /state MASTER/)
    assert.match(lb1, /priority 150\b/)
    assert.match(lb2, /state BACKUP/)
    assert.match(lb2, /priority 100\b/)
    for (const c of [lb1, lb2]) {
      assert.match(c, /advert_int 1\n/)
      assert.match(c, /virtual_router_id 51\n/)
      assert.match(c, /10\.66\.0\.100\/24 dev eth0/)
      assert.doesNotMatch(c, /vrrp_version 3/)
    }
  })

  it('tracks HAProxy with a script checking this node\'s own monitor port (not a process name)', () => {
    assert.match(lb1, /track_script \{\s+chk_haproxy\s+\}/)
    const script = text(renderKeepalived(t, nodeByName(t, 'lb1'), DIR, secrets), 'check_haproxy.sh')
    assert.match(script, /127\.0\.0\.1:8405\/healthz/)
    assert.doesNotMatch(script, /pidof|pgrep|killall/)
  })

  it('VRRPv3 with sub-second adverts when asked; VRRPv2 refuses fractions', () => {
    const t3 = keepalivedTopology('hc', undefined, {vrrpVersion: 3, advertInt: 0.5})
    const c = text(renderKeepalived(t3, nodeByName(t3, 'lb2'), DIR, secrets), 'keepalived.conf')
    assert.match(c, /vrrp_version 3\n/)
    assert.match(c, /advert_int 0\.5\n/)
    assert.throws(() => keepalivedTopology('hc', undefined, {vrrpVersion: 2, advertInt: 0.5}), /not valid for VRRPv2/)
    assert.throws(() => keepalivedTopology('hc', undefined, {vrrpVersion: 3, advertInt: 0.005}), /not valid for VRRPv3/)
  })

  it('auth_pass is at most 8 characters (keepalived truncates longer ones)', () => {
    const pass = /auth_pass (\S+)/.exec(lb1)?.[1] ?? ''
    assert.ok(pass.length > 0 && pass.length <= 8)
  })
})

describe('rendered haproxy.cfg', () => {
  const cfg = text(renderHaproxy(t, nodeByName(t, 'lb2'), DIR, secrets), 'haproxy.cfg')
  it('frontend on VIP:80, round robin to web1 and web2 with check, stats page with auth', () => {
    assert.match(cfg, /bind 10\.66\.0\.100:80\n/)
    assert.match(cfg, /balance roundrobin/)
    assert.match(cfg, /server web1 10\.66\.0\.21:80 check\n/)
    assert.match(cfg, /server web2 10\.66\.0\.22:80 check\n/)
    assert.match(cfg, /stats uri \/stats/)
    assert.match(cfg, /stats auth admin:s3cr3t-long-pass/)
    assert.doesNotMatch(cfg, /passw0rd/)
    assert.match(cfg, /option redispatch/)
  })
})

describe('rendered apache2.conf', () => {
  it('each web server has its own pid, mutex, log and document root, and names itself', () => {
    const w1 = renderApache(t, nodeByName(t, 'web1'), DIR)
    const w2 = renderApache(t, nodeByName(t, 'web2'), DIR)
    const c1 = text(w1, 'apache2.conf')
    const c2 = text(w2, 'apache2.conf')
    for (const key of ['PidFile', 'Mutex', 'ErrorLog', 'DocumentRoot', 'DefaultRuntimeDir', 'Listen']) {
      const v1 = new RegExp(`^${key} (.+)$`, 'm').exec(c1)?.[1]
      const v2 = new RegExp(`^${key} (.+)$`, 'm').exec(c2)?.[1]
      assert.ok(v1 !== undefined && v2 !== undefined && v1 !== v2, `${key}: ${v1} vs ${v2}`)
    }
    assert.match(text(w1, 'index.html'), /served by web1/)
    assert.match(c1, /X-Served-By "web1"/)
  })
})

describe('the real daemons accept the rendered configs', () => {
  const files = renderAll(t, DIR, secrets)
  for (const f of files) {
    mkdirSync(dirname(f.path), {recursive: true, mode: 0o755})
    writeFileSync(f.path, f.content, {mode: f.mode})
  }
  const have = (bin: string): boolean => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0
  const specs = daemonSpecs(t, DIR)

  it('haproxy -c', {skip: !have('haproxy') && 'haproxy not installed'}, () => {
    for (const s of specs.filter((x) => x.service === 'haproxy')) {
      const cfg = s.argv[s.argv.indexOf('-f') + 1] as string
      const r = spawnSync('haproxy', ['-c', '-f', cfg], {encoding: 'utf8'})
      assert.equal(r.status, 0, r.stdout + r.stderr)
    }
  })

  it('keepalived -t', {skip: !have('keepalived') && 'keepalived not installed'}, () => {
    for (const s of specs.filter((x) => x.service === 'keepalived')) {
      const cfg = s.argv[s.argv.indexOf('-f') + 1] as string
      const r = spawnSync('keepalived', ['-t', '-l', '-f', cfg], {encoding: 'utf8'})
      assert.equal(r.status, 0, r.stdout + r.stderr)
    }
  })

  it('apache2 -t', {skip: !have('apache2') && 'apache2 not installed'}, () => {
    for (const s of specs.filter((x) => x.service === 'apache2')) {
      const cfg = s.argv[s.argv.indexOf('-f') + 1] as string
      const r = spawnSync('apache2', ['-t', '-f', cfg], {encoding: 'utf8'})
      assert.equal(r.status, 0, r.stdout + r.stderr)
    }
  })
})
