import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import fc from 'fast-check'

import {defaultsOf, modeOf, optionOf, parseHaproxyCfg, splitAddrPort, timeoutOf} from '../../../src/config/haproxy.js'
import {HachaosError, isHachaosError} from '../../../src/errors.js'
import {fixturePath, readFixture} from '../../fixture.js'

function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.trimStart().startsWith(needle))
  assert.ok(i >= 0, `"${needle}" not in the text`)
  return i + 1
}

function parse(name: string): {text: string; cfg: ReturnType<typeof parseHaproxyCfg>} {
  const text = readFixture('haproxy', name)
  return {text, cfg: parseHaproxyCfg(text, {file: fixturePath('haproxy', name)})}
}

describe('haproxy.cfg parser', () => {
  it('reads the lab config (captured from hachaos lab up)', () => {
    const {text, cfg} = parse('lab-lb1.cfg')
    assert.deepEqual(
      cfg.sections.map((s) => [s.type, s.name, s.line]),
      [
        ['global', undefined, lineOf(text, 'global')],
        ['defaults', undefined, lineOf(text, 'defaults')],
        ['frontend', 'www_app', lineOf(text, 'frontend www_app')],
        ['backend', 'www_servers', lineOf(text, 'backend www_servers')],
        ['listen', 'stats', lineOf(text, 'listen stats')],
        ['frontend', 'health', lineOf(text, 'frontend health')],
      ],
    )
    const be = cfg.backends[0]
    assert.ok(be !== undefined)
    assert.deepEqual(be.defaultServer, {inter: '1000ms', fall: '2', rise: '2'})
    assert.deepEqual(
      be.servers.map((s) => ({name: s.name, address: s.address, port: s.port, check: s.check, inter: s.effective['inter'], line: s.line})),
      [
        {name: 'web1', address: '10.66.0.21', port: '80', check: true, inter: '1000ms', line: lineOf(text, 'server web1')},
        {name: 'web2', address: '10.66.0.22', port: '80', check: true, inter: '1000ms', line: lineOf(text, 'server web2')},
      ],
    )
    assert.equal(optionOf(cfg, be, 'redispatch')?.line, lineOf(text, 'option redispatch'))
    assert.equal(optionOf(cfg, be, 'httpchk')?.args.join(' '), 'httpchk GET /')
    assert.equal(timeoutOf(cfg, be, 'connect')?.args[1], '2s')
    assert.equal(modeOf(cfg, be), 'http')
    const fe = cfg.frontends[0]
    assert.deepEqual(fe?.binds.map((b) => [b.address, b.port, b.line]), [['10.66.0.100', '80', lineOf(text, 'bind 10.66.0.100:80')]])
    const stats = cfg.listens[0]
    assert.ok(stats?.directives.some((d) => d.keyword === 'stats' && d.args[0] === 'auth'))
  })

  it('reads the field-manual config: RHEL defaults, aligned columns, escaped spaces, server without check', () => {
    const {text, cfg} = parse('seed-lb1.cfg')
    assert.equal(cfg.global?.directives.find((d) => d.keyword === 'chroot')?.args[0], '/var/lib/haproxy')
    const be = cfg.backends[0]
    assert.deepEqual(
      be?.servers.map((s) => [s.name, s.check, s.line]),
      [
        ['web1', true, lineOf(text, 'server  web1')],
        ['web2', false, lineOf(text, 'server  web2')],
      ],
    )
    const realm = cfg.listens[0]?.directives.find((d) => d.keyword === 'stats' && d.args[0] === 'realm')
    assert.deepEqual(realm?.args, ['realm', 'Haproxy Statistics'])
    assert.equal(timeoutOf(cfg, be ?? cfg.sections[0]!, 'server')?.args[1], '1m')
    assert.deepEqual(cfg.frontends[0]?.binds.map((b) => [b.address, b.port]), [['*', '80']])
  })

  it('reads named defaults (from), default-server check, server-template, quoted stats auth', () => {
    const {text, cfg} = parse('prod-tls.cfg')
    const shop = cfg.backends.find((b) => b.name === 'be_shop')
    assert.ok(shop !== undefined)
    assert.equal(defaultsOf(cfg, shop)?.name, 'http_defaults')
    assert.deepEqual(
      shop.servers.map((s) => [s.name, s.check, s.backup, s.effective['inter']]),
      [
        ['shop1', true, false, '2s'],
        ['shop2', true, false, '2s'],
        ['shop3', true, true, '2s'],
      ],
    )
    const api = cfg.backends.find((b) => b.name === 'be_api')
    assert.deepEqual(api?.servers.map((s) => [s.name, s.template, s.address, s.check]), [['api', true, '_api._tcp.service.consul', true]])
    const pg = cfg.listens.find((l) => l.name === 'pg_primary')
    assert.ok(pg !== undefined)
    assert.equal(modeOf(cfg, pg), 'tcp')
    assert.equal(optionOf(cfg, pg, 'redispatch'), undefined, 'tcp_defaults has no redispatch')
    assert.deepEqual(pg.servers.map((s) => [s.name, s.effective['port'], s.check]), [['pg1', '5432', true], ['pg2', '5432', true]])
    const fe = cfg.frontends[0]
    assert.deepEqual(fe?.binds.map((b) => [b.address, b.port, b.options['crt'], b.options['ssl']]), [
      ['203.0.113.10', '443', '/etc/haproxy/certs/shop.pem', true],
      ['203.0.113.10', '80', undefined, undefined],
    ])
    const auth = cfg.listens.find((l) => l.name === 'stats')?.directives.find((d) => d.keyword === 'stats' && d.args[0] === 'auth')
    assert.deepEqual(auth?.args, ['auth', 'ops:c0rrect horse battery'])
    assert.equal(auth?.line, lineOf(text, 'stats auth'))
  })

  it('no-check after default-server check switches checks off', () => {
    const cfg = parseHaproxyCfg('defaults\n  default-server check inter 3s\nbackend b\n  server a 10.0.0.1:80\n  server c 10.0.0.2:80 no-check\n', {file: 'h.cfg'})
    assert.deepEqual(cfg.backends[0]?.servers.map((s) => [s.name, s.check, s.effective['inter']]), [['a', true, '3s'], ['c', false, '3s']])
  })

  it('splits addresses like haproxy', () => {
    assert.deepEqual(splitAddrPort('10.0.0.1:80'), {address: '10.0.0.1', port: '80'})
    assert.deepEqual(splitAddrPort('[2001:db8::1]:443'), {address: '2001:db8::1', port: '443'})
    assert.deepEqual(splitAddrPort('ipv6@:::8080'), {address: 'ipv6@::', port: '8080'})
    assert.deepEqual(splitAddrPort(':80'), {address: '', port: '80'})
    assert.deepEqual(splitAddrPort('unix@/run/x.sock'), {address: 'unix@/run/x.sock'})
    assert.deepEqual(splitAddrPort('web1'), {address: 'web1'})
  })

  it('names file:line for malformed input', () => {
    const cases: Array<[string, string]> = [
      ['  maxconn 10\n', 'h.cfg:1'],
      ['global\nbackend\n', 'h.cfg:2'],
      ['backend b\n  server\n', 'h.cfg:2'],
      ['backend b\n  server a\n', 'h.cfg:2'],
      ['backend b\n  server a 10.0.0.1:80 weight\n', 'h.cfg:2'],
      ['frontend f\n  bind\n', 'h.cfg:2'],
      ['listen s\n  stats auth "admin:x\n', 'h.cfg:2'],
    ]
    for (const [text, where] of cases) {
      assert.throws(
        () => parseHaproxyCfg(text, {file: 'h.cfg'}),
        (e: unknown) => isHachaosError(e) && e.exitName === 'BAD_INPUT' && e.where === where && e.message.includes(where),
        text,
      )
    }
  })

  it('fuzzed input: a config or a HachaosError with file:line', () => {
    const words = ['global', 'defaults', 'frontend', 'backend', 'listen', 'f', 'server', 'default-server', 'bind', 'check', 'weight', 'inter', 'no-check',
      '10.0.0.1:80', '[::1]:80', '"', "'", '\\', '#', '\n', '\n', ' ', 'option', 'redispatch', 'from', 'timeout', 'stats', 'auth']
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...words), fc.string({maxLength: 5})), {maxLength: 50}), (a) => {
        try {
          const cfg = parseHaproxyCfg(a.join(' '), {file: 'f.cfg'})
          for (const s of cfg.sections) for (const sv of s.servers) assert.ok(sv.line >= 1)
        } catch (e) {
          if (!(e instanceof HachaosError)) throw e
          assert.match(e.where ?? '', /^f\.cfg:\d+$/)
        }
      }),
      {numRuns: 2000},
    )
  })
})
