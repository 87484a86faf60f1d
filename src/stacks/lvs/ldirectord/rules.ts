/**
 * Doctor rules for ldirectord.cf (LVS real-server checks, run under Heartbeat or Pacemaker as in the field
 * manual ../shared/seeds/002). Exported as LDIRECTORD_RULES for the LVS stack's `rules` (StackModule.rules).
 * The same ldirectord.cf collected on both directors is reported once. Numbers behind them: ldirectord 4.12's
 * read_config / ld_main / check_http (/usr/sbin/ldirectord) and the removal formula in ./predict.ts.
 */
import type {Loc} from '../../../config/common.js'
import {type LdirectordConfig, type LdVirtual, ldFallback, ldRealCount, ldTimers} from '../../../config/ldirectord.js'
import {type DoctorInput, type FindingDraft, type HostConfigs, type Rule, ev} from '../../../doctor/types.js'
import {fmtS, slowestFailover} from '../failover.js'
import {predictLdirectordRemoval} from './predict.js'

interface CfRef {
  host: HostConfigs
  c: LdirectordConfig
}

/** One entry per distinct configuration (directives and blocks, not file names or hosts). */
function configs(input: DoctorInput): CfRef[] {
  const seen = new Set<string>()
  const out: CfRef[] = []
  for (const host of input.hosts) {
    for (const c of host.ldirectord) {
      const strip = (o: Record<string, {value: string}>): Record<string, string> => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.value]))
      const key = JSON.stringify([strip(c.globals), c.virtuals.map((v) => [v.text, strip(v.directives), v.reals.map((r) => r.raw)])])
      if (seen.has(key)) continue
      seen.add(key)
      out.push({host, c})
    }
  }
  return out
}

function virtuals(input: DoctorInput): Array<CfRef & {v: LdVirtual}> {
  return configs(input).flatMap((r) => r.c.virtuals.map((v) => ({...r, v})))
}

const vloc = (v: LdVirtual): Loc => ({file: v.file, line: v.line})
const sec = (n: number): string => `${n} s`

