/**
 * Lab nodes that are small machines of their own: a network namespace (made by the lab, joined to its switch)
 * plus fresh mount, UTS and PID namespaces (and IPC, as a parameter: Heartbeat and GlusterFS nodes want it),
 * with a PID 1 of their own that boots the node and then reaps orphans. One module for every such lab (the
 * Pacemaker lab now; Heartbeat and GlusterFS next, recipes in ../shared/labs/): how the init is started
 * (`unshareArgv`), what it does at boot (`nodeInitScript`: hostname, network, private directories bound over
 * the system's, overlays, a private /dev/shm, a private /run with the directories the daemons expect — by
 * hand and, as a parameter, every /run directory the packages' tmpfiles.d declare — then the reaper), the
 * node's private directories on the host (`mkdirOwned`, `writeOwned`), and how to reach it afterwards: the
 * init's PID file, nsenter (`nodeExecutor`), its processes as this machine numbers them (by comparing
 * /proc/PID/ns/pid with the init's), so they can be signalled and counted from here.
 * The network-namespace helpers of the labs (switch, veths, addresses, detached daemons) are ./netns-ops.ts.
 */
import {spawn} from 'node:child_process'
import {chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync} from 'node:fs'

import {HachaosError} from '../errors.js'

import {NsenterExecutor, type NsKind} from '../exec/nsenter.js'

/** Which namespaces a node has besides its network namespace (mount, UTS and PID always). */
export interface NodeNamespaces {
  /** Its own System V IPC / POSIX message queues (Heartbeat, GlusterFS). */
  ipc?: boolean
}

/** argv prefix that starts a node's init in fresh namespaces (run it inside the node's network namespace). */
export function unshareArgv(o: NodeNamespaces = {}): string[] {
  return ['unshare', '--pid', '--fork', '--mount-proc', '--mount', '--uts', ...(o.ipc === true ? ['--ipc'] : []), '--propagation', 'private']
}

/** The namespaces nsenter joins to run a command inside the node. */
export function nodeNamespaces(o: NodeNamespaces = {}): NsKind[] {
  return ['pid', 'mount', 'uts', ...(o.ipc === true ? (['ipc'] as const) : []), 'net']
}

/** The init's PID (as this machine numbers it) from its PID file, or null when absent or not running. */
export function readInitPid(file: string): number | null {
  let pid: number
  try {
    pid = Number(readFileSync(file, 'utf8').trim())
  } catch {
    return null
  }
  if (!Number.isInteger(pid) || pid <= 1) return null
  try {
    readlinkSync(`/proc/${pid}/ns/pid`)
    return pid
  } catch {
    return null
  }
}

/** Executor running argv inside the node (`nsenter -t INIT -p -m -u [-i] -n`), following the PID file across reboots. */
export function nodeExecutor(host: string, initPidFile: string, o: NodeNamespaces = {}): NsenterExecutor {
  return o.ipc === true ? new NsenterExecutor(host, () => readInitPid(initPidFile) ?? 0, nodeNamespaces(o)) : new NsenterExecutor(host, () => readInitPid(initPidFile) ?? 0)
}

export interface NodeProcess {
  pid: number
  comm: string
}

/** Every process in the PID namespace of `initPid` (init included), with its comm. */
export function processesInNode(initPid: number): NodeProcess[] {
  let ns: string
  try {
    ns = readlinkSync(`/proc/${initPid}/ns/pid`)
  } catch {
    return []
  }
  const out: NodeProcess[] = []
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      if (readlinkSync(`/proc/${e}/ns/pid`) !== ns) continue
      out.push({pid: Number(e), comm: readFileSync(`/proc/${e}/comm`, 'utf8').trim()})
    } catch {
      // exited meanwhile
    }
  }
  return out
}

/** PIDs (this machine's numbering) of the node's processes whose comm is `comm` (truncated to 15 like the kernel). */
export function nodePidsOf(initPid: number | null, comm: string): number[] {
  if (initPid === null) return []
  const want = comm.slice(0, 15)
  return processesInNode(initPid)
    .filter((p) => p.comm === want)
    .map((p) => p.pid)
}

/** A directory of the node's on the host, with its mode and owner (mode set again: the umask does not apply). */
export function mkdirOwned(path: string, mode: number, uid = 0, gid = 0): void {
  mkdirSync(path, {recursive: true, mode})
  chmodSync(path, mode)
  chownSync(path, uid, gid)
}

export function writeOwned(path: string, content: string | Buffer, mode: number, uid = 0, gid = 0): void {
  writeFileSync(path, content, {mode})
  chmodSync(path, mode)
  chownSync(path, uid, gid)
}

