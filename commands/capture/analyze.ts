import {basename} from 'node:path'

import {Args, Flags} from '@oclif/core'

import {renderTimelineText} from '../../reports/timeline-text.js'
import {epochUsFromDecimal, isIpv4, isMac, type Unparsed} from '../../src/capture/events.js'
import {readCaptureFile} from '../../src/capture/file.js'
import {ExitCode, usageError} from '../../src/errors.js'
import {loadInventory} from '../../src/inventory/index.js'
import {type AnalyzeContext, type TimelineAnalysis, analyzeTimeline} from '../../src/timeline/analyze.js'
import {HachaosCommand} from '../_base.js'

export interface CaptureAnalyzeResult {
  file: string
  format: 'pcap' | 'pcapng' | 'text'
  /** Text lines or pcap frames read. */
  total: number
  events: number
  /** Well-formed frames of other kinds (not VRRP adverts or ARP requests/replies). */
  ignored: number
  vlanTagged: number
  unparsed: {count: number; sample: Unparsed[]}
  vip: string | null
  analysis: TimelineAnalysis
}

const SAMPLE = 20

/** Control characters from a hostile or binary file are shown escaped, never sent to the terminal. */
const printable = (s: string): string =>
  s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)

/** "1795388398.646432" (epoch seconds, up to µs) → epoch µs, exactly. */
function epochFlag(name: string, v: string | undefined): number | null {
  if (v === undefined) return null
  const m = /^(\d{9,11})(?:\.(\d{1,9}))?$/.exec(v.trim())
  const us = m === null ? null : epochUsFromDecimal(m[1] as string, m[2] ?? '0')
  if (us === null) throw usageError(`--${name} ${v} is not epoch seconds`, `e.g. --${name} 1795388398.646432 (date +%s.%6N when the fault was injected)`)
  return us
}

export default class CaptureAnalyze extends HachaosCommand {
  static override summary = 'Analyse a saved VRRP/ARP capture (pcap or tcpdump text): who was master when, GARPs, failover metrics.'
  static override description = `Reads a pcap written by tcpdump -w (recognised by its magic number) or the text of
tcpdump -n -tt -e (with or without -v), e.g. from: tcpdump -l -n -tt -e -i eth0 'vrrp or arp'.
Prints who was VRRP master when, gratuitous ARPs, priority changes and advert gaps. With --fault-at (epoch
seconds) it also measures the failover: takeover after the fault and after the old master's last advert
(Master_Down_Interval for a node loss, Skew_Time after a graceful stop), the first GARP for the VIP from the
new MAC, and with --revert-at the failback. Split brain (two masters advertising for one vrid, or two MACs
answering ARP for the VIP in turn) is reported and makes the exit code 7. Lines or frames that cannot be
parsed are counted, never fatal. No root needed.`

  static override examples = [
    '<%= config.bin %> capture analyze drill.pcap',
    '<%= config.bin %> capture analyze drill.pcap --fault-at 1795388398.646432 --revert-at 1795388406.651997 --vip 10.66.0.100',
    '<%= config.bin %> capture analyze capture.txt --fault-at 1795388462.118095 --name 10.66.0.11=lb1 --name 10.66.0.12=lb2 --json',
    '<%= config.bin %> capture analyze drill.pcap --inventory hosts.yaml --fault-at 1795388398.6',
  ]

  static override args = {
    file: Args.string({description: 'Capture file: a pcap (tcpdump -w) or tcpdump -n -tt -e text.', required: true}),
  }

  static override flags = {
    'fault-at': Flags.string({description: 'When the fault was injected, epoch seconds (e.g. 1795388398.646432): enables the failover metrics.'}),
    'revert-at': Flags.string({description: 'When the fault was reverted, epoch seconds: enables the failback metrics.', dependsOn: ['fault-at']}),
    vip: Flags.string({description: 'The virtual IP (for GARP and dual-ARP findings). Default: the inventory vip, if given.'}),
    vrid: Flags.integer({description: 'The VRRP instance to measure (default: the vrid with the most adverts).', min: 1, max: 255}),
    name: Flags.string({description: 'Name a source: IP=NAME or MAC=NAME (repeatable).', multiple: true}),
    inventory: Flags.string({char: 'i', description: 'Inventory file: names hosts by address and gives the VIP.'}),
  }

