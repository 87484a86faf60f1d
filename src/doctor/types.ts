/**
 * `hachaos doctor`: the data the rules read (configs and state per host) and what they produce (findings).
 * Rules are data (id, severity, why, fix, explanation) plus one pure function over DoctorInput.
 */
import type {BondFile} from '../bond/proc.js'
import type {Loc} from '../config/common.js'
import type {CorosyncConfig} from '../config/corosync.js'
import type {CrmMon} from '../config/crm-mon.js'
import type {MountOf} from '../config/findmnt.js'
import type {GlusterInfo} from '../config/gluster.js'
import type {Authkeys, HaCf, Haresources} from '../config/heartbeat.js'
import type {HaproxyConfig} from '../config/haproxy.js'
import type {IpvsTable} from '../config/ipvs.js'
import type {KeepalivedConfig} from '../config/keepalived.js'
import type {LdirectordConfig} from '../config/ldirectord.js'
import type {CibConfig} from '../config/pacemaker.js'
import type {SysctlSet} from '../config/sysctl.js'

export type Severity = 'error' | 'warning' | 'note'
export const SEVERITY_ORDER: Record<Severity, number> = {error: 0, warning: 1, note: 2}

export type Area = 'keepalived' | 'haproxy' | 'corosync' | 'pacemaker' | 'bonding' | 'lvs' | 'gluster' | 'heartbeat' | 'cross-host' | 'doctor'

export type SourceKind = 'keepalived' | 'haproxy' | 'corosync' | 'cib' | 'crm_mon' | 'bonding' | 'bonding-sysfs' | 'ipvsadm' | 'gluster' | 'sysctl' | 'hacf' | 'haresources' | 'authkeys' | 'ldirectord'

/** Everything known about one host (or one set of collected files). */
export interface HostConfigs {
  host: string
  keepalived: KeepalivedConfig[]
  haproxy: HaproxyConfig[]
  corosync: CorosyncConfig[]
  cib: CibConfig[]
  crmMon: CrmMon[]
  bonds: BondFile[]
  ipvs: IpvsTable[]
  gluster: GlusterInfo[]
  /** Live: the mount each brick of this host is on (`findmnt -T BRICK`), for the brick-on-root rule. Absent: not read. */
  glusterBrickMounts?: Array<{brick: string; mount: MountOf}>
  /** Heartbeat: ha.cf, haresources, authkeys (secrets redacted at parse time). */
  haCf: HaCf[]
  haresources: Haresources[]
  authkeys: Authkeys[]
  /** ldirectord.cf (LVS real-server checks under Heartbeat/Pacemaker). */
  ldirectord: LdirectordConfig[]
  /** Kernel settings (from `sysctl` output, sysctl.conf or /proc/sys live). Empty: unknown. */
  sysctl: SysctlSet
  /** Live: distinct neighbour MACs seen on each bond (`ip neigh`), for the layer2-hash rule. */
  bondPeers: Record<string, number>
  /** Service addresses this host fronts, from the inventory (facts.vip, inventory vip). */
  vips: string[]
  /** The host's own address (inventory `address`), to find real servers / peers among the hosts. */
  address?: string
  roles: string[]
  /** What was read, for the report. */
  sources: Array<{kind: SourceKind; path: string}>
  /** Sources that could not be reached or parsed (live and --dir runs report them as findings). */
  problems: Array<{message: string; file?: string; line?: number; kind?: SourceKind}>
}

export interface DoctorInput {
  hosts: HostConfigs[]
}

export function emptyHost(host: string): HostConfigs {
  return {host, keepalived: [], haproxy: [], corosync: [], cib: [], crmMon: [], bonds: [], ipvs: [], gluster: [], haCf: [], haresources: [], authkeys: [], ldirectord: [], sysctl: {}, bondPeers: {}, vips: [], roles: [], sources: [], problems: []}
}

/** Where a finding is: a file:line, and/or the host and the state seen there. */
export interface Evidence {
  file?: string
  line?: number
  host?: string
  /** Live state or a value, in words (e.g. "MII Status: down"). */
  state?: string
}

export function ev(loc: Loc, host: string, state?: string): Evidence {
  return {file: loc.file, line: loc.line, host, ...(state === undefined ? {} : {state})}
}

/** What a rule's check returns. */
export interface FindingDraft {
  message: string
  host?: string
  evidence: Evidence[]
  /** Overrides the rule's default severity for this finding (e.g. priority 255 is a warning, 300 an error). */
  severity?: Severity
}

export interface Finding extends FindingDraft {
  rule: string
  severity: Severity
  area: Area
  title: string
  why: string
  fix: string
}

export interface Rule {
  /** Stable id, e.g. haproxy-server-no-check. */
  id: string
  area: Area
  severity: Severity
  title: string
  /** Why it matters, one or two sentences. */
  why: string
  /** How to fix it, concretely. */
  fix: string
  /** The longer rationale printed by `--explain`, with the numbers behind it. */
  explain: string
  check(input: DoctorInput): FindingDraft[]
}
