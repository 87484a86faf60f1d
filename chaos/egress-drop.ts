/**
 * Dropping some of a host's own outgoing packets (VRRP adverts: drop-vrrp; the IPVS sync daemon's
 * datagrams: drop-sync; a service port's TCP replies: drop-port) with the packet filter the host has:
 *
 * - nftables where `nft` runs: our own table with an output-hook chain, deleted on revert (the faults' own
 *   scripts);
 * - else iproute2's tc. The LVS lab's guest is such a host: its initramfs holds busybox, keepalived, ipvsadm
 *   and iproute2 (ip, tc) but no nftables package, and busybox's own `tc` applet comes first on PATH (and
 *   cannot add filters), so iproute2's is found by path (`tc -V` must name iproute2). A clsact qdisc (made
 *   only when the device has none: a root qdisc someone configured is never touched) carries one u32 filter
 *   at our own preference on egress, `action drop`: that is the device's transmit path, which every packet
 *   leaving it takes (keepalived's raw VRRP socket and the kernel's sync thread alike).
 *
 * The revert deletes our filter by its preference, then the clsact we made; each step also succeeds when
 * there is nothing left to delete (tc's exit 2: the kernel refused, "no such filter/qdisc"), so it can run
 * twice (`hachaos recover` after a crash).
 */
import {HachaosError} from '../src/errors.js'
import type {Executor} from '../src/exec/types.js'
import type {Action, HostRef} from '../src/fault/types.js'

export type DropTool = {kind: 'nft'} | {kind: 'tc'; tc: string; clsact: boolean}

/** Where iproute2's tc may be: on PATH, else by path (a busybox system's PATH finds busybox's applet first). */
export const TC_CANDIDATES = ['tc', '/sbin/tc', '/usr/sbin/tc'] as const

/** tc exits 2 when the kernel refuses (no such filter or qdisc): the revert's "already gone". */
export const TC_GONE_CODES = [0, 2]

/** Our filters' preferences on clsact egress, one per fault (they can coexist on one device). */
export const TC_PREF = {vrrp: 4112, sync: 4848, port: 4880} as const

/**
 * nft if it runs on the host, else iproute2's tc (and whether `dev` has a clsact qdisc already); neither:
 * an error naming both. `dev` must exist for tc (its qdiscs are read).
 */
export async function dropToolOf(exec: Executor, dev: string, target: string): Promise<DropTool> {
  const nft = await exec.run(['nft', '--version'], {timeoutMs: 10_000})
  if (nft.code === 0) return {kind: 'nft'}
  for (const tc of TC_CANDIDATES) {
    const v = await exec.run([tc, '-V'], {timeoutMs: 10_000})
    if (v.code !== 0 || !/iproute2/.test(`${v.stdout}${v.stderr}`)) continue
    const q = await exec.run([tc, 'qdisc', 'show', 'dev', dev], {timeoutMs: 10_000})
    if (q.code !== 0) {
      throw new HachaosError(`${target} has no interface ${dev} (${(q.stderr || q.stdout).trim().slice(0, 200)})`, {
        code: 'E_NO_INTERFACE',
        exit: 'USAGE',
        where: target,
        suggestions: ['pass --interface NAME, or set facts.interface in the inventory'],
      })
    }
    return {kind: 'tc', tc, clsact: /\bqdisc clsact\b/.test(q.stdout)}
  }
  throw new HachaosError(`${target} has neither nftables (nft) nor iproute2's tc: no way to drop its packets`, {
    code: 'E_NO_TOOL',
    exit: 'ENVIRONMENT',
    where: target,
    suggestions: ['install nftables (or iproute2) on the host'],
  })
}

/** u32 selectors (tc's own words; ip header without options, as the kernel sends them). */
export const U32_VRRP = ['match', 'ip', 'protocol', '112', '0xff']
export function u32Udp(group: string, port: number): string[] {
  return ['match', 'ip', 'protocol', '17', '0xff', 'match', 'ip', 'dst', `${group}/32`, 'match', 'ip', 'dport', String(port), '0xffff']
}

/** tc's inject and revert for one egress drop filter of ours on `dev`. */
export function tcDropActions(ref: HostRef, tool: Extract<DropTool, {kind: 'tc'}>, dev: string, pref: number, match: string[], what: string): {inject: Action[]; revert: Action[]} {
  const {tc} = tool
  const on = `on ${dev} of ${ref.name}`
  const inject: Action[] = [
    ...(tool.clsact ? [] : [{type: 'exec' as const, host: ref, argv: [tc, 'qdisc', 'add', 'dev', dev, 'clsact'], what: `clsact qdisc ${on}`}]),
    {type: 'exec', host: ref, argv: [tc, 'filter', 'add', 'dev', dev, 'egress', 'pref', String(pref), 'protocol', 'ip', 'u32', ...match, 'action', 'drop'], what: `tc drops ${what} leaving ${dev} on ${ref.name}`},
  ]
  const revert: Action[] = [
    {type: 'exec', host: ref, argv: [tc, 'filter', 'del', 'dev', dev, 'egress', 'pref', String(pref)], okCodes: TC_GONE_CODES, what: `delete our tc filter (pref ${pref}) ${on}`},
    ...(tool.clsact ? [] : [{type: 'exec' as const, host: ref, argv: [tc, 'qdisc', 'del', 'dev', dev, 'clsact'], okCodes: TC_GONE_CODES, what: `delete the clsact qdisc ${on}`}]),
  ]
  return {inject, revert}
}

/** What one drop fault gives for each tool: its own nftables table (script and idempotent removal), or a tc u32 filter. */
export interface DropSpec {
  nft: {table: string; script: string; remove: string}
  tc: {pref: number; match: string[]; what: string}
}

/** The inject and revert of one egress drop with the tool the host has (nft: our table; tc: tcDropActions). */
export function dropActions(ref: HostRef, tool: DropTool, dev: string, spec: DropSpec): {inject: Action[]; revert: Action[]} {
  if (tool.kind === 'tc') return tcDropActions(ref, tool, dev, spec.tc.pref, spec.tc.match, spec.tc.what)
  return {
    inject: [{type: 'exec', host: ref, argv: ['nft', '-f', '-'], input: spec.nft.script, what: `add table inet ${spec.nft.table} on ${ref.name}`}],
    revert: [{type: 'exec', host: ref, argv: ['nft', '-f', '-'], input: spec.nft.remove, what: `delete table inet ${spec.nft.table} on ${ref.name}`}],
  }
}
