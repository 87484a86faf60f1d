/** HAProxy rules. */
import {type HaSection, type HaproxyConfig, directiveOf, hasFrontSide, optionOf, proxies, timeoutOf} from '../../config/haproxy.js'
import {isWildcard, normAddr} from '../../doctor/net.js'
import {type DoctorInput, type Evidence, type FindingDraft, type HostConfigs, type Rule, ev} from '../../doctor/types.js'
import {vipSet} from './doctor.js'

interface SectionRef {
  host: HostConfigs
  cfg: HaproxyConfig
  s: HaSection
}

function sections(input: DoctorInput): SectionRef[] {
  return input.hosts.flatMap((host) => host.haproxy.flatMap((cfg) => proxies(cfg).map((s) => ({host, cfg, s}))))
}

const label = (r: SectionRef): string => `${r.host.host} ${r.s.type} ${r.s.name ?? ''}`.trimEnd()

/** Servers a `server-template PREFIX NUM|LOW-HIGH` line stands for. */
function templateCount(args: string[]): number {
  const n = args[1] ?? '1'
  const m = /^(\d+)-(\d+)$/.exec(n)
  if (m !== null) return Math.max(1, Number(m[2]) - Number(m[1]) + 1)
  return Math.max(1, Number(n) || 1)
}

function serverCount(r: SectionRef): number {
  return r.s.servers.reduce((n, sv) => n + (sv.template ? templateCount(r.s.directives.find((d) => d.line === sv.line)?.args ?? []) : 1), 0)
}

/** Stats pages on the seed's and vendors' default credentials. */
export const DEFAULT_STATS_CREDENTIALS = ['admin:admin', 'admin:password', 'admin:passw0rd', 'admin:haproxy', 'haproxy:haproxy', 'admin:123456', 'root:root', 'stats:stats', 'admin:admin123', 'user:password']

function statsOn(r: SectionRef): Evidence | undefined {
  const enable = directiveOf(r.cfg, r.s, 'stats', 'enable') ?? directiveOf(r.cfg, r.s, 'stats', 'uri')
  return enable === undefined ? undefined : ev(enable, r.host.host, [enable.keyword, ...enable.args].join(' '))
}

const LOOPBACK = /^(127\.|::1$|localhost$|unix@|abns@|\/)/

