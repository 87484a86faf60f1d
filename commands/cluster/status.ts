import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'

import {Flags} from '@oclif/core'

import {clusterHealth, collectionSummary, failedActionText, isBundleNode, nodeCondition, placementOf, type ClusterHealth} from '../../src/stacks/pacemaker/crm-mon.js'
import {maintenanceReasons, parseCrmMonXml, type ClusterState} from '../../src/config/crm-mon.js'
import {readClusterSnapshot, type ClusterSnapshot} from '../../src/stacks/pacemaker/snapshot.js'
import {HachaosError, errorMessage} from '../../src/errors.js'
import {executorFor, findHost, hostsWithRole, loadInventory} from '../../src/inventory/inventory.js'
import {inventoryFile, labPrefix} from '../../src/lab/paths.js'
import {HachaosCommand} from '../_base.js'

export interface ClusterStatusResult {
  /** Where the state came from: a crm_mon XML file, or a node of an inventory. */
  source: {kind: 'file'; file: string} | {kind: 'host'; host: string; inventory: string}
  crmMon: ClusterState
  quorum: ClusterSnapshot['quorum']
  links: ClusterSnapshot['links']
  runtime: ClusterSnapshot['runtime']
  corosync: ClusterSnapshot['corosync']
  health: ClusterHealth
  notes: string[]
}

export default class ClusterStatus extends HachaosCommand {
  static override summary = 'Show a Pacemaker/Corosync cluster: nodes, DC, quorum, resources, failures, corosync links and timers.'
  static override description = `Reads crm_mon --output-as=xml, corosync-quorumtool -s, corosync-cfgtool -s, corosync-cmapctl and
corosync.conf on one cluster node (through the inventory: ssh, or nsenter in the lab), or only a saved
crm_mon XML file with --crm-mon-xml. Without --inventory it uses HACHAOS_INVENTORY, else the inventory of
the pacemaker lab when it is up. Reading a node needs what its executor needs (root for the lab).`

  static override examples = [
    '<%= config.bin %> cluster status',
    '<%= config.bin %> cluster status --inventory cluster.yaml --host node2',
    '<%= config.bin %> cluster status --crm-mon-xml crm_mon.xml --json',
  ]

  static override flags = {
    'crm-mon-xml': Flags.string({description: 'Read this saved `crm_mon -1 --output-as=xml` output instead of asking a node.'}),
    inventory: Flags.string({char: 'i', description: 'Inventory file (default: HACHAOS_INVENTORY, else the pacemaker lab inventory).'}),
    host: Flags.string({description: 'Which cluster node to ask (default: the first cluster-node that answers).'}),
    group: Flags.string({description: 'Also check that this group (or resource) is started exactly once (default: the inventory fact cluster_group).'}),
  }

