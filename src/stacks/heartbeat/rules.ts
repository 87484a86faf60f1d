/**
 * Doctor rules of the Heartbeat stack (ha.cf, haresources, authkeys; v1 style). The same ha.cf on both
 * nodes is reported once. Numbers behind them: Heartbeat's own warnings at start ("Initial dead time …
 * should be >= deadtime", "Deadtime value may be too small") and the lab (README "Heartbeat lab").
 */
import {type HaCf, activeAuthMethod, crmEnabled, haCfTimers} from '../../config/heartbeat.js'
import {type DoctorInput, type FindingDraft, type HostConfigs, type Rule, ev} from '../../doctor/types.js'

interface HaCfRef {
  host: HostConfigs
  c: HaCf
}

/** One entry per distinct cluster configuration (the node list + media + timers). */
function haCfs(input: DoctorInput): HaCfRef[] {
  const seen = new Set<string>()
  const out: HaCfRef[] = []
  for (const host of input.hosts) {
    for (const c of host.haCf) {
      const t = haCfTimers(c)
      const key = `${c.nodes.map((n) => n.name).join(',')}|${c.media.map((m) => `${m.type}:${m.dev}:${m.args.join(' ')}`).join(',')}|${t.keepaliveMs}/${t.deadtimeMs}/${t.warntimeMs}/${t.initdeadMs}|${c.autoFailback?.value ?? ''}`
      if (seen.has(key)) continue
      seen.add(key)
      out.push({host, c})
    }
  }
  return out
}

const s = (ms: number): string => `${ms / 1000} s`
/** Where a timer is written, or the file's first line when it is Heartbeat's default. */
const locOf = (c: HaCf, k: 'keepalive' | 'deadtime' | 'warntime' | 'initdead'): {file: string; line: number} => c[k] ?? {file: c.file, line: 1}

/**
 * Distinct communication paths: one per interface or serial device. Several ucast peers on eth0 are one path,
 * and so are ucast + bcast (or ucast6, mcast…) on eth0: one cable, NIC or switch port failing cuts them all.
 * Each path as "eth0 (ucast, mcast)".
 */
export function commPaths(c: HaCf): string[] {
  const byDev = new Map<string, string[]>()
  for (const m of c.media) {
    const types = byDev.get(m.dev) ?? []
    if (!types.includes(m.type)) types.push(m.type)
    byDev.set(m.dev, types)
  }
  return [...byDev].map(([dev, types]) => `${dev} (${types.join(', ')})`)
}