export const haproxyRules: Rule[] = [
  {
    id: 'haproxy-server-no-check',
    area: 'haproxy',
    severity: 'error',
    title: 'Server without `check`',
    why: 'Without health checks HAProxy keeps sending requests to a dead server: every request that lands there fails, for as long as it is down.',
    fix: 'Add `check` to the server line (or `default-server check` in the backend or defaults), with `inter 2s fall 3 rise 2` to suit.',
    explain:
      'The field manual says it plainly: "always use the check option on your servers; without it, traffic is still sent to the server!" HAProxy only marks a server DOWN from its health checks (or `track`ed checks). With `check`, a dead server is taken out after inter × fall (default 2 s × 3 = 6 s); without it, never. `option redispatch` helps one request at a time, not the stream of new ones.',
    check: (input) =>
      sections(input).flatMap((r) =>
        r.s.servers
          // `option http_proxy` forwards to the address the request names: its `server … 0.0.0.0` is no server to check
          .filter((sv) => !sv.check && !sv.disabled && sv.effective['track'] === undefined && !(sv.address === '0.0.0.0' && optionOf(r.cfg, r.s, 'http_proxy') !== undefined))
          .map((sv) => ({
            message: `${label(r)}: server ${sv.name} (${sv.address}${sv.port === undefined ? '' : `:${sv.port}`}) has no health check`,
            host: r.host.host,
            evidence: [ev(sv, r.host.host, `server ${sv.name} without check`)],
          })),
      ),
  },
  {
    id: 'haproxy-single-server-backend',
    area: 'haproxy',
    severity: 'warning',
    title: 'Backend with a single server',
    why: 'The load balancer is redundant but the service behind it is not: one server down is the whole service down.',
    fix: 'Add a second server (or at least a `backup` server) to the backend.',
    explain: 'A backend with one server turns the HAProxy/keepalived pair into a very reliable way of reaching a single point of failure. If the service truly cannot run twice, say so explicitly with a `backup` server that shows a maintenance page.',
    check: (input) =>
      sections(input)
        .filter((r) => r.s.type !== 'frontend' && r.s.servers.length > 0 && serverCount(r) === 1)
        .map((r) => ({message: `${label(r)} has one server (${r.s.servers[0]?.name ?? ''})`, host: r.host.host, evidence: [ev(r.s, r.host.host), ...r.s.servers.map((sv) => ev(sv, r.host.host))]})),
  },
  {
    id: 'haproxy-no-redispatch',
    area: 'haproxy',
    severity: 'warning',
    title: 'No `option redispatch` (or `retries 0`)',
    why: 'When a connection to the chosen server fails, HAProxy retries the same server; without redispatch the request fails even though other servers are up (and sticky clients stay pinned to a dead server).',
    fix: 'Add `option redispatch` and `retries 3` (in defaults or the backend).',
    explain:
      'With `option redispatch` the last retry goes to another server, and persistence (cookie, stick table) is broken when the server is down. During the seconds between a server dying and its health check marking it DOWN (inter × fall), redispatch is what keeps requests succeeding.',
    check: (input) =>
      sections(input)
        .filter((r) => r.s.type !== 'frontend' && serverCount(r) >= 2)
        .flatMap((r): FindingDraft[] => {
          const red = optionOf(r.cfg, r.s, 'redispatch')
          const retries = directiveOf(r.cfg, r.s, 'retries')
          const zero = retries !== undefined && retries.args[0] === '0'
          if (red !== undefined && !zero) return []
          const what = [red === undefined ? 'no option redispatch' : '', zero ? 'retries 0' : ''].filter((x) => x !== '').join(', ')
          return [{message: `${label(r)}: ${what}`, host: r.host.host, evidence: [ev(zero && retries !== undefined ? retries : r.s, r.host.host, what)]}]
        }),
  },
  {
    id: 'haproxy-stats-no-auth',
    area: 'haproxy',
    severity: 'error',
    title: 'Stats page without authentication',
    why: 'Anyone who reaches the port sees every server, and with `stats admin` can put servers in maintenance: one curl takes the service down.',
    fix: 'Add `stats auth USER:LONG-RANDOM-PASSWORD` (or `http-request auth`), and bind the stats page to a management address only.',
    explain: 'The seed configures the stats page with `stats auth`; leaving it out exposes the backend topology and, with `stats admin`, control over it. A page bound only to 127.0.0.1 or a unix socket is not reported.',
    check: (input) =>
      sections(input)
        .filter((r) => hasFrontSide(r.s))
        .flatMap((r): FindingDraft[] => {
          const on = statsOn(r)
          if (on === undefined) return []
          if (directiveOf(r.cfg, r.s, 'stats', 'auth') !== undefined || directiveOf(r.cfg, r.s, 'stats', 'http-request') !== undefined) return []
          if (r.s.directives.some((d) => d.keyword === 'http-request' && d.args[0] === 'auth')) return []
          if (r.s.binds.length > 0 && r.s.binds.every((b) => LOOPBACK.test(b.address))) return []
          return [{message: `${label(r)}: stats page with no authentication`, host: r.host.host, evidence: [on, ...r.s.binds.slice(0, 1).map((b) => ev(b, r.host.host, `bind ${b.text}`))]}]
        }),
  },
  {
    id: 'haproxy-stats-default-credentials',
    area: 'haproxy',
    severity: 'error',
    title: 'Stats page with default credentials',
    why: 'admin/passw0rd (the field manual\'s example) and friends are the first thing anyone tries; with `stats admin` they let a stranger disable your servers.',
    fix: 'Replace them with a long random password (`stats auth ops:$(openssl rand -base64 18)`), kept out of version control.',
    explain: `Reported credentials: ${DEFAULT_STATS_CREDENTIALS.join(', ')}. Copying a book's example config copies its password too.`,
    check: (input) =>
      sections(input).flatMap((r) =>
        r.s.directives
          .filter((d) => d.keyword === 'stats' && d.args[0] === 'auth' && DEFAULT_STATS_CREDENTIALS.includes(d.args[1] ?? ''))
          .map((d) => ({message: `${label(r)}: stats auth ${d.args[1] ?? ''} is a well-known default`, host: r.host.host, evidence: [ev(d, r.host.host, `stats auth ${d.args[1] ?? ''}`)]})),
      ),
  },
  {
    id: 'haproxy-missing-timeouts',
    area: 'haproxy',
    severity: 'warning',
    title: 'Missing timeouts (connect, client, server)',
    why: 'Without them HAProxy waits forever: dead clients and hung servers pile up connections until maxconn is reached and the load balancer stops accepting.',
    fix: 'Set `timeout connect 5s`, `timeout client 30s`, `timeout server 30s` (in defaults; longer client/server for tunnels).',
    explain: 'HAProxy itself warns at start-up ("missing timeouts … this is not recommended"). An infinite timeout turns a slow backend or a half-open client into a permanent slot; it is a classic way for an HA pair to fail on both nodes at once.',
    check: (input) =>
      sections(input).flatMap((r): FindingDraft[] => {
        const need: string[] = []
        if (hasFrontSide(r.s)) need.push('client')
        // a frontend, or a listen only serving the stats page (no servers, no backend), needs no server timeouts
        const statsOnly = r.s.type === 'listen' && r.s.servers.length === 0 && statsOn(r) !== undefined && !r.s.directives.some((d) => d.keyword === 'use_backend' || d.keyword === 'default_backend')
        if (r.s.type !== 'frontend' && !statsOnly) need.push('connect', 'server')
        const missing = need.filter((n) => timeoutOf(r.cfg, r.s, n) === undefined)
        if (missing.length === 0) return []
        return [{message: `${label(r)}: no timeout ${missing.join(', ')}`, host: r.host.host, evidence: [ev(r.s, r.host.host, `missing: ${missing.map((m) => `timeout ${m}`).join(', ')}`)]}]
      }),
  },
  {
    id: 'haproxy-vip-bind-nonlocal',
    area: 'haproxy',
    severity: 'error',
    title: 'HAProxy binds the VIP but ip_nonlocal_bind is off',
    why: 'On the backup node the VIP is not local, so HAProxy cannot bind it and does not start: after a failover the new master has no HAProxy, and the service is down.',
    fix: 'Set `net.ipv4.ip_nonlocal_bind = 1` (net.ipv6.ip_nonlocal_bind for IPv6) in /etc/sysctl.d/ on every load balancer, or bind to `*:PORT` / use the `transparent` bind option.',
    explain:
      'HAProxy binds its listeners at start-up. A VIP held by the other keepalived node is not an address of this host, so bind() fails with EADDRNOTAVAIL and HAProxy exits ("cannot bind socket"). The failure appears exactly when you need the backup. With ip_nonlocal_bind=1 the bind succeeds and traffic arrives once keepalived adds the VIP. Checked only where the sysctl value is known (live, or a collected sysctl file).',
    check: (input) =>
      input.hosts.flatMap((host) => {
        const vips = new Set([...host.vips.map(normAddr), ...host.keepalived.flatMap((k) => k.vrrpInstances.flatMap(vipSet))])
        if (vips.size === 0) return []
        return host.haproxy.flatMap((cfg) =>
          cfg.sections.flatMap((s) =>
            s.binds
              .filter((b) => !isWildcard(b.address) && vips.has(normAddr(b.address)) && b.options['transparent'] === undefined && b.options['freebind'] === undefined)
              .flatMap((b): FindingDraft[] => {
                const key = normAddr(b.address).includes(':') ? 'net.ipv6.ip_nonlocal_bind' : 'net.ipv4.ip_nonlocal_bind'
                const sc = host.sysctl[key]
                if (sc === undefined || sc.value === '1') return []
                return [
                  {
                    message: `${host.host}: HAProxy binds VIP ${b.address} (${s.type} ${s.name ?? ''}) but ${key} = ${sc.value}`,
                    host: host.host,
                    evidence: [ev(b, host.host, `bind ${b.text}`), ev(sc, host.host, `${key} = ${sc.value}`)],
                  },
                ]
              }),
          ),
        )
      }),
  },
]
