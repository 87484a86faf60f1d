/**
 * IPVS and keepalived state of one director, read through any executor (the lab's guest console, ssh):
 * `wrap` turns an argv into the one that runs where the director is (e.g. `ip netns exec dir1 …` in the lab's
 * guest; identity on a real host).
 */
import type {Executor} from '../../exec/types.js'
import {lastVrrpState, parseIpvsConns, parseIpvsDaemon, parseIpvsStats, parseVsSysctls, type IpvsStatsRow, type SyncDaemon} from './readers.js'

export interface DirectorState {
  name: string
  holdsVip: boolean
  /** From keepalived's log (the last "Entering … STATE"); null when the log shows none. */
  vrrpState: string | null
  keepalivedRunning: boolean
  keepalivedPids: number[]
  stats: IpvsStatsRow[]
  /** `ipvsadm -Ln --stats` as printed. */
  statsText: string
  /** Entries in the connection table (`ipvsadm -Lnc`), templates included. */
  connections: number
  syncDaemons: SyncDaemon[]
  sysctls: Record<string, string>
}

export async function directorState(ex: Executor, name: string, wrap: (argv: string[]) => string[], logFile: string, o: {vip: string; instance: string}): Promise<DirectorState> {
  const run = async (argv: string[]): Promise<string> => {
    const r = await ex.run(wrap(argv), {timeoutMs: 10_000})
    return r.code === 0 ? r.stdout : ''
  }
  const [addr, stats, conns, daemon, sysctls, log, pid] = await Promise.all([
    run(['/bin/ip', '-4', '-o', 'addr', 'show']),
    run(['ipvsadm', '-Ln', '--stats']),
    run(['ipvsadm', '-Lnc']),
    run(['ipvsadm', '-Ln', '--daemon']),
    run(['grep', '-r', '.', '/proc/sys/net/ipv4/vs']),
    ex.run(['tail', '-n', '400', logFile], {timeoutMs: 10_000}).then((r) => (r.code === 0 ? r.stdout : '')),
    ex.run(['cat', `/run/ka-${name}.pid`], {timeoutMs: 10_000}).then((r) => (r.code === 0 ? r.stdout : '')),
  ])
  const p = Number(pid.trim())
  const pids = Number.isInteger(p) && p > 1 ? [p] : []
  const running = pids.length > 0 ? (await ex.run(['kill', '-0', String(pids[0])], {timeoutMs: 10_000})).code === 0 : false
  return {
    name,
    holdsVip: addr.split('\n').some((l) => l.includes(` ${o.vip}/`)),
    vrrpState: lastVrrpState(log, o.instance),
    keepalivedRunning: running,
    keepalivedPids: running ? pids : [],
    stats: parseIpvsStats(stats),
    statsText: stats,
    connections: parseIpvsConns(conns).length,
    syncDaemons: parseIpvsDaemon(daemon),
    sysctls: parseVsSysctls(sysctls),
  }
}
