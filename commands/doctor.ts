import {existsSync} from 'node:fs'
import {writeFile} from 'node:fs/promises'

import {Flags} from '@oclif/core'

import {type FileSpec, collectDir, collectFiles, collectHost, parseFileSpec} from '../src/doctor/collect.js'
import {type DoctorReport, findRule, runDoctor} from '../src/doctor/index.js'
import {doctorRules} from '../src/stacks/registry.js'
import {type SarifLog, toSarif} from '../src/doctor/sarif.js'
import type {DoctorInput, HostConfigs, SourceKind} from '../src/doctor/types.js'
import {ExitCode, HachaosError, usageError} from '../src/errors.js'
import {executorFor, findHost, loadInventory} from '../src/inventory/inventory.js'
import {inventoryFile, labPrefix} from '../src/lab/paths.js'
import {renderDoctorText, renderRuleExplain, renderRuleList} from '../reports/doctor-text.js'
import {HachaosCommand} from './_base.js'

export type DoctorCommandResult =
  | (DoctorReport & {mode: 'files' | 'dir' | 'live'; skipped: string[]; failOn: string; failed: boolean})
  | {explain: {id: string; area: string; severity: string; title: string; why: string; fix: string; explain: string}}
  | {rules: Array<{id: string; area: string; severity: string; title: string}>}
  | SarifLog

const FILE_FLAGS: Array<[string, SourceKind]> = [
  ['keepalived', 'keepalived'],
  ['haproxy', 'haproxy'],
  ['corosync', 'corosync'],
  ['cib', 'cib'],
  ['crm-mon', 'crm_mon'],
  ['bond', 'bonding'],
  ['ipvsadm', 'ipvsadm'],
  ['gluster', 'gluster'],
  ['sysctl', 'sysctl'],
  ['ha-cf', 'hacf'],
  ['haresources', 'haresources'],
  ['authkeys', 'authkeys'],
  ['ldirectord', 'ldirectord'],
]

const many = (description: string) => Flags.string({description, multiple: true, helpGroup: 'FILES'})

export default class Doctor extends HachaosCommand {
  static override summary = 'Find single points of failure and HA misconfigurations in keepalived, HAProxy, Corosync/Pacemaker, bonding, LVS and Gluster.'
  static override description = `Reads configs and live state and reports what will break, where (file:line), why, and how to fix it.
Sources: files (--keepalived, --haproxy, … as [HOST=]PATH), a directory of collected configs (--dir: each
subdirectory is a host), or live hosts over the inventory's executors (--target, or every host). Cross-host
checks (VRRP peers, one VIP in two groups) run across all hosts read together.
Exit code 7 when a finding at or above --fail-on (default: error) exists, so it works as a CI gate.`

