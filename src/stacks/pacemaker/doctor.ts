/** Corosync and Pacemaker rules (configuration from corosync.conf / the CIB, state from crm_mon). */
import {COROSYNC_DEFAULT_TOKEN_MS, type CorosyncConfig, effectiveTokenMs, linkCount} from '../../config/corosync.js'
import {crmMonLoc} from '../../config/crm-mon.js'
import {type CibConfig, type PcmkPrimitive, aliasesOf, cibMaintenance, clusterProperty, stonithDevices} from '../../config/pacemaker.js'
import {failedActionText, maintenanceReasons} from '../../config/crm-mon.js'
import {type DoctorInput, type FindingDraft, type HostConfigs, type Rule, ev} from '../../doctor/types.js'

interface CsRef {
  host: HostConfigs
  c: CorosyncConfig
}
interface CibRef {
  host: HostConfigs
  cib: CibConfig
}

/** One finding per distinct cluster: the same corosync.conf on every node is reported once. */
function corosyncs(input: DoctorInput): CsRef[] {
  const seen = new Set<string>()
  const out: CsRef[] = []
  for (const host of input.hosts) {
    for (const c of host.corosync) {
      const key = `${c.totem.clusterName?.value ?? ''}|${c.nodes.map((n) => `${n.name ?? ''}/${n.nodeid ?? ''}/${Object.values(n.addrs).join('+')}`).join(',')}`
      if (seen.has(key)) continue
      seen.add(key)
      out.push({host, c})
    }
  }
  return out
}

function cibs(input: DoctorInput): CibRef[] {
  const seen = new Set<string>()
  const out: CibRef[] = []
  for (const host of input.hosts) {
    for (const cib of host.cib) {
      const key = `${cib.nodes.map((n) => n.uname).join(',')}|${cib.primitives.map((p) => p.id).join(',')}`
      if (seen.has(key)) continue
      seen.add(key)
      out.push({host, cib})
    }
  }
  return out
}

const clusterName = (c: CorosyncConfig): string => c.totem.clusterName?.value ?? '(unnamed)'
const IP_AGENTS = /^ocf:heartbeat:(IPaddr2?|IPsrcaddr|IPv6addr)$/
const FALSE = /^(false|0|no|off|n)$/i

/**
 * True when the VIP is kept on one node with a service: a group shared with a service primitive, or a
 * positive colocation with a service — a primitive, its group, its clone, its template, or a bundle (a
 * container bundle may hold no primitive at all: OpenStack's haproxy-bundle is colocated as a whole).
 */
function keptWithService(cib: CibConfig, vip: PcmkPrimitive): boolean {
  const services = cib.primitives.filter((p) => !IP_AGENTS.test(p.agent) && p.class !== 'stonith')
  if (vip.group !== undefined && services.some((s) => s.group === vip.group)) return true
  const own = new Set(aliasesOf(vip))
  const serviceIds = new Set([...services.flatMap(aliasesOf), ...cib.clones.filter((c) => c.kind === 'bundle').map((c) => c.id)])
  for (const id of own) serviceIds.delete(id)
  return cib.constraints.some((c) => c.kind === 'colocation' && !/^-/.test(c.score ?? '') && c.resources.some((r) => own.has(r)) && c.resources.some((r) => serviceIds.has(r)))
}

