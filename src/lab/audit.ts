/**
 * The lab audit, after a drill (or a killed drill and `hachaos recover`), as Pacemaker's CTS audits its
 * cluster after every test: is everything exactly as it was? Every link up, no nftables table of ours, every
 * daemon running and none stopped (state T, a `kill --signal STOP` left behind), no process of ours left in
 * the lab (capture, probe, arping, ping, watchdog shell), no ssh ControlMaster of a gone hachaos process on
 * this machine, no open journal entry, no stale lock, and the VIP on
 * exactly one node and answering. Used by the torture tests and bench, and meant for game days.
 */
import {readdirSync, readFileSync, readlinkSync, statSync} from 'node:fs'

import {errorMessage} from '../errors.js'
import {leftoverSshMasters} from '../exec/ssh.js'
import {executorFor, hostsWithRole, loadInventory, type InventoryHost} from '../inventory/inventory.js'
import {openEntries} from '../store/journal.js'
import {holderAlive, lockDir, type LockHolder} from '../store/locks.js'
import {sleep} from '../time.js'
import type {LabStatus} from './driver.js'
import {labDriver} from './registry.js'

export type AuditKind = 'lab' | 'link-down' | 'nft-table' | 'daemon-down' | 'daemon-stopped' | 'process-left' | 'ssh-master' | 'journal-open' | 'stale-lock' | 'vip' | 'vip-unanswered' | 'audit-error'

export interface AuditFinding {
  kind: AuditKind
  host: string | null
  detail: string
}

export interface AuditResult {
  topology: string
  prefix: string
  clean: boolean
  findings: AuditFinding[]
  /** How long the audit waited for the lab to settle (ms). */
  waitedMs: number
}

export interface AuditOptions {
  topology: string
  prefix: string
  /** The journal to look at (default: $HACHAOS_HOME/journal). */
  journalDir?: string
  /** Keep looking until clean or this long has passed (a failback, a restarted daemon take a moment). */
  settleMs?: number
  /** nftables tables that are ours (default: any whose name contains "hachaos"). */
  ourTable?: RegExp
  /** Stale locks not to count (a game day ignores those of drills that are not its own). */
  ignoreStaleLock?: (holder: LockHolder) => boolean
}

/** Processes that only a drill starts in a lab (the lab's own daemons never match). */
const OUR_COMMS = new Set(['tcpdump', 'arping', 'ping'])
const isOurs = (comm: string, cmdline: string): boolean => OUR_COMMS.has(comm) || cmdline.includes('hachaos-watchdog') || /\bprobe\b.*--url/.test(cmdline)

interface ProcInfo {
  pid: number
  comm: string
  state: string
  cmdline: string
  netIno: number
}

function scanProcs(): ProcInfo[] {
  const out: ProcInfo[] = []
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue
    try {
      const stat = readFileSync(`/proc/${n}/stat`, 'utf8')
      const close = stat.lastIndexOf(')')
      const comm = stat.slice(stat.indexOf('(') + 1, close)
      const state = stat.slice(close + 2, close + 3)
      const cmdline = readFileSync(`/proc/${n}/cmdline`, 'utf8').split('\0').join(' ').trim()
      out.push({pid: Number(n), comm, state, cmdline, netIno: statSync(`/proc/${n}/ns/net`).ino})
    } catch {
      // exited meanwhile, or a kernel thread
    }
  }
  return out
}

/** The network namespace (inode) a lab host lives in, when it is on this machine. */
function netInoOf(h: InventoryHost): number | null {
  try {
    if (h.via === 'netns' && h.netns !== undefined) return statSync(`/run/netns/${h.netns}`).ino
    if (h.via === 'nsenter' && h.init_pid_file !== undefined) return statSync(`/proc/${readFileSync(h.init_pid_file, 'utf8').trim()}/ns/net`).ino
  } catch {
    return null
  }
  return null
}

/** Links of a host that are not up (admin UP and carrier LOWER_UP), loopback aside. */
export function linksDown(ipLinkOutput: string): string[] {
  const down: string[] = []
  for (const line of ipLinkOutput.split('\n')) {
    const m = /^\d+:\s+([^:@\s]+)[^<]*<([^>]*)>/.exec(line)
    if (m === null) continue
    const [name, flags] = [m[1] as string, (m[2] as string).split(',')]
    if (name === 'lo') continue
    // busybox's `ip -o` (the bond guest) glues the next field to the last flag: LOWER_UP800.
    if (!flags.includes('UP') || !flags.some((f) => f.startsWith('LOWER_UP'))) down.push(`${name} <${flags.join(',')}>`)
  }
  return down
}