  async run(): Promise<CaptureAnalyzeResult> {
    const {args, flags} = await this.parse(CaptureAnalyze)
    const faultAtUs = epochFlag('fault-at', flags['fault-at'])
    const revertAtUs = epochFlag('revert-at', flags['revert-at'])
    if (faultAtUs !== null && revertAtUs !== null && revertAtUs < faultAtUs) throw usageError('--revert-at is before --fault-at')

    const hosts: AnalyzeContext['hosts'] = []
    let vip = flags.vip ?? null
    if (flags.inventory !== undefined) {
      const inv = await loadInventory(flags.inventory)
      for (const h of inv.hosts) hosts.push({name: h.name, ip: h.address})
      vip ??= inv.vip ?? null
    }
    for (const n of flags.name ?? []) {
      const m = /^([^=]+)=(.+)$/.exec(n)
      const key = m?.[1]?.toLowerCase() ?? ''
      if (m === null || (!isIpv4(key) && !isMac(key))) throw usageError(`--name ${n}: expected IP=NAME or MAC=NAME`, 'e.g. --name 10.66.0.11=lb1')
      hosts.unshift(isIpv4(key) ? {name: m[2] as string, ip: key} : {name: m[2] as string, mac: key})
    }
    if (vip !== null && !isIpv4(vip)) throw usageError(`--vip ${vip} is not an IPv4 address`)

    this.progress(`reading ${args.file}`)
    const cap = await readCaptureFile(args.file, basename(args.file))
    const unparsed = {count: cap.unparsed.length, sample: cap.unparsed.slice(0, SAMPLE)}
    const analysis = analyzeTimeline(cap.events, {
      vip,
      vrid: flags.vrid ?? null,
      faultAtUs,
      revertAtUs,
      hosts,
      unparsed: {count: unparsed.count, sample: unparsed.sample.map((u) => `${u.n}: ${u.reason}: ${u.text}`)},
    })

    const adverts = analysis.counts.adverts
    this.log(
      `${args.file} (${cap.format}, ${cap.total} ${cap.format !== 'text' ? 'frames' : 'lines'}): ${adverts} VRRP advert${adverts === 1 ? '' : 's'}, ` +
        `${analysis.counts.arps} ARP (${analysis.counts.garps} gratuitous)` +
        `${cap.vlanTagged > 0 ? `, ${cap.vlanTagged} 802.1Q-tagged` : ''}${cap.ignored > 0 ? `, ${cap.ignored} other frames ignored` : ''}, ` +
        `${unparsed.count} unparsed`,
    )
    const zeroUs = faultAtUs ?? analysis.firstUs
    for (const line of renderTimelineText(analysis, {zeroUs, zeroLabel: faultAtUs !== null ? 'the fault' : 'the first packet'})) this.log(line)
    if (unparsed.count > 0) {
      this.log('', `Unparsed (${unparsed.count}, counted and skipped)`)
      for (const u of unparsed.sample.slice(0, 5)) this.log(`  ${cap.format !== 'text' ? 'frame' : 'line'} ${u.n}: ${printable(u.reason)}: ${printable(u.text.slice(0, 100))}`)
      if (unparsed.count > 5) this.log(`  … ${unparsed.count - 5} more (--json shows ${Math.min(SAMPLE, unparsed.count)})`)
    }
    if (analysis.splitBrain.length > 0) process.exitCode = ExitCode.FINDINGS
    return {
      file: args.file,
      format: cap.format,
      total: cap.total,
      events: cap.events.length,
      ignored: cap.ignored,
      vlanTagged: cap.vlanTagged,
      unparsed,
      vip,
      analysis,
    }
  }
}
