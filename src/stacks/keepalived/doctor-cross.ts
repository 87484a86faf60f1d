/** Checks across the hosts of one inventory (or one set of collected configs). */
import {effectiveVrrp} from '../../config/keepalived.js'
import {normAddr} from '../../doctor/net.js'
import {type DoctorInput, type Evidence, type FindingDraft, type Rule, type Severity, ev} from '../../doctor/types.js'
import {type InstanceRef, allInstances, peerGroups, vipSet} from './doctor.js'

const name = (r: InstanceRef): string => `${r.host} vrrp_instance ${r.inst.name}`
const at = (r: InstanceRef, key: string, state?: string): Evidence =>
  key === 'auth_pass'
    ? ev({file: r.inst.authentication?.file ?? r.inst.file, line: r.inst.authentication?.authPassLine ?? r.inst.lines['authentication'] ?? r.inst.line}, r.host, state)
    : ev({file: r.inst.file, line: r.inst.lines[key] ?? r.inst.line}, r.host, state)

export const crossRules: Rule[] = [
  {
    id: 'cross-vip-in-two-groups',
    area: 'cross-host',
    severity: 'error',
    title: 'One VIP managed by two VRRP groups (or by keepalived and Pacemaker)',
    why: 'Each group elects its own master and both add the VIP: two hosts answer ARP for one address, and connections break whenever the switches relearn it.',
    fix: 'Keep every VIP in exactly one VRRP group (one virtual_router_id) and out of Pacemaker IPaddr2 resources if keepalived manages it.',
    explain: 'Typical after copying a keepalived.conf to a new pair and changing the vrid but not the VIP, or when migrating a VIP from keepalived to Pacemaker and leaving the old config in place.',
    check: (input) => {
      const byVip = new Map<string, InstanceRef[]>()
      for (const r of allInstances(input)) for (const v of vipSet(r.inst)) byVip.set(v, [...(byVip.get(v) ?? []), r])
      const out: FindingDraft[] = []
      for (const [vip, refs] of byVip) {
        const byVrid = new Map<number, InstanceRef[]>()
        for (const r of refs) if (r.inst.virtualRouterId !== undefined) byVrid.set(r.inst.virtualRouterId, [...(byVrid.get(r.inst.virtualRouterId) ?? []), r])
        const pairs = [...byVrid.entries()].filter(([, g]) => new Set(g.map((x) => x.host)).size >= 2)
        if (pairs.length >= 2) {
          out.push({
            message: `VIP ${vip} is in ${pairs.length} VRRP groups: ${pairs.map(([vrid, g]) => `vrid ${vrid} on ${[...new Set(g.map((x) => x.host))].join('+')}`).join('; ')}`,
            evidence: pairs.flatMap(([, g]) => g.map((r) => at(r, 'virtual_router_id', `vrid ${r.inst.virtualRouterId ?? '?'}`))),
          })
        }
        for (const host of input.hosts) {
          for (const cib of host.cib) {
            const p = cib.primitives.find((x) => /IPaddr/.test(x.type) && x.params['ip'] !== undefined && normAddr(x.params['ip']) === vip)
            if (p !== undefined && refs[0] !== undefined) {
              out.push({message: `VIP ${vip} is in keepalived (${name(refs[0])}) and in Pacemaker resource ${p.id}`, evidence: [at(refs[0], 'virtual_ipaddress'), ev(p, host.host, `${p.id} ip=${vip}`)]})
            }
          }
        }
      }
      return out
    },
  },
  {
    id: 'cross-peer-config-mismatch',
    area: 'cross-host',
    severity: 'error',
    title: "VRRP peers' configs disagree",
    why: 'Peers that disagree on authentication, VRRP version or unicast drop each other\'s adverts and both become MASTER; peers with different VIP lists move different addresses on failover.',
    fix: 'Generate both configs from one template: only state, priority and unicast_src_ip/peer should differ between peers.',
    explain:
      'Checked between instances with the same virtual_router_id that share a VIP: auth_type/auth_pass (a mismatch makes keepalived drop adverts, RFC 3768 §7.1), VRRP version (v2 and v3 adverts are different packets), unicast (a unicast node does not listen to multicast, nor the reverse; each peer should list the other), and the VIP list (a warning: the failover only moves what the new master lists).',
    check: (input) =>
      peerGroups(input).flatMap((g) => {
        const out: FindingDraft[] = []
        const first = g[0]
        if (first === undefined) return out
        const vrid = first.inst.virtualRouterId ?? '?'
        const differ = (what: string, val: (r: InstanceRef) => string, key: string, severity: Severity = 'error'): void => {
          const vals = g.map(val)
          if (new Set(vals).size < 2) return
          out.push({message: `vrid ${vrid}: ${what} differs: ${g.map((r, i) => `${r.host}: ${vals[i] ?? ''}`).join(', ')}`, evidence: g.map((r, i) => at(r, key, `${what} ${vals[i] ?? ''}`)), severity})
        }
        differ('auth_type', (r) => r.inst.authentication?.authType ?? 'none', 'authentication')
        // compare what keepalived really sends (8 characters); the password itself stays out of the report
        differ('auth_pass', (r) => (r.inst.authentication?.authPass === undefined ? 'none' : `#${hash8(r.inst.authentication.authPass.slice(0, 8))}`), 'auth_pass')
        differ('VRRP version', (r) => String(effectiveVrrp(r.inst, r.cfg).version), 'version')
        differ('unicast', (r) => (r.inst.unicastPeers.length > 0 ? 'unicast' : 'multicast'), 'unicast_peer')
        differ('VIP list', (r) => [...vipSet(r.inst)].sort().join(' '), 'virtual_ipaddress', 'warning')
        // unicast peers should point at each other
        for (const r of g) {
          if (r.inst.unicastPeers.length === 0) continue
          for (const o of g) {
            if (o === r || o.inst.unicastSrcIp === undefined) continue
            if (!r.inst.unicastPeers.map(normAddr).includes(normAddr(o.inst.unicastSrcIp))) {
              out.push({message: `vrid ${vrid}: ${name(r)} does not list ${o.host}'s unicast_src_ip ${o.inst.unicastSrcIp} in unicast_peer`, evidence: [at(r, 'unicast_peer'), at(o, 'unicast_src_ip', `unicast_src_ip ${o.inst.unicastSrcIp}`)]})
            }
          }
        }
        return out
      }),
  },
]

/** A short, non-reversible tag of a password (FNV-1a), to show "these differ" without printing them. */
function hash8(s: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h.toString(16).padStart(8, '0').slice(0, 6)
}