async function auditOnce(o: AuditOptions): Promise<AuditFinding[]> {
  const f: AuditFinding[] = []
  const add = (kind: AuditKind, host: string | null, detail: string): void => {
    f.push({kind, host, detail})
  }
  let status: LabStatus
  try {
    status = await labDriver(o.topology).status(o.prefix)
  } catch (e) {
    return [{kind: 'audit-error', host: null, detail: `lab status: ${errorMessage(e)}`}]
  }
  if (!status.up || status.inventory === null) return [{kind: 'lab', host: null, detail: `the ${o.topology} lab (prefix ${o.prefix}) is not up`}]
  for (const p of status.problems) add(/VIP/.test(p) ? 'vip' : /not running|powered off/.test(p) ? 'daemon-down' : 'lab', null, p)
  for (const n of status.nodes) for (const d of n.daemons) if (!d.running && !status.problems.some((p) => p.includes(d.service))) add('daemon-down', n.name, `${d.service} is not running`)

  const inv = await loadInventory(status.inventory)
  const ourTable = o.ourTable ?? /hachaos/
  const labNets = new Map<number, string>()
  for (const h of inv.hosts) {
    const ino = netInoOf(h)
    if (ino !== null) labNets.set(ino, h.name)
    const ex = executorFor(h)
    try {
      const link = await ex.run(['ip', '-o', 'link', 'show'], {timeoutMs: 10_000})
      for (const l of linksDown(link.stdout)) add('link-down', h.name, l)
      if (h.via !== 'vm') {
        const nft = await ex.run(['nft', 'list', 'tables'], {timeoutMs: 10_000})
        for (const t of nft.stdout.split('\n').filter((l) => /^table /.test(l) && ourTable.test(l))) add('nft-table', h.name, t.trim())
      } else {
        // The bond guest: every member of every bond up again (a member-down left behind shows here).
        const b = await ex.run(['sh', '-c', 'cat /proc/net/bonding/* 2>/dev/null'], {timeoutMs: 10_000})
        for (const m of b.stdout.matchAll(/Slave Interface: (\S+)\nMII Status: (\S+)/g)) if (m[2] !== 'up') add('link-down', h.name, `bond member ${m[1] ?? '?'} MII ${m[2] ?? '?'}`)
      }
    } catch (e) {
      add('audit-error', h.name, errorMessage(e))
    }
  }
  for (const p of scanProcs()) {
    const host = labNets.get(p.netIno)
    if (host === undefined) continue
    if (isOurs(p.comm, p.cmdline)) add('process-left', host, `${p.pid} ${p.cmdline.slice(0, 160)}`)
    else if (p.state === 'T' || p.state === 't') add('daemon-stopped', host, `${p.comm} (${p.pid}) is stopped (state ${p.state})`)
  }

  // ssh ControlMasters run on this machine, outside every lab namespace: those of a hachaos process that is gone.
  for (const m of await leftoverSshMasters()) if (m.pid !== null) add('ssh-master', null, `ControlMaster ${m.pid} of gone hachaos process ${m.ownerPid} (${m.socket})`)

  const j = openEntries(o.journalDir)
  for (const e of j.entries) add('journal-open', e.plan.target, `${e.id} (${e.state}): ${e.plan.summary}`)
  for (const u of j.unreadable) add('journal-open', null, `${u.file}: ${u.reason}`)

  const keyPrefix = `lab-${o.topology}-${o.prefix}-`
  let locks: string[] = []
  try {
    locks = readdirSync(lockDir()).filter((n) => n.startsWith(keyPrefix) && n.endsWith('.lock'))
  } catch {
    // no lock directory: no lock
  }
  for (const l of locks) {
    try {
      const h = JSON.parse(readFileSync(`${lockDir()}/${l}`, 'utf8')) as LockHolder
      if (!holderAlive(h) && o.ignoreStaleLock?.(h) !== true) add('stale-lock', null, `${l}: drill run ${h.runId}, PID ${h.pid} gone`)
    } catch {
      // being written or removed
    }
  }

  if (status.vip !== null) {
    if (status.vipOwners.length !== 1 && !f.some((x) => x.kind === 'vip')) add('vip', null, `the VIP ${status.vip} is on ${status.vipOwners.length} nodes: ${status.vipOwners.join(', ') || 'none'}`)
    const client = hostsWithRole(inv, 'client')[0]
    if (client !== undefined) {
      const url = `http://${status.vip.includes(':') ? `[${status.vip}]` : status.vip}/`
      try {
        const r = await executorFor(client).run(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-m', '2', url], {timeoutMs: 5000})
        if (r.stdout.trim() !== '200') add('vip-unanswered', client.name, `${url} answered ${r.stdout.trim() || `nothing (curl exit ${r.code ?? r.signal})`} from ${client.name}`)
      } catch (e) {
        add('vip-unanswered', client.name, errorMessage(e))
      }
    }
  }
  return f
}

/** Audit a lab; waits up to settleMs (default 30 s) for it to come back clean, and returns what is still wrong. */
export async function auditLab(o: AuditOptions): Promise<AuditResult> {
  const t0 = Date.now()
  const settle = o.settleMs ?? 30_000
  for (;;) {
    const findings = await auditOnce(o)
    if (findings.length === 0 || Date.now() - t0 >= settle) {
      return {topology: o.topology, prefix: o.prefix, clean: findings.length === 0, findings, waitedMs: Date.now() - t0}
    }
    await sleep(500)
  }
}

/** Findings counted by kind: `{"process-left": 1, …}`. */
export function findingsByKind(findings: AuditFinding[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const x of findings) out[x.kind] = (out[x.kind] ?? 0) + 1
  return out
}

/** For messages: the netns link target of a process (debugging a leftover). */
export function netnsOf(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`)
  } catch {
    return null
  }
}