/** One directory of the private /run: path relative to /run, with mode/owner when not 0755 root. */
export interface RunDir {
  path: string
  /** chmod argument, e.g. '1777'. */
  mode?: string
  owner?: string
  group?: string
}

/**
 * What a node's PID 1 does at boot, before it becomes the reaper. Values are shell words, so they may use
 * the script's own variables (the positional `args`), e.g. '"$R/etc-corosync"'.
 */
export interface NodeInitSpec {
  /** First comment line: which lab and what this is. */
  title: string
  /** Further comment lines (what the node gets). */
  about: string[]
  /** Positional arguments, in order: shell variable name and its usage word. */
  args: Array<{name: string; usage: string}>
  hostname: string
  /** Bring up lo and the node's interface with its address (a power cycle lost them). */
  network?: {addr: string; dev: string}
  /** Private directories bound over the system's (`ifDir`: only when that directory exists on this machine). */
  binds: Array<{from: string; to: string; ifDir?: boolean; why?: string}>
  /** Overlays (e.g. extra agents over /usr/sbin, only in this node's mount namespace). */
  overlays: Array<{name: string; lowerdir: string; target: string; why?: string}>
  /** A private /dev/shm (libqb IPC ring buffers …). */
  privateShm?: string
  /** The private /run: staged on a fresh tmpfs at `stage` (a directory on the host), then moved over /run. */
  run: {
    stage: string
    why: string
    dirs: RunDir[]
    links: Array<{path: string; target: string}>
    /** The lab's shared directory, bound at /run/<at>. */
    shared?: {from: string; at: string}
    /** Also create every /run directory the installed packages declare in tmpfiles.d (type d/D). */
    tmpfilesD?: boolean
  }
  /** Shell lines after the mounts (start services, say that the node booted). */
  boot: string[]
  /** Why this node's PID 1 must reap (one comment line or more). */
  reaperWhy: string[]
}

/**
 * The PID-1 script of a node (bash: it runs inside the node, where there is no Node.js). Started as
 * `ip netns exec NS <unshareArgv()> node-init.sh ARGS…`: it is already in the node's network namespace and in
 * fresh PID, mount and UTS (and IPC) namespaces. Mounts use -n (no userspace mount table: /run moves under it).
 */
export function nodeInitScript(s: NodeInitSpec): string {
  const q = (x: string): string => x
  const lines: string[] = ['#!/bin/bash', `# ${s.title}`, `# usage: node-init.sh ${s.args.map((a) => a.usage).join(' ')}`, ...s.about.map((l) => `# ${l}`), 'set -eu']
  lines.push(s.args.map((a, i) => `${a.name}=$${i + 1}`).join('; '), '', `hostname ${q(s.hostname)}`, '')
  if (s.network !== undefined) {
    lines.push('# the network, as a boot brings it up', 'ip link set lo up', `ip addr replace ${s.network.addr} dev ${s.network.dev}`, `ip link set ${s.network.dev} up`, '')
  }
  lines.push('# (mount -n: no userspace mount table, /run moves under it)', '# private config, state and logs (bind mounts of this node\'s directories on the host)')
  const width = Math.max(0, ...s.binds.filter((b) => b.ifDir !== true).map((b) => b.from.length))
  for (const b of s.binds) {
    if (b.ifDir === true) lines.push(`if [ -d ${b.to} ]; then mount -n --bind ${b.from} ${b.to}; fi`)
    else lines.push(`mount -n --bind ${b.from.padEnd(width)} ${b.to}`)
  }
  lines.push('')
  for (const o of s.overlays) {
    if (o.why !== undefined) lines.push(`# ${o.why}`)
    lines.push(`mount -n -t overlay -o "lowerdir=${o.lowerdir}" ${o.name} ${o.target}`, '')
  }
  if (s.privateShm !== undefined) lines.push(`# private /dev/shm: ${s.privateShm}`, 'mount -n -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm', '')
  const st = s.run.stage
  const at = (p: string): string => `"${st.replace(/^"|"$/g, '')}/${p}"`
  lines.push(...s.run.why.split('\n').map((l) => `# ${l}`))
  lines.push('umount -R -l /run/netns 2>/dev/null || true', `mount -n -t tmpfs -o mode=0755,nosuid,nodev tmpfs ${st}`)
  const dirs = [...(s.run.shared === undefined ? [] : [{path: s.run.shared.at}]), ...s.run.dirs]
  if (dirs.length > 0) lines.push(`mkdir -p ${dirs.map((d) => at(d.path)).join(' ')}`)
  for (const d of s.run.dirs) {
    if (d.mode !== undefined) lines.push(`chmod ${d.mode} ${at(d.path)}`)
    if (d.owner !== undefined || d.group !== undefined) lines.push(`chown ${d.owner ?? 'root'}:${d.group ?? 'root'} ${at(d.path)}`)
  }
  for (const l of s.run.links) lines.push(`ln -s ${l.target} ${at(l.path)}`)
  if (s.run.tmpfilesD === true) lines.push(...tmpfilesLines(at('$sub')))
  if (s.run.shared !== undefined) lines.push(`mount -n --bind ${s.run.shared.from} ${at(s.run.shared.at)}`)
  lines.push(`mount -n --move ${st} /run`, '')
  lines.push(...s.boot, '')
  lines.push(...s.reaperWhy.map((l) => `# ${l}`), `exec perl -e '$0 = "hachaos-init"; while (1) { sleep 1 if waitpid(-1, 0) < 0 }'`, '')
  return lines.join('\n')
}

