import type {LabStatus} from '../../src/lab/driver.js'
import {labDriver} from '../../src/lab/registry.js'
import {requireRootFor} from '../../src/util/root.js'
import {HachaosCommand} from '../_base.js'
import {checkPrefix, labFlags} from '../_lab.js'

export type LabStatusCommandResult = LabStatus

export default class LabStatusCmd extends HachaosCommand {
  static override summary = 'Show the lab: which node holds the VIP, which daemons run where.'
  static override examples = ['<%= config.bin %> lab status', '<%= config.bin %> lab status --json']
  static override flags = {...labFlags}

  async run(): Promise<LabStatusCommandResult> {
    const {flags} = await this.parse(LabStatusCmd)
    // The lab's namespaces and daemons can only be looked into as root: as anyone else it would look down.
    requireRootFor('hachaos lab status', 'it looks into the lab\'s network namespaces and daemons')
    const s = await labDriver(flags.topology).status(checkPrefix(flags.prefix))
    if (!s.up) {
      this.log(`no ${s.topology} lab with prefix ${s.prefix} is up (hachaos lab up --topology ${s.topology})`)
      return s
    }
    this.log(`lab ${s.topology} (prefix ${s.prefix}): ${s.healthy ? 'healthy' : 'UNHEALTHY'}`)
    if (s.vip !== null) this.log(`  VIP ${s.vip} on ${s.vipOwners.join(', ') || 'nobody'}`)
    for (const n of s.nodes) {
      const d = n.daemons.map((x) => `${x.service}${x.running ? `[${x.pids.join(',')}]` : ' DOWN'}`).join('  ')
      this.log(`  ${n.name.padEnd(8)} ${n.ip.padEnd(14)} ${n.nsExists ? '' : '(namespace missing) '}${d}`)
    }
    // Heartbeat: the group of haresources (which web server), then each node's own view (cl_status nodestatus / rscstatus)
    if (typeof s.details['haresources'] === 'string') this.log(`  resource ${String(s.details['resource'])} (haresources: ${s.details['haresources']})`)
    const cl = s.details['clStatus'] as Record<string, {running?: boolean; nodes?: Record<string, string>; resources?: string | null; error?: string}> | undefined
    for (const [n, v] of Object.entries(cl ?? {})) {
      const view = v.error !== undefined ? v.error : v.running === false ? 'heartbeat stopped' : `${Object.entries(v.nodes ?? {}).map(([k, x]) => `${k} ${x}`).join(', ')}; rscstatus ${v.resources ?? '?'}`
      this.log(`  cl_status on ${n}: ${view}`)
    }
    // Gluster: the pool, the volume and its bricks, the heal backlog (as the first server that answers sees it)
    const gl = s.details['gluster'] as {peers?: Array<{hostname: string; connected: boolean}>; info?: {name: string; type: string; status: string} | null; status?: {bricks: Array<{hostname: string; path: string; online: boolean}>} | null; healBacklog?: number | null; error?: string} | null | undefined
    if (gl !== undefined && gl !== null) {
      if (gl.error !== undefined) this.log(`  gluster: ${gl.error}`)
      else {
        this.log(`  peers: ${(gl.peers ?? []).map((p) => `${p.hostname} ${p.connected ? 'connected' : 'DISCONNECTED'}`).join(', ') || 'none'}`)
        if (gl.info) this.log(`  volume ${gl.info.name}: ${gl.info.type}, ${gl.info.status}; bricks ${(gl.status?.bricks ?? []).map((b) => `${b.hostname}:${b.path} ${b.online ? 'online' : 'OFFLINE'}`).join(', ')}`)
        this.log(`  heal backlog: ${gl.healBacklog ?? 'unknown'}`)
      }
    }
    // LVS: per director its VRRP state, sync daemons, connection table size and IPVS table with counters
    if (s.topology === 'lvs') this.log(`  forwarding LVS-${String(s.details['forwarding'] ?? 'DR')}, persistence ${Number(s.details['persistence'] ?? 0) > 0 ? `${String(s.details['persistence'])} s` : 'none'}`)
    const dirs = s.details['directors'] as Array<{name: string; vrrpState: string | null; holdsVip: boolean; connections: number; syncDaemons: Array<{role: string}>; statsText: string}> | undefined
    for (const d of dirs ?? []) {
      this.log(`  director ${d.name}: VRRP ${d.vrrpState ?? 'unknown'}${d.holdsVip ? ' (holds the VIP)' : ''}; sync daemon ${d.syncDaemons.map((x) => x.role).join('+') || 'none'}; ${d.connections} connection entries`)
      for (const l of d.statsText.split('\n').filter((x) => x.trim() !== '')) this.log(`    ${l}`)
    }
    for (const p of s.problems) this.log(`  ! ${p}`)
    return s
  }
}