export const clusterRules: Rule[] = [
  {
    id: 'corosync-two-node-missing',
    area: 'corosync',
    severity: 'error',
    title: 'Two nodes without `two_node: 1`',
    why: 'With two votes, quorum needs both: when either node fails the survivor loses quorum and stops every resource (no-quorum-policy=stop): the cluster turns one failure into a total outage.',
    fix: 'Add `two_node: 1` to the quorum section (it also turns on wait_for_all), or add a quorum device (qdevice) as a third vote.',
    explain:
      'votequorum needs more than half of the expected votes: 2 of 2. `two_node: 1` lets one node keep quorum when the other leaves (and requires both at first start, wait_for_all, so a lone node cannot start everything after a split). A qdevice (corosync-qnetd on a third machine) is the better tie-breaker. Fencing is what makes either of these safe.',
    check: (input) =>
      corosyncs(input).flatMap(({host, c}): FindingDraft[] => {
        if (c.nodes.length !== 2 || c.quorum.twoNode?.on === true || c.quorum.device !== undefined) return []
        const at = c.quorum.twoNode ?? (c.quorum.line !== undefined ? {file: c.file, line: c.quorum.line} : {file: c.file, line: c.nodelistLine ?? 1})
        return [{message: `cluster ${clusterName(c)}: 2 nodes and ${c.quorum.twoNode === undefined ? 'no two_node' : `two_node: ${c.quorum.twoNode.value}`}`, host: host.host, evidence: [ev(at, host.host)]}]
      }),
  },
  {
    id: 'corosync-even-nodes-no-qdevice',
    area: 'corosync',
    severity: 'warning',
    title: 'Even number of nodes without a quorum device',
    why: 'A network split into two equal halves leaves neither half with quorum: everything stops on both sides.',
    fix: 'Add a quorum device (corosync-qnetd on a machine outside the cluster, `quorum { device { model: net … } }`), or run an odd number of nodes.',
    explain: 'With 4 nodes, quorum is 3: a 2/2 split (two racks, two switches) stops the whole cluster. A qdevice adds the deciding vote to one side (algorithm ffsplit). Two-node clusters are covered by the two_node rule.',
    check: (input) =>
      corosyncs(input).flatMap(({host, c}): FindingDraft[] => {
        const n = c.nodes.length
        if (n < 4 || n % 2 !== 0 || c.quorum.device !== undefined) return []
        return [{message: `cluster ${clusterName(c)}: ${n} nodes, no qdevice`, host: host.host, evidence: [ev({file: c.file, line: c.quorum.line ?? c.nodelistLine ?? 1}, host.host)]}]
      }),
  },
  {
    id: 'corosync-single-link',
    area: 'corosync',
    severity: 'warning',
    title: 'A single ring / link',
    why: 'One switch, NIC or cable between the nodes is a single point of failure: lose it and every node thinks the others died (membership split, and without fencing, split brain).',
    fix: 'Give every node a second address on an independent network (`ring1_addr`, knet link 1).',
    explain: 'corosync 3 (knet) carries up to 8 links and fails over between them in milliseconds; corosync 2 used redundant rings (rrp_mode passive). With one link, a flapping switch port becomes a cluster-wide event.',
    check: (input) =>
      corosyncs(input).flatMap(({host, c}): FindingDraft[] =>
        c.nodes.length >= 2 && linkCount(c) === 1 ? [{message: `cluster ${clusterName(c)}: one link (ring0 only) for ${c.nodes.length} nodes`, host: host.host, evidence: [ev(c.nodes[0] ?? {file: c.file, line: 1}, host.host, 'ring0_addr only')]}] : [],
      ),
  },
  {
    id: 'corosync-crypto-off',
    area: 'corosync',
    severity: 'warning',
    title: 'Cluster traffic without crypto',
    why: 'Anyone on the cluster network can read membership traffic and inject messages, including ones that make nodes leave or fence each other.',
    fix: 'Set `crypto_cipher: aes256` and `crypto_hash: sha256` in totem (knet), create a key with corosync-keygen and copy it to every node.',
    explain: 'corosync 3 defaults to crypto_cipher none / crypto_hash none (Debian\'s shipped corosync.conf says so explicitly); corosync 2 used `secauth: on`.',
    check: (input) =>
      corosyncs(input).flatMap(({host, c}): FindingDraft[] => {
        const cipher = c.totem.cryptoCipher?.value ?? 'none'
        const hash = c.totem.cryptoHash?.value ?? 'none'
        const secauth = c.totem.secauth?.value === 'on'
        if ((cipher !== 'none' && hash !== 'none') || secauth) return []
        const at = c.totem.cryptoCipher ?? c.totem.secauth ?? {file: c.file, line: c.totem.line ?? 1}
        return [{message: `cluster ${clusterName(c)}: crypto_cipher ${cipher}, crypto_hash ${hash}${c.totem.secauth !== undefined ? `, secauth ${c.totem.secauth.value}` : ''}`, host: host.host, evidence: [ev(at, host.host)]}]
      }),
  },
  {
    id: 'corosync-token-below-default',
    area: 'corosync',
    severity: 'warning',
    title: 'Token timeout below the default',
    why: 'A short token declares nodes dead on a brief network hiccup or a CPU stall (VM migration, backup I/O): spurious failovers and, without fencing, split brain.',
    fix: `Use corosync's default (token: ${COROSYNC_DEFAULT_TOKEN_MS}) unless measured drills show your network and hosts stay well inside a shorter one.`,
    explain: `corosync 3.1 defaults to token ${COROSYNC_DEFAULT_TOKEN_MS} ms (+ 650 ms per node above 2, token_coefficient). Failure detection takes about the token time, plus consensus (1.2 × token). A lower token buys faster failover at the price of false positives; hachaos drills measure what you really get.`,
    check: (input) =>
      corosyncs(input).flatMap(({host, c}): FindingDraft[] => {
        const t = c.totem.token
        if (t === undefined || t.ms >= COROSYNC_DEFAULT_TOKEN_MS) return []
        return [{message: `cluster ${clusterName(c)}: token ${t.ms} ms (effective ${effectiveTokenMs(c)} ms) is below corosync's default ${COROSYNC_DEFAULT_TOKEN_MS} ms`, host: host.host, evidence: [ev(t, host.host, `token: ${t.value}`)]}]
      }),
  },
  {
    id: 'pacemaker-stonith-disabled',
    area: 'pacemaker',
    severity: 'error',
    title: 'Fencing disabled (`stonith-enabled=false` / `fencing-enabled=false`)',
    why: 'Without fencing, a node that stops answering may still run its resources: the survivor starts them too, and the VIP (or the database) runs twice.',
    fix: 'Configure a fence device (fence_ipmilan, fence_vmware_rest, sbd with a watchdog, …) for every node, test it, then set stonith-enabled=true (fencing-enabled=true in Pacemaker 3).',
    explain:
      'Measured in the hachaos Pacemaker lab without fencing: after `kill -9 corosync` on the VIP node, the VIP moved in 4.5 s but also stayed on the old node (two MACs answering); killing pacemaker-controld gave a duplicate VIP for seconds in 6 of 8 runs. Fencing is the only thing that makes "the other node is dead" true.',
    check: (input) => {
      const out: FindingDraft[] = []
      for (const {host, cib} of cibs(input)) {
        const p = clusterProperty(cib, 'fencing-enabled', 'true')
        if (FALSE.test(p.value) && p.set !== undefined) out.push({message: `${host.host}: ${p.set.name}=${p.value} in the CIB`, host: host.host, evidence: [ev(p.set, host.host, `${p.set.name}=${p.value}`)]})
      }
      if (out.length === 0) {
        for (const host of input.hosts) {
          for (const m of host.crmMon) {
            if (m.state.stonithEnabled === false) out.push({message: `${host.host}: crm_mon reports fencing (stonith-enabled) off`, host: host.host, evidence: [ev(crmMonLoc(m, m.lines.summary), host.host, 'cluster_options stonith-enabled="false"')]})
          }
        }
      }
      return out.slice(0, 1)
    },
  },
  {
    id: 'pacemaker-no-stonith-device',
    area: 'pacemaker',
    severity: 'error',
    title: 'Fencing enabled but no fence device',
    why: 'Pacemaker will not start resources it cannot fence for, or waits for fencing that can never succeed: failover stalls.',
    fix: 'Add a stonith resource per node (e.g. `pcs stonith create fence-n1 fence_ipmilan ip=… pcmk_host_list=n1`).',
    explain: 'stonith-enabled defaults to true; with no stonith primitive, a node failure leaves the cluster "UNCLEAN" and resources of the lost node are not recovered until an operator confirms the node is down.',
    check: (input) =>
      cibs(input).flatMap(({host, cib}): FindingDraft[] => {
        const p = clusterProperty(cib, 'fencing-enabled', 'true')
        if (FALSE.test(p.value) || stonithDevices(cib).length > 0 || cib.primitives.length === 0) return []
        return [{message: `${host.host}: fencing is enabled but the CIB has no stonith resource`, host: host.host, evidence: [ev({file: cib.file, line: cib.resourcesLine}, host.host)]}]
      }),
  },
  {
    id: 'pacemaker-no-monitor-op',
    area: 'pacemaker',
    severity: 'warning',
    title: 'Resource without a monitor operation',
    why: 'Pacemaker only notices a failed resource through its monitor: without one a crashed service stays "Started" and is never recovered or moved.',
    fix: 'Add `op monitor interval=10s timeout=20s` (pcs resource op add RES monitor interval=10s).',
    explain: 'Pacemaker starts and stops resources, but only the recurring monitor detects failures in between. The hachaos lab\'s IPaddr2 and apache resources use 5 s and 10 s monitors.',
    check: (input) =>
      cibs(input).flatMap(({host, cib}) =>
        cib.primitives
          .filter((p) => !p.ops.some((o) => o.name === 'monitor' && o.interval !== '0' && o.interval !== '0s'))
          .map((p) => ({message: `${host.host}: resource ${p.id} (${p.agent}) has no monitor operation`, host: host.host, evidence: [ev(p, host.host)]})),
      ),
  },
  {
    id: 'pacemaker-vip-not-colocated',
    area: 'pacemaker',
    severity: 'warning',
    title: 'VIP not grouped or colocated with its service',
    why: 'The VIP can move to a node where the service is not running (or stay while the service moves): clients reach an address with nothing behind it.',
    fix: 'Put the VIP and the service in one group (`pcs resource group add g_web vip web`), or add a colocation and an order constraint.',
    explain: 'A group is ordered and colocated: IP first, then the service, all on one node. Independent primitives are placed independently; the field manual\'s pcs example groups IPaddr2 with apache for this reason. A colocation with a clone, a resource template or a container bundle (which may hold no primitive at all) counts.',
    check: (input) =>
      cibs(input).flatMap(({host, cib}) => {
        const services = cib.primitives.filter((p) => !IP_AGENTS.test(p.agent) && p.class !== 'stonith')
        if (services.length === 0) return []
        return cib.primitives
          .filter((p) => IP_AGENTS.test(p.agent) && !keptWithService(cib, p))
          .map((p) => ({message: `${host.host}: ${p.id} (${p.params['ip'] ?? p.agent}) is not grouped or colocated with any service`, host: host.host, evidence: [ev(p, host.host)]}))
      }),
  },
  {
    id: 'pacemaker-node-not-online',
    area: 'pacemaker',
    severity: 'warning',
    title: 'Cluster node offline, unclean or in standby',
    why: 'The cluster runs without its spare: one more failure and the resources have nowhere to go.',
    fix: 'Bring the node back (`pcs cluster start NODE`, `pcs node unstandby NODE`) or find out why it left.',
    explain: 'Live state from crm_mon: an offline or unclean node is missing redundancy; standby is deliberate but often forgotten after maintenance (reported as a note).',
    check: (input) =>
      input.hosts.flatMap((host) =>
        host.crmMon.flatMap((m) =>
          m.state.nodes
            .map((n, i) => ({n, loc: crmMonLoc(m, m.lines.nodes[i])}))
            .filter(({n}) => !n.online || n.unclean || n.standby)
            .map(({n, loc}) => ({
              message: `${host.host}: node ${n.name} is ${[!n.online ? 'offline' : '', n.unclean ? 'unclean' : '', n.standby ? 'in standby' : ''].filter((x) => x !== '').join(', ')}`,
              host: host.host,
              evidence: [ev(loc, host.host, `online=${n.online} standby=${n.standby} unclean=${n.unclean}`)],
              ...(n.online && !n.unclean ? {severity: 'note' as const} : {}),
            })),
        ),
      ).slice(0, 20),
  },
  {
    id: 'pacemaker-failed-actions',
    area: 'pacemaker',
    severity: 'warning',
    title: 'Failed resource actions',
    why: 'A failed start or monitor leaves a fail-count: after migration-threshold failures the resource is banned from that node, so the next failover may have fewer places to go than you think.',
    fix: 'Fix the cause (the exit reason says what), then `crm_resource --cleanup -r RES`.',
    explain: 'Live state from crm_mon `<failures>`.',
    check: (input) =>
      input.hosts.flatMap((host) =>
        host.crmMon.flatMap((m) =>
          m.state.failures.map((f, i) => ({
            message: `${host.host}: ${failedActionText(f)}`,
            host: host.host,
            evidence: [ev(crmMonLoc(m, m.lines.failures[i]), host.host, `${f.opKey}: ${f.exitStatus || `exit ${f.exitCode}`}`)],
          })),
        ),
      ),
  },
  {
    id: 'pacemaker-no-quorum',
    area: 'pacemaker',
    severity: 'error',
    title: 'Cluster unreachable, partition without quorum, or no DC',
    why: 'Without quorum Pacemaker stops resources (no-quorum-policy=stop): the service is down on this partition.',
    fix: 'Bring the missing nodes back, check the corosync links (`corosync-cfgtool -s`), then the quorum settings.',
    explain: 'Live state from crm_mon: "partition WITHOUT quorum", no designated controller, or crm_mon could not connect to the cluster at all (pacemaker or corosync down on the node it ran on: its XML carries the error instead of a summary).',
    check: (input) =>
      input.hosts.flatMap((host) =>
        host.crmMon.flatMap((m): FindingDraft[] => {
          // crm_mon could not reach the cluster at all (its XML says so: <status code="102" …> and <errors>)
          if (m.unreadable !== null) return [{message: `${host.host}: crm_mon could not reach the cluster: ${m.unreadable}`, host: host.host, evidence: [ev(crmMonLoc(m, m.lines.summary), host.host, m.unreadable)]}]
          // a <current_dc> that says present="false" (no element at all: crm_mon could not tell)
          if (m.state.dc === null && m.lines.dc !== null) return [{message: `${host.host}: no DC elected`, host: host.host, evidence: [ev(crmMonLoc(m, m.lines.summary), host.host, 'current_dc present="false"')]}]
          if (m.state.dc !== null && m.state.quorum === false) return [{message: `${host.host}: partition without quorum (DC ${m.state.dc})`, host: host.host, evidence: [ev(crmMonLoc(m, m.lines.dc), host.host, 'with_quorum="false"')]}]
          return []
        }),
      ),
  },
  {
    id: 'pacemaker-maintenance-mode',
    area: 'pacemaker',
    severity: 'warning',
    title: 'Maintenance mode: Pacemaker recovers nothing',
    why: 'In maintenance mode (cluster-wide, on a node, or on a resource) Pacemaker neither monitors nor starts, stops or moves what it covers: a failure there is not failed over, and a drill would measure nothing.',
    fix: 'When the maintenance is over: `pcs property set maintenance-mode=false` (or `crm_attribute -n maintenance-mode -v false`), `pcs node unmaintenance NODE`, `pcs resource meta RES maintenance=false` / `is-managed=true`.',
    explain: 'maintenance-mode=true freezes the whole cluster; the node attribute maintenance=true freezes that node; the resource meta-attribute maintenance=true (or is-managed=false) freezes one resource. All are meant for short operator work and are easily forgotten afterwards. Read from the CIB (crm_config, node attributes, meta attributes) and from crm_mon (cluster_options, node and resource flags). hachaos drills refuse to start in it.',
    check: (input) => {
      const out: FindingDraft[] = []
      for (const {host, cib} of cibs(input)) for (const m of cibMaintenance(cib)) out.push({message: `${host.host}: ${m.what}`, host: host.host, evidence: [ev(m.at, host.host, m.what)]})
      if (out.length > 0) return out
      for (const host of input.hosts) {
        for (const m of host.crmMon) {
          for (const why of maintenanceReasons(m.state)) {
            const node = /^node (\S+)/.exec(why)?.[1]
            const i = node === undefined ? -1 : m.state.nodes.findIndex((n) => n.name === node)
            const rid = /^resource (\S+)/.exec(why)?.[1]
            const j = rid === undefined ? -1 : m.state.resources.findIndex((r) => r.id === rid)
            const line = i >= 0 ? m.lines.nodes[i] : j >= 0 ? m.lines.resources[j] : m.lines.summary
            out.push({message: `${host.host}: ${why}`, host: host.host, evidence: [ev(crmMonLoc(m, line), host.host, why)]})
          }
        }
      }
      return out
    },
  },
]
