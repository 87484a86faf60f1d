/** keepalived rules: one instance at a time, and the peers of one VRRP group across hosts. */
import {effectiveVrrp, type KaVrrpInstance, type KeepalivedConfig} from '../../config/keepalived.js'
import {ipv4Network, isWildcard, normAddr} from '../../doctor/net.js'
import {type DoctorInput, type Evidence, type FindingDraft, type HostConfigs, type Rule, ev} from '../../doctor/types.js'

export interface InstanceRef {
  host: string
  cfg: KeepalivedConfig
  inst: KaVrrpInstance
  hostCfg: HostConfigs
}

export function allInstances(input: DoctorInput): InstanceRef[] {
  return input.hosts.flatMap((h) => h.keepalived.flatMap((cfg) => cfg.vrrpInstances.map((inst) => ({host: h.host, cfg, inst, hostCfg: h}))))
}

export function vipSet(inst: KaVrrpInstance): string[] {
  return inst.virtualIpaddresses.map((v) => normAddr(v.address))
}

/**
 * VRRP groups across hosts: instances on different hosts with the same virtual_router_id that share a VIP
 * (or, when one of them lists no VIP, the same vrid). Instances of one host are never peers of each other.
 */
export function peerGroups(input: DoctorInput): InstanceRef[][] {
  const refs = allInstances(input).filter((r) => r.inst.virtualRouterId !== undefined)
  const groups: InstanceRef[][] = []
  const seen = new Set<InstanceRef>()
  for (const r of refs) {
    if (seen.has(r)) continue
    const group = [r]
    seen.add(r)
    for (const o of refs) {
      if (seen.has(o) || o.host === r.host || group.some((g) => g.host === o.host)) continue
      if (o.inst.virtualRouterId !== r.inst.virtualRouterId) continue
      const a = vipSet(r.inst)
      const b = vipSet(o.inst)
      if (a.length === 0 || b.length === 0 || a.some((x) => b.includes(x))) {
        group.push(o)
        seen.add(o)
      }
    }
    groups.push(group)
  }
  return groups.filter((g) => g.length > 1)
}

const lineOr = (inst: KaVrrpInstance, key: string): number => inst.lines[key] ?? inst.line
const instEv = (r: InstanceRef, key: string, state?: string): Evidence => ev({file: r.inst.file, line: lineOr(r.inst, key)}, r.host, state)
const name = (r: InstanceRef): string => `${r.host} vrrp_instance ${r.inst.name}`

function perInstance(input: DoctorInput, f: (r: InstanceRef) => FindingDraft[]): FindingDraft[] {
  return allInstances(input).flatMap(f)
}