export const LDIRECTORD_RULES: Rule[] = [
  {
    id: 'ldirectord-checktimeout-not-below-interval',
    area: 'lvs',
    severity: 'warning',
    title: 'ldirectord check timeout not below checkinterval',
    why: 'ldirectord (fork=no) checks every real server one after the other: one blackholed server holds the whole loop for the full timeout, so every other check — and the removal of the dead server — comes that much later.',
    fix: 'Keep checktimeout/negotiatetimeout below checkinterval (e.g. checkinterval=2, checktimeout=1, negotiatetimeout=1), or set fork=yes so each virtual service is checked by its own process.',
    explain:
      'Removal of a blackholed real server takes up to failurecount × (checkinterval + timeout) (src/stacks/lvs/ldirectord/predict.ts). With the field manual\'s checktimeout=10, checkinterval=2 a silent server stays in the table up to 12 s per failure counted, while a refused one goes within 2 s: the timeout, not the interval, sets the detection time. A negotiate check (HTTP) is bounded by negotiatetimeout, which defaults to checktimeout when only that is set (and to 30 s when neither is).',
    check(input): FindingDraft[] {
      return virtuals(input).flatMap(({host, c, v}) => {
        const t = ldTimers(c, v)
        if (t.checktype.value === 'on' || t.checktype.value === 'off') return []
        if (t.activeTimeoutS.value < t.checkintervalS.value) return []
        const name = t.checktype.value === 'negotiate' || t.checktype.value === 'combined' ? 'negotiatetimeout' : 'checktimeout'
        const p = predictLdirectordRemoval({cfg: c, virtual: v, failure: 'blackhole'})
        // a ping check tries checkcount times, each up to checktimeout
        const times = t.checktype.value === 'ping' && t.checkcount.value > 1 ? ` (checkcount ${t.checkcount.value} × checktimeout ${sec(t.checktimeoutS.value)})` : ''
        const timeoutEv = ev(t.activeTimeoutS.at ?? vloc(v), host.host, `${name} ${sec(times === '' ? t.activeTimeoutS.value : t.checktimeoutS.value)}${t.activeTimeoutS.at === undefined ? ' (default)' : t.activeTimeoutS.at.name !== name ? ` (from ${t.activeTimeoutS.at.name}=)` : ''}`)
        const countEv = times === '' ? [] : [ev(t.checkcount.at ?? vloc(v), host.host, `checkcount ${t.checkcount.value}`)]
        return [{
          message: `virtual=${v.text}: ${t.checktype.value} checks wait up to ${times === '' ? name + ' ' : ''}${sec(t.activeTimeoutS.value)}${times}, checkinterval is ${sec(t.checkintervalS.value)}: a blackholed real server is removed after up to ${fmtS(p.maxMs ?? 0)}`,
          host: host.host,
          evidence: [timeoutEv, ...countEv, ev(t.checkintervalS.at ?? vloc(v), host.host, `checkinterval ${sec(t.checkintervalS.value)}${t.checkintervalS.at === undefined ? ' (default)' : ''}`)],
        }]
      })
    },
  },
  {
    id: 'ldirectord-quiescent-no-expire-template',
    area: 'lvs',
    severity: 'warning',
    title: 'quiescent=yes without expire_quiescent_template',
    why: 'A quiesced real server (weight 0) keeps its persistence templates: clients that used it before keep being sent to it, dead, until the persistent timeout runs out.',
    fix: 'On every director: `sysctl -w net.ipv4.vs.expire_quiescent_template=1` (and in /etc/sysctl.d/), or set quiescent=no so failed servers are removed.',
    explain:
      'With quiescent=yes ldirectord does not remove a failed real server but sets its weight to 0 (ipvsadm -e … -w 0): established connections may finish, no new ones are scheduled — except through persistence templates, which the kernel keeps unless net.ipv4.vs.expire_quiescent_template=1 (ldirectord\'s man page says the same). Reported as a warning when the sysctl is known to be 0 or the service is persistent, as a note when the sysctl was not read. (The man page gives quiescent\'s default as yes; ldirectord 4.12\'s code defaults to no.)',
    check(input): FindingDraft[] {
      return virtuals(input).flatMap(({host, c, v}): FindingDraft[] => {
        const t = ldTimers(c, v)
        if (!t.quiescent.value) return []
        const sc = host.sysctl['net.ipv4.vs.expire_quiescent_template']
        if (sc !== undefined && sc.value.trim() === '1') return []
        const persistent = v.directives['persistent']
        const evidence = [ev(t.quiescent.at ?? vloc(v), host.host, 'quiescent=yes'), ...(sc === undefined ? [] : [ev(sc, host.host, `expire_quiescent_template = ${sc.value}`)]), ...(persistent === undefined ? [] : [ev(persistent, host.host, `persistent=${persistent.value}`)])]
        return [{
          message: `virtual=${v.text}: quiescent=yes${persistent === undefined ? '' : ` with persistent=${persistent.value}`}, net.ipv4.vs.expire_quiescent_template ${sc === undefined ? 'not read' : `= ${sc.value}`}`,
          host: host.host,
          evidence,
          ...(sc === undefined && persistent === undefined ? {severity: 'note' as const} : {}),
        }]
      })
    },
  },
  {
    id: 'ldirectord-no-fallback',
    area: 'lvs',
    severity: 'note',
    title: 'ldirectord virtual service without a fallback server',
    why: 'When every real server fails its check, the virtual service has no destination: clients get resets or timeouts instead of a "sorry" answer.',
    fix: 'Add fallback=127.0.0.1:80 gate (a local sorry page on the director) globally or in the virtual= block, or fallbackcommand= to start one.',
    explain: 'ldirectord adds the fallback server to the IPVS service only when no real server is up and removes it as soon as one is back. The field manual\'s config has fallback=127.0.0.1:80 (its ipvsadm output shows it as the only weight-1 entry while all real servers are quiesced).',
    check(input): FindingDraft[] {
      return virtuals(input)
        .filter(({c, v}) => ldFallback(c, v) === undefined && v.directives['fallbackcommand'] === undefined && c.globals['fallbackcommand'] === undefined)
        .map(({host, v}) => ({message: `virtual=${v.text}: no fallback server (${ldRealCount(v)} real server${ldRealCount(v) === 1 ? '' : 's'})`, host: host.host, evidence: [ev(vloc(v), host.host)]}))
    },
  },
  {
    id: 'ldirectord-removal-slower-than-failover',
    area: 'lvs',
    severity: 'warning',
    title: 'ldirectord takes longer to drop a dead real server than the cluster takes to replace a dead director',
    why: 'The director pair fails over in seconds, but a blackholed real server keeps receiving its share of new connections — which all fail — for longer than that: losing one real server costs more than losing a director.',
    fix: 'Shorten the checks: checkinterval 1–2 s, checktimeout/negotiatetimeout 1–2 s, failurecount 1–3, so that failurecount × (checkinterval + timeout) stays within the director failover time.',
    explain: 'Compared: ldirectord\'s worst case for a blackholed real server, failurecount × (checkinterval + timeout) (./predict.ts) — with fork=no plus the timeouts of the dead host\'s other checks in the same loop (measured in the lab: rs1\'s NIC down took 7.9 s where the one-check form said 6.5 s at most) — against the slowest director failover among the configs read together: keepalived\'s Master_Down_Interval (3 × advert_int + Skew_Time), Heartbeat\'s deadtime, Corosync\'s totem token. Only reported when such a config is in the same doctor run (files, --dir or live).',
    check(input): FindingDraft[] {
      const slowest = slowestFailover(input)
      if (slowest === null) return []
      return virtuals(input).flatMap(({host, c, v}) => {
        // a dead host fails every check of its address in the loop (fork=no), not only this virtual's: the worst real server
        const p = v.reals
          .map((r) => predictLdirectordRemoval({cfg: c, virtual: v, failure: 'blackhole', hostAddress: r.address}))
          .reduce((a, b) => ((b.maxMs ?? 0) > (a.maxMs ?? 0) ? b : a), predictLdirectordRemoval({cfg: c, virtual: v, failure: 'blackhole'}))
        if (p.maxMs === null || p.maxMs <= slowest.ms) return []
        const t = ldTimers(c, v)
        const others = Number(p.inputs['sameHostChecks'] ?? 0)
        const e = others === 0 ? '' : ` + its host's ${others} other check${others === 1 ? '' : 's'} timing out, ${sec(Number(p.inputs['sameHostTimeoutMs'] ?? 0) / 1000)}`
        return [{
          message: `virtual=${v.text}: a blackholed real server is removed after up to ${fmtS(p.maxMs)} (failurecount ${t.failurecount.value} × (checkinterval ${sec(t.checkintervalS.value)} + ${sec(t.activeTimeoutS.value)}${e})), longer than ${slowest.what} ${fmtS(slowest.ms)} on ${slowest.host}`,
          host: host.host,
          evidence: [ev(vloc(v), host.host, p.formula), ev(slowest.at, slowest.host, `${slowest.what} ${fmtS(slowest.ms)}`)],
        }]
      })
    },
  },
  {
    id: 'ldirectord-negotiate-no-receive',
    area: 'lvs',
    severity: 'warning',
    title: 'HTTP negotiate check without request/receive',
    why: 'Without receive= any 2xx answer counts as up (and without request= only "/" is fetched): a server that answers its default page but cannot serve the application stays in the pool.',
    fix: 'Give the virtual a request="/health" (a page that exercises the application) and a receive="…" string that only a healthy answer contains.',
    explain: 'ldirectord\'s check_http marks a real server up when the response is a success and, if receive= is set, its BODY matches the receive regular expression. The checks default to checktype=negotiate; the service comes from service= (or the port).',
    check(input): FindingDraft[] {
      return virtuals(input).flatMap(({host, c, v}): FindingDraft[] => {
        const t = ldTimers(c, v)
        const service = v.directives['service']?.value ?? (v.port === '80' || v.port === 'http' ? 'http' : v.port === '443' || v.port === 'https' ? 'https' : undefined)
        if (!(t.checktype.value === 'negotiate' || t.checktype.value === 'combined') || !['http', 'https', 'http_proxy'].includes(service ?? '')) return []
        const missing = [v.directives['request'] === undefined && v.reals.some((r) => r.request === undefined) ? 'request=' : '', v.directives['receive'] === undefined && v.reals.some((r) => r.receive === undefined) ? 'receive=' : ''].filter((x) => x !== '')
        if (missing.length === 0) return []
        return [{message: `virtual=${v.text}: ${service} negotiate check without ${missing.join(' and ')}`, host: host.host, evidence: [ev(t.checktype.at ?? vloc(v), host.host, `checktype=${t.checktype.value}${t.checktype.at === undefined ? ' (default)' : ''}, service=${service ?? '?'}`)]}]
      })
    },
  },
  {
    id: 'ldirectord-receive-status-line',
    area: 'lvs',
    severity: 'error',
    title: 'receive= is an HTTP status line, but ldirectord matches the body',
    why: 'ldirectord compares receive= with the response BODY, never the status line: a page that does not contain "HTTP/1.1 200 OK" fails every check, so every real server is taken out (or set to weight 0) and only the fallback serves.',
    fix: 'Set receive= to a string of the page itself (e.g. receive="ok" with request="/health" returning "ok"); a 2xx status is already required.',
    explain: 'check_http: up when `$res->is_success && $res->content =~ /$recstr/`. The field manual\'s ldirectord.cf has receive="HTTP/1.1 200 OK", and its own `ipvsadm -ln` output right after shows the consequence: the three real servers at weight 0 (quiescent=yes) and 127.0.0.1:80, the fallback, the only one with weight 1.',
    check(input): FindingDraft[] {
      return virtuals(input).flatMap(({host, v}): FindingDraft[] => {
        const recv = [...(v.directives['receive'] === undefined ? [] : [{value: v.directives['receive'].value, at: v.directives['receive'] as Loc}]), ...v.reals.filter((r) => r.receive !== undefined).map((r) => ({value: r.receive ?? '', at: r as Loc}))]
        return recv
          .filter((r) => /^HTTP\/\d(\.\d)?\s+\d{3}\b/i.test(r.value))
          .map((r) => ({message: `virtual=${v.text}: receive="${r.value}" is a status line; the body will not contain it`, host: host.host, evidence: [ev(r.at, host.host, `receive="${r.value}"`)]}))
      })
    },
  },
  {
    id: 'ldirectord-persistent-no-sync',
    area: 'lvs',
    severity: 'note',
    title: 'Persistent service: persistence lives on the active director only',
    why: 'Persistence templates (client → real server) are kernel state on the director that created them: after a director failover, clients are scheduled afresh and lose their stickiness (sessions, carts) unless the connection sync daemon copies them to the standby.',
    fix: 'Run the IPVS sync daemon on both directors (`ipvsadm --start-daemon master|backup --mcast-interface IF`, or keepalived\'s lvs_sync_daemon) and check the standby\'s `ipvsadm -Lnc` shows the templates.',
    explain: 'ldirectord only manages the table; it does not sync connections. The templates of `persistent=N` exist for N seconds after the last connection, on the director that scheduled them. Reported as a note: whether a sync daemon runs is not in ldirectord.cf (run doctor live on the directors, or check `ipvsadm -L --daemon`).',
    check(input): FindingDraft[] {
      return virtuals(input).flatMap(({host, v}): FindingDraft[] => {
        const p = v.directives['persistent']
        if (p === undefined || Number(p.value) === 0) return []
        return [{message: `virtual=${v.text}: persistent=${p.value} s; check that a sync daemon copies the templates to the standby director`, host: host.host, evidence: [ev(p, host.host, `persistent=${p.value}`)]}]
      })
    },
  },
  {
    id: 'ldirectord-single-real-server',
    area: 'lvs',
    severity: 'warning',
    title: 'ldirectord virtual service with one real server',
    why: 'The directors are redundant, the service is not: one real server down is the service down (only the fallback, if any, answers).',
    fix: 'Add a second real= line (another server), so ldirectord has something to fail over to.',
    explain: 'Counted from the virtual= block\'s real= lines; a range (real=192.168.6.2->192.168.6.7:80) counts each address.',
    check(input): FindingDraft[] {
      return virtuals(input)
        .filter(({v}) => ldRealCount(v) < 2)
        .map(({host, v}) => ({message: `virtual=${v.text}: ${ldRealCount(v)} real server${ldRealCount(v) === 1 ? '' : 's'}`, host: host.host, evidence: [ev(v.reals[0] ?? vloc(v), host.host)]}))
    },
  },
  {
    id: 'ldirectord-connecttimeout-removed',
    area: 'lvs',
    severity: 'error',
    title: 'connecttimeout: ldirectord 4.x refuses to start',
    why: 'ldirectord 4 removed connecttimeout ("deprecated in favour of negotiatetimeout") and stops with a configuration error: no checks, and under Pacemaker the resource fails to start on the director.',
    fix: 'Replace connecttimeout=N by checktimeout=N (connect checks) and/or negotiatetimeout=N (negotiate checks).',
    explain: 'ldirectord 4.12 (Debian 12): "Error reading file … at line N: connecttimeout directive deprecated in favour of negotiatetimeout" (test/fixtures/ldirectord/ldirectord-4.12-status.txt), globally and in a virtual= block.',
    check(input): FindingDraft[] {
      return configs(input).flatMap(({host, c}) => {
        const all = [c.globals['connecttimeout'], ...c.virtuals.map((v) => v.directives['connecttimeout'])].filter((x) => x !== undefined)
        return all.map((d) => ({message: `connecttimeout=${d.value} (line ${d.line}): ldirectord 4.x stops with a configuration error`, host: host.host, evidence: [ev(d, host.host, `connecttimeout=${d.value}`)]}))
      })
    },
  },
  {
    id: 'ldirectord-checkinterval-ignored',
    area: 'lvs',
    severity: 'warning',
    title: 'checkinterval in a virtual= block is ignored without fork=yes',
    why: 'With fork=no (the default) one loop checks every virtual service and sleeps the global checkinterval: the per-virtual value is silently ignored, and detection is slower (or faster) than the config suggests.',
    fix: 'Set fork=yes globally (one checking process per virtual service), or move checkinterval to the global section.',
    explain: 'ldirectord 4.12 logs "checkinterval in virtual service … ignored when fork=no" at start (a warning, so the mistake is easy to miss).',
    check(input): FindingDraft[] {
      return virtuals(input).flatMap(({host, c, v}): FindingDraft[] => {
        const d = v.directives['checkinterval']
        if (d === undefined || c.globals['fork']?.value === 'yes') return []
        return [{message: `virtual=${v.text}: checkinterval=${d.value} is ignored (fork=no); the global ${sec(ldTimers(c, v).checkintervalS.value)} applies`, host: host.host, evidence: [ev(d, host.host, `checkinterval=${d.value}`)]}]
      })
    },
  },
]
