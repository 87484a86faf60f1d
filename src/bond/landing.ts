/**
 * Where did the load land? The bond's member counters before and after a load run: bytes per member and
 * each member's share, next to the bond's own counters (to compare with what iperf3 reports).
 */
import type {InventoryHost} from '../inventory/inventory.js'
import {computeRates} from './sampler.js'
import type {BondSnapshot} from './snapshot.js'
import type {SpreadInput, SpreadPeer} from './spread.js'

export interface MemberLanding {
  name: string
  rxBytes: number | null
  txBytes: number | null
  rxShare: number | null
  txShare: number | null
  miiStatus: string
}

export interface Landing {
  host: string
  bond: string
  mode: string | null
  dtS: number
  members: MemberLanding[]
  bondRxBytes: number | null
  bondTxBytes: number | null
}

export function landing(before: BondSnapshot, after: BondSnapshot): Landing {
  const r = computeRates(before, after)
  const rxTotal = r.members.reduce((s, m) => s + (m.rxBytes ?? 0), 0)
  const txTotal = r.members.reduce((s, m) => s + (m.txBytes ?? 0), 0)
  return {
    host: after.host,
    bond: after.bond,
    mode: after.proc.mode,
    dtS: r.dtS,
    members: r.members.map((m) => ({
      name: m.name,
      rxBytes: m.rxBytes,
      txBytes: m.txBytes,
      rxShare: rxTotal > 0 && m.rxBytes !== null ? m.rxBytes / rxTotal : null,
      txShare: txTotal > 0 && m.txBytes !== null ? m.txBytes / txTotal : null,
      miiStatus: after.proc.members.find((x) => x.name === m.name)?.miiStatus ?? 'unknown',
    })),
    bondRxBytes: r.bond?.rxBytes ?? null,
    bondTxBytes: r.bond?.txBytes ?? null,
  }
}

const same24 = (a: string, b: string): boolean => a.split('.').slice(0, 3).join('.') === b.split('.').slice(0, 3).join('.')

/** Peers as the bond sees them: their own MAC when on the bond's /24 (an assumption stated in the advice). */
export function peersOf(clients: InventoryHost[], bondAddress: string): SpreadPeer[] {
  return clients.map((c) => {
    const mac = typeof c.facts['mac'] === 'string' ? c.facts['mac'] : null
    return {name: c.name, address: c.address, mac, sameL2: same24(c.address, bondAddress)}
  })
}

export function spreadInputFor(s: BondSnapshot, peers: SpreadPeer[], parallel: number, direction: SpreadInput['direction']): SpreadInput {
  return {
    mode: s.proc.mode,
    xmitHashPolicy: s.proc.xmitHashPolicy ?? s.sysfs?.xmitHashPolicy?.name ?? null,
    members: s.proc.members.filter((m) => m.miiStatus === 'up').map((m) => m.name),
    bondMac: s.bondMac,
    peers,
    parallel,
    direction,
  }
}
