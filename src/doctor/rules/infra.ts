/** Bonding rules (LVS's are the LVS stack's: src/stacks/lvs/rules.ts; Gluster's the Gluster stack's: src/stacks/gluster/rules.ts). */
import {ZERO_MAC, bondLine, type BondFile, type BondMember} from '../../bond/proc.js'
import type {Loc} from '../../config/common.js'
import {type DoctorInput, type FindingDraft, type HostConfigs, type Rule, ev} from '../types.js'

function bonds(input: DoctorInput): Array<{host: HostConfigs; b: BondFile}> {
  return input.hosts.flatMap((host) => host.bonds.map((b) => ({host, b})))
}

const bname = (host: HostConfigs, b: BondFile): string => `${host.host} ${b.name}`

/** A member's "Slave Interface:" line (the mode's line from sysfs). */
const memberLoc = (b: BondFile, i: number): Loc => bondLine(b, b.lines.members[i])
/** A member's MII Status as the driver printed it (undefined from sysfs, which has no per-member line). */
const memberMii = (m: BondMember): string | undefined => m.fields['MII Status']

export const infraRules: Rule[] = [
  {
    id: 'bond-single-member',
    area: 'bonding',
    severity: 'warning',
    title: 'Bond with a single member',
    why: 'A bond of one NIC has no redundancy: the cable, the NIC or the switch port is a single point of failure.',
    fix: 'Enslave a second NIC, cabled to a different switch (for active-backup) or to the same LACP group.',
    explain: 'Common after a NIC replacement or a typo in the ifcfg/netplan file: the bond comes up and works, so nobody notices it is not redundant until the one link fails.',
    check: (input) =>
      bonds(input)
        .filter(({b}) => b.proc.members.length < 2)
        .map(({host, b}) => ({message: `${bname(host, b)}: ${b.proc.members.length === 0 ? 'no members' : `one member (${b.proc.members[0]?.name ?? ''})`}`, host: host.host, evidence: [ev(memberLoc(b, 0), host.host)]})),
  },
  {
    id: 'bond-no-link-monitor',
    area: 'bonding',
    severity: 'error',
    title: '`miimon 0` and no ARP monitor',
    why: 'The bond never checks its links: a dead member keeps getting its share of traffic (or stays the active one in active-backup), so a cable pull is an outage instead of a failover.',
    fix: 'Set `miimon=100` (or an ARP monitor: `arp_interval=100 arp_ip_target=GATEWAY`, which also catches failures beyond the switch port).',
    explain:
      'Measured in the hachaos bond VM: miimon=100 detects a cable pull in 7–99 ms (mean 51 ms), miimon=1000 in 107–950 ms, the ARP monitor (interval 100) in about 300 ms. With miimon 0 and arp_interval 0 the bonding driver does not monitor at all. An ARP monitor with no arp_ip_target is just as blind (and brings the bond down).',
    check: (input) =>
      bonds(input)
        .map(({host, b}) => ({host, b, miimon: b.proc.miimonMs ?? 0, arp: b.proc.arp?.intervalMs ?? 0}))
        .filter(({b, miimon, arp}) => miimon === 0 && (arp === 0 || (b.proc.arp?.ipTargets ?? []).length === 0))
        .map(({host, b, miimon, arp}) => ({
          message: `${bname(host, b)}: miimon 0 and ${arp === 0 ? 'no ARP monitor' : `arp_interval ${arp} with no arp_ip_target`}`,
          host: host.host,
          evidence: [ev(bondLine(b, b.lines.master['MII Polling Interval (ms)']), host.host, `miimon ${miimon}, arp_interval ${arp}`)],
        })),
  },
  {
    id: 'bond-mixed-speeds',
    area: 'bonding',
    severity: 'warning',
    title: 'Members with different speeds',
    why: 'Load-balancing modes spread flows evenly, so the slow link saturates first; in active-backup a failover to the slow member silently cuts capacity. 802.3ad does not aggregate ports of different speeds at all.',
    fix: 'Use members of the same speed (check `ethtool IFACE`: a 1G port that negotiated 100M is a cable or switch problem).',
    explain: 'A speed mismatch is often not a design choice but a bad cable or auto-negotiation failure on one port.',
    check: (input) =>
      bonds(input).flatMap(({host, b}): FindingDraft[] => {
        const speeds = b.proc.members.map((m, i) => ({m, loc: memberLoc(b, i)})).filter(({m}) => m.speedMbps !== null)
        if (new Set(speeds.map(({m}) => m.speedMbps)).size < 2) return []
        return [{message: `${bname(host, b)}: ${speeds.map(({m}) => `${m.name} ${m.speedMbps ?? '?'} Mb/s`).join(', ')}`, host: host.host, evidence: speeds.map(({m, loc}) => ev(loc, host.host, `Speed: ${m.speedMbps ?? '?'} Mbps`))}]
      }),
  },
  {
    id: 'bond-lacp-rate-slow',
    area: 'bonding',
    severity: 'warning',
    title: '802.3ad with `lacp_rate slow`',
    why: 'LACPDUs every 30 s and a 90 s timeout: a link that fails without losing carrier (a broken switch, a misconfigured port) keeps receiving traffic for up to 90 s.',
    fix: 'Set `lacp_rate fast` (LACPDU every second, 3 s timeout) on the bond and the switch port-channel.',
    explain: 'IEEE 802.1AX: slow periodic rate 30 s, timeout 3 × 30 = 90 s; fast rate 1 s, timeout 3 s. miimon catches carrier loss either way; LACP timeouts catch the rest.',
    check: (input) =>
      bonds(input)
        .filter(({b}) => b.proc.mode === '802.3ad' && b.proc.ad?.lacpRate === 'slow')
        .map(({host, b}) => ({message: `${bname(host, b)}: lacp_rate slow (90 s to detect a silent link failure)`, host: host.host, evidence: [ev(bondLine(b, b.lines.ad['LACP rate']), host.host, 'LACP rate: slow')]})),
  },
  {
    id: 'bond-lacp-not-negotiated',
    area: 'bonding',
    severity: 'error',
    title: '802.3ad not negotiated (partner MAC all zeros)',
    why: 'No LACP partner answered: the switch side is not a port-channel (or LACP is off there), so the bond runs on one member only, or not at all.',
    fix: 'Configure the switch ports as an LACP (active) port-channel; check `cat /proc/net/bonding/BOND` until "Partner Mac Address" shows the switch.',
    explain: 'When LACP does not negotiate, each member ends up in its own aggregator (different Aggregator IDs) and only the active aggregator carries traffic. Captured in the hachaos bond VM: members in aggregators 1 and 2, partner 00:00:00:00:00:00. LACP also does not pass through a plain Linux bridge.',
    check: (input) =>
      bonds(input)
        .filter(({b}) => {
          if (b.proc.mode !== '802.3ad') return false
          const partner = b.proc.ad?.activeAggregator?.partnerMac?.toLowerCase()
          return partner === ZERO_MAC || (partner === undefined && b.proc.members.some((m) => m.partnerLacp?.systemMac?.toLowerCase() === ZERO_MAC))
        })
        .map(({host, b}) => ({
          message: `${bname(host, b)}: no LACP partner (partner MAC ${ZERO_MAC}); members in aggregators ${[...new Set(b.proc.members.map((m) => m.fields['Aggregator ID'] ?? '?'))].join(', ')}`,
          host: host.host,
          evidence: [ev(bondLine(b, b.lines.ad['Active Aggregator Info/Partner Mac Address']), host.host, `Partner Mac Address: ${ZERO_MAC}`)],
        })),
  },
  {
    id: 'bond-layer2-hash',
    area: 'bonding',
    severity: 'note',
    title: 'layer2 transmit hash in a load-balancing mode',
    why: 'layer2 hashes on MAC addresses: all traffic to one peer (typically the default gateway) goes over a single member, so the bond gives redundancy but no extra bandwidth for routed traffic.',
    fix: 'Use `xmit_hash_policy layer3+4` (or layer2+3) when most traffic goes to few MACs.',
    explain: 'balance-xor and 802.3ad pick the member by hashing the packet; with layer2 the hash input is source and destination MAC only. A host that talks mostly to its router has one destination MAC. Live runs count the neighbour MACs on the bond (`ip neigh`): with one peer it is a warning, otherwise a note.',
    check: (input) =>
      bonds(input)
        .filter(({b}) => (b.proc.mode === 'balance-xor' || b.proc.mode === '802.3ad') && (b.proc.xmitHashPolicy ?? 'layer2') === 'layer2' && b.proc.members.length > 1)
        .map(({host, b}) => {
          const peers = host.bondPeers[b.name]
          const one = peers !== undefined && peers <= 1
          return {
            message: `${bname(host, b)}: ${b.proc.mode ?? ''} with xmit_hash_policy layer2${peers === undefined ? '' : `, ${peers} neighbour MAC${peers === 1 ? '' : 's'} seen`}${one ? ': all its traffic uses one member' : ''}`,
            host: host.host,
            evidence: [ev({file: b.file, line: bondLine(b, undefined).line + 1}, host.host, 'Transmit Hash Policy: layer2'), ...(peers === undefined ? [] : [{host: host.host, state: `ip neigh show dev ${b.name}: ${peers} MAC${peers === 1 ? '' : 's'}`}])],
            ...(one ? {severity: 'warning' as const} : {}),
          }
        }),
  },
  {
    id: 'bond-member-down',
    area: 'bonding',
    severity: 'error',
    title: 'Bond member down',
    why: 'The bond is running without its redundancy (or without any link, if all members are down).',
    fix: 'Check the cable, the switch port and `ip link show MEMBER`; `Link Failure Count` in /proc/net/bonding says how often it flapped.',
    explain: 'Live state: "MII Status" of each member in /proc/net/bonding ("going back"/"going down" are transitions during updelay/downdelay).',
    check: (input) =>
      bonds(input).flatMap(({host, b}) => {
        const down = b.proc.members.map((m, i) => ({m, mii: memberMii(m), loc: memberLoc(b, i)})).filter(({mii}) => mii !== undefined && mii !== 'up')
        return down.map(({m, mii, loc}) => ({
          message: `${bname(host, b)}: member ${m.name} is ${mii ?? '?'}${down.length === b.proc.members.length ? ' (all members down)' : ''} (link failures: ${m.linkFailureCount ?? '?'})`,
          host: host.host,
          evidence: [ev(loc, host.host, `MII Status: ${mii ?? '?'}`)],
        }))
      }),
  },
]