  async run(): Promise<ClusterStatusResult> {
    const {flags} = await this.parse(ClusterStatus)
    let result: ClusterStatusResult
    if (flags['crm-mon-xml'] !== undefined) {
      const file = flags['crm-mon-xml']
      let text: string
      try {
        text = await readFile(file, 'utf8')
      } catch (e) {
        throw new HachaosError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`, {code: 'E_READ_FILE', exit: 'BAD_INPUT', where: file, suggestions: ['capture it on a node: crm_mon -1 --output-as=xml > crm_mon.xml']})
      }
      const state = parseCrmMonXml(text, file)
      result = {source: {kind: 'file', file}, crmMon: state, quorum: null, links: null, runtime: null, corosync: null, health: clusterHealth(state, flags.group === undefined ? {} : {group: flags.group}), notes: []}
    } else {
      const invPath = flags.inventory ?? process.env['HACHAOS_INVENTORY'] ?? inventoryFile(labPrefix(), 'pacemaker')
      if (flags.inventory === undefined && process.env['HACHAOS_INVENTORY'] === undefined && !existsSync(invPath)) {
        throw new HachaosError('no inventory: pass --inventory FILE, set HACHAOS_INVENTORY, or bring up the lab', {
          code: 'E_NO_INVENTORY',
          exit: 'USAGE',
          suggestions: ['hachaos lab up --topology pacemaker', 'hachaos cluster status --crm-mon-xml crm_mon.xml'],
        })
      }
      const inv = await loadInventory(invPath)
      const candidates = flags.host === undefined ? hostsWithRole(inv, 'cluster-node') : [findHost(inv, flags.host)]
      if (candidates.length === 0) {
        throw new HachaosError(`no host with role cluster-node in ${invPath}`, {code: 'E_USAGE', exit: 'USAGE', where: invPath, suggestions: ['add roles: [cluster-node] to the cluster nodes, or pass --host NAME']})
      }
      let snap: ClusterSnapshot | null = null
      const tried: string[] = []
      for (const h of candidates) {
        this.progress(`reading the cluster from ${h.name}`)
        try {
          const group = flags.group ?? (typeof h.facts['cluster_group'] === 'string' ? h.facts['cluster_group'] : undefined)
          const conf = typeof h.facts.corosync_conf === 'string' ? h.facts.corosync_conf : undefined
          snap = await readClusterSnapshot(executorFor(h), {...(group === undefined ? {} : {group}), ...(conf === undefined ? {} : {corosyncConf: conf})})
          break
        } catch (e) {
          tried.push(`${h.name}: ${errorMessage(e)}`)
        }
      }
      if (snap === null) {
        throw new HachaosError(`no cluster node answered crm_mon (${tried.join('; ')})`, {code: 'E_HOST', exit: 'HOST', where: invPath, suggestions: ['is the cluster stack running? try `crm_mon -1` on a node']})
      }
      result = {
        source: {kind: 'host', host: snap.host, inventory: invPath},
        crmMon: snap.crmMon,
        quorum: snap.quorum,
        links: snap.links,
        runtime: snap.runtime,
        corosync: snap.corosync,
        health: snap.health,
        notes: [...tried.map((t) => `not answering: ${t}`), ...snap.notes],
      }
    }
    this.print(result)
    return result
  }

  private print(r: ClusterStatusResult): void {
    const s = r.crmMon
    const from = r.source.kind === 'file' ? r.source.file : `${r.source.host} (${r.source.inventory})`
    this.log(`cluster: DC ${s.dc ?? 'none'}, ${s.quorum === null ? 'quorum unknown' : s.quorum ? 'quorate' : 'NO QUORUM'}, stonith ${s.stonithEnabled === true ? 'enabled' : 'disabled'}, no-quorum-policy ${s.noQuorumPolicy ?? '?'}   (from ${from})`)
    const frozen = maintenanceReasons(s)
    if (frozen.length > 0) this.log(`MAINTENANCE: ${frozen.join('; ')}`)
    this.log('')
    const members = s.nodes.filter((n) => !isBundleNode(s, n))
    const w = Math.max(4, ...members.map((n) => n.name.length))
    this.log(`  ${'node'.padEnd(w)}  ${'state'.padEnd(12)} DC  resources`)
    for (const n of members) this.log(`  ${n.name.padEnd(w)}  ${nodeCondition(n).padEnd(12)} ${n.isDc ? '*' : ' '}   ${n.resourcesRunning}`)
    this.log('')
    // plain groups one by one; groups inside clones are clone instances, shown with their clone
    const cloned = new Set(s.resources.filter((x) => x.clone !== null && x.group !== null).map((x) => x.group))
    const rw = Math.max(12, ...s.resources.filter((x) => x.clone === null).map((x) => x.id.length))
    for (const g of s.groups.filter((x) => !cloned.has(x.id))) {
      const p = placementOf(s, g.id)
      const state = g.disabled ? 'disabled (target-role Stopped)' : p?.startedOnce === true ? `started on ${p.nodes.join(', ')}` : 'NOT started exactly once'
      this.log(`  group ${g.id}: ${state}${g.managed ? '' : ' (unmanaged)'}`)
      for (const m of p?.members ?? []) this.log(`    ${m.id.padEnd(rw)} ${m.role.padEnd(10)} ${m.nodes.join(', ') || '-'}${m.failed ? '  FAILED' : ''}`)
    }
    for (const c of s.collections) this.log(`  ${collectionSummary(s, c).text}`)
    for (const res of s.resources.filter((x) => x.group === null && x.clone === null)) this.log(`  ${res.id} (${res.agent}): ${res.role} ${res.nodes.join(', ')}${res.failed ? '  FAILED' : ''}${res.managed ? '' : ' (unmanaged)'}`)
    const fc = s.history.filter((h) => h.failCount > 0)
    if (fc.length > 0) this.log(`  fail counts: ${fc.map((h) => `${h.resource} on ${h.node}: ${h.failCount}`).join(', ')}`)
    if (s.failures.length > 0) {
      this.log('  failed actions:')
      for (const f of s.failures) this.log(`    ${failedActionText(f)}`)
    }
    if (s.fencing.length > 0) this.log(`  fencing: ${s.fencing.map((e) => `${e.action} ${e.target} ${e.status}${e.completed ? ` at ${e.completed}` : ''}`).join('; ')}`)
    if (r.corosync !== null) {
      const c = r.corosync
      const rt = r.runtime === null ? '' : ` (running: token ${r.runtime.tokenMs} ms, consensus ${r.runtime.consensusMs} ms)`
      this.log(`  corosync: ${c.transport}, token ${c.effective.tokenFormula}, consensus ${c.effective.consensusFormula}${c.quorum.twoNode ? ', two_node' : ''}${rt}`)
    }
    if (r.quorum !== null) this.log(`  quorum: ${r.quorum.quorate ? 'quorate' : 'NOT quorate'}, ${r.quorum.totalVotes ?? '?'} of ${r.quorum.expectedVotes ?? '?'} votes (needs ${r.quorum.quorum ?? '?'}), members ${r.quorum.members.map((m) => m.name).join(', ')}`)
    if (r.links !== null) {
      for (const l of r.links.links) this.log(`  link ${l.id} ${l.addr ?? ''}: ${l.peers.map((p) => `node ${p.nodeid} ${p.state}`).join(', ') || l.status || ''}`)
    }
    this.log('')
    const failed = s.failures.length
    if (r.health.healthy) this.log(failed === 0 ? '  healthy' : `  healthy now, with ${failed} failed action${failed === 1 ? '' : 's'} on record (above; clear with crm_resource --cleanup once understood)`)
    else this.log(`  problems:\n${r.health.problems.map((p) => `    ! ${p}`).join('\n')}`)
    // failed actions and maintenance are printed above (list, header line); the JSON keeps them all
    for (const w of r.health.warnings.filter((x) => !x.startsWith('failed action: ') && !x.startsWith('maintenance: '))) this.log(`  warning: ${w}`)
    for (const n of r.notes) this.log(`  note: ${n}`)
  }
}
