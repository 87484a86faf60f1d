/**
 * Lab nodes with their own init (PID + mount + UTS namespaces, as in the Pacemaker lab): find the init,
 * reach it with nsenter, and list the node's processes as this machine numbers them (by comparing
 * /proc/PID/ns/pid with the init's), so they can be signalled and counted from here.
 */
import {readdirSync, readFileSync, readlinkSync} from 'node:fs'

import {NsenterExecutor} from '../exec/nsenter.js'

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

/** Executor running argv inside the node (`nsenter -t INIT -p -m -u -n`), following the PID file across reboots. */
export function nodeExecutor(host: string, initPidFile: string): NsenterExecutor {
  return new NsenterExecutor(host, () => readInitPid(initPidFile) ?? 0)
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