  static override examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --target lb1',
    '<%= config.bin %> doctor --inventory prod.yaml --format sarif --output doctor.sarif',
    '<%= config.bin %> doctor --keepalived lb1=lb1/keepalived.conf --keepalived lb2=lb2/keepalived.conf --haproxy lb1=lb1/haproxy.cfg',
    '<%= config.bin %> doctor --corosync /etc/corosync/corosync.conf --cib cib.xml',
    '<%= config.bin %> doctor --bond /proc/net/bonding/bond0',
    '<%= config.bin %> doctor --dir collected/ --json',
    '<%= config.bin %> doctor --explain haproxy-server-no-check',
    '<%= config.bin %> doctor --list-rules',
  ]

  static override flags = {
    keepalived: many('keepalived.conf to check ([HOST=]PATH; includes are followed). Repeat for peers.'),
    haproxy: many('haproxy.cfg to check ([HOST=]PATH).'),
    corosync: many('corosync.conf to check ([HOST=]PATH).'),
    cib: many('Pacemaker CIB XML (`cibadmin -Q` output, [HOST=]PATH).'),
    'crm-mon': many('`crm_mon --output-as=xml` output ([HOST=]PATH).'),
    bond: many('/proc/net/bonding/BOND file ([HOST=]PATH).'),
    ipvsadm: many('`ipvsadm -Ln` or `ipvsadm --save -n` output ([HOST=]PATH).'),
    gluster: many('`gluster volume info` output ([HOST=]PATH).'),
    'ha-cf': many('Heartbeat ha.cf ([HOST=]PATH).'),
    haresources: many('Heartbeat haresources ([HOST=]PATH).'),
    authkeys: many('Heartbeat authkeys ([HOST=]PATH; its mode is checked; the key is never shown).'),
    ldirectord: many('ldirectord.cf ([HOST=]PATH; the LVS real-server checks under Heartbeat/Pacemaker).'),
    sysctl: many('`sysctl -a` output or a sysctl.conf ([HOST=]PATH), e.g. for ip_nonlocal_bind.'),
    'config-id': Flags.string({description: 'keepalived config id for `@ID` / `@^ID` lines (keepalived -i). Default: none for files and --dir (no @ID line applies), the host\'s own name for live runs.', helpGroup: 'FILES'}),
    dir: Flags.string({description: 'A directory of collected configs (one subdirectory per host; kinds detected by name and content).', helpGroup: 'FILES'}),
    target: Flags.string({description: 'Check this inventory host live (repeatable). Default without files: every host.', multiple: true, helpGroup: 'LIVE'}),
    inventory: Flags.string({
      char: 'i',
      description: 'Inventory for live checks. Default: $HACHAOS_INVENTORY, else the keepalived lab inventory when the lab is up.',
      env: 'HACHAOS_INVENTORY',
      helpGroup: 'LIVE',
    }),
    format: Flags.string({description: 'Output format (--json is the same as --format json).', options: ['text', 'json', 'sarif'], default: 'text'}),
    output: Flags.string({char: 'o', description: 'Also write the JSON or SARIF report to this file (the text report still goes to stdout).'}),
    'fail-on': Flags.string({description: 'Exit with code 7 when a finding at or above this severity exists.', options: ['error', 'warning', 'note', 'never'], default: 'error'}),
    explain: Flags.string({description: 'Print the rationale of one rule and exit.'}),
    'list-rules': Flags.boolean({description: 'List every rule and exit.'}),
    color: Flags.boolean({description: 'Colour the text output (default: when stdout is a terminal and NO_COLOR is unset).', allowNo: true}),
  }

  async run(): Promise<DoctorCommandResult> {
    const {flags} = await this.parse(Doctor)
    const color = flags.color ?? (process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined)

    if (flags.explain !== undefined) {
      const r = findRule(flags.explain, doctorRules())
      this.log(renderRuleExplain(r, {color}))
      return {explain: {id: r.id, area: r.area, severity: r.severity, title: r.title, why: r.why, fix: r.fix, explain: r.explain}}
    }
    if (flags['list-rules']) {
      this.log(renderRuleList(doctorRules(), {color}))
      return {rules: doctorRules().map((r) => ({id: r.id, area: r.area, severity: r.severity, title: r.title}))}
    }

    const specs: FileSpec[] = []
    for (const [flag, kind] of FILE_FLAGS) {
      const v = (flags as Record<string, unknown>)[flag]
      if (Array.isArray(v)) for (const a of v) if (typeof a === 'string') specs.push(parseFileSpec(kind, a))
    }
    const live = flags.target !== undefined || (specs.length === 0 && flags.dir === undefined)
    if (live && (specs.length > 0 || flags.dir !== undefined)) {
      throw usageError('--target (live) cannot be combined with files or --dir', 'run doctor once per source, or collect the live configs into a directory first')
    }

    let input: DoctorInput
    let mode: 'files' | 'dir' | 'live'
    let skipped: string[] = []
    if (specs.length > 0 && flags.dir !== undefined) throw usageError('give files or --dir, not both')
    if (specs.length > 0) {
      mode = 'files'
      this.progress(`reading ${specs.length} file${specs.length === 1 ? '' : 's'}`)
      input = collectFiles(specs, flags['config-id'] === undefined ? {} : {configId: flags['config-id']})
    } else if (flags.dir !== undefined) {
      mode = 'dir'
      this.progress(`reading ${flags.dir}`)
      const c = collectDir(flags.dir, flags['config-id'] === undefined ? {} : {configId: flags['config-id']})
      input = c.input
      skipped = c.skipped
      if (input.hosts.length === 0) {
        throw new HachaosError(`nothing doctor can read in ${flags.dir}`, {
          code: 'E_NO_SOURCES',
          exit: 'BAD_INPUT',
          where: flags.dir,
          suggestions: ['put keepalived.conf, haproxy.cfg, corosync.conf, cibadmin -Q / crm_mon XML, /proc/net/bonding files, ipvsadm or gluster output there'],
        })
      }
    } else {
      mode = 'live'
      input = await this.collectLive(flags.inventory, flags.target, flags['config-id'])
    }

    const report = runDoctor(input, {rules: doctorRules()})
    const order = ['error', 'warning', 'note']
    const limit = order.indexOf(flags['fail-on'])
    const failed = limit >= 0 && report.findings.some((f) => order.indexOf(f.severity) <= limit)
    const format = this.jsonEnabled() ? 'json' : flags.format
    const sarif = (): SarifLog => toSarif(report, doctorRules(), {version: this.config.version, cwd: process.cwd()})
    const result = {...report, mode, skipped, failOn: flags['fail-on'], failed}

    if (flags.output !== undefined) {
      const body = format === 'sarif' ? sarif() : result
      await writeFile(flags.output, `${JSON.stringify(body, null, 2)}\n`)
      this.progress(`wrote ${format === 'sarif' ? 'SARIF' : 'JSON'} to ${flags.output}`)
    }
    if (failed) process.exitCode = ExitCode.FINDINGS
    if (format === 'sarif') {
      const s = sarif()
      if (flags.output === undefined) process.stdout.write(`${JSON.stringify(s, null, 2)}\n`)
      else this.log(renderDoctorText(report, {color}))
      return s
    }
    if (format === 'json' && !this.jsonEnabled()) {
      if (flags.output === undefined) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
      else this.log(renderDoctorText(report, {color}))
      return result
    }
    this.log(renderDoctorText(report, {color}))
    for (const s of skipped) this.progress(`skipped (not a config doctor reads): ${s}`)
    return result
  }

  private async collectLive(inventoryFlag: string | undefined, targets: string[] | undefined, configId: string | undefined): Promise<DoctorInput> {
    let path = inventoryFlag
    if (path === undefined) {
      const lab = inventoryFile(labPrefix(), 'keepalived')
      if (existsSync(lab)) path = lab
    }
    if (path === undefined) {
      throw usageError(
        'nothing to check: no files, no --dir, no inventory',
        'give configs: hachaos doctor --keepalived /etc/keepalived/keepalived.conf --haproxy /etc/haproxy/haproxy.cfg',
        'or an inventory: hachaos doctor --inventory hosts.yaml (or bring up the lab: hachaos lab up)',
      )
    }
    const inv = await loadInventory(path)
    const hosts = targets === undefined ? inv.hosts : targets.map((t) => findHost(inv, t))
    this.progress(`checking ${hosts.map((h) => h.name).join(', ')} from ${path}`)
    const out: HostConfigs[] = []
    // one host at a time keeps the output readable and the load low; hosts are independent
    for (const h of hosts) out.push(await collectHost(h, executorFor(h), inv, {progress: this.progress, ...(configId === undefined ? {} : {configId})}))
    return {hosts: out}
  }
}