export const keepalivedRules: Rule[] = [
  {
    id: 'keepalived-both-master-equal-priority',
    area: 'keepalived',
    severity: 'warning',
    title: 'Two peers both start as MASTER with the same priority',
    why: 'Both nodes claim the VIP at start-up; with equal priority the tie is broken by the higher IP address, so which node ends up master is an accident of addressing, and every restart of the other node causes a needless flap.',
    fix: 'Give one node `state MASTER` and a higher priority (e.g. 150), the other `state BACKUP` and a lower one (e.g. 100).',
    explain:
      'VRRP elects the master by priority; on a tie the higher primary IP address wins (RFC 5798 §6.4.3). Two `state MASTER` nodes with equal priority both send adverts at start-up, both add the VIP for a moment, and the loser yields only after the first advert it receives: clients see duplicate ARP answers. Make the intended master explicit with a higher priority.',
    check: (input) =>
      peerGroups(input).flatMap((g) => {
        const masters = g.filter((r) => r.inst.state === 'MASTER')
        const out: FindingDraft[] = []
        for (let i = 0; i < masters.length; i++) {
          for (let j = i + 1; j < masters.length; j++) {
            const a = masters[i]
            const b = masters[j]
            if (a === undefined || b === undefined) continue
            const pa = effectiveVrrp(a.inst, a.cfg).priority
            const pb = effectiveVrrp(b.inst, b.cfg).priority
            if (pa !== pb) continue
            out.push({
              message: `${name(a)} and ${name(b)} (vrid ${a.inst.virtualRouterId ?? '?'}) are both state MASTER with priority ${pa}`,
              evidence: [instEv(a, 'state', `state MASTER, priority ${pa}`), instEv(b, 'state', `state MASTER, priority ${pb}`)],
            })
          }
        }
        return out
      }),
  },
  {
    id: 'keepalived-priority-range',
    area: 'keepalived',
    severity: 'error',
    title: 'VRRP priority 255 (reserved) or outside 1–255 (invalid)',
    why: 'keepalived replaces a priority outside 1–255 with 100 (silently changing who is master), and 255 is reserved for the owner of the real address: usable priorities are 1–254.',
    fix: 'Use priorities between 1 and 254, e.g. 150 on the master and 100 on the backup.',
    explain:
      'RFC 5798 §5.2.4: priority 255 is for the router that owns the virtual address as a real interface address, 0 means "master is leaving". keepalived 2.2 logs "Priority not valid! must be between 1 & 255. Using default 100" for anything else (checked with keepalived -d), so a config that says 300 runs with 100, possibly below its backup. Priority 255 makes the node preempt instantly and ignore nopreempt; only use it when the VIP is a real address of that node.',
    check: (input) =>
      perInstance(input, (r) => {
        const p = r.inst.priority
        if (p >= 1 && p <= 254) return []
        return [
          {
            message: `${name(r)}: priority ${p} ${p === 255 ? 'is reserved for the address owner (use 1–254)' : 'is outside 1–255: keepalived runs it with 100 (use 1–254)'}`,
            evidence: [instEv(r, 'priority', `priority ${p}`)],
            ...(p === 255 ? {severity: 'warning' as const} : {}),
          },
        ]
      }),
  },
  {
    id: 'keepalived-advert-int-fraction-v2',
    area: 'keepalived',
    severity: 'warning',
    title: 'Non-integer advert_int under VRRPv2',
    why: 'VRRPv2 carries the advertisement interval in whole seconds; keepalived rounds a fraction (0.5 becomes 1, 2.5 becomes 3), so failover takes longer or shorter than the config says.',
    fix: 'Use a whole number of seconds, or switch to VRRPv3 (`vrrp_version 3` in global_defs, on every peer) for sub-second adverts.',
    explain:
      'The VRRPv2 header has an 8-bit "Adver Int" in seconds (RFC 3768 §5.3.7). keepalived 2.2 logs "VRRPv2 advertisement interval 0.500000s must be an integer. rounding" and uses the rounded value (0.5 → 1 s, 1.4 → 1 s, 2.5 → 3 s, measured with keepalived -d). The backup declares the master dead after 3 × advert_int + skew, so a planned 1.5 s failover with advert_int 0.5 really takes about 3.6 s.',
    check: (input) =>
      perInstance(input, (r) => {
        if (r.inst.version !== 2 || Number.isInteger(r.inst.advertInt)) return []
        const eff = effectiveVrrp(r.inst, r.cfg)
        return [{message: `${name(r)}: advert_int ${r.inst.advertInt} under VRRPv2 runs as ${eff.advertIntS} s`, evidence: [instEv(r, 'advert_int', `advert_int ${r.inst.advertInt}`)]}]
      }),
  },
  {
    id: 'keepalived-peer-vrid-mismatch',
    area: 'keepalived',
    severity: 'error',
    title: 'Peers carry the same VIP with different virtual_router_id',
    why: 'Adverts of another vrid are ignored, so each node thinks it is alone: both become MASTER and both answer ARP for the VIP (split brain).',
    fix: 'Use the same virtual_router_id on every node of one VRRP group (and a different one for each group on the LAN).',
    explain:
      'A VRRP router only processes adverts for its own VRID (RFC 5798 §7.1). Two keepalived nodes that should back each other up but use different virtual_router_id never hear each other: both go MASTER after Master_Down_Interval and both hold the VIP. The symptom is intermittent connection resets as switches relearn the MAC.',
    check: (input) => {
      const byVip = new Map<string, InstanceRef[]>()
      for (const r of allInstances(input)) for (const v of vipSet(r.inst)) byVip.set(v, [...(byVip.get(v) ?? []), r])
      const out: FindingDraft[] = []
      const reported = new Set<string>()
      for (const [vip, refs] of byVip) {
        const vrids = new Map<number, InstanceRef[]>()
        for (const r of refs) if (r.inst.virtualRouterId !== undefined) vrids.set(r.inst.virtualRouterId, [...(vrids.get(r.inst.virtualRouterId) ?? []), r])
        if (vrids.size < 2) continue
        // two complete pairs on one VIP is the cross-host rule; a lone instance with another vrid is a mismatch
        const groups = [...vrids.values()]
        if (groups.filter((g) => new Set(g.map((x) => x.host)).size >= 2).length >= 2) continue
        const key = groups
          .flat()
          .map((r) => `${r.host}/${r.inst.name}`)
          .sort()
          .join(',')
        if (reported.has(key)) continue
        reported.add(key)
        out.push({
          message: `VIP ${vip} is in vrid ${[...vrids.keys()].join(' and ')} on ${groups
            .flat()
            .map((r) => name(r))
            .join(', ')}`,
          evidence: groups.flat().map((r) => instEv(r, 'virtual_router_id', `virtual_router_id ${r.inst.virtualRouterId ?? '?'}`)),
        })
      }
      return out
    },
  },
  {
    id: 'keepalived-peer-advert-int-mismatch',
    area: 'keepalived',
    severity: 'error',
    title: 'Peers use different advert_int',
    why: 'A VRRPv2 backup drops adverts whose interval differs from its own, then takes over while the master is alive (split brain); under VRRPv3 the failover time silently follows the master.',
    fix: 'Set the same advert_int on every node of the VRRP group.',
    explain:
      'RFC 3768 §7.1: a VRRPv2 router must discard an advert whose Adver Int differs from its configured one (keepalived logs "advertisement interval mismatch"). The backup then never hears a valid master and becomes MASTER too. VRRPv3 (RFC 5798) has the backup adopt the master\'s interval instead, so the failover time you planned on the backup is not the one you get.',
    check: (input) =>
      peerGroups(input).flatMap((g) => {
        const ints = g.map((r) => effectiveVrrp(r.inst, r.cfg).advertIntS)
        if (new Set(ints).size < 2) return []
        return [
          {
            message: `vrid ${g[0]?.inst.virtualRouterId ?? '?'}: advert_int ${g.map((r, i) => `${ints[i] ?? '?'} s on ${r.host}`).join(', ')}`,
            evidence: g.map((r, i) => instEv(r, 'advert_int', `advert_int ${ints[i] ?? '?'} s`)),
          },
        ]
      }),
  },
  {
    id: 'keepalived-nopreempt-with-master',
    area: 'keepalived',
    severity: 'warning',
    title: '`nopreempt` with `state MASTER`',
    why: 'keepalived ignores nopreempt on a node that starts as MASTER ("nopreempt will not work with initial state MASTER - clearing"), so the VIP does fail back, against the intent.',
    fix: 'Use `state BACKUP` on every node together with `nopreempt`, and let priority decide the first master.',
    explain:
      'nopreempt only works when the node starts in BACKUP. keepalived 2.2 clears it for `state MASTER` (measured: keepalived -d shows "Preempt = enabled"), so after the failed master returns it takes the VIP back, causing a second outage the config meant to avoid.',
    check: (input) =>
      perInstance(input, (r) =>
        r.inst.nopreempt && r.inst.state === 'MASTER' ? [{message: `${name(r)}: nopreempt is cleared by state MASTER`, evidence: [instEv(r, 'nopreempt', 'nopreempt'), instEv(r, 'state', 'state MASTER')]}] : [],
      ),
  },
  {
    id: 'keepalived-auth-pass-long',
    area: 'keepalived',
    severity: 'warning',
    title: 'auth_pass longer than 8 characters',
    why: 'keepalived truncates the password to 8 characters ("Truncating auth_pass to 8 characters"); peers whose passwords differ only after the 8th character still accept each other, and a change there does nothing.',
    fix: 'Use at most 8 characters for auth_pass (VRRP PASS authentication is not security anyway: it travels in clear text).',
    explain:
      'VRRPv2 simple-text authentication has an 8-octet field (RFC 2338 §5.3.10). keepalived silently cuts longer passwords (measured: "Password = 12345678" for "123456789abc"). Also note VRRPv3 dropped authentication: keepalived ignores it there.',
    check: (input) =>
      perInstance(input, (r) => {
        const p = r.inst.authentication?.authPass
        if (p === undefined || p.length <= 8) return []
        return [
          {
            message: `${name(r)}: auth_pass has ${p.length} characters; keepalived uses "${p.slice(0, 8)}"`,
            evidence: [ev({file: r.inst.authentication?.file ?? r.inst.file, line: r.inst.authentication?.authPassLine ?? r.inst.line}, r.host, `auth_pass of ${p.length} characters`)],
          },
        ]
      }),
  },
  {
    id: 'keepalived-no-service-tracking',
    area: 'keepalived',
    severity: 'warning',
    title: 'No track_script / track_process / track_file for the service behind the VIP',
    why: 'keepalived only watches the other keepalived: if HAProxy (or whatever serves the VIP) dies, the VIP stays on the dead node and the service is down until someone notices.',
    fix: 'Add a vrrp_script that checks the service (e.g. `curl -fsS http://127.0.0.1:PORT/health`, interval 1, fall 2, rise 2) and reference it in the instance with track_script; or use track_process.',
    explain:
      'VRRP fails over when adverts stop, which happens when the node or keepalived dies, not when the service does. The field manual pairs keepalived with HAProxy for exactly this; without a track_script the pair protects against half the failures. Failover after a service failure then takes interval × fall (+ the advert) instead of "never". It is an error when this host runs HAProxy bound to the VIP.',
    check: (input) =>
      perInstance(input, (r) => {
        const eff = effectiveVrrp(r.inst, r.cfg)
        if (eff.trackScripts.length > 0 || r.inst.trackProcesses.length > 0 || r.inst.trackFiles.length > 0) return []
        if (r.cfg.virtualServers.length > 0 && r.hostCfg.haproxy.length === 0) return [] // LVS director: keepalived is the service
        const vips = vipSet(r.inst)
        const fronting = r.hostCfg.haproxy.flatMap((h) => h.sections.flatMap((s) => s.binds.filter((b) => !isWildcard(b.address) && vips.includes(normAddr(b.address)))))
        const missing = eff.missingScripts.length > 0 ? ` (track_script ${eff.missingScripts.join(', ')} is defined nowhere)` : ''
        return [
          {
            message: `${name(r)} tracks nothing${missing}${fronting.length > 0 ? `: HAProxy on ${r.host} serves ${fronting[0]?.address ?? ''} and can die without moving the VIP` : ''}`,
            evidence: [instEv(r, 'track_script'), ...fronting.slice(0, 1).map((b) => ev(b, r.host, `bind ${b.text}`))],
            ...(fronting.length > 0 ? {severity: 'error' as const} : {}),
          },
        ]
      }),
  },
  {
    id: 'keepalived-track-script-undefined',
    area: 'keepalived',
    severity: 'error',
    title: 'track_script names a vrrp_script that does not exist',
    why: 'keepalived skips it ("track script … not found, ignoring"): the check you think protects the VIP never runs.',
    fix: 'Define the vrrp_script (check the spelling) or remove the reference.',
    explain: 'A typo in a track_script entry is not an error for keepalived 2.2; it logs one line and runs without the check. The VIP then behaves as if no service tracking existed.',
    check: (input) =>
      perInstance(input, (r) => {
        const eff = effectiveVrrp(r.inst, r.cfg)
        return eff.missingScripts.map((s) => {
          const ref = r.inst.trackScriptRefs.find((x) => x.name === s)
          return {message: `${name(r)}: track_script ${s} is defined nowhere`, evidence: [ev(ref ?? r.inst, r.host, `track_script ${s}`)]}
        })
      }),
  },
  {
    id: 'keepalived-vip-subnets-no-dev',
    area: 'keepalived',
    severity: 'warning',
    title: 'VIPs on different subnets without `dev`',
    why: 'Without `dev`, every VIP goes on the instance interface; a VIP of another subnet then sits on the wrong interface (unreachable, or answering ARP on the wrong segment).',
    fix: 'Write `dev IFACE` on each VIP of another subnet (e.g. `192.0.2.10/24 dev eth1`), and give each VIP its prefix length.',
    explain:
      'keepalived adds each virtual_ipaddress entry to the instance interface unless the entry names a device. A VIP without a prefix gets /32. When an instance holds VIPs of two networks, at least one of them needs the device of its own network, or traffic for it arrives on an interface that has no route back.',
    check: (input) =>
      perInstance(input, (r) => {
        const vips = r.inst.virtualIpaddresses.filter((v) => v.family === 4)
        if (vips.length < 2) return []
        const known = vips.map((v) => v.prefixLen).find((p) => p !== undefined && p < 32) ?? 24
        const nets = new Map<string, typeof vips>()
        for (const v of vips) {
          const net = ipv4Network(v.address, v.prefixLen ?? known) ?? v.address
          nets.set(net, [...(nets.get(net) ?? []), v])
        }
        if (nets.size < 2) return []
        const noDev = vips.filter((v) => v.dev === undefined)
        if (noDev.length === 0) return []
        return [
          {
            message: `${name(r)}: VIPs on ${nets.size} subnets (${[...nets.keys()].join(', ')}); ${noDev.map((v) => v.address).join(', ')} without dev`,
            evidence: noDev.map((v) => ev(v, r.host, v.text)),
          },
        ]
      }),
  },
  {
    id: 'keepalived-strict-with-unicast',
    area: 'keepalived',
    severity: 'error',
    title: '`vrrp_strict` with unicast peers',
    why: 'Strict RFC mode forbids unicast: keepalived drops the unicast peers ("Unicast peers are not supported in strict mode") and falls back to multicast, which the unicast setup was avoiding (cloud networks drop it): both nodes go MASTER.',
    fix: 'Remove `vrrp_strict` (and `strict_mode`) when you use unicast_peer, or use multicast everywhere.',
    explain:
      'vrrp_strict enforces RFC 5798 to the letter: no unicast, no authentication, VIPs must not be pinged (it also installs firewall rules that drop traffic to the VIP). Unicast is common where multicast does not pass (clouds, some switches); with strict mode those nodes never hear each other.',
    check: (input) =>
      perInstance(input, (r) => {
        const strict = r.inst.strictMode ?? r.cfg.globalDefs.vrrpStrict
        if (!strict || r.inst.unicastPeers.length === 0) return []
        const where: Evidence[] = []
        if (r.inst.strictMode === true) where.push(instEv(r, 'strict_mode', 'strict_mode on'))
        else {
          const d = r.cfg.globalDefs.raw.find((x) => x.keyword === 'vrrp_strict')
          if (d !== undefined) where.push(ev(d, r.host, 'vrrp_strict'))
        }
        where.push(instEv(r, 'unicast_peer', `unicast_peer ${r.inst.unicastPeers.join(' ')}`))
        return [{message: `${name(r)}: strict mode and unicast_peer ${r.inst.unicastPeers.join(', ')}`, evidence: where}]
      }),
  },
  {
    id: 'keepalived-parser-warning',
    area: 'keepalived',
    severity: 'note',
    title: 'keepalived would warn about this line',
    why: 'keepalived starts anyway but skips or changes what the line says (a missing include, a state word it does not know, a script without a command): what runs is not what the file reads like.',
    fix: 'Fix the line shown (create the included file, correct the keyword), then run doctor again.',
    explain: 'The parser notes what keepalived 2.2 itself logs as a warning while reading its config (keepalived -t shows the same): includes that match no file, vrrp_script without script, unknown state words. They are notes, not errors, because keepalived runs on.',
    check: (input) =>
      input.hosts.flatMap((h) => h.keepalived.flatMap((c) => c.warnings.map((w) => ({message: `${h.host}: ${w.message}`, host: h.host, evidence: [ev(w, h.host, w.message)]})))),
  },
  {
    id: 'keepalived-conditional-skipped',
    area: 'keepalived',
    severity: 'note',
    title: 'Conditional lines (@ID, @^ID) not applied for this config id',
    why: 'keepalived ignores `@ID` lines unless it runs with that config id (-i, default: the first part of the host name), and `@^ID` lines when it does: doctor checked the config as keepalived with this id would read it.',
    fix: 'Check that the config id is the one keepalived runs with on that host (`--config-id ID`, or keepalived -i), so the right lines are checked.',
    explain: 'keepalived.conf(5), "Conditional configuration and configuration id": one file serves several hosts, e.g. `@lb1 priority 150` and `@lb2 priority 100`. Files given to doctor have no host, so no `@ID` line applies unless --config-id is given; live runs use the host\'s own name (uname -n up to the first dot), as keepalived does.',
    check: (input) =>
      input.hosts.flatMap((h) =>
        h.keepalived
          .filter((c) => c.skippedConditionals.length > 0)
          .map((c) => {
            const n = c.skippedConditionals.length
            return {
              message: `${h.host}: ${n} conditional line${n === 1 ? '' : 's'} skipped for ${c.configId === undefined ? 'no config id (give --config-id to choose one)' : `config id "${c.configId}"`}: ${c.skippedConditionals
                .slice(0, 8)
                .map((x) => `${x.line} (${x.text.split(/\s+/).slice(0, 3).join(' ')})`)
                .join(', ')}${n > 8 ? ', …' : ''}`,
              host: h.host,
              evidence: c.skippedConditionals.slice(0, 20).map((x) => ev(x, h.host, x.text)),
            }
          }),
      ),
  },
]
