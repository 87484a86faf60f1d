/**
 * /proc/net/dev: every interface's counters in one file (what bmon and ifstat read). One read per sample
 * instead of one per counter and interface. Its columns fold a few sysfs counters together
 * (net/core/net-procfs.c dev_seq_printf_stats): rx "drop" = rx_dropped + rx_missed_errors, rx "errs" =
 * rx_errors, tx "drop" = tx_dropped, tx "errs" = tx_errors.
 */
import type {Counters} from './sysfs.js'

const RX = ['rx_bytes', 'rx_packets', 'rx_errors', 'rx_dropped', 'rx_fifo', 'rx_frame', 'rx_compressed', 'multicast']
const TX = ['tx_bytes', 'tx_packets', 'tx_errors', 'tx_dropped', 'tx_fifo', 'collisions', 'tx_carrier', 'tx_compressed']

/** Every interface's counters; with `only`, just those interfaces' (a host may have hundreds). */
export function parseProcNetDev(text: string, only?: ReadonlySet<string>): Map<string, Counters> {
  const out = new Map<string, Counters>()
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':')
    if (colon < 0 || line.includes('|')) continue
    const name = line.slice(0, colon).trim()
    if (only !== undefined && !only.has(name)) continue
    const vals = line.slice(colon + 1).trim().split(/\s+/)
    if (name === '' || vals.length < 16 || !vals.every((v) => /^\d+$/.test(v))) continue
    const c: Counters = {}
    RX.forEach((k, i) => (c[k] = BigInt(vals[i] as string)))
    TX.forEach((k, i) => (c[k] = BigInt(vals[8 + i] as string)))
    out.set(name, c)
  }
  return out
}
