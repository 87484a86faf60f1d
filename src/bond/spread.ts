/**
 * Will this traffic spread across the bond's members? From the mode, the transmit hash policy and the
 * peers, before any packet is sent. The seed's lesson: with layer2 hashing every frame between the same two
 * MACs takes the same member, so one client (or every client behind one router) loads one member only.
 *
 * For layer2 with known MACs the member is computed as the driver does (6.1, bond_eth_hash):
 * (dest MAC[5] XOR source MAC[5] XOR ethertype) mod number-of-usable-members.
 */

export interface SpreadPeer {
  name: string
  address: string
  /** Known MAC of the peer as the bond sees it (same L2), or null. */
  mac: string | null
  /** Same L2 segment as the bond (else every peer sits behind one router MAC). */
  sameL2: boolean
}

export interface SpreadInput {
  mode: string | null
  xmitHashPolicy: string | null
  /** Members that are up, in the driver's order. */
  members: string[]
  bondMac: string | null
  peers: SpreadPeer[]
  /** Parallel streams per peer (-P). */
  parallel: number
  /** Which way the load goes for the bond: clients → bond is the bond's RX; iperf3 -R is the bond's TX. */
  direction: 'bond-rx' | 'bond-tx' | 'both'
}

export interface SpreadAdvice {
  level: 'warning' | 'info'
  message: string
}

const ETH_P_IP = 0x0800

export function layer2Member(bondMac: string, peerMac: string, members: string[]): string | null {
  const last = (mac: string): number | null => {
    const m = /([0-9a-f]{2})$/i.exec(mac.trim())
    return m === null ? null : parseInt(m[1] as string, 16)
  }
  const a = last(bondMac)
  const b = last(peerMac)
  if (a === null || b === null || members.length === 0) return null
  return members[(a ^ b ^ ETH_P_IP) % members.length] ?? null
}

export function spreadAdvice(i: SpreadInput): SpreadAdvice[] {
  const out: SpreadAdvice[] = []
  const n = i.members.length
  const mode = i.mode ?? 'unknown'
  if (n < 2) {
    out.push({level: 'warning', message: `only ${n} member${n === 1 ? ' is' : 's are'} up: nothing to spread across`})
    return out
  }
  const tx = i.direction !== 'bond-rx'
  const rx = i.direction !== 'bond-tx'
  const distinctMacs = new Set(i.peers.map((p) => (p.sameL2 ? (p.mac ?? `peer:${p.address}`) : 'router'))).size
  const distinctIps = new Set(i.peers.map((p) => p.address)).size
  const flows = i.peers.length * Math.max(1, i.parallel)
  switch (mode) {
    case 'active-backup':
      out.push({level: 'info', message: 'active-backup: the active member carries all traffic by design; the other waits'})
      break
    case 'broadcast':
      out.push({level: 'info', message: 'broadcast: every frame goes out on every member (no spreading, duplicates by design)'})
      break
    case 'balance-rr':
      if (tx) out.push({level: 'info', message: 'balance-rr: frames the bond sends alternate over the members (expect TCP reordering and retransmits)'})
      if (rx) out.push({level: 'info', message: 'balance-rr: what the bond receives depends on the switch, not the bond'})
      break
    case 'balance-xor':
    case '802.3ad': {
      const policy = i.xmitHashPolicy ?? 'layer2'
      if (tx) {
        if (policy === 'layer2') {
          if (distinctMacs <= 1) {
            out.push({level: 'warning', message: `${mode} with xmit_hash_policy layer2 and ${i.peers.length === 1 ? 'one client MAC' : 'every client behind one MAC'}: one member carries everything the bond sends (use two clients on the bond's segment, or layer3+4)`})
          } else if (i.bondMac !== null && i.peers.every((p) => p.mac !== null && p.sameL2)) {
            const used = new Map<string, string[]>()
            for (const p of i.peers) {
              const m = layer2Member(i.bondMac, p.mac as string, i.members)
              if (m !== null) used.set(m, [...(used.get(m) ?? []), p.name])
            }
            const map = [...used].map(([m, ps]) => `${ps.join('+')} → ${m}`).join(', ')
            out.push({level: used.size < Math.min(n, i.peers.length) ? 'warning' : 'info', message: `layer2 hash: ${map}${used.size === 1 ? ' (one member carries everything the bond sends)' : ''}`})
          }
        } else if (policy === 'layer2+3' || policy === 'encap2+3') {
          if (distinctIps <= 1) out.push({level: 'warning', message: `${mode} with ${policy} and one peer address: one member carries everything the bond sends`})
        } else if (policy === 'layer3+4' || policy === 'encap3+4') {
          if (flows <= 1) out.push({level: 'warning', message: `${mode} with ${policy} and a single flow: one member carries it (use -P to open several)`})
        }
      }
      if (rx) out.push({level: 'info', message: `${mode}: what the bond receives is spread by the switch${mode === '802.3ad' ? ' (the LACP partner)' : ''}, not by the bond`})
      break
    }
    case 'balance-tlb':
      if (tx && distinctMacs <= 1) out.push({level: 'warning', message: 'balance-tlb balances what it sends per peer: with one peer MAC, one member sends everything'})
      if (rx) out.push({level: 'warning', message: 'balance-tlb receives on the active member only: the traffic to the bond is not spread'})
      break
    case 'balance-alb':
      if (tx && distinctMacs <= 1) out.push({level: 'warning', message: 'balance-alb balances what it sends per peer: with one peer MAC, one member sends everything'})
      if (rx && distinctMacs <= 1) out.push({level: 'warning', message: 'balance-alb spreads what it receives by answering each peer’s ARP with another member’s MAC: one peer lands on one member'})
      break
    default:
      out.push({level: 'info', message: `mode ${mode}: no spreading prediction`})
  }
  return out
}