export const HEARTBEAT_RULES: Rule[] = [
  {
    id: 'heartbeat-deadtime-short',
    area: 'heartbeat',
    severity: 'error',
    title: 'deadtime not above 2 × keepalive (heartbeat refuses to start)',
    why: 'Heartbeat itself refuses such a file ("Dead time [N] is too small compared to keeplive [M]", config.c: deadtime ≤ 2 × keepalive is a configuration error): the node does not start at all. Just above it, one or two lost heartbeats declare a node dead: a short network hiccup makes the peer take the resources while the node still holds them (split brain).',
    fix: 'Set deadtime well above 2 × keepalive (the manuals: deadtime ≥ 3–4 × keepalive, warntime between them), e.g. keepalive 1 / warntime 3 / deadtime 5.',
    explain:
      'Heartbeat declares a node dead when no heartbeat arrived for deadtime; at start it refuses deadtime ≤ 2 × keepalive (keepalive defaults to 1 s when absent). In the lab, a partition ends with both nodes logging "returning after partition", releasing every resource and re-executing heartbeat: a second outage of initdead + resource start (about 25 s on a loaded 2-core machine).',
    check(input): FindingDraft[] {
      const out: FindingDraft[] = []
      for (const {host, c} of haCfs(input)) {
        const t = haCfTimers(c)
        const ka = `keepalive ${s(t.keepaliveMs)}${c.keepalive === undefined ? ' (default)' : ''}`
        if (t.deadtimeMs <= 2 * t.keepaliveMs) out.push({message: `deadtime ${s(t.deadtimeMs)} ≤ 2 × ${ka}: heartbeat refuses to start`, host: host.host, evidence: [ev(locOf(c, 'deadtime'), host.host, `${ka}, deadtime ${s(t.deadtimeMs)}`)]})
      }
      return out
    },
  },
  {
    id: 'heartbeat-warntime-not-below-deadtime',
    area: 'heartbeat',
    severity: 'warning',
    title: 'warntime not below deadtime',
    why: '"Late heartbeat" warnings come at warntime; at or above deadtime they never come before the node is declared dead, so nobody learns that the timers are tight until a failover happens.',
    fix: 'Set warntime between keepalive and deadtime (e.g. keepalive 1 / warntime 3 / deadtime 5).',
    explain: 'Heartbeat logs "WARN: Late heartbeat" when a heartbeat is later than warntime; it is the only early sign that deadtime is too short for the network or the load. warntime ≥ deadtime disables that warning in practice.',
    check(input): FindingDraft[] {
      const out: FindingDraft[] = []
      for (const {host, c} of haCfs(input)) {
        const t = haCfTimers(c)
        if (t.warntimeMs >= t.deadtimeMs) out.push({message: `warntime ${s(t.warntimeMs)} ≥ deadtime ${s(t.deadtimeMs)}${c.deadtime === undefined ? ' (default)' : ''}`, host: host.host, evidence: [ev(locOf(c, 'warntime'), host.host, `warntime ${s(t.warntimeMs)}, deadtime ${s(t.deadtimeMs)}`)]})
      }
      return out
    },
  },
  {
    id: 'heartbeat-initdead-short',
    area: 'heartbeat',
    severity: 'warning',
    title: 'initdead shorter than 2 × deadtime',
    why: 'At boot the network (switch ports, bonds) takes time; with a short initdead the node declares its peer dead and starts every resource — the peer too: split brain at every boot.',
    fix: 'Set initdead to at least 2 × deadtime (Heartbeat itself warns below max(deadtime, 10 s)).',
    explain: 'Heartbeat waits initdead for the peer after start before declaring it dead. The sample ha.cf recommends at least twice deadtime; heartbeat refuses initdead < deadtime and logs "Initial dead time [N ms] may be too small! … It should be >= deadtime and >= 10 seconds" below 10 s. Without an initdead line heartbeat uses deadtime when deadtime > 10 s (so the default is always below 2 × deadtime there), 12 s when deadtime < 6 s, else 2 × deadtime.',
    check(input): FindingDraft[] {
      const out: FindingDraft[] = []
      for (const {host, c} of haCfs(input)) {
        const t = haCfTimers(c)
        if (t.initdeadMs >= 2 * t.deadtimeMs) continue
        const refused = t.initdeadMs < t.deadtimeMs ? ': below deadtime, heartbeat refuses to start ("Initial dead time … is smaller than deadtime")' : ''
        const dflt = c.initdead === undefined ? ' (not set: heartbeat derives it from deadtime)' : ''
        out.push({message: `initdead ${s(t.initdeadMs)}${dflt} < 2 × deadtime ${s(t.deadtimeMs)}${refused}`, host: host.host, evidence: [ev(locOf(c, 'initdead'), host.host, `initdead ${s(t.initdeadMs)}${dflt}`)]})
      }
      return out
    },
  },
  {
    id: 'heartbeat-single-path',
    area: 'heartbeat',
    severity: 'warning',
    title: 'One communication path between the nodes',
    why: 'With a single medium, one cable, NIC or switch port failing cuts every heartbeat: each node declares the other dead and both take the resources (split brain). It is the classic Heartbeat single point of failure.',
    fix: 'Add a second, independent path: another ucast/bcast on a second interface, or a serial link (serial /dev/ttyS0).',
    explain: 'Heartbeat sends its heartbeats on every medium in ha.cf and declares a node dead only when all of them are silent. The Heartbeat manuals and the seeds recommend two paths (e.g. the service LAN plus a crossover cable or serial line). In the lab, ip link set eth0 down on the active node (the only path) gives a split brain for as long as it lasts.',
    check(input): FindingDraft[] {
      const out: FindingDraft[] = []
      for (const {host, c} of haCfs(input)) {
        const paths = commPaths(c)
        if (paths.length === 0) {
          out.push({message: 'no medium at all (no ucast, bcast, mcast, ucast6, mcast6 or serial line): heartbeat refuses to start ("No heartbeat media defined")', host: host.host, evidence: [ev({file: c.file, line: 1}, host.host)]})
        } else if (paths.length === 1) {
          const m = c.media[0]
          out.push({message: `only one path: ${paths[0] ?? ''}`, host: host.host, evidence: m === undefined ? [] : [ev(m, host.host, paths[0])]})
        }
      }
      return out
    },
  },
  {
    id: 'heartbeat-auto-failback-on',
    area: 'heartbeat',
    severity: 'warning',
    title: 'auto_failback on (or legacy, the default)',
    why: 'The resources go back to their preferred node whenever it returns: a flapping node (a bad NIC, a reboot loop) moves the service back and forth, one outage per move.',
    fix: 'Set auto_failback off and move the resources back by hand (hb_takeover / hb_standby) when the node is known good.',
    explain: 'With auto_failback on, a node that rejoins takes its haresources group back at once: every recovery of the preferred node costs a second outage (the resource stop on one node plus the start on the other). legacy — Heartbeat\'s default when ha.cf has no auto_failback line — fails back as well ("enable automatic failbacks", the sample ha.cf). off keeps the resources where they are.',
    check(input): FindingDraft[] {
      const out: FindingDraft[] = []
      for (const {host, c} of haCfs(input)) {
        const af = c.autoFailback
        if (af !== undefined && af.value === 'on') out.push({message: 'auto_failback on: every return of the preferred node moves the resources back (one more outage)', host: host.host, evidence: [ev(af, host.host, 'auto_failback on')]})
        // legacy (also Heartbeat's default when the line is missing) fails back too; with crm/pacemaker on, haresources is not used
        else if ((af === undefined || af.value === 'legacy') && !crmEnabled(c)) {
          out.push({
            message: `auto_failback ${af === undefined ? 'not set: Heartbeat\'s default is legacy, which' : af.directive === 'nice_failback' ? 'legacy (heartbeat reads the obsolete nice_failback line so, on or off)' : 'legacy'} moves the resources back to the preferred node on every return (and heartbeat warns "Deprecated \'legacy\' auto_failback option selected")`,
            host: host.host,
            evidence: [ev(af ?? {file: c.file, line: 1}, host.host, af === undefined ? 'no auto_failback line (default legacy)' : af.directive === 'nice_failback' ? 'nice_failback (read as auto_failback legacy)' : 'auto_failback legacy')],
          })
        }
      }
      return out
    },
  },
  {
    id: 'heartbeat-authkeys-weak',
    area: 'heartbeat',
    severity: 'error',
    title: 'authkeys readable by others, or crc (no authentication)',
    why: 'Anyone who can read authkeys, or anyone on the network when the method is crc, can send heartbeats and cluster messages that the nodes accept (e.g. tell them to give up their resources).',
    fix: 'chmod 600 /etc/ha.d/authkeys (heartbeat refuses to start otherwise) and use "1 sha1 LONG-SECRET".',
    explain: 'authkeys holds the shared secret of the cluster messages. Heartbeat requires mode 600; crc is a checksum, not authentication. The secret is never shown by hachaos (the reader drops it).',
    check(input): FindingDraft[] {
      const out: FindingDraft[] = []
      for (const host of input.hosts) {
        for (const a of host.authkeys) {
          if (a.mode !== undefined && (a.mode & 0o077) !== 0) out.push({message: `authkeys has mode ${a.mode.toString(8).padStart(3, '0')} (must be 600)`, host: host.host, evidence: [{file: a.file, host: host.host, state: `mode ${a.mode.toString(8)}`}]})
          const m = activeAuthMethod(a)
          if (m === 'crc') out.push({message: 'authkeys uses crc: no authentication', host: host.host, evidence: a.auth === undefined ? [] : [ev(a.auth, host.host, 'crc')]})
          if (a.auth === undefined) out.push({message: 'authkeys has no "auth N" line', host: host.host, evidence: [{file: a.file, line: 1, host: host.host}]})
        }
      }
      return out
    },
  },
  {
    id: 'heartbeat-haresources-unknown-node',
    area: 'heartbeat',
    severity: 'error',
    title: 'haresources names a node that ha.cf does not list',
    why: 'Heartbeat checks every haresources line against the node directives of ha.cf and refuses to start ("Bad nodename in haresources"): the cluster does not come up at all.',
    fix: 'Write each haresources group\'s preferred node exactly as a node line of ha.cf names it (uname -n of that machine), on every node.',
    explain: 'The first word of a haresources line is the preferred node of the group; heartbeat (config.c parse_ha_resources) looks it up among the nodes declared with node in ha.cf and stops at the first unknown one. Not checked when ha.cf hands resources to Pacemaker (crm/pacemaker on) or lets nodes join without node lines (autojoin other/any).',
    check(input): FindingDraft[] {
      const out: FindingDraft[] = []
      for (const host of input.hosts) {
        for (const c of host.haCf) {
          const autojoin = (c.directives['autojoin']?.at(-1)?.value ?? 'none').toLowerCase()
          if (crmEnabled(c) || c.nodes.length === 0 || autojoin !== 'none') continue
          // heartbeat lower-cases node names (add_node: g_strdown)
          const known = new Set(c.nodes.map((n) => n.name.toLowerCase()))
          for (const h of host.haresources) {
            for (const g of h.groups) {
              if (known.has(g.node.toLowerCase())) continue
              out.push({
                message: `haresources line ${g.line} prefers node "${g.node}", which is not a node of ${c.file} (${c.nodes.map((n) => n.name).join(', ')}): heartbeat refuses to start`,
                host: host.host,
                evidence: [ev(g, host.host, `${g.node} ${g.resources.map((r) => r.text).join(' ')}`), ev(c.nodes[0] ?? {file: c.file, line: 1}, host.host, `node ${c.nodes.map((n) => n.name).join(' ')}`)],
              })
            }
          }
        }
      }
      return out
    },
  },
  {
    id: 'heartbeat-no-stonith',
    area: 'heartbeat',
    severity: 'warning',
    title: 'No STONITH',
    why: 'Without fencing, a node that stops hearing its peer takes the resources while the peer may still hold them: the VIP on two nodes, and shared data written from both.',
    fix: 'Configure stonith_host (v1) with a real power switch, or move to Pacemaker with fencing.',
    explain: 'Heartbeat v1 logs "WARN: No STONITH device configured. WARN: Shared disks are not protected." at every takeover. In the lab the isolated node keeps the VIP while the other takes it: the split brain lasts as long as the partition.',
    check(input): FindingDraft[] {
      const out: FindingDraft[] = []
      for (const {host, c} of haCfs(input)) {
        if (crmEnabled(c) || c.stonith.length > 0) continue
        out.push({message: 'no stonith / stonith_host in ha.cf: a partition leaves the resources on both nodes', host: host.host, evidence: [ev({file: c.file, line: 1}, host.host)]})
      }
      return out
    },
  },
]