/**
 * Shell lines that create, under the staged /run, every directory the packages declare for /run in
 * tmpfiles.d (lines of type d or D; systemd-tmpfiles never runs inside a node). Lines with specifiers (%)
 * are skipped; "-" means the default (0755, root).
 */
function tmpfilesLines(stagedSub: string): string[] {
  return [
    '# the /run directories the installed packages declare in tmpfiles.d (systemd-tmpfiles does not run here)',
    'for f in /usr/lib/tmpfiles.d/*.conf /etc/tmpfiles.d/*.conf; do',
    '  [ -r "$f" ] || continue',
    '  while read -r type path mode user group _; do',
    '    case "$type" in d|D) ;; *) continue ;; esac',
    '    case "$path" in /run/*) ;; *) continue ;; esac',
    '    case "$path$mode$user$group" in *%*) continue ;; esac',
    '    [ -n "$mode" ] && [ "$mode" != - ] || mode=0755',
    '    [ -n "$user" ] && [ "$user" != - ] || user=root',
    '    [ -n "$group" ] && [ "$group" != - ] || group=root',
    '    sub=$(echo "$path" | cut -c6-)',
    `    install -d -m "$mode" -o "$user" -g "$group" ${stagedSub} 2>/dev/null || true`,
    '  done <"$f"',
    'done',
  ]
}

/** How to boot a node whose init is started directly (no chassis): see `bootNode`. */
export interface BootNodeSpec {
  /** The node's network namespace (made by the lab). */
  ns: string
  /** The init's argv (e.g. ['bash', '/…/node-init.sh', …]); it runs behind `unshareArgv(namespaces)`. */
  argv: string[]
  log: string
  /** A file the init creates when it has booted (its last boot line). */
  bootedFile: string
  /** Where the init's PID (this machine's numbering) is written, for `readInitPid` / `nodeExecutor`. */
  initPidFile: string
  namespaces?: NodeNamespaces
  timeoutMs?: number
}

/**
 * Start a node's init in fresh namespaces inside its network namespace, detached from us, and wait until it
 * has booted: `ip netns exec NS unshare … ARGV`. The init is the only child of `unshare --fork`; its PID is
 * written to `initPidFile`. Returns both PIDs (SIGKILL to the init ends the node's PID namespace).
 */
export async function bootNode(s: BootNodeSpec): Promise<{unsharePid: number; initPid: number}> {
  rmSync(s.bootedFile, {force: true})
  const fd = openSync(s.log, 'a')
  let unsharePid: number | undefined
  try {
    const child = spawn('ip', ['netns', 'exec', s.ns, ...unshareArgv(s.namespaces), ...s.argv], {detached: true, stdio: ['ignore', fd, fd]})
    child.on('error', () => undefined)
    child.unref()
    unsharePid = child.pid
  } finally {
    closeSync(fd)
  }
  if (unsharePid === undefined) throw new HachaosError(`could not start the init of ${s.ns}`, {code: 'E_SPAWN', exit: 'HOST', suggestions: [`see ${s.log}`]})
  const deadline = Date.now() + (s.timeoutMs ?? 10_000)
  for (;;) {
    let init = 0
    try {
      init = Number(readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim().split(/\s+/)[0])
    } catch {
      // unshare is gone: the boot failed
    }
    if (Number.isInteger(init) && init > 1 && existsSync(s.bootedFile)) {
      writeFileSync(`${s.initPidFile}.tmp`, `${init}\n`)
      renameSync(`${s.initPidFile}.tmp`, s.initPidFile)
      return {unsharePid, initPid: init}
    }
    if (Date.now() > deadline || !existsSync(`/proc/${unsharePid}`)) {
      try {
        process.kill(unsharePid, 'SIGKILL')
      } catch {
        // gone
      }
      throw new HachaosError(`the node in ${s.ns} did not boot`, {code: 'E_LAB_NOT_READY', exit: 'TIMEOUT', where: s.ns, suggestions: [`see ${s.log}`]})
    }
    await new Promise((r) => setTimeout(r, 25))
  }
}
